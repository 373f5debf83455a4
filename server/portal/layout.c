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

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const flashes[FLASH_COUNT] = {
    [FLASH_SENT] = N_("Your reply has been sent."),
    [FLASH_CREATED] = N_("Thank you: your request has been received."),
    [FLASH_LOGGED_OUT] = N_("You have logged out."),
    [FLASH_REGISTERED] = N_("Welcome! Your account is ready."),
    [FLASH_PASSWORD] = N_("Your password has been changed."),
    [FLASH_CONFIRMED] =
        N_("Your address is confirmed and your account is ready."),
    [FLASH_EMPTY_REPLY] = N_("Write a message or attach a file to reply."),
    [FLASH_REPLY_CLOSED] =
        N_("This request was closed too long ago to reply to: please send a "
           "new request."),
    [FLASH_LOGIN_FIRST] = N_("Please log in to continue."),
    [FLASH_LANGUAGE] = N_("The portal now speaks your language."),
};

void portal_live(struct preq *q)
{
    q->live = true;
    q->live_since = feed_head(q->p->core->feed);
}

/* TRANSLATORS: a date and time as strftime(3) writes them; only %Y, %m,
 * %d, %H, %M (numbers: no names of months or days); the time is UTC. */
const char portal_date_format[] = N_("%Y-%m-%d %H:%M UTC");

bool portal_date_text(const struct preq *q, const char *iso, char *out,
                      size_t size)
{
    return portal_date_in(q->p, q->lang, iso, out, size);
}

bool portal_date_in(const struct portal *p, int lang, const char *iso,
                    char *out, size_t size)
{
    const char *fmt = i18n_tr(p, lang, portal_date_format);
    struct tm tm;

    /* A catalogue must not bring conversions that depend on a locale
     * (the process has none) or on more than the date. */
    for (const char *c = strchr(fmt, '%'); c; c = strchr(c + 2, '%'))
        if (!c[1] || !strchr("YmdHM%", c[1])) {
            fmt = portal_date_format;
            break;
        }
    memset(&tm, 0, sizeof(tm));
    if (!iso || !strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm) ||
        strftime(out, size, fmt, &tm) == 0) {
        snprintf(out, size, "%s", iso ? iso : "");
        return false;
    }
    return true;
}

void portal_date(struct dk_buf *b, const struct preq *q, const char *iso)
{
    char text[64];

    /* "2026-12-01T14:03:59Z" is shown as the language writes it
     * ("2026-12-01 14:03 UTC", "01.12.2026 kl. 14:03 UTC"), inside a
     * <time> that keeps the exact value. */
    if (!portal_date_text(q, iso, text, sizeof(text))) {
        html_txt(b, text);
        return;
    }
    html_raw(b, "<time datetime=\"");
    html_attr(b, iso);
    html_raw(b, "\">");
    html_txt(b, text);
    html_raw(b, "</time>");
}

static void nav(struct preq *q, struct dk_buf *b)
{
    const struct dk_config *cfg = q->p->core->cfg;

    html_printf(b, "<nav aria-label=\"%s\"><ul>\n", T(q, "Main"));
    if (q->logged_in) {
        html_printf(b, "<li><a href=\"/tickets\">%s</a></li>\n",
                    portal_setting(q, cfg->portal.ticket_label, "Tickets"));
        if (cfg->portal.support_form.enabled)
            html_printf(b, "<li><a href=\"/new\">%s</a></li>\n",
                        portal_setting(q, cfg->portal.support_form.menu_text,
                                       "Submit a request"));
        html_raw(b, "<li><form method=\"post\" action=\"/logout\">");
        portal_csrf_field(q, b);
        html_printf(b,
                    "<button type=\"submit\" class=\"link\">%s</button>"
                    "</form></li>\n",
                    T(q, "Log out"));
    } else {
        html_printf(b, "<li><a href=\"/login\">%s</a></li>\n", T(q, "Log in"));
        if (cfg->portal.access == DK_ACCESS_SELF_REGISTRATION)
            html_printf(b, "<li><a href=\"/signup\">%s</a></li>\n",
                        T(q, "Sign up"));
    }
    html_raw(b, "</ul></nav>\n");
}

const char *const portal_priorities[] = {"low", "medium", "high", NULL};

const char *portal_priority(const struct preq *q, const char *code)
{
    if (!strcmp(code, "low"))
        return T(q, "As time permits");
    if (!strcmp(code, "medium"))
        return T(q, "Within 2 business days");
    if (!strcmp(code, "high"))
        return T(q, "Urgent");
    return code;
}

const char *portal_setting(const struct preq *q, const char *value,
                           const char *english)
{
    return strcmp(value, english) ? value : T(q, english);
}

/* What the live pages' script writes, in the page's language: a JSON
 * object in data-text (the script reads it; nothing in it is markup). */
static void live_texts(struct preq *q, struct dk_buf *b)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:[s, s, s, s, s]}", "stale",
        T(q, "This page may be out of date."), "reload", T(q, "Reload it"),
        "stopped", T(q, "Live updates have stopped."), "replying_one",
        T(q, "%s is replying…"), "replying_many", T(q, "%s are replying…"),
        "bytes", T(q, "%lld bytes"), "labels", T(q, "ID"), T(q, "Subject"),
        T(q, "Created"), T(q, "Last activity"), T(q, "Status"));
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

    json_decref(o);
    if (!text)
        return;
    html_raw(b, " data-text=\"");
    html_attr(b, text);
    html_raw(b, "\"");
    free(text);
}

/* The languages to choose from, when there are several: a form that
 * works without JavaScript, back to the same page. */
static void languages(struct preq *q, struct dk_buf *b)
{
    const struct dk_strlist *l = &q->p->core->cfg->portal.languages;

    if (l->n < 2)
        return;
    html_raw(b, "<form class=\"language\" method=\"post\" "
                "action=\"/language\">\n");
    portal_csrf_field(q, b);
    html_raw(b, "<input type=\"hidden\" name=\"next\" value=\"");
    html_attr(b, q->r->path);
    if (q->r->query[0]) {
        html_raw(b, "?");
        html_attr(b, q->r->query);
    }
    html_printf(b,
                "\">\n<label for=\"language\">%s</label>\n"
                "<select id=\"language\" name=\"language\">\n",
                T(q, "Language"));
    for (size_t i = 0; i < l->n; i++) {
        int lang = i18n_offered(q->p, l->v[i]);
        if (lang < 0)
            continue;
        html_printf(b, "<option value=\"%s\" lang=\"%s\"%s>%s</option>\n",
                    i18n_code(lang), i18n_code(lang),
                    lang == q->lang ? " selected" : "", i18n_name(lang));
    }
    html_printf(b, "</select>\n<button type=\"submit\">%s</button>\n</form>\n",
                T(q, "Change"));
}

void portal_page(struct preq *q, int status, const char *title,
                 struct dk_buf *body)
{
    const struct dk_config *cfg = q->p->core->cfg;
    const char *site = portal_setting(q, cfg->portal.title, "Customer Portal");
    struct dk_buf b = DK_BUF_INIT(0);

    html_printf(&b,
                "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
                "<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, "
                "initial-scale=1\">\n",
                i18n_code(q->lang));
    html_printf(&b, "<title>%s - %s</title>\n", title, site);
    html_raw(&b, "<link rel=\"stylesheet\" href=\"/static/portal.css\">\n");
    if (q->live)
        html_raw(&b, "<script src=\"/static/portal.js\" defer></script>\n");
    html_raw(&b, "</head>\n<body>\n<header class=\"site\">\n");
    html_raw(&b, "<a class=\"brand\" href=\"/\">");
    if (q->p->logo)
        html_raw(&b, "<img src=\"/static/logo\" alt=\"\" height=\"40\">");
    html_printf(&b, "<span>%s</span></a>\n", site);
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
    if (q->live) {
        if (q->id)
            html_printf(
                &b,
                "<main data-events=\"/events?since=%lld&amp;ticket=%lld\" "
                "data-ticket=\"%lld\"",
                q->live_since, q->id, q->id);
        else
            html_printf(&b, "<main data-events=\"/events?since=%lld\"",
                        q->live_since);
        live_texts(q, &b);
        html_raw(&b, ">\n");
    } else {
        html_raw(&b, "<main>\n");
    }
    if (q->flash > 0 && q->flash < FLASH_COUNT && flashes[q->flash])
        html_printf(&b, "<p class=\"flash\" role=\"status\">%s</p>\n",
                    T(q, flashes[q->flash]));
    if (body)
        dk_buf_add(&b, body->data ? body->data : "", body->len);
    html_raw(&b, "</main>\n<footer class=\"site\"><p>");
    html_txt(&b, site);
    html_raw(&b, "</p>\n");
    languages(q, &b);
    html_raw(&b, "</footer>\n</body>\n</html>\n");
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
    /* No request is known here (it was not read to its end): the
     * portal's default language. */
    struct preq dq = {.p = (struct portal *)p,
                      .lang = cfg->portal.default_language};
    const struct preq *q = &dq;
    const char *site = portal_setting(q, cfg->portal.title, "Customer Portal");
    const char *title =
        status == 413 ? T(q, "Too large") : T(q, "That did not work");
    size_t mb = cfg->portal.max_upload_bytes / (1024 * 1024);

    /* No session is known either: the page says what happened and leads
     * back, nothing more. */
    html_printf(body,
                "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
                "<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, "
                "initial-scale=1\">\n",
                i18n_code(q->lang));
    html_printf(body, "<title>%s - %s</title>\n", title, site);
    html_raw(body, "<link rel=\"stylesheet\" href=\"/static/portal.css\">\n"
                   "</head>\n<body>\n<header class=\"site\">\n"
                   "<a class=\"brand\" href=\"/\">");
    html_printf(body, "<span>%s</span></a>\n</header>\n<main>\n<h1>%s</h1>\n",
                site, title);
    if (status == 413) {
        html_raw(body, "<p>");
        /* A catalogue's format: i18n.c has checked that it takes the
         * same conversions. */
        html_printf(body,
                    T(q, "Each file may be at most %zu MB, and a form may "
                         "carry 10 files and 50 MB in all. Go back and send "
                         "fewer or smaller files."),
                    mb ? mb : 1);
        html_raw(body, "</p>\n");
    } else if (status == 503)
        html_printf(body, "<p>%s</p>\n",
                    T(q, "The helpdesk is busy receiving other files. "
                         "Please try again in a minute."));
    else
        html_printf(body, "<p>%s</p>\n",
                    T(q, "The helpdesk could not read that request. Go back "
                         "and try again."));
    html_printf(body, "<p class=\"meta\">%s</p>\n", text);
    html_printf(body,
                "<p><a href=\"/\">%s</a></p>\n</main>\n</body>\n</html>\n",
                T(q, "Back to the start page"));
}
