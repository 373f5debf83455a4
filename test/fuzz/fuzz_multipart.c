/*
 * fuzz_multipart.c - libFuzzer harness for the portal's multipart reader
 * (GMime) and the boundary watch.  The input's first line is the
 * Content-Type, the rest the body.
 *
 * The watch is fed the body whole, in 1-byte chunks and in chunks cut by
 * the input's own bytes: the outcome must not depend on the cuts.  It is
 * not checked against what GMime accepts, because the two do not agree by
 * design: the watch counts every "\r\n--boundary", while GMime takes a
 * boundary line only when nothing but white space follows it on the line
 * (so the watch may see more parts than GMime), and GMime also splits on
 * bare LFs, which the watch ignores (so it may see fewer, larger parts).
 * Both err on the safe side: more parts, or larger ones, than there are.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

/* assert() is gone in a release build; the fuzzers check regardless. */
#define CHECK(x)                                                               \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

static int watch(const char *ct, const char *body, size_t len, size_t step,
                 const uint8_t *cuts, size_t ncuts)
{
    struct form_watch w;
    size_t off = 0, k = 0;
    int rc = 0;

    form_watch_init(&w, ct, 256, 4);
    while (off < len) {
        size_t n =
            step ? step : (ncuts ? (size_t)cuts[k++ % ncuts] % 17 + 1 : len);
        if (n > len - off)
            n = len - off;
        if (form_watch_feed(&w, body + off, n) < 0)
            rc = -1;
        off += n;
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nl = memchr(in, '\n', size);
    char ct[512], err[256];
    const char *body;
    size_t clen, len;
    struct form f;
    int rc, whole;

    form_init();
    if (!nl || (size_t)(nl - in) >= sizeof(ct))
        return 0;
    clen = (size_t)(nl - in);
    memcpy(ct, in, clen);
    ct[clen] = '\0';
    if (memchr(ct, '\0', clen))
        return 0;
    body = nl + 1;
    len = size - clen - 1;

    rc = form_parse_multipart(&f, ct, body, len, 64, 2, err, sizeof(err));
    CHECK(rc == 0 || rc == -1 || rc == -2);
    if (rc == 0) {
        size_t files = 0;
        CHECK(f.n <= FORM_MAX_FIELDS);
        for (size_t i = 0; i < f.n; i++) {
            const struct form_field *fd = &f.v[i];
            CHECK(strlen(fd->name) <= FORM_MAX_NAME);
            CHECK(fd->value[fd->value_len] == '\0');
            CHECK(!fd->is_file || fd->value_len <= 64);
            if (fd->is_file && (*fd->filename || fd->value_len))
                files++;
            (void)form_get(&f, fd->name);
        }
        CHECK(files <= 2);
        for (size_t i = 0; form_file(&f, "f", i); i++)
            CHECK(i < 2);
        form_free(&f);
    } else {
        CHECK(f.n == 0 && f.v == NULL);
    }

    whole = watch(ct, body, len, 0, NULL, 0);
    CHECK(watch(ct, body, len, 1, NULL, 0) == whole);
    CHECK(watch(ct, body, len, 0, data, size) == whole);
    return 0;
}
