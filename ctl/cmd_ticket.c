/*
 * cmd_ticket.c - docketctl ticket create: a ticket entered by staff on a
 * contact's behalf (a phone call, say).  Prints the new id alone, so that
 * scripts can capture it.
 */
#include "ctl.h"
#include "dk_text.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ticket_opts {
    const char *contact, *subject, *priority, *source;
};

static int ticket_opt(struct ctl *c, int opt, const char *val, void *arg)
{
    struct ticket_opts *o = arg;

    switch (opt) {
    case 'c':
        o->contact = val;
        break;
    case 's':
        o->subject = val;
        break;
    case 'p':
        o->priority = val;
        break;
    case 'S':
        o->source = val;
        break;
    }
    return 0;
}

static bool one_of(const char *s, const char *const *choices)
{
    for (; *choices; choices++)
        if (!strcmp(s, *choices))
            return true;
    return false;
}

int ctl_ticket_create(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"contact", required_argument, NULL, 'c'},
        {"subject", required_argument, NULL, 's'},
        {"priority", required_argument, NULL, 'p'},
        {"source", required_argument, NULL, 'S'},
        {0}};
    static const char *const priorities[] = {"low", "medium", "high", NULL};
    static const char *const sources[] = {"phone", "email", "form", "portal",
                                          NULL};
    struct ticket_opts o = {NULL, NULL, "medium", "phone"};
    char *pos[1], *description;
    const char *params[5];
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 0, ticket_opt, &o);

    if (n < 0)
        return 2;
    if (!o.contact)
        return ctl_fail(c, "--contact is required");
    if (!o.subject || !*o.subject)
        return ctl_fail(c, "--subject is required");
    if (!dk_utf8_valid(o.subject, strlen(o.subject)))
        return ctl_fail(c, "subject is not UTF-8 text");
    if (strlen(o.subject) > 300)
        return ctl_fail(c, "subject is longer than 300 bytes");
    if (!one_of(o.priority, priorities))
        return ctl_fail(c, "priority \"%s\" is not one of low, medium, high",
                        o.priority);
    if (!one_of(o.source, sources))
        return ctl_fail(c,
                        "source \"%s\" is not one of phone, email, form, "
                        "portal",
                        o.source);
    params[0] = o.contact;
    res = ctl_exec(c, "SELECT id FROM contact WHERE lower(email) = lower($1)",
                   1, params, NULL, NULL);
    if (!res)
        return 1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return ctl_fail(c, "no contact with email \"%s\"", o.contact);
    }
    PQclear(res);
    if (!(description = ctl_read_stdin(c, "description", 100000)))
        return 1;
    params[1] = o.subject;
    params[2] = description;
    params[3] = o.priority;
    params[4] = o.source;
    res = ctl_exec(
        c,
        "SELECT ticket_create((SELECT id FROM contact "
        "  WHERE lower(email) = lower($1)), $2, $3, $4, $5, NULL)->>'id'",
        5, params, NULL, NULL);
    free(description);
    if (!res)
        return 1;
    printf("%s\n", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}
