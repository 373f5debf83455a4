/*
 * db.c - the connection pool.  Each struct db_conn is one PGconn in
 * nonblocking mode and one uv_poll_t (heap-allocated, freed in its close
 * callback, replaced whenever PQsocket() changes).  The textbook loop:
 * PQsendQueryParams, PQflush until 0 (watching for writable while it says
 * 1), then on readable PQconsumeInput and PQgetResult until NULL.  The
 * poll handle is closed before PQfinish(), so libuv never watches a
 * closed descriptor.
 */
#include "db.h"
#include "db_query.h"
#include "dk_err.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_pgenc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 10000 /* libpq's connect_timeout is not async */
#define BACKOFF_MIN_MS     100
#define BACKOFF_MAX_MS     5000
#define POOL_MAX           100  /* database.pool_size's bound */
#define PROBE_MS           2000 /* an idle session is asked how its server is */
#define SQLSTATE_READ_ONLY "25006" /* a write in a read-only transaction */
#define SQLSTATE_NO_STMT   "26000" /* no such prepared statement */
#define SQLSTATE_DUP_STMT  "42P05" /* that prepared statement exists */

enum dbc_state { DBC_DOWN, DBC_CONNECTING, DBC_IDLE, DBC_BUSY };

struct db_conn {
    struct db *db; /* borrowed: the pool owns us */
    int index;
    PGconn *pg;      /* owned: PQfinish() in conn_drop() */
    uv_poll_t *poll; /* owned: freed in poll_closed_cb() */
    int fd;
    int events;
    enum dbc_state state;
    struct db_query *q; /* in flight, owned until its callback */
    PGresult *last;     /* owned: the latest result of q */
    bool preparing;     /* q's PQsendPrepare is in flight */
    bool discarding;    /* DISCARD PLANS is in flight, q after it */
    unsigned plan_gen;  /* db->plan_gen when its plans were last dropped */
    uint64_t *stmts;    /* owned: statements prepared on this session */
    size_t nstmts;
    /* Initialised when the slot is first used: times a connect, the
     * back-off before the next, and the probes of an idle session. */
    uv_timer_t retry;
    bool inited;
    unsigned backoff_ms;
};

struct db {
    uv_loop_t *loop;
    char *conninfo;
    char name[16];         /* in log lines: which pool */
    int size, up;          /* slots at and past size are retired */
    int used;              /* slots ever started: their timers exist */
    struct db_conn *conns; /* POOL_MAX slots, so db_resize() never moves
                              a handle */
    struct db_query *head, *tail;
    size_t queued;
    unsigned plan_gen; /* db_replan() calls: sessions behind it replan */
    bool closing;
    int open_handles;
    void (*done_cb)(void *arg);
    void *done_arg;
    void (*state_cb)(bool up, void *arg);
    void *state_arg;
    void (*notify_cb)(const char *channel, const char *payload, void *arg);
    void *notify_arg;
};

static void conn_start(struct db_conn *dc);
static void conn_drop(struct db_conn *dc, const char *why);
static void conn_poll_cb(uv_poll_t *h, int status, int events);
static void pump(struct db *db);
static void send_query(struct db_conn *dc, struct db_query *q);

static bool is_prepared(const struct db_conn *dc, uint64_t h)
{
    for (size_t i = 0; i < dc->nstmts; i++)
        if (dc->stmts[i] == h)
            return true;
    return false;
}

static void finish(struct db_query *q, PGresult *res)
{
    q->cb(q, res, q->arg);
    if (res)
        PQclear(res);
    db_query_free(q);
}

/* Fail every queued query: nothing is coming up to run them soon. */
static void fail_queue(struct db *db)
{
    while (db->head) {
        struct db_query *q = db->head;
        db->head = q->next;
        db->queued--;
        finish(q, NULL);
    }
    db->tail = NULL;
}

static void poll_closed_cb(uv_handle_t *h)
{
    struct db *db = h->data;

    free(h);
    if (--db->open_handles == 0 && db->closing && db->done_cb)
        db->done_cb(db->done_arg);
}

static void close_poll(struct db_conn *dc)
{
    if (!dc->poll)
        return;
    dc->poll->data = dc->db;
    uv_close((uv_handle_t *)dc->poll, poll_closed_cb);
    dc->poll = NULL;
    dc->fd = -1;
    dc->events = 0;
}

/* Watch PQsocket() for events, replacing the handle if the fd moved. */
static int watch(struct db_conn *dc, int events)
{
    int fd = PQsocket(dc->pg);

    if (fd < 0)
        return -1;
    if (dc->poll && dc->fd != fd)
        close_poll(dc);
    if (!dc->poll) {
        dc->poll = dk_xmalloc(sizeof(*dc->poll));
        if (uv_poll_init(dc->db->loop, dc->poll, fd) != 0) {
            free(dc->poll);
            dc->poll = NULL;
            return -1;
        }
        dc->db->open_handles++;
        dc->poll->data = dc;
        dc->fd = fd;
        dc->events = 0;
    }
    if (dc->events != events) {
        uv_poll_start(dc->poll, events, conn_poll_cb);
        dc->events = events;
    }
    return 0;
}

static void probe_done(struct db_query *q, PGresult *res, void *arg)
{
    (void)q, (void)res, (void)arg;
}

/* The one timer of a connection: a connect that takes too long, the
 * back-off before the next attempt, or (while it is up) the probe. */
static void retry_cb(uv_timer_t *t)
{
    struct db_conn *dc = t->data;

    if (dc->state == DBC_CONNECTING) {
        conn_drop(dc, "timed out connecting");
    } else if (dc->state == DBC_IDLE) {
        /* A server that is fenced (default_transaction_read_only) or
         * restarted as a standby says so in a ParameterStatus, but only
         * with the answer to its session's next command: a session that
         * only LISTENs would never hear it.  So an idle one asks. */
        struct db_query *q = db_query_new("SELECT 1", 0);
        q->cb = probe_done;
        q->arg = NULL;
        send_query(dc, q);
    } else if (dc->state == DBC_DOWN && !dc->db->closing &&
               dc->index < dc->db->size) {
        conn_start(dc);
    }
}

/*
 * Why this session cannot write, from what the server reported (PostgreSQL
 * 14 and later report both at connect time and whenever they change), or
 * NULL.  docketd writes on every pool, so such a session is of no use:
 * after a failover the old primary may come back as a standby, or be
 * fenced read-only, while the new one is elsewhere in database.conninfo.
 */
static const char *read_only_why(PGconn *pg)
{
    const char *v = PQparameterStatus(pg, "in_hot_standby");

    if (v && strcmp(v, "on") == 0)
        return "the server is a standby (in_hot_standby is on)";
    v = PQparameterStatus(pg, "default_transaction_read_only");
    if (v && strcmp(v, "on") == 0)
        return "the server is read-only (default_transaction_read_only is "
               "on)";
    return NULL;
}

/* The connection is gone: fail its query, schedule a reconnect. */
static void conn_drop(struct db_conn *dc, const char *why)
{
    struct db *db = dc->db;
    bool was_up = dc->state == DBC_IDLE || dc->state == DBC_BUSY;
    struct db_query *q = dc->q;

    /* Closed on purpose (shutting down, pool shrunk): not a problem. */
    if (was_up && (db->closing || dc->index >= db->size))
        dk_log(DK_LOG_INFO, "database connection %s/%d closed: %s", db->name,
               dc->index, why);
    else if (was_up)
        dk_log(DK_LOG_WARN, "database connection %s/%d lost: %s", db->name,
               dc->index, why);
    else if (dc->index < db->size &&
             (dc->backoff_ms >= BACKOFF_MAX_MS || dc->backoff_ms == 0))
        dk_log(DK_LOG_WARN, "could not connect to database (%s/%d): %s",
               db->name, dc->index, why);
    close_poll(dc);
    if (dc->pg) {
        PQfinish(dc->pg);
        dc->pg = NULL;
    }
    if (dc->last) {
        PQclear(dc->last);
        dc->last = NULL;
    }
    dc->q = NULL;
    dc->preparing = false;
    dc->discarding = false;
    /* A new session has no prepared statements, and no plans to drop. */
    dc->plan_gen = db->plan_gen;
    free(dc->stmts);
    dc->stmts = NULL;
    dc->nstmts = 0;
    dc->state = DBC_DOWN;
    if (was_up && --db->up == 0) {
        fail_queue(db);
        if (db->state_cb)
            db->state_cb(false, db->state_arg);
    }
    if (q)
        finish(q, NULL);
    uv_timer_stop(&dc->retry); /* no more probes */
    if (db->closing || dc->index >= db->size)
        return; /* db_close() closes the retry timer; retired: stay down */
    dc->backoff_ms = dc->backoff_ms ? dc->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (dc->backoff_ms > BACKOFF_MAX_MS)
        dc->backoff_ms = BACKOFF_MAX_MS;
    uv_timer_start(&dc->retry, retry_cb, dc->backoff_ms, 0);
}

/* libpq's message on one line: with several hosts it has one line per
 * host tried, and the last one is often the one that matters.  Its hints
 * (lines that start with a tab) are left out. */
static const char *pq_error(PGconn *pg, char *buf, size_t size)
{
    const char *m = pg ? PQerrorMessage(pg) : "out of memory";
    size_t n = 0;

    while (*m && n + 3 < size) {
        size_t len = strcspn(m, "\n");
        if (*m != '\t') {
            if (n)
                buf[n++] = ';', buf[n++] = ' ';
            if (len > size - n - 1)
                len = size - n - 1;
            memcpy(buf + n, m, len);
            n += len;
        }
        m += strcspn(m, "\n");
        if (*m)
            m++;
    }
    buf[n] = '\0';
    return buf;
}

static void connect_step(struct db_conn *dc)
{
    char buf[512];
    PostgresPollingStatusType st;

    /* PQconnectPoll may close its socket and open another (the next host
     * or address, an SSL fallback), often with the same number: the old
     * watch is void then, so each step gets a fresh one. */
    close_poll(dc);
    st = PQconnectPoll(dc->pg);
    switch (st) {
    case PGRES_POLLING_READING:
        if (watch(dc, UV_READABLE) < 0)
            conn_drop(dc, "no socket");
        return;
    case PGRES_POLLING_WRITING:
        if (watch(dc, UV_WRITABLE) < 0)
            conn_drop(dc, "no socket");
        return;
    case PGRES_POLLING_OK:
        if (PQsetnonblocking(dc->pg, 1) != 0 || watch(dc, UV_READABLE) < 0) {
            conn_drop(dc, pq_error(dc->pg, buf, sizeof(buf)));
            return;
        }
        /* Text goes from the rows into JSON and HTML as it comes. */
        if (dk_pgenc_why(PQparameterStatus(dc->pg, "server_encoding"),
                         PQparameterStatus(dc->pg, "client_encoding"), buf,
                         sizeof(buf))) {
            conn_drop(dc, buf);
            return;
        }
        /* Without target_session_attrs=read-write libpq takes a standby
         * too; a failed connect keeps the back-off growing. */
        if (read_only_why(dc->pg)) {
            snprintf(buf, sizeof(buf),
                     "%s; give database.conninfo every host and "
                     "target_session_attrs=read-write",
                     read_only_why(dc->pg));
            conn_drop(dc, buf);
            return;
        }
        dc->state = DBC_IDLE;
        dc->backoff_ms = 0;
        uv_timer_start(&dc->retry, retry_cb, PROBE_MS, PROBE_MS);
        if (dc->db->up++ == 0) {
            dk_log(DK_LOG_INFO, "database connected");
            if (dc->db->state_cb)
                dc->db->state_cb(true, dc->db->state_arg);
        }
        pump(dc->db);
        return;
    default:
        conn_drop(dc, pq_error(dc->pg, buf, sizeof(buf)));
        return;
    }
}

/* What the server says outside any result (a WARNING as it shuts down, a
 * synchronous commit whose wait was cut short) goes to the log, one line,
 * instead of libpq's bare stderr. */
static void notice_cb(void *arg, const char *message)
{
    struct db_conn *dc = arg;
    char buf[512];
    size_t n = 0;

    for (const char *p = message; *p && n + 3 < sizeof(buf); p++) {
        if (*p != '\n')
            buf[n++] = *p;
        else if (p[1])
            buf[n++] = ';', buf[n++] = ' ';
    }
    buf[n] = '\0';
    dk_log(strncmp(message, "WARNING", 7) == 0 ? DK_LOG_WARN : DK_LOG_INFO,
           "database connection %s/%d: %s", dc->db->name, dc->index, buf);
}

static void conn_start(struct db_conn *dc)
{
    const char *values[] = {dc->db->conninfo, DK_PGENC_CLIENT, NULL};
    char buf[512];

    dc->pg = PQconnectStartParams(dk_pgenc_keywords, values, 1);
    if (!dc->pg || PQstatus(dc->pg) == CONNECTION_BAD) {
        conn_drop(dc, pq_error(dc->pg, buf, sizeof(buf)));
        return;
    }
    PQsetNoticeProcessor(dc->pg, notice_cb, dc);
    dc->state = DBC_CONNECTING;
    uv_timer_start(&dc->retry, retry_cb, CONNECT_TIMEOUT_MS, 0);
    connect_step(dc);
}

/* Send q on an idle connection. */
static void send_query(struct db_conn *dc, struct db_query *q)
{
    char buf[256], name[24];
    int rc, ok;

    dc->q = q;
    dc->state = DBC_BUSY;
    snprintf(name, sizeof(name), "dk_%016llx", (unsigned long long)q->hash);
    if (dc->plan_gen != dc->db->plan_gen) {
        /* Drop the session's cached plans first (its statements stay
         * prepared); read_results() then sends q. */
        dc->plan_gen = dc->db->plan_gen;
        dc->discarding = true;
        ok = PQsendQuery(dc->pg, "DISCARD PLANS");
    } else if (q->prepared && !is_prepared(dc, q->hash)) {
        /* Prepare first; read_results() then sends the execution. */
        dc->preparing = true;
        ok = PQsendPrepare(dc->pg, name, q->sql, q->nparams, NULL);
    } else if (q->prepared) {
        ok = PQsendQueryPrepared(dc->pg, name, q->nparams,
                                 (const char *const *)q->params, q->lengths,
                                 q->formats, 0);
    } else if (q->nparams == 0) {
        /* Without parameters, the simple protocol: it allows several
         * statements (LISTEN a; LISTEN b) in one round trip. */
        ok = PQsendQuery(dc->pg, q->sql);
    } else {
        ok = PQsendQueryParams(dc->pg, q->sql, q->nparams, NULL,
                               (const char *const *)q->params, q->lengths,
                               q->formats, 0);
    }
    if (!ok) {
        conn_drop(dc, pq_error(dc->pg, buf, sizeof(buf)));
        return;
    }
    rc = PQflush(dc->pg);
    if (rc < 0)
        conn_drop(dc, pq_error(dc->pg, buf, sizeof(buf)));
    else if (watch(dc, UV_READABLE | (rc ? UV_WRITABLE : 0)) < 0)
        conn_drop(dc, "no socket");
}

/* Hand queued queries to idle connections. */
static void pump(struct db *db)
{
    for (int i = 0; i < db->size && db->head; i++) {
        struct db_conn *dc = &db->conns[i];
        struct db_query *q;
        if (dc->state != DBC_IDLE)
            continue;
        q = db->head;
        db->head = q->next;
        if (!db->head)
            db->tail = NULL;
        db->queued--;
        q->next = NULL;
        send_query(dc, q);
    }
}

static void read_results(struct db_conn *dc)
{
    char buf[512];
    const char *why;
    PGresult *res;
    bool read_only = false;
    const char *pooled = NULL;

    if (!PQconsumeInput(dc->pg)) {
        conn_drop(dc, pq_error(dc->pg, buf, sizeof(buf)));
        return;
    }
    while (dc->q && !PQisBusy(dc->pg)) {
        res = PQgetResult(dc->pg);
        if (res) {
            if (dc->last)
                PQclear(dc->last);
            dc->last = res;
            continue;
        }
        /* NULL: the query is complete. */
        struct db_query *q = dc->q;
        PGresult *last = dc->last;
        dc->q = NULL;
        dc->last = NULL;
        dc->state = DBC_IDLE;
        /* Statements we prepared went away, or ours met another client's:
         * the session is not ours alone, so a pooler in transaction mode
         * is in front, and LISTEN and the feed's lock are not ours either. */
        if (q->prepared && (strcmp(db_sqlstate(last), SQLSTATE_NO_STMT) == 0 ||
                            strcmp(db_sqlstate(last), SQLSTATE_DUP_STMT) == 0))
            pooled = db_sqlstate(last)[0] == '2' ? SQLSTATE_NO_STMT
                                                 : SQLSTATE_DUP_STMT;
        if (dc->discarding) {
            dc->discarding = false;
            if (!db_ok(last))
                dk_log(DK_LOG_WARN,
                       "database connection %s/%d: DISCARD "
                       "PLANS failed: %s",
                       dc->db->name, dc->index,
                       last ? PQresultErrorField(last, PG_DIAG_MESSAGE_PRIMARY)
                            : "no result");
            if (last)
                PQclear(last);
            send_query(dc, q);
            if (dc->state == DBC_DOWN)
                return;
            continue;
        }
        if (dc->preparing) {
            dc->preparing = false;
            if (db_ok(last)) {
                PQclear(last);
                dc->stmts = dk_xrealloc(dc->stmts,
                                        (dc->nstmts + 1) * sizeof(*dc->stmts));
                dc->stmts[dc->nstmts++] = q->hash;
                send_query(dc, q); /* prepared: now execute it */
                if (dc->state == DBC_DOWN)
                    return;
                continue;
            }
        }
        /* The server is no longer the primary (fenced, or a standby
         * after all): this session cannot write, and another host may. */
        if (strcmp(db_sqlstate(last), SQLSTATE_READ_ONLY) == 0)
            read_only = true;
        finish(q, last);
    }
    /* A callback may have lost the connection already. */
    if (dc->state == DBC_DOWN || !dc->pg)
        return;
    if (dc->state == DBC_IDLE && dc->index >= dc->db->size) {
        conn_drop(dc, "pool shrunk");
        return;
    }
    if (PQstatus(dc->pg) == CONNECTION_BAD) {
        conn_drop(dc, pq_error(dc->pg, buf, sizeof(buf)));
        return;
    }
    if (pooled && !dc->q) {
        dk_log(DK_LOG_ERROR,
               "database connection %s/%d: a prepared statement %s (SQLSTATE "
               "%s): the session is shared, so a pooler in transaction or "
               "statement mode is in front (pgbouncer pool_mode = "
               "transaction?); docketd needs session pooling or its own "
               "connections: its prepared statements, LISTEN and the feed's "
               "advisory lock live in the session",
               dc->db->name, dc->index,
               pooled[0] == '2' ? "vanished" : "already existed", pooled);
        conn_drop(dc, "the session is shared (see above)");
        return;
    }
    why = read_only_why(dc->pg);
    if ((read_only || why) && !dc->q) {
        snprintf(buf, sizeof(buf),
                 "%s: it is no longer the primary; reconnecting to find "
                 "the one that is",
                 why ? why : "a write failed in a read-only transaction");
        conn_drop(dc, buf);
        return;
    }
    /* LISTEN wake-ups arrive whether or not a query is in flight. */
    {
        PGnotify *n;
        while ((n = PQnotifies(dc->pg)) != NULL) {
            if (dc->db->notify_cb)
                dc->db->notify_cb(n->relname, n->extra, dc->db->notify_arg);
            PQfreemem(n);
        }
    }
}

static void conn_poll_cb(uv_poll_t *h, int status, int events)
{
    struct db_conn *dc = h->data;
    struct db *db = dc->db;
    char buf[512];

    if (status < 0 && dc->state == DBC_CONNECTING) {
        /* Trying the hosts of a list, libpq closes one socket and opens
         * the next between our steps: the poll's error (EBADF) may be the
         * old socket's.  PQconnectPoll() knows what really happened. */
        connect_step(dc);
        return;
    }
    if (status < 0) {
        /* libpq may have closed the socket under the watch: its own
         * words say more than the poll's EBADF. */
        if (dc->pg && PQstatus(dc->pg) == CONNECTION_BAD)
            conn_drop(dc, pq_error(dc->pg, buf, sizeof(buf)));
        else
            conn_drop(dc, uv_strerror(status));
        return;
    }
    if (dc->state == DBC_CONNECTING) {
        connect_step(dc);
        return;
    }
    if (events & UV_WRITABLE) {
        int rc = PQflush(dc->pg);
        if (rc < 0) {
            conn_drop(dc, pq_error(dc->pg, buf, sizeof(buf)));
            return;
        }
        if (rc == 0 && watch(dc, UV_READABLE) < 0) {
            conn_drop(dc, "no socket");
            return;
        }
    }
    if (events & UV_READABLE) {
        read_results(dc);
        if (dc->state == DBC_DOWN)
            return;
    }
    if (dc->state == DBC_IDLE)
        pump(db);
}

int db_submit(struct db *db, struct db_query *q, db_query_cb cb, void *arg)
{
    if (db->closing || db->up == 0) {
        db_query_free(q);
        return DK_EUNAVAIL;
    }
    q->cb = cb;
    q->arg = arg;
    q->next = NULL;
    if (db->tail)
        db->tail->next = q;
    else
        db->head = q;
    db->tail = q;
    db->queued++;
    pump(db);
    return 0;
}

struct db *db_new(uv_loop_t *loop, const char *conninfo, int size)
{
    struct db *db = dk_xcalloc(1, sizeof(*db));

    db->loop = loop;
    db->conninfo = dk_xstrdup(conninfo);
    db->conns = dk_xcalloc(POOL_MAX, sizeof(*db->conns));
    snprintf(db->name, sizeof(db->name), "main");
    db_resize(db, size);
    return db;
}

void db_set_name(struct db *db, const char *name)
{
    snprintf(db->name, sizeof(db->name), "%s", name);
}

void db_reconnect(struct db *db, const char *why)
{
    for (int i = 0; i < db->size; i++) {
        struct db_conn *dc = &db->conns[i];
        if (dc->state != DBC_IDLE && dc->state != DBC_BUSY)
            continue;
        /* Whatever failed may fail again at once: not every 100 ms. */
        dc->backoff_ms = BACKOFF_MAX_MS / 2;
        conn_drop(dc, why);
    }
}

void db_resize(struct db *db, int size)
{
    if (size < 1)
        size = 1;
    if (size > POOL_MAX)
        size = POOL_MAX;
    if (db->closing || size == db->size)
        return;
    if (size > db->size) {
        int from = db->size;
        db->size = size;
        for (int i = from; i < size; i++) {
            struct db_conn *dc = &db->conns[i];
            if (!dc->inited) {
                dc->db = db;
                dc->index = i;
                dc->fd = -1;
                uv_timer_init(db->loop, &dc->retry);
                dc->retry.data = dc;
                dc->inited = true;
                db->used = i + 1;
            }
            if (dc->state == DBC_DOWN) {
                uv_timer_stop(&dc->retry);
                dc->backoff_ms = 0;
                conn_start(dc);
            }
        }
        pump(db);
        return;
    }
    /* Shrink: idle and unconnected slots go now, busy ones once their
     * query is answered (read_results()). */
    db->size = size;
    for (int i = size; i < db->used; i++) {
        struct db_conn *dc = &db->conns[i];
        uv_timer_stop(&dc->retry);
        if (dc->state == DBC_IDLE || dc->state == DBC_CONNECTING)
            conn_drop(dc, "pool shrunk");
    }
}

static void timer_closed_cb(uv_handle_t *h)
{
    struct db *db = ((struct db_conn *)h->data)->db;

    if (--db->open_handles == 0 && db->done_cb)
        db->done_cb(db->done_arg);
}

void db_close(struct db *db, void (*done_cb)(void *arg), void *arg)
{
    db->closing = true;
    db->done_cb = done_cb;
    db->done_arg = arg;
    fail_queue(db);
    for (int i = 0; i < db->used; i++) {
        struct db_conn *dc = &db->conns[i];
        if (dc->pg)
            conn_drop(dc, "shutting down");
        db->open_handles++;
        dc->retry.data = dc;
        uv_close((uv_handle_t *)&dc->retry, timer_closed_cb);
    }
}

void db_replan(struct db *db)
{
    db->plan_gen++;
}

void db_free(struct db *db)
{
    if (!db)
        return;
    for (int i = 0; i < db->used; i++)
        free(db->conns[i].stmts);
    free(db->conns);
    free(db->conninfo);
    free(db);
}

void db_stats(const struct db *db, int *up, int *size, size_t *queued)
{
    *up = db->up;
    *size = db->size;
    *queued = db->queued;
}

void db_set_state_cb(struct db *db, void (*cb)(bool up, void *arg), void *arg)
{
    db->state_cb = cb;
    db->state_arg = arg;
}

void db_set_notify_cb(struct db *db,
                      void (*cb)(const char *channel, const char *payload,
                                 void *arg),
                      void *arg)
{
    db->notify_cb = cb;
    db->notify_arg = arg;
}
