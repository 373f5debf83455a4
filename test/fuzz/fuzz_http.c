/*
 * fuzz_http.c - docketd's HTTP request reader (server/http/http_req.c over
 * http-parser) fed any bytes, cut into chunks the input chooses, as a
 * socket might deliver them, request after request as http.c feeds a
 * kept-alive connection (what one request leaves is the next one's
 * start).  Whatever arrives, each request must end in a state docketd can
 * answer: a path and query inside the target, headers and a body within
 * their caps, or an error status with words; and the requests must read
 * the same however the bytes are cut.
 *
 * The first byte chooses the chunk size and the body limit; a body piece
 * holding '!' is refused (413) by the body hook, as the portal's checks
 * might, so that path is fuzzed too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_req.h"

#define MAX_REQUESTS 8

/* What one request came to, to compare whole and cut. */
struct outcome {
    int status;
    bool keep_alive;
    char target[HTTP_REQ_MAX_URL + 2];
    char cookie[HTTP_REQ_MAX_COOKIE + 1];
    size_t body_len;
    uint32_t body_sum;
    size_t used; /* bytes of input the request took */
};

static size_t limit_cb(void *arg, struct http_req *r)
{
    /* Only GET, HEAD and POST with a target that is a path get here. */
    if (r->status != 0 || r->done ||
        (r->view.method != HTTP_GET && r->view.method != HTTP_HEAD &&
         r->view.method != HTTP_POST) ||
        !r->view.path || !r->view.query || r->view.body_len != 0)
        abort();
    return *(size_t *)arg;
}

static int chunk_cb(void *arg, struct http_req *r, const char *data, size_t len)
{
    (void)arg;
    if (len == 0 || r->body.len > r->content_length ||
        memcmp(r->body.data + r->body.len - len, data, len) != 0)
        abort();
    return memchr(data, '!', len) ? 413 : 0;
}

static const char *header_of(const struct http_req *r, int h)
{
    const char *const v[] = {
        [HTTP_REQ_HOST] = r->view.host,
        [HTTP_REQ_ORIGIN] = r->view.origin,
        [HTTP_REQ_COOKIE] = r->view.cookie,
        [HTTP_REQ_CONTENT_TYPE] = r->view.content_type,
        [HTTP_REQ_ACCEPT_LANGUAGE] = r->view.accept_language,
    };
    return h < HTTP_REQ_EXPECT ? v[h] : NULL;
}

static void check(const struct http_req *r, size_t limit)
{
    if (!r->done)
        return;
    if (r->status == 0) {
        const char *path = r->view.path, *query = r->view.query;
        if (path != r->target || strlen(path) == 0 ||
            query != path + strlen(path) + 1 ||
            strlen(path) + strlen(query) > r->url_len)
            abort();
        if (r->view.method != HTTP_GET && r->view.method != HTTP_HEAD &&
            r->view.method != HTTP_POST)
            abort();
        if (r->view.body_len != r->content_length || r->view.body_len > limit ||
            r->view.body[r->view.body_len] != 0)
            abort();
        for (int h = 0; h < HTTP_REQ_EXPECT; h++) {
            const char *v = header_of(r, h);
            if (v && strlen(v) > (h == HTTP_REQ_COOKIE ? HTTP_REQ_MAX_COOKIE
                                                       : HTTP_REQ_MAX_VALUE))
                abort();
        }
    } else if ((r->status != 400 && r->status != 405 && r->status != 411 &&
                r->status != 413 && r->status != 414 && r->status != 431) ||
               !r->why) {
        abort();
    }
    if (r->url_len > HTTP_REQ_MAX_URL ||
        (r->status == 0 && r->header_bytes > HTTP_REQ_MAX_HEADER) ||
        memchr(r->detail, '\0', sizeof(r->detail)) == NULL)
        abort();
}

static void record(struct outcome *o, const struct http_req *r, size_t used)
{
    memset(o, 0, sizeof(*o));
    o->status = r->done ? r->status : -1;
    o->used = used;
    if (!r->done || r->status != 0)
        return;
    o->keep_alive = r->keep_alive;
    memcpy(o->target, r->target, sizeof(o->target));
    if (r->view.cookie)
        strcpy(o->cookie, r->view.cookie);
    o->body_len = r->view.body_len;
    for (size_t i = 0; i < r->view.body_len; i++)
        o->body_sum = o->body_sum * 31 + (unsigned char)r->view.body[i];
}

/* Read requests from data as a connection would, chunk bytes at a time
 * (0: all at once); returns how many were recorded. */
static int run(const char *data, size_t size, size_t chunk, size_t limit,
               struct outcome *out)
{
    static struct http_req r;
    struct http_req_hooks hooks = {limit_cb, chunk_cb, &limit};
    size_t off = 0;
    int n = 0;

    http_req_init(&r, &hooks);
    while (n < MAX_REQUESTS) {
        size_t start = off;
        while (off < size && !r.done) {
            size_t len = chunk && size - off > chunk ? chunk : size - off;
            size_t used = http_req_feed(&r, data + off, len);
            /* A feed uses all it is given, unless the request ends. */
            if (used > len || (!r.done && used != len))
                abort();
            off += used;
        }
        check(&r, limit);
        record(&out[n++], &r, off - start);
        if (!r.done || r.status != 0 || off >= size)
            break;
        http_req_reset(&r);
    }
    http_req_cleanup(&r);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct outcome whole[MAX_REQUESTS], cut[MAX_REQUESTS];
    size_t chunk, limit;
    int nw, nc;

    if (size < 1)
        return 0;
    chunk = (size_t)(data[0] % 16) + 1;
    limit = (size_t)(data[0] >> 4) * 16;
    data++;
    size--;

    nw = run((const char *)data, size, 0, limit, whole);
    nc = run((const char *)data, size, chunk, limit, cut);
    /* Cutting changes nothing that was decided.  (The bytes an error
     * leaves unread may differ, as http-parser stops at the chunk's end
     * or at the error; a connection closes after an error anyway.) */
    if (nw != nc)
        abort();
    for (int i = 0; i < nw; i++) {
        /* A header over its cap is seen at a chunk's end when cut, at
         * its end when whole: a bad byte in it may come first. */
        bool bad_or_big = (whole[i].status == 400 || whole[i].status == 431) &&
                          (cut[i].status == 400 || cut[i].status == 431);
        if (whole[i].status != cut[i].status && !bad_or_big)
            abort();
        if (whole[i].status == 0 &&
            (whole[i].used != cut[i].used ||
             whole[i].keep_alive != cut[i].keep_alive ||
             strcmp(whole[i].target, cut[i].target) != 0 ||
             strcmp(whole[i].target + strlen(whole[i].target) + 1,
                    cut[i].target + strlen(cut[i].target) + 1) != 0 ||
             strcmp(whole[i].cookie, cut[i].cookie) != 0 ||
             whole[i].body_len != cut[i].body_len ||
             whole[i].body_sum != cut[i].body_sum))
            abort();
    }
    return 0;
}
