/*
 * dk_outcome.h - what became of a request, independent of the transport:
 * the JSON-RPC layer turns it into an error code (SPEC section 6), the
 * HTTP layer (and the portal) into a status and a page.  One table says
 * both, so a refused claim is a 4009 to the terminal and a 409 to a
 * browser.
 */
#ifndef DK_OUTCOME_H
#define DK_OUTCOME_H

/* X(ID, JSON-RPC code, HTTP status) */
#define DK_OUTCOMES(X)                                                         \
    X(OK, 0, 200)                                                              \
    X(BAD_INPUT, -32602, 400)                                                  \
    X(NOT_LOGGED_IN, 4001, 401)                                                \
    X(FORBIDDEN, 4003, 403)                                                    \
    X(NOT_FOUND, 4004, 404)                                                    \
    X(CONFLICT, 4009, 409)                                                     \
    X(EXPIRED, 4010, 401)                                                      \
    X(NOT_ALLOWED, 4022, 422)                                                  \
    X(TOO_MANY, 4029, 429)                                                     \
    X(UNAVAILABLE, 5003, 503)                                                  \
    X(INTERNAL, -32603, 500)

enum dk_outcome {
#define DK_OUTCOME_ID_(id, rpc, http) DK_OUT_##id,
    DK_OUTCOMES(DK_OUTCOME_ID_)
#undef DK_OUTCOME_ID_
        DK_NOUTCOMES
};

/* The JSON-RPC error code of o (0 for DK_OUT_OK). */
int dk_outcome_rpc_code(enum dk_outcome o);
/* The HTTP status of o. */
int dk_outcome_http_status(enum dk_outcome o);
/* The outcome of a JSON-RPC code (DK_OUT_INTERNAL for one it is not). */
enum dk_outcome dk_outcome_of_rpc_code(int code);

#endif
