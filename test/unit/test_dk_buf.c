/*
 * test_dk_buf.c - the bounded growable buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dk_buf.h"

static void test_dk_buf__grows_and_stays_terminated(void **state)
{
    struct dk_buf b = DK_BUF_INIT(0);

    for (int i = 0; i < 1000; i++)
        assert_true(dk_buf_adds(&b, "abc"));
    assert_int_equal(b.len, 3000);
    assert_int_equal(strlen(b.data), 3000);
    assert_true(dk_buf_printf(&b, "%d-%s", 42, "x"));
    assert_string_equal(b.data + 3000, "42-x");
    dk_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void test_dk_buf__the_bound_refuses_and_changes_nothing(void **state)
{
    struct dk_buf b;

    dk_buf_init(&b, 8);
    assert_true(dk_buf_add(&b, "12345678", 8));
    assert_false(dk_buf_addc(&b, '9'));
    assert_false(dk_buf_printf(&b, "%s", "more"));
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    assert_true(b.cap <= 9);
    dk_buf_consume(&b, 5);
    assert_string_equal(b.data, "678");
    assert_true(dk_buf_adds(&b, "abcde"));
    assert_false(dk_buf_reserve(&b, 1));
    assert_false(dk_buf_reserve(&b, SIZE_MAX));
    dk_buf_free(&b);
}

static void test_dk_buf__tail_commit_consume_steal(void **state)
{
    struct dk_buf b = DK_BUF_INIT(1024);
    size_t len;
    char *s;

    assert_true(dk_buf_reserve(&b, 100));
    assert_true(dk_buf_room(&b) >= 100);
    memcpy(dk_buf_tail(&b), "line one\nline", 13);
    dk_buf_commit(&b, 13);
    assert_string_equal(b.data, "line one\nline");
    dk_buf_consume(&b, 9);
    assert_string_equal(b.data, "line");
    dk_buf_truncate(&b, 2);
    assert_string_equal(b.data, "li");
    s = dk_buf_steal(&b, &len);
    assert_string_equal(s, "li");
    assert_int_equal(len, 2);
    assert_null(b.data);
    free(s);
    s = dk_buf_steal(&b, &len); /* empty: still a string */
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
    /* Only reserved, never written: the empty string (valgrind and ASan
     * see a read of uninitialised memory otherwise). */
    assert_true(dk_buf_reserve(&b, 100));
    s = dk_buf_steal(&b, &len);
    assert_int_equal(len, 0);
    assert_string_equal(s, "");
    free(s);
    dk_buf_consume(&b, 10); /* nothing there: nothing happens */
    dk_buf_reset(&b, false);
    dk_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dk_buf__grows_and_stays_terminated),
        cmocka_unit_test(test_dk_buf__the_bound_refuses_and_changes_nothing),
        cmocka_unit_test(test_dk_buf__tail_commit_consume_steal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
