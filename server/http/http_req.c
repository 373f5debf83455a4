/*
 * http_req.c - reading one request with http-parser.  Only the request
 * target is kept (headers and any body are parsed and dropped): /healthz
 * and /metrics need nothing else, and keeping nothing keeps it small.
 */
#include "http_req.h"

#include <stdio.h>
#include <string.h>

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct http_req *r = p->data;

    /* Called once per chunk of the target: gather, up to the limit. */
    if (r->url_too_long || r->url_len + len > HTTP_REQ_MAX_URL) {
        r->url_too_long = true;
        return 0;
    }
    memcpy(r->url + r->url_len, at, len);
    r->url_len += len;
    r->url[r->url_len] = '\0';
    return 0;
}

static void finish(struct http_req *r)
{
    struct http_parser_url u;

    r->done = true;
    r->head = r->parser.method == HTTP_HEAD;
    if (r->url_too_long) {
        r->status = 414;
        r->why = "the request target is too long";
        return;
    }
    if (r->parser.method != HTTP_GET && r->parser.method != HTTP_HEAD) {
        r->status = 405;
        r->why = "only GET and HEAD are served here";
        return;
    }
    http_parser_url_init(&u);
    if (http_parser_parse_url(r->url, r->url_len, 0, &u) != 0 ||
        !(u.field_set & (1 << UF_PATH))) {
        r->status = 400;
        r->why = "the request target is not a path";
        return;
    }
    r->path = r->url + u.field_data[UF_PATH].off;
    r->path_len = u.field_data[UF_PATH].len;
}

static int on_message_complete(http_parser *p)
{
    struct http_req *r = p->data;

    /* One request per connection: stop at its end, whatever follows. */
    http_parser_pause(p, 1);
    finish(r);
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_message_complete = on_message_complete,
};

void http_req_init(struct http_req *r)
{
    memset(r, 0, sizeof(*r));
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
}

enum http_req_state http_req_feed(struct http_req *r, const char *data,
                                  size_t len)
{
    enum http_errno err;

    if (r->done)
        return HTTP_REQ_DONE;
    http_parser_execute(&r->parser, &settings, data, len);
    err = HTTP_PARSER_ERRNO(&r->parser);
    if (!r->done && err != HPE_OK && err != HPE_PAUSED) {
        r->done = true;
        r->status = 400;
        r->why = "bad request";
        snprintf(r->detail, sizeof(r->detail), "%s",
                 http_errno_description(err));
    }
    return r->done ? HTTP_REQ_DONE : HTTP_REQ_MORE;
}
