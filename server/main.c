/*
 * main.c - docketd: options and configuration, the start-up schema check
 * (the one place a blocking libpq call is allowed), listeners on the Unix
 * socket and TCP, signals (SIGTERM/SIGINT drain, SIGHUP reload), and the
 * loop.
 */
#include "conn.h"
#include "dk_addr.h"
#include "db.h"
#include "dk_config.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_rpc.h"
#include "dk_schema_version.h" /* generated from schema/version.sql */
#include "dk_secret.h"
#include "feed.h"
#include "http.h"
#include "metrics.h"
#include "notify.h"
#include "outbox.h"
#include "srv.h"

#include <curl/curl.h>
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DOCKET_VERSION
#define DOCKET_VERSION "0.1.0"
#endif
#define DRAIN_TIMEOUT_MS 10000

uint64_t srv_now_ms(const struct srv *srv)
{
    return uv_now(srv->loop);
}

static void usage(FILE *fp)
{
    fprintf(fp, "usage: docketd [--config FILE] [--check-config]\n"
                "  --config FILE    configuration (default "
                "$DOCKET_CONFIG or /etc/docket/config.yaml)\n"
                "  --check-config   validate the configuration and exit 0 "
                "(valid) or 1\n"
                "  --version        print the version\n"
                "  --help           print this\n"
                "Signals: HUP reloads the configuration, TERM drains and "
                "exits.  See docketd(8).\n");
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct srv *srv = listener->data;
    bool is_unix = listener == (uv_stream_t *)&srv->unix_listener;
    struct conn *c;
    int rc;

    if (status < 0) {
        dk_log(DK_LOG_WARN, "accept failed: %s", uv_strerror(status));
        return;
    }
    if (!(c = conn_new(srv, is_unix)))
        return;
    if ((rc = uv_accept(listener, &c->h.stream)) < 0) {
        dk_log(DK_LOG_WARN, "accept failed: %s", uv_strerror(rc));
        conn_close(c, "accept failed");
        return;
    }
    conn_start(c);
}

static int listen_unix(struct srv *srv, const char *path)
{
    struct stat st;
    int rc;

    /* A socket left by a previous run would make bind fail. */
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    uv_pipe_init(srv->loop, &srv->unix_listener, 0);
    srv->unix_listener.data = srv;
    srv->has_unix = true;
    if ((rc = uv_pipe_bind(&srv->unix_listener, path)) < 0 ||
        (rc = uv_pipe_chmod(&srv->unix_listener, UV_READABLE | UV_WRITABLE)) <
            0 ||
        (rc = uv_listen((uv_stream_t *)&srv->unix_listener, 511,
                        on_connection)) < 0) {
        dk_log(DK_LOG_ERROR, "could not listen on %s: %s", path,
               uv_strerror(rc));
        return -1;
    }
    dk_log(DK_LOG_INFO, "listening on unix:%s", path);
    return 0;
}

static int listen_tcp(struct srv *srv, const char *addr)
{
    struct sockaddr_storage sa;
    char err[300];
    int rc;

    if (dk_addr_resolve(addr, true, &sa, err, sizeof(err)) < 0) {
        dk_log(DK_LOG_ERROR, "server.listen: %s", err);
        return -1;
    }
    uv_tcp_init(srv->loop, &srv->tcp_listener);
    srv->tcp_listener.data = srv;
    srv->has_tcp = true;
    if ((rc = uv_tcp_bind(&srv->tcp_listener, (struct sockaddr *)&sa, 0)) < 0 ||
        (rc = uv_listen((uv_stream_t *)&srv->tcp_listener, 511,
                        on_connection)) < 0) {
        dk_log(DK_LOG_ERROR, "could not listen on %s: %s", addr,
               uv_strerror(rc));
        return -1;
    }
    dk_log(DK_LOG_INFO, "listening on tcp:%s", addr);
    return 0;
}

/* ---- stopping ---------------------------------------------------------- */

static void all_closed(void *arg)
{
    struct srv *srv = arg;

    uv_stop(srv->loop);
}

static void feed_closed(void *arg)
{
    struct srv *srv = arg;

    db_close(srv->db, all_closed, srv);
}

static void outbox_closed(void *arg)
{
    struct srv *srv = arg;

    feed_close(srv->feed, feed_closed, srv);
}

static void finish_drain(struct srv *srv)
{
    static bool done;

    if (done)
        return;
    done = true;
    uv_timer_stop(&srv->drain_timer);
    http_close(srv->http);
    /* The outbox first: it records outcomes and hands back unsent rows
     * on the pool, which closes after the feed. */
    outbox_close(srv->outbox, outbox_closed, srv);
}

void srv_conn_idle(struct srv *srv)
{
    if (!srv->draining)
        return;
    for (struct conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (c->state == CONN_READING)
            conn_close(c, "server shutting down");
    }
    if (srv->nconns == 0)
        finish_drain(srv);
}

static void drain_timeout_cb(uv_timer_t *t)
{
    struct srv *srv = t->data;

    dk_log(DK_LOG_WARN, "drain timed out; closing %zu connections",
           srv->nconns);
    for (struct conn *c = srv->conns; c; c = c->next)
        conn_close(c, "server shutting down (drain timed out)");
    finish_drain(srv);
}

void srv_drain(struct srv *srv, const char *why)
{
    size_t len;
    char *line;

    if (srv->draining)
        return;
    srv->draining = true;
    dk_log(DK_LOG_INFO, "%s: draining %zu connections", why, srv->nconns);
    notify_stopping(srv->notify);
    if (srv->has_unix)
        uv_close((uv_handle_t *)&srv->unix_listener, NULL);
    if (srv->has_tcp)
        uv_close((uv_handle_t *)&srv->tcp_listener, NULL);
    /* Tell clients first, so they reconnect to another instance. */
    for (struct conn *c = srv->conns; c; c = c->next) {
        json_t *p = json_pack("{s:s}", "reason", why);
        line = dk_rpc_notification("server.shutdown", p, &len);
        json_decref(p);
        conn_send(c, line, len);
    }
    uv_timer_start(&srv->drain_timer, drain_timeout_cb, DRAIN_TIMEOUT_MS, 0);
    srv_conn_idle(srv);
}

/* ---- signals ----------------------------------------------------------- */

/* Settings read once at start: a change waits for a restart. */
static void warn_restart_only(const struct dk_config *cur,
                              const struct dk_config *next)
{
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
        {"server.socket", offsetof(struct dk_config, server.socket)},
        {"server.listen", offsetof(struct dk_config, server.listen)},
        {"server.instance", offsetof(struct dk_config, server.instance)},
        {"http.listen", offsetof(struct dk_config, http.listen)},
        {"database.conninfo", offsetof(struct dk_config, database.conninfo)},
    };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *a = *(char *const *)((const char *)cur + keys[i].off);
        const char *b = *(char *const *)((const char *)next + keys[i].off);
        if (strcmp(a, b) != 0)
            dk_log(DK_LOG_WARN,
                   "reload: %s changed; it takes effect only on "
                   "restart",
                   keys[i].key);
    }
}

static void reload(struct srv *srv)
{
    struct dk_config next, *cur = &srv->cfg;
    struct dk_diag diag;

    notify_reloading(srv->notify);
    dk_log(DK_LOG_INFO, "reload: reading %s", srv->config_path);
    dk_diag_init(&diag);
    if (dk_config_load(&next, srv->config_path, &diag) != 0) {
        for (size_t i = 0; i < diag.n; i++)
            dk_log(DK_LOG_ERROR, "reload: %s", diag.lines[i]);
        dk_log(DK_LOG_ERROR, "reload: configuration rejected; keeping the "
                             "running one");
        dk_diag_cleanup(&diag);
        dk_config_cleanup(&next);
        notify_reloaded(srv->notify);
        return;
    }
    dk_diag_cleanup(&diag);
    warn_restart_only(cur, &next);

    /* What changes live: swap each section in, so next's cleanup frees
     * the old strings.  Nothing keeps a pointer into cfg across a loop
     * turn (the outbox copies what it needs in outbox_reconfigure()). */
    cur->log.level = next.log.level;
    dk_log_level = next.log.level;
    cur->session = next.session;
    cur->server.max_line_bytes = next.server.max_line_bytes;
    cur->server.max_output_bytes = next.server.max_output_bytes;
    {
        unsigned char mail[sizeof(cur->mail)];
        memcpy(mail, &cur->mail, sizeof(mail));
        memcpy(&cur->mail, &next.mail, sizeof(mail));
        memcpy(&next.mail, mail, sizeof(mail));
    }
    outbox_reconfigure(srv->outbox);
    if (next.database.pool_size != cur->database.pool_size) {
        dk_log(DK_LOG_INFO, "reload: database pool from %d to %d connections",
               cur->database.pool_size, next.database.pool_size);
        cur->database.pool_size = next.database.pool_size;
        db_resize(srv->db, cur->database.pool_size);
    }
    dk_config_cleanup(&next);
    dk_log(DK_LOG_INFO, "reload: configuration reloaded (log level %s)",
           dk_log_level_name(dk_log_level));
    notify_reloaded(srv->notify);
}

static void signal_cb(uv_signal_t *h, int signum)
{
    struct srv *srv = h->data;

    if (signum == SIGHUP && !srv->draining)
        reload(srv);
    else if (signum == SIGHUP)
        dk_log(DK_LOG_INFO, "reload: ignored while draining");
    else
        srv_drain(srv, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* ---- start-up ---------------------------------------------------------- */

/*
 * Check the schema once, synchronously, before the loop runs: a database
 * at another version is an operator's mistake worth refusing to start
 * for.  An unreachable one is not: the pool keeps trying.
 */
static int check_schema(const struct dk_config *cfg)
{
    /* A default connect_timeout that the conninfo's own overrides. */
    const char *const keys[] = {"connect_timeout", "dbname", NULL};
    const char *const values[] = {"10", cfg->database.conninfo, NULL};
    PGconn *pg = PQconnectdbParams(keys, values, 1);
    PGresult *res;
    int version, rc = 0;

    if (PQstatus(pg) != CONNECTION_OK) {
        dk_log(DK_LOG_WARN,
               "database not reachable yet (%.*s); will keep "
               "trying",
               (int)strcspn(PQerrorMessage(pg), "\n"), PQerrorMessage(pg));
        PQfinish(pg);
        return 0;
    }
    res = PQexec(pg, "SELECT max(version) FROM schema_version");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        dk_log(DK_LOG_ERROR, "the database has no Docket schema: run "
                             "docketctl migrate");
        rc = -1;
    } else if ((version = atoi(PQgetvalue(res, 0, 0))) != DK_SCHEMA_VERSION) {
        dk_log(DK_LOG_ERROR,
               "the database schema is version %d; this docketd needs %d "
               "(run docketctl migrate, or upgrade docketd)",
               version, DK_SCHEMA_VERSION);
        rc = -1;
    }
    PQclear(res);
    PQfinish(pg);
    return rc;
}

static void db_state_cb(bool up, void *arg)
{
    struct srv *srv = arg;

    if (up)
        notify_check_ready(srv->notify);
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0}};
    static struct srv srv;
    const char *path = getenv("DOCKET_CONFIG");
    struct dk_diag diag;
    bool check = false;
    char host[64];
    int opt, rc;

    /* libuv's thread pool runs Argon2id for logins, user lookups and the
     * outbox's SMTP sends (up to 4 at once, each blocking its thread):
     * room for all of them unless the operator says otherwise. */
    setenv("UV_THREADPOOL_SIZE", "8", 0);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'k':
            check = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("docketd %s\n", DOCKET_VERSION);
            return 0;
        case ':':
            fprintf(stderr, "docketd: option \"%s\" needs a value\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "docketd: unknown option \"%s\"\n",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "docketd: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    if (!path || !*path)
        path = "/etc/docket/config.yaml";

    dk_diag_init(&diag);
    rc = dk_config_load(&srv.cfg, path, &diag);
    for (size_t i = 0; i < diag.n; i++)
        fprintf(stderr, "docketd: %s\n", diag.lines[i]);
    dk_diag_cleanup(&diag);
    if (rc != 0) {
        dk_config_cleanup(&srv.cfg);
        return 1;
    }
    if (check) {
        printf("%s: configuration is valid\n", path);
        dk_config_cleanup(&srv.cfg);
        return 0;
    }
    srv.config_path = path;
    dk_log_init("docketd", srv.cfg.log.level);
    dk_log_set_journal(dk_log_stderr_is_journal());
    if (dk_secret_init() != 0) {
        dk_log(DK_LOG_ERROR, "could not initialise libsodium");
        return 1;
    }
    if (!srv.cfg.server.socket[0] && !srv.cfg.server.listen[0]) {
        dk_log(DK_LOG_ERROR, "server.socket and server.listen are both off: "
                             "nothing to serve");
        return 1;
    }
    if (check_schema(&srv.cfg) != 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);

    srv.loop = uv_default_loop();
    if (srv.cfg.server.instance[0]) {
        snprintf(srv.instance, sizeof(srv.instance), "%s",
                 srv.cfg.server.instance);
    } else {
        if (gethostname(host, sizeof(host)) != 0)
            snprintf(host, sizeof(host), "docketd");
        host[sizeof(host) - 1] = '\0';
        snprintf(srv.instance, sizeof(srv.instance), "%.40s:%d", host,
                 (int)getpid());
    }
    srv.started = time(NULL);
    srv.metrics = metrics_new();
    srv.notify = notify_new(&srv);
    srv.db =
        db_new(srv.loop, srv.cfg.database.conninfo, srv.cfg.database.pool_size);
    db_set_state_cb(srv.db, db_state_cb, &srv);
    srv.feed = feed_new(&srv);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        dk_log(DK_LOG_ERROR, "could not initialise libcurl");
        return 1;
    }
    srv.outbox = outbox_new(&srv);
    uv_timer_init(srv.loop, &srv.drain_timer);
    srv.drain_timer.data = &srv;
    if ((srv.cfg.server.socket[0] &&
         listen_unix(&srv, srv.cfg.server.socket) < 0) ||
        (srv.cfg.server.listen[0] &&
         listen_tcp(&srv, srv.cfg.server.listen) < 0))
        return 1;
    if (srv.cfg.http.listen[0]) {
        srv.http = http_new(&srv);
        if (http_listen(srv.http, srv.cfg.http.listen) < 0)
            return 1;
    }
    srv.listening = true;
    uv_signal_init(srv.loop, &srv.sigterm);
    uv_signal_init(srv.loop, &srv.sigint);
    uv_signal_init(srv.loop, &srv.sighup);
    srv.sigterm.data = srv.sigint.data = srv.sighup.data = &srv;
    uv_signal_start(&srv.sigterm, signal_cb, SIGTERM);
    uv_signal_start(&srv.sigint, signal_cb, SIGINT);
    uv_signal_start(&srv.sighup, signal_cb, SIGHUP);
    dk_log(DK_LOG_INFO, "docketd %s started (instance %s)", DOCKET_VERSION,
           srv.instance);
    notify_check_ready(srv.notify);

    uv_run(srv.loop, UV_RUN_DEFAULT);

    /* Drained: close what is left (timers, signals) and free. */
    uv_walk(srv.loop, close_walk_cb, NULL);
    uv_run(srv.loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(srv.loop);
    if (rc != 0)
        dk_log(DK_LOG_WARN, "loop not closed cleanly: %s", uv_strerror(rc));
    /* Stop the thread pool now, while OpenSSL still stands: its threads
     * (the SMTP sends) hold per-thread OpenSSL state that is freed only
     * as each thread exits. */
    uv_library_shutdown();
    feed_free(srv.feed);
    outbox_free(srv.outbox);
    http_free(srv.http);
    notify_free(srv.notify);
    metrics_free(srv.metrics);
    curl_global_cleanup();
    db_free(srv.db);
    free(srv.logins);
    if (srv.cfg.server.socket[0])
        unlink(srv.cfg.server.socket);
    dk_config_cleanup(&srv.cfg);
    dk_log(DK_LOG_INFO, "stopped");
    return 0;
}
