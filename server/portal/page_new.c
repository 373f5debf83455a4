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

    html_printf(&b, "<h1>%s</h1>\n",
                portal_setting(q, cfg->portal.support_form.header_text,
                               "How can we help?"));
    if (error)
        html_printf(&b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
    html_raw(&b, "<form class=\"stack\" method=\"post\" action=\"/new\" "
                 "enctype=\"multipart/form-data\">\n");
    portal_csrf_field(q, &b);
    html_printf(&b,
                "<label for=\"subject\">%s</label>\n"
                "<input type=\"text\" id=\"subject\" name=\"subject\" "
                "maxlength=\"300\" required value=\"",
                T(q, "Subject"));
    html_attr(&b, subject ? subject : "");
    html_printf(&b,
                "\">\n<label for=\"description\">%s</label>\n"
                "<textarea id=\"description\" name=\"description\" "
                "rows=\"8\">",
                T(q, "Description"));
    html_txt(&b, description ? description : "");
    html_printf(&b,
                "</textarea>\n<label for=\"priority\">%s</label>\n"
                "<select id=\"priority\" name=\"priority\">\n",
                T(q, "Priority"));
    for (size_t i = 0; portal_priorities[i]; i++) {
        const char *code = portal_priorities[i];
        html_raw(&b, "<option value=\"");
        html_attr(&b, code);
        html_raw(&b, "\"");
        if (priority ? !strcmp(priority, code) : !strcmp(code, "medium"))
            html_raw(&b, " selected");
        html_printf(&b, ">%s</option>\n", portal_priority(q, code));
    }
    html_printf(&b,
                "</select>\n<label for=\"files\">%s</label>\n"
                "<input type=\"file\" id=\"files\" name=\"files\" multiple>\n"
                "<button type=\"submit\">%s</button>\n</form>\n",
                T(q, "Files (up to 10)"), T(q, "Send"));
    portal_page(q, status,
                portal_setting(q, cfg->portal.support_form.menu_text,
                               "Submit a request"),
                &b);
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
            new_form(q, 400,
                     q->lang == DK_LANG_EN
                         ? db_outcome(res).message
                         : T(q, "The helpdesk could not accept that. "
                                "Check what you entered and try again."));
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
    for (size_t i = 0; priority && portal_priorities[i]; i++)
        known = known || !strcmp(priority, portal_priorities[i]);
    if (!subject || !*subject || !description || !known) {
        new_form(q, 400,
                 T(q, "Give the request a subject (at most 300 characters), a "
                      "description and a priority."));
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
