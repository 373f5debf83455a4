/*
 * dk_client.c - the client side of docketd's line protocol.  Requests
 * carry increasing ids; replies come back in order, so pending calls are
 * a FIFO.  The stream handle is allocated per connection and freed in its
 * close callback, so reconnecting never reuses a closing handle.
 */
#include "dk_client.h"
#include "dk_buf.h"
#include "dk_addr.h"
#include "dk_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pending {
    long long id;
    dk_client_reply_cb cb;
    void *arg;
    struct pending *next;
};

struct stream {
    union {
        uv_pipe_t pipe;
        uv_tcp_t tcp;
        uv_stream_t s;
        uv_handle_t h;
    } u;
    struct dk_client *cl; /* NULL once detached from its client */
    uv_connect_t connect;
};

/* One server of the list: a Unix socket or a TCP address. */
struct endpoint {
    char *text; /* as given, for messages */
    bool is_unix;
    char *path;                   /* unix */
    struct sockaddr_storage addr; /* tcp */
};

struct dk_client {
    uv_loop_t *loop;
    char *server;
    struct endpoint *eps; /* several when the server list has commas */
    size_t neps, cur;     /* eps[cur] is the one connected or tried */
    struct stream *st;    /* owned while up or connecting */
    enum dk_client_state state;
    dk_client_push_cb push_cb;
    dk_client_line_cb line_cb;
    dk_client_state_cb state_cb;
    void *arg;
    struct dk_buf in; /* lines from the server; the server bounds them */
    long long next_id;
    struct pending *head, *tail;
    bool freeing;
};

struct write_req {
    uv_write_t req;
    char *data;
};

static void set_state(struct dk_client *cl, enum dk_client_state s,
                      const char *why)
{
    cl->state = s;
    if (cl->state_cb && !cl->freeing)
        cl->state_cb(cl, s, why, cl->arg);
}

static void free_endpoints(struct dk_client *cl)
{
    for (size_t i = 0; i < cl->neps; i++) {
        free(cl->eps[i].text);
        free(cl->eps[i].path);
    }
    free(cl->eps);
}

static bool parse_endpoint(struct endpoint *ep, const char *text)
{
    char err[300];

    ep->text = dk_xstrdup(text);
    if (strncmp(text, "unix:", 5) == 0 || text[0] == '/') {
        ep->is_unix = true;
        ep->path = dk_xstrdup(text[0] == '/' ? text : text + 5);
        return ep->path[0] != '\0';
    }
    /* Looked up once, here: the client starts with it, and a lookup on
     * every reconnect would block the screen. */
    return dk_addr_resolve(text, false, &ep->addr, err, sizeof(err)) == 0;
}

struct dk_client *dk_client_new(uv_loop_t *loop, const char *server,
                                dk_client_push_cb push_cb,
                                dk_client_state_cb state_cb, void *arg)
{
    struct dk_client *cl = dk_xcalloc(1, sizeof(*cl));
    const char *p = server;

    cl->loop = loop;
    cl->server = dk_xstrdup(server);
    cl->push_cb = push_cb;
    cl->state_cb = state_cb;
    cl->arg = arg;
    do {
        size_t len = strcspn(p, ",");
        char *one = dk_xstrndup(p, len);
        bool good;
        cl->eps = dk_xrealloc(cl->eps, (cl->neps + 1) * sizeof(*cl->eps));
        memset(&cl->eps[cl->neps], 0, sizeof(*cl->eps));
        good = parse_endpoint(&cl->eps[cl->neps++], one);
        free(one);
        if (!good) {
            free_endpoints(cl);
            free(cl->server);
            free(cl);
            return NULL;
        }
        p += len;
    } while (*p++ == ',');
    return cl;
}

static void fail_pending(struct dk_client *cl, const char *why)
{
    while (cl->head) {
        struct pending *p = cl->head;
        cl->head = p->next;
        if (p->cb && !cl->freeing) {
            json_t *err = json_pack("{s:i, s:s}", "code", 0, "message", why);
            p->cb(cl, NULL, err, p->arg);
            json_decref(err);
        }
        free(p);
    }
    cl->tail = NULL;
}

static void stream_closed_cb(uv_handle_t *h)
{
    free(h->data);
}

/* Detach and close the stream; the client may connect again at once. */
static void drop(struct dk_client *cl, const char *why)
{
    struct stream *st = cl->st;

    if (!st)
        return;
    cl->st = NULL;
    st->cl = NULL;
    /* The next attempt goes to the next server of the list: one that
     * closed (drained, say) or could not be reached is likely to stay
     * away a while, and the session and feed resume on any of them. */
    cl->cur = (cl->cur + 1) % cl->neps;
    st->u.h.data = st;
    uv_close(&st->u.h, stream_closed_cb);
    dk_buf_reset(&cl->in, false);
    fail_pending(cl, why);
    set_state(cl, DK_CLIENT_DOWN, why);
}

void dk_client_disconnect(struct dk_client *cl, const char *why)
{
    drop(cl, why);
}

/* How docketd begins every notification (dk_rpc_notification_raw); a
 * reply begins with its id instead. */
#define NOTIFICATION_PREFIX "{\"jsonrpc\":\"2.0\",\"method\":"

void dk_client_set_line_cb(struct dk_client *cl, dk_client_line_cb cb)
{
    cl->line_cb = cb;
}

static bool is_notification(const char *line, size_t len)
{
    return len > sizeof(NOTIFICATION_PREFIX) - 1 &&
           memcmp(line, NOTIFICATION_PREFIX, sizeof(NOTIFICATION_PREFIX) - 1) ==
               0;
}

static void handle_line(struct dk_client *cl, const char *line, size_t len)
{
    json_t *msg, *method, *id;

    if (cl->line_cb && is_notification(line, len) &&
        cl->line_cb(cl, line, len, cl->arg))
        return;
    msg = json_loadb(line, len, 0, NULL);
    if (!json_is_object(msg)) {
        json_decref(msg);
        return;
    }
    method = json_object_get(msg, "method");
    id = json_object_get(msg, "id");
    if (json_is_string(method) && !id) {
        if (cl->push_cb)
            cl->push_cb(cl, json_string_value(method),
                        json_object_get(msg, "params"), cl->arg);
    } else if (cl->head) {
        /* Replies arrive in order; an id-null error (a line the server
         * could not parse) still answers the oldest call. */
        struct pending *p = cl->head;
        cl->head = p->next;
        if (!cl->head)
            cl->tail = NULL;
        if (p->cb)
            p->cb(cl, json_object_get(msg, "result"),
                  json_object_get(msg, "error"), p->arg);
        free(p);
    }
    json_decref(msg);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct stream *st = h->data;
    struct dk_client *cl = st->cl;

    if (!cl) {
        static char sink[4096];
        *buf = uv_buf_init(sink, sizeof(sink));
        return;
    }
    if (dk_buf_room(&cl->in) < 65536)
        dk_buf_reserve(&cl->in, 131072);
    *buf = uv_buf_init(dk_buf_tail(&cl->in), (unsigned)dk_buf_room(&cl->in));
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct stream *st = s->data;
    struct dk_client *cl = st->cl;
    size_t start = 0;

    if (!cl)
        return;
    if (nread < 0) {
        drop(cl, nread == UV_EOF ? "the server closed the connection"
                                 : uv_strerror((int)nread));
        return;
    }
    dk_buf_commit(&cl->in, (size_t)nread);
    for (;;) {
        char *nl = memchr(cl->in.data + start, '\n', cl->in.len - start);
        if (!nl)
            break;
        handle_line(cl, cl->in.data + start,
                    (size_t)(nl - (cl->in.data + start)));
        if (cl->st != st) /* a callback dropped or replaced the stream */
            return;
        start = (size_t)(nl - cl->in.data) + 1;
    }
    dk_buf_consume(&cl->in, start);
}

static void connect_cb(uv_connect_t *req, int status)
{
    struct stream *st = req->data;
    struct dk_client *cl = st->cl;

    if (!cl)
        return;
    if (status < 0) {
        drop(cl, uv_strerror(status));
        return;
    }
    st->u.s.data = st;
    uv_read_start(&st->u.s, alloc_cb, read_cb);
    set_state(cl, DK_CLIENT_UP, NULL);
}

void dk_client_connect(struct dk_client *cl)
{
    struct stream *st;

    if (cl->st)
        return;
    st = dk_xcalloc(1, sizeof(*st));
    st->cl = cl;
    st->connect.data = st;
    st->u.h.data = st;
    cl->st = st;
    dk_buf_reset(&cl->in, false);
    set_state(cl, DK_CLIENT_CONNECTING, NULL);
    if (cl->eps[cl->cur].is_unix) {
        uv_pipe_init(cl->loop, &st->u.pipe, 0);
        uv_pipe_connect(&st->connect, &st->u.pipe, cl->eps[cl->cur].path,
                        connect_cb);
    } else {
        int rc;
        uv_tcp_init(cl->loop, &st->u.tcp);
        rc = uv_tcp_connect(&st->connect, &st->u.tcp,
                            (struct sockaddr *)&cl->eps[cl->cur].addr,
                            connect_cb);
        if (rc < 0)
            drop(cl, uv_strerror(rc));
    }
}

static void write_cb(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;

    free(w->data);
    free(w);
}

int dk_client_call(struct dk_client *cl, const char *method, json_t *params,
                   dk_client_reply_cb cb, void *arg)
{
    struct write_req *w;
    struct pending *p;
    json_t *msg;
    char *text;
    size_t n;
    uv_buf_t buf;

    if (cl->state != DK_CLIENT_UP || !cl->st) {
        json_decref(params);
        return -1;
    }
    msg = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id",
                    (json_int_t)++cl->next_id, "method", method, "params",
                    params ? params : json_object());
    if (!msg)
        return -1;
    text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return -1;
    n = strlen(text);
    text = dk_xrealloc(text, n + 2);
    text[n] = '\n';
    text[n + 1] = '\0';
    w = dk_xmalloc(sizeof(*w));
    w->data = text;
    buf = uv_buf_init(text, (unsigned)n + 1);
    if (uv_write(&w->req, &cl->st->u.s, &buf, 1, write_cb) < 0) {
        free(text);
        free(w);
        return -1;
    }
    p = dk_xcalloc(1, sizeof(*p));
    p->id = cl->next_id;
    p->cb = cb;
    p->arg = arg;
    if (cl->tail)
        cl->tail->next = p;
    else
        cl->head = p;
    cl->tail = p;
    return 0;
}

enum dk_client_state dk_client_state(const struct dk_client *cl)
{
    return cl->state;
}

bool dk_client_is_unix(const struct dk_client *cl)
{
    return cl->eps[cl->cur].is_unix;
}

const char *dk_client_server(const struct dk_client *cl)
{
    return cl->eps[cl->cur].text;
}

void dk_client_free(struct dk_client *cl)
{
    if (!cl)
        return;
    cl->freeing = true;
    drop(cl, "closing");
    dk_buf_free(&cl->in);
    free_endpoints(cl);
    free(cl->server);
    free(cl);
}
