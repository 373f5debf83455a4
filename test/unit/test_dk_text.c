/*
 * test_dk_text.c - UTF-8, email, username, integer and duration checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dk_err.h"
#include "dk_text.h"

static void test_dk_utf8_valid__accepts_text_and_rejects_bad_bytes(void **s)
{
    assert_true(dk_utf8_valid("", 0));
    {
        const char *t = "Øystein Brå ĳ é 日本 🙂";
        assert_true(dk_utf8_valid(t, strlen(t)));
    }
    assert_false(dk_utf8_valid("\x80", 1));             /* lone continuation */
    assert_false(dk_utf8_valid("\xc3", 1));             /* truncated */
    assert_false(dk_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(dk_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    assert_false(dk_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(dk_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(dk_utf8_valid("\xff", 1));
}

static void test_dk_email_valid__plausible_addresses_only(void **state)
{
    assert_true(dk_email_valid("ola@school.no"));
    assert_true(dk_email_valid("p.van-den.berg+web@deregenboog.example.nl"));
    assert_false(dk_email_valid(""));
    assert_false(dk_email_valid("x"));
    assert_false(dk_email_valid("@school.no"));
    assert_false(dk_email_valid("ola@"));
    assert_false(dk_email_valid("ola@school"));
    assert_false(dk_email_valid("ola@.no"));
    assert_false(dk_email_valid("ola@school."));
    assert_false(dk_email_valid("ola@@school.no"));
    assert_false(dk_email_valid("o la@school.no"));
    assert_false(dk_email_valid("ola@school..no"));
    assert_false(dk_email_valid("Ola <ola@school.no>"));
}

static void test_dk_username_valid__lowercase_names(void **state)
{
    assert_true(dk_username_valid("kari"));
    assert_true(dk_username_valid("k.nordmann-2"));
    assert_false(dk_username_valid(""));
    assert_false(dk_username_valid("Kari"));
    assert_false(dk_username_valid("2kari"));
    assert_false(dk_username_valid("kari nordmann"));
    assert_false(dk_username_valid("abcdefghijklmnopqrstuvwxyz0123456"));
}

static void test_dk_uint_parse__limits(void **state)
{
    unsigned long long v;

    assert_int_equal(dk_uint_parse("0", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(dk_uint_parse("10", 10, &v), 0);
    assert_int_equal(dk_uint_parse("11", 10, &v), DK_ETOOBIG);
    assert_int_equal(dk_uint_parse("99999999999999999999999", ~0ULL, &v),
                     DK_ETOOBIG);
    assert_int_equal(dk_uint_parse("", 10, &v), DK_EINVAL);
    assert_int_equal(dk_uint_parse("-1", 10, &v), DK_EINVAL);
    assert_int_equal(dk_uint_parse("1 ", 10, &v), DK_EINVAL);
    assert_int_equal(dk_uint_parse(NULL, 10, &v), DK_EINVAL);
}

static void test_dk_duration_parse__units(void **state)
{
    long long v;

    assert_int_equal(dk_duration_parse("45", "smh", &v), 0);
    assert_int_equal(v, 45);
    assert_int_equal(dk_duration_parse("30s", "smh", &v), 0);
    assert_int_equal(v, 30);
    assert_int_equal(dk_duration_parse("30m", "smh", &v), 0);
    assert_int_equal(v, 1800);
    assert_int_equal(dk_duration_parse("1h", "smh", &v), 0);
    assert_int_equal(v, 3600);
    assert_int_equal(dk_duration_parse("2d", "smhdw", &v), 0);
    assert_int_equal(v, 172800);
    assert_int_equal(dk_duration_parse("1w", "smhdw", &v), 0);
    assert_int_equal(v, 604800);
    assert_int_equal(dk_duration_parse("2d", "smh", &v), DK_EINVAL);
    assert_int_equal(dk_duration_parse("h", "smh", &v), DK_EINVAL);
    assert_int_equal(dk_duration_parse("", "smh", &v), DK_EINVAL);
    assert_int_equal(dk_duration_parse("1.5h", "smh", &v), DK_EINVAL);
    assert_int_equal(dk_duration_parse("-1m", "smh", &v), DK_EINVAL);
    assert_int_equal(dk_duration_parse("99999999999999999999h", "smh", &v),
                     DK_EINVAL);
    assert_int_equal(dk_duration_parse("9223372036854775807h", "smh", &v),
                     DK_EINVAL);
}

static void test_dk_trim__both_ends(void **state)
{
    char a[] = "  x y \t\n", b[] = "", c[] = "   ";

    assert_string_equal(dk_trim(a), "x y");
    assert_string_equal(dk_trim(b), "");
    assert_string_equal(dk_trim(c), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_dk_utf8_valid__accepts_text_and_rejects_bad_bytes),
        cmocka_unit_test(test_dk_email_valid__plausible_addresses_only),
        cmocka_unit_test(test_dk_username_valid__lowercase_names),
        cmocka_unit_test(test_dk_uint_parse__limits),
        cmocka_unit_test(test_dk_duration_parse__units),
        cmocka_unit_test(test_dk_trim__both_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
