/*
 * test_tui_text.c - terminal text: column widths of Norwegian, Dutch,
 * CJK and emoji text, truncation and padding, word wrapping, ages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

static int setup(void **state)
{
    return setlocale(LC_ALL, "C.UTF-8") ? 0 : -1;
}

static void test_text_width__counts_columns_not_bytes(void **state)
{
    assert_int_equal(text_width(""), 0);
    assert_int_equal(text_width("abc"), 3);
    assert_int_equal(text_width("Øystein Brå"), 11);
    assert_int_equal(text_width("Ĳsselcollege"), 12);
    assert_int_equal(text_width("Sébastien"), 9);
    assert_int_equal(text_width("日本語"), 6);
    assert_int_equal(text_width("🙂"), 2);
    assert_int_equal(text_width("e\xcc\x81"), 1); /* e + combining acute */
}

static void test_text_tail__keeps_the_end(void **state)
{
    char out[64];

    (void)state;
    assert_string_equal(text_tail(out, sizeof(out), "unix:/a/d1.sock", 20),
                        "unix:/a/d1.sock");
    assert_string_equal(text_tail(out, sizeof(out), "unix:/tmp/x/d2.sock", 9),
                        "…/d2.sock");
    /* Whole characters only: a cut never splits "å". */
    assert_string_equal(text_tail(out, sizeof(out), "/tmp/på", 3), "…på");
    assert_string_equal(text_tail(out, sizeof(out), "abc", 1), "…");
    assert_string_equal(text_tail(out, sizeof(out), "abc", 0), "");
}

static void test_text_fit__cuts_and_pads_to_columns(void **state)
{
    char out[128];

    assert_string_equal(text_fit(out, sizeof(out), "", 3, 1), "   ");
    assert_string_equal(text_fit(out, sizeof(out), "abc", 5, 1), "abc  ");
    assert_string_equal(text_fit(out, sizeof(out), "abcdef", 4, 1), "abc…");
    assert_string_equal(text_fit(out, sizeof(out), "Åsa Lindqvist", 6, 1),
                        "Åsa L…");
    assert_int_equal(
        text_width(text_fit(out, sizeof(out), "日本語テキスト", 7, 1)), 7);
    assert_string_equal(text_fit(out, sizeof(out), "日本語", 5, 1), "日本…");
    assert_string_equal(text_fit(out, sizeof(out), "a\tb", 3, 0), "a b");
    assert_string_equal(text_fit(out, sizeof(out), "abc", 3, 0), "abc");
}

struct lines {
    char text[16][64];
    int n;
};

static void collect(void *arg, const char *s, size_t len)
{
    struct lines *l = arg;

    snprintf(l->text[l->n++], 64, "%.*s", (int)len, s);
}

static void test_text_wrap__breaks_at_spaces(void **state)
{
    struct lines l = {0};

    assert_int_equal(text_wrap("the quick brown fox", 10, collect, &l), 2);
    assert_string_equal(l.text[0], "the quick");
    assert_string_equal(l.text[1], "brown fox");
}

static void test_text_wrap__keeps_newlines_and_splits_long_words(void **s)
{
    struct lines l = {0};

    assert_int_equal(text_wrap("ab\n\nabcdefghij", 4, collect, &l), 5);
    assert_string_equal(l.text[0], "ab");
    assert_string_equal(l.text[1], "");
    assert_string_equal(l.text[2], "abcd");
    assert_string_equal(l.text[3], "efgh");
    assert_string_equal(l.text[4], "ij");
}

static void test_text_wrap__wide_characters(void **state)
{
    struct lines l = {0};

    assert_int_equal(text_wrap("日本語 日本語", 7, collect, &l), 2);
    assert_string_equal(l.text[0], "日本語");
    assert_string_equal(l.text[1], "日本語");
}

static void test_text_size__as_people_read_it(void **state)
{
    char b[32];

    (void)state;
    assert_string_equal(text_size(b, sizeof(b), 0), "0 bytes");
    assert_string_equal(text_size(b, sizeof(b), 999), "999 bytes");
    assert_string_equal(text_size(b, sizeof(b), 14321), "14 kB");
    assert_string_equal(text_size(b, sizeof(b), 2345678), "2.3 MB");
    assert_string_equal(text_size(b, sizeof(b), 26214400), "26 MB");
}

static void test_text_age__units(void **state)
{
    char out[16];
    long now = text_time("2026-11-23T12:00:00Z");

    assert_true(now > 0);
    assert_string_equal(text_age(out, sizeof(out), "2026-11-23T11:55:00Z", now),
                        "5m");
    assert_string_equal(text_age(out, sizeof(out), "2026-11-23T09:00:00Z", now),
                        "3h");
    assert_string_equal(text_age(out, sizeof(out), "2026-11-20T12:00:00Z", now),
                        "3d");
    assert_string_equal(text_age(out, sizeof(out), "2026-10-01T12:00:00Z", now),
                        "7w");
    assert_string_equal(text_age(out, sizeof(out), "garbage", now), "-");
    assert_int_equal(text_time(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_width__counts_columns_not_bytes),
        cmocka_unit_test(test_text_size__as_people_read_it),
        cmocka_unit_test(test_text_fit__cuts_and_pads_to_columns),
        cmocka_unit_test(test_text_tail__keeps_the_end),
        cmocka_unit_test(test_text_wrap__breaks_at_spaces),
        cmocka_unit_test(test_text_wrap__keeps_newlines_and_splits_long_words),
        cmocka_unit_test(test_text_wrap__wide_characters),
        cmocka_unit_test(test_text_age__units),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
