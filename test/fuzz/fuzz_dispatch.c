/*
 * fuzz_dispatch.c - libFuzzer harness for request validation and method
 * dispatch, stopped before the database.  Lines go through dk_rpc_parse()
 * and then the real rpc_dispatch() and handlers (server/rpc*.c, and
 * feed.c for events.subscribe); fuzz_dispatch_stubs.c stands in for the
 * socket and the pool.  Every request must get exactly one reply, a
 * JSON-RPC 2.0 line with the request's id, and give back every reference
 * it took on its connection.
 *
 * Input: two header bytes, then request lines, as a client sends them (a
 * last line without its newline counts too, so seeds stay readable):
 *
 *   byte 0  bits 0-3  ROLE_* bits (content, graphics, coordinator, admin)
 *           bit 4     logged in (else bits 0-3 and 5-6 do nothing)
 *           bit 5     idle longer than session.idle_timeout
 *           bit 6     the session's last_seen_at is due for its write
 *           bit 7     on the Unix socket with a peer uid (session.peer)
 *   byte 1  bit i     the (i mod 8)th query of the input fails at once
 *                     (0: the pool is down) or is answered with no
 *                     result (1: the connection was lost)
 *
 * The stubbed database never returns rows, so session.login stops at its
 * staff lookup and no request hashes a password (only the first login
 * makes rpc_session.c's dummy hash, once per process).
 */
#include "conn.h"
#include "db.h"
#include "dk_config.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_rpc.h"
#include "feed.h"
#include "fuzz_dispatch_stubs.h"
#include "rpc.h"
#include "srv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STAFF_ID   7
#define SESSION_ID 11

static struct srv srv;
static uv_loop_t feed_loop;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    FILE *devnull;

    /* Format every log line, as docketd at debug level would (a bad
     * format argument is a bug too), but keep them off the terminal
     * unless FUZZ_DISPATCH_LOG is set (then requests and replies too). */
    dk_log_init("fuzz_dispatch", DK_LOG_DEBUG);
    fuzz_verbose = getenv("FUZZ_DISPATCH_LOG") != NULL;
    if (!fuzz_verbose) {
        devnull = fopen("/dev/null", "w");
        if (!devnull)
            abort();
        dk_log_set_stream(devnull);
    }
    dk_config_defaults(&srv.cfg);
    snprintf(srv.instance, sizeof(srv.instance), "fuzz:%d", (int)getpid());
    /* The feed's timers go on a loop that never runs, so that no input's
     * outcome depends on how long the earlier ones took; requests use the
     * default loop, run after each one for the thread pool's work. */
    if (uv_loop_init(&feed_loop) != 0)
        abort();
    srv.loop = &feed_loop;
    srv.db =
        db_new(srv.loop, srv.cfg.database.conninfo, srv.cfg.database.pool_size);
    srv.feed = feed_new(&srv);
    srv.loop = uv_default_loop();
    return 0;
}

/* A connection as conn_new() and conn_start() leave it, then logged in
 * the way rpc_session.c's logged_in() would have, per byte 0. */
static void session_init(struct conn *c, uint8_t state)
{
    uint64_t now = fuzz_now_ms;

    memset(c, 0, sizeof(*c));
    c->srv = &srv;
    c->refs = 1;
    c->state = CONN_READING;
    c->id = 1;
    if (state & 0x80) {
        c->is_unix = true;
        c->has_uid = true;
        c->peer_uid = getuid();
        snprintf(c->peer, sizeof(c->peer), "unix:uid=%u",
                 (unsigned)c->peer_uid);
    } else {
        snprintf(c->peer, sizeof(c->peer), "192.0.2.7:40000");
    }
    c->last_request_ms = now - 1000;
    c->last_touch_ms = now;
    if (state & 0x10) {
        c->staff_id = STAFF_ID;
        c->session_id = SESSION_ID;
        snprintf(c->username, sizeof(c->username), "fuzz");
        c->roles = state & (ROLE_CONTENT | ROLE_GRAPHICS | ROLE_COORDINATOR |
                            ROLE_ADMIN);
        if (state & 0x20)
            c->last_request_ms =
                now - (uint64_t)srv.cfg.session.idle_timeout * 1000 - 1;
        if (state & 0x40)
            c->last_touch_ms = now - 60000;
    }
}

/* conn.c's handle_line(), with the reply checked instead of sent. */
static void handle_line(struct conn *c, const char *bytes, size_t len)
{
    char msg[256], *line, *reply;
    size_t n = 0;
    int code;

    if (len > 0 && bytes[len - 1] == '\r')
        len--;
    if (len == 0)
        return;
    /* A copy of its own, as conn.c makes, so that ASan sees any read past
     * the line. */
    line = dk_xstrndup(bytes, len);
    if (fuzz_verbose)
        fprintf(stderr, "> %.*s\n", (int)len, line);
    msg[0] = '\0';
    code = dk_rpc_parse(&c->req, line, len, msg, sizeof(msg));
    c->state = CONN_BUSY;
    if (code != 0) {
        if (!msg[0])
            abort();
        reply = dk_rpc_error(c->req.id, code, msg, NULL, &n);
        fuzz_check_reply_line(reply, n, c->req.id);
        free(reply);
        dk_rpc_req_cleanup(&c->req);
        c->state = CONN_READING;
    } else {
        fuzz_request_begin(c);
        rpc_dispatch(c);
        fuzz_request_end(c, srv.loop);
    }
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conn c;
    const char *p, *end;

    if (size < 2)
        return 0;
    session_init(&c, data[0]);
    fuzz_db_script(data[1]);
    p = (const char *)data + 2;
    end = (const char *)data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        /* docketd answers an oversized line once and closes. */
        if (len > srv.cfg.server.max_line_bytes)
            break;
        handle_line(&c, p, len);
        p += len + 1;
    }
    /* rpc_session.c's failed-login limiter (allocated on first use with
     * dk_xcalloc) is dropped, so that no input depends on an earlier one. */
    free(srv.logins);
    srv.logins = NULL;
    return 0;
}
