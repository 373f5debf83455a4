/*
 * signin.c - where every single sign-on ends (the agency's JWT, OpenID
 * Connect, SAML): the contact named by a verified email, allowed by
 * portal.access, gets a fresh session; anyone else sees access denied.
 * Also the login page's list of those ways in.
 */
#include "portal_int.h"
#include "core.h"
#include "db.h"
#include "dk_log.h"
#include "html.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void portal_sign_in_denied(struct preq *q, const char *how, const char *why)
{
    dk_log(DK_LOG_WARN, "portal: %s sign-in refused from %s: %s", how,
           q->r->peer, why);
    portal_message(q, 403, T(q, "Access denied"),
                   T(q, "You cannot use this portal with that sign-in. Ask the "
                        "helpdesk if you think you should."));
}

void portal_token_hash_hex(const char *token,
                           char hex[DK_TOKEN_HASH_LEN * 2 + 1])
{
    unsigned char h[DK_TOKEN_HASH_LEN];

    dk_token_hash(token, h);
    sodium_bin2hex(hex, DK_TOKEN_HASH_LEN * 2 + 1, h, sizeof(h));
}

void portal_sign_in_db_error(struct preq *q, PGresult *res)
{
    if (db_outcome(res).outcome == DK_OUT_TOO_MANY)
        portal_message(q, 429, T(q, "Try again shortly"),
                       T(q, "Too many sign-ins were begun from here. "
                            "Wait a few minutes and try again."));
    else
        portal_db_error(q, res);
}

struct sign_in {
    char token[DK_TOKEN_LEN + 1];
    char how[16];
};

static void signed_in(struct preq *q, PGresult *res)
{
    struct sign_in *s = q->page_data;

    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        portal_sign_in_denied(q, s->how, "the email is not an allowed contact");
        return;
    }
    dk_log(DK_LOG_INFO, "portal: contact %s signed in by %s from %s",
           PQgetvalue(res, 0, 1), s->how, q->r->peer);
    portal_set_session(q, s->token);
    portal_redirect(q, "/tickets", 0);
}

static void sign_in_free(void *data)
{
    sodium_memzero(data, sizeof(struct sign_in));
    free(data);
}

void portal_sign_in(struct preq *q, const char *email, const char *how)
{
    struct portal *p = q->p;
    struct sign_in *s;
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];
    struct db_query *dq;

    if (!email || !*email || strlen(email) > 254) {
        portal_sign_in_denied(q, how, "no usable email");
        return;
    }
    /* ASCII only: PostgreSQL's lower() folds some other letters into
     * ASCII ones (the Kelvin sign into "k"), and a provider's verified
     * "Kari@" spelt so would be Kari's. */
    for (const char *c = email; *c; c++)
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f) {
            portal_sign_in_denied(q, how,
                                  "the email has characters other than "
                                  "printable ASCII");
            return;
        }
    if (q->page_free)
        q->page_free(q->page_data);
    s = calloc(1, sizeof(*s));
    if (!s) {
        q->page_data = NULL;
        q->page_free = NULL;
        portal_message(q, 500, T(q, "Something went wrong"),
                       T(q, "Out of memory."));
        return;
    }
    snprintf(s->how, sizeof(s->how), "%s", how);
    dk_token_new(s->token);
    q->page_data = s;
    q->page_free = sign_in_free;
    portal_token_hash_hex(s->token, hex);
    /* The page's language (the browser's choice, else Accept-Language)
     * becomes the contact's if they never chose one. */
    dq = db_query_new("SELECT portal_session_new(c, decode($4, 'hex'), NULL), "
                      "c, portal_language_first(c, $5) "
                      "FROM portal_sso_find($1, $2, $3) AS c "
                      "WHERE c IS NOT NULL",
                      5);
    db_param(dq, 0, email);
    db_param(dq, 1, portal_access(p));
    db_param(dq, 2, p->core->cfg->portal.access_list);
    db_param(dq, 3, hex);
    db_param(dq, 4, i18n_code(q->lang));
    portal_query(q, dq, signed_in);
}

void portal_sign_in_links(struct preq *q, struct dk_buf *b)
{
    const struct dk_config *cfg = q->p->core->cfg;
    /* Each way's text is the agency's, translated while it is the
     * default (portal_setting). */
    const struct {
        bool on;
        const char *path, *text, *english;
    } ways[] = {
        {q->p->oidc != NULL, "/oidc/login", cfg->portal.oidc.button_text,
         N_("Sign in with your school account")},
        {q->p->saml != NULL, "/saml/login", cfg->portal.saml.button_text,
         N_("Sign in with your school account (SAML)")},
    };
    /* A form each (POST, with the csrf field), not a link: see the
     * route table. */
    for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
        if (!ways[i].on)
            continue;
        html_printf(b,
                    "<form class=\"sign-in\" method=\"post\" action=\"%s\">\n",
                    ways[i].path);
        portal_csrf_field(q, b);
        html_printf(b, "<button type=\"submit\">%s</button>\n</form>\n",
                    portal_setting(q, ways[i].text, ways[i].english));
    }
}
