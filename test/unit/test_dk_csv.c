/*
 * test_dk_csv.c - RFC 4180 reading: quoting, line breaks inside quotes,
 * CRLF, byte order mark, line numbers, and every malformed case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dk_csv.h"

static void test_dk_csv__empty_input_has_no_records(void **state)
{
    struct dk_csv c;
    unsigned line;

    dk_csv_init(&c, "", 0);
    assert_int_equal(dk_csv_next(&c, &line, NULL), 0);
    dk_csv_cleanup(&c);
    dk_csv_init(&c, "\n\r\n\n", 4);
    assert_int_equal(dk_csv_next(&c, &line, NULL), 0);
    dk_csv_cleanup(&c);
}

static void test_dk_csv__plain_and_quoted_fields(void **state)
{
    const char *in = "\xef\xbb\xbf"
                     "email,first\r\n"
                     "a@b.no,\"Øystein, \"\"Ø\"\"\"\n"
                     "\n"
                     "c@d.nl,\"two\nlines\"\n"
                     "e@f.be,\n"
                     "last,row";
    struct dk_csv c;
    unsigned line;

    dk_csv_init(&c, in, strlen(in));
    assert_int_equal(dk_csv_next(&c, &line, NULL), 1);
    assert_int_equal(line, 1);
    assert_int_equal(c.nfields, 2);
    assert_string_equal(c.fields[0], "email");
    assert_string_equal(c.fields[1], "first");
    assert_int_equal(dk_csv_next(&c, &line, NULL), 1);
    assert_int_equal(line, 2);
    assert_string_equal(c.fields[1], "Øystein, \"Ø\"");
    assert_int_equal(dk_csv_next(&c, &line, NULL), 1);
    assert_int_equal(line, 4);
    assert_string_equal(c.fields[1], "two\nlines");
    assert_int_equal(dk_csv_next(&c, &line, NULL), 1);
    assert_int_equal(line, 6);
    assert_int_equal(c.nfields, 2);
    assert_string_equal(c.fields[1], "");
    assert_int_equal(dk_csv_next(&c, &line, NULL), 1);
    assert_int_equal(line, 7);
    assert_string_equal(c.fields[0], "last");
    assert_string_equal(c.fields[1], "row");
    assert_int_equal(dk_csv_next(&c, &line, NULL), 0);
    dk_csv_cleanup(&c);
}

static void expect_error(const char *in, size_t len, const char *msg)
{
    struct dk_csv c;
    struct dk_err err;
    unsigned line;
    int rc;

    dk_csv_init(&c, in, len);
    while ((rc = dk_csv_next(&c, &line, &err)) > 0)
        ;
    assert_int_equal(rc, DK_EINVAL);
    assert_string_equal(err.msg, msg);
    dk_csv_cleanup(&c);
}

static void test_dk_csv__malformed_input_names_the_line(void **state)
{
    expect_error("a,b\n\"open", 9, "line 2: quoted field is not closed");
    expect_error("a,b\nx,\"q\"z\n", 11, "line 2: text after a closing quote");
    expect_error("a\nb\nx\"y\n", 8, "line 3: quote inside an unquoted field");
    expect_error("a\n\xff\xfe\n", 5, "line 2: field 1 is not valid UTF-8");
    expect_error("a\nb\0c\n", 6, "line 2: NUL byte in field");
    expect_error("a\n\xc0\xaf\n", 5, "line 2: field 1 is not valid UTF-8");
}

static void test_dk_csv__many_fields_grow_the_buffers(void **state)
{
    char in[4096];
    size_t n = 0;
    struct dk_csv c;
    unsigned line;

    for (int i = 0; i < 500; i++)
        n += (size_t)snprintf(in + n, sizeof(in) - n, "%s%d", i ? "," : "", i);
    dk_csv_init(&c, in, n);
    assert_int_equal(dk_csv_next(&c, &line, NULL), 1);
    assert_int_equal(c.nfields, 500);
    assert_string_equal(c.fields[0], "0");
    assert_string_equal(c.fields[499], "499");
    dk_csv_cleanup(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dk_csv__empty_input_has_no_records),
        cmocka_unit_test(test_dk_csv__plain_and_quoted_fields),
        cmocka_unit_test(test_dk_csv__malformed_input_names_the_line),
        cmocka_unit_test(test_dk_csv__many_fields_grow_the_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
