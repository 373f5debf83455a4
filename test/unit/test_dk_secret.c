/*
 * test_dk_secret.c - Argon2id password hashes and random tokens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dk_secret.h"

static int setup(void **state)
{
    return dk_secret_init();
}

static void test_dk_pass__hash_verifies_only_the_same_password(void **state)
{
    char hash[DK_PASS_HASH_MAX];

    assert_int_equal(dk_pass_hash("correct horse", hash), 0);
    assert_int_equal(strncmp(hash, "$argon2id$", 10), 0);
    assert_true(dk_pass_verify(hash, "correct horse"));
    assert_false(dk_pass_verify(hash, "correct horsE"));
    assert_false(dk_pass_verify(hash, ""));
    assert_false(dk_pass_verify("not a hash", "correct horse"));
    assert_false(dk_pass_verify(NULL, "correct horse"));
}

static void test_dk_pass__new_is_random_and_readable(void **state)
{
    char a[DK_PASS_NEW_LEN + 1], b[DK_PASS_NEW_LEN + 1];

    dk_pass_new(a);
    dk_pass_new(b);
    assert_int_equal(strlen(a), DK_PASS_NEW_LEN);
    assert_string_not_equal(a, b);
    for (int i = 0; i < DK_PASS_NEW_LEN; i++) {
        if (i % 5 == 4)
            assert_int_equal(a[i], '-');
        else
            assert_non_null(strchr("23456789abcdefghijkmnpqrstuvwxyz", a[i]));
    }
    assert_null(strpbrk(a, "01lo"));
}

static void test_dk_token__random_and_hashed(void **state)
{
    char a[DK_TOKEN_LEN + 1], b[DK_TOKEN_LEN + 1];
    unsigned char ha[DK_TOKEN_HASH_LEN], ha2[DK_TOKEN_HASH_LEN];

    dk_token_new(a);
    dk_token_new(b);
    assert_int_equal(strlen(a), DK_TOKEN_LEN);
    assert_string_not_equal(a, b);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
                               "uvwxyz0123456789-_"),
                     DK_TOKEN_LEN);
    dk_token_hash(a, ha);
    dk_token_hash(a, ha2);
    assert_memory_equal(ha, ha2, DK_TOKEN_HASH_LEN);
    dk_token_hash(b, ha2);
    assert_memory_not_equal(ha, ha2, DK_TOKEN_HASH_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dk_pass__hash_verifies_only_the_same_password),
        cmocka_unit_test(test_dk_pass__new_is_random_and_readable),
        cmocka_unit_test(test_dk_token__random_and_hashed),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
