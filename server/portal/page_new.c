/*
 * page_new.c - the support form (GET,POST /new, when
 * portal.support_form.enabled): subject, description, priority and files
 * make a ticket in Unassigned with source portal (portal_ticket_new(),
 * one statement with its files), live in every docket at once.
 */
#include "portal_int.h"
#include "core.h"
#include "db.h"
#include "html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const priorities[][2] = {
    {"low", "As time permits"},
    {"medium", "Within 2 business days"},
    {"high", "Urgent"},
};

static bool enabled(struct preq *q)
{
    if (q->p->core->cfg->portal.support_form.enabled)
        return true;
    portal_not_found(q);
    return false;
}

static void new_form(struct preq *q, int status, const char *error)
{
    const struct dk_config *cfg = q->p->core->cfg;
    struct dk_buf b = DK_BUF_INIT(0);
    const char *subject = portal_field(q, "subject", 300);
    const char *description = portal_field(q, "description", 100000);
    const char *priority = portal_field(q, "priority", 10);

    html_printf(&b, "<h1>%s</h1>\n", cfg->portal.support_form.header_text);
    if (error)
        html_printf(&b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
    html_raw(&b, "<form class=\"stack\" method=\"post\" action=\"/new\" "
                 "enctype=\"multipart/form-data\">\n");
    portal_csrf_field(q, &b);
    html_raw(&b, "<label for=\"subject\">Subject</label>\n"
                 "<input type=\"text\" id=\"subject\" name=\"subject\" "
                 "maxlength=\"300\" required value=\"");
    html_attr(&b, subject ? subject : "");
    html_raw(&b, "\">\n<label for=\"description\">Description</label>\n"
                 "<textarea id=\"description\" name=\"description\" "
                 "rows=\"8\">");
    html_txt(&b, description ? description : "");
    html_raw(&b, "</textarea>\n<label for=\"priority\">Priority</label>\n"
                 "<select id=\"priority\" name=\"priority\">\n");
    for (size_t i = 0; i < 3; i++) {
        html_raw(&b, "<option value=\"");
        html_attr(&b, priorities[i][0]);
        html_raw(&b, "\"");
        if (priority ? !strcmp(priority, priorities[i][0]) : i == 1)
            html_raw(&b, " selected");
        html_printf(&b, ">%s</option>\n", priorities[i][1]);
    }
    html_raw(&b, "</select>\n<label for=\"files\">Files (up to 10)</label>\n"
                 "<input type=\"file\" id=\"files\" name=\"files\" multiple>\n"
                 "<button type=\"submit\">Send</button>\n</form>\n");
    portal_page(q, status, cfg->portal.support_form.menu_text, &b);
}

void page_new(struct preq *q)
{
    if (enabled(q))
        new_form(q, 200, NULL);
}

static void created(struct preq *q, PGresult *res)
{
    char path[64];

    if (!db_ok(res)) {
        if (db_outcome(res).outcome == DK_OUT_BAD_INPUT) {
            new_form(q, 400, db_outcome(res).message);
            return;
        }
        portal_db_error(q, res);
        return;
    }
    snprintf(path, sizeof(path), "/tickets/%s", PQgetvalue(res, 0, 0));
    portal_redirect(q, path, FLASH_CREATED);
}

void page_new_post(struct preq *q)
{
    const char *subject = portal_field(q, "subject", 300);
    const char *description = portal_field(q, "description", 100000);
    const char *priority = portal_field(q, "priority", 10);
    struct portal_files files;
    struct dk_buf sql = DK_BUF_INIT(0);
    struct db_query *dq;
    bool known = false;

    if (!enabled(q))
        return;
    for (size_t i = 0; priority && i < 3; i++)
        known = known || !strcmp(priority, priorities[i][0]);
    if (!subject || !*subject || !description || !known) {
        new_form(q, 400,
                 "Give the request a subject (at most 300 characters), a "
                 "description and a priority.");
        return;
    }
    portal_files_collect(q, "files", &files);
    dk_buf_adds(&sql, "SELECT portal_ticket_new($1::bigint, $2, $3, $4, ");
    portal_files_sql(&sql, &files, 5);
    dk_buf_adds(&sql, ")");
    dq = db_query_new(sql.data, 4 + 3 * (int)files.n);
    dk_buf_free(&sql);
    db_param_ll(dq, 0, q->who.id);
    db_param(dq, 1, subject);
    db_param(dq, 2, description);
    db_param(dq, 3, priority);
    portal_files_bind(dq, &files, 5);
    portal_query(q, dq, created);
}
