/*
 * http.c - a small HTTP/1.1 server on the main loop for /healthz and
 * /metrics.  Each connection reads one request (http-parser does the
 * parsing), answers it, shuts down and closes: monitoring needs nothing
 * more, and it keeps the state to one request.  Answers that need the
 * database wait for it at most QUERY_TIMEOUT_MS, so a scrape or a health
 * check never hangs on a stuck database.
 *
 * Under attack: a request must arrive whole within IDLE_TIMEOUT_MS of the
 * connection (a deadline that bytes trickling in do not move), one address
 * holds at most MAX_PER_ADDRESS connections, and when all MAX_CONNS are
 * taken the oldest one still sending its request makes room, so slow
 * clients cannot keep a health check out.  /healthz and /metrics answer
 * only the networks of http.ops_allow.
 */
#include "http.h"
#include "http_req.h"
#include "db.h"
#include "dk_addr.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "metrics.h"
#include "core.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONNS        256
#define MAX_PER_ADDRESS  32
#define IDLE_TIMEOUT_MS  10000 /* a client that sends no whole request */
#define QUERY_TIMEOUT_MS 2000
#define SWEEP_MS         250

struct http {
    struct core *core; /* borrowed */
    uv_tcp_t listener;
    uv_timer_t sweep;
    struct http_conn *conns;
    size_t nconns;
    bool closing;
};

struct http_conn;
typedef void (*route_fn)(struct http_conn *hc);
typedef void (*finish_fn)(struct http_conn *hc, const PGresult *res);

struct http_conn {
    uv_tcp_t tcp; /* first: the handle's memory is the connection's */
    struct http *http;
    int refs; /* the handle's, plus one for a query in flight */
    struct http_req req;
    bool answered;   /* the response is written or on its way */
    bool closing;    /* uv_close() called */
    finish_fn query; /* set while waiting on the database */
    uint64_t since_ms;
    uint64_t accepted_ms;
    struct sockaddr_storage peer;
    bool has_peer;
    char in[4096];
    struct http_conn *prev, *next;
};

struct write_req {
    uv_write_t req;
    char *data; /* owned */
};

static void hc_unref(struct http_conn *hc)
{
    if (--hc->refs == 0)
        free(hc);
}

static void hc_closed_cb(uv_handle_t *h)
{
    hc_unref((struct http_conn *)h);
}

static void hc_close(struct http_conn *hc)
{
    struct http *http = hc->http;

    if (hc->closing)
        return;
    hc->closing = true;
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        http->conns = hc->next;
    if (hc->next)
        hc->next->prev = hc->prev;
    http->nconns--;
    uv_close((uv_handle_t *)&hc->tcp, hc_closed_cb);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    (void)status;
    hc_close(req->data);
    free(req);
}

static void write_cb(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct http_conn *hc = req->data;

    free(w->data);
    free(w);
    if (hc->closing)
        return;
    if (status < 0) {
        hc_close(hc);
        return;
    }
    /* Let the client read to the end before the close. */
    uv_shutdown_t *sd = dk_xcalloc(1, sizeof(*sd));
    sd->data = hc;
    if (uv_shutdown(sd, (uv_stream_t *)&hc->tcp, shutdown_cb) < 0) {
        free(sd);
        hc_close(hc);
    }
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 403:
        return "Forbidden";
    case 405:
        return "Method Not Allowed";
    case 414:
        return "URI Too Long";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

static void respond(struct http_conn *hc, int status, const char *type,
                    const char *body, size_t len)
{
    struct write_req *w;
    uv_buf_t buf;
    int rc;

    if (hc->answered || hc->closing)
        return;
    hc->answered = true;
    hc->query = NULL;
    uv_read_stop((uv_stream_t *)&hc->tcp);
    w = dk_xcalloc(1, sizeof(*w));
    w->data = dk_xasprintf("HTTP/1.1 %d %s\r\n"
                           "Content-Type: %s\r\n"
                           "Content-Length: %zu\r\n"
                           "Cache-Control: no-store\r\n"
                           "Connection: close\r\n"
                           "%s"
                           "\r\n"
                           "%.*s",
                           status, reason(status), type, len,
                           status == 405 ? "Allow: GET, HEAD\r\n" : "",
                           hc->req.head ? 0 : (int)len, body);
    w->req.data = hc;
    buf = uv_buf_init(w->data, (unsigned)strlen(w->data));
    if ((rc = uv_write(&w->req, (uv_stream_t *)&hc->tcp, &buf, 1, write_cb)) <
        0) {
        free(w->data);
        free(w);
        hc_close(hc);
    }
}

static void respond_text(struct http_conn *hc, int status, const char *text)
{
    respond(hc, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* ---- routes -------------------------------------------------------------- */

static void query_done(struct db_query *q, PGresult *res, void *arg)
{
    struct http_conn *hc = arg;
    finish_fn finish = hc->query;

    (void)q;
    /* Timed out or gone meanwhile: the answer was already given. */
    if (finish && !hc->answered && !hc->closing)
        finish(hc, res);
    hc_unref(hc);
}

/* Ask the database sql; finish runs with its result (NULL: no answer). */
static void ask(struct http_conn *hc, const char *sql, finish_fn finish)
{
    struct db_query *q = db_query_new(sql, 0);

    hc->query = finish;
    hc->since_ms = uv_now(hc->http->core->loop);
    hc->refs++;
    if (db_submit(hc->http->core->db, q, query_done, hc) != 0) {
        hc->refs--;
        hc->query = NULL;
        finish(hc, NULL);
    }
}

static void healthz_done(struct http_conn *hc, const PGresult *res)
{
    struct core *core = hc->http->core;
    bool up = res && db_ok(res);
    json_t *body;
    char *text;

    body = json_pack("{s:s, s:s, s:s, s:I}", "status",
                     core->draining ? "draining" : (up ? "ok" : "unavailable"),
                     "database", up ? "up" : "down", "instance", core->instance,
                     "connections", (json_int_t)core->clients);
    text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (text)
        respond(hc, up && !core->draining ? 200 : 503, "application/json", text,
                strlen(text));
    else
        respond_text(hc, 503, "unavailable\n");
    free(text);
    json_decref(body);
}

static void route_healthz(struct http_conn *hc)
{
    ask(hc, "SELECT 1", healthz_done);
}

static void metrics_done(struct http_conn *hc, const PGresult *res)
{
    struct metrics_db st = {0};
    const char *cols[METRICS_DB_COLS];
    char *text;
    size_t len;

    if (res && db_ok(res) && PQntuples(res) == 1 &&
        PQnfields(res) == METRICS_DB_COLS) {
        for (int i = 0; i < METRICS_DB_COLS; i++)
            cols[i] = PQgetvalue(res, 0, i);
        metrics_db_parse(&st, cols);
    }
    text = metrics_render(hc->http->core->metrics, hc->http->core, &st, &len);
    if (!text) {
        respond_text(hc, 503, "out of memory\n");
        return;
    }
    respond(hc, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
}

static void route_metrics(struct http_conn *hc)
{
    ask(hc, metrics_db_sql, metrics_done);
}

/* Whether hc's peer is in http.ops_allow. */
static bool ops_allowed(const struct http_conn *hc)
{
    const struct dk_strlist *allow = &hc->http->core->cfg->http.ops_allow;
    struct dk_cidr net;

    if (!hc->has_peer)
        return false;
    for (size_t i = 0; i < allow->n; i++)
        if (dk_cidr_parse(allow->v[i], &net) == 0 &&
            dk_cidr_match(&net, (const struct sockaddr *)&hc->peer))
            return true;
    return false;
}

static const struct route {
    const char *path;
    route_fn fn;
    bool ops; /* for http.ops_allow only */
} routes[] = {
    {"/healthz", route_healthz, true},
    {"/metrics", route_metrics, true},
};

static void dispatch(struct http_conn *hc)
{
    const struct http_req *r = &hc->req;
    char msg[200];

    if (r->status) {
        snprintf(msg, sizeof(msg), "%s%s%s\n", r->why, r->detail[0] ? ": " : "",
                 r->detail);
        respond_text(hc, r->status, msg);
        return;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (strlen(routes[i].path) == r->path_len &&
            memcmp(routes[i].path, r->path, r->path_len) == 0) {
            if (routes[i].ops && !ops_allowed(hc)) {
                respond_text(hc, 403,
                             "forbidden: this address is not in "
                             "http.ops_allow\n");
                return;
            }
            routes[i].fn(hc);
            return;
        }
    respond_text(hc, 404, "not found: try /healthz or /metrics\n");
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct http_conn *hc = (struct http_conn *)h;

    (void)suggested;
    *buf = uv_buf_init(hc->in, sizeof(hc->in));
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct http_conn *hc = (struct http_conn *)s;

    if (nread == 0)
        return;
    if (nread < 0) {
        /* EOF before a whole request, or an error: nothing to answer. */
        if (!hc->answered && hc->query == NULL)
            hc_close(hc);
        else
            uv_read_stop(s);
        return;
    }
    if (hc->answered || hc->query || hc->req.done)
        return;
    if (http_req_feed(&hc->req, buf->base, (size_t)nread) == HTTP_REQ_DONE)
        dispatch(hc);
}

static bool same_address(const struct sockaddr_storage *a,
                         const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                      &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
    /* IPv6 by its /64, as the login limiter counts: one host often has
     * the whole of one. */
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, 8) == 0;
    return false;
}

/*
 * Room for hc: refused when its address already holds MAX_PER_ADDRESS;
 * when every place is taken, the oldest connection still sending its
 * request is closed instead (a slow client gives way to a new one).
 */
static bool make_room(struct http *http, struct http_conn *hc)
{
    struct http_conn *oldest = NULL;
    size_t same = 0;

    for (struct http_conn *o = http->conns; o; o = o->next) {
        if (o == hc || o->closing)
            continue;
        if (hc->has_peer && o->has_peer && same_address(&o->peer, &hc->peer))
            same++;
        if (!o->answered && !o->query &&
            (!oldest || o->accepted_ms < oldest->accepted_ms))
            oldest = o;
    }
    if (same >= MAX_PER_ADDRESS)
        return false;
    if (http->nconns <= MAX_CONNS)
        return true;
    if (!oldest)
        return false;
    hc_close(oldest);
    return true;
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct http *http = listener->data;
    struct http_conn *hc;
    int len = sizeof(struct sockaddr_storage);

    if (status < 0) {
        dk_log(DK_LOG_WARN, "http: accept failed: %s", uv_strerror(status));
        return;
    }
    hc = dk_xcalloc(1, sizeof(*hc));
    hc->http = http;
    hc->refs = 1;
    hc->since_ms = hc->accepted_ms = uv_now(http->core->loop);
    uv_tcp_init(http->core->loop, &hc->tcp);
    hc->next = http->conns;
    if (http->conns)
        http->conns->prev = hc;
    http->conns = hc;
    http->nconns++;
    if (uv_accept(listener, (uv_stream_t *)&hc->tcp) < 0) {
        hc_close(hc);
        return;
    }
    hc->has_peer =
        uv_tcp_getpeername(&hc->tcp, (struct sockaddr *)&hc->peer, &len) == 0;
    if (!make_room(http, hc)) {
        /* Over a limit: monitoring retries; the server goes on. */
        hc_close(hc);
        return;
    }
    http_req_init(&hc->req);
    if (uv_read_start((uv_stream_t *)&hc->tcp, alloc_cb, read_cb) < 0)
        hc_close(hc);
}

/* Answer database waits that took too long; drop idle connections. */
static void sweep_cb(uv_timer_t *t)
{
    struct http *http = t->data;
    uint64_t now = uv_now(http->core->loop);

    for (struct http_conn *hc = http->conns, *next; hc; hc = next) {
        next = hc->next;
        if (hc->query && now - hc->since_ms >= QUERY_TIMEOUT_MS)
            hc->query(hc, NULL);
        else if (!hc->answered && !hc->query &&
                 now - hc->accepted_ms >= IDLE_TIMEOUT_MS)
            hc_close(hc); /* the whole request, however it trickles in */
    }
}

struct http *http_new(struct core *core)
{
    struct http *http = dk_xcalloc(1, sizeof(*http));

    http->core = core;
    uv_tcp_init(core->loop, &http->listener);
    http->listener.data = http;
    uv_timer_init(core->loop, &http->sweep);
    http->sweep.data = http;
    return http;
}

int http_listen(struct http *http, const char *addr)
{
    struct sockaddr_storage sa;
    char err[300];
    int rc;

    if (dk_addr_resolve(addr, true, &sa, err, sizeof(err)) < 0) {
        dk_log(DK_LOG_ERROR, "http.listen: %s", err);
        return -1;
    }
    if ((rc = uv_tcp_bind(&http->listener, (struct sockaddr *)&sa, 0)) < 0 ||
        (rc = uv_listen((uv_stream_t *)&http->listener, 128, on_connection)) <
            0) {
        dk_log(DK_LOG_ERROR, "could not listen on http %s: %s", addr,
               uv_strerror(rc));
        return -1;
    }
    uv_timer_start(&http->sweep, sweep_cb, SWEEP_MS, SWEEP_MS);
    dk_log(DK_LOG_INFO, "listening on http:%s", addr);
    return 0;
}

void http_close(struct http *http)
{
    if (!http || http->closing)
        return;
    http->closing = true;
    uv_close((uv_handle_t *)&http->listener, NULL);
    uv_close((uv_handle_t *)&http->sweep, NULL);
    while (http->conns)
        hc_close(http->conns);
}

void http_free(struct http *http)
{
    free(http);
}
