/*
 * fuzz_form.c - libFuzzer harness for the portal's urlencoded reader and
 * Cookie reader, both on the same bytes.  What comes out must hold to the
 * limits: at most FORM_MAX_FIELDS fields, names and values within theirs,
 * every value NUL-terminated at value_len and equal to what a decoder of
 * the harness's own makes of it, a cookie made of cookie-octets.
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

static int hex(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* A decoder of its own for s[0..n) into out: '+' a space, %XX a byte. */
static size_t decode(const char *s, size_t n, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hex(s[i + 1]) >= 0 &&
            hex(s[i + 2]) >= 0) {
            out[o++] = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    return o;
}

/* The parse must give what the decoder above gives, field by field. */
static void compare(const struct form *f, const char *s, size_t len)
{
    char *buf = malloc(len + 1);
    size_t start = 0, k = 0;

    if (!buf)
        abort();
    while (start < len) {
        const char *item = s + start;
        const char *amp = memchr(item, '&', len - start);
        size_t ilen = amp ? (size_t)(amp - item) : len - start;
        const char *eq = memchr(item, '=', ilen);
        size_t klen = eq ? (size_t)(eq - item) : ilen, n;

        start += ilen + 1;
        if (ilen == 0)
            continue;
        CHECK(k < f->n);
        n = decode(item, klen, buf);
        CHECK(strlen(f->v[k].name) == n && memcmp(f->v[k].name, buf, n) == 0);
        n = eq ? decode(eq + 1, ilen - klen - 1, buf) : 0;
        CHECK(f->v[k].value_len == n && memcmp(f->v[k].value, buf, n) == 0);
        k++;
    }
    CHECK(k == f->n);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct form f;
    char err[256], out[128], *s;

    if (form_parse_urlencoded(&f, (const char *)data, size, err, sizeof(err)) ==
        0) {
        CHECK(f.n <= FORM_MAX_FIELDS);
        for (size_t i = 0; i < f.n; i++) {
            CHECK(strlen(f.v[i].name) <= FORM_MAX_NAME);
            CHECK(f.v[i].value_len <= FORM_MAX_VALUE);
            CHECK(f.v[i].value[f.v[i].value_len] == '\0');
            CHECK(!f.v[i].is_file);
            (void)form_get(&f, f.v[i].name);
        }
        compare(&f, (const char *)data, size);
        form_free(&f);
    } else {
        CHECK(f.n == 0 && f.v == NULL);
    }

    s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    for (size_t k = 0; k < 3; k++) {
        static const char *names[] = {"dk", "dk_csrf", "a"};
        size_t outlen = k == 2 ? 4 : sizeof(out);

        if (form_cookie(s, names[k], out, outlen)) {
            size_t n = strlen(out);
            CHECK(n > 0 && n < outlen);
            for (size_t i = 0; i < n; i++)
                CHECK(out[i] > 0x20 && out[i] < 0x7f && out[i] != '"' &&
                      out[i] != ',' && out[i] != ';' && out[i] != '\\');
        }
    }
    free(s);
    return 0;
}
