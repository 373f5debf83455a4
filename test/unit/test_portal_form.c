/*
 * test_portal_form.c - the portal's form readers: urlencoded bodies
 * (liburiparser), multipart bodies as Chromium sends them (GMime), the
 * Cookie header, and the boundary watch fed in every way of cutting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "dk_config.h"
#include "form.h"

#define S(lit) lit, sizeof(lit) - 1

static int setup(void **state)
{
    form_init();
    form_init(); /* idempotent */
    return 0;
}

/* ---- urlencoded -----------------------------------------------------------
 */

static void test_form_urlencoded__empty_input_is_an_empty_form(void **state)
{
    struct form f;
    char err[128];

    assert_int_equal(form_parse_urlencoded(&f, "", 0, err, sizeof(err)), 0);
    assert_int_equal(f.n, 0);
    assert_null(form_get(&f, "a"));
    form_free(&f);
    assert_int_equal(form_parse_urlencoded(&f, S("&&"), err, sizeof(err)), 0);
    assert_int_equal(f.n, 0);
    form_free(&f);
    form_free(NULL);
}

static void test_form_urlencoded__plus_escapes_and_utf8_decode(void **state)
{
    struct form f;
    char err[128];

    assert_int_equal(
        form_parse_urlencoded(
            &f, S("subject=Printer+on+fire&body=br%C3%A5nn%21%0D%0Aok&x=%2B"),
            err, sizeof(err)),
        0);
    assert_int_equal(f.n, 3);
    assert_string_equal(form_get(&f, "subject"), "Printer on fire");
    assert_string_equal(form_get(&f, "body"), "brånn!\r\nok");
    assert_int_equal(f.v[1].value_len, strlen("brånn!\r\nok"));
    assert_string_equal(form_get(&f, "x"), "+");
    assert_false(f.v[0].is_file);
    assert_null(f.v[0].filename);
    form_free(&f);
}

static void test_form_urlencoded__empty_value_and_no_equals_are_empty(void **s)
{
    struct form f;
    char err[128];

    assert_int_equal(
        form_parse_urlencoded(&f, S("a=&b&c=x=y&=v"), err, sizeof(err)), 0);
    assert_int_equal(f.n, 4);
    assert_string_equal(form_get(&f, "a"), "");
    assert_string_equal(form_get(&f, "b"), "");
    assert_int_equal(f.v[1].value_len, 0);
    assert_string_equal(form_get(&f, "c"), "x=y");
    assert_string_equal(form_get(&f, ""), "v");
    form_free(&f);
}

static void test_form_urlencoded__repeated_name_get_returns_first(void **state)
{
    struct form f;
    char err[128];

    assert_int_equal(
        form_parse_urlencoded(&f, S("tag=a&tag=b&tag=c"), err, sizeof(err)), 0);
    assert_int_equal(f.n, 3);
    assert_string_equal(form_get(&f, "tag"), "a");
    assert_string_equal(f.v[2].value, "c");
    form_free(&f);
}

static void test_form_urlencoded__nul_in_a_value_keeps_its_length(void **state)
{
    struct form f;
    char err[128];

    assert_int_equal(
        form_parse_urlencoded(&f, S("v=a%00b&w=1"), err, sizeof(err)), 0);
    assert_int_equal(f.v[0].value_len, 3);
    assert_memory_equal(f.v[0].value, "a\0b", 4);
    assert_string_equal(form_get(&f, "w"), "1");
    form_free(&f);
}

static void test_form_urlencoded__bad_escapes_are_refused(void **state)
{
    static const char *bad[] = {"%zz", "%", "a=%4", "a=%4g", "a=b%", "n%00=1"};
    struct form f;
    char err[128];

    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        err[0] = '\0';
        assert_int_equal(
            form_parse_urlencoded(&f, bad[i], strlen(bad[i]), err, sizeof(err)),
            -1);
        assert_int_equal(f.n, 0);
        assert_null(f.v);
        assert_true(strlen(err) > 0);
    }
    assert_int_equal(form_parse_urlencoded(&f, S("a=1\0b"), err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "NUL"));
    /* err may be NULL */
    assert_int_equal(form_parse_urlencoded(&f, S("%"), NULL, 0), -1);
}

static void test_form_urlencoded__limits_are_refused(void **state)
{
    char *s = malloc(3 * FORM_MAX_VALUE + 64);
    struct form f;
    char err[128];
    size_t n = 0;

    for (int i = 0; i < FORM_MAX_FIELDS; i++)
        n += (size_t)sprintf(s + n, "%sf%d=%d", i ? "&" : "", i, i);
    assert_int_equal(form_parse_urlencoded(&f, s, n, err, sizeof(err)), 0);
    assert_int_equal(f.n, FORM_MAX_FIELDS);
    form_free(&f);
    n += (size_t)sprintf(s + n, "&one=more");
    assert_int_equal(form_parse_urlencoded(&f, s, n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "fields"));

    /* A name of 64 bytes is fine, of 65 not (counted decoded). */
    memset(s, 'n', 64);
    memcpy(s + 64, "=1", 2);
    assert_int_equal(form_parse_urlencoded(&f, s, 66, err, sizeof(err)), 0);
    form_free(&f);
    memcpy(s + 64, "n=1", 3);
    assert_int_equal(form_parse_urlencoded(&f, s, 67, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "name"));

    /* A value of 1 MiB decoded, sent as %XX (3 MiB), is fine; one more
     * byte is not. */
    memcpy(s, "v=", 2);
    for (size_t i = 0; i < FORM_MAX_VALUE; i++)
        memcpy(s + 2 + 3 * i, "%41", 3);
    n = 2 + 3 * (size_t)FORM_MAX_VALUE;
    assert_int_equal(form_parse_urlencoded(&f, s, n, err, sizeof(err)), 0);
    assert_int_equal(f.v[0].value_len, FORM_MAX_VALUE);
    assert_int_equal(f.v[0].value[FORM_MAX_VALUE - 1], 'A');
    form_free(&f);
    s[n] = 'A';
    assert_int_equal(form_parse_urlencoded(&f, s, n + 1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "value"));
    free(s);
}

/* ---- multipart --------------------------------------------------------------
 */

#define WEBKIT    "----WebKitFormBoundaryq8rHb3TzVn2lYxKA"
#define CT_WEBKIT "multipart/form-data; boundary=" WEBKIT

/* A file with a NUL, CRLFs, a lone CR at its end, and "--" lines. */
static const char png[] =
    "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\r\n--\r\n-" WEBKIT "x\r";

/* The body Chromium sends for the new-ticket form with two files chosen
 * and a third file input left empty. */
static char *chromium_body(size_t *len)
{
    static const char head[] =
        "--" WEBKIT "\r\n"
        "Content-Disposition: form-data; name=\"csrf\"\r\n"
        "\r\n"
        "Zm9vYmFyYmF6\r\n"
        "--" WEBKIT "\r\n"
        "Content-Disposition: form-data; name=\"body\"\r\n"
        "\r\n"
        "Skjermen blinker når jeg åpner rapporten 🙁\r\nHilsen Åse\r\n"
        "--" WEBKIT "\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
        "Content-Type: image/png\r\n"
        "\r\n";
    static const char mid[] =
        "\r\n--" WEBKIT "\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"b.png\"\r\n"
        "Content-Type: image/png\r\n"
        "\r\n";
    static const char tail[] =
        "\r\n--" WEBKIT "\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "\r\n--" WEBKIT "--\r\n";
    size_t n = 0;
    char *b =
        malloc(sizeof(head) + 2 * sizeof(png) + sizeof(mid) + sizeof(tail));

    memcpy(b + n, head, sizeof(head) - 1);
    n += sizeof(head) - 1;
    memcpy(b + n, png, sizeof(png) - 1);
    n += sizeof(png) - 1;
    memcpy(b + n, mid, sizeof(mid) - 1);
    n += sizeof(mid) - 1;
    memcpy(b + n, "GIF89a", 6);
    n += 6;
    memcpy(b + n, tail, sizeof(tail) - 1);
    n += sizeof(tail) - 1;
    *len = n;
    return b;
}

static void test_form_multipart__chromium_form_with_files(void **state)
{
    struct form f;
    char err[128];
    size_t len;
    char *body = chromium_body(&len);
    const struct form_field *a, *b;

    assert_int_equal(form_parse_multipart(&f, CT_WEBKIT, body, len, 1024, 4,
                                          err, sizeof(err)),
                     0);
    assert_int_equal(f.n, 5);
    assert_string_equal(form_get(&f, "csrf"), "Zm9vYmFyYmF6");
    assert_string_equal(form_get(&f, "body"),
                        "Skjermen blinker når jeg åpner rapporten 🙁\r\n"
                        "Hilsen Åse");
    assert_null(form_get(&f, "file")); /* files are not values */
    a = form_file(&f, "file", 0);
    b = form_file(&f, "file", 1);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(form_file(&f, "file", 2)); /* the empty input is skipped */
    assert_true(a->is_file);
    assert_string_equal(a->filename, "a.png");
    assert_string_equal(a->content_type, "image/png");
    assert_int_equal(a->value_len, sizeof(png) - 1);
    assert_memory_equal(a->value, png, sizeof(png) - 1);
    assert_string_equal(b->filename, "b.png");
    assert_int_equal(b->value_len, 6);
    assert_memory_equal(b->value, "GIF89a", 6);
    /* ...but kept as a field. */
    assert_true(f.v[4].is_file);
    assert_string_equal(f.v[4].filename, "");
    assert_int_equal(f.v[4].value_len, 0);
    form_free(&f);

    /* The empty input does not count towards max_files. */
    assert_int_equal(form_parse_multipart(&f, CT_WEBKIT, body, len, 1024, 2,
                                          err, sizeof(err)),
                     0);
    form_free(&f);
    free(body);
}

static void test_form_multipart__over_max_files_is_2(void **state)
{
    struct form f;
    char err[128];
    size_t len;
    char *body = chromium_body(&len);

    assert_int_equal(form_parse_multipart(&f, CT_WEBKIT, body, len, 1024, 1,
                                          err, sizeof(err)),
                     -2);
    assert_non_null(strstr(err, "files"));
    assert_int_equal(f.n, 0);
    assert_null(f.v);
    free(body);
}

static void test_form_multipart__file_over_max_file_is_2(void **state)
{
    struct form f;
    char err[128];
    size_t len;
    char *body = chromium_body(&len);

    /* a.png is exactly sizeof(png) - 1 bytes: that much is allowed. */
    assert_int_equal(form_parse_multipart(&f, CT_WEBKIT, body, len,
                                          sizeof(png) - 1, 4, err, sizeof(err)),
                     0);
    form_free(&f);
    assert_int_equal(form_parse_multipart(&f, CT_WEBKIT, body, len,
                                          sizeof(png) - 2, 4, err, sizeof(err)),
                     -2);
    assert_non_null(strstr(err, "bytes"));
    assert_int_equal(f.n, 0);
    free(body);
}

static void test_form_multipart__rfc2231_and_hostile_filenames(void **state)
{
    static const char body[] =
        "--xyz\r\n"
        "Content-Disposition: form-data; name=\"f\"; "
        "filename*=UTF-8''%C3%A6.pdf\r\n"
        "Content-Type: application/pdf\r\n"
        "\r\n"
        "%PDF-1.4\r\n"
        "--xyz\r\n"
        "Content-Disposition: form-data; name=\"f\"; "
        "filename=\"../../etc/passwd\"\r\n"
        "\r\n"
        "root:x:0:0\r\n"
        "--xyz\r\n"
        "Content-Disposition: form-data; name=\"b64\"; filename=\"h.txt\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "aGVsbG8=\r\n"
        "--xyz--\r\n";
    struct form f;
    char err[128];

    assert_int_equal(form_parse_multipart(&f,
                                          "multipart/form-data; "
                                          "boundary=xyz",
                                          S(body), 1024, 8, err, sizeof(err)),
                     0);
    assert_int_equal(f.n, 3);
    assert_string_equal(form_file(&f, "f", 0)->filename, "æ.pdf");
    assert_string_equal(form_file(&f, "f", 0)->value, "%PDF-1.4");
    assert_string_equal(form_file(&f, "f", 1)->filename, "../../etc/passwd");
    assert_null(form_file(&f, "f", 1)->content_type);
    assert_string_equal(form_file(&f, "b64", 0)->value, "hello");
    form_free(&f);
}

static void test_form_multipart__malformed_bodies_are_1(void **state)
{
    static const char ok_part[] =
        "--xyz\r\n"
        "Content-Disposition: form-data; name=\"a\"\r\n"
        "\r\n"
        "1\r\n";
    static const char no_name[] = "--xyz\r\n"
                                  "Content-Disposition: form-data\r\n"
                                  "\r\n"
                                  "1\r\n"
                                  "--xyz--\r\n";
    static const char not_form[] = "--xyz\r\n"
                                   "Content-Type: text/plain\r\n"
                                   "\r\n"
                                   "1\r\n"
                                   "--xyz--\r\n";
    static const char *bad_ct[] = {
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/mixed; boundary=xyz",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz\r\nContent-Transfer-Encoding: "
        "base64",
        "multipart/form-data; boundary=0123456789012345678901234567890123456"
        "7890123456789012345678901234567890",
    };
    struct form f;
    char err[128];

    for (size_t i = 0; i < sizeof(bad_ct) / sizeof(*bad_ct); i++)
        assert_int_equal(form_parse_multipart(&f, bad_ct[i], S(ok_part), 1024,
                                              8, err, sizeof(err)),
                         -1);
    assert_int_equal(
        form_parse_multipart(&f, NULL, S(ok_part), 1024, 8, err, sizeof(err)),
        -1);
    /* No final delimiter. */
    assert_int_equal(
        form_parse_multipart(&f, "multipart/form-data; boundary=xyz",
                             S(ok_part), 1024, 8, err, sizeof(err)),
        -1);
    assert_non_null(strstr(err, "truncated"));
    assert_int_equal(f.n, 0);
    assert_int_equal(form_parse_multipart(&f,
                                          "multipart/form-data; boundary=xyz",
                                          "", 0, 1024, 8, err, sizeof(err)),
                     -1);
    assert_int_equal(
        form_parse_multipart(&f, "multipart/form-data; boundary=xyz",
                             S(no_name), 1024, 8, err, sizeof(err)),
        -1);
    assert_non_null(strstr(err, "name"));
    assert_int_equal(
        form_parse_multipart(&f, "multipart/form-data; boundary=xyz",
                             S(not_form), 1024, 8, err, sizeof(err)),
        -1);
}

static void test_form_multipart__more_than_max_fields_is_2(void **state)
{
    char *body = malloc(100 * (FORM_MAX_FIELDS + 2));
    struct form f;
    char err[128];
    size_t n = 0;

    for (int i = 0; i <= FORM_MAX_FIELDS; i++)
        n += (size_t)sprintf(body + n,
                             "--b\r\nContent-Disposition: form-data; "
                             "name=\"f%d\"\r\n\r\nv\r\n",
                             i);
    n += (size_t)sprintf(body + n, "--b--\r\n");
    assert_int_equal(form_parse_multipart(&f, "multipart/form-data; boundary=b",
                                          body, n, 1024, 8, err, sizeof(err)),
                     -2);
    assert_non_null(strstr(err, "fields"));
    free(body);
}

/* ---- cookies
 * ------------------------------------------------------------------ */

static void test_form_cookie__finds_exact_names(void **state)
{
    char out[64];
    const char *h = "dk_csrf=c5rf; dk=s3ss10n;theme=\"dark\";\tlang=nb ";

    assert_true(form_cookie(h, "dk", out, sizeof(out)));
    assert_string_equal(out, "s3ss10n");
    assert_true(form_cookie(h, "dk_csrf", out, sizeof(out)));
    assert_string_equal(out, "c5rf");
    assert_true(form_cookie(h, "theme", out, sizeof(out)));
    assert_string_equal(out, "dark");
    assert_true(form_cookie(h, "lang", out, sizeof(out)));
    assert_string_equal(out, "nb");
    assert_false(form_cookie(h, "d", out, sizeof(out)));
    assert_false(form_cookie(h, "dk_", out, sizeof(out)));
    assert_false(form_cookie(h, "missing", out, sizeof(out)));
    assert_false(form_cookie("", "dk", out, sizeof(out)));
    assert_false(form_cookie(NULL, "dk", out, sizeof(out)));
    /* The first pair with the name counts. */
    assert_true(form_cookie("dk=1; dk=2", "dk", out, sizeof(out)));
    assert_string_equal(out, "1");
    /* A prefix of a name before the real one is not it. */
    assert_true(form_cookie("dkx=1; dk=2", "dk", out, sizeof(out)));
    assert_string_equal(out, "2");
}

static void test_form_cookie__invalid_empty_or_long_values_are_false(void **s)
{
    char out[8];

    assert_false(form_cookie("dk=", "dk", out, sizeof(out)));
    assert_false(form_cookie("dk=\"\"", "dk", out, sizeof(out)));
    assert_false(form_cookie("dk=a b", "dk", out, sizeof(out)));
    assert_false(form_cookie("dk=a,b", "dk", out, sizeof(out)));
    assert_false(form_cookie("dk=a\\b", "dk", out, sizeof(out)));
    assert_false(form_cookie("dk=\"ab", "dk", out, sizeof(out)));
    assert_false(form_cookie("dk=a\"b\"", "dk", out, sizeof(out)));
    assert_false(form_cookie("dk=\x7f", "dk", out, sizeof(out)));
    assert_false(form_cookie("dk=\xc3\xa6", "dk", out, sizeof(out)));
    assert_false(form_cookie("dk", "dk", out, sizeof(out)));
    assert_false(form_cookie("dk =1", "dk", out, sizeof(out)));
    /* Seven bytes fit in eight, eight do not. */
    assert_true(form_cookie("dk=1234567", "dk", out, sizeof(out)));
    assert_string_equal(out, "1234567");
    assert_false(form_cookie("dk=12345678", "dk", out, sizeof(out)));
    assert_false(form_cookie("dk=1", "dk", out, 1));
    /* A broken pair of another cookie does not hide ours. */
    assert_true(form_cookie("x=a b; junk; dk=ok", "dk", out, sizeof(out)));
    assert_string_equal(out, "ok");
}

/* ---- watch
 * -------------------------------------------------------------------- */

static int watch_chunks(const char *ct, const char *body, size_t len,
                        size_t max_part, size_t max_parts, size_t step,
                        unsigned *seed)
{
    struct form_watch w;
    size_t off = 0;
    int rc = 0;

    form_watch_init(&w, ct, max_part, max_parts);
    while (off < len) {
        size_t n = seed ? (size_t)rand_r(seed) % 40 + 1 : step;
        if (n > len - off)
            n = len - off;
        if (form_watch_feed(&w, body + off, n) < 0)
            rc = -1;
        off += n;
    }
    return rc;
}

static void test_form_watch__counts_parts_and_sizes(void **state)
{
    struct form_watch w;
    size_t len;
    char *body = chromium_body(&len);

    form_watch_init(&w, CT_WEBKIT, 1024, 5);
    assert_true(w.active);
    assert_int_equal(form_watch_feed(&w, body, len), 0);
    assert_int_equal(w.parts, 6); /* 5 fields, the last delimiter closes */
    form_watch_init(&w, CT_WEBKIT, 1024, 4);
    assert_int_equal(form_watch_feed(&w, body, len), -1);
    assert_int_equal(form_watch_feed(&w, "", 0), -1); /* and stays so */

    /* Not multipart: inactive, anything goes. */
    form_watch_init(&w, "application/x-www-form-urlencoded", 1, 1);
    assert_false(w.active);
    assert_int_equal(form_watch_feed(&w, body, len), 0);
    form_watch_init(&w, NULL, 1, 1);
    assert_false(w.active);
    free(body);
}

static void test_form_watch__part_size_is_exact(void **state)
{
    static const char body[] = "--b\r\n\r\nhello\r\n--b--\r\n";
    struct form_watch w;

    /* The first part is "\r\n\r\nhello" (9 bytes), the epilogue "--\r\n". */
    form_watch_init(&w, "multipart/form-data; boundary=b", 9, 8);
    assert_int_equal(form_watch_feed(&w, S(body)), 0);
    assert_int_equal(w.parts, 2);
    form_watch_init(&w, "multipart/form-data; boundary=b", 8, 8);
    assert_int_equal(form_watch_feed(&w, S(body)), -1);
    /* A preamble is measured without the CRLF the first delimiter lacks. */
    form_watch_init(&w, "multipart/form-data; boundary=b", 3, 8);
    assert_int_equal(form_watch_feed(&w, S("pre\r\n--b\r\n--b--")), 0);
    form_watch_init(&w, "multipart/form-data; boundary=b", 2, 8);
    assert_int_equal(form_watch_feed(&w, S("pre\r\n--b\r\n--b--")), -1);
}

static void test_form_watch__any_cut_gives_the_same_result(void **state)
{
    size_t len;
    char *body = chromium_body(&len);
    unsigned seed = 42;
    /* Limits around the real sizes, so that some pass and some fail. */
    static const size_t parts[] = {3, 4, 5, 6};
    static const size_t sizes[] = {40, 100, 150, 200, 1000};

    for (size_t p = 0; p < 4; p++) {
        for (size_t s = 0; s < 5; s++) {
            int whole = watch_chunks(CT_WEBKIT, body, len, sizes[s], parts[p],
                                     len, NULL);
            assert_int_equal(
                watch_chunks(CT_WEBKIT, body, len, sizes[s], parts[p], 1, NULL),
                whole);
            for (int r = 0; r < 50; r++)
                assert_int_equal(watch_chunks(CT_WEBKIT, body, len, sizes[s],
                                              parts[p], 0, &seed),
                                 whole);
            /* Two chunks, cut at every position. */
            for (size_t cut = 0; cut <= len; cut++) {
                struct form_watch w;
                int rc = 0;
                form_watch_init(&w, CT_WEBKIT, sizes[s], parts[p]);
                if (form_watch_feed(&w, body, cut) < 0)
                    rc = -1;
                if (form_watch_feed(&w, body + cut, len - cut) < 0)
                    rc = -1;
                assert_int_equal(rc, whole);
            }
        }
    }
    free(body);
}

static void test_form_watch__boundary_with_repeating_prefix(void **state)
{
    /* Delimiter "\r\n--a-a--a": "\r\n--a-a" matches 7 bytes of it, and
     * the CR that breaks the match opens the real one; after it,
     * "-a--a" repeats the boundary's tail as content. */
    static const char ct[] = "multipart/form-data; boundary=\"a-a--a\"";
    static const char body[] = "--a-a--a\r\n\r\nx\r\n--a-a\r\n--a-a--a-a--a"
                               "\r\n\r\ny\r\n--a-a--a--\r\n";
    struct form_watch w;

    form_watch_init(&w, ct, 1024, 8);
    assert_true(w.active);
    assert_int_equal(form_watch_feed(&w, S(body)), 0);
    /* the opening, the one after the false starts, the closing */
    assert_int_equal(w.parts, 3);
    for (size_t step = 1; step < 8; step++) {
        struct form_watch v;
        form_watch_init(&v, ct, 1024, 8);
        for (size_t off = 0; off < sizeof(body) - 1; off += step) {
            size_t n =
                sizeof(body) - 1 - off < step ? sizeof(body) - 1 - off : step;
            assert_int_equal(form_watch_feed(&v, body + off, n), 0);
        }
        assert_int_equal(v.parts, 3);
    }
    /* "\r\n\r\n--b": a CRLF after a CR restarts the match. */
    form_watch_init(&w, "multipart/form-data; boundary=b", 1024, 8);
    assert_int_equal(form_watch_feed(&w, S("x\r\r\n--b\r\n\r\n--b--")), 0);
    assert_int_equal(w.parts, 2);
}

/* ---- Accept-Language (accept.c) ---------------------------------------- */

static char *langs_all[] = {"en", "nb", "nl"};
static const struct dk_strlist offered_all = {3, langs_all};

static void test_accept__best_q_region_and_norwegian(void **state)
{
    (void)state;
    assert_int_equal(accept_language_pick("nb-NO,nb;q=0.9,en;q=0.5",
                                          &offered_all, DK_LANG_EN),
                     DK_LANG_NB);
    assert_int_equal(
        accept_language_pick("en;q=0.5, nl;q=0.9", &offered_all, DK_LANG_EN),
        DK_LANG_NL);
    assert_int_equal(accept_language_pick("no", &offered_all, DK_LANG_EN),
                     DK_LANG_NB);
    assert_int_equal(accept_language_pick("NN-no", &offered_all, DK_LANG_EN),
                     DK_LANG_NB);
    assert_int_equal(
        accept_language_pick("fr-FR, de", &offered_all, DK_LANG_NL),
        DK_LANG_NL);
    assert_int_equal(accept_language_pick(NULL, &offered_all, DK_LANG_NB),
                     DK_LANG_NB);
}

static void test_accept__bad_q_counts_as_zero(void **state)
{
    (void)state;
    /* Not numbers (strtod would take these), out of range, empty. */
    static const char *const bad[] = {
        "nb;q=nan", "nb;q=inf", "nb;q=0x1", "nb;q=-1",
        "nb;q=2",   "nb;q=",    "nb;q=0",   "nb;q=1e0"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(accept_language_pick(bad[i], &offered_all, DK_LANG_EN),
                         DK_LANG_EN);
    assert_int_equal(
        accept_language_pick("nb;q=abc, nl;q=0.1", &offered_all, DK_LANG_EN),
        DK_LANG_NL);
}

static void test_accept__long_hostile_header_is_linear(void **state)
{
    /* 16 KiB of ';': every entry used to search the rest of the header. */
    size_t n = 16 * 1024;
    char *h = malloc(n + 1);

    (void)state;
    assert_non_null(h);
    memset(h, ';', n);
    memcpy(h, "nb", 2);
    h[n] = '\0';
    assert_int_equal(accept_language_pick(h, &offered_all, DK_LANG_EN),
                     DK_LANG_NB);
    memset(h, ',', n);
    h[n] = '\0';
    assert_int_equal(accept_language_pick(h, &offered_all, DK_LANG_NL),
                     DK_LANG_NL);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_urlencoded__empty_input_is_an_empty_form),
        cmocka_unit_test(test_form_urlencoded__plus_escapes_and_utf8_decode),
        cmocka_unit_test(
            test_form_urlencoded__empty_value_and_no_equals_are_empty),
        cmocka_unit_test(test_form_urlencoded__repeated_name_get_returns_first),
        cmocka_unit_test(test_form_urlencoded__nul_in_a_value_keeps_its_length),
        cmocka_unit_test(test_form_urlencoded__bad_escapes_are_refused),
        cmocka_unit_test(test_form_urlencoded__limits_are_refused),
        cmocka_unit_test(test_form_multipart__chromium_form_with_files),
        cmocka_unit_test(test_form_multipart__over_max_files_is_2),
        cmocka_unit_test(test_form_multipart__file_over_max_file_is_2),
        cmocka_unit_test(test_form_multipart__rfc2231_and_hostile_filenames),
        cmocka_unit_test(test_form_multipart__malformed_bodies_are_1),
        cmocka_unit_test(test_form_multipart__more_than_max_fields_is_2),
        cmocka_unit_test(test_form_cookie__finds_exact_names),
        cmocka_unit_test(
            test_form_cookie__invalid_empty_or_long_values_are_false),
        cmocka_unit_test(test_form_watch__counts_parts_and_sizes),
        cmocka_unit_test(test_form_watch__part_size_is_exact),
        cmocka_unit_test(test_form_watch__any_cut_gives_the_same_result),
        cmocka_unit_test(test_form_watch__boundary_with_repeating_prefix),
        cmocka_unit_test(test_accept__best_q_region_and_norwegian),
        cmocka_unit_test(test_accept__bad_q_counts_as_zero),
        cmocka_unit_test(test_accept__long_hostile_header_is_linear),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
