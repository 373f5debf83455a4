/*
 * dk_rpc.h - JSON-RPC 2.0 framing shared by docketd, docket and bench/:
 * parsing one request line, building replies, errors and notifications,
 * and the protocol's error codes (SPEC section 6).  Pure: jansson only.
 */
#ifndef DK_RPC_H
#define DK_RPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum dk_rpc_code {
    DK_RPC_PARSE_ERROR = -32700,
    DK_RPC_INVALID_REQUEST = -32600,
    DK_RPC_NO_METHOD = -32601,
    DK_RPC_BAD_PARAMS = -32602,
    DK_RPC_INTERNAL = -32603,
    DK_RPC_NOT_LOGGED_IN = 4001,
    DK_RPC_FORBIDDEN = 4003,
    DK_RPC_NOT_FOUND = 4004,
    DK_RPC_CONFLICT = 4009,
    DK_RPC_EXPIRED = 4010,
    DK_RPC_NOT_ALLOWED = 4022,
    DK_RPC_TOO_MANY = 4029,
    DK_RPC_UNAVAILABLE = 5003,
};

/* A parsed request.  Members are borrowed from root. */
struct dk_rpc_req {
    json_t *root;       /* owned: json_decref() via dk_rpc_req_cleanup() */
    json_t *id;         /* NULL for a notification; json null is an id */
    const char *method; /* NULL when the request is invalid */
    json_t *params;     /* an object, or NULL when absent */
};

/*
 * Parse one line (without its newline).  Returns 0 with req filled, or a
 * dk_rpc_code with msg (size msgsize) saying what is wrong; req->id is
 * still set when the line was an object with a usable id, so the error
 * can be answered to it.  Params given as an array are refused: every
 * Docket method takes named parameters.
 */
int dk_rpc_parse(struct dk_rpc_req *req, const char *line, size_t len,
                 char *msg, size_t msgsize);
void dk_rpc_req_cleanup(struct dk_rpc_req *req);

/*
 * Serialise a reply line, newline included, into a malloc'ed buffer (the
 * caller frees it).  id may be NULL (answered as null).  The result, data
 * and id references are borrowed.
 */
char *dk_rpc_result(json_t *id, json_t *result, size_t *len);
char *dk_rpc_error(json_t *id, int code, const char *message, json_t *data,
                   size_t *len);
/* A server push: {"jsonrpc":"2.0","method":M,"params":P}. */
char *dk_rpc_notification(const char *method, json_t *params, size_t *len);
/* Same, with params already serialised (trusted JSON text). */
char *dk_rpc_notification_raw(const char *method, const char *params_json,
                              size_t *len);

/* The standard message of a code, for when a caller has nothing better. */
const char *dk_rpc_code_message(int code);
/* Every code of enum dk_rpc_code, for tables indexed by code (metrics):
 * how many, the one at i, and the index of code (-1 if it is none). */
size_t dk_rpc_code_count(void);
int dk_rpc_code_at(size_t i);
int dk_rpc_code_index(int code);

#endif
