/*
 * conn.c - one client connection: framing, ordering, output cap.
 * One request at a time per connection, so replies leave in order; lines
 * that arrive meanwhile wait in c->in.  Freed only in conn_closed_cb(),
 * after uv_close() and the last conn_unref().
 */
#include "conn.h"
#include "core.h"
#include "dk_buf.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "metrics.h"
#include "rpc.h"
#include "server.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define READ_CHUNK 65536

struct write_req {
    uv_write_t req;
    struct conn *c;
    char *data; /* owned */
};

static void conn_process(struct conn *c);

const char *conn_tag(const struct conn *c, char *buf, size_t size)
{
    snprintf(buf, size, "conn=%llu peer=%s%s%s", (unsigned long long)c->id,
             c->peer, c->who.staff_id ? " user=" : "",
             c->who.staff_id ? c->who.username : "");
    return buf;
}

void conn_ref(struct conn *c)
{
    c->refs++;
}

void conn_unref(struct conn *c)
{
    if (--c->refs > 0)
        return;
    dk_rpc_req_cleanup(&c->req);
    dk_buf_free(&c->in);
    free(c);
}

static void conn_closed_cb(uv_handle_t *h)
{
    struct conn *c = (struct conn *)h;
    struct rpc_server *rs = c->rs;

    if (c->prev)
        c->prev->next = c->next;
    else
        rs->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    rs->core->clients = --rs->nconns;
    conn_unref(c);
    rpc_server_conn_idle(rs);
}

void conn_close(struct conn *c, const char *fmt, ...)
{
    char why[256];
    va_list ap;

    if (c->state == CONN_CLOSING)
        return;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (c->quiet)
        conn_log(c, DK_LOG_DEBUG, "closed: %s", why);
    else
        conn_log(c, DK_LOG_INFO, "closed: %s", why);
    c->state = CONN_CLOSING;
    rpc_session_end(c);
    uv_close(&c->h.handle, conn_closed_cb);
}

static void write_cb(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct conn *c = w->c;

    free(w->data);
    free(w);
    if (status < 0 && status != UV_ECANCELED)
        conn_close(c, "write failed: %s", uv_strerror(status));
    conn_unref(c);
}

/*
 * A client that stops reading must not make us hold its output: a line
 * that would take what the kernel has not taken past the cap is not
 * queued, and the client is cut off.  The line is counted before it is
 * queued; only a line to a client with nothing waiting passes whatever its
 * size, so a reading client gets any one reply, and no client costs more
 * than the cap and one reply (an attachment's is a piece of at most 512
 * KiB).  Returns false after closing c.
 */
static bool output_fits(struct conn *c, size_t len)
{
    size_t queued = uv_stream_get_write_queue_size(&c->h.stream);

    if (queued > 0 &&
        queued + len > c->rs->core->cfg->server.max_output_bytes) {
        conn_close(c, "output limit: more than %zu bytes queued",
                   c->rs->core->cfg->server.max_output_bytes);
        return false;
    }
    return true;
}

/*
 * Write what the socket takes now, when nothing waits before it: an idle
 * client's takes a line whole, and then nothing is allocated or queued
 * (one event to a thousand clients is a thousand of these: the copy, the
 * request and its callback took half of docketd's time for each).  The
 * bytes written, or -1 after closing c.
 */
static ssize_t send_now(struct conn *c, const char *data, size_t len)
{
    uv_buf_t buf;
    int n;

    if (len == 0 || len > UINT_MAX ||
        uv_stream_get_write_queue_size(&c->h.stream) > 0)
        return 0;
    buf = uv_buf_init((char *)data, (unsigned)len);
    n = uv_try_write(&c->h.stream, &buf, 1);
    if (n >= 0 || n == UV_EAGAIN)
        return n >= 0 ? n : 0;
    conn_close(c, "write failed: %s", uv_strerror(n));
    return -1;
}

/* Queue data[0..len), which lies in owned (freed once written). */
static void send_later(struct conn *c, char *owned, const char *data,
                       size_t len)
{
    struct write_req *w = dk_xmalloc(sizeof(*w));
    uv_buf_t buf = uv_buf_init((char *)data, (unsigned)len);
    int rc;

    w->c = c;
    w->data = owned;
    rc = uv_write(&w->req, &c->h.stream, &buf, 1, write_cb);
    if (rc < 0) {
        free(owned);
        free(w);
        conn_close(c, "write failed: %s", uv_strerror(rc));
        return;
    }
    conn_ref(c);
}

void conn_send(struct conn *c, char *line, size_t len)
{
    ssize_t n;

    if (!line)
        return;
    if (c->state == CONN_CLOSING || !output_fits(c, len) ||
        (n = send_now(c, line, len)) < 0 || (size_t)n == len) {
        free(line);
        return;
    }
    send_later(c, line, line + n, len - (size_t)n);
}

void conn_send_copy(struct conn *c, const char *line, size_t len)
{
    ssize_t n;
    char *copy;

    if (c->state == CONN_CLOSING || !output_fits(c, len) ||
        (n = send_now(c, line, len)) < 0 || (size_t)n == len)
        return;
    copy = dk_xmalloc(len - (size_t)n);
    memcpy(copy, line + n, len - (size_t)n);
    send_later(c, copy, copy, len - (size_t)n);
}

/* The request is answered (code 0, or the error's): count it, and be
 * ready for the next line. */
static void request_done(struct conn *c, int code)
{
    uint64_t ns = uv_hrtime() - c->req_started_ns;

    metrics_request(c->rs->core->metrics, c->req.method, code, ns);
    conn_log(c, DK_LOG_DEBUG, "%s: %s%.0d in %.3f ms",
             c->req.method ? c->req.method : "(invalid)",
             code ? "error " : "ok", code, (double)ns / 1e6);
    dk_rpc_req_cleanup(&c->req);
    if (c->state == CONN_BUSY)
        c->state = CONN_READING;
    if (c->late && !c->who.staff_id && c->state == CONN_READING) {
        /* Past its deadline, and this answer did not log it in: no more
         * requests, however many wait; the answers go, then it closes. */
        conn_log(c, DK_LOG_INFO,
                 "did not log in within %llds "
                 "(server.login_deadline)",
                 c->rs->core->cfg->server.login_deadline);
        dk_buf_reset(&c->in, true);
        uv_read_stop(&c->h.stream);
        c->eof = true;
    }
    if (!c->processing)
        conn_process(c);
    rpc_server_conn_idle(c->rs);
}

static bool wants_reply(const struct conn *c)
{
    /* JSON-RPC notifications (no "id") get no answer. */
    return c->req.id != NULL || c->req.root == NULL;
}

void conn_reply(struct conn *c, json_t *result)
{
    size_t len;

    if (c->state != CONN_CLOSING && wants_reply(c)) {
        char *line = dk_rpc_result(c->req.id, result, &len);
        conn_send(c, line, len);
    }
    json_decref(result);
    request_done(c, 0);
}

void conn_reply_raw(struct conn *c, const char *result_json)
{
    json_t *id = c->req.id ? c->req.id : json_null();
    struct dk_buf b = DK_BUF_INIT(0); /* unbounded: no write fails */
    size_t len = strlen(result_json), n;
    char *idtext, *line;

    if (c->state != CONN_CLOSING && wants_reply(c)) {
        idtext = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
        /* Copied, not printf'ed: a page of tickets.view is 25 kB, and
         * vsnprintf() took a tenth of docketd's time writing it. */
        dk_buf_reserve(&b, len + 64 + (idtext ? strlen(idtext) : 0));
        dk_buf_adds(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
        dk_buf_adds(&b, idtext ? idtext : "null");
        dk_buf_adds(&b, ",\"result\":");
        dk_buf_add(&b, result_json, len);
        dk_buf_add(&b, "}\n", 2);
        line = dk_buf_steal(&b, &n);
        free(idtext);
        conn_send(c, line, n);
    }
    request_done(c, 0);
}

void conn_reply_error(struct conn *c, int code, const char *message,
                      json_t *data)
{
    size_t len;

    if (c->state != CONN_CLOSING && wants_reply(c)) {
        char *line = dk_rpc_error(c->req.id, code, message, data, &len);
        conn_send(c, line, len);
    }
    if (data)
        json_decref(data);
    if (code == DK_RPC_INTERNAL)
        conn_log(c, DK_LOG_ERROR, "internal error: %s", message ? message : "");
    request_done(c, code);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = (struct conn *)h;
    size_t limit = c->rs->core->cfg->server.max_line_bytes + 1;

    /* Grow on demand up to one line over the limit: enough to tell an
     * oversized line from a full one. */
    c->in.max = limit + READ_CHUNK;
    if (dk_buf_room(&c->in) < READ_CHUNK && c->in.len < c->in.max) {
        size_t n = c->in.max - c->in.len;
        dk_buf_reserve(&c->in, n < READ_CHUNK ? n : READ_CHUNK);
    }
    *buf = uv_buf_init(c->in.data ? dk_buf_tail(&c->in) : NULL,
                       (unsigned)dk_buf_room(&c->in));
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = (struct conn *)s;

    if (nread == UV_EOF) {
        /* A half-close (a script's "send and wait"): answer what came,
         * then close once the answers are written. */
        c->eof = true;
        uv_read_stop(&c->h.stream);
        conn_process(c);
        return;
    }
    if (nread < 0) {
        conn_close(c, "read failed: %s", uv_strerror((int)nread));
        return;
    }
    dk_buf_commit(&c->in, (size_t)nread);
    conn_process(c);
}

/* Take one complete line off the front of c->in and handle it. */
static void handle_line(struct conn *c, char *line, size_t len)
{
    char msg[256];
    int code;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return;
    code = dk_rpc_parse(&c->req, line, len, msg, sizeof(msg));
    c->state = CONN_BUSY;
    c->req_started_ns = uv_hrtime();
    if (code != 0) {
        /* A malformed request is always answered (id null if it had none
         * we could use), and the connection stays usable. */
        size_t n;
        char *reply = dk_rpc_error(c->req.id, code, msg, NULL, &n);
        conn_send(c, reply, n);
        request_done(c, code);
        return;
    }
    rpc_dispatch(c);
}

/* An oversized line: answer once, then close (the rest of the line
 * cannot be told from the next request). */
static void too_long(struct conn *c, size_t max)
{
    char msg[96];
    size_t n;
    char *line;

    snprintf(msg, sizeof(msg),
             "request line longer than %zu bytes (server.max_line_bytes)", max);
    line = dk_rpc_error(NULL, DK_RPC_INVALID_REQUEST, msg, NULL, &n);
    conn_send(c, line, n);
    conn_close(c, "line longer than %zu bytes", max);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    struct conn *c = req->data;

    free(req);
    conn_close(c, "client closed the connection");
    conn_unref(c);
}

/* Everything answered after the client's half-close: flush, then close. */
static void finish_after_eof(struct conn *c)
{
    uv_shutdown_t *req = dk_xmalloc(sizeof(*req));

    c->shutting = true;
    req->data = c;
    conn_ref(c);
    if (uv_shutdown(req, &c->h.stream, shutdown_cb) < 0) {
        free(req);
        conn_unref(c);
        conn_close(c, "client closed the connection");
    }
}

static void conn_process(struct conn *c)
{
    size_t max = c->rs->core->cfg->server.max_line_bytes;

    if (c->processing)
        return;
    c->processing = true;
    while (c->state == CONN_READING && c->in.len > 0) {
        char *nl = memchr(c->in.data, '\n', c->in.len);
        size_t len;
        if (!nl) {
            if (c->in.len > max) {
                too_long(c, max);
            }
            break;
        }
        len = (size_t)(nl - c->in.data);
        if (len > max) {
            too_long(c, max);
            break;
        }
        /* Copy out: handling may append replies but never input. */
        {
            char *line = dk_xstrndup(c->in.data, len);
            dk_buf_consume(&c->in, len + 1);
            handle_line(c, line, len);
            free(line);
        }
    }
    c->processing = false;
    if (c->state == CONN_CLOSING)
        return;
    /* Idle connections keep no buffer: 10,000 of them must stay small. */
    if (c->in.len == 0)
        dk_buf_reset(&c->in, true);
    if (c->eof) {
        if (c->state == CONN_READING && !c->shutting &&
            !(c->in.len && memchr(c->in.data, '\n', c->in.len)))
            finish_after_eof(c);
        return;
    }
    /* Back-pressure: a full buffer of waiting lines pauses reading. */
    if (c->in.len >= max + 1)
        uv_read_stop(&c->h.stream);
    else
        uv_read_start(&c->h.stream, alloc_cb, read_cb);
}

struct conn *conn_new(struct rpc_server *rs, bool is_unix)
{
    struct conn *c = dk_xcalloc(1, sizeof(*c));
    int rc;

    c->rs = rs;
    c->is_unix = is_unix;
    c->refs = 1;
    c->state = CONN_READING;
    c->id = ++rs->next_conn_id;
    c->who.ended = rpc_session_ended;
    metrics_accepted(rs->core->metrics);
    rc = is_unix ? uv_pipe_init(rs->core->loop, &c->h.pipe, 0)
                 : uv_tcp_init(rs->core->loop, &c->h.tcp);
    if (rc < 0) {
        dk_log(DK_LOG_ERROR, "could not make a connection handle: %s",
               uv_strerror(rc));
        free(c);
        return NULL;
    }
    c->next = rs->conns;
    if (rs->conns)
        rs->conns->prev = c;
    rs->conns = c;
    rs->core->clients = ++rs->nconns;
    return c;
}

static void describe_peer(struct conn *c)
{
    if (c->is_unix) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        uv_os_fd_t fd;
        if (uv_fileno(&c->h.handle, &fd) == 0 &&
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
            c->peer_uid = cred.uid;
            c->has_uid = true;
            snprintf(c->peer, sizeof(c->peer), "unix:uid=%u", cred.uid);
        } else {
            snprintf(c->peer, sizeof(c->peer), "unix");
        }
    } else {
        struct sockaddr_storage sa;
        int len = sizeof(sa);
        char host[INET6_ADDRSTRLEN] = "?";
        int port = 0;
        if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&sa, &len) == 0) {
            if (sa.ss_family == AF_INET) {
                struct sockaddr_in *in = (struct sockaddr_in *)&sa;
                uv_ip4_name(in, host, sizeof(host));
                port = ntohs(in->sin_port);
            } else if (sa.ss_family == AF_INET6) {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
                uv_ip6_name(in6, host, sizeof(host));
                port = ntohs(in6->sin6_port);
            }
        }
        snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
    }
}

void conn_start(struct conn *c)
{
    int rc;

    describe_peer(c);
    c->connected_ms = c->who.last_request_ms = core_now_ms(c->rs->core);
    if (!rpc_server_admit(c->rs, c)) {
        c->quiet = true; /* rpc_server_admit() logged it, once a second */
        conn_close(c, "refused: too many connections not logged in");
        return;
    }
    conn_log(c, DK_LOG_INFO, "connected");
    rc = uv_read_start(&c->h.stream, alloc_cb, read_cb);
    if (rc < 0)
        conn_close(c, "could not read: %s", uv_strerror(rc));
}
