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
    uv_timer_t sweep; /* the login deadline, once a second */
    unsigned long long refused_total, refused_per_address, deadline_closed;
    uint64_t refused_logged_ms; /* refusals are logged once a second */
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
/*
 * Whether c (just accepted, its peer known) may stay: over TCP, no more
 * than server.max_unauthenticated connections that have not logged in,
 * and server.max_unauthenticated_per_address from one address.  The Unix
 * socket is not counted: it stays open for peer login and local tools
 * while TCP is flooded.
 */
bool rpc_server_admit(struct rpc_server *rs, struct conn *c);

/* A connection finished a request or closed: the drain may go on. */
void rpc_server_conn_idle(struct rpc_server *rs);
/* After the loop has closed every handle. */
void rpc_server_free(struct rpc_server *rs);

#endif
