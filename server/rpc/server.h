/*
 * server.h - the JSON-RPC service of one docketd: its listeners (Unix
 * socket and TCP), its connections, and draining them on SIGTERM so that
 * clients move to another instance.
 */
#ifndef RPC_SERVER_H
#define RPC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct auth;
struct conn;
struct core;

struct rpc_server {
    struct core *core; /* borrowed */
    struct auth *auth; /* borrowed */
    uv_pipe_t unix_listener;
    uv_tcp_t tcp_listener;
    bool has_unix, has_tcp;
    struct conn *conns; /* every open connection, a doubly linked list */
    size_t nconns;
    uint64_t next_conn_id;
    bool draining;
    bool drained; /* the callback has run */
    uv_timer_t drain_timer;
    void (*drained_cb)(void *arg);
    void *drained_arg;
};

struct rpc_server *rpc_server_new(struct core *core, struct auth *auth);
/* Listen on server.socket and server.listen (each when set); -1 (logged)
 * if one cannot be had. */
int rpc_server_listen(struct rpc_server *rs);
/*
 * Drain: stop accepting, tell every client (server.shutdown), answer the
 * requests in flight, close idle connections; drained_cb runs once every
 * connection is gone (or after a timeout).
 */
void rpc_server_drain(struct rpc_server *rs, const char *why,
                      void (*drained_cb)(void *arg), void *arg);
/* A connection finished a request or closed: the drain may go on. */
void rpc_server_conn_idle(struct rpc_server *rs);
/* After the loop has closed every handle. */
void rpc_server_free(struct rpc_server *rs);

#endif
