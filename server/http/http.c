/*
 * http.c - the HTTP/1.1 server on the main loop: /healthz and /metrics for
 * operators, everything else handed to the application (http_set_app).
 * A connection carries one request at a time (the exchange is the
 * connection itself); http_req.c parses, this file does the I/O, the
 * deadlines and the limits.
 *
 * Keep-alive: HTTP/1.1 connections stay open unless the client says
 * "Connection: close", HTTP/1.0 ones only when it asks for keep-alive; at
 * most MAX_REQUESTS requests per connection (the last response says
 * Connection: close).  Bytes read after a request (pipelining) wait in
 * hc->pending, at most PENDING_MAX of them before reading stops, and are
 * parsed once the response is written.  Errors the layer answers itself
 * (400, 403, 404 without an application, 405, 411, 413, 414, 431, a body
 * refused by body_chunk) close the connection.
 *
 * Deadlines, none of which bytes trickling in move: a request's head must
 * be in within IDLE_TIMEOUT_MS of the accept or of the end of the last
 * response; a body within BODY_TIMEOUT_MS plus one second per
 * BYTES_PER_SECOND (128 KiB) of its declared length from the end of the
 * head; a response must be written within the same scale of its length.
 * Answers that need the database (/healthz, /metrics) wait for it at most
 * QUERY_TIMEOUT_MS.  An exchange the application holds has no deadline:
 * the sweep never answers for it.
 *
 * Under attack: one address holds at most http.max_connections_per_address
 * connections, and when all http.max_connections are taken the connection
 * that has waited longest for a request (or its body) makes room, so slow
 * clients cannot keep a health check out.  A connection kept alive with
 * nothing of its next request yet is the first to give way, at either
 * cap: browsers keep several open per person, and a school's staff share
 * one address.  Reads go into one buffer of the server's; a
 * connection holds memory only for the request it is reading (its kept
 * headers, its body within the limit) and its pending bytes.
 *
 * Lifetime: hc->refs counts the handle (until its close callback), a
 * database query in flight, and the application while it holds the
 * exchange.  A client that goes (or http_close()) closes the handle at
 * once (a half close is not going: the answer is still written, then the
 * connection closes); an exchange the application holds stays allocated,
 * gone, until
 * http_respond(), which then only frees it and never touches struct http
 * (so it may come after http_free()).
 */
#include "http.h"
#include "http_req.h"
#include "db.h"
#include "dk_addr.h"
#include "dk_buf.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "metrics.h"
#include "core.h"

#include <arpa/inet.h>
#include <assert.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REQUESTS     100
#define IDLE_TIMEOUT_MS  10000 /* a request's head, idle time included */
#define BODY_TIMEOUT_MS  10000 /* a body, plus a second per ... */
#define WRITE_TIMEOUT_MS 10000 /* a response, plus a second per ... */
#define BYTES_PER_SECOND (128 * 1024)
#define QUERY_TIMEOUT_MS 2000
/* After a last answer sent before the request was read to its end (a
 * 413 for a body too large), what the client still sends is read and
 * dropped this long: closing with unread input would make the kernel
 * reset the connection, and a browser show that instead of the answer. */
#define LINGER_MS   2000
#define SWEEP_MS    250
#define READ_BUF    (64 * 1024)
#define PENDING_MAX (16 * 1024)
/* Bodies over SMALL_BODY (uploads) are held against a budget from their
 * Content-Length on, before a byte of them is read: at most
 * BODY_PER_ADDRESS for one address's connections and BODY_BUDGET for all;
 * one over either is answered 503.  Without it, 256 connections that each
 * announce 50 MiB could make the server hold 12 GiB, logged in or not. */
#define SMALL_BODY       (1024 * 1024)
#define BODY_PER_ADDRESS (128 * 1024 * 1024)
#define BODY_BUDGET      (512 * 1024 * 1024)

#define NO_STORE "Cache-Control: no-store\r\n"

struct http {
    struct core *core; /* borrowed */
    uv_tcp_t listener;
    uv_timer_t sweep;
    struct http_exchange *conns;
    size_t nconns;
    uint64_t states;        /* states begun so far: each one's serial */
    uint64_t body_reserved; /* the bodies' share of BODY_BUDGET */
    bool closing;
    bool has_app;
    struct http_app app;
    char rbuf[READ_BUF]; /* every read lands here, then is parsed at once */
};

enum hc_state {
    HC_HEAD,    /* waiting for a request's head (and between requests) */
    HC_BODY,    /* reading its body */
    HC_QUERY,   /* /healthz or /metrics waits on the database */
    HC_APP,     /* the application holds the exchange */
    HC_WRITING, /* the response is on its way */
    HC_LINGER,  /* answered for the last time: what still comes is dropped */
    HC_STREAM,  /* a streamed answer (http_stream_start) is being written */
};

typedef void (*finish_fn)(struct http_exchange *hc, const PGresult *res);

/* One connection, and the exchange of its current request. */
struct http_exchange {
    uv_tcp_t tcp;      /* first: the handle's memory is the connection's */
    struct http *http; /* borrowed; never used once closing */
    int refs;          /* the handle's, a query's, the application's */
    enum hc_state state;
    bool closing;     /* uv_close() called: gone */
    bool reading;     /* uv_read_start() in effect */
    bool eof;         /* the client will send nothing more */
    bool close_after; /* the response on its way is the last */
    bool continued;   /* "100 Continue" sent for this request */
    unsigned nrequests;
    bool between; /* kept alive, nothing of the next request yet */
    struct http_req req;
    struct http_req_hooks hooks;
    struct dk_buf pending; /* owned: bytes after the current request */
    uint64_t since_ms;     /* the current state began */
    uint64_t serial;       /* order of states begun: ties of since_ms */
    uint64_t deadline_ms;  /* HC_HEAD, HC_BODY, HC_WRITING: closed after */
    finish_fn query;       /* HC_QUERY: what answers */
    struct db_query *q;    /* HC_QUERY: the query in flight (borrowed) */
    void *data;            /* the application's, freed by free_data */
    void (*free_data)(void *data);
    void (*gone)(void *arg); /* HC_STREAM: the client went */
    void *gone_arg;
    uint64_t reserved; /* of the budget for this request's body */
    struct sockaddr_storage peer;
    bool has_peer;
    char peer_name[INET6_ADDRSTRLEN + 8];
    struct http_exchange *prev, *next;
};

struct write_req {
    uv_write_t req;
    char *head; /* owned */
    char *body; /* owned; may be NULL */
    bool final; /* a response, not "100 Continue" */
};

static void hc_feed(struct http_exchange *hc, const char *data, size_t len);

/* hc's current state begins now (ms: the loop's time). */
static void state_began(struct http_exchange *hc, uint64_t now)
{
    hc->since_ms = now;
    hc->serial = ++hc->http->states;
}

/* ---- lifetime ------------------------------------------------------------ */

/* The exchange is over: the application's state goes. */
static void exchange_end(struct http_exchange *hc)
{
    void (*free_data)(void *data) = hc->free_data;
    void *data = hc->data;

    hc->data = NULL;
    hc->free_data = NULL;
    if (free_data)
        free_data(data);
}

static void hc_unref(struct http_exchange *hc)
{
    assert(hc->refs > 0);
    if (--hc->refs > 0)
        return;
    exchange_end(hc);
    http_req_cleanup(&hc->req);
    dk_buf_free(&hc->pending);
    free(hc);
}

static void hc_closed_cb(uv_handle_t *h)
{
    hc_unref((struct http_exchange *)h);
}

/* The request's body no longer counts against the budget. */
static void body_release(struct http_exchange *hc)
{
    hc->http->body_reserved -= hc->reserved;
    hc->reserved = 0;
}

static void hc_close(struct http_exchange *hc, const char *why)
{
    struct http *http = hc->http;

    if (hc->closing)
        return;
    dk_log(DK_LOG_DEBUG, "http: closing peer=%s: %s", hc->peer_name, why);
    hc->closing = true;
    body_release(hc);
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        http->conns = hc->next;
    if (hc->next)
        hc->next->prev = hc->prev;
    http->nconns--;
    /* The application's state stays while it holds the exchange. */
    if (hc->state != HC_APP && hc->state != HC_STREAM)
        exchange_end(hc);
    uv_close((uv_handle_t *)&hc->tcp, hc_closed_cb);
    if (hc->state == HC_STREAM && hc->gone) {
        void (*gone)(void *arg) = hc->gone;
        hc->gone = NULL;
        gone(hc->gone_arg); /* may call http_stream_end() */
    }
}

/* ---- writing ------------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void read_on(struct http_exchange *hc, bool on)
{
    if (hc->closing || hc->reading == on)
        return;
    if (on && uv_read_start((uv_stream_t *)&hc->tcp, alloc_cb, read_cb) < 0) {
        hc_close(hc, "could not read");
        return;
    }
    if (!on)
        uv_read_stop((uv_stream_t *)&hc->tcp);
    hc->reading = on;
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    struct http_exchange *hc = req->data;

    free(req);
    if (hc->closing)
        return;
    if (status < 0 || hc->eof) {
        hc_close(hc, "answered");
        return;
    }
    hc->state = HC_LINGER;
    hc->deadline_ms = uv_now(hc->http->core->loop) + LINGER_MS;
    dk_buf_free(&hc->pending);
    read_on(hc, true);
}

/* The response is written and the connection goes on: the next request,
 * from what is pending first. */
static void next_request(struct http_exchange *hc)
{
    uint64_t now = uv_now(hc->http->core->loop);
    char *data;
    size_t len;

    hc->state = HC_HEAD;
    hc->between = hc->pending.len == 0;
    state_began(hc, now);
    hc->deadline_ms = now + IDLE_TIMEOUT_MS;
    hc->continued = false;
    body_release(hc);
    http_req_reset(&hc->req);
    if (hc->pending.len > 0) {
        data = dk_buf_steal(&hc->pending, &len);
        hc_feed(hc, data, len);
        free(data);
    } else {
        dk_buf_free(&hc->pending); /* an idle connection holds nothing */
    }
    if (hc->closing || (hc->state != HC_HEAD && hc->state != HC_BODY))
        return;
    if (hc->eof)
        hc_close(hc, "the client has gone");
    else
        read_on(hc, true);
}

static void write_cb(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct http_exchange *hc = req->data;
    bool final = w->final;

    free(w->head);
    free(w->body);
    free(w);
    /* uv_close() runs the callbacks of writes it cancels before the close
     * callback: hc is still there. */
    if (hc->closing)
        return;
    if (status < 0) {
        hc_close(hc, "write failed");
        return;
    }
    if (!final)
        return;
    if (!hc->close_after) {
        next_request(hc);
        return;
    }
    /* Let the client read to the end before the close. */
    uv_shutdown_t *sd = dk_xcalloc(1, sizeof(*sd));
    sd->data = hc;
    if (uv_shutdown(sd, (uv_stream_t *)&hc->tcp, shutdown_cb) < 0) {
        free(sd);
        hc_close(hc, "could not shut down");
    }
}

/* Queue head and body (both taken; body may be NULL); false if it
 * failed, and hc is closed. */
static bool write_bufs(struct http_exchange *hc, char *head, size_t head_len,
                       char *body, size_t body_len, bool final)
{
    struct write_req *w = dk_xcalloc(1, sizeof(*w));
    uv_buf_t bufs[2];

    assert(head_len <= UINT_MAX && body_len <= UINT_MAX);
    w->head = head;
    w->body = body;
    w->final = final;
    w->req.data = hc;
    bufs[0] = uv_buf_init(head, (unsigned)head_len);
    bufs[1] = uv_buf_init(body, (unsigned)body_len);
    if (uv_write(&w->req, (uv_stream_t *)&hc->tcp, bufs, body_len ? 2 : 1,
                 write_cb) < 0) {
        free(head);
        free(body);
        free(w);
        hc_close(hc, "write failed");
        return false;
    }
    return true;
}

/* Write a response: headers and body are taken.  last: close after it. */
static void send_response(struct http_exchange *hc, int status,
                          const char *type, struct dk_buf *headers,
                          struct dk_buf *body, bool last)
{
    struct dk_buf head = DK_BUF_INIT(0);
    uint64_t now = uv_now(hc->http->core->loop);
    size_t length = body ? body->len : 0; /* HEAD's too */
    size_t head_len, body_len = 0;
    char *body_data = NULL, *head_data;

    last = last || !hc->req.keep_alive || hc->nrequests >= MAX_REQUESTS ||
           (hc->eof && hc->pending.len == 0) || hc->http->closing;
    hc->close_after = last;
    dk_buf_printf(&head, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
    if (type)
        dk_buf_printf(&head, "Content-Type: %s\r\n", type);
    dk_buf_printf(&head, "Content-Length: %zu\r\nConnection: %s\r\n", length,
                  last ? "close" : "keep-alive");
    if (headers && headers->len)
        dk_buf_add(&head, headers->data, headers->len);
    dk_buf_adds(&head, "\r\n");
    if (headers)
        dk_buf_free(headers);
    /* The body is handed to the write as it is: no copy. */
    if (body && body->len && !hc->req.head)
        body_data = dk_buf_steal(body, &body_len);
    if (body)
        dk_buf_free(body);
    hc->state = HC_WRITING;
    state_began(hc, now);
    hc->deadline_ms = now + WRITE_TIMEOUT_MS +
                      (uint64_t)(head.len + body_len) / BYTES_PER_SECOND * 1000;
    head_data = dk_buf_steal(&head, &head_len);
    write_bufs(hc, head_data, head_len, body_data, body_len, true);
}

/* The layer's own answer: short text, maybe extra headers (static). */
static void respond_text(struct http_exchange *hc, int status,
                         const char *extra, const char *text, bool last)
{
    struct dk_buf headers = DK_BUF_INIT(0), body = DK_BUF_INIT(0);

    dk_buf_adds(&headers, NO_STORE);
    if (extra)
        dk_buf_adds(&headers, extra);
    dk_buf_adds(&body, text);
    exchange_end(hc);
    send_response(hc, status, "text/plain; charset=utf-8", &headers, &body,
                  last);
}

/* A request refused before the application saw it: its page when the
 * application has one (a person in a browser reads it), else text. */
static void respond_refused(struct http_exchange *hc, int status,
                            const char *extra, const char *text)
{
    struct http *http = hc->http;
    struct dk_buf headers = DK_BUF_INIT(0), body = DK_BUF_INIT(0);

    if (!http->has_app || !http->app.error_page) {
        respond_text(hc, status, extra, text, true);
        return;
    }
    dk_buf_adds(&headers, NO_STORE);
    if (extra)
        dk_buf_adds(&headers, extra);
    http->app.error_page(http->app.arg, status, text, &body);
    exchange_end(hc);
    send_response(hc, status, "text/html; charset=utf-8", &headers, &body,
                  true);
}

static void respond_ops(struct http_exchange *hc, int status, const char *type,
                        char *text, size_t len)
{
    struct dk_buf headers = DK_BUF_INIT(0);
    struct dk_buf body = {text, len, len + 1, 0}; /* takes text */

    dk_buf_adds(&headers, NO_STORE);
    send_response(hc, status, type, &headers, &body, false);
}

/* ---- routes -------------------------------------------------------------- */

static void query_done(struct db_query *q, PGresult *res, void *arg)
{
    struct http_exchange *hc = arg;
    finish_fn finish = hc->query;

    /* Timed out (and answered), or gone meanwhile: nothing to do. */
    if (!hc->closing && hc->state == HC_QUERY && hc->q == q) {
        hc->query = NULL;
        hc->q = NULL;
        finish(hc, res);
    }
    hc_unref(hc);
}

/* Ask the database sql; finish runs with its result (NULL: no answer). */
static void ask(struct http_exchange *hc, const char *sql, finish_fn finish)
{
    struct db_query *q = db_query_new(sql, 0);

    hc->state = HC_QUERY;
    hc->query = finish;
    hc->q = q;
    state_began(hc, uv_now(hc->http->core->loop));
    hc->refs++;
    if (db_submit(hc->http->core->db, q, query_done, hc) != 0) {
        hc->refs--;
        hc->query = NULL;
        hc->q = NULL;
        finish(hc, NULL);
    }
}

static void healthz_done(struct http_exchange *hc, const PGresult *res)
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
    json_decref(body);
    if (text)
        respond_ops(hc, up && !core->draining ? 200 : 503, "application/json",
                    text, strlen(text));
    else
        respond_text(hc, 503, NULL, "unavailable\n", true);
}

static void route_healthz(struct http_exchange *hc)
{
    ask(hc, "SELECT 1", healthz_done);
}

static void metrics_done(struct http_exchange *hc, const PGresult *res)
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
        respond_text(hc, 503, NULL, "out of memory\n", true);
        return;
    }
    respond_ops(hc, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

static void route_metrics(struct http_exchange *hc)
{
    ask(hc, metrics_db_sql, metrics_done);
}

/* Whether hc's peer is in http.ops_allow. */
static bool ops_allowed(const struct http_exchange *hc)
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
    void (*fn)(struct http_exchange *hc);
} ops_routes[] = {
    {"/healthz", route_healthz},
    {"/metrics", route_metrics},
};

static const struct route *ops_route(const char *path)
{
    for (size_t i = 0; i < sizeof(ops_routes) / sizeof(ops_routes[0]); i++)
        if (strcmp(ops_routes[i].path, path) == 0)
            return &ops_routes[i];
    return NULL;
}

static void fill_peer(struct http_exchange *hc)
{
    hc->req.view.peer = hc->peer_name;
    hc->req.view.peer_addr = hc->has_peer ? &hc->peer : NULL;
}

/* A request is whole, or refused: answer it. */
static void dispatch(struct http_exchange *hc)
{
    struct http_req *r = &hc->req;
    const struct route *route;
    char msg[200];

    hc->nrequests++;
    if (r->status) {
        snprintf(msg, sizeof(msg), "%s%s%s\n", r->why, r->detail[0] ? ": " : "",
                 r->detail);
        respond_refused(hc, r->status,
                        r->status == 405 ? "Allow: GET, HEAD, POST\r\n" : NULL,
                        msg);
        return;
    }
    if ((route = ops_route(r->view.path))) {
        if (!ops_allowed(hc))
            respond_text(hc, 403, NULL,
                         "forbidden: this address is not in "
                         "http.ops_allow\n",
                         true);
        else if (r->view.method == HTTP_POST)
            respond_text(hc, 405, "Allow: GET, HEAD\r\n",
                         "only GET and HEAD are served here\n", true);
        else
            route->fn(hc);
        return;
    }
    if (!hc->http->has_app) {
        respond_text(hc, 404, NULL, "not found: try /healthz or /metrics\n",
                     true);
        return;
    }
    hc->state = HC_APP;
    state_began(hc, uv_now(hc->http->core->loop));
    hc->refs++; /* the application's, until http_respond() */
    fill_peer(hc);
    hc->http->app.handle(hc->http->app.arg, hc, &r->view);
}

/* ---- reading ------------------------------------------------------------- */

static bool same_address(const struct sockaddr_storage *a,
                         const struct sockaddr_storage *b);

static size_t hook_body_limit(void *arg, struct http_req *r)
{
    struct http_exchange *hc = arg;
    struct http *http = hc->http;
    uint64_t mine = 0;
    size_t limit;

    if (ops_route(r->view.path) || !http->has_app || !http->app.body_limit)
        return 0;
    fill_peer(hc);
    limit = http->app.body_limit(http->app.arg, &r->view);
    if (r->content_length <= SMALL_BODY || r->content_length > limit)
        return limit;
    for (struct http_exchange *o = http->conns; o; o = o->next)
        if (o != hc && hc->has_peer && o->has_peer &&
            same_address(&o->peer, &hc->peer))
            mine += o->reserved;
    if (mine + r->content_length > BODY_PER_ADDRESS ||
        http->body_reserved + r->content_length > BODY_BUDGET) {
        dk_log(DK_LOG_WARN,
               "http: a %llu-byte body from %s refused: too many large bodies "
               "at once",
               (unsigned long long)r->content_length, hc->peer_name);
        return HTTP_REQ_BUSY;
    }
    hc->reserved = r->content_length;
    http->body_reserved += hc->reserved;
    return limit;
}

static int hook_body_chunk(void *arg, struct http_req *r, const char *data,
                           size_t len)
{
    struct http_exchange *hc = arg;
    struct http *http = hc->http;

    if (!http->has_app || !http->app.body_chunk)
        return 0;
    return http->app.body_chunk(http->app.arg, hc, &r->view, data, len);
}

static void send_continue(struct http_exchange *hc)
{
    static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";

    hc->continued = true;
    write_bufs(hc, dk_xstrdup(line), sizeof(line) - 1, NULL, 0, false);
}

/* Bytes of the request being read (HC_HEAD, HC_BODY). */
static void hc_feed(struct http_exchange *hc, const char *data, size_t len)
{
    struct http_req *r = &hc->req;
    size_t used = http_req_feed(r, data, len);
    uint64_t now;

    if (!r->done) {
        if (r->headers_done && hc->state == HC_HEAD) {
            now = uv_now(hc->http->core->loop);
            hc->state = HC_BODY;
            state_began(hc, now);
            hc->deadline_ms = now + BODY_TIMEOUT_MS +
                              r->content_length / BYTES_PER_SECOND * 1000;
        }
        if (r->expect_continue && !hc->continued && r->body.len == 0)
            send_continue(hc);
        return;
    }
    /* The rest is the next request: it waits for this one's answer. */
    if (r->status == 0 && used < len &&
        !dk_buf_add(&hc->pending, data + used, len - used)) {
        hc_close(hc, "too much pipelined input");
        return;
    }
    dispatch(hc);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct http_exchange *hc = (struct http_exchange *)h;

    (void)suggested;
    *buf = uv_buf_init(hc->http->rbuf, sizeof(hc->http->rbuf));
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct http_exchange *hc = (struct http_exchange *)s;
    bool reading_request = hc->state == HC_HEAD || hc->state == HC_BODY;

    if (nread == 0)
        return;
    if (hc->state == HC_LINGER) {
        if (nread < 0)
            hc_close(hc, "answered");
        return; /* dropped */
    }
    /* A stream's client has nothing to say; its end (or a reset) is the
     * only way a closed tab shows. */
    if (hc->state == HC_STREAM) {
        if (nread < 0)
            hc_close(hc, "the stream's client has gone");
        return;
    }
    if (nread < 0) {
        /* EOF before a whole request, or an error: nothing to answer.  An
         * EOF while a request is answered is a half close: answer it. */
        if (nread != UV_EOF || reading_request) {
            hc_close(hc, nread == UV_EOF ? "end of input"
                                         : uv_strerror((int)nread));
            return;
        }
        hc->eof = true;
        read_on(hc, false);
        return;
    }
    if (reading_request) {
        hc->between = false;
        hc_feed(hc, buf->base, (size_t)nread);
        return;
    }
    /* The next request, while this one is answered. */
    if (!dk_buf_add(&hc->pending, buf->base, (size_t)nread)) {
        hc_close(hc, "too much pipelined input");
        return;
    }
    if (hc->pending.len >= PENDING_MAX)
        read_on(hc, false);
}

/* ---- connections --------------------------------------------------------- */

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

/* Within one millisecond (streams opened one after another), the one
 * whose state began first is the older: else the newest of a tie gave
 * way, and a browser's oldest stream stayed while its newest was cut. */
static bool older(const struct http_exchange *a, const struct http_exchange *b)
{
    return !b || a->since_ms < b->since_ms ||
           (a->since_ms == b->since_ms && a->serial < b->serial);
}

/* How readily o gives way to a new connection: one kept alive with
 * nothing of its next request first, then a stream (its client comes
 * back by itself and resumes where it was); 0: o is at work for its
 * client (an answered one lingering, too: cut, its client would see a
 * reset instead of the answer). */
static int gives_way(const struct http_exchange *o)
{
    if (o->state == HC_HEAD && o->between)
        return 2;
    return o->state == HC_STREAM ? 1 : 0;
}

static bool readier(const struct http_exchange *a,
                    const struct http_exchange *b)
{
    return !b || gives_way(a) > gives_way(b) ||
           (gives_way(a) == gives_way(b) && older(a, b));
}

/*
 * Room for hc.  At its address's cap, one of that address's connections
 * that gives way (gives_way()) does, the readiest and then the oldest;
 * else hc is refused: a page is never refused because the same address
 * has pages open.  When every place is taken, the readiest of anyone's
 * gives way, else the one that has waited longest for a request or its
 * body (a slow client gives way to a new one).
 */
static bool make_room(struct http *http, struct http_exchange *hc)
{
    const struct dk_config *cfg = http->core->cfg;
    struct http_exchange *slow = NULL, *idle = NULL, *idle_same = NULL;
    size_t same = 0;

    for (struct http_exchange *o = http->conns; o; o = o->next) {
        bool mine;
        if (o == hc)
            continue;
        mine = hc->has_peer && o->has_peer && same_address(&o->peer, &hc->peer);
        same += mine;
        if (gives_way(o)) {
            if (readier(o, idle))
                idle = o;
            if (mine && readier(o, idle_same))
                idle_same = o;
        } else if ((o->state == HC_HEAD || o->state == HC_BODY ||
                    o->state == HC_LINGER) &&
                   older(o, slow)) {
            slow = o;
        }
    }
    if (same >= (size_t)cfg->http.max_connections_per_address) {
        if (!idle_same)
            return false;
        if (idle == idle_same)
            idle = NULL;
        hc_close(idle_same, "making room for its address's new connection");
        if (http->nconns <= (size_t)cfg->http.max_connections)
            return true;
    }
    if (http->nconns <= (size_t)cfg->http.max_connections)
        return true;
    if (idle || slow) {
        hc_close(idle ? idle : slow, "making room for a new connection");
        return true;
    }
    return false;
}

static void describe_peer(struct http_exchange *hc)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int len = sizeof(hc->peer);
    int port = 0;

    hc->has_peer =
        uv_tcp_getpeername(&hc->tcp, (struct sockaddr *)&hc->peer, &len) == 0;
    if (hc->has_peer && hc->peer.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&hc->peer;
        uv_ip4_name(in, host, sizeof(host));
        port = ntohs(in->sin_port);
    } else if (hc->has_peer && hc->peer.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&hc->peer;
        uv_ip6_name(in6, host, sizeof(host));
        port = ntohs(in6->sin6_port);
    }
    snprintf(hc->peer_name, sizeof(hc->peer_name), "%s:%d", host, port);
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct http *http = listener->data;
    struct http_exchange *hc;

    if (status < 0) {
        dk_log(DK_LOG_WARN, "http: accept failed: %s", uv_strerror(status));
        return;
    }
    hc = dk_xcalloc(1, sizeof(*hc));
    hc->http = http;
    hc->refs = 1;
    hc->state = HC_HEAD;
    state_began(hc, uv_now(http->core->loop));
    hc->deadline_ms = hc->since_ms + IDLE_TIMEOUT_MS;
    hc->hooks = (struct http_req_hooks){hook_body_limit, hook_body_chunk, hc};
    http_req_init(&hc->req, &hc->hooks);
    dk_buf_init(&hc->pending, PENDING_MAX + READ_BUF);
    snprintf(hc->peer_name, sizeof(hc->peer_name), "?");
    uv_tcp_init(http->core->loop, &hc->tcp);
    hc->next = http->conns;
    if (http->conns)
        http->conns->prev = hc;
    http->conns = hc;
    http->nconns++;
    if (uv_accept(listener, (uv_stream_t *)&hc->tcp) < 0) {
        hc_close(hc, "accept failed");
        return;
    }
    describe_peer(hc);
    if (!make_room(http, hc)) {
        /* Over a limit: monitoring retries; the server goes on. */
        hc_close(hc, "too many connections");
        return;
    }
    read_on(hc, true);
}

/* Answer database waits that took too long; drop connections past their
 * deadline.  An exchange the application holds is left alone. */
static void sweep_cb(uv_timer_t *t)
{
    struct http *http = t->data;
    uint64_t now = uv_now(http->core->loop);
    finish_fn finish;

    for (struct http_exchange *hc = http->conns, *next; hc; hc = next) {
        next = hc->next;
        switch (hc->state) {
        case HC_QUERY:
            if (now - hc->since_ms >= QUERY_TIMEOUT_MS) {
                finish = hc->query;
                hc->query = NULL;
                hc->q = NULL;
                finish(hc, NULL);
            }
            break;
        case HC_HEAD:
        case HC_BODY:
        case HC_WRITING:
        case HC_LINGER:
            if (now >= hc->deadline_ms)
                hc_close(hc, hc->state == HC_WRITING  ? "write timed out"
                             : hc->state == HC_LINGER ? "answered"
                                                      : "read timed out");
            break;
        case HC_APP:
        case HC_STREAM:
            break;
        }
    }
}

/* ---- the interface ------------------------------------------------------- */

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

void http_set_app(struct http *http, const struct http_app *app)
{
    assert(app && app->handle);
    http->app = *app;
    http->has_app = true;
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
        hc_close(http->conns, "the server is stopping");
}

void http_free(struct http *http)
{
    free(http);
}

void http_exchange_set_data(struct http_exchange *x, void *data,
                            void (*free_fn)(void *data))
{
    x->data = data;
    x->free_data = free_fn;
}

void *http_exchange_data(const struct http_exchange *x)
{
    return x->data;
}

bool http_exchange_gone(const struct http_exchange *x)
{
    return x->closing;
}

void http_respond(struct http_exchange *x, int status, const char *content_type,
                  struct dk_buf *headers, struct dk_buf *body)
{
    assert(x->state == HC_APP && x->refs > 0);
    exchange_end(x);
    if (x->closing) {
        /* Gone: nothing to write, and x->http may be freed already. */
        if (headers)
            dk_buf_free(headers);
        if (body)
            dk_buf_free(body);
    } else {
        send_response(x, status, content_type, headers, body, false);
    }
    hc_unref(x);
}

/* ---- streamed answers -----------------------------------------------------
 */

void http_stream_start(struct http_exchange *x, int status, const char *type,
                       struct dk_buf *headers, void (*gone)(void *arg),
                       void *arg)
{
    struct dk_buf head = DK_BUF_INIT(0);
    char *data;
    size_t len;

    assert(x->state == HC_APP && x->refs > 0);
    if (x->closing) {
        /* Gone already: the application hears it now, as it would have. */
        if (headers)
            dk_buf_free(headers);
        gone(arg);
        return;
    }
    /* No Content-Length: the body ends when the connection does. */
    dk_buf_printf(&head,
                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                  "Connection: close\r\n",
                  status, http_reason(status), type);
    if (headers && headers->len)
        dk_buf_add(&head, headers->data, headers->len);
    dk_buf_adds(&head, "\r\n");
    if (headers)
        dk_buf_free(headers);
    x->state = HC_STREAM;
    x->close_after = true;
    x->gone = gone;
    x->gone_arg = arg;
    state_began(x, uv_now(x->http->core->loop));
    dk_buf_free(&x->pending); /* nothing more is read from this client */
    data = dk_buf_steal(&head, &len);
    if (write_bufs(x, data, len, NULL, 0, false))
        read_on(x, true);
}

bool http_stream_write(struct http_exchange *x, const char *data, size_t len)
{
    char *copy;
    uv_buf_t buf;
    int n;

    assert(x->state == HC_STREAM || x->closing);
    if (x->closing)
        return false;
    /* Nothing queued before it: straight to the socket, which an idle
     * client's takes whole (one event to a thousand pages is a thousand
     * of these); only what it does not take is copied and queued. */
    if (len && len <= UINT_MAX &&
        uv_stream_get_write_queue_size((uv_stream_t *)&x->tcp) == 0) {
        buf = uv_buf_init((char *)data, (unsigned)len);
        n = uv_try_write((uv_stream_t *)&x->tcp, &buf, 1);
        if (n == (int)len)
            return true;
        if (n > 0) {
            data += n;
            len -= (size_t)n;
        } else if (n != UV_EAGAIN) {
            hc_close(x, "write failed");
            return false;
        }
    }
    copy = dk_xmalloc(len ? len : 1);
    memcpy(copy, data, len);
    return write_bufs(x, copy, len, NULL, 0, false);
}

size_t http_stream_queued(const struct http_exchange *x)
{
    return x->closing
               ? 0
               : uv_stream_get_write_queue_size((const uv_stream_t *)&x->tcp);
}

void http_stream_end(struct http_exchange *x)
{
    uv_shutdown_t *sd;

    assert(x->refs > 0);
    x->gone = NULL;
    exchange_end(x);
    if (!x->closing) {
        /* What is queued goes first; then the close, as after a last
         * answer. */
        x->state = HC_WRITING;
        x->deadline_ms = uv_now(x->http->core->loop) + WRITE_TIMEOUT_MS;
        sd = dk_xcalloc(1, sizeof(*sd));
        sd->data = x;
        if (uv_shutdown(sd, (uv_stream_t *)&x->tcp, shutdown_cb) < 0) {
            free(sd);
            hc_close(x, "could not shut down");
        }
    }
    hc_unref(x);
}

const char *http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}
