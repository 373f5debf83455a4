/*
 * portal_int.h - what the portal's files share: the request in progress
 * (struct preq), answering it (pages, redirects, errors), the database,
 * and the pages' entry points (one file each).  Not for anything outside
 * server/portal/.
 */
#ifndef PORTAL_INT_H
#define PORTAL_INT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dk_buf.h"
#include "dk_secret.h"
#include "form.h"
#include "http.h"
#include "i18n.h"
#include "outcome.h"

struct auth;
struct core;
struct db_query;
struct session_cache;
struct oidc;
struct saml;

#define PORTAL_CSRF_LEN 32 /* hex of 16 bytes */
/* Fields other than files, and the headers of each part. */
#define PORTAL_FORM_SLACK (256 * 1024)
#define PORTAL_MAX_FILES  10
#define PORTAL_MAX_TOTAL  (50 * 1024 * 1024)

struct portal {
    struct core *core;
    struct auth *auth;
    struct http *http;
    char *css; /* the stylesheet served at /static/portal.css */
    size_t css_len;
    char *logo; /* portal.logo's bytes, or NULL */
    size_t logo_len;
    const char *logo_type;
    char origin[300];            /* portal.base_url's scheme://host[:port] */
    struct session_cache *cache; /* sessions.c; NULL until the first */
    uint64_t cache_gen;          /* counts portal_cache_forget() calls */
    int sso_alg; /* libjwt's jwt_alg_t: NONE (SSO off), HS256, RS256 */
    unsigned char *sso_key; /* the secret, or the PEM public key */
    size_t sso_key_len;
    bool secure;             /* base_url is https: cookies get Secure */
    struct streams *streams; /* stream.c: the live pages */
    char *js;                /* the script served at /static/portal.js */
    size_t js_len;
    struct i18n *i18n; /* i18n.c: the catalogues */
    struct oidc *oidc; /* oidc.c: OpenID Connect, NULL when off */
    /* Origins besides ours a form may lead to (the identity providers'
     * sign-in pages), for the CSP's form-action: " https://idp.example". */
    char form_targets[512];
    struct saml *saml; /* saml.c: SAML 2.0, NULL when off */
};

/* The logged-in contact, from portal_session_get(). */
struct contact {
    long long session_id;
    long long id;
    long long company_id;                                /* 0: none */
    char *email, *first_name, *last_name, *company_name; /* owned */
    int lang; /* contact.language if the portal speaks it, else -1 */
};

struct preq;
typedef void (*page_fn)(struct preq *q);

/* One request in progress, from http's handle() to http_respond(). */
struct preq {
    struct portal *p;
    struct http_exchange *x;
    const struct http_request *r;
    struct form query; /* the query string */
    struct form form;  /* a POST's body */
    long long id;      /* the number in /tickets/ID, /attachments/ID */
    page_fn page;      /* the route's */
    bool logged_in;
    struct contact who;
    char session[DK_TOKEN_LEN + 1]; /* the dk_session cookie, or "" */
    unsigned char session_hash[DK_TOKEN_HASH_LEN];
    uint64_t cache_gen; /* the portal's when the session check was asked */
    char pre[DK_TOKEN_LEN + 1];     /* the dk_pre cookie, or a new one */
    bool new_pre;                   /* pre is new: set its cookie */
    char csrf[PORTAL_CSRF_LEN + 1]; /* what this visitor's forms carry */
    int flash;                      /* a message for this page, 0 none */
    int lang;                       /* enum dk_language of this answer */
    char lang_cookie[8];   /* the dk_lang cookie (a language chosen), or "" */
    bool live;             /* portal_live(): the page has a stream */
    long long live_since;  /* the feed's head before its query */
    struct dk_buf headers; /* Set-Cookie and the like */
    void *page_data;       /* a page's own state */
    void (*page_free)(void *data);
};

/* msgid in the language of q's answer (i18n.h); the marker xgettext
 * looks for (--keyword=T:2). */
#define T(q, msgid) i18n_tr((q)->p, (q)->lang, (msgid))

/* ---- sessions remembered (sessions.c) ------------------------------------ */

/* A session checked lately: who into out (strings copied), or false. */
bool portal_cache_get(struct portal *p, const unsigned char *hash,
                      struct contact *out);
/* Remember who for hash, unless something was forgotten since gen (the
 * cache_gen read when the check was asked): that check may be older than
 * the end of the session. */
void portal_cache_put(struct portal *p, const unsigned char *hash,
                      const struct contact *who, uint64_t gen);
/* Forget a contact's sessions (0: everyone's). */
void portal_cache_forget(struct portal *p, long long contact_id);
void portal_cache_free(struct portal *p);

/* ---- answering (portal.c) ---------------------------------------------- */

/* The layout around body (which is taken): title, header, nav, flash,
 * footer; with the portal's headers. */
void portal_page(struct preq *q, int status, const char *title,
                 struct dk_buf *body);
/* A page saying one thing: status and a short text, with a link home. */
void portal_message(struct preq *q, int status, const char *title,
                    const char *text);
void portal_not_found(struct preq *q);
/* The HTTP layer's page for a request it refused itself (http_app's
 * error_page): a 413 says the limits. */
void portal_error_page(void *arg, int status, const char *text,
                       struct dk_buf *body);
/* 303 See Other to a same-origin path (it must start with one '/'),
 * with flash (0: none) shown on the page it leads to. */
void portal_redirect(struct preq *q, const char *path, int flash);
/* Answer with bytes (a download, the stylesheet); headers are added to
 * the portal's own. */
void portal_bytes(struct preq *q, int status, const char *type,
                  const char *extra_headers, struct dk_buf *body);
/* The database said no: the page its SQLSTATE calls for. */
void portal_db_error(struct preq *q, const PGresult *res);

/* Answer q with a stream of Server-Sent Events instead (http.h's
 * http_stream_start(), with the portal's headers); q is freed, and
 * gone(arg) runs if the client goes, perhaps before this returns. */
void portal_stream_start(struct preq *q, void (*gone)(void *arg), void *arg);

/* Start the contact's session: the Set-Cookie of token. */
void portal_set_session(struct preq *q, const char *token);
void portal_clear_session(struct preq *q);
/* Answer in lang from now on, and remember it in this browser (dk_lang). */
void portal_set_language(struct preq *q, int lang);

/* Run query for q; done(q, res) with its result (res NULL: the database
 * went away, answered here with 503 and done is not called). */
void portal_query(struct preq *q, struct db_query *query,
                  void (*done)(struct preq *q, PGresult *res));

/* The hidden csrf field of a form. */
void portal_csrf_field(struct preq *q, struct dk_buf *b);
/* portal.pipelines as a text[] literal, "{support,graphics}". */
const char *portal_pipelines(const struct portal *p);
const char *portal_visibility(const struct portal *p);
/* $1, $2, $3 of a portal_* function that asks what q's contact may see:
 * the contact, portal.visibility, portal.pipelines. */
void portal_bind_viewer(struct db_query *dq, const struct preq *q);
const char *portal_access(const struct portal *p);
/* The value of a query-string field, or NULL. */
const char *portal_arg(const struct preq *q, const char *name);
/* A form field as valid UTF-8 text of at most max bytes: NULL otherwise
 * (absent, too long, a NUL or invalid bytes). */
const char *portal_field(const struct preq *q, const char *name, size_t max);

/* A ticket's status as the contact sees it, from whether it is closed
 * and its stage's name (page_tickets.c). */
void portal_status(struct dk_buf *b, const struct preq *q, bool closed,
                   const char *stage);
/* A date from the database (ISO 8601, UTC) written for people, in q's
 * language: as HTML (a <time>), or as text into out (false when iso is
 * not one, copied as it is). */
void portal_date(struct dk_buf *b, const struct preq *q, const char *iso);
bool portal_date_text(const struct preq *q, const char *iso, char *out,
                      size_t size);
bool portal_date_in(const struct portal *p, int lang, const char *iso,
                    char *out, size_t size);
/* The msgid of the dates' strftime(3) format (i18n.c checks its
 * translations as one). */
extern const char portal_date_format[];
/* A text setting (portal.title, portal.ticket_label, ...) in q's
 * language: translated while it is the default (english, the msgid),
 * else the agency's own words as they are (xgettext: --keyword=
 * portal_setting:3). */
const char *portal_setting(const struct preq *q, const char *value,
                           const char *english);
/* The priorities a request may have (NULL-terminated), and one's name as
 * the contact reads it. */
extern const char *const portal_priorities[];
const char *portal_priority(const struct preq *q, const char *code);

/* Flash messages, by number (shown once, on the page after a redirect). */
enum {
    FLASH_NONE,
    FLASH_SENT,
    FLASH_CREATED,
    FLASH_LOGGED_OUT,
    FLASH_REGISTERED,
    FLASH_PASSWORD,
    FLASH_CONFIRMED,
    FLASH_EMPTY_REPLY,
    FLASH_REPLY_CLOSED,
    FLASH_LOGIN_FIRST,
    FLASH_LANGUAGE,
    FLASH_COUNT
};

/* ---- accounts (account.c, shared by registration, sign-up and reset) --- */

/* The hash of a one-time link's token from the query string (hex, for
 * decode($n, 'hex')); false when there is none or it is not one of ours. */
bool portal_link_token(const struct preq *q,
                       char hex[DK_TOKEN_HASH_LEN * 2 + 1]);
/* The new password of a form (fields password and password2); NULL with
 * *error set when it is missing, too short or long, or they differ. */
const char *portal_new_password(const struct preq *q, const char **error);
/* Hash password off the loop, then next(q, hash); answered 429 here when
 * too many hashes are queued, 500 when hashing failed. */
void portal_hash_then(struct preq *q, const char *password,
                      void (*next)(struct preq *q, const char *hash));
/*
 * Run sql, which returns one row of one column (the contact's id) when
 * the step worked, with $1 the link's token hash (hex) and $2 a password
 * hash (may be NULL); then start a session for that contact and redirect
 * to the list with flash.  No row: the link is not usable (a page says
 * so).
 */
void portal_account_step(struct preq *q, const char *sql, const char *link_hex,
                         const char *password_hash, const char *language,
                         int flash);
/* The page for a link that has expired, was used, or never was. */
void portal_link_dead(struct preq *q);
/* A new password's two fields, the first labelled label. */
void portal_password_fields(struct preq *q, struct dk_buf *b,
                            const char *label);
/* portal.consent_text and the box to tick (field consent). */
void portal_consent_fields(struct preq *q, struct dk_buf *b);

/* A page reached by an emailed link: GET shows form (with the contact's
 * first name) while the link is usable; POST checks the consent box (when
 * asked) and the password, hashes it and runs step_sql (as for
 * portal_account_step()). */
struct link_page {
    const char *purpose;  /* the token's: register, reset */
    const char *step_sql; /* consumes the link: $1 its hash, $2 password's */
    int flash;            /* shown on the list after it */
    bool consent;         /* the consent box must be ticked */
    bool sets_language;   /* the contact's language becomes the page's */
    void (*form)(struct preq *q, int status, const char *first_name,
                 const char *error);
};
void portal_link_get(struct preq *q, const struct link_page *lp);
void portal_link_post(struct preq *q, const struct link_page *lp);

/* ---- live pages (stream.c) ---------------------------------------------- */

struct streams;
struct streams *portal_streams_new(struct portal *p);
/* After the HTTP layer has closed (which ends every stream). */
void portal_streams_free(struct streams *ss);
/* End the streams of a contact whose sessions ended (0: everyone's). */
void portal_streams_forget(struct portal *p, long long contact_id);
size_t portal_streams_count(const struct portal *p);
/* Make q's page live (the list, one ticket): it gets the script and the
 * address of its stream, from the feed's head now, before the page's
 * query: whatever that query may have missed comes again live. */
void portal_live(struct preq *q);

/* ---- the pages (one file each) ---------------------------------------- */

void page_login(struct preq *q);
void page_login_post(struct preq *q);
void page_logout_post(struct preq *q);
void page_register(struct preq *q);
void page_register_post(struct preq *q);
void page_signup(struct preq *q);
void page_signup_post(struct preq *q);
void page_signup_confirm(struct preq *q);
void page_reset(struct preq *q);
void page_reset_post(struct preq *q);
void page_reset_confirm(struct preq *q);
void page_reset_confirm_post(struct preq *q);
void page_tickets(struct preq *q);
void page_ticket(struct preq *q);
void page_reply_post(struct preq *q);
void page_new(struct preq *q);
void page_new_post(struct preq *q);
void page_attachment(struct preq *q);
void page_sso(struct preq *q);

/* ---- single sign-on's end (signin.c) ------------------------------------ */

/* The contact with this verified email, if portal.access allows them,
 * gets a fresh session and goes to their list; anyone else sees access
 * denied.  how names the way in for the log ("OIDC", "SAML", "JWT").
 * Replaces q->page_data. */
void portal_sign_in(struct preq *q, const char *email, const char *how);
/* The access-denied page, with why in the log (never on the page). */
void portal_sign_in_denied(struct preq *q, const char *how, const char *why);
/* Let forms lead to url's origin (a provider's sign-in page, where a
 * POST of ours redirects): it joins the CSP's form-action. */
void portal_allow_form_target(struct portal *p, const char *url);
/* The hex of a token's SHA-256 (dk_token_hash), as the database keeps
 * it: sessions, pre-login cookies, sign-in states and hand-offs. */
void portal_token_hash_hex(const char *token,
                           char hex[DK_TOKEN_HASH_LEN * 2 + 1]);
/* A sign-in's first database step failed: 429 when the address began
 * too many (DK429), else as portal_db_error(). */
void portal_sign_in_db_error(struct preq *q, PGresult *res);
/* The login page's buttons for the ways in that are on. */
void portal_sign_in_links(struct preq *q, struct dk_buf *b);
void page_events(struct preq *q);
void page_language_post(struct preq *q);
void page_oidc_login(struct preq *q);
void page_oidc_callback(struct preq *q);
void page_saml_metadata(struct preq *q);
void page_saml_login(struct preq *q);
void page_saml_acs(struct preq *q);
void page_saml_acs_done(struct preq *q);

/* ---- the identity providers (oidc.c, saml.c) ----------------------------- */

/* Read the configuration's files and set up p->oidc / p->saml (left NULL
 * when that way in is off); false, logged, when it cannot be. */
bool portal_oidc_init(struct portal *p);
void portal_oidc_free(struct portal *p);
bool portal_saml_init(struct portal *p);
void portal_saml_free(struct portal *p);

/* Files of a multipart form as query parameters: "ARRAY[$a, $b]::text[]"
 * for names and types and "ARRAY[...]::bytea[]" for contents, appended to
 * sql from parameter number first; params counted into *n.  (page_files.c) */
struct portal_files {
    size_t n;
    const struct form_field *f[PORTAL_MAX_FILES];
};
size_t portal_files_collect(const struct preq *q, const char *name,
                            struct portal_files *out);
void portal_files_sql(struct dk_buf *sql, const struct portal_files *files,
                      int first);
void portal_files_bind(struct db_query *query, const struct portal_files *files,
                       int first);

#endif
