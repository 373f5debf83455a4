/*
 * cmd_list.c - docketctl list add-member | remove-member | members.
 * Adding a contact to the portal's access list (portal.access_list,
 * "Authorized Portal Users" by default) queues the registration email in
 * the same transaction, so a member is never left without their link
 * (ctl_portal_invite(), which docketctl contact invite uses too).
 */
#include "ctl.h"
#include "dk_secret.h"

#include <stdio.h>
#include <string.h>
#include <sodium.h>

#define REGISTER_LINK_DAYS 7

/* Look up a list's and a contact's ids; 0, or 1 when printed. */
static int find_ids(struct ctl *c, const char *list, const char *email,
                    char *list_id, char *contact_id, bool *registered)
{
    const char *params[1] = {list};
    PGresult *res;

    res = ctl_exec(c, "SELECT id FROM list WHERE lower(name) = lower($1)", 1,
                   params, NULL, NULL);
    if (!res)
        return 1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return ctl_fail(c, "no list named \"%s\"", list);
    }
    snprintf(list_id, 24, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    params[0] = email;
    res = ctl_exec(c,
                   "SELECT id, registered_at IS NOT NULL FROM contact "
                   "WHERE lower(email) = lower($1)",
                   1, params, NULL, NULL);
    if (!res)
        return 1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return ctl_fail(c, "no contact with email \"%s\"", email);
    }
    snprintf(contact_id, 24, "%s", PQgetvalue(res, 0, 0));
    if (registered)
        *registered = PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    return 0;
}

/*
 * Queue the "set your password" email with a fresh one-time link, inside
 * the caller's transaction: portal_invite() stores the token's hash
 * (cancelling older unused links) and writes the outbox row.  The expiry
 * goes to expires (may be NULL).  Returns 0, or 1 when printed.
 */
int ctl_portal_invite(struct ctl *c, const char *contact_id, char expires[64])
{
    char token[DK_TOKEN_LEN + 1], days[8];
    const char *params[5];
    PGresult *res;

    dk_token_new(token);
    snprintf(days, sizeof(days), "%d", REGISTER_LINK_DAYS);
    params[0] = contact_id;
    params[1] = token;
    params[2] = c->cfg.portal.base_url;
    params[3] = c->cfg.portal.title;
    params[4] = days;
    res = ctl_exec(c,
                   "SELECT to_char(portal_invite($1::bigint, $2, $3, $4, "
                   "$5::int) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"')",
                   5, params, NULL, NULL);
    sodium_memzero(token, sizeof(token));
    if (!res)
        return 1;
    if (expires)
        snprintf(expires, 64, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

int ctl_list_add_member(struct ctl *c, int argc, char **argv)
{
    char *pos[2], list_id[24], contact_id[24];
    const char *params[2] = {list_id, contact_id};
    bool registered = false;
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], NULL, pos, 2, NULL, NULL);

    if (n < 0)
        return 2;
    if (n < 2)
        return ctl_fail(c, "missing %s\nusage: %s", n ? "EMAIL" : "LIST",
                        argv[0]);
    if (!ctl_db(c) || ctl_begin(c))
        return 1;
    if (find_ids(c, pos[0], pos[1], list_id, contact_id, &registered))
        goto fail;
    res = ctl_exec(c,
                   "INSERT INTO list_member (list_id, contact_id) "
                   "VALUES ($1::bigint, $2::bigint) ON CONFLICT DO NOTHING "
                   "RETURNING 1",
                   2, params, NULL, NULL);
    if (!res)
        goto fail;
    n = PQntuples(res);
    PQclear(res);
    if (n == 0) {
        ctl_rollback(c);
        printf("%s is already a member of \"%s\"\n", pos[1], pos[0]);
        return 0;
    }
    res = ctl_exec(c,
                   "SELECT lower($1) = lower(name) FROM list "
                   "WHERE id = $2::bigint",
                   2, (const char *[]){c->cfg.portal.access_list, list_id},
                   NULL, NULL);
    if (!res)
        goto fail;
    n = PQntuples(res) && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (n && !registered && ctl_portal_invite(c, contact_id, NULL))
        goto fail;
    if (ctl_commit(c))
        return 1;
    if (n && !registered)
        printf("added %s to \"%s\"; registration email queued\n", pos[1],
               pos[0]);
    return 0;
fail:
    ctl_rollback(c);
    return 1;
}

int ctl_list_remove_member(struct ctl *c, int argc, char **argv)
{
    char *pos[2], list_id[24], contact_id[24];
    const char *params[3] = {list_id, contact_id, c->cfg.portal.access_list};
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], NULL, pos, 2, NULL, NULL);

    if (n < 0)
        return 2;
    if (n < 2)
        return ctl_fail(c, "missing %s\nusage: %s", n ? "EMAIL" : "LIST",
                        argv[0]);
    if (!ctl_db(c) || ctl_begin(c))
        return 1;
    if (find_ids(c, pos[0], pos[1], list_id, contact_id, NULL))
        goto fail;
    res = ctl_exec(c,
                   "DELETE FROM list_member WHERE list_id = $1::bigint "
                   "AND contact_id = $2::bigint RETURNING 1",
                   2, params, NULL, NULL);
    if (!res)
        goto fail;
    n = PQntuples(res);
    PQclear(res);
    if (n == 0) {
        ctl_rollback(c);
        return ctl_fail(c, "%s is not a member of \"%s\"", pos[1], pos[0]);
    }
    /* Leaving the access list ends the contact's portal sessions and
     * cancels their unused links (and a registration email not yet sent). */
    res = ctl_exec(c,
                   "SELECT session_end(p_contact => $2::bigint), "
                   "contact_tokens_cancel($2::bigint) FROM list "
                   "WHERE id = $1::bigint AND lower(name) = lower($3)",
                   3, params, NULL, NULL);
    if (!res)
        goto fail;
    PQclear(res);
    return ctl_commit(c);
fail:
    ctl_rollback(c);
    return 1;
}

int ctl_list_members(struct ctl *c, int argc, char **argv)
{
    static const char *const headers[] = {"EMAIL", "NAME", "COMPANY",
                                          "REGISTERED"};
    char *pos[1];
    const char *params[1];
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], NULL, pos, 1, NULL, NULL);

    if (n < 0)
        return 2;
    if (n < 1)
        return ctl_fail(c, "missing LIST\nusage: %s", argv[0]);
    params[0] = pos[0];
    res = ctl_exec(c, "SELECT 1 FROM list WHERE lower(name) = lower($1)", 1,
                   params, NULL, NULL);
    if (!res)
        return 1;
    n = PQntuples(res);
    PQclear(res);
    if (n == 0)
        return ctl_fail(c, "no list named \"%s\"", pos[0]);
    return ctl_print_query(
        c, headers,
        "SELECT t.email, t.first_name || ' ' || t.last_name, "
        "coalesce(co.name, '-'), "
        "CASE WHEN t.registered_at IS NULL THEN 'no' "
        "ELSE 'yes' END "
        "FROM list l JOIN list_member m ON m.list_id = l.id "
        "JOIN contact t ON t.id = m.contact_id "
        "LEFT JOIN company co ON co.id = t.company_id "
        "WHERE lower(l.name) = lower($1) ORDER BY lower(t.email)",
        1, params);
}
