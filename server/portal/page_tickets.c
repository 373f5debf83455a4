/*
 * page_tickets.c - the ticket list (GET /tickets?view=&status=&q=): ID,
 * subject, created, last activity and status of the contact's requests
 * (with company visibility, a switch to the whole school's), filtered by
 * status and a search.  portal_tickets() applies visibility and the
 * pipeline filter; this file only shows the rows it returns.
 */
#include "portal_int.h"
#include "core.h"
#include "db.h"
#include "dk_log.h"
#include "html.h"

#include <stdlib.h>
#include <string.h>

/* The most recent this many: a school's whole history is a search or a
 * status filter away, and a page of 500 rows cost more to build and send
 * (194 kB) than the query did (BENCHMARKS.md). */
#define LIST_LIMIT 100

struct filter {
    const char *view;   /* mine | company */
    const char *status; /* open | closed | all */
    const char *q;      /* search text, "" for none */
};

static const char *const statuses[][2] = {
    {"open", N_("Open")}, {"closed", N_("Closed")}, {"all", N_("All")}};

static void read_filter(const struct preq *q, struct filter *f)
{
    const char *v = portal_arg(q, "view"), *s = portal_arg(q, "status");
    const char *text = portal_arg(q, "q");

    f->view =
        v && !strcmp(v, "company") &&
                q->p->core->cfg->portal.visibility == DK_VISIBILITY_COMPANY &&
                q->who.company_id
            ? "company"
            : "mine";
    f->status = "open";
    for (size_t i = 0; s && i < 3; i++)
        if (!strcmp(s, statuses[i][0]))
            f->status = statuses[i][0];
    f->q = text && strlen(text) <= 200 ? text : "";
}

/* The status a contact sees: Open/Closed, or the stage's name. */
void portal_status(struct dk_buf *b, const struct preq *q, bool closed,
                   const char *stage)
{
    html_printf(b, "<span class=\"status%s\">", closed ? " closed" : "");
    if (q->p->core->cfg->portal.show_stage_names && stage)
        html_txt(b, stage);
    else
        html_txt(b, closed ? T(q, "Closed") : T(q, "Open"));
    html_raw(b, "</span>");
}

static void view_link(struct dk_buf *b, const struct filter *f,
                      const char *view, const char *label)
{
    html_raw(b, "<li><a href=\"/tickets?view=");
    html_url_arg(b, view);
    html_raw(b, "&amp;status=");
    html_url_arg(b, f->status);
    html_raw(b, "\"");
    if (!strcmp(f->view, view))
        html_raw(b, " aria-current=\"page\"");
    html_printf(b, ">%s</a></li>\n", label);
}

static void filters(struct dk_buf *b, const struct preq *q,
                    const struct filter *f)
{
    if (q->p->core->cfg->portal.visibility == DK_VISIBILITY_COMPANY &&
        q->who.company_id) {
        html_raw(b, "<ul class=\"views\">\n");
        view_link(b, f, "company", T(q, "Organization tickets"));
        view_link(b, f, "mine", T(q, "Owned by me"));
        html_raw(b, "</ul>\n");
    }
    html_raw(b, "<form class=\"filters\" method=\"get\" action=\"/tickets\">\n"
                "<input type=\"hidden\" name=\"view\" value=\"");
    html_attr(b, f->view);
    html_printf(b,
                "\">\n<label for=\"status\">%s\n"
                "<select id=\"status\" name=\"status\">\n",
                T(q, "Status"));
    for (size_t i = 0; i < 3; i++) {
        html_raw(b, "<option value=\"");
        html_attr(b, statuses[i][0]);
        html_raw(b, "\"");
        if (!strcmp(f->status, statuses[i][0]))
            html_raw(b, " selected");
        html_printf(b, ">%s</option>\n", T(q, statuses[i][1]));
    }
    html_printf(b,
                "</select></label>\n<label for=\"q\">%s\n"
                "<input type=\"search\" id=\"q\" name=\"q\" value=\"",
                T(q, "Search"));
    html_attr(b, f->q);
    html_printf(b,
                "\"></label>\n<button type=\"submit\">%s</button>\n</form>\n",
                T(q, "Show"));
}

/* portal_tickets()'s columns, in its RETURNS TABLE's order. */
enum {
    L_ID,
    L_SUBJECT,
    L_CREATED,
    L_LAST_ACTIVITY,
    L_CLOSED,
    L_CLOSED_AT,
    L_PIPELINE,
    L_STAGE,
    L_STAGE_NAME,
    L_CONTACT_NAME,
    L_MINE
};

static void listed(struct preq *q, PGresult *res)
{
    const struct dk_config *cfg = q->p->core->cfg;
    const char *label = portal_setting(q, cfg->portal.ticket_label, "Tickets");
    struct filter f;
    struct dk_buf b = DK_BUF_INIT(0);
    int n;

    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    /* The schema's version says which shape the function has; a check
     * here too, so that a mismatch is an error page, never a crash. */
    if (PQnfields(res) != L_MINE + 1) {
        dk_log(DK_LOG_ERROR,
               "portal: portal_tickets() returned %d columns, "
               "not %d: run docketctl migrate",
               PQnfields(res), L_MINE + 1);
        portal_message(
            q, 500, T(q, "Something went wrong"),
            T(q, "The helpdesk could not do that. Please try again."));
        return;
    }
    read_filter(q, &f);
    n = PQntuples(res);
    html_printf(&b, "<h1>%s</h1>\n", label);
    filters(&b, q, &f);
    if (n == 0) {
        html_printf(&b, "<p class=\"empty\">%s", T(q, "Nothing to show here."));
        if (cfg->portal.support_form.enabled)
            html_printf(&b, " <a href=\"/new\">%s</a>",
                        portal_setting(q, cfg->portal.support_form.menu_text,
                                       "Submit a request"));
        html_raw(&b, "</p>\n");
    } else {
        html_printf(&b,
                    "<table class=\"tickets\">\n<thead><tr>"
                    "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                    "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                    "<th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
                    T(q, "ID"), T(q, "Subject"), T(q, "Created"),
                    T(q, "Last activity"), T(q, "Status"));
        /* The one asked for beyond LIST_LIMIT only says there are more. */
        for (int i = 0; i < n && i < LIST_LIMIT; i++) {
            long long id = atoll(PQgetvalue(res, i, L_ID));
            html_printf(&b,
                        "<tr data-ticket=\"%lld\"><td data-label=\"%s\">"
                        "#%lld</td>",
                        id, T(q, "ID"), id);
            html_printf(&b, "<td class=\"subject\"><a href=\"/tickets/%lld\">",
                        id);
            html_txt(&b, PQgetvalue(res, i, L_SUBJECT));
            html_printf(&b, "</a></td><td data-label=\"%s\">", T(q, "Created"));
            portal_date(&b, q, PQgetvalue(res, i, L_CREATED));
            html_printf(&b, "</td><td data-label=\"%s\">",
                        T(q, "Last activity"));
            portal_date(&b, q, PQgetvalue(res, i, L_LAST_ACTIVITY));
            html_printf(&b, "</td><td data-label=\"%s\">", T(q, "Status"));
            portal_status(&b, q, PQgetvalue(res, i, L_CLOSED)[0] == 't',
                          PQgetisnull(res, i, L_STAGE_NAME)
                              ? NULL
                              : PQgetvalue(res, i, L_STAGE_NAME));
            html_raw(&b, "</td></tr>\n");
        }
        html_raw(&b, "</tbody>\n</table>\n");
        if (n > LIST_LIMIT) {
            html_raw(&b, "<p class=\"meta\">");
            html_printf(&b,
                        T(q, "These are the %d with the most recent activity. "
                             "Search, or choose a status, to find older ones."),
                        LIST_LIMIT);
            html_raw(&b, "</p>\n");
        }
    }
    portal_page(q, 200, label, &b);
}

void page_tickets(struct preq *q)
{
    struct filter f;
    struct db_query *dq;

    read_filter(q, &f);
    portal_live(q);
    dq = db_query_new("SELECT * FROM portal_tickets($1::bigint, $2, "
                      "$3::text[], $4, $5, $6, $7::integer)",
                      7);
    db_query_prepared(dq); /* every list view: parsed once per session */
    portal_bind_viewer(dq, q);
    db_param(dq, 3, f.view);
    db_param(dq, 4, f.status);
    db_param(dq, 5, f.q);
    db_param_ll(dq, 6, LIST_LIMIT + 1);
    portal_query(q, dq, listed);
}
