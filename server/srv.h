/*
 * srv.h - the server as a whole: its loop, configuration, database pool,
 * change feed, listeners and connections.  One instance per process.
 */
#ifndef SRV_H
#define SRV_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "dk_config.h"

struct conn;
struct db;
struct feed;
struct http;
struct limiter;
struct metrics;
struct notify;
struct outbox;

struct srv {
    uv_loop_t *loop;      /* borrowed: main()'s */
    struct dk_config cfg; /* owned: dk_config_cleanup() at exit */
    const char *config_path;
    struct db *db;           /* owned */
    struct feed *feed;       /* owned */
    struct outbox *outbox;   /* owned */
    struct limiter *logins;  /* owned: failed-login counts */
    struct metrics *metrics; /* owned */
    struct http *http;       /* owned; NULL when http.listen is "" */
    struct notify *notify;   /* owned: systemd */
    time_t started;
    bool listening; /* every listener is up */
    uv_pipe_t unix_listener;
    uv_tcp_t tcp_listener;
    bool has_unix, has_tcp;
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t drain_timer;
    struct conn *conns; /* every open connection, a doubly linked list */
    size_t nconns;
    uint64_t next_conn_id;
    bool draining;
    char instance[64]; /* server.instance, or host:pid */
};

/* Milliseconds of the loop's clock, for timeouts and rate limits. */
uint64_t srv_now_ms(const struct srv *srv);

/* Start draining: stop accepting, close idle connections once in-flight
 * requests are answered, then stop the loop. */
void srv_drain(struct srv *srv, const char *why);

/* A connection finished its request: the drain may be able to proceed. */
void srv_conn_idle(struct srv *srv);

#endif
