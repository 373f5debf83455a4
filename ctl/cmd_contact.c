/*
 * cmd_contact.c - docketctl contact add | import | invite.  Import is all or
 * nothing: every row is checked (each insert under its own savepoint, so
 * one bad row does not hide the next), every problem is reported with its
 * line number, and the transaction commits only if there were none.
 */
#include "ctl.h"
#include "dk_csv.h"
#include "dk_mem.h"
#include "dk_text.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMPORT_MAX_BYTES (64u * 1024 * 1024)

/*
 * docketctl contact invite EMAIL: a fresh portal registration link for an
 * existing contact (a lost or expired one), older unused links cancelled.
 * With portal.access "list" only a member of the access list is invited:
 * the link would not let anyone else in.
 */
int ctl_contact_invite(struct ctl *c, int argc, char **argv)
{
    char *pos[1], id[24], expires[64];
    const char *params[2];
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], NULL, pos, 1, NULL, NULL);

    if (n < 0)
        return 2;
    if (n < 1)
        return ctl_fail(c, "missing EMAIL\nusage: %s", argv[0]);
    if (!ctl_db(c) || ctl_begin(c))
        return 1;
    params[0] = pos[0];
    params[1] = c->cfg.portal.access_list;
    res = ctl_exec(c,
                   "SELECT c.id, EXISTS (SELECT 1 FROM list_member m "
                   "  JOIN list l ON l.id = m.list_id "
                   "  WHERE m.contact_id = c.id AND lower(l.name) = lower($2)) "
                   "FROM contact c WHERE lower(c.email) = lower($1) FOR UPDATE",
                   2, params, NULL, NULL);
    if (!res)
        goto fail;
    if (PQntuples(res) == 0) {
        PQclear(res);
        ctl_rollback(c);
        return ctl_fail(c, "no contact with email \"%s\"", pos[0]);
    }
    snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
    n = PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    if (c->cfg.portal.access == DK_ACCESS_LIST && !n) {
        ctl_rollback(c);
        return ctl_fail(c,
                        "%s is not a member of \"%s\", the portal's access "
                        "list (portal.access: list); add them with docketctl "
                        "list add-member",
                        pos[0], c->cfg.portal.access_list);
    }
    if (ctl_portal_invite(c, id, expires))
        goto fail;
    if (ctl_commit(c))
        return 1;
    printf("registration email queued for %s (the link works until %s)\n",
           pos[0], expires);
    return 0;
fail:
    ctl_rollback(c);
    return 1;
}

static const char *check_text(const char *what, const char *s, size_t max,
                              char *msg, size_t size)
{
    if (!dk_utf8_valid(s, strlen(s)))
        snprintf(msg, size, "%s is not UTF-8 text", what);
    else if (strlen(s) > max)
        snprintf(msg, size, "%s is longer than %zu bytes", what, max);
    else
        return NULL;
    return msg;
}

int ctl_contact_insert(struct ctl *c, const struct ctl_contact *ct, char *msg,
                       size_t size)
{
    char state[6], constraint[64];
    const char *params[6];
    PGresult *res;

    if (!dk_email_valid(ct->email)) {
        snprintf(msg, size, "email \"%s\" is not an address", ct->email);
        return 1;
    }
    if (!ct->first || !*ct->first) {
        snprintf(msg, size, "first name is required");
        return 1;
    }
    if (!ct->last || !*ct->last) {
        snprintf(msg, size, "last name is required");
        return 1;
    }
    if (check_text("first name", ct->first, 100, msg, size) ||
        check_text("last name", ct->last, 100, msg, size) ||
        (ct->title && check_text("title", ct->title, 200, msg, size)) ||
        (ct->phone && check_text("phone", ct->phone, 50, msg, size)))
        return 1;
    if (ct->company && *ct->company) {
        params[0] = ct->company;
        res = ctl_exec(c, "SELECT 1 FROM company WHERE lower(name) = lower($1)",
                       1, params, state, NULL);
        if (!res) {
            snprintf(msg, size, "could not look up company (SQLSTATE %s)",
                     state);
            return 1;
        }
        if (PQntuples(res) == 0) {
            PQclear(res);
            snprintf(msg, size,
                     "company \"%s\" does not exist (add it with docketctl "
                     "company add)",
                     ct->company);
            return 1;
        }
        PQclear(res);
    }
    params[0] = ct->email;
    params[1] = ct->first;
    params[2] = ct->last;
    params[3] = ct->title && *ct->title ? ct->title : NULL;
    params[4] = ct->phone && *ct->phone ? ct->phone : NULL;
    params[5] = ct->company && *ct->company ? ct->company : NULL;
    res = ctl_exec(c,
                   "INSERT INTO contact (email, first_name, last_name, title, "
                   "phone, company_id) "
                   "SELECT $1, $2, $3, $4, $5, "
                   "  (SELECT id FROM company WHERE lower(name) = lower($6))",
                   6, params, state, constraint);
    if (!res) {
        if (!strcmp(constraint, "contact_email_key"))
            snprintf(msg, size, "a contact with email \"%s\" already exists",
                     ct->email);
        else
            snprintf(msg, size, "could not add contact \"%s\" (SQLSTATE %s)",
                     ct->email, state);
        return 1;
    }
    PQclear(res);
    return 0;
}

static int contact_opt(struct ctl *c, int opt, const char *val, void *arg)
{
    struct ctl_contact *ct = arg;

    switch (opt) {
    case 'f':
        ct->first = val;
        break;
    case 'l':
        ct->last = val;
        break;
    case 't':
        ct->title = val;
        break;
    case 'p':
        ct->phone = val;
        break;
    case 'c':
        ct->company = val;
        break;
    }
    return 0;
}

int ctl_contact_add(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"first", required_argument, NULL, 'f'},
        {"last", required_argument, NULL, 'l'},
        {"title", required_argument, NULL, 't'},
        {"phone", required_argument, NULL, 'p'},
        {"company", required_argument, NULL, 'c'},
        {0}};
    struct ctl_contact ct = {0};
    char *pos[1], msg[512];
    int n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 1, contact_opt, &ct);

    if (n < 0)
        return 2;
    if (n < 1)
        return ctl_fail(c, "missing EMAIL\nusage: %s", argv[0]);
    ct.email = pos[0];
    if (!ct.first)
        return ctl_fail(c, "--first is required");
    if (!ct.last)
        return ctl_fail(c, "--last is required");
    if (!ctl_db(c))
        return 1;
    if (ctl_contact_insert(c, &ct, msg, sizeof(msg)))
        return ctl_fail(c, "%s", msg);
    return 0;
}

static char *read_file(struct ctl *c, const char *path, size_t *len)
{
    FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    size_t cap = 65536, n;
    char *buf;

    if (!fp) {
        ctl_fail(c, "could not open \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    buf = dk_xmalloc(cap);
    *len = 0;
    while ((n = fread(buf + *len, 1, cap - *len, fp)) > 0) {
        *len += n;
        if (*len > IMPORT_MAX_BYTES) {
            ctl_fail(c, "\"%s\" is larger than %u bytes", path,
                     IMPORT_MAX_BYTES);
            goto fail;
        }
        if (*len == cap)
            buf = dk_xrealloc(buf, cap *= 2);
    }
    if (ferror(fp)) {
        ctl_fail(c, "could not read \"%s\": %s", path, strerror(errno));
        goto fail;
    }
    if (fp != stdin)
        fclose(fp);
    return buf;
fail:
    if (fp != stdin)
        fclose(fp);
    free(buf);
    return NULL;
}

enum {
    COL_EMAIL,
    COL_FIRST,
    COL_LAST,
    COL_TITLE,
    COL_PHONE,
    COL_COMPANY,
    NCOLS
};
static const char *const column_names[NCOLS] = {"email", "first", "last",
                                                "title", "phone", "company"};

/* Map header fields to columns; returns 0 or 1 (printed). */
static int read_header(struct ctl *c, struct dk_csv *csv, int *col,
                       const char *path)
{
    unsigned line;
    struct dk_err err;
    int rc = dk_csv_next(csv, &line, &err);

    if (rc < 0)
        return ctl_fail(c, "%s: %s", path, err.msg);
    if (rc == 0)
        return ctl_fail(c,
                        "%s: empty file: the first line must be the header "
                        "email,first,last,title,phone,company",
                        path);
    for (int k = 0; k < NCOLS; k++)
        col[k] = -1;
    for (size_t i = 0; i < csv->nfields; i++) {
        char *name = dk_trim(csv->fields[i]);
        int k;
        for (k = 0; k < NCOLS; k++)
            if (!strcasecmp(name, column_names[k]))
                break;
        if (k == NCOLS)
            return ctl_fail(
                c,
                "%s: line %u: unknown column \"%s\" (expected email, "
                "first, last, title, phone, company)",
                path, line, name);
        if (col[k] >= 0)
            return ctl_fail(c, "%s: line %u: column \"%s\" appears twice", path,
                            line, name);
        col[k] = (int)i;
    }
    for (int k = COL_EMAIL; k <= COL_LAST; k++)
        if (col[k] < 0)
            return ctl_fail(c, "%s: line %u: the header has no \"%s\" column",
                            path, line, column_names[k]);
    return 0;
}

int ctl_contact_import(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{0}};
    char *pos[1], *data, msg[512];
    struct dk_csv csv;
    struct dk_err err;
    int col[NCOLS], rc, errors = 0, imported = 0;
    size_t len, ncols_header;
    unsigned line;
    PGresult *res;

    rc = ctl_getopt(c, argc, argv, argv[0], opts, pos, 1, NULL, NULL);
    if (rc < 0)
        return 2;
    if (rc < 1)
        return ctl_fail(c, "missing FILE.csv\nusage: %s", argv[0]);
    if (!ctl_db(c) || !(data = read_file(c, pos[0], &len)))
        return 1;
    dk_csv_init(&csv, data, len);
    if (read_header(c, &csv, col, pos[0])) {
        dk_csv_cleanup(&csv);
        free(data);
        return 1;
    }
    ncols_header = csv.nfields;
    if (ctl_begin(c)) {
        dk_csv_cleanup(&csv);
        free(data);
        return 1;
    }
    while ((rc = dk_csv_next(&csv, &line, &err)) > 0) {
        struct ctl_contact ct;
        if (csv.nfields != ncols_header) {
            ctl_fail(c, "%s: line %u: expected %zu fields, found %zu", pos[0],
                     line, ncols_header, csv.nfields);
            errors++;
            continue;
        }
        ct.email = dk_trim(csv.fields[col[COL_EMAIL]]);
        ct.first = dk_trim(csv.fields[col[COL_FIRST]]);
        ct.last = dk_trim(csv.fields[col[COL_LAST]]);
        ct.title =
            col[COL_TITLE] >= 0 ? dk_trim(csv.fields[col[COL_TITLE]]) : NULL;
        ct.phone =
            col[COL_PHONE] >= 0 ? dk_trim(csv.fields[col[COL_PHONE]]) : NULL;
        ct.company = col[COL_COMPANY] >= 0
                         ? dk_trim(csv.fields[col[COL_COMPANY]])
                         : NULL;
        if (!(res = ctl_exec(c, "SAVEPOINT row", 0, NULL, NULL, NULL)))
            break;
        PQclear(res);
        if (ctl_contact_insert(c, &ct, msg, sizeof(msg))) {
            ctl_fail(c, "%s: line %u: %s", pos[0], line, msg);
            errors++;
            res = ctl_exec(c, "ROLLBACK TO SAVEPOINT row", 0, NULL, NULL, NULL);
        } else {
            imported++;
            res = ctl_exec(c, "RELEASE SAVEPOINT row", 0, NULL, NULL, NULL);
        }
        if (!res)
            break;
        PQclear(res);
    }
    if (rc < 0) {
        ctl_fail(c, "%s: %s", pos[0], err.msg);
        errors++;
    } else if (rc > 0) {
        errors++; /* a savepoint failed: the database said why */
    }
    dk_csv_cleanup(&csv);
    free(data);
    if (errors) {
        ctl_rollback(c);
        return ctl_fail(c, "nothing imported: %d problem%s in \"%s\"", errors,
                        errors == 1 ? "" : "s", pos[0]);
    }
    if (ctl_commit(c))
        return 1;
    printf("imported %d contact%s\n", imported, imported == 1 ? "" : "s");
    return 0;
}
