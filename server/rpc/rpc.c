/*
 * rpc.c - method dispatch.  rpc_methods[] is the one list of methods,
 * sorted by name for bsearch; it says who may call each and which named
 * parameters it takes, so handlers see only known parameters from a
 * logged-in, unexpired session with the right role.  SQLSTATEs become
 * protocol errors through core's outcome table (outcome.h).
 */
#include "rpc.h"
#include "auth.h"
#include "conn.h"
#include "core.h"
#include "db.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_roles.h"
#include "feed.h"
#include "outcome.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RPC_PUBLIC 0x100 /* no session needed */
#define RPC_STAFF  0x200 /* any logged-in staff member */
#define WRITERS    (DK_ROLE_CONTENT | DK_ROLE_COORDINATOR)

struct rpc_method {
    const char *name;
    unsigned who;       /* RPC_PUBLIC, RPC_STAFF, or DK_ROLE_* bits */
    const char *params; /* the parameters it takes, space-separated */
    void (*handler)(struct conn *c, json_t *params);
};

static const struct rpc_method rpc_methods[] = {
    {"attachments.get", RPC_STAFF, "id offset length", rpc_attachments_get},
    {"events.subscribe", RPC_STAFF, "since", rpc_events_subscribe},
    {"messages.send", DK_ROLE_CONTENT, "ticket body attachments",
     rpc_messages_send},
    {"notes.add", RPC_STAFF, "ticket body attachments", rpc_notes_add},
    {"notifications.list", RPC_STAFF, "unread", rpc_notifications_list},
    {"notifications.read", RPC_STAFF, "id", rpc_notifications_read},
    {"pipelines.list", RPC_STAFF, "", rpc_pipelines_list},
    {"presence.set", RPC_STAFF, "ticket state", rpc_presence_set},
    {"server.info", RPC_PUBLIC, "", rpc_server_info},
    {"session.login", RPC_PUBLIC, "username password", rpc_session_login},
    {"session.logout", RPC_STAFF, "", rpc_session_logout},
    {"session.peer", RPC_PUBLIC, "", rpc_session_peer},
    {"session.resume", RPC_PUBLIC, "token", rpc_session_resume},
    {"session.ssh", RPC_PUBLIC, "fingerprint", rpc_session_ssh},
    {"staff.list", RPC_STAFF, "", rpc_staff_list},
    {"tasks.add", RPC_STAFF, "ticket title due_at remind_at", rpc_tasks_add},
    {"tasks.done", RPC_STAFF, "id", rpc_tasks_done},
    {"tasks.mine", RPC_STAFF, "", rpc_tasks_mine},
    {"tickets.assign", DK_ROLE_CONTENT, "id owner version", rpc_tickets_write},
    {"tickets.claim", DK_ROLE_CONTENT, "id version", rpc_tickets_write},
    {"tickets.close", DK_ROLE_CONTENT, "id version", rpc_tickets_write},
    {"tickets.counts", RPC_STAFF, "", rpc_tickets_counts},
    {"tickets.create", WRITERS,
     "subject description contact_email priority source", rpc_tickets_create},
    {"tickets.get", RPC_STAFF, "id", rpc_tickets_get},
    {"tickets.graphics_claim", DK_ROLE_GRAPHICS, "id version",
     rpc_tickets_write},
    {"tickets.graphics_complete", DK_ROLE_GRAPHICS, "id version",
     rpc_tickets_write},
    {"tickets.graphics_unclaim", DK_ROLE_GRAPHICS, "id version",
     rpc_tickets_write},
    {"tickets.hand_to_graphics", DK_ROLE_CONTENT, "id version",
     rpc_tickets_write},
    {"tickets.move", DK_ROLE_CONTENT, "id pipeline stage version",
     rpc_tickets_write},
    {"tickets.reopen", DK_ROLE_CONTENT, "id version", rpc_tickets_write},
    {"tickets.set_priority", DK_ROLE_CONTENT, "id priority version",
     rpc_tickets_write},
    {"tickets.set_stage", DK_ROLE_CONTENT, "id stage version",
     rpc_tickets_write},
    {"tickets.unclaim", DK_ROLE_CONTENT, "id version", rpc_tickets_write},
    {"tickets.view", RPC_STAFF, "view limit after query", rpc_tickets_view},
    {"uploads.append", RPC_STAFF, "upload offset content_base64",
     rpc_uploads_append},
    {"uploads.begin", RPC_STAFF, "filename content_type size sha256",
     rpc_uploads_begin},
};

#define NMETHODS (sizeof(rpc_methods) / sizeof(rpc_methods[0]))

static int method_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct rpc_method *)elem)->name);
}

const char *rpc_method_name(const struct conn *c)
{
    return c->req.method;
}

size_t rpc_method_count(void)
{
    return NMETHODS;
}

const char *rpc_method_at(size_t i)
{
    return i < NMETHODS ? rpc_methods[i].name : NULL;
}

int rpc_method_index(const char *name)
{
    const struct rpc_method *m =
        bsearch(name, rpc_methods, NMETHODS, sizeof(*m), method_cmp);

    return m ? (int)(m - rpc_methods) : -1;
}

/* True if name is one of the space-separated words in list. */
static bool in_list(const char *list, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = list; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len;
        p += strspn(p, " ");
    }
    return false;
}

static const char *role_names(unsigned roles, char *buf, size_t size)
{
    return dk_role_list(roles, " or ", buf, size);
}

void rpc_dispatch(struct conn *c)
{
    const struct rpc_method *m;
    json_t *params = c->req.params;
    const char *key;
    json_t *value;
    char buf[128];

    m = bsearch(c->req.method, rpc_methods, NMETHODS, sizeof(*m), method_cmp);
    if (!m) {
        snprintf(buf, sizeof(buf), "unrecognized method \"%.64s\"",
                 c->req.method);
        conn_reply_error(c, DK_RPC_NO_METHOD, buf, NULL);
        return;
    }
    if (!(m->who & RPC_PUBLIC)) {
        switch (auth_check(c->rs->auth, &c->who)) {
        case DK_OUT_OK:
            break;
        case DK_OUT_EXPIRED:
            conn_log(c, DK_LOG_INFO, "session expired");
            rpc_session_end(c);
            conn_reply_error(c, DK_RPC_EXPIRED,
                             "session expired after inactivity; log in again",
                             NULL);
            return;
        default:
            conn_reply_error(c, DK_RPC_NOT_LOGGED_IN,
                             "log in first (session.login, session.peer or "
                             "session.resume)",
                             NULL);
            return;
        }
        if (!(m->who & RPC_STAFF) &&
            !(c->who.roles & (m->who | DK_ROLE_ADMIN))) {
            char roles[64];
            snprintf(buf, sizeof(buf), "%s needs the %s role", m->name,
                     role_names(m->who, roles, sizeof(roles)));
            conn_reply_error(c, DK_RPC_FORBIDDEN, buf, NULL);
            return;
        }
    }
    json_object_foreach(params, key, value)
    {
        if (!in_list(m->params, key)) {
            snprintf(buf, sizeof(buf), "%s takes no parameter \"%.40s\"",
                     m->name, key);
            conn_reply_error(c, DK_RPC_BAD_PARAMS, buf, NULL);
            return;
        }
    }
    m->handler(c, params);
}

static bool bad_param(struct conn *c, const char *name, const char *what)
{
    char buf[160];

    snprintf(buf, sizeof(buf), "parameter \"%s\" %s", name, what);
    conn_reply_error(c, DK_RPC_BAD_PARAMS, buf, NULL);
    return false;
}

bool rpc_param_id(struct conn *c, json_t *params, const char *name,
                  bool required, long long *out)
{
    json_t *v = json_object_get(params, name);

    if (!v || (json_is_null(v) && !required)) {
        if (required)
            return bad_param(c, name, "is required");
        return true;
    }
    if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
        json_integer_value(v) > (1LL << 53))
        return bad_param(c, name, "must be a positive integer");
    *out = json_integer_value(v);
    return true;
}

bool rpc_param_int(struct conn *c, json_t *params, const char *name,
                   long long min, long long max, long long *out)
{
    json_t *v = json_object_get(params, name);
    char what[96];

    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max) {
        snprintf(what, sizeof(what), "must be an integer from %lld to %lld",
                 min, max);
        return bad_param(c, name, what);
    }
    *out = json_integer_value(v);
    return true;
}

bool rpc_param_str(struct conn *c, json_t *params, const char *name,
                   bool required, size_t max, const char **out)
{
    json_t *v = json_object_get(params, name);
    char what[96];

    if (!v || json_is_null(v)) {
        if (required)
            return bad_param(c, name, "is required");
        return true;
    }
    if (!json_is_string(v))
        return bad_param(c, name, "must be a string");
    if (json_string_length(v) > max) {
        snprintf(what, sizeof(what), "is longer than %zu bytes", max);
        return bad_param(c, name, what);
    }
    /* jansson accepts "\u0000"; PostgreSQL text cannot hold it. */
    if (strlen(json_string_value(v)) != json_string_length(v))
        return bad_param(c, name, "must not contain NUL characters");
    *out = json_string_value(v);
    return true;
}

bool rpc_param_str_or_null(struct conn *c, json_t *params, const char *name,
                           size_t max, const char **out, bool *present)
{
    json_t *v = json_object_get(params, name);

    *present = v != NULL;
    if (!v)
        return true;
    if (json_is_null(v)) {
        *out = NULL;
        return true;
    }
    return rpc_param_str(c, params, name, true, max, out);
}

bool rpc_param_bool(struct conn *c, json_t *params, const char *name, bool *out)
{
    json_t *v = json_object_get(params, name);

    if (!v || json_is_null(v))
        return true;
    if (!json_is_boolean(v))
        return bad_param(c, name, "must be true or false");
    *out = json_is_true(v);
    return true;
}

void rpc_reply_db_error(struct conn *c, const PGresult *res)
{
    struct db_outcome o = db_outcome(res);
    json_t *data = NULL;

    if (o.outcome == DK_OUT_INTERNAL)
        conn_log(c, DK_LOG_ERROR, "%s: SQLSTATE %s: %s", c->req.method, o.state,
                 PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                     ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                     : "(no message)");
    if (o.detail)
        data = json_loads(o.detail, 0, NULL);
    conn_reply_error(c, dk_outcome_rpc_code(o.outcome), o.message, data);
}

static void query_json_done(struct db_query *q, PGresult *res, void *arg)
{
    struct conn *c = arg;

    if (c->state != CONN_CLOSING) {
        if (!db_ok(res))
            rpc_reply_db_error(c, res);
        else if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
            conn_reply_raw(c, "null");
        else
            conn_reply_raw(c, PQgetvalue(res, 0, 0));
    }
    conn_unref(c);
}

void rpc_submit(struct conn *c, struct db_query *q,
                void (*cb)(struct db_query *q, PGresult *res, void *arg))
{
    conn_ref(c);
    if (db_submit(c->rs->core->db, q, cb, c) != 0) {
        conn_unref(c);
        conn_reply_error(c, DK_RPC_UNAVAILABLE,
                         "the database is unavailable; try again shortly",
                         NULL);
    }
}

void rpc_query_json(struct conn *c, struct db_query *q)
{
    rpc_submit(c, q, query_json_done);
}

/* A write's event is numbered soon.  Mail it queued (a reply, a
 * notification's email) wakes the outbox through NOTIFY docket_mail,
 * which only such transactions send: looking for mail after every write
 * was two statements every 10 ms under load, 5 to 18 % of the claims a
 * second (BENCHMARKS.md). */
static void write_json_done(struct db_query *q, PGresult *res, void *arg)
{
    struct conn *c = arg;

    if (db_ok(res))
        feed_nudge(c->rs->core->feed);
    query_json_done(q, res, arg);
}

void rpc_write_json(struct conn *c, struct db_query *q)
{
    rpc_submit(c, q, write_json_done);
}
