/*
 * fuzz_http.c - docketd's HTTP request reader (server/http_req.c over
 * http-parser) fed any bytes, cut into chunks the input chooses, as a
 * socket might deliver them.  Whatever arrives, the reader must end in a
 * state docketd can answer: a path inside the target it kept, or an error
 * status with words; and a request must read the same however it is cut.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_req.h"

static void check(const struct http_req *r)
{
    if (!r->done)
        return;
    if (r->status == 0) {
        if (!r->path || r->path < r->url ||
            r->path + r->path_len > r->url + r->url_len || r->path_len == 0)
            abort();
        if (r->parser.method != HTTP_GET && r->parser.method != HTTP_HEAD)
            abort();
    } else if ((r->status != 400 && r->status != 405 && r->status != 414) ||
               !r->why) {
        abort();
    }
    if (r->url_len > HTTP_REQ_MAX_URL ||
        memchr(r->detail, '\0', sizeof(r->detail)) == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct http_req whole, cut;
    size_t chunk, off = 0;

    if (size < 1)
        return 0;
    chunk = (size_t)(data[0] % 16) + 1;
    data++;
    size--;

    http_req_init(&whole);
    http_req_feed(&whole, (const char *)data, size);
    check(&whole);

    http_req_init(&cut);
    while (off < size && !cut.done) {
        size_t n = size - off < chunk ? size - off : chunk;
        http_req_feed(&cut, (const char *)data + off, n);
        off += n;
    }
    check(&cut);
    /* Cutting changes nothing that was decided.  (After a parse error
     * the target kept may differ: http-parser hands over a partial span
     * at the end of each chunk, but not when the error is in the same
     * call; a 400 answer does not use it.) */
    if (whole.done != cut.done || whole.status != cut.status ||
        (whole.status != 400 && whole.url_too_long != cut.url_too_long))
        abort();
    /* An overlong target is kept in part, as far as the chunk it ended. */
    if (whole.status != 400 && !whole.url_too_long &&
        (whole.url_len != cut.url_len ||
         memcmp(whole.url, cut.url, whole.url_len) != 0 ||
         whole.path_len != cut.path_len ||
         (whole.done && whole.status == 0 &&
          memcmp(whole.path, cut.path, whole.path_len) != 0)))
        abort();
    return 0;
}
