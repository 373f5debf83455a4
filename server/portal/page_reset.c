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

    html_raw(&b, "<h1>Reset your password</h1>\n"
                 "<p>Enter the address you log in with. We will email you a "
                 "link to choose a new password.</p>\n");
    if (error)
        html_printf(&b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
    html_raw(&b, "<form class=\"stack\" method=\"post\" action=\"/reset\">\n");
    portal_csrf_field(q, &b);
    html_raw(&b, "<label for=\"email\">Email</label>\n"
                 "<input type=\"email\" id=\"email\" name=\"email\" "
                 "autocomplete=\"username\" required>\n"
                 "<button type=\"submit\">Send me a link</button>\n</form>\n");
    portal_page(q, status, "Reset your password", &b);
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
    portal_message(q, 200, "Check your email",
                   "If that address has an account, we have sent it a link "
                   "to choose a new password. The link works for one hour.");
}

void page_reset_post(struct preq *q)
{
    const struct dk_config *cfg = q->p->core->cfg;
    const char *email = portal_field(q, "email", 254);
    char token[DK_TOKEN_LEN + 1];
    struct db_query *dq;

    if (!email || !strchr(email, '@')) {
        reset_form(q, 400, "Enter the email address you log in with.");
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
    db_param(dq, 5, cfg->portal.title);
    portal_query(q, dq, requested);
}

static void new_password_form(struct preq *q, int status, const char *error)
{
    struct dk_buf b = DK_BUF_INIT(0);

    html_raw(&b, "<h1>Choose a new password</h1>\n");
    if (error)
        html_printf(&b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
    html_raw(&b, "<form class=\"stack\" method=\"post\" "
                 "action=\"/reset/confirm?token=");
    html_url_arg(&b, portal_arg(q, "token"));
    html_raw(&b, "\">\n");
    portal_csrf_field(q, &b);
    html_raw(&b, "<label for=\"password\">New password (at least 8 "
                 "characters)</label>\n"
                 "<input type=\"password\" id=\"password\" name=\"password\" "
                 "autocomplete=\"new-password\" minlength=\"8\" required>\n"
                 "<label for=\"password2\">The same password again</label>\n"
                 "<input type=\"password\" id=\"password2\" name=\"password2\" "
                 "autocomplete=\"new-password\" minlength=\"8\" required>\n"
                 "<button type=\"submit\">Save my new password</button>\n"
                 "</form>\n");
    portal_page(q, status, "Choose a new password", &b);
}

static void peeked(struct preq *q, PGresult *res)
{
    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    if (PQntuples(res) != 1) {
        portal_link_dead(q);
        return;
    }
    new_password_form(q, 200, NULL);
}

void page_reset_confirm(struct preq *q)
{
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];
    struct db_query *dq;

    if (!portal_link_token(q, hex)) {
        portal_link_dead(q);
        return;
    }
    dq = db_query_new("SELECT contact_id FROM "
                      "portal_token_peek(decode($1, 'hex'), 'reset')",
                      1);
    db_param(dq, 0, hex);
    portal_query(q, dq, peeked);
}

static void reset_hashed(struct preq *q, const char *hash)
{
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];

    portal_link_token(q, hex);
    /* Every session of the contact ends (portal_reset_finish), and the
     * one made here is the only one left. */
    portal_account_step(q, "SELECT portal_reset_finish(decode($1, 'hex'), $2)",
                        hex, hash, FLASH_PASSWORD);
}

void page_reset_confirm_post(struct preq *q)
{
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];
    const char *error = NULL, *pw;

    if (!portal_link_token(q, hex)) {
        portal_link_dead(q);
        return;
    }
    if (!(pw = portal_new_password(q, &error))) {
        new_password_form(q, 400, error);
        return;
    }
    portal_hash_then(q, pw, reset_hashed);
}
