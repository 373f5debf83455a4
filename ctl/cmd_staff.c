/*
 * cmd_staff.c - docketctl staff add | list | set | disable | enable |
 * passwd.
 */
#include "ctl.h"
#include "dk_roles.h"
#include "dk_mem.h"
#include "dk_secret.h"
#include "dk_text.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct staff_opts {
    const char *name, *email, *roles, *unix_user;
    bool password_stdin, no_unix_user;
};

static int staff_opt(struct ctl *c, int opt, const char *val, void *arg)
{
    struct staff_opts *o = arg;

    switch (opt) {
    case 'n':
        o->name = val;
        break;
    case 'e':
        o->email = val;
        break;
    case 'r':
        o->roles = val;
        break;
    case 'u':
        o->unix_user = val;
        break;
    case 'p':
        o->password_stdin = true;
        break;
    case 'U':
        o->no_unix_user = true;
        break;
    }
    return 0;
}

/*
 * Turn "content,graphics" into the array literal {content,graphics},
 * checking each role and dropping repeats.  Returns 0 or 1 (printed).
 */
static int parse_roles(struct ctl *c, const char *list, char *out, size_t size)
{
    char *copy = dk_xstrdup(list), *save = NULL;
    unsigned seen = 0;
    size_t len = 0;
    int n = 0;

    out[len++] = '{';
    for (char *r = strtok_r(copy, ",", &save); r;
         r = strtok_r(NULL, ",", &save)) {
        unsigned bit;
        char all[64];
        dk_trim(r);
        bit = dk_role_parse(r);
        if (!bit) {
            ctl_fail(c, "role \"%s\" is not one of %s", r,
                     dk_role_list(~0u, ", ", all, sizeof(all)));
            free(copy);
            return 1;
        }
        if (seen & bit)
            continue;
        seen |= bit;
        len +=
            (size_t)snprintf(out + len, size - len, "%s%s", n++ ? "," : "", r);
    }
    free(copy);
    if (n == 0)
        return ctl_fail(c, "--role needs at least one role");
    snprintf(out + len, size - len, "}");
    return 0;
}

static bool unix_user_valid(const char *s)
{
    if (!*s || strlen(s) > 32 || !((*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

int ctl_staff_add(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"email", required_argument, NULL, 'e'},
        {"role", required_argument, NULL, 'r'},
        {"roles", required_argument, NULL, 'r'},
        {"unix-user", required_argument, NULL, 'u'},
        {"password-stdin", no_argument, NULL, 'p'},
        {0}};
    struct staff_opts o = {0};
    char *pos[1], roles[128], hash[DK_PASS_HASH_MAX], *pw = NULL;
    char state[6], constraint[64];
    const char *params[6];
    PGresult *res;
    int n;

    n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 1, staff_opt, &o);
    if (n < 0)
        return 2;
    if (n < 1)
        return ctl_fail(c, "missing USERNAME\nusage: %s", argv[0]);
    if (!dk_username_valid(pos[0]))
        return ctl_fail(c,
                        "username \"%s\" must be 1 to 32 of a-z, 0-9, '.', "
                        "'_', '-', starting with a letter",
                        pos[0]);
    if (!o.name || !*dk_trim((char *)o.name))
        return ctl_fail(c, "--name is required");
    if (!dk_utf8_valid(o.name, strlen(o.name)))
        return ctl_fail(c, "name is not UTF-8 text");
    if (!o.email)
        return ctl_fail(c, "--email is required");
    if (!dk_email_valid(o.email))
        return ctl_fail(c, "email \"%s\" is not an address", o.email);
    if (!o.roles)
        return ctl_fail(c, "--role is required (content, graphics, "
                           "coordinator, admin)");
    if (parse_roles(c, o.roles, roles, sizeof(roles)))
        return 1;
    if (o.unix_user && !unix_user_valid(o.unix_user))
        return ctl_fail(c, "\"%s\" is not a Unix user name", o.unix_user);
    if (!ctl_db(c))
        return 1;
    if (o.password_stdin) {
        if (!(pw = ctl_read_password(c, false)))
            return 1;
        if (dk_pass_hash(pw, hash) != 0) {
            free(pw);
            return ctl_fail(c, "could not hash the password: out of memory");
        }
        free(pw);
    }

    params[0] = pos[0];
    params[1] = o.name;
    params[2] = o.email;
    params[3] = roles;
    params[4] = o.password_stdin ? hash : NULL;
    params[5] = o.unix_user;
    res = ctl_exec(c,
                   "INSERT INTO staff (username, name, email, roles, "
                   "password_hash, unix_user) "
                   "VALUES ($1, $2, $3, $4::text[], $5, $6)",
                   6, params, state, constraint);
    if (!res) {
        if (!strcmp(constraint, "staff_username_key"))
            return ctl_fail(c, "staff member \"%s\" already exists", pos[0]);
        if (!strcmp(constraint, "staff_unix_user_key"))
            return ctl_fail(c,
                            "Unix user \"%s\" is already mapped to another "
                            "staff member",
                            o.unix_user);
        return ctl_fail(c, "could not add staff member \"%s\" (SQLSTATE %s)",
                        pos[0], state);
    }
    PQclear(res);
    return 0;
}

int ctl_staff_list(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{0}};
    static const char *const headers[] = {"USERNAME", "NAME",      "EMAIL",
                                          "ROLES",    "UNIX USER", "ACTIVE"};
    char *pos[1];

    if (ctl_getopt(c, argc, argv, argv[0], opts, pos, 0, NULL, NULL) < 0)
        return 2;
    return ctl_print_query(c, headers,
                           "SELECT username, name, email, "
                           "array_to_string(roles, ','), "
                           "coalesce(unix_user, '-'), "
                           "CASE WHEN active THEN 'yes' ELSE 'no' END "
                           "FROM staff ORDER BY username",
                           0, NULL);
}

int ctl_staff_disable(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{0}};
    char *pos[1];
    const char *params[1];
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 1, NULL, NULL);

    if (n < 0)
        return 2;
    if (n < 1)
        return ctl_fail(c, "missing USERNAME\nusage: %s", argv[0]);
    params[0] = pos[0];
    if (ctl_begin(c))
        return 1;
    /* The trigger staff_disabled ends the sessions in the same statement
     * (session_end()): no window where a disabled member could still act. */
    res = ctl_exec(c, "UPDATE staff SET active = false WHERE username = $1", 1,
                   params, NULL, NULL);
    if (!res)
        goto fail;
    PQclear(res);
    res = ctl_exec(c, "SELECT 1 FROM staff WHERE username = $1", 1, params,
                   NULL, NULL);
    if (!res)
        goto fail;
    if (PQntuples(res) == 0) {
        PQclear(res);
        ctl_rollback(c);
        return ctl_fail(c, "no staff member \"%s\"", pos[0]);
    }
    PQclear(res);
    return ctl_commit(c);
fail:
    ctl_rollback(c);
    return 1;
}

/* Look USERNAME up; 0 with its id, or 1 (printed) when there is none. */
static int staff_id(struct ctl *c, const char *username, char *id, size_t size)
{
    const char *params[1] = {username};
    PGresult *res = ctl_exec(c, "SELECT id FROM staff WHERE username = $1", 1,
                             params, NULL, NULL);

    if (!res)
        return 1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return ctl_fail(c, "no staff member \"%s\"", username);
    }
    snprintf(id, size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static int passwd_opt(struct ctl *c, int opt, const char *val, void *arg)
{
    *(bool *)arg = true;
    return 0;
}

int ctl_staff_passwd(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"password-stdin", no_argument, NULL, 'p'}, {0}};
    char *pos[1], *pw, hash[DK_PASS_HASH_MAX], id[24];
    const char *params[2];
    bool from_stdin = false;
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 1, passwd_opt,
                       &from_stdin);

    if (n < 0)
        return 2;
    if (n < 1)
        return ctl_fail(c, "missing USERNAME\nusage: %s", argv[0]);
    if (staff_id(c, pos[0], id, sizeof(id)))
        return 1;
    params[0] = id;
    if (!(pw = ctl_read_password(c, !from_stdin)))
        return 1;
    if (dk_pass_hash(pw, hash) != 0) {
        free(pw);
        return ctl_fail(c, "could not hash the password: out of memory");
    }
    free(pw);
    params[1] = hash;
    if (ctl_begin(c))
        return 1;
    res = ctl_exec(c, "UPDATE staff SET password_hash = $2 WHERE id = $1", 2,
                   params, NULL, NULL);
    if (!res)
        goto fail;
    PQclear(res);
    /* Whoever knew the old password may hold a session made with it: every
     * session ends in the same transaction, and live connections on every
     * docketd are told at commit (NOTIFY docket_staff). */
    res = ctl_exec(c, "SELECT session_end(p_staff => $1::bigint)", 1, params,
                   NULL, NULL);
    if (!res)
        goto fail;
    PQclear(res);
    return ctl_commit(c);
fail:
    ctl_rollback(c);
    return 1;
}

int ctl_staff_enable(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{0}};
    const char *params[1];
    char *pos[1], id[24];
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 1, NULL, NULL);

    if (n < 0)
        return 2;
    if (n < 1)
        return ctl_fail(c, "missing USERNAME\nusage: %s", argv[0]);
    if (staff_id(c, pos[0], id, sizeof(id)))
        return 1;
    params[0] = id;
    res = ctl_exec(c, "UPDATE staff SET active = true WHERE id = $1", 1, params,
                   NULL, NULL);
    if (!res)
        return 1;
    PQclear(res);
    return 0;
}

int ctl_staff_set(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"email", required_argument, NULL, 'e'},
        {"role", required_argument, NULL, 'r'},
        {"roles", required_argument, NULL, 'r'},
        {"unix-user", required_argument, NULL, 'u'},
        {"no-unix-user", no_argument, NULL, 'U'},
        {0}};
    struct staff_opts o = {0};
    char *pos[1], roles[128], id[24], state[6], constraint[64];
    const char *params[6];
    PGresult *res;
    int n;

    n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 1, staff_opt, &o);
    if (n < 0)
        return 2;
    if (n < 1)
        return ctl_fail(c, "missing USERNAME\nusage: %s", argv[0]);
    if (!o.name && !o.email && !o.roles && !o.unix_user && !o.no_unix_user)
        return ctl_fail(c, "nothing to change: give --name, --email, --role, "
                           "--unix-user or --no-unix-user");
    if (o.unix_user && o.no_unix_user)
        return ctl_fail(c, "--unix-user and --no-unix-user contradict");
    if (o.name &&
        (!*dk_trim((char *)o.name) || !dk_utf8_valid(o.name, strlen(o.name))))
        return ctl_fail(c, "--name must be UTF-8 text, not empty");
    if (o.email && !dk_email_valid(o.email))
        return ctl_fail(c, "email \"%s\" is not an address", o.email);
    if (o.roles && parse_roles(c, o.roles, roles, sizeof(roles)))
        return 1;
    if (o.unix_user && !unix_user_valid(o.unix_user))
        return ctl_fail(c, "\"%s\" is not a Unix user name", o.unix_user);
    if (ctl_begin(c))
        return 1;
    if (staff_id(c, pos[0], id, sizeof(id)))
        goto fail;
    params[0] = id;
    params[1] = o.name;
    params[2] = o.email;
    params[3] = o.roles ? roles : NULL;
    params[4] = o.unix_user;
    params[5] = o.no_unix_user ? "true" : "false";
    res = ctl_exec(c,
                   "UPDATE staff SET name = coalesce($2, name),"
                   " email = coalesce($3, email),"
                   " roles = coalesce($4::text[], roles),"
                   " unix_user = CASE WHEN $6::boolean THEN NULL"
                   "                  ELSE coalesce($5, unix_user) END"
                   " WHERE id = $1",
                   6, params, state, constraint);
    if (!res) {
        ctl_rollback(c);
        if (!strcmp(constraint, "staff_unix_user_key"))
            return ctl_fail(c,
                            "Unix user \"%s\" is already mapped to another "
                            "staff member",
                            o.unix_user);
        return ctl_fail(c, "could not change \"%s\" (SQLSTATE %s)", pos[0],
                        state);
    }
    PQclear(res);
    /* New roles, or another Unix user behind the socket: sessions made
     * under the old ones end now, on every docketd (docket signs in
     * again by itself), rather than keep rights the member lost. */
    if (o.roles || o.unix_user || o.no_unix_user) {
        res = ctl_exec(c, "SELECT session_end(p_staff => $1::bigint)", 1,
                       params, NULL, NULL);
        if (!res)
            goto fail;
        PQclear(res);
    }
    return ctl_commit(c);
fail:
    ctl_rollback(c);
    return 1;
}
