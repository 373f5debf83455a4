/*
 * http.h - the HTTP/1.1 listener on http.listen: GET /healthz and
 * GET /metrics for operators (and, later, the customer portal).  One
 * request per connection; requests are parsed by Debian's http-parser.
 */
#ifndef HTTP_H
#define HTTP_H

struct core;
struct http;

struct http *http_new(struct core *core);
/* Listen on addr ("HOST:PORT" or "[V6]:PORT"); -1 (logged) if it cannot. */
int http_listen(struct http *h, const char *addr);
/* Stop listening and close every connection; http_free() after the loop
 * has run the close callbacks. */
void http_close(struct http *h);
void http_free(struct http *h);

#endif
