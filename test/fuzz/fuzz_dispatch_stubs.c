/*
 * fuzz_dispatch_stubs.c - stand-ins for what server/rpc*.c and feed.c call
 * outside themselves, so that fuzz_dispatch runs the real dispatch and
 * handlers with no socket and no PostgreSQL.
 *
 * Replies are checked instead of written.  The database is a script: each
 * query is first checked for what PostgreSQL would refuse (no SQL, a $n
 * with no parameter or a parameter no $n uses, text that is not UTF-8),
 * then fails at once (DK_EUNAVAIL, as db_submit() does when the pool is
 * down) or is answered with NULL (connection lost) after the handler has
 * returned, from the harness's loop, as the real pool would.  Nothing here
 * may hide a bug: where the real function relies on something, the
 * stand-in checks it and abort()s.
 */
#include "conn.h"
#include "db.h"
#include "db_query.h"
#include "dk_err.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_text.h"
#include "fuzz_dispatch_stubs.h"
#include "outbox.h"
#include "srv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 32
/* rpc_tickets.c makes 24 view texts and one per ticket write (36 now);
 * more means some SQL text depends on the request, and each connection
 * would prepare statements without bound. */
#define MAX_PREPARED 64

bool fuzz_verbose;
uint64_t fuzz_now_ms = 1000000000;

/* The request in flight. */
static struct {
    json_t *id;   /* owned: a copy of c->req.id, which the reply frees */
    char *method; /* owned: a copy, for messages */
    int replies;
} req;

static __attribute__((format(printf, 1, 2), noreturn)) void
fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr,
            "fuzz_dispatch: %s: ", req.method ? req.method : "(no request)");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* ---- replies (conn.c) ------------------------------------------------- */

static bool known_code(json_int_t code)
{
    return code >= INT32_MIN && code <= INT32_MAX &&
           dk_rpc_code_index((int)code) >= 0;
}

void fuzz_check_reply_line(const char *line, size_t len, const json_t *id)
{
    json_t *root, *v, *err;
    json_error_t jerr;

    /* dk_rpc_result() and dk_rpc_error() return NULL when they cannot
     * build the line; conn_send() then sends nothing and the client
     * waits for ever. */
    if (!line)
        fail("no reply line could be built");
    if (fuzz_verbose)
        fprintf(stderr, "< %.*s", (int)len, line);
    if (len < 2 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
        fail("reply is not one line: %.*s", (int)len, line);
    root = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root))
        fail("reply is not a JSON object (%s): %.*s", jerr.text, (int)len,
             line);
    v = json_object_get(root, "jsonrpc");
    if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0)
        fail("reply lacks \"jsonrpc\":\"2.0\": %s", line);
    v = json_object_get(root, "id");
    if (!v || !json_equal(v, id ? (json_t *)id : json_null()))
        fail("reply has another id than the request's: %s", line);
    if (json_object_size(root) != 3)
        fail("reply has other members than jsonrpc, id and one of result "
             "or error: %s",
             line);
    err = json_object_get(root, "error");
    if (err) {
        v = json_object_get(err, "code");
        if (!json_is_integer(v) || !known_code(json_integer_value(v)))
            fail("error without one of the protocol's codes: %s", line);
        v = json_object_get(err, "message");
        if (!json_is_string(v) || json_string_length(v) == 0)
            fail("error without a message: %s", line);
        if (json_object_size(err) != 2 + !!json_object_get(err, "data"))
            fail("error has other members than code, message, data: %s", line);
    } else if (!json_object_get(root, "result")) {
        fail("reply has neither result nor error: %s", line);
    }
    json_decref(root);
}

/* conn.c's: JSON-RPC notifications (no "id") get no answer. */
static bool wants_reply(const struct conn *c)
{
    return c->req.id != NULL || c->req.root == NULL;
}

static void reply_begin(struct conn *c)
{
    if (c->state != CONN_BUSY)
        fail("a reply with no request in flight (a second reply?)");
    req.replies++;
}

/* conn.c's request_done(), less the framing: the request is over, and
 * freed, so that a handler still using its params after answering is a
 * use after free here as it is in docketd. */
static void reply_end(struct conn *c)
{
    dk_rpc_req_cleanup(&c->req);
    c->state = CONN_READING;
}

void fuzz_request_begin(struct conn *c)
{
    req.id = c->req.id ? json_deep_copy(c->req.id) : NULL;
    req.method = dk_xstrdup(c->req.method);
    req.replies = 0;
}

void conn_reply(struct conn *c, json_t *result)
{
    size_t len = 0;
    char *line;

    reply_begin(c);
    if (wants_reply(c)) {
        line = dk_rpc_result(c->req.id, result, &len);
        fuzz_check_reply_line(line, len, req.id);
        free(line);
    }
    json_decref(result);
    reply_end(c);
}

void conn_reply_raw(struct conn *c, const char *result_json)
{
    json_t *id = c->req.id ? c->req.id : json_null();
    char *idtext, *line;

    reply_begin(c);
    if (wants_reply(c)) {
        idtext = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
        line = dk_xasprintf("{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}\n",
                            idtext ? idtext : "null", result_json);
        free(idtext);
        fuzz_check_reply_line(line, strlen(line), req.id);
        free(line);
    }
    reply_end(c);
}

void conn_reply_error(struct conn *c, int code, const char *message,
                      json_t *data)
{
    size_t len = 0;
    char *line;

    reply_begin(c);
    if (wants_reply(c)) {
        line = dk_rpc_error(c->req.id, code, message, data, &len);
        fuzz_check_reply_line(line, len, req.id);
        free(line);
    }
    if (data)
        json_decref(data);
    if (code == DK_RPC_INTERNAL)
        conn_log(c, DK_LOG_ERROR, "internal error: %s", message ? message : "");
    reply_end(c);
}

/* Pushes (feed.c's events), not replies: a notification line each. */
void conn_send(struct conn *c, char *line, size_t len)
{
    json_t *root;

    if (!line)
        return;
    if (len < 2 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
        fail("push is not one line");
    root = json_loadb(line, len - 1, 0, NULL);
    if (!json_is_object(root) || json_object_get(root, "id") ||
        !json_is_string(json_object_get(root, "method")))
        fail("push is not a JSON-RPC notification: %s", line);
    json_decref(root);
    free(line);
}

/* The harness holds the handle's reference, so the count never reaches
 * 0 here; it doing so means a reference was dropped twice. */
void conn_ref(struct conn *c)
{
    c->refs++;
}

void conn_unref(struct conn *c)
{
    if (c->refs <= 1)
        fail("conn_unref() would free the connection under its handle");
    c->refs--;
}

const char *conn_tag(const struct conn *c, char *buf, size_t size)
{
    snprintf(buf, size, "conn=%llu peer=%s%s%s", (unsigned long long)c->id,
             c->peer, c->staff_id ? " user=" : "",
             c->staff_id ? c->username : "");
    return buf;
}

/* ---- the server (main.c) and the outbox ------------------------------- */

uint64_t srv_now_ms(const struct srv *srv)
{
    return fuzz_now_ms;
}

void outbox_nudge(struct outbox *o)
{
}

/* ---- the database (db.c) ---------------------------------------------- */

struct db {
    int size; /* only to tell pools apart when debugging */
};

static unsigned char script;
static unsigned nsubmits;
static struct db_query *pending_head, *pending_tail; /* lost: answer NULL */
static char *prepared[MAX_PREPARED];                 /* owned: texts seen */

void fuzz_db_script(unsigned char bits)
{
    script = bits;
    nsubmits = 0;
}

static void remember_prepared(const char *sql)
{
    int i;

    for (i = 0; i < MAX_PREPARED && prepared[i]; i++)
        if (strcmp(prepared[i], sql) == 0)
            return;
    if (i == MAX_PREPARED)
        fail("more than %d prepared statement texts: SQL depends on input",
             MAX_PREPARED);
    prepared[i] = dk_xstrdup(sql);
}

/* What PostgreSQL would refuse before running anything: PQsendQueryParams
 * with a $n beyond nparams, a parameter whose type it cannot infer because
 * nothing uses it, or text that is not UTF-8 (22021).  A parameter is a C
 * string, so a NUL cannot arrive here as such, only as a value cut short:
 * that is rpc_param_str()'s check to make (a seed has "\u0000"). */
static void check_query(const struct db_query *q)
{
    bool used[MAX_PARAMS] = {false};
    const char *p;
    char *end;

    if (!*q->sql)
        fail("empty SQL");
    if (q->nparams < 0 || q->nparams > MAX_PARAMS)
        fail("a query with %d parameters", q->nparams);
    for (p = q->sql; (p = strchr(p, '$'));) {
        long n;
        p++;
        if (*p < '0' || *p > '9')
            continue;
        n = strtol(p, &end, 10);
        if (n < 1 || n > q->nparams)
            fail("$%ld in a query with %d parameters: %s", n, q->nparams,
                 q->sql);
        used[n - 1] = true;
        p = end;
    }
    for (int i = 0; i < q->nparams; i++) {
        if (!used[i])
            fail("parameter $%d is never used: %s", i + 1, q->sql);
        if (q->params[i] && !dk_utf8_valid(q->params[i], strlen(q->params[i])))
            fail("parameter $%d is not UTF-8: %s", i + 1, q->sql);
    }
    if (q->prepared)
        remember_prepared(q->sql);
}

int db_submit(struct db *db, struct db_query *q, db_query_cb cb, void *arg)
{
    bool lost = (script >> (nsubmits++ % 8)) & 1;

    if (!db || !q || !cb)
        fail("db_submit() without a pool, a query or a callback");
    check_query(q);
    if (!lost) {
        db_query_free(q);
        return DK_EUNAVAIL;
    }
    q->cb = cb;
    q->arg = arg;
    q->next = NULL;
    if (pending_tail)
        pending_tail->next = q;
    else
        pending_head = q;
    pending_tail = q;
    return 0;
}

/* feed.c's pool: it never comes up, so the feed never learns its head and
 * events.subscribe answers 5003 once its parameter has been checked. */
struct db *db_new(uv_loop_t *loop, const char *conninfo, int size)
{
    struct db *db = dk_xcalloc(1, sizeof(*db));

    db->size = size;
    return db;
}

void db_set_state_cb(struct db *db, void (*cb)(bool up, void *arg), void *arg)
{
}

void db_set_notify_cb(struct db *db,
                      void (*cb)(const char *channel, const char *payload,
                                 void *arg),
                      void *arg)
{
}

void db_close(struct db *db, void (*done_cb)(void *arg), void *arg)
{
    done_cb(arg);
}

void db_free(struct db *db)
{
    free(db);
}

/* ---- one request ------------------------------------------------------ */

void fuzz_request_end(struct conn *c, uv_loop_t *loop)
{
    /* Lost queries are answered in order; their callbacks may submit
     * more, or queue thread-pool work (session.peer's passwd lookup),
     * whose callbacks may submit more again. */
    do {
        while (pending_head) {
            struct db_query *q = pending_head;
            pending_head = q->next;
            if (!pending_head)
                pending_tail = NULL;
            q->cb(q, NULL, q->arg);
            db_query_free(q);
        }
        uv_run(loop, UV_RUN_DEFAULT);
    } while (pending_head);
    if (req.replies != 1)
        fail("%d replies", req.replies);
    if (c->refs != 1)
        fail("%d references left on the connection, not 1", c->refs);
    if (c->state != CONN_READING || c->req.root)
        fail("the connection is not ready for the next request");
    json_decref(req.id);
    req.id = NULL;
    free(req.method);
    req.method = NULL;
}
