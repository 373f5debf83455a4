/*
 * account.c - what the account pages share (registration, reset,
 * sign-up): reading a one-time link from the query string, a new
 * password and its fields, hashing it off the loop, the consent box, and
 * the step that consumes a link and starts a session in one statement;
 * and the GET and POST of a page reached by an emailed link, given its
 * purpose, its step and its form.
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
        *error = T(q, "Choose a password of at least 8 characters.");
        return NULL;
    }
    if (!again || strcmp(pw, again) != 0) {
        *error = T(q, "The two passwords are not the same.");
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
        portal_message(
            q, 500, T(q, "Something went wrong"),
            T(q, "The password could not be stored. Please try again."));
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
        portal_message(q, 429, T(q, "Busy"),
                       T(q,
                         "Too many people are doing this at once. Please try "
                         "again in a moment."));
    }
}

void portal_link_dead(struct preq *q)
{
    portal_message(q, 400, T(q, "This link cannot be used"),
                   T(q, "It has expired or has been used already. Ask the "
                        "helpdesk for a new one, or reset your password from "
                        "the login page."));
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
    /* The step ended the contact's other sessions: this instance forgets
     * them now, the others on session_end()'s NOTIFY.  A new session at
     * registration and at every password change: none from before is
     * adopted. */
    portal_cache_forget(q->p, atoll(PQgetvalue(res, 0, 1)));
    portal_set_session(q, st->token);
    portal_redirect(q, "/tickets", st->flash);
}

void portal_account_step(struct preq *q, const char *sql, const char *link_hex,
                         const char *password_hash, const char *language,
                         int flash)
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
                  "SELECT portal_session_new(c, decode($3, 'hex'), NULL), c, "
                  "CASE WHEN $4::text IS NOT NULL "
                  "THEN portal_language_set(c, $4) END "
                  "FROM (%s) AS step(c) WHERE c IS NOT NULL",
                  sql);
    dq = db_query_new(full.data, 4);
    dk_buf_free(&full);
    db_param(dq, 0, link_hex);
    db_param(dq, 1, password_hash);
    db_param(dq, 2, hex);
    if (language)
        db_param(dq, 3, language);
    portal_query(q, dq, step_done);
}

void portal_password_fields(struct preq *q, struct dk_buf *b, const char *label)
{
    html_printf(b, "<label for=\"password\">%s (%s)</label>\n", label,
                T(q, "at least 8 characters"));
    html_printf(b,
                "<input type=\"password\" id=\"password\" name=\"password\" "
                "autocomplete=\"new-password\" minlength=\"8\" required>\n"
                "<label for=\"password2\">%s</label>\n"
                "<input type=\"password\" id=\"password2\" name=\"password2\" "
                "autocomplete=\"new-password\" minlength=\"8\" required>\n",
                T(q, "The same password again"));
}

void portal_consent_fields(struct preq *q, struct dk_buf *b)
{
    html_printf(b, "<p class=\"consent\">%s</p>\n",
                portal_setting(q, q->p->core->cfg->portal.consent_text,
                               "We use your details to answer your requests."));
    html_printf(b,
                "<label><span><input type=\"checkbox\" name=\"consent\" "
                "value=\"yes\" required> %s</span></label>\n",
                T(q, "I have read this and agree"));
}

/* ---- a page reached by an emailed link ------------------------------------
 */

static void link_peeked(struct preq *q, PGresult *res)
{
    const struct link_page *lp = q->page_data;

    q->page_data = NULL;
    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    if (PQntuples(res) != 1) {
        portal_link_dead(q);
        return;
    }
    lp->form(q, 200, PQgetvalue(res, 0, 2), NULL);
}

void portal_link_get(struct preq *q, const struct link_page *lp)
{
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];
    struct db_query *dq;

    if (!portal_link_token(q, hex)) {
        portal_link_dead(q);
        return;
    }
    /* Shown, not used: the link is consumed only by the form's POST. */
    dq = db_query_new("SELECT contact_id, email, first_name "
                      "FROM portal_token_peek(decode($1, 'hex'), $2)",
                      2);
    db_param(dq, 0, hex);
    db_param(dq, 1, lp->purpose);
    q->page_data = (void *)lp;
    portal_query(q, dq, link_peeked);
}

static void link_hashed(struct preq *q, const char *hash)
{
    const struct link_page *lp = q->page_data;
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];

    q->page_data = NULL;
    portal_link_token(q, hex);
    portal_account_step(q, lp->step_sql, hex, hash,
                        lp->sets_language ? i18n_code(q->lang) : NULL,
                        lp->flash);
}

void portal_link_post(struct preq *q, const struct link_page *lp)
{
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];
    const char *error = NULL, *pw;

    if (!portal_link_token(q, hex)) {
        portal_link_dead(q);
        return;
    }
    if (lp->consent && !portal_field(q, "consent", 10)) {
        lp->form(q, 400, NULL,
                 T(q, "Please read the text above and tick the box."));
        return;
    }
    if (!(pw = portal_new_password(q, &error))) {
        lp->form(q, 400, NULL, error);
        return;
    }
    q->page_data = (void *)lp;
    portal_hash_then(q, pw, link_hashed);
}
