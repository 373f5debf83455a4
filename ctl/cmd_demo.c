/*
 * cmd_demo.c - docketctl demo-data: a believable agency in one
 * transaction.  Staff covering every role (one mapped to the Unix user
 * running it, for peer login), ten schools, thirty contacts, and two
 * hundred tickets spread over every pipeline, stage and priority, each
 * with the conversation, notes, mentions, tasks and timeline that its
 * stage implies, dated over the last sixty days.  A fixed seed makes
 * every demo database the same but for the passwords: each person gets a
 * random one of their own, printed once.  A database with staff or
 * tickets already is refused, so running it twice never makes a mess.
 */
#include "ctl.h"
#include "demo_data.h"
#include "dk_secret.h"

#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DAY (24 * 3600LL)

/* A deterministic generator, so every demo database is the same. */
static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

/* Ring of buffers for numbers passed as text parameters. */
static const char *num(long long v)
{
    static char ring[32][24];
    static unsigned next;
    char *b = ring[next++ % 32];

    snprintf(b, 24, "%lld", v);
    return b;
}

static PGresult *vrun(struct ctl *c, const char *sql, int n, va_list ap)
{
    const char *params[16];

    for (int i = 0; i < n && i < 16; i++)
        params[i] = va_arg(ap, const char *);
    return ctl_exec(c, sql, n, params, NULL, NULL);
}

/* Run sql with exactly n text parameters (NULL is SQL NULL). */
static PGresult *run(struct ctl *c, const char *sql, int n, ...)
{
    PGresult *res;
    va_list ap;

    va_start(ap, n);
    res = vrun(c, sql, n, ap);
    va_end(ap);
    return res;
}

/* Same, for statements whose result is not needed; 0 or 1 (printed). */
static int run0(struct ctl *c, const char *sql, int n, ...)
{
    PGresult *res;
    va_list ap;

    va_start(ap, n);
    res = vrun(c, sql, n, ap);
    va_end(ap);
    if (!res)
        return 1;
    PQclear(res);
    return 0;
}

struct demo {
    struct ctl *c;
    long long staff_id[NSTAFF];
    long long company_id[NCOMPANIES];
    long long contact_id[NCONTACTS];
    long long now;
    int tickets, notes, messages, tasks, events;
};

static int pick_staff(int role)
{
    for (;;) {
        int i = (int)rnd(NSTAFF);
        if (demo_staff[i].role & role)
            return i;
    }
}

static int add_event(struct demo *d, long long ticket, const char *type,
                     const char *action, const char *by, const char *contact,
                     const char *change, long long at)
{
    at = at < d->now ? at : d->now - 1;
    d->events++;
    return run0(d->c,
                "INSERT INTO event (type, action, ticket_id, staff_id, "
                "contact_id, change, created_at) "
                "VALUES ($1, $2, $3::bigint, $4::bigint, $5::bigint, "
                "$6::jsonb, to_timestamp($7::double precision))",
                7, type, action, num(ticket), by, contact, change, num(at));
}

static int add_message(struct demo *d, long long ticket, bool out,
                       const char *staff, const char *contact, const char *body,
                       long long at)
{
    at = at < d->now ? at : d->now - 1;
    d->messages++;
    if (run0(d->c,
             "INSERT INTO message (ticket_id, direction, author_staff_id, "
             "author_contact_id, body, created_at, message_id, source) "
             "VALUES ($1::bigint, $2, $3::bigint, $4::bigint, $5, "
             "to_timestamp($6::double precision), "
             "'<demo-' || $1 || '-' || $6 || '@docket.example>', "
             "CASE $2 WHEN 'out' THEN 'staff' ELSE 'email' END)",
             6, num(ticket), out ? "out" : "in", out ? staff : NULL,
             out ? NULL : contact, body, num(at)))
        return 1;
    return add_event(d, ticket, "ticket.changed",
                     out ? "message_sent" : "message_received",
                     out ? staff : NULL, out ? NULL : contact, "{}", at);
}

/* A note, with its mention and the mentioned person's notification. */
static int add_note(struct demo *d, long long ticket, int author, int mentioned,
                    const char *body, long long at)
{
    PGresult *res;
    long long note;

    at = at < d->now ? at : d->now - 1;
    d->notes++;
    res = run(d->c,
              "INSERT INTO note (ticket_id, author_id, body, created_at) "
              "VALUES ($1::bigint, $2::bigint, $3, "
              "to_timestamp($4::double precision)) RETURNING id",
              4, num(ticket), num(d->staff_id[author]), body, num(at));
    if (!res)
        return 1;
    note = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (add_event(d, ticket, "ticket.changed", "note_added",
                  num(d->staff_id[author]), NULL, "{}", at))
        return 1;
    if (mentioned < 0)
        return 0;
    if (run0(d->c,
             "INSERT INTO mention (note_id, staff_id) "
             "VALUES ($1::bigint, $2::bigint)",
             2, num(note), num(d->staff_id[mentioned])))
        return 1;
    res = run(d->c,
              "INSERT INTO notification (staff_id, kind, ticket_id, note_id, "
              "by_staff_id, created_at, read_at) "
              "VALUES ($1::bigint, 'mention', $2::bigint, $3::bigint, "
              "$4::bigint, to_timestamp($5::double precision), "
              "CASE WHEN $6 THEN to_timestamp($5::double precision) + "
              "interval '1 hour' END) RETURNING id",
              6, num(d->staff_id[mentioned]), num(ticket), num(note),
              num(d->staff_id[author]), num(at), rnd(3) ? "true" : "false");
    if (!res)
        return 1;
    d->events++;
    if (run0(d->c,
             "INSERT INTO event (type, action, ticket_id, staff_id, "
             "for_staff_id, notification_id, created_at) "
             "VALUES ('notification', 'notified', $1::bigint, $2::bigint, "
             "$3::bigint, $4::bigint, to_timestamp($5::double precision))",
             5, num(ticket), num(d->staff_id[author]),
             num(d->staff_id[mentioned]), PQgetvalue(res, 0, 0), num(at))) {
        PQclear(res);
        return 1;
    }
    PQclear(res);
    return 0;
}

static const char *change2(char *buf, size_t size, const char *k1,
                           const char *a1, const char *b1, const char *k2,
                           const char *a2, const char *b2)
{
    int n = snprintf(buf, size, "{\"%s\": [%s, %s]", k1, a1, b1);

    if (k2)
        n += snprintf(buf + n, size - (size_t)n, ", \"%s\": [%s, %s]", k2, a2,
                      b2);
    snprintf(buf + n, size - (size_t)n, "}");
    return buf;
}

static const char *q(const char *s)
{
    static char ring[8][64];
    static unsigned next;
    char *b = ring[next++ % 8];

    if (!s)
        return "null";
    snprintf(b, 64, "\"%s\"", s);
    return b;
}

/* One ticket with the whole history its final stage implies. */
static int add_ticket(struct demo *d, const struct demo_bucket *b)
{
    static const char *const prio[] = {"high",   "medium", "medium", "low",
                                       "medium", "low",    "high",   "medium"};
    static const char *const sources[] = {"portal", "portal", "email",
                                          "email",  "phone",  "form"};
    bool graphics_stage = !strcmp(b->pipeline, "graphics");
    bool closed = !strcmp(b->stage, "closed");
    bool claimed = strcmp(b->stage, "new") != 0;
    bool via_graphics = graphics_stage || (closed && rnd(3) == 0);
    const struct demo_request *req;
    const struct demo_contact *ct;
    int contact = (int)rnd(NCONTACTS), owner = -1, gowner = -1;
    const char *source = sources[rnd(6)];
    long long created, t, age_days;
    char change[256], body[512];
    int version = 1;
    long long id;
    PGresult *res;

    do
        req = &demo_requests[rnd(NREQUESTS)];
    while (req->graphics != via_graphics);
    ct = &demo_contacts[contact];
    /* Closed tickets are older on the whole; new ones recent. */
    age_days = closed ? 5 + rnd(55) : claimed ? 1 + rnd(40) : rnd(14);
    created = d->now - age_days * DAY - rnd(20 * 3600);
    t = created;

    if (claimed)
        owner = pick_staff(DK_ROLE_CONTENT);
    if (!strcmp(b->stage, "graphics_in_progress") ||
        !strcmp(b->stage, "graphics_complete") || (closed && via_graphics))
        gowner = pick_staff(DK_ROLE_GRAPHICS);

    res = run(d->c,
              "INSERT INTO ticket (subject, description, priority, pipeline, "
              "stage, owner_id, graphics_owner_id, contact_id, company_id, "
              "source, created_at, updated_at, last_activity_at) "
              "VALUES ($1, $2, $3, 'support', 'new', NULL, NULL, $4::bigint, "
              "$5::bigint, $6, to_timestamp($7::double precision), "
              "to_timestamp($7::double precision), "
              "to_timestamp($7::double precision)) RETURNING id",
              7, req->subject, req->description, prio[rnd(8)],
              num(d->contact_id[contact]), num(d->company_id[ct->company]),
              source, num(created));
    if (!res)
        return 1;
    id = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    d->tickets++;

    snprintf(change, sizeof(change), "{\"source\": \"%s\"}", source);
    if (add_event(d, id, "ticket.created", "created",
                  strcmp(source, "phone")
                      ? NULL
                      : num(d->staff_id[pick_staff(DK_ROLE_CONTENT)]),
                  strcmp(source, "phone") ? num(d->contact_id[contact]) : NULL,
                  change, t))
        return 1;
    if (strcmp(source, "phone") &&
        add_message(d, id, false, NULL, num(d->contact_id[contact]),
                    req->description, t))
        return 1;
    if (rnd(4) == 0 &&
        run0(d->c,
             "INSERT INTO attachment (ticket_id, filename, content_type, "
             "size, sha256, content, created_at) "
             "SELECT $1::bigint, $2, 'text/plain', length(b), sha256(b), b, "
             "to_timestamp($4::double precision) "
             "FROM convert_to($3, 'UTF8') AS b",
             4, num(id), "details.txt", req->description, num(t)))
        return 1;

    if (claimed) {
        t += 600 + rnd(8 * 3600);
        if (add_event(d, id, "ticket.changed", "claimed",
                      num(d->staff_id[owner]), NULL,
                      change2(change, sizeof(change), "owner", "null",
                              q(demo_staff[owner].username), "stage", q("new"),
                              q("in_progress")),
                      t))
            return 1;
        version++;
        if (rnd(2) || !strcmp(b->stage, "waiting_on_contact") || closed) {
            t += 300 + rnd(3600);
            snprintf(body, sizeof(body), replies[rnd(4)], ct->first);
            if (add_message(d, id, true, num(d->staff_id[owner]), NULL, body,
                            t))
                return 1;
            version++;
            if (rnd(2) && strcmp(b->stage, "waiting_on_contact")) {
                t += 600 + rnd(6 * 3600);
                if (add_message(d, id, false, NULL, num(d->contact_id[contact]),
                                client_followups[rnd(4)], t))
                    return 1;
                version++;
            }
        }
        if (rnd(3) == 0) {
            t += 300 + rnd(3600);
            snprintf(body, sizeof(body), plain_notes[rnd(4)], ct->first);
            if (add_note(d, id, owner, -1, body, t))
                return 1;
            version++;
        }
    }
    if (via_graphics) {
        int artist = gowner >= 0 ? gowner : pick_staff(DK_ROLE_GRAPHICS);
        t += 600 + rnd(4 * 3600);
        snprintf(body, sizeof(body),
                 "@%s could you make this? 1920×600 for the banner slot; the "
                 "school's photos are in the attachment.",
                 demo_staff[artist].username);
        if (add_note(d, id, owner, artist, body, t))
            return 1;
        t += 60 + rnd(600);
        if (add_event(d, id, "ticket.changed", "handed_to_graphics",
                      num(d->staff_id[owner]), NULL,
                      change2(change, sizeof(change), "pipeline", q("support"),
                              q("graphics"), "stage", q("in_progress"),
                              q("waiting_on_graphics")),
                      t))
            return 1;
        version += 2;
        if (gowner >= 0) {
            t += 1800 + rnd(DAY);
            if (add_event(d, id, "ticket.changed", "graphics_claimed",
                          num(d->staff_id[gowner]), NULL,
                          change2(change, sizeof(change), "graphics_owner",
                                  "null", q(demo_staff[gowner].username),
                                  "stage", q("waiting_on_graphics"),
                                  q("graphics_in_progress")),
                          t))
                return 1;
            version++;
        }
        if (!strcmp(b->stage, "graphics_complete") || closed) {
            t += 3600 + rnd(2 * DAY);
            if (add_event(d, id, "ticket.changed", "graphics_completed",
                          num(d->staff_id[gowner]), NULL,
                          change2(change, sizeof(change), "stage",
                                  q("graphics_in_progress"),
                                  q("graphics_complete"), NULL, NULL, NULL),
                          t))
                return 1;
            version++;
        }
    }
    if (!strcmp(b->stage, "waiting_on_contact")) {
        t += 60;
        if (add_event(d, id, "ticket.changed", "stage_set",
                      num(d->staff_id[owner]), NULL,
                      change2(change, sizeof(change), "stage", q("in_progress"),
                              q("waiting_on_contact"), NULL, NULL, NULL),
                      t))
            return 1;
        version++;
    }
    if (closed) {
        t += 1800 + rnd(2 * DAY);
        if (add_event(
                d, id, "ticket.changed", "closed", num(d->staff_id[owner]),
                NULL,
                change2(change, sizeof(change), "pipeline",
                        q(via_graphics ? "graphics" : "support"), q("support"),
                        "stage",
                        q(via_graphics ? "graphics_complete" : "in_progress"),
                        q("closed")),
                t))
            return 1;
        version++;
    }
    if (!strcmp(b->stage, "in_progress") && rnd(2) == 0) {
        d->tasks++;
        if (run0(d->c,
                 "INSERT INTO task (ticket_id, staff_id, created_by, title, "
                 "due_at, remind_at, created_at) "
                 "VALUES ($1::bigint, $2::bigint, $2::bigint, $3, "
                 "to_timestamp($4::double precision), "
                 "to_timestamp($4::double precision) - interval '2 hours', "
                 "to_timestamp($5::double precision))",
                 5, num(id), num(d->staff_id[owner]),
                 rnd(2) ? "Take the notice down again"
                        : "Check with the "
                          "school that it "
                          "looks right",
                 num(d->now + (long long)rnd(14) * DAY - 3 * DAY), num(t)))
            return 1;
        if (add_event(d, id, "ticket.changed", "task_added",
                      num(d->staff_id[owner]), NULL, "{}", t))
            return 1;
        version++;
    }
    if (t > d->now)
        t = d->now - rnd(3600);
    return run0(d->c,
                "UPDATE ticket SET pipeline = $2, stage = $3, "
                "owner_id = $4::bigint, graphics_owner_id = $5::bigint, "
                "updated_at = to_timestamp($6::double precision), "
                "last_activity_at = to_timestamp($6::double precision), "
                "closed_at = CASE WHEN $3 = 'closed' "
                "  THEN to_timestamp($6::double precision) END, "
                "version = $7::int WHERE id = $1::bigint",
                7, num(id), b->pipeline, b->stage,
                owner >= 0 ? num(d->staff_id[owner]) : NULL,
                gowner >= 0 ? num(d->staff_id[gowner]) : NULL, num(t),
                num(version));
}

struct demo_opts {
    const char *unix_user;
    bool password_stdin;
};

static int demo_opt(struct ctl *c, int opt, const char *val, void *arg)
{
    struct demo_opts *o = arg;

    if (opt == 'u')
        o->unix_user = val;
    else if (opt == 'p')
        o->password_stdin = true;
    return 0;
}

static int load(struct demo *d, const char *unix_user,
                char hash[NSTAFF][DK_PASS_HASH_MAX], const char *portal_hash)
{
    PGresult *res;

    res = run(d->c,
              "SELECT (SELECT count(*) FROM staff), "
              "(SELECT count(*) FROM ticket), (SELECT count(*) FROM contact)",
              0);
    if (!res)
        return 1;
    if (strcmp(PQgetvalue(res, 0, 0), "0") ||
        strcmp(PQgetvalue(res, 0, 1), "0") ||
        strcmp(PQgetvalue(res, 0, 2), "0")) {
        ctl_fail(d->c,
                 "the database already holds data (%s staff, %s contacts, %s "
                 "tickets); demo data only goes into an empty database",
                 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2),
                 PQgetvalue(res, 0, 1));
        PQclear(res);
        return 1;
    }
    PQclear(res);

    for (size_t i = 0; i < NSTAFF; i++) {
        const struct demo_staff *s = &demo_staff[i];
        res = run(d->c,
                  "INSERT INTO staff (username, name, email, roles, "
                  "password_hash, unix_user) "
                  "VALUES ($1, $2, $3, $4::text[], $5, $6) RETURNING id",
                  6, s->username, s->name, s->email, s->roles, hash[i],
                  i == PEER_STAFF ? unix_user : NULL);
        if (!res)
            return 1;
        d->staff_id[i] = atoll(PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    for (size_t i = 0; i < NCOMPANIES; i++) {
        const struct demo_company *co = &demo_companies[i];
        res = run(d->c,
                  "INSERT INTO company (name, website, domain) "
                  "VALUES ($1, $2, substring($2 from '^https?://([^/]+)')) "
                  "RETURNING id",
                  2, co->name, co->website);
        if (!res)
            return 1;
        d->company_id[i] = atoll(PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    for (size_t i = 0; i < NCONTACTS; i++) {
        const struct demo_contact *ct = &demo_contacts[i];
        res = run(d->c,
                  "INSERT INTO contact (email, first_name, last_name, title, "
                  "phone, company_id, cloudfront_domain, created_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6::bigint, "
                  "  (SELECT 'd' || substr(md5(domain), 1, 13) || "
                  "          '.cloudfront.net' FROM company "
                  "    WHERE id = $6::bigint), "
                  "  now() - interval '90 days') RETURNING id",
                  6, ct->email, ct->first, ct->last, ct->title, ct->phone,
                  num(d->company_id[ct->company]));
        if (!res)
            return 1;
        d->contact_id[i] = atoll(PQgetvalue(res, 0, 0));
        PQclear(res);
        /* Two in three contacts may use the portal. */
        if (i % 3 != 2 && run0(d->c,
                               "INSERT INTO list_member (list_id, contact_id) "
                               "SELECT id, $1::bigint FROM list "
                               "WHERE name = 'Authorized Portal Users'",
                               1, num(d->contact_id[i])))
            return 1;
        /* The first has registered already, so that a newcomer can log
         * in to the portal at once (the others' invitations are a
         * docketctl contact invite away). */
        if (i == PORTAL_CONTACT &&
            run0(d->c,
                 "UPDATE contact SET password_hash = $2, registered_at = "
                 "now() - interval '60 days' WHERE id = $1::bigint",
                 2, num(d->contact_id[i]), portal_hash))
            return 1;
    }
    for (size_t b = 0; b < sizeof(demo_buckets) / sizeof(demo_buckets[0]); b++)
        for (int i = 0; i < demo_buckets[b].count; i++)
            if (add_ticket(d, &demo_buckets[b]))
                return 1;
    return 0;
}

int ctl_demo_data(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"unix-user", required_argument, NULL, 'u'},
        {"password-stdin", no_argument, NULL, 'p'},
        {0}};
    struct demo_opts o = {0};
    struct demo d = {.c = c};
    /* Each person's own password unless one is given for all: a demo on a
     * shared host must not hand its admin to whoever knows one word. */
    char *pos[1], hash[NSTAFF][DK_PASS_HASH_MAX], *pw = NULL;
    char password[NSTAFF][DK_PASS_NEW_LEN + 1];
    char portal_password[DK_PASS_NEW_LEN + 1] = "";
    char portal_hash[DK_PASS_HASH_MAX];
    struct passwd *pwd;

    if (ctl_getopt(c, argc, argv, argv[0], opts, pos, 0, demo_opt, &o) < 0)
        return 2;
    if (!o.unix_user) {
        pwd = getpwuid(geteuid());
        o.unix_user = pwd ? pwd->pw_name : NULL;
    }
    if (!ctl_db(c))
        return 1;
    if (o.password_stdin && !(pw = ctl_read_password(c, false)))
        return 1;
    for (size_t i = 0; i < NSTAFF; i++) {
        int rc;
        if (pw && i > 0) {
            memcpy(hash[i], hash[0], sizeof(hash[0]));
            continue;
        }
        if (!pw)
            dk_pass_new(password[i]);
        rc = dk_pass_hash(pw ? pw : password[i], hash[i]);
        if (rc != 0) {
            free(pw);
            return ctl_fail(c, "could not hash the password: out of memory");
        }
    }
    if (!pw)
        dk_pass_new(portal_password);
    if (dk_pass_hash(pw ? pw : portal_password, portal_hash) != 0) {
        free(pw);
        return ctl_fail(c, "could not hash the password: out of memory");
    }
    free(pw);
    d.now = (long long)time(NULL);
    if (ctl_begin(c))
        return 1;
    if (load(&d, o.unix_user, hash, portal_hash)) {
        ctl_rollback(c);
        return 1;
    }
    if (ctl_commit(c))
        return 1;

    printf("Demo data loaded: %zu staff, %zu schools, %zu contacts, %d "
           "tickets, %d messages, %d notes, %d tasks, %d timeline events.\n",
           NSTAFF, NCOMPANIES, NCONTACTS, d.tickets, d.messages, d.notes,
           d.tasks, d.events);
    printf("Staff:\n");
    for (size_t i = 0; i < NSTAFF; i++) {
        if (i == PEER_STAFF && o.unix_user)
            printf("  %-7s %s, %s, Unix user %s\n", demo_staff[i].username,
                   demo_staff[i].name, demo_staff[i].roles, o.unix_user);
        else
            printf("  %-7s %s, %s\n", demo_staff[i].username,
                   demo_staff[i].name, demo_staff[i].roles);
    }
    if (o.unix_user)
        printf("%s logs in as Kari by peer credentials.\n", o.unix_user);
    if (o.password_stdin) {
        printf("Every password is the one given on standard input, the "
               "portal contact's (%s) too.\n",
               demo_contacts[PORTAL_CONTACT].email);
        return 0;
    }
    /* Shown once, stored only as hashes: "name: password" lines, which
     * scripts/demo keeps (mode 0600) for --as. */
    printf("Passwords (each person's own; docketctl staff passwd sets "
           "another):\n");
    for (size_t i = 0; i < NSTAFF; i++)
        printf("  %s: %s\n", demo_staff[i].username, password[i]);
    printf("Portal contact: %s %s\n", demo_contacts[PORTAL_CONTACT].email,
           portal_password);
    return 0;
}
