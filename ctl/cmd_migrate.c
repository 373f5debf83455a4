/*
 * cmd_migrate.c - docketctl migrate: create the schema in an empty
 * database or upgrade an older one, all in one transaction, serialised by
 * an advisory lock so that two migrations at once cannot interleave.
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Upgrade steps: upgrades[i] takes version i + 1 to version i + 2.  Empty
 * while schema.sql is at version 1; a new version appends its step here
 * and brings schema.sql (for new databases) to the same state.
 */
static const char *const upgrades[] = {NULL};
#define NUPGRADES 0

static const long long MIGRATE_LOCK = 0x646f636b6574LL; /* "docket" */

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

    if (version > CTL_SCHEMA_VERSION) {
        ctl_rollback(c);
        return ctl_fail(c,
                        "the database schema is version %d, newer than this "
                        "docketctl knows (%d): upgrade Docket instead",
                        version, CTL_SCHEMA_VERSION);
    }
    if (version == CTL_SCHEMA_VERSION) {
        ctl_rollback(c);
        printf("schema is up to date (version %d)\n", version);
        return 0;
    }
    if (version == 0) {
        res = ctl_exec(c, dk_schema_sql, 0, NULL, NULL, NULL);
        if (!res)
            goto fail;
        PQclear(res);
    } else {
        for (int v = version; v < CTL_SCHEMA_VERSION; v++) {
            char next[16];
            const char *p[1] = {next};
            if (v - 1 >= NUPGRADES || !upgrades[v - 1]) {
                ctl_rollback(c);
                return ctl_fail(c, "no upgrade from schema version %d", v);
            }
            res = ctl_exec(c, upgrades[v - 1], 0, NULL, NULL, NULL);
            if (!res)
                goto fail;
            PQclear(res);
            snprintf(next, sizeof(next), "%d", v + 1);
            res = ctl_exec(c,
                           "INSERT INTO schema_version (version) "
                           "VALUES ($1::int)",
                           1, p, NULL, NULL);
            if (!res)
                goto fail;
            PQclear(res);
        }
    }
    if (ctl_commit(c))
        return 1;
    if (version == 0)
        printf("schema created (version %d)\n", CTL_SCHEMA_VERSION);
    else
        printf("schema upgraded from version %d to %d\n", version,
               CTL_SCHEMA_VERSION);
    return 0;
fail:
    ctl_rollback(c);
    return 1;
}
