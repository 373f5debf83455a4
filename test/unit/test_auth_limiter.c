/*
 * test_auth_limiter.c - failed-login counts: a key is refused after
 * session.max_login_failures within session.login_lockout, for that
 * long; old failures are forgiven; a success clears the account.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dk_config.h"
#include "limiter.h"

static struct dk_config cfg;

static int setup(void **state)
{
    dk_config_defaults(&cfg);
    cfg.session.max_login_failures = 3;
    cfg.session.login_lockout = 60;
    return 0;
}

static int teardown(void **state)
{
    dk_config_cleanup(&cfg);
    return 0;
}

static void test_limiter__locks_after_the_limit_for_the_window(void **state)
{
    struct limiter *l = limiter_new(&cfg);
    uint64_t t = 1000000;

    assert_int_equal(limiter_wait(l, "u:kari", t), 0);
    limiter_fail(l, "u:kari", t);
    limiter_fail(l, "u:kari", t + 10);
    assert_int_equal(limiter_wait(l, "u:kari", t + 20), 0);
    limiter_fail(l, "u:kari", t + 20);
    assert_int_equal(limiter_wait(l, "u:kari", t + 20), 60);
    assert_int_equal(limiter_wait(l, "u:kari", t + 20 + 59500), 1);
    assert_int_equal(limiter_wait(l, "u:kari", t + 20 + 60000), 0);
    /* Another key is not touched. */
    assert_int_equal(limiter_wait(l, "u:lars", t + 20), 0);
    limiter_free(l);
}

static void test_limiter__old_failures_are_forgiven(void **state)
{
    struct limiter *l = limiter_new(&cfg);
    uint64_t t = 5000000;

    limiter_fail(l, "p:192.0.2.7", t);
    limiter_fail(l, "p:192.0.2.7", t + 1);
    /* Past the window, counting starts again. */
    limiter_fail(l, "p:192.0.2.7", t + 60002);
    limiter_fail(l, "p:192.0.2.7", t + 60003);
    assert_int_equal(limiter_wait(l, "p:192.0.2.7", t + 60003), 0);
    limiter_fail(l, "p:192.0.2.7", t + 60004);
    assert_true(limiter_wait(l, "p:192.0.2.7", t + 60004) > 0);
    limiter_free(l);
}

static void test_limiter__clear_and_reload(void **state)
{
    struct limiter *l = limiter_new(&cfg);
    uint64_t t = 9000000;

    limiter_fail(l, "u:anna", t);
    limiter_fail(l, "u:anna", t);
    limiter_clear(l, "u:anna");
    limiter_fail(l, "u:anna", t);
    limiter_fail(l, "u:anna", t);
    assert_int_equal(limiter_wait(l, "u:anna", t), 0);
    /* The limit is read at each call: a reload applies at once. */
    cfg.session.max_login_failures = 1;
    limiter_fail(l, "u:anna", t);
    assert_true(limiter_wait(l, "u:anna", t) > 0);
    limiter_clear(l, "u:nobody"); /* unknown: nothing happens */
    limiter_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_limiter__locks_after_the_limit_for_the_window, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_limiter__old_failures_are_forgiven,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_limiter__clear_and_reload, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
