/*
 * page_login.c - logging in and out.  A login goes through the auth
 * layer (auth_contact_login: the limiter in PostgreSQL first, Argon2id off
 * the loop, a dummy hash for an address that has no account), and every
 * failure reads the same, so the page does not tell who has an account.
 */
#include "portal_int.h"
#include "auth.h"
#include "core.h"
#include "db.h"
#include "html.h"

#include <stdlib.h>
#include <string.h>

static void login_form(struct preq *q, int status, const char *error,
                       const char *email)
{
    struct dk_buf b = DK_BUF_INIT(0);
    const struct dk_config *cfg = q->p->core->cfg;

    html_printf(&b, "<h1>%s</h1>\n", T(q, "Log in"));
    if (error)
        html_printf(&b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
    html_raw(&b, "<form class=\"stack\" method=\"post\" action=\"/login\">\n");
    portal_csrf_field(q, &b);
    html_printf(&b,
                "<label for=\"email\">%s</label>\n"
                "<input type=\"email\" id=\"email\" name=\"email\" "
                "autocomplete=\"username\" required value=\"",
                T(q, "Email"));
    html_attr(&b, email ? email : "");
    html_printf(&b,
                "\">\n<label for=\"password\">%s</label>\n"
                "<input type=\"password\" id=\"password\" name=\"password\" "
                "autocomplete=\"current-password\" required>\n"
                "<button type=\"submit\">%s</button>\n</form>\n"
                "<p><a href=\"/reset\">%s</a></p>\n",
                T(q, "Password"), T(q, "Log in"),
                T(q, "Forgot your password?"));
    portal_sign_in_links(q, &b);
    if (cfg->portal.access == DK_ACCESS_SELF_REGISTRATION)
        html_printf(&b, "<p>%s <a href=\"/signup\">%s</a></p>\n",
                    T(q, "No account yet?"), T(q, "Sign up"));
    portal_page(q, status, T(q, "Log in"), &b);
}

void page_login(struct preq *q)
{
    if (q->logged_in) {
        portal_redirect(q, "/tickets", 0);
        return;
    }
    login_form(q, 200, NULL, NULL);
}

static void logged_in(void *arg, const struct auth_result *r)
{
    struct preq *q = arg;

    switch (r->outcome) {
    case DK_OUT_OK:
        portal_set_session(q, r->token);
        portal_redirect(q, "/tickets", 0);
        return;
    case DK_OUT_TOO_MANY:
        login_form(q, 429,
                   q->lang == DK_LANG_EN
                       ? r->message
                       : T(q, "Too many failed attempts. Wait a few minutes "
                              "and try again."),
                   portal_field(q, "email", 254));
        return;
    case DK_OUT_FORBIDDEN:
        login_form(q, 200, T(q, "Wrong email or password."),
                   portal_field(q, "email", 254));
        return;
    default:
        portal_message(
            q, 503, T(q, "Try again shortly"),
            T(q, "Logging in did not work. Please try again in a moment."));
    }
}

static bool went_away(void *arg)
{
    struct preq *q = arg;

    return http_exchange_gone(q->x);
}

void page_login_post(struct preq *q)
{
    const char *email = portal_field(q, "email", 254);
    const char *password = portal_field(q, "password", 1024);
    struct auth_caller who = {logged_in, went_away, q};

    if (!email || !*email || !password || !*password) {
        login_form(q, 400, T(q, "Enter your email address and your password."),
                   email);
        return;
    }
    auth_contact_login(q->p->auth, email, password, q->r->peer, who);
}

static void logged_out(struct preq *q, PGresult *res)
{
    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    /* This instance forgets at once; the others when session_end()'s
     * NOTIFY reaches them. */
    portal_cache_forget(q->p, q->who.id);
    portal_clear_session(q);
    q->logged_in = false;
    portal_redirect(q, "/login", FLASH_LOGGED_OUT);
}

void page_logout_post(struct preq *q)
{
    struct db_query *dq;

    if (!q->logged_in) {
        portal_redirect(q, "/login", 0);
        return;
    }
    dq = db_query_new("SELECT portal_logout($1::bigint)", 1);
    db_param_ll(dq, 0, q->who.session_id);
    portal_query(q, dq, logged_out);
}
