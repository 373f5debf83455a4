/*
 * rpc_misc.c - notes, messages, tasks, notifications, staff.list,
 * pipelines.list and server.info: thin wrappers over schema.sql's
 * functions.
 */
#include "conn.h"
#include "db.h"
#include "dk_mail.h"
#include "dk_mem.h"
#include "rpc.h"
#include "core.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DOCKET_VERSION
#define DOCKET_VERSION "0.1.0"
#endif

#define BODY_MAX 100000

/* "SELECT f($1 actor, $2 ticket, $3 body)" for notes and replies. */
#define ATTACH_MAX 20 /* upload_pending_max_() */

/* The answer's "attachments", when FILES (a JSON array parameter of upload
 * ids) names any: the uploads attached by the staff member $1 to ticket $2
 * and message MESSAGE (SQL, or NULL for a note), in the same statement as
 * the note or reply, so that one that cannot be attached takes it back. */
#define ATTACH_SQL(files, message)                                             \
    " || CASE WHEN jsonb_array_length(" files "::jsonb) = 0 THEN '{}'::jsonb " \
    "ELSE jsonb_build_object('attachments', uploads_attach_($1, ARRAY(SELECT " \
    "jsonb_array_elements_text(" files "::jsonb))::uuid[], $2, " message       \
    ")) END"

/*
 * The optional "attachments": upload ids from uploads.begin, as a JSON
 * array text for the query ("[]" without them).  Returns NULL after
 * answering -32602.
 */
static char *attachments_param(struct conn *c, json_t *params)
{
    json_t *a = json_object_get(params, "attachments"), *v;
    size_t i;

    if (!a || json_is_null(a))
        return dk_xstrdup("[]");
    if (!json_is_array(a) || json_array_size(a) > ATTACH_MAX) {
        conn_reply_error(c, DK_RPC_BAD_PARAMS,
                         "attachments must be a list of at most 20 upload ids",
                         NULL);
        return NULL;
    }
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(v);
        size_t n = s ? strlen(s) : 0;
        if (n != 36 || strspn(s, "0123456789abcdefABCDEF-") != n) {
            conn_reply_error(c, DK_RPC_BAD_PARAMS,
                             "attachments must be upload ids from "
                             "uploads.begin",
                             NULL);
            return NULL;
        }
    }
    return json_dumps(a, JSON_COMPACT);
}

void rpc_notes_add(struct conn *c, json_t *params)
{
    long long ticket = 0;
    const char *body = NULL;
    struct db_query *q;
    char *files;

    if (!rpc_param_id(c, params, "ticket", true, &ticket) ||
        !rpc_param_str(c, params, "body", true, BODY_MAX, &body) ||
        !(files = attachments_param(c, params)))
        return;
    q = db_query_new("WITH n AS (SELECT note_add($1, $2, $3) AS r) "
                     "SELECT (n.r" ATTACH_SQL("$4", "NULL") ")::text FROM n",
                     4);
    db_param_ll(q, 0, c->who.staff_id);
    db_param_ll(q, 1, ticket);
    db_param(q, 2, body);
    db_param(q, 3, files);
    free(files);
    rpc_write_json(c, q);
}

void rpc_messages_send(struct conn *c, json_t *params)
{
    const struct dk_config *cfg = c->rs->core->cfg;
    long long ticket = 0;
    const char *body = NULL;
    struct db_query *q;
    char domain[256], *files;

    if (!rpc_param_id(c, params, "ticket", true, &ticket) ||
        !rpc_param_str(c, params, "body", true, BODY_MAX, &body) ||
        !(files = attachments_param(c, params)))
        return;
    /* The reply's Message-ID is made in SQL with the domain the sender
     * gives the others (outbox.c), so a reload applies to both. */
    dk_mail_id_domain(cfg->mail.message_id_domain, cfg->mail.from, domain,
                      sizeof(domain));
    /* The files belong to the reply's message: the contact sees them with
     * it in the portal. */
    q = db_query_new(
        "WITH m AS (SELECT message_send($1, $2, $3, $4) AS r) "
        "SELECT (m.r" ATTACH_SQL("$5", "(m.r->>'id')::bigint") ")::text FROM m",
        5);
    db_param_ll(q, 0, c->who.staff_id);
    db_param_ll(q, 1, ticket);
    db_param(q, 2, body);
    db_param(q, 3, domain);
    db_param(q, 4, files);
    free(files);
    rpc_write_json(c, q);
}

void rpc_tasks_add(struct conn *c, json_t *params)
{
    long long ticket = 0;
    const char *title = NULL, *due = NULL, *remind = NULL;
    struct db_query *q;

    if (!rpc_param_id(c, params, "ticket", true, &ticket) ||
        !rpc_param_str(c, params, "title", true, 300, &title) ||
        !rpc_param_str(c, params, "due_at", false, 40, &due) ||
        !rpc_param_str(c, params, "remind_at", false, 40, &remind))
        return;
    q = db_query_new("SELECT task_add($1, $2, $3, $4::timestamptz, "
                     "$5::timestamptz)::text",
                     5);
    db_param_ll(q, 0, c->who.staff_id);
    db_param_ll(q, 1, ticket);
    db_param(q, 2, title);
    db_param(q, 3, due);
    db_param(q, 4, remind);
    rpc_write_json(c, q);
}

void rpc_tasks_done(struct conn *c, json_t *params)
{
    long long id = 0;
    struct db_query *q;

    if (!rpc_param_id(c, params, "id", true, &id))
        return;
    q = db_query_new("SELECT task_done($1, $2)::text", 2);
    db_param_ll(q, 0, c->who.staff_id);
    db_param_ll(q, 1, id);
    rpc_write_json(c, q);
}

void rpc_tasks_mine(struct conn *c, json_t *params)
{
    struct db_query *q = db_query_new(
        "SELECT coalesce(jsonb_agg(task_json(k) ORDER BY k.due_at NULLS LAST,"
        " k.id), '[]')::text FROM task k "
        "WHERE k.staff_id = $1 AND k.done_at IS NULL",
        1);

    db_param_ll(q, 0, c->who.staff_id);
    rpc_query_json(c, q);
}

void rpc_notifications_list(struct conn *c, json_t *params)
{
    bool unread = false;
    struct db_query *q;

    if (!rpc_param_bool(c, params, "unread", &unread))
        return;
    q = db_query_new(
        "SELECT coalesce(jsonb_agg(notification_json(n) ORDER BY n.id DESC),"
        " '[]')::text FROM (SELECT * FROM notification "
        "WHERE staff_id = $1 AND (NOT $2 OR read_at IS NULL) "
        "ORDER BY id DESC LIMIT 200) n",
        2);
    db_param_ll(q, 0, c->who.staff_id);
    db_param_bool(q, 1, unread);
    rpc_query_json(c, q);
}

static void read_done(struct db_query *q, PGresult *res, void *arg)
{
    struct conn *c = arg;

    if (c->state != CONN_CLOSING) {
        if (!db_ok(res))
            rpc_reply_db_error(c, res);
        else if (PQntuples(res) == 0)
            conn_reply_error(c, DK_RPC_NOT_FOUND,
                             "no such notification of yours", NULL);
        else
            conn_reply_raw(c, PQgetvalue(res, 0, 0));
    }
    conn_unref(c);
}

void rpc_notifications_read(struct conn *c, json_t *params)
{
    long long id = 0;
    struct db_query *q;

    if (!rpc_param_id(c, params, "id", true, &id))
        return;
    q = db_query_new("UPDATE notification SET read_at = coalesce(read_at, "
                     "now()) WHERE id = $2 AND staff_id = $1 "
                     "RETURNING notification_json(notification)::text",
                     2);
    db_param_ll(q, 0, c->who.staff_id);
    db_param_ll(q, 1, id);
    rpc_submit(c, q, read_done);
}

void rpc_staff_list(struct conn *c, json_t *params)
{
    rpc_query_json(c,
                   db_query_new("SELECT coalesce(jsonb_agg(jsonb_build_object("
                                "'username', username, 'name', name, "
                                "'roles', to_jsonb(roles)) ORDER BY username), "
                                "'[]')::text FROM staff WHERE active",
                                0));
}

/* The pipelines and their stages in order, from the database: a client
 * names stages and knows which is closed from this, not from names
 * compiled into it. */
void rpc_pipelines_list(struct conn *c, json_t *params)
{
    rpc_query_json(
        c, db_query_new(
               "SELECT coalesce(jsonb_agg(jsonb_build_object('id', p.id, "
               "'name', p.name, 'default_stage', (SELECT s.id FROM stage s "
               "WHERE s.pipeline = p.id AND s.is_default), 'stages', "
               "(SELECT coalesce(jsonb_agg(jsonb_build_object('id', s.id, "
               "'name', s.name, 'closed', s.is_closed) ORDER BY s.position, "
               "s.id), '[]') FROM stage s WHERE s.pipeline = p.id)) ORDER BY "
               "p.position, p.id), '[]')::text FROM pipeline p",
               0));
}

void rpc_server_info(struct conn *c, json_t *params)
{
    conn_reply(c, json_pack("{s:s, s:s}", "version", DOCKET_VERSION, "instance",
                            c->rs->core->instance));
}
