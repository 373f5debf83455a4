/*
 * ctl.h - what every docketctl subcommand shares: the loaded
 * configuration, one synchronous database connection, and uniform error
 * reporting ("docketctl: contact add: ..." on stderr, exit status 1).
 * docketctl is a short-lived admin tool, so blocking libpq is right here.
 */
#ifndef CTL_H
#define CTL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "dk_config.h"

struct ctl {
    const char *cmd;         /* "contact add": names the command in errors */
    const char *config_path; /* borrowed from argv or the environment */
    struct dk_config cfg;
    PGconn *pg; /* owned: PQfinish() in main() */
};

struct ctl_cmd {
    const char *name;
    const char *sub; /* NULL for a command without subcommands; words
                      * apart by spaces: "key add" */
    int (*run)(struct ctl *c, int argc, char **argv);
    const char *usage;
    /* The exit status when the command cannot even start (its options,
     * the configuration, libsodium): 1, but mail-in's is 75
     * (EX_TEMPFAIL): the MTA keeps the message and retries, where any
     * other status would bounce a client's mail for a typo of ours. */
    int cannot_start;
};

/* Print "docketctl: CMD: message" to stderr; returns 1, the exit status. */
int ctl_fail(struct ctl *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Connect on first use; NULL (message printed) if that fails. */
PGconn *ctl_db(struct ctl *c);

/*
 * Run sql with text parameters (NULL entries are SQL NULL).  Returns the
 * result when it succeeded; otherwise NULL, with the failed result's
 * SQLSTATE and constraint copied to state/constraint (either may be NULL)
 * for the caller to explain, or the server's message printed when the
 * caller passes state == NULL.
 */
PGresult *ctl_exec(struct ctl *c, const char *sql, int nparams,
                   const char *const *params, char state[6],
                   char constraint[64]);

/* BEGIN / COMMIT / ROLLBACK; the first two return 0 or 1 (printed). */
int ctl_begin(struct ctl *c);
int ctl_commit(struct ctl *c);
void ctl_rollback(struct ctl *c);

/*
 * Parse options with getopt_long; positional arguments are collected in
 * pos (at most npos_max).  Returns the count of positionals, or -1 after
 * printing the problem.  handle(c, opt, optarg, arg) is called for each
 * option and returns 0 or 1 (already printed).
 */
struct option;
int ctl_getopt(struct ctl *c, int argc, char **argv, const char *usage,
               const struct option *longopts, char **pos, int npos_max,
               int (*handle)(struct ctl *c, int opt, const char *val,
                             void *arg),
               void *arg);

/*
 * Read a password from stdin (one line, newline dropped), or prompt twice
 * without echo when stdin is a terminal and prompt is true.  Returns a
 * heap string or NULL (printed).
 */
char *ctl_read_password(struct ctl *c, bool prompt);

/* Read all of stdin (at most max bytes) as UTF-8 text; NULL if printed. */
char *ctl_read_stdin(struct ctl *c, const char *what, size_t max);

/*
 * Run sql and print its rows as an aligned table under headers (one per
 * column), measuring UTF-8 text by characters, not bytes.  Returns 0, or 1
 * when the query failed (printed).
 */
int ctl_print_query(struct ctl *c, const char *const *headers, const char *sql,
                    int nparams, const char *const *params);

/*
 * The schema, embedded at build time by cmake/schema.cmake (schema_sql.c):
 * migration N takes a database from version N - 1 to N.
 */
struct ctl_migration {
    int version;      /* the version it brings the database to */
    const char *name; /* "0002_portal.sql" */
    const char *sql;
};
extern const int dk_schema_version;               /* from schema/version.sql */
extern const char *const dk_schema_sql;           /* schema.sql, expanded */
extern const char *const dk_schema_functions_sql; /* schema/functions/ */
extern const struct ctl_migration dk_schema_migrations[]; /* in order */
extern const size_t dk_schema_nmigrations;

int ctl_migrate(struct ctl *c, int argc, char **argv);
int ctl_staff_add(struct ctl *c, int argc, char **argv);
int ctl_staff_list(struct ctl *c, int argc, char **argv);
int ctl_staff_disable(struct ctl *c, int argc, char **argv);
int ctl_staff_enable(struct ctl *c, int argc, char **argv);
int ctl_staff_set(struct ctl *c, int argc, char **argv);
int ctl_staff_passwd(struct ctl *c, int argc, char **argv);
int ctl_staff_key_add(struct ctl *c, int argc, char **argv);
int ctl_staff_key_list(struct ctl *c, int argc, char **argv);
int ctl_staff_key_remove(struct ctl *c, int argc, char **argv);
int ctl_ssh_authorized_keys(struct ctl *c, int argc, char **argv);
int ctl_company_add(struct ctl *c, int argc, char **argv);
int ctl_company_list(struct ctl *c, int argc, char **argv);
int ctl_contact_add(struct ctl *c, int argc, char **argv);
int ctl_contact_import(struct ctl *c, int argc, char **argv);
int ctl_list_add_member(struct ctl *c, int argc, char **argv);
int ctl_list_remove_member(struct ctl *c, int argc, char **argv);
int ctl_list_members(struct ctl *c, int argc, char **argv);
int ctl_ticket_create(struct ctl *c, int argc, char **argv);
int ctl_demo_data(struct ctl *c, int argc, char **argv);
int ctl_template_add(struct ctl *c, int argc, char **argv);
int ctl_mail_in(struct ctl *c, int argc, char **argv);
int ctl_workflow_add(struct ctl *c, int argc, char **argv);
int ctl_workflow_enroll(struct ctl *c, int argc, char **argv);
int ctl_contact_invite(struct ctl *c, int argc, char **argv);

/*
 * Queue the portal registration email for contact_id with a fresh link
 * (portal_invite(), schema/functions/portal.sql) inside the caller's
 * transaction; its expiry, as text, goes to expires unless NULL.  Returns 0,
 * or 1 when printed.
 */
int ctl_portal_invite(struct ctl *c, const char *contact_id, char expires[64]);

/* Shared by contact add and contact import: one contact, validated. */
struct ctl_contact {
    const char *email, *first, *last, *title, *phone, *company;
};
/*
 * Check ct and insert it inside the caller's transaction.  Returns 0, or
 * 1 with the problem written to msg (prefix-free, e.g. "email \"x\" is not
 * an address").
 */
int ctl_contact_insert(struct ctl *c, const struct ctl_contact *ct, char *msg,
                       size_t msgsize);

/*
 * Add contact_id to list_id inside the caller's transaction, queueing the
 * portal registration email when the list is the portal access list.
 */
int ctl_list_add(struct ctl *c, const char *list, const char *email);

#endif
