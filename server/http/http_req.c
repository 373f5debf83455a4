/*
 * http_req.c - reading one request with http-parser.  The target is kept
 * (split into path and query), the few headers the layer and the portal
 * use are kept in bounded buffers, the rest are counted and dropped; the
 * body goes into a buffer bounded by what the owner's body_limit hook
 * says once the headers are in.
 *
 * Every refusal is decided as soon as it can be, so that nothing a client
 * sends beyond a limit is read: a header over its cap (431) as it comes,
 * the method (405), a target that is no path (400), a chunked body or a
 * POST without Content-Length (411) and a length over the limit (413) in
 * on_headers_complete, a piece of body the owner refuses in on_body.  A
 * callback that refuses returns -1, which stops http-parser at once; the
 * status it set is the answer.
 *
 * The parser is paused at each message's end, so that http_parser_execute()
 * returns how much of the input the request used: what follows is the
 * next (pipelined) request.
 */
#include "http_req.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const header_names[HTTP_REQ_NHEADERS] = {
    [HTTP_REQ_HOST] = "host",
    [HTTP_REQ_ORIGIN] = "origin",
    [HTTP_REQ_COOKIE] = "cookie",
    [HTTP_REQ_CONTENT_TYPE] = "content-type",
    [HTTP_REQ_ACCEPT_LANGUAGE] = "accept-language",
    [HTTP_REQ_EXPECT] = "expect",
    [HTTP_REQ_LAST_EVENT_ID] = "last-event-id",
};

/* Several of these join into one value (a list, or Cookie's "; "); a
 * second Host, Origin or Content-Type is a bad request. */
static const char *const header_join[HTTP_REQ_NHEADERS] = {
    [HTTP_REQ_COOKIE] = "; ",
    [HTTP_REQ_ACCEPT_LANGUAGE] = ", ",
    [HTTP_REQ_EXPECT] = ", ",
};

static int refuse(struct http_req *r, int status, const char *why)
{
    r->done = true;
    r->status = status;
    r->why = why;
    return -1;
}

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

static int count_header_bytes(struct http_req *r, size_t len)
{
    r->header_bytes += len;
    if (r->header_bytes > HTTP_REQ_MAX_HEADER)
        return refuse(r, 431, "the request's headers are too large");
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct http_req *r = p->data;

    size_t extra = 0;

    if (r->in_value) {
        r->in_value = false;
        r->name_len = 0;
        r->cur = -1;
    }
    /* A field's ": " and CRLF, counted once however it is cut. */
    if (r->name_len == 0)
        extra = 4;
    for (size_t i = 0; i < len && r->name_len < sizeof(r->name); i++) {
        char ch = at[i];
        r->name[r->name_len++] = ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
    }
    if (r->name_len == sizeof(r->name))
        r->name_len = sizeof(r->name) + 1; /* no kept name is that long */
    return count_header_bytes(r, len + extra);
}

/* The value of the field just named begins: which kept header it is. */
static int start_value(struct http_req *r)
{
    r->in_value = true;
    r->cur = -1;
    for (int i = 0; i < HTTP_REQ_NHEADERS; i++)
        if (strlen(header_names[i]) == r->name_len &&
            memcmp(header_names[i], r->name, r->name_len) == 0)
            r->cur = i;
    if (r->cur < 0)
        return 0;
    if (r->seen[r->cur]) {
        if (!header_join[r->cur])
            return refuse(r, 400, "a header is sent twice");
        if (!dk_buf_adds(&r->header[r->cur], header_join[r->cur]))
            return refuse(r, 431, "a request header is too long");
    }
    r->seen[r->cur] = true;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct http_req *r = p->data;

    if (!r->in_value && start_value(r) != 0)
        return -1;
    if (count_header_bytes(r, len) != 0)
        return -1;
    if (r->cur >= 0 && !dk_buf_add(&r->header[r->cur], at, len))
        return refuse(r, 431, "a request header is too long");
    return 0;
}

static const char *header(struct http_req *r, int h)
{
    if (!r->seen[h])
        return NULL;
    return r->header[h].data ? r->header[h].data : "";
}

/* Whether the Expect list holds 100-continue. */
static bool wants_continue(const char *expect)
{
    const char *s = expect;

    while (s && *s) {
        size_t n;
        s += strspn(s, " \t,");
        n = strcspn(s, " \t,");
        if (n == 12 && strncasecmp(s, "100-continue", 12) == 0)
            return true;
        s += n;
    }
    return false;
}

/* The target into path and query, each NUL-terminated in r->target. */
static int split_target(struct http_req *r)
{
    struct http_parser_url u;
    size_t plen, qlen = 0;

    http_parser_url_init(&u);
    if (http_parser_parse_url(r->url, r->url_len, 0, &u) != 0 ||
        !(u.field_set & (1 << UF_PATH)))
        return refuse(r, 400, "the request target is not a path");
    plen = u.field_data[UF_PATH].len;
    memcpy(r->target, r->url + u.field_data[UF_PATH].off, plen);
    r->target[plen] = '\0';
    if (u.field_set & (1 << UF_QUERY)) {
        qlen = u.field_data[UF_QUERY].len;
        memcpy(r->target + plen + 1, r->url + u.field_data[UF_QUERY].off, qlen);
    }
    r->target[plen + 1 + qlen] = '\0';
    r->view.path = r->target;
    r->view.query = r->target + plen + 1;
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct http_req *r = p->data;
    size_t limit = 0;

    r->headers_done = true;
    r->head = p->method == HTTP_HEAD;
    r->view.method = p->method;
    if (r->url_too_long)
        return refuse(r, 414, "the request target is too long");
    if (p->method != HTTP_GET && p->method != HTTP_HEAD &&
        p->method != HTTP_POST)
        return refuse(r, 405, "only GET, HEAD and POST are served here");
    if (split_target(r) != 0)
        return -1;
    r->view.host = header(r, HTTP_REQ_HOST);
    r->view.origin = header(r, HTTP_REQ_ORIGIN);
    r->view.cookie = header(r, HTTP_REQ_COOKIE);
    r->view.content_type = header(r, HTTP_REQ_CONTENT_TYPE);
    r->view.accept_language = header(r, HTTP_REQ_ACCEPT_LANGUAGE);
    r->view.last_event_id = header(r, HTTP_REQ_LAST_EVENT_ID);
    r->keep_alive = http_should_keep_alive(p);
    if (p->uses_transfer_encoding || (p->flags & F_CHUNKED))
        return refuse(r, 411,
                      "a body must come with Content-Length, not chunked");
    if (p->flags & F_CONTENTLENGTH)
        r->content_length = p->content_length;
    else if (p->method == HTTP_POST)
        return refuse(r, 411, "a POST must have a Content-Length");
    if (r->hooks && r->hooks->body_limit)
        limit = r->hooks->body_limit(r->hooks->arg, r);
    if (limit == HTTP_REQ_BUSY)
        return refuse(r, 503,
                      "too many large bodies are being received; "
                      "try again shortly");
    if (r->content_length > limit)
        return refuse(r, 413, "the request body is too large");
    dk_buf_init(&r->body, (size_t)r->content_length);
    r->expect_continue =
        r->content_length > 0 && wants_continue(header(r, HTTP_REQ_EXPECT));
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct http_req *r = p->data;
    int status;

    /* The length was checked against the limit; http-parser gives no
     * more than it. */
    if (r->body.len + len > r->content_length || !dk_buf_add(&r->body, at, len))
        return refuse(r, 413, "the request body is too large");
    if (r->hooks && r->hooks->body_chunk &&
        (status = r->hooks->body_chunk(r->hooks->arg, r, at, len)) != 0)
        return refuse(r, status, "the request body was refused");
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct http_req *r = p->data;

    /* Stop here: what follows is the next request. */
    http_parser_pause(p, 1);
    r->done = true;
    r->keep_alive = http_should_keep_alive(p);
    r->view.body = r->body.data ? r->body.data : "";
    r->view.body_len = r->body.len;
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void http_req_init(struct http_req *r, const struct http_req_hooks *hooks)
{
    memset(r, 0, sizeof(*r));
    r->hooks = hooks;
    r->cur = -1;
    for (int i = 0; i < HTTP_REQ_NHEADERS; i++)
        dk_buf_init(&r->header[i], i == HTTP_REQ_COOKIE ? HTTP_REQ_MAX_COOKIE
                                                        : HTTP_REQ_MAX_VALUE);
    dk_buf_init(&r->body, 0);
    r->view.path = r->view.query = r->view.body = "";
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
}

void http_req_cleanup(struct http_req *r)
{
    for (int i = 0; i < HTTP_REQ_NHEADERS; i++)
        dk_buf_free(&r->header[i]);
    dk_buf_free(&r->body);
}

void http_req_reset(struct http_req *r)
{
    const struct http_req_hooks *hooks = r->hooks;

    /* The memory goes back too: an idle connection holds none. */
    http_req_cleanup(r);
    http_req_init(r, hooks);
}

size_t http_req_feed(struct http_req *r, const char *data, size_t len)
{
    enum http_errno err;
    size_t used;

    if (r->done)
        return 0;
    used = http_parser_execute(&r->parser, &settings, data, len);
    err = HTTP_PARSER_ERRNO(&r->parser);
    if (!r->done && err != HPE_OK) {
        r->done = true;
        r->status = 400;
        r->why = "bad request";
        snprintf(r->detail, sizeof(r->detail), "%s",
                 http_errno_description(err));
    }
    return used;
}
