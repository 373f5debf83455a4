/*
 * portal.c - load for the customer portal: many keep-alive HTTP/1.1
 * sessions on one libuv loop, each a contact's dk_session cookie (made in
 * SQL beforehand, as load.c's staff sessions are).  Each mode measures one
 * figure of BENCHMARKS.md and prints its results on one line:
 *
 *   portal list   HTTP TOKENS N           one session: N x GET /tickets?
 *                                         status=all, N x ?view=company
 *                                         (alternating), p50/p99/max each
 *   portal browse HTTP TOKENS SECONDS THINK_MS PID
 *                                         every session loops GET /tickets,
 *                                         GET /tickets/ID, each waiting for
 *                                         its answer and THINK_MS; requests
 *                                         per second, latency, and the peak
 *                                         VmRSS of docketd (PID)
 *   portal reply  HTTP TOKENS N RPC STAFF_TOKEN
 *                                         N replies (POST /tickets/ID/reply,
 *                                         multipart, with the csrf field of
 *                                         the ticket page), one at a time;
 *                                         a staff connection to RPC, logged
 *                                         in with STAFF_TOKEN and subscribed,
 *                                         times each ticket.changed push
 *                                         from the POST's first byte
 *   portal events HTTP TOKENS N RPC STAFF_TOKEN PID
 *                                         every session opens GET /events
 *                                         and stays idle: docketd's VmRSS
 *                                         (PID) before and after; then N
 *                                         staff replies (messages.send) to
 *                                         the ticket every session may see,
 *                                         one at a time, each timed from
 *                                         its request to its arrival on
 *                                         every stream
 *
 * HTTP is 127.0.0.1:PORT.  TOKENS has "token ticket-id" lines: one session
 * per line (reply: one line per ticket to answer, in turn).  Sessions
 * connect from 127.0.0.2 .. 127.0.0.17 (all loopback) because docketd
 * takes at most 32 connections from one address.  A connection docketd
 * closes (after 100 requests, Connection: close) is opened again for the
 * next request; that connect counts in the request's time, as a browser's
 * would.
 */
#include "dk_client.h"
#include "dk_buf.h"
#include "dk_mem.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SOURCES 16

struct sess;
typedef void (*answer_cb)(struct sess *s, int status, const char *body,
                          size_t len);

struct sess {
    struct bench *b;
    int index;
    char token[64];
    long long ticket;
    uv_tcp_t *tcp; /* owned: freed in tcp_closed_cb(); NULL when down */
    bool up;
    char *out; /* the request waiting for the connect */
    char *in;  /* what has come of the answer */
    size_t in_len, in_cap;
    uint64_t sent_ns; /* when the request started */
    answer_cb cb;     /* NULL: nothing in flight */
    int step;         /* browse: 0 list, 1 detail */
    uv_timer_t think;
    char csrf[64];
};

struct lat {
    double *ms;
    size_t n, cap;
};

struct bench {
    uv_loop_t *loop;
    struct sockaddr_in server;
    struct sess *s;
    int n;
    long long errors;
    /* list */
    int reps, rep;
    struct lat list_all, list_company;
    size_t rows_all, rows_company, bytes_all, bytes_company;
    /* browse */
    uint64_t deadline, start_ns, end_ns;
    int think_ms, running;
    long pid, peak_kb;
    struct lat lat_list, lat_detail;
    uv_timer_t rss;
    /* reply */
    struct dk_client *staff;
    char staff_token[64];
    int replies_wanted, replies_done;
    uint64_t post_ns;
    long long want_ticket;
    bool got_push, got_answer;
    struct lat push, answer;
    uv_timer_t pause;
    /* events */
    int streams_up, changes_wanted, change, arrived;
    long rss_before, rss_idle;
    uint64_t change_ns; /* the change's request went */
    struct lat deliver;
    uv_timer_t idle;
};

static void lat_add(struct lat *l, double ms)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->ms = dk_xrealloc(l->ms, l->cap * sizeof(double));
    }
    l->ms[l->n++] = ms;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    return a < b ? -1 : a > b;
}

static double pct(const struct lat *l, double p)
{
    size_t i;

    if (l->n == 0)
        return 0;
    i = (size_t)(p * (double)(l->n - 1) + 0.5);
    return l->ms[i < l->n ? i : l->n - 1];
}

/* "n=.. p50=..ms p99=..ms max=..ms" of l, sorted here. */
static void lat_print(const char *name, struct lat *l)
{
    qsort(l->ms, l->n, sizeof(double), cmp_double);
    printf(" %s_n=%zu %s_p50=%.2fms %s_p99=%.2fms %s_max=%.2fms", name, l->n,
           name, pct(l, 0.5), name, pct(l, 0.99), name,
           l->n ? l->ms[l->n - 1] : 0.0);
}

static double since_ms(uint64_t t0)
{
    return (double)(uv_hrtime() - t0) / 1e6;
}

static long rss_kb(long pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *fp;

    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    if (!(fp = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof(line), fp))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(fp);
    return kb;
}

/* ---- one HTTP/1.1 connection per session ---------------------------------
 */

static void sess_connect(struct sess *s);

static void tcp_closed_cb(uv_handle_t *h)
{
    free(h);
}

/* Drop the connection; a request in flight is answered with status 0. */
static void sess_down(struct sess *s)
{
    answer_cb cb = s->cb;

    if (s->tcp) {
        uv_close((uv_handle_t *)s->tcp, tcp_closed_cb);
        s->tcp = NULL;
    }
    s->up = false;
    s->in_len = 0;
    free(s->out);
    s->out = NULL;
    if (cb) {
        s->cb = NULL;
        s->b->errors++;
        cb(s, 0, "", 0);
    }
}

static void alloc_cb(uv_handle_t *h, size_t want, uv_buf_t *buf)
{
    struct sess *s = h->data;

    if (s->in_cap - s->in_len < 65536) {
        s->in_cap = s->in_cap ? s->in_cap * 2 : 131072;
        s->in = dk_xrealloc(s->in, s->in_cap);
    }
    buf->base = s->in + s->in_len;
    buf->len = s->in_cap - s->in_len - 1; /* room for sess_parse's NUL */
}

/* The value of header name in head (NUL-terminated), or NULL. */
static const char *header(const char *head, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        if (!strncasecmp(p + 2, name, n) && p[2 + n] == ':') {
            p += 3 + n;
            while (*p == ' ')
                p++;
            return p;
        }
    return NULL;
}

/* A whole answer in s->in: hand it over, keep what follows. */
static void sess_parse(struct sess *s)
{
    char *end, *head;
    const char *cl, *conn;
    size_t head_len, body_len, total;
    int status;
    bool close;
    answer_cb cb;

    if (s->in_len < 4)
        return;
    s->in[s->in_len] = '\0'; /* alloc_cb always leaves room */
    if (!(end = strstr(s->in, "\r\n\r\n")))
        return;
    head_len = (size_t)(end - s->in) + 4;
    head = dk_xmalloc(head_len + 1);
    memcpy(head, s->in, head_len);
    head[head_len] = '\0';
    cl = header(head, "Content-Length");
    body_len = cl ? strtoul(cl, NULL, 10) : 0;
    total = head_len + body_len;
    if (s->in_len < total) {
        free(head);
        return;
    }
    status = atoi(head + 9);
    conn = header(head, "Connection");
    close = conn && !strncasecmp(conn, "close", 5);
    free(head);
    cb = s->cb;
    s->cb = NULL;
    if (!cb) {
        sess_down(s); /* an answer nobody asked for */
        return;
    }
    /* The body is NUL-terminated for strstr(); the next answer starts
     * after it, so save the byte. */
    {
        char keep = s->in[total];
        s->in[total] = '\0';
        if (close) {
            /* Take the connection down first: cb may send at once. */
            char *body = dk_xmalloc(body_len + 1);
            memcpy(body, s->in + head_len, body_len + 1);
            s->in_len = 0;
            uv_close((uv_handle_t *)s->tcp, tcp_closed_cb);
            s->tcp = NULL;
            s->up = false;
            cb(s, status, body, body_len);
            free(body);
            return;
        }
        cb(s, status, s->in + head_len, body_len);
        if (s->in_len < total) /* cb took the connection down */
            return;
        s->in[total] = keep;
    }
    memmove(s->in, s->in + total, s->in_len - total);
    s->in_len -= total;
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct sess *s = st->data;

    if (nread < 0) {
        sess_down(s);
        return;
    }
    s->in_len += (size_t)nread;
    sess_parse(s);
}

static void write_cb(uv_write_t *w, int status)
{
    free(w->data);
    free(w);
}

static void sess_write(struct sess *s, char *req)
{
    uv_write_t *w = dk_xmalloc(sizeof(*w));
    uv_buf_t buf = uv_buf_init(req, (unsigned)strlen(req));

    w->data = req;
    if (uv_write(w, (uv_stream_t *)s->tcp, &buf, 1, write_cb) != 0) {
        free(req);
        free(w);
        sess_down(s);
    }
}

static void connect_cb(uv_connect_t *c, int status)
{
    struct sess *s = c->data;
    char *req;

    free(c);
    if (status != 0 || !s->tcp) {
        fprintf(stderr, "portal: connect: %s\n", uv_strerror(status));
        sess_down(s);
        return;
    }
    s->up = true;
    uv_read_start((uv_stream_t *)s->tcp, alloc_cb, read_cb);
    req = s->out;
    s->out = NULL;
    if (req)
        sess_write(s, req);
}

/* s's connection from its loopback source address; connected(status)
 * follows.  -1 when it could not even start. */
static int sess_dial(struct sess *s, uv_connect_cb connected)
{
    struct sockaddr_in from;
    uv_connect_t *c = dk_xmalloc(sizeof(*c));
    char ip[32];

    s->tcp = dk_xmalloc(sizeof(*s->tcp));
    uv_tcp_init(s->b->loop, s->tcp);
    s->tcp->data = s;
    uv_tcp_nodelay(s->tcp, 1);
    snprintf(ip, sizeof(ip), "127.0.0.%d", 2 + s->index % SOURCES);
    uv_ip4_addr(ip, 0, &from);
    uv_tcp_bind(s->tcp, (const struct sockaddr *)&from, 0);
    c->data = s;
    if (uv_tcp_connect(c, s->tcp, (const struct sockaddr *)&s->b->server,
                       connected) != 0) {
        free(c);
        return -1;
    }
    return 0;
}

static void sess_connect(struct sess *s)
{
    if (sess_dial(s, connect_cb) != 0)
        sess_down(s);
}

/* Send method path (with body of ctype, or none); cb gets the answer. */
static void sess_request(struct sess *s, const char *method, const char *path,
                         const char *ctype, const char *body, answer_cb cb)
{
    struct dk_buf req = DK_BUF_INIT(0);
    char port[8];

    assert(!s->cb);
    snprintf(port, sizeof(port), "%d", ntohs(s->b->server.sin_port));
    dk_buf_printf(
        &req,
        "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n"
        "Cookie: dk_session=%s\r\nUser-Agent: docket-portal-bench\r\n",
        method, path, port, s->token);
    if (body)
        dk_buf_printf(&req,
                      "Origin: http://127.0.0.1:%s\r\nContent-Type: %s\r\n"
                      "Content-Length: %zu\r\n",
                      port, ctype, strlen(body));
    dk_buf_printf(&req, "\r\n%s", body ? body : "");
    s->cb = cb;
    s->sent_ns = uv_hrtime();
    if (s->up) {
        sess_write(s, dk_buf_steal(&req, NULL));
        return;
    }
    free(s->out);
    s->out = dk_buf_steal(&req, NULL);
    if (!s->tcp)
        sess_connect(s);
}

/* ---- list ---------------------------------------------------------------- */

#define WARMUP 5

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void list_next(struct sess *s);

static void list_answer(struct sess *s, int status, const char *body,
                        size_t len)
{
    struct bench *b = s->b;
    double ms = since_ms(s->sent_ns);
    bool company = b->rep % 2;

    if (status != 200 && status != 0) /* 0 is counted by sess_down() */
        b->errors++;
    if (b->rep >= 2 * WARMUP) { /* the first few fill the caches */
        lat_add(company ? &b->list_company : &b->list_all, ms);
        *(company ? &b->rows_company : &b->rows_all) =
            count(body, "<tr data-ticket=");
        *(company ? &b->bytes_company : &b->bytes_all) = len;
    }
    if (++b->rep < 2 * (b->reps + WARMUP))
        list_next(s);
    else
        uv_stop(b->loop);
}

static void list_next(struct sess *s)
{
    sess_request(s, "GET",
                 s->b->rep % 2 ? "/tickets?view=company&status=all"
                               : "/tickets?status=all",
                 NULL, NULL, list_answer);
}

/* ---- browse --------------------------------------------------------------
 */

static void browse_next(struct sess *s);

static void think_cb(uv_timer_t *t)
{
    browse_next(t->data);
}

static void browse_answer(struct sess *s, int status, const char *body,
                          size_t len)
{
    struct bench *b = s->b;
    double ms = since_ms(s->sent_ns);

    if (status != 200) {
        if (status)
            b->errors++; /* 0 is counted by sess_down() */
    } else {
        lat_add(s->step ? &b->lat_detail : &b->lat_list, ms);
    }
    s->step = !s->step;
    if (uv_now(b->loop) >= b->deadline) {
        if (--b->running == 0) {
            b->end_ns = uv_hrtime();
            uv_stop(b->loop);
        }
        return;
    }
    if (b->think_ms)
        uv_timer_start(&s->think, think_cb, (uint64_t)b->think_ms, 0);
    else
        browse_next(s);
}

static void browse_next(struct sess *s)
{
    char path[64];

    if (s->step)
        snprintf(path, sizeof(path), "/tickets/%lld", s->ticket);
    else
        snprintf(path, sizeof(path), "/tickets");
    sess_request(s, "GET", path, NULL, NULL, browse_answer);
}

static void rss_cb(uv_timer_t *t)
{
    struct bench *b = t->data;
    long kb = rss_kb(b->pid);

    if (kb > b->peak_kb)
        b->peak_kb = kb;
}

/* ---- reply ---------------------------------------------------------------
 */

static void reply_next(struct bench *b);

static void pause_cb(uv_timer_t *t)
{
    reply_next(t->data);
}

/* Both the POST's answer and the push are in: on to the next. */
static void reply_finished(struct bench *b)
{
    if (!b->got_push || !b->got_answer)
        return;
    if (++b->replies_done == b->replies_wanted) {
        uv_stop(b->loop);
        return;
    }
    /* A contact does not reply every millisecond; nor does this. */
    uv_timer_start(&b->pause, pause_cb, 20, 0);
}

static void reply_answer(struct sess *s, int status, const char *body,
                         size_t len)
{
    struct bench *b = s->b;

    if (status != 303) {
        fprintf(stderr, "portal: reply answered %d\n", status);
        b->errors++;
        b->got_push = true; /* no push will come */
    } else {
        lat_add(&b->answer, since_ms(b->post_ns));
    }
    b->got_answer = true;
    reply_finished(b);
}

static void page_answer(struct sess *s, int status, const char *body,
                        size_t len)
{
    struct bench *b = s->b;
    const char *p = strstr(body, "name=\"csrf\" value=\"");
    char form[1024];
    const char *bound = "----docketbench7d1f0a";

    if (status != 200 || !p) {
        fprintf(stderr, "portal: ticket %lld page: %d, %s\n", s->ticket, status,
                p ? "csrf found" : "no csrf field");
        exit(1);
    }
    p += strlen("name=\"csrf\" value=\"");
    snprintf(s->csrf, sizeof(s->csrf), "%.*s", (int)strcspn(p, "\""), p);
    snprintf(form, sizeof(form),
             "--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n"
             "%s\r\n--%s\r\nContent-Disposition: form-data; name=\"body\"\r\n"
             "\r\nReply %d from the portal bench.\r\n--%s--\r\n",
             bound, s->csrf, bound, b->replies_done + 1, bound);
    {
        char path[64], ctype[128];
        snprintf(path, sizeof(path), "/tickets/%lld/reply", s->ticket);
        snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%s",
                 bound);
        b->want_ticket = s->ticket;
        b->got_push = b->got_answer = false;
        sess_request(s, "POST", path, ctype, form, reply_answer);
        b->post_ns = s->sent_ns;
    }
}

static void reply_next(struct bench *b)
{
    struct sess *s = &b->s[b->replies_done % b->n];
    char path[64];

    snprintf(path, sizeof(path), "/tickets/%lld", s->ticket);
    sess_request(s, "GET", path, NULL, NULL, page_answer);
}

static void staff_push(struct dk_client *cl, const char *method, json_t *params,
                       void *arg)
{
    struct bench *b = arg;
    json_t *t = json_object_get(params, "ticket");
    const char *type = json_string_value(json_object_get(params, "type"));
    const char *action = json_string_value(json_object_get(params, "action"));

    if (strcmp(method, "event") || !type || strcmp(type, "ticket.changed") ||
        !action || strcmp(action, "message_received") || b->got_push ||
        !b->post_ns ||
        json_integer_value(json_object_get(t, "id")) != b->want_ticket)
        return;
    lat_add(&b->push, since_ms(b->post_ns));
    b->got_push = true;
    reply_finished(b);
}

static void subscribed(struct dk_client *cl, json_t *result, json_t *error,
                       void *arg)
{
    if (error) {
        fprintf(stderr, "portal: events.subscribe failed\n");
        exit(1);
    }
    reply_next(arg);
}

static void resumed(struct dk_client *cl, json_t *result, json_t *error,
                    void *arg)
{
    if (error) {
        fprintf(stderr, "portal: session.resume failed: %s\n",
                json_string_value(json_object_get(error, "message")));
        exit(1);
    }
    dk_client_call(cl, "events.subscribe", json_object(), subscribed, arg);
}

static void staff_state(struct dk_client *cl, enum dk_client_state st,
                        const char *why, void *arg)
{
    struct bench *b = arg;

    if (st == DK_CLIENT_UP)
        dk_client_call(cl, "session.resume",
                       json_pack("{s:s}", "token", b->staff_token), resumed, b);
    else if (st == DK_CLIENT_DOWN) {
        fprintf(stderr, "portal: staff connection: %s\n", why ? why : "down");
        exit(1);
    }
}

/* ---- events ---------------------------------------------------------------
 */

static void change_next(struct bench *b);

static void change_pause_cb(uv_timer_t *t)
{
    change_next(t->data);
}

/* One stream's bytes: each whole event in it that carries the change
 * being timed counts once for this session. */
static void stream_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct sess *s = st->data;
    struct bench *b = s->b;
    char *end, *frame;
    const char *k;

    (void)buf;
    if (nread < 0) {
        fprintf(stderr, "portal: stream %d ended: %s\n", s->index,
                uv_strerror((int)nread));
        b->errors++;
        uv_close((uv_handle_t *)s->tcp, tcp_closed_cb);
        s->tcp = NULL;
        return;
    }
    s->in_len += (size_t)nread;
    s->in[s->in_len] = '\0';
    if (s->step == 0) {
        /* The head, then the retry hint: the stream is up. */
        if (!strstr(s->in, "\r\n\r\n"))
            return;
        if (strncmp(s->in, "HTTP/1.1 200", 12)) {
            fprintf(stderr, "portal: stream %d: %.40s\n", s->index, s->in);
            exit(1);
        }
        s->step = 1;
        b->streams_up++;
        end = strstr(s->in, "\r\n\r\n") + 4;
        memmove(s->in, end, s->in_len - (size_t)(end - s->in) + 1);
        s->in_len = strlen(s->in);
    }
    while ((end = strstr(s->in, "\n\n"))) {
        frame = s->in;
        *end = '\0';
        if (strstr(frame, "event: ticket") &&
            (k = strstr(frame, "\"body\":\"Change ")) &&
            atoi(k + strlen("\"body\":\"Change ")) == b->change) {
            lat_add(&b->deliver, since_ms(b->change_ns));
            if (++b->arrived == b->n) {
                if (b->change == b->changes_wanted)
                    uv_stop(b->loop);
                else
                    uv_timer_start(&b->pause, change_pause_cb, 50, 0);
            }
        }
        memmove(s->in, end + 2, s->in_len - (size_t)(end + 2 - s->in) + 1);
        s->in_len = strlen(s->in);
    }
}

static void stream_connect_cb(uv_connect_t *c, int status)
{
    struct sess *s = c->data;
    char port[8];

    free(c);
    if (status != 0) {
        fprintf(stderr, "portal: stream connect: %s\n", uv_strerror(status));
        exit(1);
    }
    snprintf(port, sizeof(port), "%d", ntohs(s->b->server.sin_port));
    uv_read_start((uv_stream_t *)s->tcp, alloc_cb, stream_read_cb);
    sess_write(s, dk_xasprintf("GET /events HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n"
                               "Cookie: dk_session=%s\r\n"
                               "Accept: text/event-stream\r\n\r\n",
                               port, s->token));
}

static void stream_open(struct sess *s)
{
    if (sess_dial(s, stream_connect_cb) != 0) {
        fprintf(stderr, "portal: stream connect failed\n");
        exit(1);
    }
}

static void change_sent(struct dk_client *cl, json_t *result, json_t *error,
                        void *arg)
{
    (void)cl;
    (void)result;
    if (error) {
        fprintf(stderr, "portal: messages.send failed: %s\n",
                json_string_value(json_object_get(error, "message")));
        exit(1);
    }
    (void)arg;
}

static void change_next(struct bench *b)
{
    char text[64];

    b->change++;
    b->arrived = 0;
    snprintf(text, sizeof(text), "Change %d", b->change);
    b->change_ns = uv_hrtime();
    dk_client_call(b->staff, "messages.send",
                   json_pack("{s:I, s:s}", "ticket", (json_int_t)b->s[0].ticket,
                             "body", text),
                   change_sent, b);
}

/* Every stream up and idle a while: what they cost, then the changes. */
static void idle_cb(uv_timer_t *t)
{
    struct bench *b = t->data;

    if (b->streams_up < b->n) {
        uv_timer_start(&b->idle, idle_cb, 100, 0);
        return;
    }
    if (!b->rss_idle) {
        /* Up: give docketd 3 s to settle before reading its size. */
        b->rss_idle = -1;
        uv_timer_start(&b->idle, idle_cb, 3000, 0);
        return;
    }
    b->rss_idle = rss_kb(b->pid);
    change_next(b);
}

static void events_resumed(struct dk_client *cl, json_t *result, json_t *error,
                           void *arg)
{
    struct bench *b = arg;

    (void)cl;
    (void)result;
    if (error) {
        fprintf(stderr, "portal: session.resume failed\n");
        exit(1);
    }
    b->rss_before = rss_kb(b->pid);
    for (int i = 0; i < b->n; i++)
        stream_open(&b->s[i]);
    uv_timer_start(&b->idle, idle_cb, 100, 0);
}

static void events_state(struct dk_client *cl, enum dk_client_state st,
                         const char *why, void *arg)
{
    struct bench *b = arg;

    if (st == DK_CLIENT_UP)
        dk_client_call(cl, "session.resume",
                       json_pack("{s:s}", "token", b->staff_token),
                       events_resumed, b);
    else if (st == DK_CLIENT_DOWN) {
        fprintf(stderr, "portal: staff connection: %s\n", why ? why : "down");
        exit(1);
    }
}

static void events_push(struct dk_client *cl, const char *method,
                        json_t *params, void *arg)
{
    (void)cl;
    (void)method;
    (void)params;
    (void)arg;
}

/* ---- main ---------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: portal list HTTP TOKENS N\n"
                    "       portal browse HTTP TOKENS SECONDS THINK_MS PID\n"
                    "       portal reply HTTP TOKENS N RPC STAFF_TOKEN\n"
                    "       portal events HTTP TOKENS N RPC STAFF_TOKEN PID\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct bench b = {0};
    const char *mode = argc > 1 ? argv[1] : "";
    const char *colon;
    char line[256];
    FILE *fp;

    if (argc < 5 || (!strcmp(mode, "list") && argc != 5) ||
        (!strcmp(mode, "browse") && argc != 7) ||
        (!strcmp(mode, "reply") && argc != 7) ||
        (!strcmp(mode, "events") && argc != 8) ||
        (strcmp(mode, "list") && strcmp(mode, "browse") &&
         strcmp(mode, "reply") && strcmp(mode, "events")))
        return usage();
    if (!(colon = strrchr(argv[2], ':')) ||
        uv_ip4_addr("127.0.0.1", atoi(colon + 1), &b.server) != 0)
        return usage();
    if (!(fp = fopen(argv[3], "r"))) {
        fprintf(stderr, "portal: %s: %s\n", argv[3], strerror(errno));
        return 1;
    }
    b.loop = uv_default_loop();
    while (fgets(line, sizeof(line), fp)) {
        struct sess *s;
        b.s = dk_xrealloc(b.s, (size_t)(b.n + 1) * sizeof(*b.s));
        s = &b.s[b.n];
        memset(s, 0, sizeof(*s));
        if (sscanf(line, "%63s %lld", s->token, &s->ticket) < 1)
            continue;
        s->b = &b;
        s->index = b.n++;
    }
    fclose(fp);
    if (b.n == 0)
        return usage();
    for (int i = 0; i < b.n; i++) {
        uv_timer_init(b.loop, &b.s[i].think);
        b.s[i].think.data = &b.s[i];
    }

    if (!strcmp(mode, "list")) {
        b.reps = atoi(argv[4]);
        list_next(&b.s[0]);
        uv_run(b.loop, UV_RUN_DEFAULT);
        printf("list");
        lat_print("all", &b.list_all);
        printf(" all_rows=%zu all_bytes=%zu", b.rows_all, b.bytes_all);
        lat_print("company", &b.list_company);
        printf(" company_rows=%zu company_bytes=%zu errors=%lld\n",
               b.rows_company, b.bytes_company, b.errors);
    } else if (!strcmp(mode, "browse")) {
        b.think_ms = atoi(argv[5]);
        b.pid = atol(argv[6]);
        b.deadline = uv_now(b.loop) + (uint64_t)atoi(argv[4]) * 1000;
        b.running = b.n;
        uv_timer_init(b.loop, &b.rss);
        b.rss.data = &b;
        uv_timer_start(&b.rss, rss_cb, 0, 50);
        /* Sessions start spread over a second, not all in one instant. */
        for (int i = 0; i < b.n; i++)
            uv_timer_start(&b.s[i].think, think_cb, (uint64_t)(1000 * i / b.n),
                           0);
        b.start_ns = uv_hrtime();
        uv_run(b.loop, UV_RUN_DEFAULT);
        {
            double secs = (double)(b.end_ns - b.start_ns) / 1e9;
            size_t reqs = b.lat_list.n + b.lat_detail.n;
            printf("browse sessions=%d think_ms=%d seconds=%.2f requests=%zu "
                   "requests_per_s=%.0f errors=%lld",
                   b.n, b.think_ms, secs, reqs, (double)reqs / secs, b.errors);
            lat_print("list", &b.lat_list);
            lat_print("detail", &b.lat_detail);
            printf(" docketd_peak_rss_kb=%ld\n", b.peak_kb);
        }
    } else if (!strcmp(mode, "events")) {
        b.changes_wanted = atoi(argv[4]);
        b.pid = atol(argv[7]);
        snprintf(b.staff_token, sizeof(b.staff_token), "%s", argv[6]);
        uv_timer_init(b.loop, &b.pause);
        b.pause.data = &b;
        uv_timer_init(b.loop, &b.idle);
        b.idle.data = &b;
        b.staff = dk_client_new(b.loop, argv[5], events_push, events_state, &b);
        if (!b.staff)
            return usage();
        dk_client_connect(b.staff);
        uv_run(b.loop, UV_RUN_DEFAULT);
        printf("events streams=%d docketd_rss_kb_before=%ld "
               "docketd_rss_kb_idle=%ld changes=%d errors=%lld",
               b.n, b.rss_before, b.rss_idle, b.change, b.errors);
        lat_print("deliver", &b.deliver);
        printf("\n");
    } else {
        b.replies_wanted = atoi(argv[4]);
        snprintf(b.staff_token, sizeof(b.staff_token), "%s", argv[6]);
        uv_timer_init(b.loop, &b.pause);
        b.pause.data = &b;
        b.staff = dk_client_new(b.loop, argv[5], staff_push, staff_state, &b);
        if (!b.staff)
            return usage();
        dk_client_connect(b.staff);
        uv_run(b.loop, UV_RUN_DEFAULT);
        printf("reply replies=%d errors=%lld", b.replies_done, b.errors);
        lat_print("push", &b.push);
        lat_print("answer", &b.answer);
        printf("\n");
    }
    fflush(stdout);
    _exit(b.errors ? 1 : 0);
}
