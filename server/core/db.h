/*
 * db.h - a pool of nonblocking libpq connections driven by libuv.  Queries
 * queue until a connection is idle; each connection is watched by one
 * uv_poll_t on PQsocket().  A lost connection fails its query and
 * reconnects with back-off; while no connection is up, submissions fail
 * at once so that clients hear "database unavailable" quickly.
 */
#ifndef DB_H
#define DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct db;
struct db_query;

/*
 * Called exactly once per submitted query: res is the query's last result
 * (an error result carries its SQLSTATE), or NULL when the connection was
 * lost or the pool went down before an answer came.  res is PQclear()ed
 * and q freed after the callback returns.
 */
typedef void (*db_query_cb)(struct db_query *q, PGresult *res, void *arg);

/* Make a query with nparams text parameters, all NULL (SQL NULL) for now. */
struct db_query *db_query_new(const char *sql, int nparams);
/* Set parameter i to a copy of s (NULL for SQL NULL). */
void db_param(struct db_query *q, int i, const char *s);
void db_param_ll(struct db_query *q, int i, long long v);
void db_param_bool(struct db_query *q, int i, bool v);
/* Set parameter i to a copy of len bytes sent in binary (for bytea: file
 * contents go as they are, not hex-encoded at twice their size). */
void db_param_bin(struct db_query *q, int i, const void *data, size_t len);
/*
 * Run q as a named prepared statement: each connection prepares its SQL
 * once, then only binds and executes it, saving the planning.  For hot
 * read queries whose text repeats (the views); their generic plans must
 * be good ones (test/integration/schema_views.sh checks the views').
 */
void db_query_prepared(struct db_query *q);

/* Free a query that was never submitted. */
void db_query_free(struct db_query *q);

/*
 * Run q on the pool.  Returns 0 and later calls cb(q, res, arg) once; or
 * DK_EUNAVAIL when no connection is up (q is freed, cb never runs).
 */
int db_submit(struct db *db, struct db_query *q, db_query_cb cb, void *arg);

/* New pool of size connections to conninfo; connecting starts at once. */
struct db *db_new(uv_loop_t *loop, const char *conninfo, int size);
/* Keep size connections from now on (a reload): new ones connect at once;
 * surplus ones close when idle, so no query is cut short. */
void db_resize(struct db *db, int size);
/*
 * Stop: fail queued queries, wait for those in flight, close every
 * connection; done_cb runs when the last handle is closed.
 */
void db_close(struct db *db, void (*done_cb)(void *arg), void *arg);

/* Name the pool in its log lines ("feed/0 lost: ..."); "main" if unset.
 * Call before the loop runs: the first connects have started. */
void db_set_name(struct db *db, const char *name);

/*
 * Close every connection of the pool, failing the queries in flight (cb
 * with NULL), and connect again after a few seconds: for a session that
 * is of no use as it is (its LISTEN failed).  Safe inside a query's
 * callback.  why goes in the log line.
 */
void db_reconnect(struct db *db, const char *why);

/* Free the pool after db_close()'s done_cb has run. */
/* The tables have grown since the sessions planned their statements:
 * each session drops its cached plans (DISCARD PLANS, prepared statements
 * and PL/pgSQL functions alike) before its next query.  A generic plan is
 * otherwise kept until an ANALYZE, and one made while a table was nearly
 * empty can scan all of it for each row once it is large. */
void db_replan(struct db *db);

void db_free(struct db *db);

/* Connections up, connections in total, queries waiting for one. */
void db_stats(const struct db *db, int *up, int *size, size_t *queued);

/* Called with true when the first connection comes up, false when the
 * last goes down (the feed uses it to resynchronise). */
void db_set_state_cb(struct db *db, void (*cb)(bool up, void *arg), void *arg);

/* Called for every NOTIFY received on the pool's connections (a pool of
 * one that ran LISTEN, in practice). */
void db_set_notify_cb(struct db *db,
                      void (*cb)(const char *channel, const char *payload,
                                 void *arg),
                      void *arg);

/* The SQLSTATE of an error result, or "" for success or NULL. */
const char *db_sqlstate(const PGresult *res);
/* True if res is a successful command or row set. */
bool db_ok(const PGresult *res);

#endif
