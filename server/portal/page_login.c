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

    html_raw(&b, "<h1>Log in</h1>\n");
    if (error)
        html_printf(&b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
    html_raw(&b, "<form class=\"stack\" method=\"post\" action=\"/login\">\n");
    portal_csrf_field(q, &b);
    html_raw(&b, "<label for=\"email\">Email</label>\n"
                 "<input type=\"email\" id=\"email\" name=\"email\" "
                 "autocomplete=\"username\" required value=\"");
    html_attr(&b, email ? email : "");
    html_raw(&b, "\">\n<label for=\"password\">Password</label>\n"
                 "<input type=\"password\" id=\"password\" name=\"password\" "
                 "autocomplete=\"current-password\" required>\n"
                 "<button type=\"submit\">Log in</button>\n</form>\n"
                 "<p><a href=\"/reset\">Forgot your password?</a></p>\n");
    if (cfg->portal.access == DK_ACCESS_SELF_REGISTRATION)
        html_raw(&b,
                 "<p>No account yet? <a href=\"/signup\">Sign up</a>.</p>\n");
    portal_page(q, status, "Log in", &b);
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
        login_form(q, 429, r->message, portal_field(q, "email", 254));
        return;
    case DK_OUT_FORBIDDEN:
        login_form(q, 200, "Wrong email or password.",
                   portal_field(q, "email", 254));
        return;
    default:
        portal_message(q, 503, "Try again shortly",
                       r->message ? r->message : "Logging in did not work.");
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
        login_form(q, 400, "Enter your email address and your password.",
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
