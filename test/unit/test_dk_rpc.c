/*
 * test_dk_rpc.c - JSON-RPC request parsing and reply building.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dk_rpc.h"

static int parse(struct dk_rpc_req *req, const char *line, char *msg)
{
    return dk_rpc_parse(req, line, strlen(line), msg, 256);
}

static void test_dk_rpc_parse__a_good_request(void **state)
{
    struct dk_rpc_req req;
    char msg[256];

    assert_int_equal(parse(&req,
                           "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
                           "\"tickets.get\",\"params\":{\"id\":1}}",
                           msg),
                     0);
    assert_string_equal(req.method, "tickets.get");
    assert_int_equal(json_integer_value(req.id), 7);
    assert_int_equal(json_integer_value(json_object_get(req.params, "id")), 1);
    dk_rpc_req_cleanup(&req);
}

static void test_dk_rpc_parse__empty_and_bad_input(void **state)
{
    static const struct {
        const char *line;
        int code;
        bool has_id;
    } cases[] = {
        {"", DK_RPC_PARSE_ERROR, false},
        {"{", DK_RPC_PARSE_ERROR, false},
        {"[1]", DK_RPC_INVALID_REQUEST, false},
        {"\"x\"", DK_RPC_INVALID_REQUEST, false},
        {"{\"id\":1,\"method\":\"m\"}", DK_RPC_INVALID_REQUEST, true},
        {"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"m\"}",
         DK_RPC_INVALID_REQUEST, true},
        {"{\"jsonrpc\":\"2.0\",\"id\":1}", DK_RPC_INVALID_REQUEST, true},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}",
         DK_RPC_INVALID_REQUEST, true},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\\u0000b\"}",
         DK_RPC_INVALID_REQUEST, true},
        {"{\"jsonrpc\":\"2.0\",\"id\":[],\"method\":\"m\"}",
         DK_RPC_INVALID_REQUEST, false},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[]}",
         DK_RPC_BAD_PARAMS, true},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":1}",
         DK_RPC_INVALID_REQUEST, true},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"m\"}",
         DK_RPC_PARSE_ERROR, false},
        {"{\"jsonrpc\":\"2.0\",\"id\":1e999,\"method\":\"m\"}",
         DK_RPC_PARSE_ERROR, false},
    };
    struct dk_rpc_req req;
    char msg[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        msg[0] = '\0';
        assert_int_equal(parse(&req, cases[i].line, msg), cases[i].code);
        assert_true(msg[0] != '\0');
        assert_int_equal(req.id != NULL, cases[i].has_id);
        dk_rpc_req_cleanup(&req);
    }
}

static void test_dk_rpc_parse__notification_has_no_id(void **state)
{
    struct dk_rpc_req req;
    char msg[256];

    assert_int_equal(
        parse(&req, "{\"jsonrpc\":\"2.0\",\"method\":\"server.info\"}", msg),
        0);
    assert_null(req.id);
    assert_null(req.params);
    dk_rpc_req_cleanup(&req);
}

static void test_dk_rpc__replies_are_one_line(void **state)
{
    json_t *id = json_string("a\nb");
    json_t *data = json_pack("{s:s}", "owner", "kari");
    size_t len;
    char *s;

    s = dk_rpc_result(id, json_true(), &len);
    assert_string_equal(s, "{\"jsonrpc\":\"2.0\",\"id\":\"a\\nb\","
                           "\"result\":true}\n");
    assert_int_equal(len, strlen(s));
    free(s);
    s = dk_rpc_error(NULL, DK_RPC_CONFLICT, "taken", data, &len);
    assert_string_equal(s, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
                           "{\"code\":4009,\"message\":\"taken\",\"data\":"
                           "{\"owner\":\"kari\"}}}\n");
    free(s);
    s = dk_rpc_error(id, DK_RPC_NOT_FOUND, NULL, NULL, &len);
    assert_non_null(strstr(s, "\"message\":\"not found\""));
    free(s);
    s = dk_rpc_notification_raw("event", "{\"seq\":1}", &len);
    assert_string_equal(s, "{\"jsonrpc\":\"2.0\",\"method\":\"event\","
                           "\"params\":{\"seq\":1}}\n");
    free(s);
    json_decref(id);
    json_decref(data);
}

/* Found by fuzz_rpc: jansson's message quoted the bad bytes, the error
 * text was not UTF-8, and no reply at all could be built for it. */
static void test_dk_rpc__bad_bytes_still_get_an_error_reply(void **state)
{
    static const char line[] = "{\"ie\\\xde\xbc\x01\0\0\0null}";
    struct dk_rpc_req req;
    char msg[256];
    size_t len;
    char *reply;
    int code = dk_rpc_parse(&req, line, sizeof(line) - 1, msg, sizeof(msg));

    assert_int_equal(code, DK_RPC_PARSE_ERROR);
    reply = dk_rpc_error(req.id, code, msg, NULL, &len);
    assert_non_null(reply);
    assert_int_equal(reply[len - 1], '\n');
    assert_null(memchr(reply, '\n', len - 1));
    free(reply);
    /* A message that is not UTF-8 falls back to the code's own words. */
    reply = dk_rpc_error(NULL, DK_RPC_BAD_PARAMS, "bad \xff", NULL, &len);
    assert_non_null(reply);
    assert_non_null(strstr(reply, "invalid params"));
    free(reply);
    dk_rpc_req_cleanup(&req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dk_rpc_parse__a_good_request),
        cmocka_unit_test(test_dk_rpc_parse__empty_and_bad_input),
        cmocka_unit_test(test_dk_rpc_parse__notification_has_no_id),
        cmocka_unit_test(test_dk_rpc__replies_are_one_line),
        cmocka_unit_test(test_dk_rpc__bad_bytes_still_get_an_error_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
