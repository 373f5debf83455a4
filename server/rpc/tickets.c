/*
 * rpc_tickets.c - tickets.view, counts, get, create, every ticket write
 * (claim, close, move...: one table, one handler) and attachments.get.
 * The rules live in schema.sql's functions; here are parameters, the
 * view queries and keyset cursors.
 */
#include "conn.h"
#include "db.h"
#include "dk_mem.h"
#include "feed.h"
#include "rpc.h"
#include "dk_buf.h"
#include "dk_jsonw.h"
#include "dk_views.h"
#include "core.h"
#include "server.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIMIT  500
#define CURSOR_MAX 96

/*
 * A cursor is the last row's sort key, "rank.micros.id", base64url'd so
 * that clients treat it as opaque.  Returns false for anything else.
 */
static bool cursor_decode(const char *text, long long key[3])
{
    unsigned char raw[CURSOR_MAX];
    size_t len;
    char s[CURSOR_MAX + 1], *end;
    const char *p = s;

    if (sodium_base642bin(raw, sizeof(raw) - 1, text, strlen(text), NULL, &len,
                          NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    memcpy(s, raw, len);
    s[len] = '\0';
    for (int i = 0; i < 3; i++) {
        if (*p < '0' || *p > '9')
            return false;
        key[i] = strtoll(p, &end, 10);
        if (end == p || (i < 2 ? *end != '.' : *end != '\0'))
            return false;
        p = end + 1;
    }
    return key[0] >= 0 && key[0] <= 2;
}

/*
 * The columns of a view's rows, and how each becomes a field of the
 * ticket summary that summary_json() (schema/functions/ticket_common.sql)
 * builds for events and answers: the same keys, the same values
 * (test/integration/rpc_view_rows.py holds the two equal as JSON values;
 * the keys' order differs from jsonb's, which no client may rely on).
 * PostgreSQL 15 spent 15 us a row building that object, two thirds of a
 * page's time (jsonb_build_object() looks up each argument's type on
 * every call), and jansson 5 us; written straight out, well under one.
 */
enum view_col {
    VC_ID,
    VC_SUBJECT,
    VC_PRIORITY,
    VC_PIPELINE,
    VC_STAGE,
    VC_OWNER,
    VC_GRAPHICS_OWNER,
    VC_CONTACT_ID,
    VC_CONTACT_NAME,
    VC_CONTACT_EMAIL,
    VC_COMPANY_ID,
    VC_COMPANY_NAME,
    VC_CREATED,
    VC_UPDATED,
    VC_ACTIVITY,
    VC_DUE,
    VC_VERSION,
    VC_NEXT,
    VC_COUNT
};

/* The SELECT list, in enum view_col's order. */
#define VIEW_COLUMNS                                                           \
    "t.id, t.subject, t.priority, t.pipeline, t.stage, o.username, "           \
    "g.username, c.id, btrim(c.first_name || ' ' || c.last_name), c.email, "   \
    "co.id, co.name, iso(t.created_at), iso(t.updated_at), "                   \
    "iso(t.last_activity_at), iso(t.due_at), t.version, "                      \
    "CASE WHEN row_number() OVER w = $2 THEN t.priority_rank || '.' || "       \
    "(extract(epoch FROM t.created_at) * 1000000)::bigint || '.' || t.id END "

enum field_kind { F_INT, F_TEXT };

struct view_field {
    const char *key;
    enum view_col col;
    enum field_kind kind;
};

static const struct view_field ticket_fields[] = {
    {"id", VC_ID, F_INT},
    {"subject", VC_SUBJECT, F_TEXT},
    {"priority", VC_PRIORITY, F_TEXT},
    {"pipeline", VC_PIPELINE, F_TEXT},
    {"stage", VC_STAGE, F_TEXT},
    {"owner", VC_OWNER, F_TEXT},
    {"graphics_owner", VC_GRAPHICS_OWNER, F_TEXT},
    {"created_at", VC_CREATED, F_TEXT},
    {"updated_at", VC_UPDATED, F_TEXT},
    {"last_activity_at", VC_ACTIVITY, F_TEXT},
    {"due_at", VC_DUE, F_TEXT},
    {"version", VC_VERSION, F_INT},
};
static const struct view_field contact_fields[] = {
    {"id", VC_CONTACT_ID, F_INT},
    {"name", VC_CONTACT_NAME, F_TEXT},
    {"email", VC_CONTACT_EMAIL, F_TEXT},
};
static const struct view_field company_fields[] = {
    {"id", VC_COMPANY_ID, F_INT},
    {"name", VC_COMPANY_NAME, F_TEXT},
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* "key":value for each field, comma-separated.  Integers are PostgreSQL's
 * own text of a bigint or an integer: digits, which JSON takes as they
 * are. */
static void add_fields(struct dk_buf *b, const PGresult *res, int row,
                       const struct view_field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            dk_buf_addc(b, ',');
        dk_buf_addc(b, '"');
        dk_buf_adds(b, f[i].key); /* a name of ours: nothing to escape */
        dk_buf_add(b, "\":", 2);
        if (PQgetisnull(res, row, f[i].col))
            dk_buf_add(b, "null", 4);
        else if (f[i].kind == F_INT)
            dk_buf_adds(b, PQgetvalue(res, row, f[i].col));
        else
            dk_jsonw_string(b, PQgetvalue(res, row, f[i].col),
                            (size_t)PQgetlength(res, row, f[i].col));
    }
}

static void add_row(struct dk_buf *b, const PGresult *res, int row)
{
    dk_buf_addc(b, '{');
    add_fields(b, res, row, ticket_fields, NFIELDS(ticket_fields));
    dk_buf_adds(b, ",\"contact\":{");
    add_fields(b, res, row, contact_fields, NFIELDS(contact_fields));
    dk_buf_adds(b, "},\"company\":");
    if (PQgetisnull(res, row, VC_COMPANY_ID)) {
        dk_buf_adds(b, "null}");
    } else {
        dk_buf_addc(b, '{');
        add_fields(b, res, row, company_fields, NFIELDS(company_fields));
        dk_buf_adds(b, "}}");
    }
}

static void view_done(struct db_query *q, PGresult *res, void *arg)
{
    struct conn *c = arg;
    struct dk_buf b = DK_BUF_INIT(0); /* unbounded: no write fails */
    char enc[CURSOR_MAX * 2];
    int n;

    if (c->state != CONN_CLOSING) {
        if (!db_ok(res)) {
            rpc_reply_db_error(c, res);
        } else if (PQnfields(res) != VC_COUNT) {
            /* VIEW_COLUMNS and enum view_col went apart: a bug, not
             * input; an error, never a read past the row. */
            conn_reply_error(c, DK_RPC_INTERNAL,
                             "tickets.view: the statement's columns are not "
                             "the ones its rows are written from",
                             NULL);
        } else {
            n = PQntuples(res);
            dk_buf_reserve(&b, (size_t)n * 512 + 64);
            dk_buf_adds(&b, "{\"tickets\":[");
            for (int i = 0; i < n; i++) {
                if (i)
                    dk_buf_addc(&b, ',');
                add_row(&b, res, i);
            }
            dk_buf_adds(&b, "],\"next\":");
            /* Only the last row of a full page has a key: the next page's. */
            if (n > 0 && !PQgetisnull(res, n - 1, VC_NEXT)) {
                const char *last = PQgetvalue(res, n - 1, VC_NEXT);
                sodium_bin2base64(enc, sizeof(enc), (const unsigned char *)last,
                                  strlen(last),
                                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
                dk_buf_printf(&b, "\"%s\"}", enc);
            } else {
                dk_buf_adds(&b, "null}");
            }
            conn_reply_raw(c, b.data);
            dk_buf_free(&b);
        }
    }
    conn_unref(c);
}

void rpc_tickets_view(struct conn *c, json_t *params)
{
    const char *name = NULL, *after = NULL, *query = NULL;
    long long limit = 50, key[3];
    int v;
    struct db_query *q;
    char *sql;

    if (!rpc_param_str(c, params, "view", true, 64, &name) ||
        !rpc_param_int(c, params, "limit", 1, MAX_LIMIT, &limit) ||
        !rpc_param_str(c, params, "after", false, CURSOR_MAX, &after) ||
        !rpc_param_str(c, params, "query", false, 200, &query))
        return;
    v = dk_view_parse(name);
    if (v < 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), "parameter \"view\" must be one of %s",
                 dk_view_list);
        conn_reply_error(c, DK_RPC_BAD_PARAMS, msg, NULL);
        return;
    }
    if (after && !cursor_decode(after, key)) {
        conn_reply_error(c, DK_RPC_BAD_PARAMS,
                         "parameter \"after\" is not a cursor this server "
                         "gave out",
                         NULL);
        return;
    }
    if (query && !*query)
        query = NULL;
    /*
     * Only fixed fragments go into the text; values are parameters.  The
     * page is LIMIT $2 of LIMIT MAX_LIMIT: for a generic plan the planner
     * takes an unknown limit for a tenth of the rows it limits, so with
     * LIMIT $2 alone the generic plan of my_open, open and closed looked
     * 3 to 40 times dearer than a custom one, and PostgreSQL planned those
     * views afresh on every call (0.5 - 1 ms, a quarter of its time in
     * them).  A tenth of MAX_LIMIT is the default page, so the generic
     * plan is costed for the page it serves, and kept.
     */
    sql = dk_xasprintf(
        "SELECT " VIEW_COLUMNS "FROM (SELECT * FROM (SELECT * FROM ticket t "
        "WHERE $1::bigint > 0 AND %s%s%s "
        "ORDER BY t.priority_rank, t.created_at, t.id LIMIT %d) t "
        "ORDER BY t.priority_rank, t.created_at, t.id LIMIT $2) t "
        "JOIN contact c ON c.id = t.contact_id "
        "LEFT JOIN staff o ON o.id = t.owner_id "
        "LEFT JOIN staff g ON g.id = t.graphics_owner_id "
        "LEFT JOIN company co ON co.id = t.company_id "
        "WINDOW w AS (ORDER BY t.priority_rank, t.created_at, t.id) "
        "ORDER BY t.priority_rank, t.created_at, t.id",
        dk_view_filters[v],
        after ? " AND (t.priority_rank, t.created_at, t.id) > ($4::smallint, "
                "'epoch'::timestamptz + $5::bigint * interval '1 microsecond', "
                "$6::bigint)"
              : "",
        query ? " AND (EXISTS (SELECT 1 FROM ticket_text w WHERE "
                "w.ticket_id = t.id AND w.search @@ plainto_tsquery('simple', "
                "$3)) "
                "OR strpos(lower(t.subject), lower($3)) > 0 "
                "OR t.id::text = $3 "
                "OR EXISTS (SELECT 1 FROM contact ct WHERE ct.id = t.contact_id"
                " AND strpos(lower(ct.first_name || ' ' || ct.last_name || ' ' "
                "|| ct.email), lower($3)) > 0) "
                "OR EXISTS (SELECT 1 FROM company co WHERE co.id = t.company_id"
                " AND strpos(lower(co.name), lower($3)) > 0))"
              : " AND $3::text IS NULL",
        MAX_LIMIT);
    q = db_query_new(sql, after ? 6 : 3);
    db_query_prepared(q); /* 24 texts at most: views x cursor x query */
    free(sql);
    db_param_ll(q, 0, c->who.staff_id);
    db_param_ll(q, 1, limit);
    db_param(q, 2, query);
    if (after) {
        db_param_ll(q, 3, key[0]);
        db_param_ll(q, 4, key[1]);
        db_param_ll(q, 5, key[2]);
    }
    rpc_submit(c, q, view_done);
}

/* One count per view, each by its view's own filter (and index). */
static const char *counts_sql(void)
{
    static char *sql;

    if (!sql) {
        struct dk_buf b = DK_BUF_INIT(0);
        dk_buf_adds(&b, "SELECT jsonb_build_object(");
        for (int v = 0; v < DK_NVIEWS; v++)
            dk_buf_printf(&b,
                          "%s'%s', (SELECT count(*) FROM ticket t WHERE %s)",
                          v ? ", " : "", dk_view_names[v], dk_view_filters[v]);
        dk_buf_adds(&b, ")::text");
        sql = dk_buf_steal(&b, NULL); /* kept for the process's life */
    }
    return sql;
}

void rpc_tickets_counts(struct conn *c, json_t *params)
{
    struct db_query *q = db_query_new(counts_sql(), 1);

    db_param_ll(q, 0, c->who.staff_id);
    rpc_query_json(c, q);
}

/* Answer with column 0, or 4004 naming what was missing. */
static void one_or_404(struct db_query *q, PGresult *res, void *arg)
{
    struct conn *c = arg;
    char msg[96];

    if (c->state != CONN_CLOSING) {
        if (!db_ok(res)) {
            rpc_reply_db_error(c, res);
        } else if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
            snprintf(msg, sizeof(msg), "%s does not exist",
                     PQntuples(res) ? PQgetvalue(res, 0, 1) : "it");
            conn_reply_error(c, DK_RPC_NOT_FOUND, msg, NULL);
        } else {
            conn_reply_raw(c, PQgetvalue(res, 0, 0));
        }
    }
    conn_unref(c);
}

void rpc_tickets_get(struct conn *c, json_t *params)
{
    long long id = 0;
    struct db_query *q;

    if (!rpc_param_id(c, params, "id", true, &id))
        return;
    q = db_query_new("SELECT ticket_full($1)::text, 'ticket ' || $1", 1);
    db_param_ll(q, 0, id);
    rpc_submit(c, q, one_or_404);
}

/* The most of an attachment one answer carries: a client reads a large
 * file piece by piece, so no reply is ever large enough to get past the
 * output cap (server.max_output_bytes) in one go. */
#define PIECE_MAX (512 * 1024)

void rpc_attachments_get(struct conn *c, json_t *params)
{
    long long id = 0, offset = 0, length = PIECE_MAX;
    struct db_query *q;

    if (!rpc_param_id(c, params, "id", true, &id) ||
        !rpc_param_int(c, params, "offset", 0, 2147483646, &offset) ||
        !rpc_param_int(c, params, "length", 1, PIECE_MAX, &length))
        return;
    /* An offset at or past the end gives an empty piece. */
    q = db_query_new(
        "SELECT (SELECT jsonb_build_object('id', id, 'ticket', ticket_id, "
        "'filename', filename, 'content_type', content_type, 'size', size, "
        "'sha256', encode(sha256, 'hex'), 'offset', $2::bigint, "
        "'content_base64', translate(encode(substring(content "
        "FROM $2::bigint::int + 1 FOR $3::int), 'base64'), E'\\n', ''))::text "
        "FROM attachment WHERE id = $1), 'attachment ' || $1",
        3);
    db_param_ll(q, 0, id);
    db_param_ll(q, 1, offset);
    db_param_ll(q, 2, length);
    rpc_submit(c, q, one_or_404);
}

static void created(struct db_query *q, PGresult *res, void *arg)
{
    struct conn *c = arg;

    if (db_ok(res))
        feed_nudge(c->rs->core->feed);
    one_or_404(q, res, arg);
}

void rpc_tickets_create(struct conn *c, json_t *params)
{
    const char *subject = NULL, *description = "", *email = NULL;
    const char *priority = "medium", *source = "phone";
    struct db_query *q;

    if (!rpc_param_str(c, params, "subject", true, 300, &subject) ||
        !rpc_param_str(c, params, "description", false, 100000, &description) ||
        !rpc_param_str(c, params, "contact_email", true, 254, &email) ||
        !rpc_param_str(c, params, "priority", false, 16, &priority) ||
        !rpc_param_str(c, params, "source", false, 16, &source))
        return;
    q = db_query_new("SELECT CASE WHEN k.id IS NULL THEN NULL ELSE "
                     "ticket_create(k.id, $2, $3, $4, $5, $6)::text END, "
                     "'a contact with email ' || $1 "
                     "FROM (SELECT (SELECT id FROM contact "
                     "  WHERE lower(email) = lower($1)) AS id) k",
                     6);
    db_param(q, 0, email);
    db_param(q, 1, subject);
    db_param(q, 2, description);
    db_param(q, 3, priority);
    db_param(q, 4, source);
    db_param_ll(q, 5, c->who.staff_id);
    rpc_submit(c, q, created);
}

/*
 * Every ticket write: "SELECT ticket_X($1 actor, $2 id, $3 version, ...)"
 * with up to two more string parameters.
 */
static const struct ticket_write {
    const char *method;
    const char *function;
    const char *extra[2]; /* more parameters, in order */
    bool required[2];     /* must be given (possibly as null) */
    bool nullable[2];
} ticket_writes[] = {
    {"tickets.assign", "ticket_assign", {"owner"}, {true}, {true}},
    {"tickets.claim", "ticket_claim", {NULL}, {false}, {false}},
    {"tickets.close", "ticket_close", {NULL}, {false}, {false}},
    {"tickets.graphics_claim",
     "ticket_graphics_claim",
     {NULL},
     {false},
     {false}},
    {"tickets.graphics_complete",
     "ticket_graphics_complete",
     {NULL},
     {false},
     {false}},
    {"tickets.graphics_unclaim",
     "ticket_graphics_unclaim",
     {NULL},
     {false},
     {false}},
    {"tickets.hand_to_graphics",
     "ticket_hand_to_graphics",
     {NULL},
     {false},
     {false}},
    {"tickets.move",
     "ticket_move",
     {"pipeline", "stage"},
     {true, false},
     {false, true}},
    {"tickets.reopen", "ticket_reopen", {NULL}, {false}, {false}},
    {"tickets.set_priority",
     "ticket_set_priority",
     {"priority"},
     {true},
     {false}},
    {"tickets.set_stage", "ticket_set_stage", {"stage"}, {true}, {false}},
    {"tickets.unclaim", "ticket_unclaim", {NULL}, {false}, {false}},
};

void rpc_tickets_write(struct conn *c, json_t *params)
{
    const struct ticket_write *w = NULL;
    const char *method = rpc_method_name(c);
    const char *extra[2] = {NULL, NULL};
    long long id = 0, version = 0;
    struct db_query *q;
    int n = 0;
    char *sql;

    for (size_t i = 0; i < sizeof(ticket_writes) / sizeof(*ticket_writes); i++)
        if (strcmp(ticket_writes[i].method, method) == 0)
            w = &ticket_writes[i];
    if (!w) {
        conn_reply_error(c, DK_RPC_INTERNAL, "method has no write", NULL);
        return;
    }
    if (!rpc_param_id(c, params, "id", true, &id) ||
        !rpc_param_int(c, params, "version", 1, 2147483647, &version))
        return;
    for (int i = 0; i < 2 && w->extra[i]; i++, n++) {
        bool present = false;
        if (w->nullable[i]) {
            if (!rpc_param_str_or_null(c, params, w->extra[i], 64, &extra[i],
                                       &present))
                return;
            if (!present && w->required[i]) {
                char msg[96];
                snprintf(msg, sizeof(msg),
                         "parameter \"%s\" is required (null for none)",
                         w->extra[i]);
                conn_reply_error(c, DK_RPC_BAD_PARAMS, msg, NULL);
                return;
            }
        } else if (!rpc_param_str(c, params, w->extra[i], w->required[i], 64,
                                  &extra[i])) {
            return;
        }
    }
    sql = dk_xasprintf("SELECT %s($1, $2, $3::int%s%s)::text", w->function,
                       n > 0 ? ", $4" : "", n > 1 ? ", $5" : "");
    q = db_query_new(sql, 3 + n);
    db_query_prepared(q); /* one text per method */
    free(sql);
    db_param_ll(q, 0, c->who.staff_id);
    db_param_ll(q, 1, id);
    if (version)
        db_param_ll(q, 2, version);
    for (int i = 0; i < n; i++)
        db_param(q, 3 + i, extra[i]);
    rpc_write_json(c, q);
}
