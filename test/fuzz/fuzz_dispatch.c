/*
 * fuzz_dispatch.c - libFuzzer harness for docketd's JSON-RPC service,
 * from the socket down to the database: each input's lines are written to
 * a real connection (server/rpc/conn.c over a socketpair, on the real
 * libuv loop), dispatched by the real method table to the real handlers,
 * auth/ and core/ (feed, hub, outcomes, metrics); only the database pool
 * is a stand-in (fuzz_dispatch_db.c).  Every request must get exactly one
 * reply, in order, a JSON-RPC 2.0 line with the request's id; the
 * connection must close once the input ends and free all it took
 * (LeakSanitizer checks that).
 *
 * Input: two header bytes, then request lines, as a client sends them (a
 * last line without its newline counts too, so seeds stay readable):
 *
 *   byte 0  bits 0-3  DK_ROLE_* bits (content, graphics, coordinator, admin)
 *           bit 4     logged in (else bits 0-3 and 5-6 do nothing)
 *           bit 5     idle longer than session.idle_timeout
 *           bit 6     the session's last_seen_at is due for its write
 *           bit 7     on the Unix socket with a peer uid (session.peer)
 *   byte 1  bit i     the (i mod 8)th query of the input fails at once
 *                     (0: the pool is down) or is answered with no
 *                     result (1: the connection was lost)
 *
 * The stand-in database never returns rows, so session.login stops at its
 * staff lookup and no request hashes a password (auth_new() makes the
 * dummy hash once, at start).
 */
#include "auth.h"
#include "conn.h"
#include "core.h"
#include "db.h"
#include "dk_buf.h"
#include "dk_config.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_rpc.h"
#include "feed.h"
#include "fuzz_dispatch_db.h"
#include "hub.h"
#include "metrics.h"
#include "presence.h"
#include "rpc.h"
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STAFF_ID   7
#define SESSION_ID 11
#define MAX_TURNS  10000000 /* loop turns before an input counts as a hang */

static struct dk_config cfg;
static struct core core;
static uv_loop_t feed_loop;
static struct auth *auth;
static struct rpc_server *rs;
static bool verbose;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    FILE *devnull;

    /* Format every log line, as docketd at debug level would (a bad
     * format argument is a bug too), but keep them off the terminal
     * unless FUZZ_DISPATCH_LOG is set (then requests and replies too). */
    dk_log_init("fuzz_dispatch", DK_LOG_DEBUG);
    verbose = getenv("FUZZ_DISPATCH_LOG") != NULL;
    if (!verbose) {
        devnull = fopen("/dev/null", "w");
        if (!devnull)
            abort();
        dk_log_set_stream(devnull);
    }
    if (dk_secret_init() != 0)
        abort();
    dk_config_defaults(&cfg);
    core.cfg = &cfg;
    core.conninfo = cfg.database.conninfo;
    snprintf(core.instance, sizeof(core.instance), "fuzz:%d", (int)getpid());
    core.metrics =
        metrics_new(rpc_method_count(), rpc_method_at, rpc_method_index);
    core.db = db_new(NULL, cfg.database.conninfo, cfg.database.pool_size);
    core.hub = hub_new();
    /* The feed's timers go on a loop that never runs, so that no input's
     * outcome depends on how long the earlier ones took. */
    if (uv_loop_init(&feed_loop) != 0)
        abort();
    core.loop = &feed_loop;
    core.feed = feed_new(&core);
    core.presence = presence_new(&core);
    core.loop = uv_default_loop();
    auth = auth_new(&core);
    rs = rpc_server_new(&core, auth);
    return 0;
}

/* The session of byte 0, as auth_adopt() leaves a logged-in one. */
static void session_init(struct conn *c, uint8_t state)
{
    uint64_t now = core_now_ms(&core);

    if (!(state & 0x80)) {
        c->is_unix = false;
        c->has_uid = false;
        snprintf(c->peer, sizeof(c->peer), "192.0.2.7:40000");
    }
    if (state & 0x10) {
        struct auth_result r = {.outcome = DK_OUT_OK,
                                .token = "token",
                                .staff_json = "{}",
                                .staff_id = STAFF_ID,
                                .session_id = SESSION_ID,
                                .username = "fuzz",
                                .roles = state & 0xf};
        auth_adopt(auth, &c->who, &r);
        c->who.last_request_ms = now - 1000;
        if (state & 0x20)
            c->who.last_request_ms =
                now - (uint64_t)cfg.session.idle_timeout * 1000 - 1;
        if (state & 0x40)
            c->who.last_touch_ms = now - 60000;
    }
}

/* The ids the replies must carry, in order, as docketd reads the lines:
 * JSON null for a line it cannot use the id of, none for a notification.
 * Returns how many, or -1 past the capacity (skip the input). */
static int expected_ids(const char *p, const char *end, json_t **ids, int cap)
{
    int n = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)(nl - p);
        struct dk_rpc_req req;
        char msg[256];
        int code;

        if (len > 0 && p[len - 1] == '\r')
            len--;
        if (n == cap)
            return -1;
        if (len > cfg.server.max_line_bytes) {
            ids[n++] = json_null(); /* answered once, then closed */
            break;
        }
        if (len > 0) {
            code = dk_rpc_parse(&req, p, len, msg, sizeof(msg));
            if (code != 0 || req.id)
                ids[n++] = req.id ? json_incref(req.id) : json_null();
            dk_rpc_req_cleanup(&req);
        }
        p = nl + 1;
    }
    return n;
}

static bool known_code(json_int_t code)
{
    return code >= INT32_MIN && code <= INT32_MAX &&
           dk_rpc_code_index((int)code) >= 0;
}

/* abort() unless line (with its newline) is a JSON-RPC 2.0 reply to id. */
static void check_reply(const char *line, size_t len, const json_t *id)
{
    json_t *root, *v, *err;
    json_error_t jerr;

    if (verbose)
        fprintf(stderr, "< %.*s", (int)len, line);
    root = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root))
        fuzz_fail("reply is not a JSON object (%s): %.*s", jerr.text, (int)len,
                  line);
    v = json_object_get(root, "jsonrpc");
    if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0)
        fuzz_fail("reply lacks \"jsonrpc\":\"2.0\": %.*s", (int)len, line);
    v = json_object_get(root, "id");
    if (!v || !json_equal(v, id))
        fuzz_fail("reply has another id than the request's: %.*s", (int)len,
                  line);
    if (json_object_size(root) != 3)
        fuzz_fail("reply has other members than jsonrpc, id and one of "
                  "result or error: %.*s",
                  (int)len, line);
    err = json_object_get(root, "error");
    if (err) {
        v = json_object_get(err, "code");
        if (!json_is_integer(v) || !known_code(json_integer_value(v)))
            fuzz_fail("error without one of the protocol's codes: %.*s",
                      (int)len, line);
        v = json_object_get(err, "message");
        if (!json_is_string(v) || json_string_length(v) == 0)
            fuzz_fail("error without a message: %.*s", (int)len, line);
        if (json_object_size(err) != 2 + !!json_object_get(err, "data"))
            fuzz_fail("error has other members than code, message, data: "
                      "%.*s",
                      (int)len, line);
    } else if (!json_object_get(root, "result")) {
        fuzz_fail("reply has neither result nor error: %.*s", (int)len, line);
    }
    json_decref(root);
}

/* Everything the connection wrote so far, onto out. */
static void read_output(int fd, struct dk_buf *out)
{
    for (;;) {
        ssize_t n;
        if (!dk_buf_reserve(out, 65536))
            fuzz_fail("more than %zu bytes of replies", out->max);
        n = read(fd, dk_buf_tail(out), dk_buf_room(out));
        if (n > 0) {
            dk_buf_commit(out, (size_t)n);
            continue;
        }
        if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        if (errno != EINTR)
            fuzz_fail("reading replies: %s", strerror(errno));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dk_buf in = DK_BUF_INIT(0), out = DK_BUF_INIT(64 << 20);
    json_t *ids[4096];
    int sv[2], nids, got = 0;
    size_t sent = 0;
    bool shut = false;
    struct conn *c;
    const char *p, *end;

    if (size < 2)
        return 0;
    dk_buf_add(&in, data + 2, size - 2);
    if (in.len && in.data[in.len - 1] != '\n')
        dk_buf_addc(&in, '\n');
    nids = expected_ids(in.data ? in.data : "", in.data ? in.data + in.len : "",
                        ids, 4096);
    if (nids < 0) {
        dk_buf_free(&in);
        return 0;
    }
    if (verbose)
        fprintf(stderr, "> %.*s", (int)in.len, in.data ? in.data : "");
    fuzz_db_script(data[1]);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
        fcntl(sv[1], F_SETFL, O_NONBLOCK) != 0)
        fuzz_fail("socketpair: %s", strerror(errno));
    if (!(c = conn_new(rs, true)) || uv_pipe_open(&c->h.pipe, sv[0]) != 0)
        fuzz_fail("no connection");
    conn_start(c);
    session_init(c, data[0]);

    /* Write the input, answer the database, read the replies, until the
     * connection has closed and nothing is left to run. */
    for (long turn = 0;; turn++) {
        if (turn == MAX_TURNS)
            fuzz_fail("the connection did not close");
        if (sent < in.len) {
            ssize_t n = write(sv[1], in.data + sent, in.len - sent);
            if (n > 0)
                sent += (size_t)n;
        } else if (!shut) {
            shutdown(sv[1], SHUT_WR); /* as a script's "send and wait" */
            shut = true;
        }
        uv_run(core.loop, UV_RUN_NOWAIT);
        fuzz_db_answer();
        read_output(sv[1], &out);
        if (shut && rs->nconns == 0 && !uv_loop_alive(core.loop))
            break;
    }
    read_output(sv[1], &out);
    close(sv[1]);

    p = out.data ? out.data : "";
    end = p + out.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len;
        if (!nl)
            fuzz_fail("a reply without its newline: %.*s", (int)(end - p), p);
        len = (size_t)(nl - p) + 1;
        if (got == nids)
            fuzz_fail("%d requests, more replies: %.*s", nids, (int)len, p);
        check_reply(p, len, ids[got++]);
        p += len;
    }
    if (got != nids)
        fuzz_fail("%d requests that want a reply, %d replies", nids, got);
    for (int i = 0; i < nids; i++)
        json_decref(ids[i]);
    dk_buf_free(&in);
    dk_buf_free(&out);
    return 0;
}
