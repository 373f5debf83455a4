/*
 * page_ticket.c - one ticket (GET /tickets/ID): its conversation in order
 * (the contact's messages and the staff's replies; portal_ticket() never
 * reads notes), the files of each message, and a reply form with files
 * while the ticket is open or closed less than mail.reopen_within ago;
 * POST /tickets/ID/reply stores the reply and its files in one statement
 * (portal_reply(), which also reopens, notifies the owner and wakes every
 * docketd's feed).
 */
#include "portal_int.h"
#include "core.h"
#include "db.h"
#include "html.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

/* Whether a ticket closed at iso may still be answered (and reopened). */
static bool reply_open(const struct preq *q, json_t *t)
{
    struct tm tm;
    const char *closed_at = json_string_value(json_object_get(t, "closed_at"));

    if (!json_is_true(json_object_get(t, "closed")))
        return true;
    memset(&tm, 0, sizeof(tm));
    if (!closed_at || !strptime(closed_at, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return false;
    return time(NULL) - timegm(&tm) < q->p->core->cfg->mail.reopen_within;
}

static void files_of(struct preq *q, struct dk_buf *b, json_t *m)
{
    json_t *list = json_object_get(m, "attachments"), *a;
    size_t i;

    if (!json_array_size(list))
        return;
    html_raw(b, "<ul class=\"files\">\n");
    json_array_foreach(list, i, a)
    {
        html_printf(b, "<li><a href=\"/attachments/%lld\">",
                    (long long)json_integer_value(json_object_get(a, "id")));
        html_txt(b, str(a, "filename"));
        html_raw(b, "</a> (");
        html_printf(b, T(q, "%lld bytes"),
                    (long long)json_integer_value(json_object_get(a, "size")));
        html_raw(b, ")</li>\n");
    }
    html_raw(b, "</ul>\n");
}

static void reply_form(struct preq *q, struct dk_buf *b, json_t *t)
{
    long long id = (long long)json_integer_value(json_object_get(t, "id"));

    html_printf(b, "<h2 id=\"reply\">%s</h2>\n", T(q, "Reply"));
    if (json_is_true(json_object_get(t, "closed")))
        html_printf(b, "<p>%s</p>\n",
                    T(q, "This request is closed. A reply opens it again."));
    html_printf(
        b,
        "<form class=\"stack\" method=\"post\" "
        "action=\"/tickets/%lld/reply\" enctype=\"multipart/form-data\">\n",
        id);
    portal_csrf_field(q, b);
    html_printf(b,
                "<label for=\"body\">%s</label>\n"
                "<textarea id=\"body\" name=\"body\" rows=\"6\"></textarea>\n"
                "<label for=\"files\">%s</label>\n"
                "<input type=\"file\" id=\"files\" name=\"files\" multiple>\n"
                "<button type=\"submit\">%s</button>\n</form>\n",
                T(q, "Your message"), T(q, "Files (up to 10)"),
                T(q, "Send reply"));
}

static void shown(struct preq *q, PGresult *res)
{
    struct dk_buf b = DK_BUF_INIT(0);
    json_error_t jerr;
    json_t *t, *msgs, *m;
    size_t i;

    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    t = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
    if (!json_is_object(t)) {
        json_decref(t);
        portal_not_found(q);
        return;
    }
    html_printf(&b, "<p><a href=\"/tickets\">&larr; %s</a></p>\n", T(q, "All"));
    html_printf(&b, "<h1>#%lld %s</h1>\n",
                (long long)json_integer_value(json_object_get(t, "id")),
                str(t, "subject"));
    html_raw(&b, "<p class=\"meta\"><span>");
    portal_status(&b, q, json_is_true(json_object_get(t, "closed")),
                  json_string_value(json_object_get(t, "stage_name")));
    html_printf(&b, "</span><span>%s ", T(q, "Created"));
    portal_date(&b, q, str(t, "created"));
    html_printf(&b, "</span><span>%s ", T(q, "Last activity"));
    portal_date(&b, q, str(t, "last_activity"));
    html_printf(&b, "</span><span>%s: %s</span></p>\n", T(q, "Priority"),
                portal_priority(q, str(t, "priority")));
    html_printf(&b, "<h2>%s</h2>\n", T(q, "Conversation"));
    msgs = json_object_get(t, "messages");
    /* Email and portal requests begin the conversation with their
     * description; one entered by staff (a phone call) has it only on the
     * ticket, and it is shown first, on its own. */
    m = json_array_get(msgs, 0);
    if (*str(t, "description") &&
        !(m && !strcmp(str(m, "direction"), "in") &&
          !strcmp(str(m, "body"), str(t, "description")))) {
        html_raw(&b, "<div class=\"description\"><p class=\"body\">");
        html_txt(&b, str(t, "description"));
        html_raw(&b, "</p></div>\n");
    }
    if (json_array_size(msgs)) {
        html_raw(&b, "<ol class=\"conversation\">\n");
        json_array_foreach(msgs, i, m)
        {
            bool out = !strcmp(str(m, "direction"), "out");
            html_printf(&b,
                        "<li class=\"%s\" data-message=\"%lld\">\n"
                        "<p class=\"from\">%s, ",
                        out ? "out" : "in",
                        (long long)json_integer_value(json_object_get(m, "id")),
                        str(m, "author"));
            portal_date(&b, q, str(m, "created"));
            html_raw(&b, "</p>\n<p class=\"body\">");
            html_txt(&b, str(m, "body"));
            html_raw(&b, "</p>\n");
            files_of(q, &b, m);
            html_raw(&b, "</li>\n");
        }
        html_raw(&b, "</ol>\n");
    }
    if (reply_open(q, t))
        reply_form(q, &b, t);
    else
        html_printf(&b, "<p>%s <a href=\"/new\">%s</a></p>\n",
                    T(q, "This request was closed some time ago."),
                    T(q, "Send a new request if you need more help."));
    {
        char title[64];
        snprintf(title, sizeof(title), "#%lld",
                 (long long)json_integer_value(json_object_get(t, "id")));
        json_decref(t);
        portal_page(q, 200, title, &b);
    }
}

void page_ticket(struct preq *q)
{
    struct db_query *dq =
        db_query_new("SELECT portal_ticket($1::bigint, $2, $3::text[], "
                     "$4::bigint)",
                     4);

    db_query_prepared(dq); /* every page view: parsed once per session */
    portal_bind_viewer(dq, q);
    db_param_ll(dq, 3, q->id);
    portal_live(q);
    portal_query(q, dq, shown);
}

static void replied(struct preq *q, PGresult *res)
{
    char path[64];
    struct db_outcome o;

    snprintf(path, sizeof(path), "/tickets/%lld", q->id);
    if (!db_ok(res)) {
        o = db_outcome(res);
        if (o.outcome == DK_OUT_CONFLICT)
            portal_redirect(q, path, FLASH_REPLY_CLOSED);
        else if (o.outcome == DK_OUT_BAD_INPUT)
            portal_redirect(q, path, FLASH_EMPTY_REPLY);
        else
            portal_db_error(q, res);
        return;
    }
    portal_redirect(q, path, FLASH_SENT);
}

void page_reply_post(struct preq *q)
{
    const char *body = portal_field(q, "body", 100000);
    struct portal_files files;
    struct dk_buf sql = DK_BUF_INIT(0);
    struct db_query *dq;

    if (!body) {
        portal_message(q, 400, T(q, "That did not work"),
                       T(q, "The message must be text of at most 100,000 "
                            "characters."));
        return;
    }
    portal_files_collect(q, "files", &files);
    dk_buf_adds(&sql, "SELECT portal_reply($1::bigint, $2, $3::text[], "
                      "$4::bigint, $5, make_interval(secs => $6), ");
    portal_files_sql(&sql, &files, 7);
    dk_buf_adds(&sql, ")");
    dq = db_query_new(sql.data, 6 + 3 * (int)files.n);
    dk_buf_free(&sql);
    portal_bind_viewer(dq, q);
    db_param_ll(dq, 3, q->id);
    db_param(dq, 4, body);
    db_param_ll(dq, 5, q->p->core->cfg->mail.reopen_within);
    portal_files_bind(dq, &files, 7);
    portal_query(q, dq, replied);
}
