/*
 * page_register.c - registering from the emailed link (GET,POST
 * /register?token=T): the consent text and a password, then the contact
 * is logged in.  Also the pieces every account page shares: reading a
 * one-time link, a new password, hashing it off the loop, and the step
 * that consumes a link and starts a session in one statement.
 */
#include "portal_int.h"
#include "auth.h"
#include "core.h"
#include "db.h"
#include "dk_mem.h"
#include "html.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

bool portal_link_token(const struct preq *q,
                       char hex[DK_TOKEN_HASH_LEN * 2 + 1])
{
    const char *t = portal_arg(q, "token");
    unsigned char hash[DK_TOKEN_HASH_LEN];

    if (!t || strlen(t) != DK_TOKEN_LEN ||
        strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789-_") != DK_TOKEN_LEN)
        return false;
    dk_token_hash(t, hash);
    sodium_bin2hex(hex, DK_TOKEN_HASH_LEN * 2 + 1, hash, sizeof(hash));
    return true;
}

const char *portal_new_password(const struct preq *q, const char **error)
{
    const char *pw = portal_field(q, "password", 1024);
    const char *again = portal_field(q, "password2", 1024);

    if (!pw || strlen(pw) < 8) {
        *error = "Choose a password of at least 8 characters.";
        return NULL;
    }
    if (!again || strcmp(pw, again) != 0) {
        *error = "The two passwords are not the same.";
        return NULL;
    }
    return pw;
}

struct hash_wait {
    struct preq *q;
    void (*next)(struct preq *q, const char *hash);
};

static void hashed(void *arg, const char *hash)
{
    struct hash_wait *w = arg;
    struct preq *q = w->q;
    void (*next)(struct preq *, const char *) = w->next;

    free(w);
    if (!hash) {
        portal_message(q, 500, "Something went wrong",
                       "The password could not be stored. Please try again.");
        return;
    }
    next(q, hash);
}

void portal_hash_then(struct preq *q, const char *password,
                      void (*next)(struct preq *q, const char *hash))
{
    struct hash_wait *w = dk_xmalloc(sizeof(*w));

    w->q = q;
    w->next = next;
    if (!auth_hash_password(q->p->auth, password, hashed, w)) {
        free(w);
        portal_message(q, 429, "Busy",
                       "Too many people are doing this at once. Please try "
                       "again in a moment.");
    }
}

void portal_link_dead(struct preq *q)
{
    portal_message(q, 400, "This link cannot be used",
                   "It has expired or has been used already. Ask the "
                   "helpdesk for a new one, or reset your password from "
                   "the login page.");
}

struct step {
    char token[DK_TOKEN_LEN + 1];
    int flash;
};

static void step_done(struct preq *q, PGresult *res)
{
    struct step *st = q->page_data;

    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        portal_link_dead(q);
        return;
    }
    /* A new session at registration and at every password change: none
     * from before is adopted. */
    portal_set_session(q, st->token);
    portal_redirect(q, "/tickets", st->flash);
}

void portal_account_step(struct preq *q, const char *sql, const char *link_hex,
                         const char *password_hash, int flash)
{
    struct step *st = dk_xcalloc(1, sizeof(*st));
    unsigned char hash[DK_TOKEN_HASH_LEN];
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];
    struct dk_buf full = DK_BUF_INIT(0);
    struct db_query *dq;

    dk_token_new(st->token);
    st->flash = flash;
    dk_token_hash(st->token, hash);
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    q->page_data = st;
    q->page_free = free;
    /* sql gives the contact; the session is made in the same statement,
     * so a link is never used up without the session it leads to. */
    dk_buf_printf(&full,
                  "SELECT portal_session_new(c, decode($3, 'hex'), NULL) "
                  "FROM (%s) AS step(c) WHERE c IS NOT NULL",
                  sql);
    dq = db_query_new(full.data, 3);
    dk_buf_free(&full);
    db_param(dq, 0, link_hex);
    db_param(dq, 1, password_hash);
    db_param(dq, 2, hex);
    portal_query(q, dq, step_done);
}

/* ---- the page -------------------------------------------------------------
 */

static void register_form(struct preq *q, int status, const char *name,
                          const char *error)
{
    const struct dk_config *cfg = q->p->core->cfg;
    struct dk_buf b = DK_BUF_INIT(0);

    html_printf(&b, "<h1>Welcome to %s</h1>\n", cfg->portal.title);
    if (name && *name)
        html_printf(
            &b, "<p>Hello %s, choose a password for your account.</p>\n", name);
    if (error)
        html_printf(&b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
    html_raw(&b, "<form class=\"stack\" method=\"post\" "
                 "action=\"/register?token=");
    html_url_arg(&b, portal_arg(q, "token"));
    html_raw(&b, "\">\n");
    portal_csrf_field(q, &b);
    html_printf(&b, "<p class=\"consent\">%s</p>\n", cfg->portal.consent_text);
    html_raw(
        &b, "<label><span><input type=\"checkbox\" name=\"consent\" "
            "value=\"yes\" required> I have read this and agree</span>"
            "</label>\n"
            "<label for=\"password\">Password (at least 8 characters)</label>\n"
            "<input type=\"password\" id=\"password\" name=\"password\" "
            "autocomplete=\"new-password\" minlength=\"8\" required>\n"
            "<label for=\"password2\">The same password again</label>\n"
            "<input type=\"password\" id=\"password2\" name=\"password2\" "
            "autocomplete=\"new-password\" minlength=\"8\" required>\n"
            "<button type=\"submit\">Create my account</button>\n</form>\n");
    portal_page(q, status, "Register", &b);
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
    register_form(q, 200, PQgetvalue(res, 0, 2), NULL);
}

void page_register(struct preq *q)
{
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];
    struct db_query *dq;

    if (!portal_link_token(q, hex)) {
        portal_link_dead(q);
        return;
    }
    dq = db_query_new("SELECT contact_id, email, first_name "
                      "FROM portal_token_peek(decode($1, 'hex'), 'register')",
                      1);
    db_param(dq, 0, hex);
    portal_query(q, dq, peeked);
}

static void register_hashed(struct preq *q, const char *hash)
{
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];

    portal_link_token(q, hex);
    portal_account_step(q, "SELECT portal_register(decode($1, 'hex'), $2)", hex,
                        hash, FLASH_REGISTERED);
}

void page_register_post(struct preq *q)
{
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];
    const char *error = NULL, *pw;

    if (!portal_link_token(q, hex)) {
        portal_link_dead(q);
        return;
    }
    if (!portal_field(q, "consent", 10)) {
        register_form(q, 400, NULL,
                      "Please read the text above and tick the box.");
        return;
    }
    if (!(pw = portal_new_password(q, &error))) {
        register_form(q, 400, NULL, error);
        return;
    }
    portal_hash_then(q, pw, register_hashed);
}
