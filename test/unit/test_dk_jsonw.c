/*
 * test_dk_jsonw.c - JSON strings written into a dk_buf: the escapes, the
 * bound, and 20,000 random UTF-8 strings that jansson must read back as
 * they were.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dk_jsonw.h"

static char *written(const char *s, size_t len)
{
    struct dk_buf b = DK_BUF_INIT(0);

    assert_true(dk_jsonw_string(&b, s, len));
    return dk_buf_steal(&b, NULL);
}

static void test_dk_jsonw__escapes(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"", 0, "\"\""},
        {"plain", 5, "\"plain\""},
        {"a\"b\\c", 5, "\"a\\\"b\\\\c\""},
        {"\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\""},
        {"\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\""},
        {"</script>", 9, "\"</script>\""},
        {"Bl\xc3\xa5 \xe2\x80\xa8 \xf0\x9f\x8e\xa8", 13,
         "\"Bl\xc3\xa5 \xe2\x80\xa8 \xf0\x9f\x8e\xa8\""},
        {"\"", 1, "\"\\\"\""},
        {"x\n", 2, "\"x\\n\""},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = written(cases[i].in, cases[i].len);
        assert_string_equal(out, cases[i].out);
        free(out);
    }
}

static void test_dk_jsonw__the_bound_leaves_the_buffer_as_it_was(void **state)
{
    struct dk_buf b;

    dk_buf_init(&b, 12);
    assert_true(dk_buf_adds(&b, "[1,"));
    /* Fails at the plain run, then at an escape, then at the last quote. */
    assert_false(dk_jsonw_string(&b, "0123456789", 10));
    assert_string_equal(b.data, "[1,");
    assert_false(dk_jsonw_string(&b, "ab\n\n\n\n", 6));
    assert_string_equal(b.data, "[1,");
    assert_false(dk_jsonw_string(&b, "abcdefgh", 8));
    assert_string_equal(b.data, "[1,");
    assert_true(dk_jsonw_string(&b, "abcdef", 6));
    assert_string_equal(b.data, "[1,\"abcdef\"");
    dk_buf_free(&b);
}

/* One random code point as UTF-8, ASCII (and its controls) most often. */
static size_t random_utf8(char *p, unsigned *seed)
{
    unsigned r = (unsigned)rand_r(seed), cp;

    switch (r % 8) {
    case 0:
        cp = r / 8 % 0x20;
        break; /* controls, NUL too */
    case 1:
        cp = (r / 8 % 2) ? '"' : '\\';
        break;
    case 2:
        cp = 0x80 + r / 8 % (0x800 - 0x80);
        break;
    case 3:
        cp = 0x800 + r / 8 % (0xd800 - 0x800);
        break;
    case 4:
        cp = 0x10000 + r / 8 % (0x110000 - 0x10000);
        break;
    default:
        cp = 0x20 + r / 8 % 0x60;
        break;
    }
    if (cp < 0x80) {
        p[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (char)(0xc0 | cp >> 6);
        p[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (char)(0xe0 | cp >> 12);
        p[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        p[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    p[0] = (char)(0xf0 | cp >> 18);
    p[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    p[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    p[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static void test_dk_jsonw__jansson_reads_back_what_was_written(void **state)
{
    unsigned seed = 18;
    char s[4 * 64];

    for (int i = 0; i < 20000; i++) {
        size_t len = 0, n = (size_t)rand_r(&seed) % 64;
        json_error_t err;
        json_t *v;
        char *out;

        for (size_t k = 0; k < n; k++)
            len += random_utf8(s + len, &seed);
        out = written(s, len);
        v = json_loads(out, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
        assert_non_null(v);
        assert_true(json_is_string(v));
        assert_int_equal(json_string_length(v), len);
        assert_memory_equal(json_string_value(v), s, len);
        json_decref(v);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dk_jsonw__escapes),
        cmocka_unit_test(test_dk_jsonw__the_bound_leaves_the_buffer_as_it_was),
        cmocka_unit_test(test_dk_jsonw__jansson_reads_back_what_was_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
