/*
 * cmd_migrate.c - docketctl migrate: create the schema in an empty
 * database, or bring an older one up with each numbered migration in turn,
 * then re-create the functions (every run, so a release that changes only
 * functions is applied too); all in one transaction, serialised by an
 * advisory lock so that two migrations at once cannot interleave.  The SQL
 * is what the build embedded from schema.sql and schema/ (ctl.h).
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const long long MIGRATE_LOCK = 0x646f636b6574LL; /* "docket" */

/* Run one embedded script; 0, or 1 with what failed named (printed). */
static int run_sql(struct ctl *c, const char *what, const char *sql)
{
    PGresult *res = PQexec(c->pg, sql);
    ExecStatusType st = PQresultStatus(res);
    const char *msg;
    int rc = 0;

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        if (!msg)
            msg = PQerrorMessage(c->pg);
        rc = ctl_fail(c, "%s failed: %.*s", what, (int)strcspn(msg, "\n"), msg);
    }
    PQclear(res);
    return rc;
}

/* Apply migrations from version + 1 to dk_schema_version, recording each. */
static int upgrade(struct ctl *c, int version)
{
    char next[16], what[128];
    const char *params[1] = {next};
    PGresult *res;

    for (int v = version + 1; v <= dk_schema_version; v++) {
        const struct ctl_migration *m = NULL;
        for (size_t i = 0; i < dk_schema_nmigrations; i++)
            if (dk_schema_migrations[i].version == v)
                m = &dk_schema_migrations[i];
        if (!m)
            return ctl_fail(c, "no migration to schema version %d", v);
        snprintf(what, sizeof(what), "migration %s", m->name);
        if (run_sql(c, what, m->sql))
            return 1;
        snprintf(next, sizeof(next), "%d", v);
        res =
            ctl_exec(c, "INSERT INTO schema_version (version) VALUES ($1::int)",
                     1, params, NULL, NULL);
        if (!res)
            return 1;
        PQclear(res);
    }
    return 0;
}

int ctl_migrate(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{0}};
    char *pos[1];
    char lock[32];
    const char *params[1] = {lock};
    PGresult *res;
    int version = 0;

    if (ctl_getopt(c, argc, argv, argv[0], opts, pos, 0, NULL, NULL) < 0)
        return 2;
    if (!ctl_db(c) || ctl_begin(c))
        return 1;
    snprintf(lock, sizeof(lock), "%lld", MIGRATE_LOCK);
    res = ctl_exec(c, "SELECT pg_advisory_xact_lock($1::bigint)", 1, params,
                   NULL, NULL);
    if (!res)
        goto fail;
    PQclear(res);

    res = ctl_exec(c,
                   "SELECT to_regclass('schema_version') IS NOT NULL, "
                   "(SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                   "   ON n.oid = c.relnamespace "
                   " WHERE n.nspname = current_schema() AND c.relkind = 'r')",
                   0, NULL, NULL, NULL);
    if (!res)
        goto fail;
    if (PQgetvalue(res, 0, 0)[0] == 't') {
        PQclear(res);
        res = ctl_exec(c, "SELECT max(version) FROM schema_version", 0, NULL,
                       NULL, NULL);
        if (!res)
            goto fail;
        version = atoi(PQgetvalue(res, 0, 0));
        PQclear(res);
    } else if (atoi(PQgetvalue(res, 0, 1)) > 0) {
        PQclear(res);
        ctl_rollback(c);
        return ctl_fail(c, "the database has tables but no schema_version: "
                           "it is not a Docket database");
    } else {
        PQclear(res);
    }

    if (version > dk_schema_version) {
        ctl_rollback(c);
        return ctl_fail(c,
                        "the database schema is version %d, newer than this "
                        "docketctl knows (%d): upgrade Docket instead",
                        version, dk_schema_version);
    }
    if (version == 0) {
        if (run_sql(c, "creating the schema", dk_schema_sql))
            goto fail;
    } else {
        /* Migrations first: the functions may use what they add. */
        if (upgrade(c, version) ||
            run_sql(c, "re-creating the functions", dk_schema_functions_sql))
            goto fail;
    }
    if (ctl_commit(c))
        return 1;
    if (version == 0)
        printf("schema created (version %d)\n", dk_schema_version);
    else if (version == dk_schema_version)
        printf("schema is up to date (version %d); functions re-created\n",
               version);
    else
        printf("schema upgraded from version %d to %d; functions "
               "re-created\n",
               version, dk_schema_version);
    return 0;
fail:
    ctl_rollback(c);
    return 1;
}
