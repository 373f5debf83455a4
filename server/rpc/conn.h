/*
 * conn.h - one JSON-RPC client connection (Unix socket or TCP): framing
 * into lines, one request at a time so replies leave in order, pushes,
 * and the output cap for clients that stop reading.
 */
#ifndef CONN_H
#define CONN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "auth.h"
#include "dk_buf.h"
#include "dk_rpc.h"
#include "hub.h"

struct rpc_server;

/* At most this many tickets per connection hold a presence marker; a set
 * on one more lets the oldest go (a person looks at one ticket at a time,
 * a few terminals at most). */
#define CONN_PRESENCE_MAX 8

/* One ticket's marker as this connection set it. */
struct conn_marker {
    long long ticket;         /* 0: the slot is free */
    int state;                /* enum presence_state: what the client asked */
    int sent;                 /* enum presence_state: what was last published */
    uint64_t sent_ms;         /* when */
    unsigned long long set_n; /* c->pres.sets at its last presence.set */
    bool dirty;               /* state waits for the rate limit (the sweep) */
};

struct conn_presence {
    struct conn_marker m[CONN_PRESENCE_MAX];
    double tokens;           /* publishes allowed now (token bucket) */
    uint64_t filled_ms;      /* tokens last topped up */
    bool dirty;              /* some marker waits */
    long long pending;       /* the ticket of the presence.set in flight */
    unsigned long long sets; /* presence.sets: which marker is oldest (the
                              * loop's clock is too coarse for that) */
    char user[40];           /* who published: the clears outlive the session */
};

enum conn_state {
    CONN_READING, /* waiting for, or parsing, the next request */
    CONN_BUSY,    /* a request is in flight; later lines wait */
    CONN_CLOSING, /* uv_close() called; freed in conn_closed_cb() */
};

struct conn {
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
        uv_stream_t stream;
        uv_handle_t handle;
    } h;                   /* first member: the handle's memory is the conn's */
    struct rpc_server *rs; /* borrowed */
    int refs;              /* the handle's, plus one per query in flight */
    enum conn_state state;
    bool is_unix;
    bool processing; /* inside conn_process(): replies must not recurse */
    bool eof;        /* the client half-closed: answer, then close */
    bool late;       /* past server.login_deadline with a request in flight */
    bool quiet;      /* closed unlogged (a refusal: logged once a second) */
    bool shutting;   /* uv_shutdown() under way */
    uint64_t id;
    char peer[64];
    uid_t peer_uid; /* Unix sockets: SO_PEERCRED */
    bool has_uid;

    struct dk_buf in; /* unparsed input, released when empty */

    struct dk_rpc_req req;   /* the request in flight */
    uint64_t req_started_ns; /* uv_hrtime() when its line was parsed */

    uint64_t connected_ms;     /* server.login_deadline runs from here:
                                * connected, or its session last ended */
    struct principal who;      /* the session, once logged in (auth/) */
    struct hub_sub sub;        /* the change feed, once subscribed */
    struct conn_presence pres; /* presence.set's markers (rpc/presence.c) */

    struct conn *prev, *next; /* rs->conns */
};

/* A new connection of rs; the caller uv_accept()s into c->h.stream, then
 * calls conn_start().  Returns NULL (logged) when the handle fails. */
struct conn *conn_new(struct rpc_server *rs, bool is_unix);
void conn_start(struct conn *c);

void conn_ref(struct conn *c);
void conn_unref(struct conn *c);

/* Log why, once, and close.  Safe to call more than once. */
void conn_close(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Answer the request in flight (steals result / data) and go on to the
 * next line.  Does nothing if the connection is closing. */
void conn_reply(struct conn *c, json_t *result);
void conn_reply_error(struct conn *c, int code, const char *message,
                      json_t *data);
/* Same, with the result already serialised as JSON text. */
void conn_reply_raw(struct conn *c, const char *result_json);

/* Send a whole line (newline included; stolen, malloc'ed) to the client:
 * written at once when nothing waits before it, the rest queued; closes
 * the connection past server.max_output_bytes. */
void conn_send(struct conn *c, char *line, size_t len);
/* The same for a line the caller keeps (an event pushed to many): only
 * what the socket does not take at once is copied. */
void conn_send_copy(struct conn *c, const char *line, size_t len);

/* The connection a principal or a subscription belongs to. */
#define conn_of(ptr, member)                                                   \
    ((struct conn *)(void *)((char *)(ptr)-offsetof(struct conn, member)))

/* "conn=ID peer=P user=U" context for logs, into buf. */
const char *conn_tag(const struct conn *c, char *buf, size_t size);
#define conn_log(c, level, fmt, ...)                                           \
    do {                                                                       \
        char conn_log_tag_[160];                                               \
        dk_log(level, "%s: " fmt,                                              \
               conn_tag((c), conn_log_tag_, sizeof(conn_log_tag_)),            \
               ##__VA_ARGS__);                                                 \
    } while (0)

#endif
