/*
 * http_req.h - one HTTP/1.1 request read from a stream of bytes: parsed by
 * http-parser, checked (GET or HEAD, a target no longer than MAX_URL) and
 * its target reduced to a path.  No I/O, so that http.c can feed it what
 * arrives and fuzz_http anything at all.
 */
#ifndef HTTP_REQ_H
#define HTTP_REQ_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>

#define HTTP_REQ_MAX_URL 1024

enum http_req_state {
    HTTP_REQ_MORE, /* the request is not complete yet */
    HTTP_REQ_DONE, /* complete: status 0 with a path, or an error status */
};

struct http_req {
    http_parser parser;
    char url[HTTP_REQ_MAX_URL + 1];
    size_t url_len;
    bool url_too_long;
    bool done;
    bool head;        /* HEAD: answer with headers only */
    int status;       /* 0, or the error to answer: 400, 405, 414 */
    const char *why;  /* the error in words (static) */
    char detail[128]; /* 400: what the parser found */
    const char *path; /* status 0: into url, not NUL-terminated */
    size_t path_len;
};

void http_req_init(struct http_req *r);
/* Feed the next bytes; once DONE, further bytes are ignored (one request
 * per connection). */
enum http_req_state http_req_feed(struct http_req *r, const char *data,
                                  size_t len);

#endif
