/*
 * main.c - docketd's composition root: options and configuration, the
 * start-up schema check (the one place a blocking libpq call is
 * allowed), building the layers (core, auth, rpc, http) and wiring their
 * callbacks, signals (SIGTERM/SIGINT drain, SIGHUP reload), and the loop.
 */
#include "auth.h"
#include "core.h"
#include "db.h"
#include "dk_buf.h"
#include "dk_config.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_pgenc.h"
#include "dk_rpc.h"
#include "dk_schema_version.h" /* generated from schema/version.sql */
#include "dk_secret.h"
#include "feed.h"
#include "http.h"
#include "hub.h"
#include "presence.h"
#include "metrics.h"
#include "notify.h"
#include "outbox.h"
#include "form.h"
#include "portal.h"
#include "rpc.h"
#include "server.h"

#include <curl/curl.h>
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DOCKET_VERSION
#define DOCKET_VERSION "0.1.0"
#endif

/* The one docketd of this process: what main() builds. */
struct srv {
    uv_loop_t *loop;
    struct dk_config cfg;
    const char *config_path;
    char *conninfo; /* cfg's, its host looked up (resolve_conninfo()) */
    struct core core;
    struct auth *auth;
    struct rpc_server *rpc;
    struct http *http;     /* NULL when http.listen is "" */
    struct portal *portal; /* NULL when off, or without http */
    uv_signal_t sigterm, sigint, sighup;
    bool stopping;
};

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

/* ---- stopping ---------------------------------------------------------- */

static void all_closed(void *arg)
{
    struct srv *srv = arg;

    uv_stop(srv->loop);
}

static void feed_closed(void *arg)
{
    struct srv *srv = arg;

    db_close(srv->core.db, all_closed, srv);
}

static void outbox_closed(void *arg)
{
    struct srv *srv = arg;

    feed_close(srv->core.feed, feed_closed, srv);
}

/* The clears of the connections that closed have gone out. */
static void presence_closed(void *arg)
{
    struct srv *srv = arg;

    http_close(srv->http);
    /* The outbox first: it records outcomes and hands back unsent rows
     * on the pool, which closes after the feed. */
    outbox_close(srv->core.outbox, outbox_closed, srv);
}

/* Every client connection is gone: close the rest, top down. */
static void rpc_drained(void *arg)
{
    struct srv *srv = arg;

    presence_close(srv->core.presence, presence_closed, srv);
}

static void drain(struct srv *srv, const char *why)
{
    if (srv->stopping)
        return;
    srv->stopping = true;
    srv->core.draining = true;
    notify_stopping(srv->core.notify);
    rpc_server_drain(srv->rpc, why, rpc_drained, srv);
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
        {"server.socket_group",
         offsetof(struct dk_config, server.socket_group)},
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
    struct core *core = &srv->core;
    struct dk_diag diag;

    notify_reloading(core->notify);
    dk_log(DK_LOG_INFO, "reload: reading %s", srv->config_path);
    dk_diag_init(&diag);
    if (dk_config_load(&next, srv->config_path, &diag) != 0) {
        for (size_t i = 0; i < diag.n; i++)
            dk_log(DK_LOG_ERROR, "reload: %s", diag.lines[i]);
        dk_log(DK_LOG_ERROR, "reload: configuration rejected; keeping the "
                             "running one");
        dk_diag_cleanup(&diag);
        dk_config_cleanup(&next);
        notify_reloaded(core->notify);
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
    {
        /* Swapped, so that next's cleanup frees the old list. */
        struct dk_strlist allow = cur->http.ops_allow;
        cur->http.ops_allow = next.http.ops_allow;
        next.http.ops_allow = allow;
    }
    cur->server.max_line_bytes = next.server.max_line_bytes;
    cur->server.max_output_bytes = next.server.max_output_bytes;
    cur->server.max_unauthenticated = next.server.max_unauthenticated;
    cur->server.max_unauthenticated_per_address =
        next.server.max_unauthenticated_per_address;
    cur->server.login_deadline = next.server.login_deadline;
    {
        /* Read at each session.ssh, so the next login sees it. */
        char *gateway = cur->server.ssh_gateway_user;
        cur->server.ssh_gateway_user = next.server.ssh_gateway_user;
        next.server.ssh_gateway_user = gateway;
    }
    {
        unsigned char mail[sizeof(cur->mail)];
        memcpy(mail, &cur->mail, sizeof(mail));
        memcpy(&cur->mail, &next.mail, sizeof(mail));
        memcpy(&next.mail, mail, sizeof(mail));
    }
    outbox_reconfigure(core->outbox);
    if (next.database.pool_size != cur->database.pool_size) {
        dk_log(DK_LOG_INFO, "reload: database pool from %d to %d connections",
               cur->database.pool_size, next.database.pool_size);
        cur->database.pool_size = next.database.pool_size;
        db_resize(core->db, cur->database.pool_size);
    }
    dk_config_cleanup(&next);
    dk_log(DK_LOG_INFO, "reload: configuration reloaded (log level %s)",
           dk_log_level_name(dk_log_level));
    notify_reloaded(core->notify);
}

static void signal_cb(uv_signal_t *h, int signum)
{
    struct srv *srv = h->data;

    if (signum == SIGHUP && !srv->stopping)
        reload(srv);
    else if (signum == SIGHUP)
        dk_log(DK_LOG_INFO, "reload: ignored while draining");
    else
        drain(srv, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* ---- start-up ---------------------------------------------------------- */

/*
 * Check the schema once, synchronously, before the loop runs: a database
 * at another version, or not in UTF8, is an operator's mistake worth
 * refusing to start for.  An unreachable one is not: the pool keeps
 * trying.
 */
static int check_schema(const struct dk_config *cfg)
{
    /* A default connect_timeout that the conninfo's own overrides; the
     * client encoding the pool's connections use (dk_pgenc.h). */
    const char *const keys[] = {"connect_timeout", "dbname", "client_encoding",
                                NULL};
    const char *const values[] = {"10", cfg->database.conninfo, DK_PGENC_CLIENT,
                                  NULL};
    PGconn *pg = PQconnectdbParams(keys, values, 1);
    PGresult *res;
    int version, rc = 0;
    char why[256];

    if (PQstatus(pg) != CONNECTION_OK) {
        dk_log(DK_LOG_WARN,
               "database not reachable yet (%.*s); will keep "
               "trying",
               (int)strcspn(PQerrorMessage(pg), "\n"), PQerrorMessage(pg));
        PQfinish(pg);
        return 0;
    }
    if (dk_pgenc_why(PQparameterStatus(pg, "server_encoding"),
                     PQparameterStatus(pg, "client_encoding"), why,
                     sizeof(why))) {
        dk_log(DK_LOG_ERROR, "%s", why);
        PQfinish(pg);
        return -1;
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

/*
 * Descriptors: the soft limit is raised to the hard one (systemd's
 * LimitNOFILE), and a configuration that would let clients that never
 * logged in take them all is named at start.  What stays is the reserve
 * for the pool, the Unix socket and /healthz.
 */
static void check_descriptors(const struct dk_config *cfg)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)cfg->server.max_unauthenticated + 256 > rl.rlim_cur)
        dk_log(DK_LOG_WARN,
               "server.max_unauthenticated (%d) leaves no reserve under the "
               "descriptor limit (%llu): raise LimitNOFILE or lower it",
               cfg->server.max_unauthenticated,
               (unsigned long long)rl.rlim_cur);
}

/* Append keyword='value' to b, quoted as a conninfo string wants. */
static void conninfo_add(struct dk_buf *b, const char *keyword,
                         const char *value)
{
    dk_buf_printf(b, "%s%s='", b->len ? " " : "", keyword);
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '\'')
            dk_buf_addc(b, '\\');
        dk_buf_addc(b, *p);
    }
    dk_buf_addc(b, '\'');
}

/*
 * One host of database.conninfo's list: its address in out, or "" when it
 * needs no lookup (a socket folder, an address, the default).  Returns 0
 * or getaddrinfo(3)'s error.
 */
static int resolve_host(const char *host, char *out, size_t size)
{
    struct addrinfo hints = {0}, *ai = NULL;
    struct in6_addr a6;
    struct in_addr a4;
    int rc;

    out[0] = '\0';
    if (!*host || host[0] == '/' || host[0] == '@' ||
        inet_pton(AF_INET, host, &a4) == 1 ||
        inet_pton(AF_INET6, host, &a6) == 1)
        return 0;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = getaddrinfo(host, NULL, &hints, &ai)) != 0)
        return rc;
    rc = getnameinfo(ai->ai_addr, ai->ai_addrlen, out, size, NULL, 0,
                     NI_NUMERICHOST);
    freeaddrinfo(ai);
    return rc;
}

/*
 * libpq looks a host name up with getaddrinfo(3), synchronously, in every
 * PQconnectStart(): a pool reconnecting at run time would stop the loop
 * for as long as the resolver takes.  So each host given by name (and not
 * with its hostaddr) is looked up once, here at start, where blocking is
 * allowed, and the pools connect to those addresses (the names stay, for
 * TLS and authentication).  A list (host=db1,db2, for a primary and its
 * standby) gets a hostaddr list to match, "" where a host needs no
 * lookup.  Returns the conninfo to use, malloc'ed.
 */
static char *resolve_conninfo(const char *conninfo)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    const char *host = NULL, *hostaddr = NULL, *p;
    char addr[INET6_ADDRSTRLEN], name[256];
    struct dk_buf addrs = DK_BUF_INIT(0), b = DK_BUF_INIT(0);
    bool any = false;
    int rc = 0;

    if (!opts)
        return dk_xstrdup(conninfo); /* check_schema() reports it */
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = o->val;
    }
    if (!host || !*host || (hostaddr && *hostaddr)) {
        PQconninfoFree(opts);
        return dk_xstrdup(conninfo);
    }
    for (p = host;; p += strcspn(p, ",") + 1) {
        size_t len = strcspn(p, ",");
        if (len >= sizeof(name)) {
            rc = EAI_NONAME;
        } else {
            snprintf(name, sizeof(name), "%.*s", (int)len, p);
            rc = resolve_host(name, addr, sizeof(addr));
        }
        if (rc != 0) {
            dk_log(DK_LOG_WARN,
                   "database host \"%.*s\" did not resolve at start (%s): "
                   "libpq will look it up on the loop at every reconnect; "
                   "give its address as hostaddr=...",
                   (int)len, p, gai_strerror(rc));
            break;
        }
        if (addr[0]) {
            any = true;
            dk_log(DK_LOG_INFO,
                   "database host %s is %s (looked up once, at start: "
                   "restart docketd if it moves)",
                   name, addr);
        }
        dk_buf_printf(&addrs, "%s%s", p == host ? "" : ",", addr);
        if (p[len] == '\0')
            break;
    }
    if (rc != 0 || !any) {
        dk_buf_free(&addrs);
        PQconninfoFree(opts);
        return dk_xstrdup(conninfo);
    }
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && strcmp(o->keyword, "hostaddr") != 0)
            conninfo_add(&b, o->keyword, o->val);
    conninfo_add(&b, "hostaddr", addrs.data);
    dk_buf_free(&addrs);
    PQconninfoFree(opts);
    return dk_buf_steal(&b, NULL);
}

static void db_state_cb(bool up, void *arg)
{
    struct core *core = arg;

    if (up)
        notify_check_ready(core->notify);
}

/* A staff member was disabled or changed (the feed heard it): their
 * sessions end, whoever holds them. */
static void staff_changed(long long staff_id, void *arg)
{
    auth_end_staff(arg, staff_id,
                   "staff member disabled or changed: session ended");
}

/* A session was logged out, here or on another docketd: it ends on every
 * connection that resumed it. */
static void session_ended(long long session_id, void *arg)
{
    auth_end_session(arg, session_id, "session logged out elsewhere");
}

/* Mail was queued by any instance or docketctl (NOTIFY docket_mail). */
static void mail_queued(void *arg)
{
    outbox_nudge(arg);
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
    struct core *core;
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
    check_descriptors(&srv.cfg);
    srv.conninfo = resolve_conninfo(srv.cfg.database.conninfo);

    srv.loop = uv_default_loop();
    core = &srv.core;
    core->loop = srv.loop;
    core->cfg = &srv.cfg;
    core->conninfo = srv.conninfo;
    if (srv.cfg.server.instance[0]) {
        snprintf(core->instance, sizeof(core->instance), "%s",
                 srv.cfg.server.instance);
    } else {
        if (gethostname(host, sizeof(host)) != 0)
            snprintf(host, sizeof(host), "docketd");
        host[sizeof(host) - 1] = '\0';
        snprintf(core->instance, sizeof(core->instance), "%.40s:%d", host,
                 (int)getpid());
    }
    core->started = time(NULL);

    /* core: the pool, the feed and its hub, the outbox, metrics, systemd */
    core->metrics =
        metrics_new(rpc_method_count(), rpc_method_at, rpc_method_index);
    core->notify = notify_new(core);
    core->db = db_new(srv.loop, srv.conninfo, srv.cfg.database.pool_size);
    db_set_state_cb(core->db, db_state_cb, core);
    core->hub = hub_new();
    core->feed = feed_new(core);
    core->presence = presence_new(core);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        dk_log(DK_LOG_ERROR, "could not initialise libcurl");
        return 1;
    }
    core->outbox = outbox_new(core);
    feed_set_mail_cb(core->feed, mail_queued, core->outbox);
    /* auth, and the transports over it */
    srv.auth = auth_new(core);
    feed_set_session_cbs(core->feed, staff_changed, session_ended, srv.auth);
    srv.rpc = rpc_server_new(core, srv.auth);
    if (rpc_server_listen(srv.rpc) < 0)
        return 1;
    if (srv.cfg.http.listen[0]) {
        srv.http = http_new(core);
        if (srv.cfg.portal.enabled) {
            form_init(); /* GMime, for multipart forms */
            if (!(srv.portal = portal_new(core, srv.auth, srv.http)))
                return 1;
        }
        if (http_listen(srv.http, srv.cfg.http.listen) < 0)
            return 1;
    }
    core->listening = true;
    uv_signal_init(srv.loop, &srv.sigterm);
    uv_signal_init(srv.loop, &srv.sigint);
    uv_signal_init(srv.loop, &srv.sighup);
    srv.sigterm.data = srv.sigint.data = srv.sighup.data = &srv;
    uv_signal_start(&srv.sigterm, signal_cb, SIGTERM);
    uv_signal_start(&srv.sigint, signal_cb, SIGINT);
    uv_signal_start(&srv.sighup, signal_cb, SIGHUP);
    dk_log(DK_LOG_INFO, "docketd %s started (instance %s)", DOCKET_VERSION,
           core->instance);
    notify_check_ready(core->notify);

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
    http_free(srv.http);
    portal_free(srv.portal);
    rpc_server_free(srv.rpc);
    auth_free(srv.auth);
    feed_free(core->feed);
    presence_free(core->presence);
    hub_free(core->hub);
    outbox_free(core->outbox);
    notify_free(core->notify);
    metrics_free(core->metrics);
    curl_global_cleanup();
    db_free(core->db);
    if (srv.cfg.server.socket[0])
        unlink(srv.cfg.server.socket);
    free(srv.conninfo);
    dk_config_cleanup(&srv.cfg);
    dk_log(DK_LOG_INFO, "stopped");
    return 0;
}
