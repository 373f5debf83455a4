/*
 * server.c - the JSON-RPC listeners, connections and drain (server.h),
 * and their gauges on /metrics.
 */
#include "server.h"
#include "auth.h"
#include "conn.h"
#include "core.h"
#include "dk_addr.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_rpc.h"
#include "hub.h"
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DRAIN_TIMEOUT_MS 10000

static void render_gauges(FILE *fp, void *arg)
{
    struct rpc_server *rs = arg;
    size_t unix_conns = 0, tcp_conns = 0, sessions = 0, subscribers = 0;

    for (const struct conn *c = rs->conns; c; c = c->next) {
        if (c->is_unix)
            unix_conns++;
        else
            tcp_conns++;
        sessions += c->who.staff_id != 0;
        subscribers += c->sub.active;
    }
    metrics_help(fp, "docket_connections", "gauge",
                 "Open JSON-RPC connections, by transport.");
    fprintf(fp, "docket_connections{transport=\"unix\"} %zu\n", unix_conns);
    fprintf(fp, "docket_connections{transport=\"tcp\"} %zu\n", tcp_conns);
    metrics_help(fp, "docket_sessions", "gauge",
                 "Connections logged in as staff.");
    fprintf(fp, "docket_sessions %zu\n", sessions);
    metrics_help(fp, "docket_subscribers", "gauge",
                 "Connections subscribed to the change feed.");
    fprintf(fp, "docket_subscribers %zu\n", subscribers);
}

struct rpc_server *rpc_server_new(struct core *core, struct auth *auth)
{
    struct rpc_server *rs = dk_xcalloc(1, sizeof(*rs));

    rs->core = core;
    rs->auth = auth;
    uv_timer_init(core->loop, &rs->drain_timer);
    rs->drain_timer.data = rs;
    metrics_add_source(core->metrics, render_gauges, rs);
    return rs;
}

void rpc_server_free(struct rpc_server *rs)
{
    free(rs);
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct rpc_server *rs = listener->data;
    bool is_unix = listener == (uv_stream_t *)&rs->unix_listener;
    struct conn *c;
    int rc;

    if (status < 0) {
        dk_log(DK_LOG_WARN, "accept failed: %s", uv_strerror(status));
        return;
    }
    if (!(c = conn_new(rs, is_unix)))
        return;
    if ((rc = uv_accept(listener, &c->h.stream)) < 0) {
        dk_log(DK_LOG_WARN, "accept failed: %s", uv_strerror(rc));
        conn_close(c, "accept failed");
        return;
    }
    conn_start(c);
}

static int listen_unix(struct rpc_server *rs, const char *path)
{
    struct stat st;
    int rc;

    /* A socket left by a previous run would make bind fail. */
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    uv_pipe_init(rs->core->loop, &rs->unix_listener, 0);
    rs->unix_listener.data = rs;
    rs->has_unix = true;
    if ((rc = uv_pipe_bind(&rs->unix_listener, path)) < 0 ||
        (rc = uv_pipe_chmod(&rs->unix_listener, UV_READABLE | UV_WRITABLE)) <
            0 ||
        (rc = uv_listen((uv_stream_t *)&rs->unix_listener, 511,
                        on_connection)) < 0) {
        dk_log(DK_LOG_ERROR, "could not listen on %s: %s", path,
               uv_strerror(rc));
        return -1;
    }
    dk_log(DK_LOG_INFO, "listening on unix:%s", path);
    return 0;
}

static int listen_tcp(struct rpc_server *rs, const char *addr)
{
    struct sockaddr_storage sa;
    char err[300];
    int rc;

    if (dk_addr_resolve(addr, true, &sa, err, sizeof(err)) < 0) {
        dk_log(DK_LOG_ERROR, "server.listen: %s", err);
        return -1;
    }
    uv_tcp_init(rs->core->loop, &rs->tcp_listener);
    rs->tcp_listener.data = rs;
    rs->has_tcp = true;
    if ((rc = uv_tcp_bind(&rs->tcp_listener, (struct sockaddr *)&sa, 0)) < 0 ||
        (rc = uv_listen((uv_stream_t *)&rs->tcp_listener, 511, on_connection)) <
            0) {
        dk_log(DK_LOG_ERROR, "could not listen on %s: %s", addr,
               uv_strerror(rc));
        return -1;
    }
    dk_log(DK_LOG_INFO, "listening on tcp:%s", addr);
    return 0;
}

int rpc_server_listen(struct rpc_server *rs)
{
    const struct dk_config *cfg = rs->core->cfg;

    if (cfg->server.socket[0] && listen_unix(rs, cfg->server.socket) < 0)
        return -1;
    if (cfg->server.listen[0] && listen_tcp(rs, cfg->server.listen) < 0)
        return -1;
    return 0;
}

/* ---- draining ------------------------------------------------------------ */

static void drained(struct rpc_server *rs)
{
    if (rs->drained)
        return;
    rs->drained = true;
    uv_timer_stop(&rs->drain_timer);
    if (rs->drained_cb)
        rs->drained_cb(rs->drained_arg);
}

void rpc_server_conn_idle(struct rpc_server *rs)
{
    if (!rs->draining)
        return;
    for (struct conn *c = rs->conns, *next; c; c = next) {
        next = c->next;
        if (c->state == CONN_READING)
            conn_close(c, "server shutting down");
    }
    if (rs->nconns == 0)
        drained(rs);
}

static void drain_timeout_cb(uv_timer_t *t)
{
    struct rpc_server *rs = t->data;

    dk_log(DK_LOG_WARN, "drain timed out; closing %zu connections", rs->nconns);
    for (struct conn *c = rs->conns; c; c = c->next)
        conn_close(c, "server shutting down (drain timed out)");
    drained(rs);
}

void rpc_server_drain(struct rpc_server *rs, const char *why,
                      void (*drained_cb)(void *arg), void *arg)
{
    size_t len;
    char *line;

    if (rs->draining)
        return;
    rs->draining = true;
    rs->drained_cb = drained_cb;
    rs->drained_arg = arg;
    dk_log(DK_LOG_INFO, "%s: draining %zu connections", why, rs->nconns);
    if (rs->has_unix)
        uv_close((uv_handle_t *)&rs->unix_listener, NULL);
    if (rs->has_tcp)
        uv_close((uv_handle_t *)&rs->tcp_listener, NULL);
    /* Tell clients first, so they reconnect to another instance. */
    for (struct conn *c = rs->conns; c; c = c->next) {
        json_t *p = json_pack("{s:s}", "reason", why);
        line = dk_rpc_notification("server.shutdown", p, &len);
        json_decref(p);
        conn_send(c, line, len);
    }
    uv_timer_start(&rs->drain_timer, drain_timeout_cb, DRAIN_TIMEOUT_MS, 0);
    rpc_server_conn_idle(rs);
}
