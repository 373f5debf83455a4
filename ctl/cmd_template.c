/*
 * cmd_template.c - docketctl template add | workflow add | workflow
 * enroll: the coordinators' template emails and timed sequences of them.
 * Fields like {{contact.first_name}} are checked when a template is added,
 * so that a typo is an error now, not a blank in a client's inbox later.
 */
#include "ctl.h"
#include "dk_config.h"
#include "dk_text.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fields each system template is given (email_text()'s vars). */
static const struct {
    const char *name, *fields;
} system_templates[] = {
    {"mention", "ticket.id ticket.subject staff.name note.body"},
    {"graphics_complete", "ticket.id ticket.subject staff.name"},
    {"closed", "ticket.id ticket.subject contact.first_name"},
    {"reply", "ticket.id ticket.subject message.body contact.first_name"},
    {"task_reminder", "ticket.id ticket.subject task.title"},
    {"portal_registration", "contact.first_name portal.title link.days "
                            "link.url"},
    {"password_reset", "contact.first_name portal.title link.url"},
    {"signup_confirm", "contact.first_name portal.title link.url"},
    {"client_reply", "ticket.id ticket.subject contact.name message.body"},
};

/* A contact's fields, for the coordinators' templates and workflows. */
#define CONTACT_FIELDS                                                         \
    "contact.first_name contact.last_name contact.email contact.title "        \
    "company.name company.website"

static bool in_words(const char *words, const char *s, size_t n)
{
    for (const char *p = words; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, s, n) == 0)
            return true;
        p += len;
        p += strspn(p, " ");
    }
    return false;
}

/* Every {{field}} in text must be one the template will be given. */
static int check_fields(struct ctl *c, const char *what, const char *text,
                        const char *known)
{
    const char *p = text;

    while ((p = strstr(p, "{{")) != NULL) {
        const char *end = strstr(p + 2, "}}");
        size_t n;
        if (!end)
            return ctl_fail(c, "%s: \"{{\" without \"}}\"", what);
        n = (size_t)(end - p - 2);
        if (!in_words(known, p + 2, n))
            return ctl_fail(c, "%s: unknown field {{%.*s}} (known: %s)", what,
                            (int)n, p + 2, known);
        p = end + 2;
    }
    return 0;
}

struct template_opts {
    const char *subject;
    bool replace;
};

static int template_opt(struct ctl *c, int opt, const char *val, void *arg)
{
    struct template_opts *o = arg;

    if (opt == 's')
        o->subject = val;
    else
        o->replace = true;
    return 0;
}

int ctl_template_add(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"subject", required_argument, NULL, 's'},
        {"replace", no_argument, NULL, 'r'},
        {0}};
    struct template_opts o = {NULL, false};
    const char *params[4], *known = CONTACT_FIELDS;
    char *pos[2], *body, state[6], constraint[64];
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 2, template_opt, &o);

    if (n < 0)
        return 2;
    if (n < 2)
        return ctl_fail(c, "missing %s\nusage: %s", n ? "NAME" : "FOLDER",
                        argv[0]);
    if (!o.subject || !*o.subject)
        return ctl_fail(c, "--subject is required");
    if (strchr(pos[0], '/') || strchr(pos[1], '/') || !*pos[0] || !*pos[1])
        return ctl_fail(c, "folder and name may not be empty or contain "
                           "\"/\"");
    if (strcmp(pos[0], "system") == 0) {
        /* Docket's own emails: only the ones it sends, their fields. */
        /* NAME.LANG: the agency's own words in a contact's language
         * (email_text_in()), for a language the portal may speak. */
        const char *dot = strchr(pos[1], '.');
        size_t base = dot ? (size_t)(dot - pos[1]) : strlen(pos[1]);
        bool lang_ok = !dot;

        for (size_t i = 0; dot && dk_languages[i]; i++)
            lang_ok = lang_ok || (strcmp(dot + 1, dk_languages[i]) == 0 &&
                                  strcmp(dot + 1, "en") != 0);
        known = NULL;
        for (size_t i = 0; lang_ok && i < sizeof(system_templates) /
                                              sizeof(*system_templates);
             i++)
            if (strlen(system_templates[i].name) == base &&
                strncmp(system_templates[i].name, pos[1], base) == 0)
                known = system_templates[i].fields;
        if (!known)
            return ctl_fail(c,
                            "Docket sends no email called \"%s\" (system "
                            "templates: mention, graphics_complete, closed, "
                            "reply, task_reminder, portal_registration, "
                            "password_reset, signup_confirm, client_reply; "
                            "NAME.nb or NAME.nl for one in Norwegian or "
                            "Dutch)",
                            pos[1]);
    }
    if (!dk_utf8_valid(o.subject, strlen(o.subject)))
        return ctl_fail(c, "subject is not UTF-8 text");
    if (check_fields(c, "subject", o.subject, known))
        return 1;
    if (!ctl_db(c) || !(body = ctl_read_stdin(c, "body", 100000)))
        return 1;
    if (check_fields(c, "body", body, known)) {
        free(body);
        return 1;
    }
    params[0] = pos[0];
    params[1] = pos[1];
    params[2] = o.subject;
    params[3] = body;
    res = ctl_exec(c,
                   o.replace
                       ? "INSERT INTO email_template (folder, name, subject, "
                         "body) VALUES ($1, $2, $3, $4) "
                         "ON CONFLICT (folder, name) DO UPDATE SET "
                         "subject = excluded.subject, body = excluded.body, "
                         "updated_at = now()"
                       : "INSERT INTO email_template (folder, name, subject, "
                         "body) VALUES ($1, $2, $3, $4)",
                   4, params, state, constraint);
    free(body);
    if (!res) {
        if (!strcmp(state, "23505"))
            return ctl_fail(c,
                            "template %s/%s already exists (--replace "
                            "changes it)",
                            pos[0], pos[1]);
        return ctl_fail(c, "could not add the template (SQLSTATE %s)", state);
    }
    PQclear(res);
    return 0;
}

struct steps {
    char *step[32];
    int n;
};

static int step_opt(struct ctl *c, int opt, const char *val, void *arg)
{
    struct steps *s = arg;

    if (s->n == 32)
        return ctl_fail(c, "at most 32 steps");
    s->step[s->n++] = (char *)val;
    return 0;
}

int ctl_workflow_add(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{"step", required_argument, NULL, 's'},
                                         {0}};
    struct steps st = {{0}, 0};
    char *pos[1], state[6], constraint[64], delay[32], pos_s[16];
    const char *params[5];
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 1, step_opt, &st);

    if (n < 0)
        return 2;
    if (n < 1)
        return ctl_fail(c, "missing NAME\nusage: %s", argv[0]);
    if (st.n == 0)
        return ctl_fail(c, "a workflow needs at least one --step "
                           "FOLDER/TEMPLATE:DELAY");
    if (!ctl_db(c) || ctl_begin(c))
        return 1;
    params[0] = pos[0];
    res = ctl_exec(c, "INSERT INTO workflow (name) VALUES ($1) RETURNING id", 1,
                   params, state, constraint);
    if (!res) {
        ctl_rollback(c);
        if (!strcmp(state, "23505"))
            return ctl_fail(c, "workflow \"%s\" already exists", pos[0]);
        return ctl_fail(c, "could not add the workflow (SQLSTATE %s)", state);
    }
    params[0] = PQgetvalue(res, 0, 0);
    for (int i = 0; i < st.n; i++) {
        char *spec = st.step[i], *slash = strchr(spec, '/');
        char *colon = strrchr(spec, ':');
        long long secs;
        PGresult *r;
        if (!slash || !colon || colon < slash ||
            dk_duration_parse(colon + 1, "smhdw", &secs) < 0) {
            ctl_rollback(c);
            PQclear(res);
            return ctl_fail(c,
                            "step \"%s\" is not FOLDER/TEMPLATE:DELAY (a "
                            "delay like 0, 2d, 1w)",
                            spec);
        }
        *slash = '\0';
        *colon = '\0';
        snprintf(delay, sizeof(delay), "%lld", secs);
        snprintf(pos_s, sizeof(pos_s), "%d", i + 1);
        params[1] = pos_s;
        params[2] = spec;
        params[3] = slash + 1;
        params[4] = delay;
        r = ctl_exec(c,
                     "INSERT INTO workflow_step (workflow_id, position, "
                     "template_id, delay) "
                     "SELECT $1::bigint, $2::int, id, "
                     "make_interval(secs => $5::bigint) FROM email_template "
                     "WHERE folder = $3 AND name = $4 RETURNING 1",
                     5, params, NULL, NULL);
        if (!r || PQntuples(r) == 0) {
            if (r)
                PQclear(r);
            ctl_rollback(c);
            PQclear(res);
            return ctl_fail(c,
                            "no template %s/%s (add it with docketctl "
                            "template add)",
                            spec, slash + 1);
        }
        PQclear(r);
    }
    PQclear(res);
    return ctl_commit(c);
}

int ctl_workflow_enroll(struct ctl *c, int argc, char **argv)
{
    char *pos[2], state[6];
    const char *params[2];
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], NULL, pos, 2, NULL, NULL);

    if (n < 0)
        return 2;
    if (n < 2)
        return ctl_fail(c, "missing %s\nusage: %s", n ? "EMAIL" : "WORKFLOW",
                        argv[0]);
    params[0] = pos[0];
    params[1] = pos[1];
    res = ctl_exec(c,
                   "SELECT (SELECT id FROM workflow WHERE name = $1), "
                   "(SELECT id FROM contact WHERE lower(email) = lower($2))",
                   2, params, NULL, NULL);
    if (!res)
        return 1;
    if (PQgetisnull(res, 0, 0)) {
        PQclear(res);
        return ctl_fail(c, "no workflow \"%s\"", pos[0]);
    }
    if (PQgetisnull(res, 0, 1)) {
        PQclear(res);
        return ctl_fail(c, "no contact with email \"%s\"", pos[1]);
    }
    params[0] = PQgetvalue(res, 0, 0);
    params[1] = PQgetvalue(res, 0, 1);
    {
        PGresult *r = ctl_exec(c, "SELECT workflow_enroll($1, $2)", 2, params,
                               state, NULL);
        PQclear(res);
        if (!r) {
            if (!strcmp(state, "DK409"))
                return ctl_fail(c, "%s is already enrolled in \"%s\"", pos[1],
                                pos[0]);
            return ctl_fail(c, "could not enrol (SQLSTATE %s)", state);
        }
        printf("enrolled %s in \"%s\": %s emails scheduled\n", pos[1], pos[0],
               PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    return 0;
}
