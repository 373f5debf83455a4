/*
 * test_core_outcome.c - SQLSTATEs to outcomes, and outcomes to JSON-RPC
 * codes and HTTP statuses: the one table both transports answer from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dk_outcome.h"
#include "dk_rpc.h"
#include "outcome.h"

static void test_outcome__docket_states_keep_their_message(void **state)
{
    struct db_outcome o;

    o = db_outcome_of_state("DK404", "ticket 7 does not exist", NULL);
    assert_int_equal(o.outcome, DK_OUT_NOT_FOUND);
    assert_string_equal(o.message, "ticket 7 does not exist");
    o = db_outcome_of_state("DK409", "kari has it", "{\"id\":7}");
    assert_int_equal(o.outcome, DK_OUT_CONFLICT);
    assert_string_equal(o.detail, "{\"id\":7}");
    o = db_outcome_of_state("DK422", NULL, NULL);
    assert_int_equal(o.outcome, DK_OUT_NOT_ALLOWED);
    assert_string_equal(o.message, "error");
    /* Only a conflict carries its detail to the client. */
    o = db_outcome_of_state("DK403", "no", "secret detail");
    assert_null(o.detail);
}

static void test_outcome__postgres_states_get_our_words(void **state)
{
    struct db_outcome o;

    o = db_outcome_of_state("22P02", "invalid input syntax for type bigint",
                            NULL);
    assert_int_equal(o.outcome, DK_OUT_BAD_INPUT);
    assert_string_equal(o.message, "a value has the wrong form");
    o = db_outcome_of_state("23505", "duplicate key value", "Key (x)=(1)");
    assert_int_equal(o.outcome, DK_OUT_CONFLICT);
    assert_string_equal(o.message, "it already exists");
    /* A class: any 08xxx is a lost connection. */
    o = db_outcome_of_state("08006", "connection failure", NULL);
    assert_int_equal(o.outcome, DK_OUT_UNAVAILABLE);
    o = db_outcome_of_state("40P01", "deadlock detected", NULL);
    assert_int_equal(o.outcome, DK_OUT_UNAVAILABLE);
}

static void test_outcome__unknown_and_lost(void **state)
{
    struct db_outcome o;

    /* Nothing of the database's own text reaches the client. */
    o = db_outcome_of_state("42P01", "relation \"x\" does not exist", NULL);
    assert_int_equal(o.outcome, DK_OUT_INTERNAL);
    assert_null(strstr(o.message, "relation"));
    assert_string_equal(o.state, "42P01");
    o = db_outcome_of_state("", NULL, NULL);
    assert_int_equal(o.outcome, DK_OUT_INTERNAL);
    o = db_outcome(NULL);
    assert_int_equal(o.outcome, DK_OUT_UNAVAILABLE);
    assert_non_null(strstr(o.message, "may not have been made"));
}

static void test_outcome__codes_and_statuses(void **state)
{
    static const struct {
        enum dk_outcome o;
        int rpc, http;
    } want[] = {
        {DK_OUT_OK, 0, 200},
        {DK_OUT_BAD_INPUT, DK_RPC_BAD_PARAMS, 400},
        {DK_OUT_NOT_LOGGED_IN, DK_RPC_NOT_LOGGED_IN, 401},
        {DK_OUT_FORBIDDEN, DK_RPC_FORBIDDEN, 403},
        {DK_OUT_NOT_FOUND, DK_RPC_NOT_FOUND, 404},
        {DK_OUT_CONFLICT, DK_RPC_CONFLICT, 409},
        {DK_OUT_EXPIRED, DK_RPC_EXPIRED, 401},
        {DK_OUT_NOT_ALLOWED, DK_RPC_NOT_ALLOWED, 422},
        {DK_OUT_TOO_MANY, DK_RPC_TOO_MANY, 429},
        {DK_OUT_UNAVAILABLE, DK_RPC_UNAVAILABLE, 503},
        {DK_OUT_INTERNAL, DK_RPC_INTERNAL, 500},
    };

    assert_int_equal(sizeof(want) / sizeof(want[0]), DK_NOUTCOMES);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(dk_outcome_rpc_code(want[i].o), want[i].rpc);
        assert_int_equal(dk_outcome_http_status(want[i].o), want[i].http);
        assert_int_equal(dk_outcome_of_rpc_code(want[i].rpc), want[i].o);
        /* Every code is one of the protocol's (dk_rpc's list). */
        if (want[i].rpc)
            assert_true(dk_rpc_code_index(want[i].rpc) >= 0);
    }
    assert_int_equal(dk_outcome_of_rpc_code(12345), DK_OUT_INTERNAL);
    assert_int_equal(dk_outcome_http_status((enum dk_outcome)99), 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcome__docket_states_keep_their_message),
        cmocka_unit_test(test_outcome__postgres_states_get_our_words),
        cmocka_unit_test(test_outcome__unknown_and_lost),
        cmocka_unit_test(test_outcome__codes_and_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
