/*
 * page_reset.c - a forgotten password: GET,POST /reset asks for the
 * address and answers the same whether or not it has an account (the
 * email goes only to one that has); GET,POST /reset/confirm?token=T, from
 * that email, sets the new password, ends every other session of the
 * contact and logs them in.
 */
#include "portal_int.h"
#include "core.h"
#include "db.h"
#include "html.h"

#include <string.h>

static void reset_form(struct preq *q, int status, const char *error)
{
    struct dk_buf b = DK_BUF_INIT(0);

    html_printf(&b, "<h1>%s</h1>\n<p>%s</p>\n", T(q, "Reset your password"),
                T(q, "Enter the address you log in with. We will email you a "
                     "link to choose a new password."));
    if (error)
        html_printf(&b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
    html_raw(&b, "<form class=\"stack\" method=\"post\" action=\"/reset\">\n");
    portal_csrf_field(q, &b);
    html_printf(&b,
                "<label for=\"email\">%s</label>\n"
                "<input type=\"email\" id=\"email\" name=\"email\" "
                "autocomplete=\"username\" required>\n"
                "<button type=\"submit\">%s</button>\n</form>\n",
                T(q, "Email"), T(q, "Send me a link"));
    portal_page(q, status, T(q, "Reset your password"), &b);
}

void page_reset(struct preq *q)
{
    reset_form(q, 200, NULL);
}

static void requested(struct preq *q, PGresult *res)
{
    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    /* The same words for every address: known, unknown, not registered. */
    portal_message(q, 200, T(q, "Check your email"),
                   T(q,
                     "If that address has an account, we have sent it a link "
                     "to choose a new password. The link works for one hour."));
}

void page_reset_post(struct preq *q)
{
    const struct dk_config *cfg = q->p->core->cfg;
    const char *email = portal_field(q, "email", 254);
    char token[DK_TOKEN_LEN + 1];
    struct db_query *dq;

    if (!email || !strchr(email, '@')) {
        reset_form(q, 400, T(q, "Enter the email address you log in with."));
        return;
    }
    dk_token_new(token);
    /* The function does the same work for every address it is given: it
     * looks the contact up, and only for one with an account stores the
     * link's hash and queues the email. */
    dq = db_query_new("SELECT portal_reset_request($1, $2, $3, $4, $5, $6)", 6);
    db_param(dq, 0, email);
    db_param(dq, 1, portal_access(q->p));
    db_param(dq, 2, cfg->portal.access_list);
    db_param(dq, 3, token);
    db_param(dq, 4, cfg->portal.base_url);
    db_param(dq, 5, portal_setting(q, cfg->portal.title, "Customer Portal"));
    portal_query(q, dq, requested);
}

static void new_password_form(struct preq *q, int status, const char *name,
                              const char *error)
{
    struct dk_buf b = DK_BUF_INIT(0);

    (void)name;
    html_printf(&b, "<h1>%s</h1>\n", T(q, "Choose a new password"));
    if (error)
        html_printf(&b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
    html_raw(&b, "<form class=\"stack\" method=\"post\" "
                 "action=\"/reset/confirm?token=");
    html_url_arg(&b, portal_arg(q, "token"));
    html_raw(&b, "\">\n");
    portal_csrf_field(q, &b);
    portal_password_fields(q, &b, T(q, "New password"));
    html_printf(&b, "<button type=\"submit\">%s</button>\n</form>\n",
                T(q, "Save my new password"));
    portal_page(q, status, T(q, "Choose a new password"), &b);
}

/* Every session of the contact ends (portal_reset_finish), and the one
 * made by the step is the only one left. */
static const struct link_page reset = {
    "reset",        "SELECT portal_reset_finish(decode($1, 'hex'), $2)",
    FLASH_PASSWORD, false,
    false,          new_password_form};

void page_reset_confirm(struct preq *q)
{
    portal_link_get(q, &reset);
}

void page_reset_confirm_post(struct preq *q)
{
    portal_link_post(q, &reset);
}
