/*
 * layout.c - the one layout every portal page shares: the document head
 * and its stylesheet, a header with the portal's title and logo, the menu
 * (the list, the support form, logout), the flash message of the last
 * action, and the footer.  Also the date format the pages use.
 */
#include "portal_int.h"
#include "core.h"
#include "dk_config.h"
#include "feed.h"
#include "html.h"

#include <string.h>

static const char *const flashes[FLASH_COUNT] = {
    [FLASH_SENT] = "Your reply has been sent.",
    [FLASH_CREATED] = "Thank you: your request has been received.",
    [FLASH_LOGGED_OUT] = "You have logged out.",
    [FLASH_REGISTERED] = "Welcome! Your account is ready.",
    [FLASH_PASSWORD] = "Your password has been changed.",
    [FLASH_CONFIRMED] = "Your address is confirmed and your account is ready.",
    [FLASH_EMPTY_REPLY] = "Write a message or attach a file to reply.",
    [FLASH_REPLY_CLOSED] =
        "This request was closed too long ago to reply to: please send a "
        "new request.",
    [FLASH_LOGIN_FIRST] = "Please log in to continue.",
};

void portal_live(struct preq *q)
{
    q->live = true;
    q->live_since = feed_head(q->p->core->feed);
}

void portal_date(struct dk_buf *b, const char *iso)
{
    /* "2026-12-01T14:03:59Z" is shown as "2026-12-01 14:03 UTC", inside a
     * <time> that keeps the exact value. */
    if (!iso || strlen(iso) < 16) {
        html_txt(b, iso ? iso : "");
        return;
    }
    html_raw(b, "<time datetime=\"");
    html_attr(b, iso);
    html_raw(b, "\">");
    html_txt_n(b, iso, 10);
    html_raw(b, " ");
    html_txt_n(b, iso + 11, 5);
    html_raw(b, " UTC</time>");
}

static void nav(struct preq *q, struct dk_buf *b)
{
    const struct dk_config *cfg = q->p->core->cfg;

    html_raw(b, "<nav aria-label=\"Main\"><ul>\n");
    if (q->logged_in) {
        html_printf(b, "<li><a href=\"/tickets\">%s</a></li>\n",
                    cfg->portal.ticket_label);
        if (cfg->portal.support_form.enabled)
            html_printf(b, "<li><a href=\"/new\">%s</a></li>\n",
                        cfg->portal.support_form.menu_text);
        html_raw(b, "<li><form method=\"post\" action=\"/logout\">");
        portal_csrf_field(q, b);
        html_raw(b, "<button type=\"submit\" class=\"link\">Log out</button>"
                    "</form></li>\n");
    } else {
        html_raw(b, "<li><a href=\"/login\">Log in</a></li>\n");
        if (cfg->portal.access == DK_ACCESS_SELF_REGISTRATION)
            html_raw(b, "<li><a href=\"/signup\">Sign up</a></li>\n");
    }
    html_raw(b, "</ul></nav>\n");
}

void portal_page(struct preq *q, int status, const char *title,
                 struct dk_buf *body)
{
    const struct dk_config *cfg = q->p->core->cfg;
    struct dk_buf b = DK_BUF_INIT(0);

    html_raw(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                 "<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, "
                 "initial-scale=1\">\n");
    html_printf(&b, "<title>%s - %s</title>\n", title, cfg->portal.title);
    html_raw(&b, "<link rel=\"stylesheet\" href=\"/static/portal.css\">\n");
    if (q->live)
        html_raw(&b, "<script src=\"/static/portal.js\" defer></script>\n");
    html_raw(&b, "</head>\n<body>\n<header class=\"site\">\n");
    html_raw(&b, "<a class=\"brand\" href=\"/\">");
    if (q->p->logo)
        html_raw(&b, "<img src=\"/static/logo\" alt=\"\" height=\"40\">");
    html_printf(&b, "<span>%s</span></a>\n", cfg->portal.title);
    if (q->logged_in) {
        html_raw(&b, "<p class=\"who\">");
        html_txt(&b, q->who.first_name);
        html_raw(&b, " ");
        html_txt(&b, q->who.last_name);
        if (q->who.company_name && q->who.company_name[0]) {
            html_raw(&b, ", ");
            html_txt(&b, q->who.company_name);
        }
        html_raw(&b, "</p>\n");
    }
    nav(q, &b);
    html_raw(&b, "</header>\n");
    if (q->live && q->id)
        html_printf(&b,
                    "<main data-events=\"/events?since=%lld&amp;ticket=%lld\" "
                    "data-ticket=\"%lld\">\n",
                    q->live_since, q->id, q->id);
    else if (q->live)
        html_printf(&b, "<main data-events=\"/events?since=%lld\">\n",
                    q->live_since);
    else
        html_raw(&b, "<main>\n");
    if (q->flash > 0 && q->flash < FLASH_COUNT && flashes[q->flash])
        html_printf(&b, "<p class=\"flash\" role=\"status\">%s</p>\n",
                    flashes[q->flash]);
    if (body)
        dk_buf_add(&b, body->data ? body->data : "", body->len);
    html_raw(&b, "</main>\n<footer class=\"site\"><p>");
    html_txt(&b, cfg->portal.title);
    html_raw(&b, "</p></footer>\n</body>\n</html>\n");
    dk_buf_free(body);
    portal_bytes(q, status, "text/html; charset=utf-8",
                 "Cache-Control: no-store\r\n", &b);
    dk_buf_free(&b);
}

void portal_error_page(void *arg, int status, const char *text,
                       struct dk_buf *body)
{
    const struct portal *p = arg;
    const struct dk_config *cfg = p->core->cfg;
    const char *title = status == 413 ? "Too large" : "That did not work";

    /* No session is known here (the request was not read to its end):
     * the page says what happened and leads back, nothing more. */
    html_raw(body, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                   "<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, "
                   "initial-scale=1\">\n");
    html_printf(body, "<title>%s - %s</title>\n", title, cfg->portal.title);
    html_raw(body, "<link rel=\"stylesheet\" href=\"/static/portal.css\">\n"
                   "</head>\n<body>\n<header class=\"site\">\n"
                   "<a class=\"brand\" href=\"/\">");
    html_printf(body, "<span>%s</span></a>\n</header>\n<main>\n<h1>%s</h1>\n",
                cfg->portal.title, title);
    if (status == 413)
        html_printf(body,
                    "<p>Each file may be at most %zu MB, and a form may "
                    "carry 10 files and 50 MB in all. Go back and send "
                    "fewer or smaller files.</p>\n",
                    cfg->portal.max_upload_bytes / (1024 * 1024)
                        ? cfg->portal.max_upload_bytes / (1024 * 1024)
                        : 1);
    else if (status == 503)
        html_raw(body, "<p>The helpdesk is busy receiving other files. "
                       "Please try again in a minute.</p>\n");
    else
        html_raw(body, "<p>The helpdesk could not read that request. Go back "
                       "and try again.</p>\n");
    html_printf(body, "<p class=\"meta\">%s</p>\n", text);
    html_raw(body, "<p><a href=\"/\">Back to the start page</a></p>\n"
                   "</main>\n</body>\n</html>\n");
}
