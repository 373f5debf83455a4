/*
 * dk_rpc.c - JSON-RPC 2.0 request parsing and reply building.  Errors
 * here are the protocol's (-32700, -32600, -32602); what a method's
 * parameters mean is the server's business.
 */
#include "dk_rpc.h"
#include "dk_mem.h"

#include <stdio.h>
#include <string.h>

static const struct {
    int code;
    const char *message;
} code_messages[] = {
    {DK_RPC_PARSE_ERROR, "parse error"},
    {DK_RPC_INVALID_REQUEST, "invalid request"},
    {DK_RPC_NO_METHOD, "no such method"},
    {DK_RPC_BAD_PARAMS, "invalid params"},
    {DK_RPC_INTERNAL, "internal error"},
    {DK_RPC_NOT_LOGGED_IN, "not logged in"},
    {DK_RPC_FORBIDDEN, "forbidden"},
    {DK_RPC_NOT_FOUND, "not found"},
    {DK_RPC_CONFLICT, "conflict"},
    {DK_RPC_EXPIRED, "session expired"},
    {DK_RPC_NOT_ALLOWED, "not allowed in this stage"},
    {DK_RPC_TOO_MANY, "too many attempts"},
    {DK_RPC_UNAVAILABLE, "database unavailable, try again"},
};

#define NCODES (sizeof(code_messages) / sizeof(code_messages[0]))

size_t dk_rpc_code_count(void)
{
    return NCODES;
}

int dk_rpc_code_at(size_t i)
{
    return i < NCODES ? code_messages[i].code : 0;
}

int dk_rpc_code_index(int code)
{
    for (size_t i = 0; i < NCODES; i++)
        if (code_messages[i].code == code)
            return (int)i;
    return -1;
}

const char *dk_rpc_code_message(int code)
{
    int i = dk_rpc_code_index(code);

    return i < 0 ? "error" : code_messages[i].message;
}

void dk_rpc_req_cleanup(struct dk_rpc_req *req)
{
    if (req->root)
        json_decref(req->root);
    memset(req, 0, sizeof(*req));
}

int dk_rpc_parse(struct dk_rpc_req *req, const char *line, size_t len,
                 char *msg, size_t msgsize)
{
    json_error_t jerr;
    json_t *v;

    memset(req, 0, sizeof(*req));
    /* Duplicate keys make "which params did you mean" ambiguous; any value
     * parses, so that a non-object is "invalid request", not "parse error";
     * NUL in strings parses, so that the parameter check can name it. */
    req->root = json_loadb(
        line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL,
        &jerr);
    if (!req->root) {
        snprintf(msg, msgsize, "parse error at byte %d: %s", jerr.position,
                 jerr.text);
        /* jansson quotes the input near the error: it may be anything,
         * and the message must be text that a reply can carry. */
        for (char *p = msg; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                *p = '?';
        return DK_RPC_PARSE_ERROR;
    }
    if (!json_is_object(req->root)) {
        snprintf(msg, msgsize, "a request must be a JSON object");
        return DK_RPC_INVALID_REQUEST;
    }
    v = json_object_get(req->root, "id");
    if (v) {
        if (!json_is_string(v) && !json_is_integer(v) && !json_is_null(v)) {
            snprintf(msg, msgsize,
                     "\"id\" must be a string, an integer or "
                     "null");
            return DK_RPC_INVALID_REQUEST;
        }
        req->id = v;
    }
    v = json_object_get(req->root, "jsonrpc");
    if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0) {
        snprintf(msg, msgsize, "\"jsonrpc\" must be \"2.0\"");
        return DK_RPC_INVALID_REQUEST;
    }
    v = json_object_get(req->root, "method");
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(msg, msgsize, "\"method\" must be a non-empty string");
        return DK_RPC_INVALID_REQUEST;
    }
    req->method = json_string_value(v);
    v = json_object_get(req->root, "params");
    if (v && !json_is_null(v)) {
        if (json_is_array(v)) {
            req->method = NULL;
            snprintf(msg, msgsize,
                     "params must be an object of named "
                     "parameters");
            return DK_RPC_BAD_PARAMS;
        }
        if (!json_is_object(v)) {
            req->method = NULL;
            snprintf(msg, msgsize, "\"params\" must be an object");
            return DK_RPC_INVALID_REQUEST;
        }
        req->params = v;
    }
    return 0;
}

/* Serialise obj with a trailing newline; steals obj. */
static char *dump_line(json_t *obj, size_t *len)
{
    size_t n = json_dumpb(obj, NULL, 0, JSON_COMPACT);
    char *buf;

    if (n == 0) {
        json_decref(obj);
        return NULL;
    }
    buf = dk_xmalloc(n + 2);
    json_dumpb(obj, buf, n, JSON_COMPACT);
    buf[n] = '\n';
    buf[n + 1] = '\0'; /* a C string too, for callers that want one */
    *len = n + 1;
    json_decref(obj);
    return buf;
}

char *dk_rpc_result(json_t *id, json_t *result, size_t *len)
{
    json_t *obj = json_pack("{s:s, s:O, s:O}", "jsonrpc", "2.0", "id",
                            id ? id : json_null(), "result",
                            result ? result : json_null());

    return obj ? dump_line(obj, len) : NULL;
}

char *dk_rpc_error(json_t *id, int code, const char *message, json_t *data,
                   size_t *len)
{
    json_t *err = json_pack("{s:i, s:s}", "code", code, "message",
                            message ? message : dk_rpc_code_message(code));
    json_t *obj;

    /* A message that is not UTF-8 cannot be sent: every error is still
     * answered, in the code's own words. */
    if (!err)
        err = json_pack("{s:i, s:s}", "code", code, "message",
                        dk_rpc_code_message(code));
    if (!err)
        return NULL;
    if (data)
        json_object_set(err, "data", data);
    obj = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id",
                    id ? id : json_null(), "error", err);
    return obj ? dump_line(obj, len) : NULL;
}

char *dk_rpc_notification(const char *method, json_t *params, size_t *len)
{
    json_t *obj = json_pack("{s:s, s:s, s:O}", "jsonrpc", "2.0", "method",
                            method, "params", params);

    return obj ? dump_line(obj, len) : NULL;
}

char *dk_rpc_notification_raw(const char *method, const char *params_json,
                              size_t *len)
{
    char *s =
        dk_xasprintf("{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":%s}\n",
                     method, params_json);

    *len = strlen(s);
    return s;
}
