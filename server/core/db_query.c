/*
 * db_query.c - building a query (its SQL and text parameters) and reading
 * a result's status: the part of the pool that needs no connection, so
 * that tests and the dispatch fuzzer use the real thing.
 */
#include "db_query.h"
#include "dk_log.h"
#include "dk_mem.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct db_query *db_query_new(const char *sql, int nparams)
{
    struct db_query *q = dk_xcalloc(1, sizeof(*q));

    q->sql = dk_xstrdup(sql);
    q->nparams = nparams;
    q->params = dk_xcalloc((size_t)(nparams ? nparams : 1), sizeof(char *));
    return q;
}

void db_query_prepared(struct db_query *q)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (const char *p = q->sql; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    q->prepared = true;
    q->hash = h;
}

/* A wrong index is a bug in the caller, not bad input: stop at once
 * rather than write past the array. */
static void check_index(const struct db_query *q, int i)
{
    if (i < 0 || i >= q->nparams) {
        dk_log(DK_LOG_ERROR, "parameter %d of a query with %d: %s", i + 1,
               q->nparams, q->sql);
        abort();
    }
}

void db_param(struct db_query *q, int i, const char *s)
{
    check_index(q, i);
    free(q->params[i]);
    q->params[i] = s ? dk_xstrdup(s) : NULL;
}

void db_param_ll(struct db_query *q, int i, long long v)
{
    check_index(q, i);
    free(q->params[i]);
    q->params[i] = dk_xasprintf("%lld", v);
}

void db_param_bool(struct db_query *q, int i, bool v)
{
    db_param(q, i, v ? "true" : "false");
}

void db_param_bin(struct db_query *q, int i, const void *data, size_t len)
{
    check_index(q, i);
    if (len > INT_MAX) {
        dk_log(DK_LOG_ERROR, "binary parameter %d of %zu bytes", i + 1, len);
        abort();
    }
    if (!q->lengths) {
        q->lengths = dk_xcalloc((size_t)q->nparams, sizeof(int));
        q->formats = dk_xcalloc((size_t)q->nparams, sizeof(int));
    }
    free(q->params[i]);
    /* One byte more, so that an empty value is not NULL (SQL NULL). */
    q->params[i] = dk_xmalloc(len + 1);
    if (len)
        memcpy(q->params[i], data, len);
    q->lengths[i] = (int)len;
    q->formats[i] = 1;
}

void db_query_free(struct db_query *q)
{
    if (!q)
        return;
    for (int i = 0; i < q->nparams; i++)
        free(q->params[i]);
    free(q->params);
    free(q->lengths);
    free(q->formats);
    free(q->sql);
    free(q);
}

const char *db_sqlstate(const PGresult *res)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    return s ? s : "";
}

bool db_ok(const PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}
