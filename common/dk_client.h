/*
 * dk_client.h - a libuv JSON-RPC client for docketd, shared by docket and
 * bench/: connect over "unix:PATH" or "HOST:PORT", call methods with a
 * callback per reply, receive pushes.  Never blocks.  A lost connection
 * fails every call in flight and reports the state; reconnecting is the
 * caller's decision (dk_client_connect() again).
 */
#ifndef DK_CLIENT_H
#define DK_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

struct dk_client;

enum dk_client_state {
    DK_CLIENT_DOWN,       /* not connected (or lost) */
    DK_CLIENT_CONNECTING, /* connect in progress */
    DK_CLIENT_UP,         /* connected */
};

/*
 * A reply: exactly one of result and error is non-NULL (both borrowed,
 * valid during the call).  A call lost with its connection gets an error
 * with code 0.
 */
typedef void (*dk_client_reply_cb)(struct dk_client *cl, json_t *result,
                                   json_t *error, void *arg);
/* A push (a notification from the server); params borrowed. */
typedef void (*dk_client_push_cb)(struct dk_client *cl, const char *method,
                                  json_t *params, void *arg);
/*
 * A notification's line as it is read, before it is parsed: returning
 * true takes it (it is not parsed and the push callback does not run).
 * For bench/, whose thousand simulated clients share the server's cores:
 * it times a push when it arrives and reads the little it needs without
 * parsing.  line is borrowed and not NUL-terminated: line[len] is its
 * '\n'.  Only lines that begin as docketd begins every notification,
 * {"jsonrpc":"2.0","method":, are offered (a reply begins with its id),
 * so replies never are.  It runs from the read callback: it may
 * disconnect, but must not free the client.
 */
typedef bool (*dk_client_line_cb)(struct dk_client *cl, const char *line,
                                  size_t len, void *arg);
/* The connection changed state; why is set when it went down. */
typedef void (*dk_client_state_cb)(struct dk_client *cl,
                                   enum dk_client_state state, const char *why,
                                   void *arg);

/* server: "unix:/path", "/path" or "host:port", or several of them
 * separated by commas (instances on one database: each reconnect tries
 * the next).  NULL if one cannot be parsed.  Callbacks may be NULL. */
struct dk_client *dk_client_new(uv_loop_t *loop, const char *server,
                                dk_client_push_cb push_cb,
                                dk_client_state_cb state_cb, void *arg);

/* Offer each notification's raw line to cb first (NULL: none). */
void dk_client_set_line_cb(struct dk_client *cl, dk_client_line_cb cb);

/* Start connecting (when down).  The state callback says how it went. */
void dk_client_connect(struct dk_client *cl);

/* Drop the connection (calls in flight fail); the state callback runs. */
void dk_client_disconnect(struct dk_client *cl, const char *why);

/*
 * Send a request; params (may be NULL) is stolen.  Returns 0 and later
 * calls cb once (cb may be NULL to ignore the reply), or -1 when not
 * connected (cb never runs).
 */
int dk_client_call(struct dk_client *cl, const char *method, json_t *params,
                   dk_client_reply_cb cb, void *arg);

enum dk_client_state dk_client_state(const struct dk_client *cl);
/* The server of the list being used, and whether it is a Unix socket. */
bool dk_client_is_unix(const struct dk_client *cl);
const char *dk_client_server(const struct dk_client *cl);

/* Close and free; no callback runs afterwards.  The memory goes when the
 * handle's close callback has run (keep running the loop). */
void dk_client_free(struct dk_client *cl);

#endif
