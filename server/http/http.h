/*
 * http.h - the HTTP/1.1 listener on http.listen: GET /healthz and
 * GET /metrics for operators, and everything else handed to one
 * application (the customer portal, server/portal/) when one is set.
 * Requests are parsed by Debian's http-parser; connections are kept alive
 * for a bounded number of requests.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct core;
struct dk_buf;
struct http;

/* One request, whole (headers and body), as the application sees it.
 * Every string is NUL-terminated and lives until http_respond(). */
struct http_request {
    int method;        /* http-parser's HTTP_GET, HTTP_HEAD or HTTP_POST */
    const char *path;  /* the target's path, still percent-encoded */
    const char *query; /* after '?', "" when there is none */
    const char *host;  /* these headers: NULL when not sent */
    const char *origin;
    const char *cookie; /* several Cookie headers are joined by "; " */
    const char *content_type;
    const char *accept_language;
    const char *last_event_id; /* an EventSource coming back */
    const char *body;          /* POST: the body (NUL-terminated), else "" */
    size_t body_len;
    const char *peer; /* "ADDR:PORT", for the login limiter and logs */
    const struct sockaddr_storage *peer_addr; /* NULL if unknown */
};

/* A request waiting for its response: valid until http_respond(x) is
 * called, whatever the client does meanwhile.  The application must call
 * http_respond() exactly once for every exchange it was handed. */
struct http_exchange;

struct http_app {
    /*
     * Called once a request's headers are in: the most bytes of body it
     * may carry (0: none).  A Content-Length over it is answered 413 at
     * once and the body is never read; a POST without Content-Length
     * (chunked) is answered 411.  With "Expect: 100-continue" the 100
     * goes out only when the length is within this.
     */
    size_t (*body_limit)(void *arg, const struct http_request *r);
    /*
     * Optional: each piece of body as it arrives, for checks that cannot
     * wait for the whole (the size of each file in a multipart body, the
     * number of files).  Return 0 to go on, or an HTTP status (413) to
     * answer it at once with text and close the connection; nothing is
     * handed to handle() then.  x's data (http_exchange_set_data) is the
     * place for the state such a check keeps.
     */
    int (*body_chunk)(void *arg, struct http_exchange *x,
                      const struct http_request *r, const char *data,
                      size_t len);
    /* The request is whole: answer with http_respond(), now or later. */
    void (*handle)(void *arg, struct http_exchange *x,
                   const struct http_request *r);
    void *arg;
    /*
     * Optional: the page for an answer the layer gives by itself to a
     * request it refused before handle() (400, 411, 413, 414, 431, a
     * body_chunk refusal): write an HTML page saying text into body.
     * Without it the answer is text/plain.
     */
    void (*error_page)(void *arg, int status, const char *text,
                       struct dk_buf *body);
};

struct http *http_new(struct core *core);
/* The application for every path that is not /healthz or /metrics;
 * without one those answer 404.  app is copied. */
void http_set_app(struct http *h, const struct http_app *app);
/* Listen on addr ("HOST:PORT" or "[V6]:PORT"); -1 (logged) if it cannot. */
int http_listen(struct http *h, const char *addr);
/* Stop listening and close every connection; http_free() after the loop
 * has run the close callbacks. */
void http_close(struct http *h);
void http_free(struct http *h);

/* State the application keeps with one exchange; free_fn(data) runs when
 * the exchange ends (after http_respond(), or when its body was refused).
 * A second call replaces the first without freeing its data. */
void http_exchange_set_data(struct http_exchange *x, void *data,
                            void (*free_fn)(void *data));
void *http_exchange_data(const struct http_exchange *x);
/* The client has gone (or the server is closing): a response now is only
 * freed.  Long work may stop early when this is true.  (A client that
 * only shuts down its sending side is still answered: gone means the
 * connection was reset, a write failed, or http_close() ran.  After
 * http_close() a held exchange stays allocated until http_respond(),
 * which may then come even after http_free().) */
bool http_exchange_gone(const struct http_exchange *x);

/*
 * Answer x and end it.  headers: extra header lines, each "Name: value\r\n"
 * (NULL for none); body: the body (NULL for none).  Both buffers are
 * taken (left empty).  Content-Length and Connection are added here; a
 * HEAD request gets the headers only.  x is invalid afterwards.
 */
void http_respond(struct http_exchange *x, int status, const char *content_type,
                  struct dk_buf *headers, struct dk_buf *body);
/*
 * A streamed answer (Server-Sent Events): status, type and headers go out
 * now, without a Content-Length, and the body follows piece by piece with
 * http_stream_write() until http_stream_end(), which closes the
 * connection once what is queued is written.  Instead of http_respond(),
 * and only for a GET.  gone(arg) runs once if the client goes first (or
 * the server closes): the application must then call http_stream_end()
 * (at once or later) and write nothing more.  A stream has no deadline,
 * and gives way, as an idle kept-alive connection does, when the
 * connection caps are reached: its client is expected to come back.
 */
void http_stream_start(struct http_exchange *x, int status, const char *type,
                       struct dk_buf *headers, void (*gone)(void *arg),
                       void *arg);
/* Queue len bytes of the body; false when the client has gone. */
bool http_stream_write(struct http_exchange *x, const char *data, size_t len);
/* Bytes queued and not yet taken by the client. */
size_t http_stream_queued(const struct http_exchange *x);
/* End the stream; x is invalid afterwards. */
void http_stream_end(struct http_exchange *x);

/* The reason phrase of status ("Not Found"). */
const char *http_reason(int status);

#endif
