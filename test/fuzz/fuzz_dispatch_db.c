/*
 * fuzz_dispatch_db.c - the one stand-in fuzz_dispatch needs: the database
 * pool (server/core/db.c), since the harness has no PostgreSQL.
 * Everything else it runs is docketd's own code.
 *
 * Each query is first checked for what PostgreSQL would refuse (no SQL, a
 * $n with no parameter or a parameter no $n uses, text that is not UTF-8,
 * prepared texts that depend on the input), then fails at once or is
 * answered with NULL (connection lost) later, from the harness's loop, as
 * the real pool would.  Nothing here may hide a bug: where the real
 * function relies on something, the stand-in checks it and abort()s.
 */
#include "db.h"
#include "db_query.h"
#include "dk_err.h"
#include "dk_mem.h"
#include "dk_text.h"
#include "fuzz_dispatch_db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 32
/* tickets.c makes 24 view texts and one per ticket write; more means some
 * SQL text depends on the request, and each connection would prepare
 * statements without bound. */
#define MAX_PREPARED 64

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("fuzz_dispatch: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

struct db {
    int size; /* only to tell pools apart when debugging */
};

static unsigned char script;
static unsigned nsubmits;
static struct db_query *pending_head, *pending_tail; /* lost: answer NULL */
static char *prepared[MAX_PREPARED];                 /* owned: texts seen */

void fuzz_db_script(unsigned char bits)
{
    script = bits;
    nsubmits = 0;
}

static void remember_prepared(const char *sql)
{
    int i;

    for (i = 0; i < MAX_PREPARED && prepared[i]; i++)
        if (strcmp(prepared[i], sql) == 0)
            return;
    if (i == MAX_PREPARED)
        fuzz_fail("more than %d prepared statement texts: SQL depends on "
                  "input",
                  MAX_PREPARED);
    prepared[i] = dk_xstrdup(sql);
}

/* What PostgreSQL would refuse before running anything: PQsendQueryParams
 * with a $n beyond nparams, a parameter whose type it cannot infer because
 * nothing uses it, or text that is not UTF-8 (22021).  A parameter is a C
 * string, so a NUL cannot arrive here as such, only as a value cut short:
 * that is rpc_param_str()'s check to make (a seed has "\u0000"). */
static void check_query(const struct db_query *q)
{
    bool used[MAX_PARAMS] = {false};
    const char *p;
    char *end;

    if (!*q->sql)
        fuzz_fail("empty SQL");
    if (q->nparams < 0 || q->nparams > MAX_PARAMS)
        fuzz_fail("a query with %d parameters", q->nparams);
    for (p = q->sql; (p = strchr(p, '$'));) {
        long n;
        p++;
        if (*p < '0' || *p > '9')
            continue;
        n = strtol(p, &end, 10);
        if (n < 1 || n > q->nparams)
            fuzz_fail("$%ld in a query with %d parameters: %s", n, q->nparams,
                      q->sql);
        used[n - 1] = true;
        p = end;
    }
    for (int i = 0; i < q->nparams; i++) {
        if (!used[i])
            fuzz_fail("parameter $%d is never used: %s", i + 1, q->sql);
        /* Binary ones (db_param_bin) are bytes, not text. */
        if (q->params[i] && !(q->formats && q->formats[i]) &&
            !dk_utf8_valid(q->params[i], strlen(q->params[i])))
            fuzz_fail("parameter $%d is not UTF-8: %s", i + 1, q->sql);
    }
    if (q->prepared)
        remember_prepared(q->sql);
}

int db_submit(struct db *db, struct db_query *q, db_query_cb cb, void *arg)
{
    bool lost = (script >> (nsubmits++ % 8)) & 1;

    if (!db || !q || !cb)
        fuzz_fail("db_submit() without a pool, a query or a callback");
    check_query(q);
    if (!lost) {
        db_query_free(q);
        return DK_EUNAVAIL;
    }
    q->cb = cb;
    q->arg = arg;
    q->next = NULL;
    if (pending_tail)
        pending_tail->next = q;
    else
        pending_head = q;
    pending_tail = q;
    return 0;
}

bool fuzz_db_answer(void)
{
    bool any = pending_head != NULL;

    /* In order; a callback may submit more, answered in this call too. */
    while (pending_head) {
        struct db_query *q = pending_head;
        pending_head = q->next;
        if (!pending_head)
            pending_tail = NULL;
        q->cb(q, NULL, q->arg);
        db_query_free(q);
    }
    return any;
}

/* The pools never come up: the feed never learns its head, so
 * events.subscribe answers 5003 once its parameter has been checked. */
struct db *db_new(uv_loop_t *loop, const char *conninfo, int size)
{
    struct db *db = dk_xcalloc(1, sizeof(*db));

    db->size = size;
    return db;
}

void db_set_state_cb(struct db *db, void (*cb)(bool up, void *arg), void *arg)
{
}

void db_set_name(struct db *db, const char *name)
{
}

void db_reconnect(struct db *db, const char *why)
{
}

void db_set_notify_cb(struct db *db,
                      void (*cb)(const char *channel, const char *payload,
                                 void *arg),
                      void *arg)
{
}

void db_replan(struct db *db)
{
}

void db_stats(const struct db *db, int *up, int *size, size_t *queued)
{
    *up = 0;
    *size = db->size;
    *queued = 0;
}

void db_close(struct db *db, void (*done_cb)(void *arg), void *arg)
{
    done_cb(arg);
}

void db_free(struct db *db)
{
    free(db);
}
