/*
 * portal.c - the portal as the HTTP layer's application: the route table,
 * the checks every request passes before its page runs (body limits while
 * it arrives, the session cookie, the Origin and CSRF checks of a POST),
 * and the ways a page answers.
 *
 * Who is who: a contact's session is a random token in the dk_session
 * cookie; PostgreSQL keeps only its hash (portal_session_get() checks it
 * and the idle timeout on every request, so several docketd serve one
 * portal and a logout is everywhere at once).  A visitor not logged in
 * has a dk_pre cookie instead.  Every form carries a csrf field derived
 * from whichever cookie the visitor has (a keyed BLAKE2b of it), so a
 * form from another site, or another visitor's, does not pass.
 */
#include "portal.h"
#include "portal_int.h"
#include "auth.h"
#include "core.h"
#include "db.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_text.h"
#include "feed.h"
#include "html.h"
#include "outcome.h"

#include <errno.h>
#include <http_parser.h>
#include <jwt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the route table ---------------------------------------------------- */

enum route_flags {
    R_POST = 1 << 0,       /* a POST (else GET and HEAD) */
    R_LOGIN = 1 << 1,      /* only for a logged-in contact */
    R_ID = 1 << 2,         /* path is prefix + a number + suffix */
    R_FILES = 1 << 3,      /* multipart with files: the upload limits */
    R_NO_SESSION = 1 << 4, /* static: no database, no cookie */
    R_STREAM = 1 << 5,     /* an event stream: a script reads it, not a
                              person, so no redirect to the login */
    R_FOREIGN = 1 << 6,    /* a POST another site sends by design (SAML's
                              POST binding): no Origin or csrf check, and
                              no cookie comes with it (SameSite=Lax); the
                              page proves itself */
};

static const struct route {
    const char *prefix;
    const char *suffix; /* after the id (R_ID) */
    unsigned flags;
    page_fn page;
} routes[] = {
    {"/", NULL, 0, NULL}, /* to the list, or to the login */
    {"/login", NULL, 0, page_login},
    {"/login", NULL, R_POST, page_login_post},
    {"/logout", NULL, R_POST, page_logout_post},
    {"/register", NULL, 0, page_register},
    {"/register", NULL, R_POST, page_register_post},
    {"/signup", NULL, 0, page_signup},
    {"/signup", NULL, R_POST, page_signup_post},
    {"/signup/confirm", NULL, 0, page_signup_confirm},
    {"/reset", NULL, 0, page_reset},
    {"/reset", NULL, R_POST, page_reset_post},
    {"/reset/confirm", NULL, 0, page_reset_confirm},
    {"/reset/confirm", NULL, R_POST, page_reset_confirm_post},
    {"/tickets", NULL, R_LOGIN, page_tickets},
    {"/tickets/", "", R_LOGIN | R_ID, page_ticket},
    {"/tickets/", "/reply", R_POST | R_LOGIN | R_ID | R_FILES, page_reply_post},
    {"/new", NULL, R_LOGIN, page_new},
    {"/new", NULL, R_POST | R_LOGIN | R_FILES, page_new_post},
    {"/attachments/", "", R_LOGIN | R_ID, page_attachment},
    {"/sso", NULL, 0, page_sso},
    {"/events", NULL, R_LOGIN | R_STREAM, page_events},
    {"/language", NULL, R_POST, page_language_post},
    /* POSTs with the csrf field: another site cannot start sign-ins in
     * a visitor's browser (each one keeps a row and, for SAML, costs a
     * signature). */
    {"/oidc/login", NULL, R_POST, page_oidc_login},
    {"/oidc/callback", NULL, 0, page_oidc_callback},
    {"/saml/metadata", NULL, 0, page_saml_metadata},
    {"/saml/login", NULL, R_POST, page_saml_login},
    {"/saml/acs", NULL, R_POST | R_FOREIGN, page_saml_acs},
    /* Where the POST sends the browser on, so that its cookies come. */
    {"/saml/acs", NULL, 0, page_saml_acs_done},
    {"/static/portal.css", NULL, R_NO_SESSION, NULL},
    {"/static/portal.js", NULL, R_NO_SESSION, NULL},
    {"/static/logo", NULL, R_NO_SESSION, NULL},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Whether path is route's; *id is the number of an R_ID route. */
static bool route_match(const struct route *rt, const char *path, long long *id)
{
    size_t plen = strlen(rt->prefix);
    const char *p;
    char *end;

    if (!(rt->flags & R_ID))
        return strcmp(path, rt->prefix) == 0;
    if (strncmp(path, rt->prefix, plen) != 0)
        return false;
    p = path + plen;
    /* Digits only, no sign, no leading zero, within a bigint. */
    if (*p < '1' || *p > '9')
        return false;
    errno = 0;
    *id = strtoll(p, &end, 10);
    if (errno || end - p > 18)
        return false;
    return strcmp(end, rt->suffix) == 0;
}

/* The route for r; NULL, with *wrong_method when the path is one of ours. */
static const struct route *route_find(const struct http_request *r,
                                      long long *id, bool *wrong_method)
{
    bool post = r->method == HTTP_POST;

    *wrong_method = false;
    for (size_t i = 0; i < NROUTES; i++) {
        if (!route_match(&routes[i], r->path, id))
            continue;
        if (((routes[i].flags & R_POST) != 0) == post)
            return &routes[i];
        *wrong_method = true;
    }
    return NULL;
}

/* ---- small helpers --------------------------------------------------------
 */

const char *portal_visibility(const struct portal *p)
{
    return p->core->cfg->portal.visibility == DK_VISIBILITY_COMPANY ? "company"
                                                                    : "own";
}

const char *portal_access(const struct portal *p)
{
    return p->core->cfg->portal.access == DK_ACCESS_SELF_REGISTRATION
               ? "self_registration"
               : "list";
}

const char *portal_pipelines(const struct portal *p)
{
    static char lit[1024];
    const struct dk_strlist *l = &p->core->cfg->portal.pipelines;
    size_t n = 0;

    /* Names are lower-case identifiers (the config checks): nothing in
     * them needs quoting in an array literal. */
    lit[n++] = '{';
    for (size_t i = 0; i < l->n && n + strlen(l->v[i]) + 2 < sizeof(lit); i++) {
        if (i)
            lit[n++] = ',';
        memcpy(lit + n, l->v[i], strlen(l->v[i]));
        n += strlen(l->v[i]);
    }
    lit[n++] = '}';
    lit[n] = '\0';
    return lit;
}

void portal_allow_form_target(struct portal *p, const char *url)
{
    struct http_parser_url u;
    char origin[300];
    size_t end, n = strlen(p->form_targets);

    http_parser_url_init(&u);
    if (http_parser_parse_url(url, strlen(url), 0, &u) != 0 ||
        !(u.field_set & (1 << UF_SCHEMA)) || !(u.field_set & (1 << UF_HOST)))
        return;
    end = (u.field_set & (1 << UF_PORT))
              ? u.field_data[UF_PORT].off + u.field_data[UF_PORT].len
              : u.field_data[UF_HOST].off + u.field_data[UF_HOST].len;
    if (!(u.field_set & (1 << UF_PORT)) && end < strlen(url) && url[end] == ']')
        end++;
    if (end >= sizeof(origin) - 1)
        return;
    origin[0] = ' ';
    memcpy(origin + 1, url, end);
    origin[end + 1] = '\0';
    /* Only what a CSP source may hold, and nothing that ends a header. */
    for (const char *c = origin + 1; *c; c++)
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f ||
            *c == ';' || *c == ',' || *c == '\'')
            return;
    if (strstr(p->form_targets, origin) ||
        n + strlen(origin) >= sizeof(p->form_targets))
        return;
    memcpy(p->form_targets + n, origin, strlen(origin) + 1);
}

void portal_bind_viewer(struct db_query *dq, const struct preq *q)
{
    db_param_ll(dq, 0, q->who.id);
    db_param(dq, 1, portal_visibility(q->p));
    db_param(dq, 2, portal_pipelines(q->p));
}

const char *portal_arg(const struct preq *q, const char *name)
{
    return form_get(&q->query, name);
}

const char *portal_field(const struct preq *q, const char *name, size_t max)
{
    for (size_t i = 0; i < q->form.n; i++) {
        const struct form_field *f = &q->form.v[i];
        if (f->is_file || strcmp(f->name, name) != 0)
            continue;
        if (f->value_len > max || memchr(f->value, '\0', f->value_len) ||
            !dk_utf8_valid(f->value, f->value_len))
            return NULL;
        return f->value;
    }
    return NULL;
}

/* The csrf value of a cookie's token: a MAC keyed by the token itself,
 * which only its holder knows. */
static void csrf_of(const char *token, char out[PORTAL_CSRF_LEN + 1])
{
    unsigned char key[crypto_generichash_KEYBYTES], mac[16];
    static const char what[] = "docket portal csrf";

    crypto_generichash(key, sizeof(key), (const unsigned char *)token,
                       strlen(token), NULL, 0);
    crypto_generichash(mac, sizeof(mac), (const unsigned char *)what,
                       sizeof(what) - 1, key, sizeof(key));
    sodium_bin2hex(out, PORTAL_CSRF_LEN + 1, mac, sizeof(mac));
}

void portal_csrf_field(struct preq *q, struct dk_buf *b)
{
    html_raw(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
    html_attr(b, q->csrf);
    html_raw(b, "\">\n");
}

/* Behind https a cookie's name carries the __Host- prefix: browsers then
 * take it only with Secure, Path=/ and no Domain, so a sibling subdomain
 * cannot plant its own session ahead of ours. */
static const char *cookie_name(const struct portal *p, const char *name,
                               char *buf, size_t n)
{
    snprintf(buf, n, "%s%s", p->secure ? "__Host-" : "", name);
    return buf;
}

static void cookie_header(struct preq *q, const char *name, const char *value,
                          long max_age)
{
    char full[64];

    dk_buf_printf(&q->headers,
                  "Set-Cookie: %s=%s; Path=/; HttpOnly; SameSite=Lax%s",
                  cookie_name(q->p, name, full, sizeof(full)), value,
                  q->p->secure ? "; Secure" : "");
    if (max_age >= 0)
        dk_buf_printf(&q->headers, "; Max-Age=%ld", max_age);
    dk_buf_adds(&q->headers, "\r\n");
}

void portal_set_session(struct preq *q, const char *token)
{
    cookie_header(q, "dk_session", token, -1);
    /* The visitor's pre-login cookie has served its purpose. */
    cookie_header(q, "dk_pre", "", 0);
    q->new_pre = false;
    snprintf(q->session, sizeof(q->session), "%s", token);
    csrf_of(token, q->csrf);
}

void portal_set_language(struct preq *q, int lang)
{
    /* A year: the browser's choice, also before any login. */
    cookie_header(q, "dk_lang", i18n_code(lang), 365L * 24 * 3600);
    q->lang = lang;
}

void portal_clear_session(struct preq *q)
{
    cookie_header(q, "dk_session", "", 0);
    q->session[0] = '\0';
}

/* ---- answering ------------------------------------------------------------
 */

static void preq_free(struct preq *q)
{
    if (q->page_free)
        q->page_free(q->page_data);
    form_free(&q->query);
    form_free(&q->form);
    free(q->who.email);
    free(q->who.first_name);
    free(q->who.last_name);
    free(q->who.company_name);
    dk_buf_free(&q->headers);
    free(q);
}

/* The headers every portal answer has. */
static void common_headers(struct preq *q, struct dk_buf *h)
{
    dk_buf_printf(h,
                  "Content-Security-Policy: default-src 'self'; "
                  "frame-ancestors 'none'; form-action 'self'%s; "
                  "base-uri 'none'\r\n",
                  q->p->form_targets);
    dk_buf_adds(h, "Referrer-Policy: same-origin\r\n"
                   "X-Content-Type-Options: nosniff\r\n"
                   "X-Frame-Options: DENY\r\n");
    if (q->new_pre)
        cookie_header(q, "dk_pre", q->pre, -1);
    if (q->flash)
        cookie_header(q, "dk_flash", "", 0);
    dk_buf_add(h, q->headers.data ? q->headers.data : "", q->headers.len);
}

static void finish(struct preq *q, int status, const char *type,
                   struct dk_buf *extra, struct dk_buf *body)
{
    struct dk_buf h = DK_BUF_INIT(0);

    common_headers(q, &h);
    if (extra)
        dk_buf_add(&h, extra->data ? extra->data : "", extra->len);
    http_respond(q->x, status, type, &h, body);
    dk_buf_free(&h);
    preq_free(q);
}

void portal_stream_start(struct preq *q, void (*gone)(void *arg), void *arg)
{
    struct dk_buf h = DK_BUF_INIT(0);

    common_headers(q, &h);
    /* X-Accel-Buffering: a proxy (nginx) must pass each event on at once. */
    dk_buf_adds(&h, "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\n");
    http_stream_start(q->x, 200, "text/event-stream; charset=utf-8", &h, gone,
                      arg);
    dk_buf_free(&h);
    preq_free(q);
}

void portal_bytes(struct preq *q, int status, const char *type,
                  const char *extra_headers, struct dk_buf *body)
{
    struct dk_buf extra = DK_BUF_INIT(0);

    if (extra_headers)
        dk_buf_adds(&extra, extra_headers);
    finish(q, status, type, &extra, body);
    dk_buf_free(&extra);
}

void portal_page(struct preq *q, int status, const char *title,
                 struct dk_buf *body);

void portal_redirect(struct preq *q, const char *path, int flash)
{
    struct dk_buf extra = DK_BUF_INIT(0);
    char n[16];

    /* Only our own paths: never "//host" or a scheme. */
    if (path[0] != '/' || path[1] == '/' || path[1] == '\\')
        path = "/";
    /* Nothing that could end the header line or leave the URL: a path
     * from a form (POST /language's next) is percent-encoded. */
    for (const char *c = path; *c; c++)
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f) {
            path = "/";
            break;
        }
    if (flash) {
        snprintf(n, sizeof(n), "%d", flash);
        q->flash = 0;
        cookie_header(q, "dk_flash", n, 60);
    }
    dk_buf_printf(&extra, "Location: %s\r\nCache-Control: no-store\r\n", path);
    finish(q, 303, "text/plain; charset=utf-8", &extra, NULL);
    dk_buf_free(&extra);
}

void portal_message(struct preq *q, int status, const char *title,
                    const char *text)
{
    struct dk_buf b = DK_BUF_INIT(0);

    q->live = false; /* an error or a notice, not the page asked for */
    html_printf(&b, "<h1>%s</h1>\n<p>%s</p>\n", title, text);
    html_printf(&b, "<p><a href=\"/\">%s</a></p>\n",
                T(q, "Back to the start page"));
    portal_page(q, status, title, &b);
}

void portal_not_found(struct preq *q)
{
    portal_message(q, 404, T(q, "Not found"),
                   T(q, "There is nothing here, or it is not yours to see."));
}

void portal_db_error(struct preq *q, const PGresult *res)
{
    struct db_outcome o = db_outcome(res);

    switch (o.outcome) {
    case DK_OUT_NOT_FOUND:
        portal_not_found(q);
        return;
    case DK_OUT_BAD_INPUT:
    case DK_OUT_CONFLICT:
    case DK_OUT_NOT_ALLOWED:
        /* The database's words are English; in another language the
         * page says it in its own, less precisely. */
        portal_message(q, 400, T(q, "That did not work"),
                       q->lang == DK_LANG_EN
                           ? o.message
                           : T(q, "The helpdesk could not accept that. "
                                  "Check what you entered and try again."));
        return;
    case DK_OUT_FORBIDDEN:
        portal_message(q, 403, T(q, "Access denied"),
                       q->lang == DK_LANG_EN
                           ? o.message
                           : T(q, "You may not do that here."));
        return;
    case DK_OUT_UNAVAILABLE:
        portal_message(
            q, 503, T(q, "Try again shortly"),
            T(q, "The helpdesk cannot reach its database right now."));
        return;
    default:
        dk_log(DK_LOG_ERROR, "portal %s: SQLSTATE %s: %s", q->r->path, o.state,
               res ? PQresultErrorMessage(res) : "no result");
        portal_message(
            q, 500, T(q, "Something went wrong"),
            T(q, "The helpdesk could not do that. Please try again."));
    }
}

/* ---- the database ----------------------------------------------------------
 */

struct pquery {
    struct preq *q;
    void (*done)(struct preq *q, PGresult *res);
};

static void pquery_done(struct db_query *dq, PGresult *res, void *arg)
{
    struct pquery *pq = arg;
    struct preq *q = pq->q;
    void (*done)(struct preq *, PGresult *) = pq->done;

    (void)dq;
    free(pq);
    if (!res) {
        portal_message(
            q, 503, T(q, "Try again shortly"),
            T(q, "The helpdesk lost its database. Please try again in a "
                 "moment."));
        return;
    }
    done(q, res);
}

void portal_query(struct preq *q, struct db_query *query,
                  void (*done)(struct preq *q, PGresult *res))
{
    struct pquery *pq = dk_xmalloc(sizeof(*pq));

    pq->q = q;
    pq->done = done;
    if (db_submit(q->p->core->db, query, pquery_done, pq) != 0) {
        free(pq);
        portal_message(
            q, 503, T(q, "Try again shortly"),
            T(q, "The helpdesk cannot reach its database right now."));
    }
}

/* ---- the checks before a page ------------------------------------------- */

static bool origin_ok(const struct preq *q)
{
    const char *o = q->r->origin;

    /* Browsers send Origin with every POST; "null" comes from privacy
     * contexts (and some redirects), where CSRF still stops a forgery. */
    return !o || !strcmp(o, "null") || !strcmp(o, q->p->origin);
}

static void run_page(struct preq *q, const struct route *rt)
{
    if (!rt->page) {
        portal_redirect(q, q->logged_in ? "/tickets" : "/login", 0);
        return;
    }
    if ((rt->flags & R_LOGIN) && !q->logged_in) {
        if (rt->flags & (R_POST | R_STREAM))
            portal_message(
                q, 403, T(q, "Please log in"),
                T(q, "Your session has ended. Log in and try again."));
        else
            portal_redirect(q, "/login", FLASH_LOGIN_FIRST);
        return;
    }
    rt->page(q);
}

/* A POST's body, read into q->form; false when it was answered. */
static bool read_form(struct preq *q, const struct route *rt)
{
    const struct http_request *r = q->r;
    const char *ct = r->content_type ? r->content_type : "";
    const char *sent;
    char err[200];
    int rc;

    if (!strncasecmp(ct, "multipart/form-data", 19)) {
        rc = form_parse_multipart(&q->form, ct, r->body, r->body_len,
                                  q->p->core->cfg->portal.max_upload_bytes,
                                  (rt->flags & R_FILES) ? PORTAL_MAX_FILES : 0,
                                  err, sizeof(err));
    } else if (!strncasecmp(ct, "application/x-www-form-urlencoded", 33)) {
        rc = form_parse_urlencoded(&q->form, r->body, r->body_len, err,
                                   sizeof(err));
    } else {
        portal_message(
            q, 415, T(q, "Unsupported form"),
            T(q, "The form was sent in a way the portal does not read."));
        return false;
    }
    if (rc == -2) {
        portal_message(q, 413, T(q, "Too large"), err);
        return false;
    }
    if (rc != 0) {
        portal_message(q, 400, T(q, "Bad form"), err);
        return false;
    }
    if (rt->flags & R_FOREIGN)
        return true;
    sent = form_get(&q->form, "csrf");
    if (!sent || strlen(sent) != PORTAL_CSRF_LEN ||
        sodium_memcmp(sent, q->csrf, PORTAL_CSRF_LEN) != 0) {
        dk_log(DK_LOG_WARN, "portal: %s from %s without its csrf token",
               r->path, r->peer);
        portal_message(q, 403, T(q, "Forbidden"),
                       T(q,
                         "This form has expired. Go back, reload the page and "
                         "try again."));
        return false;
    }
    return true;
}

/* Everything known about the visitor: on to the route. */
/* The language of the answer: the logged-in contact's, else the one
 * this browser chose (dk_lang), else its Accept-Language's best. */
static int answer_language(const struct preq *q, const char *chosen)
{
    int lang;

    if (q->logged_in && q->who.lang >= 0)
        return q->who.lang;
    if ((lang = i18n_offered(q->p, chosen)) >= 0)
        return lang;
    return i18n_accept(q->p, q->r->accept_language);
}

static void visitor_known(struct preq *q, const struct route *rt)
{
    q->lang = answer_language(q, q->lang_cookie);
    if (q->session[0] && q->logged_in) {
        csrf_of(q->session, q->csrf);
    } else {
        q->session[0] = '\0';
        /* A foreign POST comes without our cookies: a new dk_pre here
         * would replace the browser's, which the sign-in is bound to. */
        if (!q->pre[0] && !(rt->flags & R_FOREIGN)) {
            dk_token_new(q->pre);
            q->new_pre = true;
        }
        csrf_of(q->pre, q->csrf);
    }
    if (rt->flags & R_POST) {
        if (!(rt->flags & R_FOREIGN) && !origin_ok(q)) {
            dk_log(DK_LOG_WARN, "portal: %s from %s with a foreign Origin",
                   q->r->path, q->r->peer);
            portal_message(q, 403, T(q, "Forbidden"),
                           T(q, "This form was sent from another site."));
            return;
        }
        if (!read_form(q, rt))
            return;
    }
    run_page(q, rt);
}

static char *dup_col(const PGresult *res, int col)
{
    return dk_xstrdup(PQgetisnull(res, 0, col) ? "" : PQgetvalue(res, 0, col));
}

static void session_found(struct preq *q, PGresult *res)
{
    const struct route *rt = q->page_data;

    q->page_data = NULL;
    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    if (PQntuples(res) == 1) {
        q->logged_in = true;
        q->who.session_id = atoll(PQgetvalue(res, 0, 0));
        q->who.id = atoll(PQgetvalue(res, 0, 1));
        q->who.email = dup_col(res, 2);
        q->who.first_name = dup_col(res, 3);
        q->who.last_name = dup_col(res, 4);
        q->who.company_id =
            PQgetisnull(res, 0, 5) ? 0 : atoll(PQgetvalue(res, 0, 5));
        q->who.company_name = dup_col(res, 6);
        q->who.lang = i18n_offered(q->p, PQgetvalue(res, 0, 7));
        portal_cache_put(q->p, q->session_hash, &q->who, q->cache_gen);
    } else {
        /* Ended, idle too long, or no longer allowed: forget it. */
        portal_clear_session(q);
    }
    visitor_known(q, rt);
}

static void serve_static(struct preq *q, const struct route *rt)
{
    struct portal *p = q->p;
    struct dk_buf body = DK_BUF_INIT(0);
    const char *type = p->logo_type, *data = p->logo;
    size_t len = p->logo_len;

    if (!strcmp(rt->prefix, "/static/portal.css")) {
        type = "text/css; charset=utf-8";
        data = p->css;
        len = p->css_len;
    } else if (!strcmp(rt->prefix, "/static/portal.js")) {
        type = "text/javascript; charset=utf-8";
        data = p->js;
        len = p->js_len;
    }
    if (!data) {
        portal_not_found(q);
        return;
    }
    dk_buf_add(&body, data, len);
    portal_bytes(q, 200, type, "Cache-Control: public, max-age=3600\r\n",
                 &body);
}

static void handle(void *arg, struct http_exchange *x,
                   const struct http_request *r)
{
    struct portal *p = arg;
    struct preq *q = dk_xcalloc(1, sizeof(*q));
    const struct route *rt;
    bool wrong_method;
    char err[200], flash[8];

    q->p = p;
    q->x = x;
    q->r = r;
    q->lang =
        i18n_accept(p, r->accept_language); /* until the session is known */
    dk_buf_init(&q->headers, 0);
    if (form_parse_urlencoded(&q->query, r->query, strlen(r->query), err,
                              sizeof(err)) != 0) {
        portal_message(q, 400, T(q, "Bad address"), err);
        return;
    }
    rt = route_find(r, &q->id, &wrong_method);
    if (!rt) {
        if (wrong_method)
            portal_message(
                q, 405, T(q, "Not here"),
                T(q, "That page does not take this kind of request."));
        else
            portal_not_found(q);
        return;
    }
    if (rt->flags & R_NO_SESSION) {
        serve_static(q, rt);
        return;
    }
    if (r->cookie) {
        char name[64];
        if (!form_cookie(r->cookie,
                         cookie_name(p, "dk_session", name, sizeof(name)),
                         q->session, sizeof(q->session)))
            q->session[0] = '\0';
        if (!form_cookie(r->cookie,
                         cookie_name(p, "dk_pre", name, sizeof(name)), q->pre,
                         sizeof(q->pre)))
            q->pre[0] = '\0';
        if (!form_cookie(r->cookie,
                         cookie_name(p, "dk_lang", name, sizeof(name)),
                         q->lang_cookie, sizeof(q->lang_cookie)))
            q->lang_cookie[0] = '\0';
        if (form_cookie(r->cookie,
                        cookie_name(p, "dk_flash", name, sizeof(name)), flash,
                        sizeof(flash)))
            q->flash =
                atoi(flash) > 0 && atoi(flash) < FLASH_COUNT ? atoi(flash) : 0;
    }
    if (q->session[0]) {
        dk_token_hash(q->session, q->session_hash);
        if (portal_cache_get(p, q->session_hash, &q->who)) {
            q->logged_in = true;
            visitor_known(q, rt);
            return;
        }
    }
    if (q->session[0]) {
        char hex[DK_TOKEN_HASH_LEN * 2 + 1];
        struct db_query *dq = db_query_new(
            "SELECT session_id, contact_id, email, first_name, last_name, "
            "company_id, company_name, language "
            "FROM portal_session_get(decode($1, 'hex'), "
            "make_interval(secs => $2), $3, $4, $5::boolean)",
            5);
        db_query_prepared(dq);
        sodium_bin2hex(hex, sizeof(hex), q->session_hash,
                       sizeof(q->session_hash));
        db_param(dq, 0, hex);
        db_param_ll(dq, 1, p->core->cfg->portal.idle_timeout);
        db_param(dq, 2, portal_access(p));
        db_param(dq, 3, p->core->cfg->portal.access_list);
        /* A stream (re)connecting is not a click: the idle timeout goes
         * on (an unattended tab must still log out). */
        db_param(dq, 4, (rt->flags & R_STREAM) ? "false" : "true");
        q->page_data = (void *)rt;
        q->cache_gen = p->cache_gen;
        portal_query(q, dq, session_found);
        return;
    }
    visitor_known(q, rt);
}

/* ---- body limits ----------------------------------------------------------
 */

static size_t body_limit(void *arg, const struct http_request *r)
{
    struct portal *p = arg;
    const struct route *rt;
    long long id;
    bool wrong;

    if (r->method != HTTP_POST)
        return 0;
    rt = route_find(r, &id, &wrong);
    if (!rt)
        return 0;
    if (!(rt->flags & R_FILES))
        return PORTAL_FORM_SLACK;
    /* Each file within max_upload_bytes, and the whole request within
     * 50 MiB: the most a form of ten files may be. */
    size_t most = p->core->cfg->portal.max_upload_bytes * PORTAL_MAX_FILES;
    if (most > PORTAL_MAX_TOTAL)
        most = PORTAL_MAX_TOTAL;
    return most + PORTAL_FORM_SLACK;
}

static void watch_free(void *w)
{
    free(w);
}

static int body_chunk(void *arg, struct http_exchange *x,
                      const struct http_request *r, const char *data,
                      size_t len)
{
    struct portal *p = arg;
    struct form_watch *w = http_exchange_data(x);

    if (!w) {
        w = dk_xcalloc(1, sizeof(*w));
        /* A part is a file or a field: each within the upload limit and
         * its headers; the files and the other fields together. */
        form_watch_init(w, r->content_type ? r->content_type : "",
                        p->core->cfg->portal.max_upload_bytes + 4096,
                        PORTAL_MAX_FILES + 8);
        http_exchange_set_data(x, w, watch_free);
    }
    return form_watch_feed(w, data, len) == 0 ? 0 : 413;
}

/* ---- set-up ----------------------------------------------------------------
 */

extern const unsigned char portal_css[];
extern const size_t portal_css_len;
extern const unsigned char portal_js[];
extern const size_t portal_js_len;

static char *read_file(const char *path, size_t max, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    struct dk_buf b = DK_BUF_INIT(max);
    size_t n;

    if (!fp)
        return NULL;
    while (dk_buf_reserve(&b, 65536) &&
           (n = fread(dk_buf_tail(&b), 1, dk_buf_room(&b), fp)) > 0)
        dk_buf_commit(&b, n);
    if (ferror(fp) || !feof(fp)) {
        fclose(fp);
        dk_buf_free(&b);
        return NULL;
    }
    fclose(fp);
    return dk_buf_steal(&b, len);
}

static const char *image_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".png", "image/png"},   {".jpg", "image/jpeg"},
                 {".jpeg", "image/jpeg"}, {".gif", "image/gif"},
                 {".webp", "image/webp"}, {".ico", "image/x-icon"}};
    const char *dot = strrchr(path, '.');

    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcasecmp(dot, types[i].ext))
            return types[i].type;
    return NULL;
}

/* A contact's sessions ended somewhere (or, with 0, anything may have). */
static void contact_ended(long long contact_id, void *arg)
{
    portal_cache_forget(arg, contact_id);
    portal_streams_forget(arg, contact_id);
}

struct portal *portal_new(struct core *core, struct auth *auth,
                          struct http *http)
{
    struct portal *p = dk_xcalloc(1, sizeof(*p));
    const struct dk_config *cfg = core->cfg;
    struct http_parser_url u;
    const char *base = cfg->portal.base_url;
    struct http_app app = {body_limit, body_chunk, handle, p,
                           portal_error_page};

    p->core = core;
    p->auth = auth;
    p->http = http;
    if (cfg->portal.stylesheet[0]) {
        p->css = read_file(cfg->portal.stylesheet, 1024 * 1024, &p->css_len);
        if (!p->css) {
            dk_log(DK_LOG_ERROR, "portal.stylesheet %s: cannot be read: %s",
                   cfg->portal.stylesheet, strerror(errno));
            goto fail;
        }
    } else {
        p->css = dk_xmalloc(portal_css_len);
        memcpy(p->css, portal_css, portal_css_len);
        p->css_len = portal_css_len;
    }
    if (i18n_load(p) != 0)
        goto fail;
    p->js = dk_xmalloc(portal_js_len);
    memcpy(p->js, portal_js, portal_js_len);
    p->js_len = portal_js_len;
    if (cfg->portal.logo[0]) {
        if (!(p->logo_type = image_type(cfg->portal.logo))) {
            dk_log(DK_LOG_ERROR,
                   "portal.logo %s: not a .png, .jpg, .gif, .webp or .ico",
                   cfg->portal.logo);
            goto fail;
        }
        p->logo = read_file(cfg->portal.logo, 2 * 1024 * 1024, &p->logo_len);
        if (!p->logo) {
            dk_log(DK_LOG_ERROR, "portal.logo %s: cannot be read: %s",
                   cfg->portal.logo, strerror(errno));
            goto fail;
        }
    }
    p->sso_alg = JWT_ALG_NONE;
    if (cfg->portal.sso.jwt_secret[0]) {
        p->sso_alg = JWT_ALG_HS256;
        p->sso_key_len = strlen(cfg->portal.sso.jwt_secret);
        p->sso_key = (unsigned char *)dk_xstrdup(cfg->portal.sso.jwt_secret);
    } else if (cfg->portal.sso.jwt_public_key_file[0]) {
        p->sso_alg = JWT_ALG_RS256;
        p->sso_key = (unsigned char *)read_file(
            cfg->portal.sso.jwt_public_key_file, 64 * 1024, &p->sso_key_len);
        if (!p->sso_key || !strstr((char *)p->sso_key, "PUBLIC KEY-----")) {
            dk_log(DK_LOG_ERROR,
                   "portal.sso.jwt_public_key_file %s: not a readable PEM "
                   "public key",
                   cfg->portal.sso.jwt_public_key_file);
            goto fail;
        }
    }
    /* The origin browsers send with our own forms. */
    http_parser_url_init(&u);
    if (http_parser_parse_url(base, strlen(base), 0, &u) == 0 &&
        (u.field_set & (1 << UF_SCHEMA)) && (u.field_set & (1 << UF_HOST))) {
        size_t end =
            (u.field_set & (1 << UF_PORT))
                ? u.field_data[UF_PORT].off + u.field_data[UF_PORT].len
                : u.field_data[UF_HOST].off + u.field_data[UF_HOST].len;
        /* An IPv6 host's closing bracket comes after the host itself. */
        if (!(u.field_set & (1 << UF_PORT)) && end < strlen(base) &&
            base[end] == ']')
            end++;
        snprintf(p->origin, sizeof(p->origin), "%.*s", (int)end, base);
        p->secure = !strncasecmp(base, "https:", 6);
    }
    if (!portal_oidc_init(p) || !portal_saml_init(p))
        goto fail;
    p->streams = portal_streams_new(p);
    feed_set_contact_cb(core->feed, contact_ended, p);
    http_set_app(http, &app);
    return p;
fail:
    portal_free(p);
    return NULL;
}

void portal_free(struct portal *p)
{
    if (!p)
        return;
    feed_set_contact_cb(p->core->feed, NULL, NULL);
    portal_cache_free(p);
    portal_streams_free(p->streams);
    i18n_free(p);
    portal_oidc_free(p);
    portal_saml_free(p);
    free(p->js);
    if (p->sso_key) {
        sodium_memzero(p->sso_key, p->sso_key_len);
        free(p->sso_key);
    }
    free(p->css);
    free(p->logo);
    free(p);
}
