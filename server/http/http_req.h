/*
 * http_req.h - one HTTP/1.1 request read from a stream of bytes: parsed by
 * http-parser, checked (GET, HEAD or POST; a target no longer than
 * MAX_URL; headers within MAX_HEADER bytes; a body within the limit its
 * hook gives) and reduced to a struct http_request.  No I/O, so that
 * http.c can feed it what arrives and fuzz_http anything at all.
 *
 * Feeding stops at the end of a message: the bytes after it (a pipelined
 * request) are not consumed, and the caller feeds them to the next
 * request once this one is answered.
 */
#ifndef HTTP_REQ_H
#define HTTP_REQ_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dk_buf.h"
#include "http.h"

/* A sign-in's way back carries the provider's code and state in the
 * query: Microsoft Entra's codes alone run past 1,000 characters. */
#define HTTP_REQ_MAX_URL    4096
#define HTTP_REQ_MAX_HEADER (16 * 1024) /* every field name and value */
#define HTTP_REQ_MAX_VALUE  4096        /* one kept header's value */
#define HTTP_REQ_MAX_COOKIE 8192        /* the Cookie headers, joined */

/* The headers kept (others are counted and dropped). */
enum http_req_header {
    HTTP_REQ_HOST,
    HTTP_REQ_ORIGIN,
    HTTP_REQ_COOKIE,
    HTTP_REQ_CONTENT_TYPE,
    HTTP_REQ_ACCEPT_LANGUAGE,
    HTTP_REQ_EXPECT,
    HTTP_REQ_LAST_EVENT_ID,
    HTTP_REQ_NHEADERS
};

struct http_req;

#define HTTP_REQ_BUSY SIZE_MAX

/* What the reader asks its owner, synchronously, during a feed. */
struct http_req_hooks {
    /* The headers are in and checked (r->view filled but for the body):
     * the most bytes of body this request may carry.  NULL: 0.
     * HTTP_REQ_BUSY: none now, the server is busy (503). */
    size_t (*body_limit)(void *arg, struct http_req *r);
    /* A piece of body, already appended to r->body: 0 to go on, or a
     * status that ends the request with it.  NULL: always 0. */
    int (*body_chunk)(void *arg, struct http_req *r, const char *data,
                      size_t len);
    void *arg;
};

struct http_req {
    http_parser parser;
    const struct http_req_hooks *hooks; /* borrowed; may be NULL */
    char url[HTTP_REQ_MAX_URL + 1];
    size_t url_len;
    bool url_too_long;
    /* The field name being read, lower case; longer ones are not kept. */
    char name[32];
    size_t name_len;
    bool in_value; /* the last callback was a value */
    int cur;       /* the kept header being read, or -1 */
    size_t header_bytes;
    struct dk_buf header[HTTP_REQ_NHEADERS]; /* owned */
    bool seen[HTTP_REQ_NHEADERS];
    struct dk_buf body;      /* owned; bounded by the hook's limit */
    uint64_t content_length; /* 0 when none was sent */
    bool headers_done;       /* the body, if any, is being read */
    bool expect_continue;    /* 100-continue asked, and the length is fine */
    bool done;               /* a whole request, or an error */
    bool head;               /* HEAD: answer with headers only */
    bool keep_alive;         /* done with status 0: the client may go on */
    int status;       /* 0, or the error to answer: 400, 405, 411, 413, ... */
    const char *why;  /* the error in words (static) */
    char detail[128]; /* 400: what the parser found */
    /* path '\0' query '\0', both from url */
    char target[HTTP_REQ_MAX_URL + 2];
    /* Filled as far as it goes at body_limit(), whole when done with
     * status 0; its strings point into this struct. */
    struct http_request view;
};

/* Ready to read a request; hooks (may be NULL) must outlive r. */
void http_req_init(struct http_req *r, const struct http_req_hooks *hooks);
/* Ready for the next request on the same stream (memory is kept). */
void http_req_reset(struct http_req *r);
void http_req_cleanup(struct http_req *r);
/*
 * Feed the next bytes; returns how many were used.  Once r->done, further
 * bytes are not used: they belong to the next request (after a status
 * 0), or to nothing (after an error, which closes the connection).
 */
size_t http_req_feed(struct http_req *r, const char *data, size_t len);

#endif
