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
#include "limiter.h"
#include "metrics.h"
#include "rpc.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DRAIN_TIMEOUT_MS 10000

/* Where a TCP peer counts from: its IPv4 address or its IPv6 /64, as
 * the login limiter counts it (one host often has a whole /64). */
static const char *address_of(const struct conn *c, char *buf, size_t size)
{
    if (!limiter_address(c->peer, false, buf, size))
        snprintf(buf, size, "%s", c->peer); /* unreadable: its own */
    return buf;
}

/* TCP connections not logged in; with like, only those from like's
 * address (like itself not counted). */
static size_t unauthenticated(const struct rpc_server *rs,
                              const struct conn *like)
{
    char want[64], addr[64];
    size_t n = 0;

    if (like)
        address_of(like, want, sizeof(want));
    for (const struct conn *c = rs->conns; c; c = c->next) {
        if (c->is_unix || c->who.staff_id || c == like ||
            c->state == CONN_CLOSING)
            continue;
        if (like && strcmp(address_of(c, addr, sizeof(addr)), want) != 0)
            continue;
        n++;
    }
    return n;
}

bool rpc_server_admit(struct rpc_server *rs, struct conn *c)
{
    const struct dk_config *cfg = rs->core->cfg;
    uint64_t now = core_now_ms(rs->core);
    char addr[64];
    const char *why = NULL;

    if (c->is_unix)
        return true;
    if (unauthenticated(rs, NULL) > (size_t)cfg->server.max_unauthenticated) {
        rs->refused_total++;
        why = "server.max_unauthenticated";
    } else if (unauthenticated(rs, c) >=
               (size_t)cfg->server.max_unauthenticated_per_address) {
        rs->refused_per_address++;
        why = "server.max_unauthenticated_per_address";
    }
    if (!why)
        return true;
    /* A flood would flood the log too: one line a second says it. */
    if (now - rs->refused_logged_ms >= 1000 || !rs->refused_logged_ms) {
        rs->refused_logged_ms = now;
        dk_log(DK_LOG_WARN,
               "refusing connections from %s: too many not logged in (%s; "
               "%llu refused so far)",
               address_of(c, addr, sizeof(addr)), why,
               rs->refused_total + rs->refused_per_address);
    }
    return false;
}

/* Connections that have not logged in within server.login_deadline are
 * closed: a login must not be a way to hold descriptors.  Presence
 * markers the rate limit held back go out here too. */
static void sweep_cb(uv_timer_t *t)
{
    struct rpc_server *rs = t->data;
    uint64_t now = core_now_ms(rs->core);
    uint64_t deadline = (uint64_t)rs->core->cfg->server.login_deadline * 1000;

    for (struct conn *c = rs->conns, *next; c; c = next) {
        next = c->next;
        rpc_presence_flush(c);
        if (c->who.staff_id || c->state == CONN_CLOSING ||
            now - c->connected_ms < deadline)
            continue;
        /* One with a request in flight (a login waiting for its hash) is
         * not cut mid-answer: it reads no further request, and closes
         * once this one is answered, unless that logged it in. */
        if (c->state == CONN_BUSY) {
            if (!c->late)
                rs->deadline_closed++;
            c->late = true;
            continue;
        }
        rs->deadline_closed++;
        conn_close(c, "did not log in within %llds (server.login_deadline)",
                   rs->core->cfg->server.login_deadline);
    }
}

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
    metrics_help(fp, "docket_connections_unauthenticated", "gauge",
                 "TCP connections not logged in (server.max_unauthenticated).");
    fprintf(fp, "docket_connections_unauthenticated %zu\n",
            unauthenticated(rs, NULL));
    metrics_help(fp, "docket_connections_refused_total", "counter",
                 "Connections closed before logging in, by reason.");
    fprintf(fp,
            "docket_connections_refused_total{reason=\"max_unauthenticated\"} "
            "%llu\n",
            rs->refused_total);
    fprintf(fp,
            "docket_connections_refused_total{reason=\"per_address\"} %llu\n",
            rs->refused_per_address);
    fprintf(fp,
            "docket_connections_refused_total{reason=\"login_deadline\"} "
            "%llu\n",
            rs->deadline_closed);
    metrics_help(fp, "docket_logins_refused_busy_total", "counter",
                 "Password logins refused at once: too many hashes queued.");
    fprintf(fp, "docket_logins_refused_busy_total %llu\n",
            auth_refused_busy(rs->auth));
}

struct rpc_server *rpc_server_new(struct core *core, struct auth *auth)
{
    struct rpc_server *rs = dk_xcalloc(1, sizeof(*rs));

    rs->core = core;
    rs->auth = auth;
    uv_timer_init(core->loop, &rs->drain_timer);
    rs->drain_timer.data = rs;
    uv_timer_init(core->loop, &rs->sweep);
    rs->sweep.data = rs;
    uv_timer_start(&rs->sweep, sweep_cb, 1000, 1000);
    /* It must not keep a loop alive that has nothing else to do. */
    uv_unref((uv_handle_t *)&rs->sweep);
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

/* server.socket_group's gid, looked up at start (NSS may block). */
static int socket_gid(const char *group, gid_t *gid)
{
    struct group gr, *found = NULL;
    char buf[4096];

    if (getgrnam_r(group, &gr, buf, sizeof(buf), &found) != 0 || !found) {
        dk_log(DK_LOG_ERROR, "server.socket_group: no group \"%s\"", group);
        return -1;
    }
    *gid = gr.gr_gid;
    return 0;
}

/*
 * The socket is made owner-only (umask) and then given server.socket_mode
 * and server.socket_group, so that it is never, even for a moment, open
 * to more people than the configuration says: whoever can connect may log
 * in as the staff member mapped to their Unix user.
 */
static int listen_unix(struct rpc_server *rs, const char *path)
{
    const struct dk_config *cfg = rs->core->cfg;
    struct stat st;
    mode_t old;
    gid_t gid = (gid_t)-1;
    int rc;

    if (cfg->server.socket_group[0] &&
        socket_gid(cfg->server.socket_group, &gid) < 0)
        return -1;
    /* A socket left by a previous run would make bind fail. */
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    uv_pipe_init(rs->core->loop, &rs->unix_listener, 0);
    rs->unix_listener.data = rs;
    rs->has_unix = true;
    old = umask(0177);
    rc = uv_pipe_bind(&rs->unix_listener, path);
    umask(old);
    if (rc < 0) {
        dk_log(DK_LOG_ERROR, "could not listen on %s: %s", path,
               uv_strerror(rc));
        return -1;
    }
    if ((gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0) ||
        chmod(path, (mode_t)cfg->server.socket_mode) != 0) {
        dk_log(DK_LOG_ERROR, "could not set %s to mode %04o%s%s: %s", path,
               cfg->server.socket_mode, gid != (gid_t)-1 ? ", group " : "",
               cfg->server.socket_group, strerror(errno));
        return -1;
    }
    if ((rc = uv_listen((uv_stream_t *)&rs->unix_listener, 511,
                        on_connection)) < 0) {
        dk_log(DK_LOG_ERROR, "could not listen on %s: %s", path,
               uv_strerror(rc));
        return -1;
    }
    dk_log(DK_LOG_INFO, "listening on unix:%s (mode %04o%s%s)", path,
           cfg->server.socket_mode, gid != (gid_t)-1 ? ", group " : "",
           cfg->server.socket_group);
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
    uv_timer_stop(&rs->sweep);
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
