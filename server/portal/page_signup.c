/*
 * page_signup.c - self-registration (portal.access: self_registration):
 * GET,POST /signup takes an address, a name and a password, and answers
 * the same for every address; the account works only once the emailed
 * link, GET /signup/confirm?token=T (24 hours, single use), is opened.
 * With access by list these pages do not exist (404).
 */
#include "portal_int.h"
#include "core.h"
#include "db.h"
#include "html.h"

#include <string.h>

static bool enabled(struct preq *q)
{
    if (q->p->core->cfg->portal.access == DK_ACCESS_SELF_REGISTRATION)
        return true;
    portal_not_found(q);
    return false;
}

static void signup_form(struct preq *q, int status, const char *error)
{
    struct dk_buf b = DK_BUF_INIT(0);
    static const struct {
        const char *name, *label, *type, *autocomplete;
    } fields[] = {
        {"email", N_("Email"), "email", "email"},
        {"first", N_("First name"), "text", "given-name"},
        {"last", N_("Last name"), "text", "family-name"},
    };

    html_printf(&b, "<h1>%s</h1>\n", T(q, "Sign up"));
    if (error)
        html_printf(&b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
    html_raw(&b, "<form class=\"stack\" method=\"post\" action=\"/signup\">\n");
    portal_csrf_field(q, &b);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *v = portal_field(q, fields[i].name, 254);
        html_printf(&b, "<label for=\"%s\">%s</label>\n", fields[i].name,
                    T(q, fields[i].label));
        html_printf(&b,
                    "<input type=\"%s\" id=\"%s\" name=\"%s\" "
                    "autocomplete=\"%s\" required value=\"",
                    fields[i].type, fields[i].name, fields[i].name,
                    fields[i].autocomplete);
        html_attr(&b, v ? v : "");
        html_raw(&b, "\">\n");
    }
    portal_consent_fields(q, &b);
    portal_password_fields(q, &b, T(q, "Password"));
    html_printf(&b, "<button type=\"submit\">%s</button>\n</form>\n",
                T(q, "Sign up"));
    portal_page(q, status, T(q, "Sign up"), &b);
}

void page_signup(struct preq *q)
{
    if (!enabled(q))
        return;
    if (q->logged_in) {
        portal_redirect(q, "/tickets", 0);
        return;
    }
    signup_form(q, 200, NULL);
}

static void signed_up(struct preq *q, PGresult *res)
{
    if (!db_ok(res)) {
        if (db_outcome(res).outcome == DK_OUT_BAD_INPUT) {
            signup_form(q, 400,
                        q->lang == DK_LANG_EN
                            ? db_outcome(res).message
                            : T(q, "The helpdesk could not accept that. "
                                   "Check what you entered and try again."));
            return;
        }
        portal_db_error(q, res);
        return;
    }
    portal_message(q, 200, T(q, "Check your email"),
                   T(q, "We have sent a link to the address you gave. Open it "
                        "within 24 hours to start using your account."));
}

static void signup_hashed(struct preq *q, const char *hash)
{
    const struct dk_config *cfg = q->p->core->cfg;
    char token[DK_TOKEN_LEN + 1];
    struct db_query *dq;

    dk_token_new(token);
    dq =
        db_query_new("SELECT portal_signup($1, $2, $3, $4, $5, $6, $7, $8)", 8);
    db_param(dq, 0, portal_field(q, "email", 254));
    db_param(dq, 1, portal_field(q, "first", 100));
    db_param(dq, 2, portal_field(q, "last", 100));
    db_param(dq, 3, hash);
    db_param(dq, 4, token);
    db_param(dq, 5, cfg->portal.base_url);
    db_param(dq, 6, portal_setting(q, cfg->portal.title, "Customer Portal"));
    db_param(dq, 7, i18n_code(q->lang));
    portal_query(q, dq, signed_up);
}

void page_signup_post(struct preq *q)
{
    const char *email = portal_field(q, "email", 254);
    const char *first = portal_field(q, "first", 100);
    const char *last = portal_field(q, "last", 100);
    const char *error = NULL, *pw;

    if (!enabled(q))
        return;
    if (!email || !strchr(email, '@') || !first || !*first || !last || !*last) {
        signup_form(q, 400,
                    T(q, "Enter your email address, your first name and your "
                         "last name (at most 100 characters each)."));
        return;
    }
    if (!portal_field(q, "consent", 10)) {
        signup_form(q, 400, T(q, "Please read the text and tick the box."));
        return;
    }
    if (!(pw = portal_new_password(q, &error))) {
        signup_form(q, 400, error);
        return;
    }
    /* Hashed whether or not the address is known: the same work for
     * every address. */
    portal_hash_then(q, pw, signup_hashed);
}

void page_signup_confirm(struct preq *q)
{
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];

    if (!enabled(q))
        return;
    if (!portal_link_token(q, hex)) {
        portal_link_dead(q);
        return;
    }
    portal_account_step(q,
                        "SELECT portal_signup_confirm(decode($1, 'hex')) "
                        "WHERE $2::text IS NULL",
                        hex, NULL, i18n_code(q->lang), FLASH_CONFIRMED);
}
