/*
 * oidc.c - signing in with OpenID Connect (portal.oidc): the authorization
 * code flow with PKCE, against a Google Workspace or Microsoft Entra style
 * provider, ending in portal_sign_in() like every other way in.
 *
 * GET /oidc/login makes a state, a nonce and a PKCE verifier, keeps them
 * in PostgreSQL (oidc_begin: the state and the dk_pre cookie as hashes)
 * and sends the browser to the provider.  GET /oidc/callback takes them
 * back once (oidc_take), refuses a browser other than the one that began
 * (a code for the attacker's own account planted in a victim's browser),
 * exchanges the code at the token endpoint (with the verifier), and
 * verifies the ID token with cjose against the provider's JWKS: RS256
 * only, whatever the token's header says; iss exactly the configured
 * issuer; aud our client_id (and azp, when there are several); exp and
 * iat with 60 s of skew; the nonce; email_verified true.  Several docketd
 * share the pending rows, so any of them takes the callback.
 *
 * The provider's discovery document and its keys come over HTTPS by
 * libcurl on the thread pool (fetch.h): at start-up, then when stale (a
 * day) or when a token names a key we do not have (a rotation), at most
 * every few seconds; requests that need them wait in one queue meanwhile.
 */
#include "portal_int.h"
#include "auth.h"
#include "core.h"
#include "db.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "fetch.h"
#include "html.h"
#include "idtoken.h"
#include "limiter.h"

#include <cjose/cjose.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PENDING_LIFE  "10 minutes" /* from /oidc/login to the callback */
#define MAX_PENDING   30           /* sign-ins waiting per address */
#define DISCOVERY_TTL (24 * 3600)  /* then the document is read again */
#define KEYS_MIN_AGE  5            /* seconds before an unknown kid refetches */
#define MAX_WAITERS   256          /* requests waiting for the provider */
/* Token requests at once: each holds a thread of libuv's pool (shared
 * with Argon2id and the outbox) for up to its 10 s. */
#define MAX_EXCHANGES 4
#define MAX_QUEUED    64 /* callbacks waiting for one of those */
#define MAX_DOCUMENT  (256 * 1024)
#define MAX_ARG       2048 /* code, state */

struct waiter {
    struct preq *q;
    void (*cont)(struct preq *q, bool ok);
    struct waiter *next;
};

struct oidc {
    struct portal *p;
    char *issuer, *client_id, *client_secret, *ca_file, *redirect_uri;
    /* From the discovery document (NULL until it is read). */
    char *authorize_url, *token_url, *jwks_url;
    bool basic_auth; /* the token endpoint takes only client_secret_basic */
    time_t discovered_at;
    time_t tried_at; /* the last fetch begun, for the back-off */
    /* The provider's signing keys (RSA only). */
    cjose_jwk_t **keys;
    size_t nkeys;
    time_t keys_at;
    /* A fetch of the document or the keys is under way; these wait. */
    bool loading;
    struct waiter *waiters, **waiters_tail;
    size_t nwaiters;
    int exchanging; /* token requests in flight (at most MAX_EXCHANGES) */
    struct waiter *queued, **queued_tail; /* callbacks waiting for one */
    size_t nqueued;
};

/* ---- the provider's document and keys ---------------------------------- */

/* Everyone waiting learns the outcome (the list is taken first: a
 * continuation may queue again). */
static void loaded(struct oidc *o, bool ok)
{
    struct waiter *w = o->waiters, *next;

    o->loading = false;
    o->waiters = NULL;
    o->waiters_tail = &o->waiters;
    o->nwaiters = 0;
    for (; w; w = next) {
        next = w->next;
        w->cont(w->q, ok);
        free(w);
    }
}

static bool https_url(const char *s)
{
    if (!s || strncmp(s, "https://", 8) != 0 || strlen(s) > 2000)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

static void keys_fetched(void *arg, const struct fetch_result *r)
{
    struct oidc *o = arg;
    cjose_jwk_t **keys;
    size_t n, skipped;

    if (r->status != 200) {
        dk_log(DK_LOG_ERROR, "portal.oidc: the keys at %s: %s%ld", o->jwks_url,
               r->error ? r->error : "HTTP ", r->error ? 0L : r->status);
        loaded(o, false);
        return;
    }
    if (!(keys = idtoken_keys(r->body, r->len, &n, &skipped))) {
        dk_log(DK_LOG_ERROR, "portal.oidc: the keys at %s are not a JWKS",
               o->jwks_url);
        loaded(o, false);
        return;
    }
    dk_log(n ? DK_LOG_INFO : DK_LOG_ERROR,
           "portal.oidc: %zu RS256 signing key%s at %s%s", n, n == 1 ? "" : "s",
           o->jwks_url, skipped ? " (some could not be read)" : "");
    if (!n) {
        /* The keys we had stay: an empty set is a fault, not a rotation. */
        idtoken_keys_free(keys);
        loaded(o, false);
        return;
    }
    idtoken_keys_free(o->keys);
    o->keys = keys;
    o->nkeys = n;
    o->keys_at = time(NULL);
    loaded(o, true);
}

static void fetch_keys(struct oidc *o)
{
    struct fetch_options f = {
        .url = o->jwks_url, .ca_file = o->ca_file, .max_body = MAX_DOCUMENT};

    if (fetch_start(o->p->core->loop, &f, keys_fetched, o) != 0)
        loaded(o, false);
}

/* token_endpoint_auth_methods_supported: client_secret_post where the
 * provider takes it (the secret then need not be squeezed into Basic's
 * user:password), Basic when that is all it lists, or it lists nothing
 * (the spec's default). */
static bool only_basic(const json_t *doc)
{
    const json_t *methods =
        json_object_get(doc, "token_endpoint_auth_methods_supported");
    const json_t *m;
    size_t i;

    if (!json_is_array(methods))
        return true;
    json_array_foreach(methods, i, m)
    {
        if (json_is_string(m) &&
            !strcmp(json_string_value(m), "client_secret_post"))
            return false;
    }
    return true;
}

static void discovered(void *arg, const struct fetch_result *r)
{
    struct oidc *o = arg;
    json_error_t err;
    json_t *doc = NULL;
    const char *iss, *a, *t, *j;

    if (r->status != 200) {
        dk_log(DK_LOG_ERROR, "portal.oidc: the discovery document of %s: %s%ld",
               o->issuer, r->error ? r->error : "HTTP ",
               r->error ? 0L : r->status);
        goto fail;
    }
    doc = json_loadb(r->body, r->len, 0, &err);
    iss = json_string_value(json_object_get(doc, "issuer"));
    a = json_string_value(json_object_get(doc, "authorization_endpoint"));
    t = json_string_value(json_object_get(doc, "token_endpoint"));
    j = json_string_value(json_object_get(doc, "jwks_uri"));
    /* Discovery 4.3: the document's issuer is exactly the one it was
     * fetched for, or it is someone else's document. */
    if (!iss || strcmp(iss, o->issuer) != 0) {
        dk_log(DK_LOG_ERROR,
               "portal.oidc: the discovery document of %s names the issuer %s",
               o->issuer, iss ? iss : "(none)");
        goto fail;
    }
    if (!https_url(a) || !https_url(t) || !https_url(j)) {
        dk_log(DK_LOG_ERROR,
               "portal.oidc: the discovery document of %s lacks an https "
               "authorization_endpoint, token_endpoint or jwks_uri",
               o->issuer);
        goto fail;
    }
    free(o->authorize_url);
    free(o->token_url);
    free(o->jwks_url);
    o->authorize_url = dk_xstrdup(a);
    o->token_url = dk_xstrdup(t);
    o->jwks_url = dk_xstrdup(j);
    o->basic_auth = only_basic(doc);
    /* The login page's button posts to us, and we send the browser on to
     * the provider: its CSP's form-action must allow that address. */
    portal_allow_form_target(o->p, a);
    o->discovered_at = time(NULL);
    json_decref(doc);
    fetch_keys(o);
    return;
fail:
    json_decref(doc);
    loaded(o, false);
}

static void load(struct oidc *o, bool document)
{
    struct fetch_options f = {.ca_file = o->ca_file, .max_body = MAX_DOCUMENT};
    size_t n = strlen(o->issuer);
    char *url;

    o->loading = true;
    o->tried_at = time(NULL);
    if (!document) {
        fetch_keys(o);
        return;
    }
    /* Discovery 4: the issuer, less a trailing slash, and the path. */
    if (n && o->issuer[n - 1] == '/')
        n--;
    url = dk_xasprintf("%.*s/.well-known/openid-configuration", (int)n,
                       o->issuer);
    f.url = url;
    if (fetch_start(o->p->core->loop, &f, discovered, o) != 0)
        loaded(o, false);
    free(url);
}

/* cont(q, ok) once the provider's document and keys are known (at once
 * when they are); fresh_keys asks for the keys again, a token having
 * named one we lack. */
static void provider_ready(struct preq *q, bool fresh_keys,
                           void (*cont)(struct preq *q, bool ok))
{
    struct oidc *o = q->p->oidc;
    time_t now = time(NULL);
    bool have = o->token_url && o->nkeys;
    bool stale = !o->token_url || now - o->discovered_at > DISCOVERY_TTL;
    bool lately = now - o->tried_at < KEYS_MIN_AGE;
    struct waiter *w;

    /* What we have serves while a day-old document is read again behind
     * it (a provider's blip then costs nobody a sign-in); a failed read
     * is tried again a minute later, not on every request. */
    if (have && !fresh_keys) {
        if (stale && !o->loading && now - o->tried_at >= 60)
            load(o, true);
        cont(q, true);
        return;
    }
    /* Keys read moments ago stand (the token is checked against them
     * once more, and that verdict stands), and so does a failure. */
    if (!o->loading && lately) {
        cont(q, have);
        return;
    }
    if (o->nwaiters >= MAX_WAITERS || !(w = calloc(1, sizeof(*w)))) {
        cont(q, false);
        return;
    }
    w->q = q;
    w->cont = cont;
    *o->waiters_tail = w;
    o->waiters_tail = &w->next;
    o->nwaiters++;
    if (!o->loading)
        load(o, stale);
}

static void unreachable(struct preq *q)
{
    portal_message(q, 503, T(q, "Try again shortly"),
                   T(q, "The school's sign-in service cannot be reached "
                        "right now. Try again in a moment, or log in with "
                        "your password."));
}

static void out_of_memory(struct preq *q)
{
    portal_message(q, 500, T(q, "Something went wrong"),
                   T(q, "Out of memory."));
}

/* ---- GET /oidc/login ------------------------------------------------------
 */

struct step {
    char state[DK_TOKEN_LEN + 1];
    char nonce[DK_TOKEN_LEN + 1];
    char verifier[DK_TOKEN_LEN + 1];
};

static void step_free(void *data)
{
    sodium_memzero(data, sizeof(struct step));
    free(data);
}

static void begun(struct preq *q, PGresult *res)
{
    struct oidc *o = q->p->oidc;
    struct step *s = q->page_data;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char challenge[64], line[4300];
    struct dk_buf url = DK_BUF_INIT(4096);

    if (!db_ok(res)) {
        portal_sign_in_db_error(q, res);
        return;
    }
    /* RFC 7636: S256 of the verifier, base64url without padding. */
    crypto_hash_sha256(digest, (const unsigned char *)s->verifier,
                       strlen(s->verifier));
    sodium_bin2base64(challenge, sizeof(challenge), digest, sizeof(digest),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    dk_buf_adds(&url, o->authorize_url);
    dk_buf_adds(&url, strchr(o->authorize_url, '?') ? "&" : "?");
    dk_buf_adds(&url, "response_type=code&scope=openid%20email%20profile"
                      "&code_challenge_method=S256&client_id=");
    html_url_arg(&url, o->client_id);
    dk_buf_adds(&url, "&redirect_uri=");
    html_url_arg(&url, o->redirect_uri);
    dk_buf_adds(&url, "&state=");
    html_url_arg(&url, s->state);
    dk_buf_adds(&url, "&nonce=");
    html_url_arg(&url, s->nonce);
    dk_buf_adds(&url, "&code_challenge=");
    html_url_arg(&url, challenge);
    /* The provider's own pages in the portal's language, where it can. */
    dk_buf_adds(&url, "&ui_locales=");
    html_url_arg(&url, i18n_code(q->lang));
    if (!url.data || url.len >= 4096 - 1) {
        dk_buf_free(&url);
        out_of_memory(q);
        return;
    }
    /* Not portal_redirect(), which goes only to our own paths: this URL
     * is the discovery document's https endpoint (checked) and values
     * encoded here. */
    snprintf(line, sizeof(line), "Location: %s\r\nCache-Control: no-store\r\n",
             url.data);
    dk_buf_free(&url);
    portal_bytes(q, 303, "text/plain; charset=utf-8", line, NULL);
}

static void login_ready(struct preq *q, bool ok)
{
    struct step *s;
    struct db_query *dq;
    char state[DK_TOKEN_HASH_LEN * 2 + 1], browser[DK_TOKEN_HASH_LEN * 2 + 1];
    char addr[64];

    if (!ok) {
        unreachable(q);
        return;
    }
    if (!(s = calloc(1, sizeof(*s)))) {
        out_of_memory(q);
        return;
    }
    dk_token_new(s->state);
    dk_token_new(s->nonce);
    dk_token_new(s->verifier);
    q->page_data = s;
    q->page_free = step_free;
    portal_token_hash_hex(s->state, state);
    /* The browser's pre-login cookie (minted for this answer when it had
     * none): the callback must come with the same one. */
    portal_token_hash_hex(q->pre, browser);
    dq = db_query_new("SELECT oidc_begin(decode($1, 'hex'), decode($2, 'hex'), "
                      "$3, $4, $5, $6::interval, $7::integer)",
                      7);
    db_param(dq, 0, state);
    db_param(dq, 1, browser);
    db_param(dq, 2, s->nonce);
    db_param(dq, 3, s->verifier);
    db_param(dq, 4, limiter_address(q->r->peer, false, addr, sizeof(addr)));
    db_param(dq, 5, PENDING_LIFE);
    db_param_ll(dq, 6, MAX_PENDING);
    portal_query(q, dq, begun);
}

void page_oidc_login(struct preq *q)
{
    if (!q->p->oidc) {
        portal_not_found(q);
        return;
    }
    if (q->logged_in) {
        portal_redirect(q, "/tickets", 0);
        return;
    }
    provider_ready(q, false, login_ready);
}

/* ---- GET /oidc/callback ----------------------------------------------------
 */

struct callback {
    char *nonce;
    char *verifier;
    char *id_token; /* from the token endpoint */
    bool retried;   /* the keys were fetched again once */
    char email[256];
};

static void callback_free(void *data)
{
    struct callback *c = data;

    free(c->nonce);
    if (c->verifier)
        sodium_memzero(c->verifier, strlen(c->verifier));
    free(c->verifier);
    free(c->id_token);
    free(c);
}

static void check_token(struct preq *q, bool ok);

static void forgotten(struct preq *q, PGresult *res)
{
    struct callback *c = q->page_data;
    char email[sizeof(c->email)];

    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    memcpy(email, c->email, sizeof(email));
    portal_sign_in(q, email, "OIDC"); /* frees c */
}

/* A sign-in that worked no longer counts against its address (only
 * those begun and failed, or not back yet, do): then the session. */
static void signed_in_at_provider(struct preq *q, const char *email)
{
    struct callback *c = q->page_data;
    char state[DK_TOKEN_HASH_LEN * 2 + 1];
    struct db_query *dq;

    snprintf(c->email, sizeof(c->email), "%s", email);
    portal_token_hash_hex(portal_arg(q, "state"), state);
    dq = db_query_new("DELETE FROM oidc_pending "
                      "WHERE state_hash = decode($1, 'hex')",
                      1);
    db_param(dq, 0, state);
    portal_query(q, dq, forgotten);
}

static void keys_again(struct preq *q, bool ok)
{
    if (!ok) {
        unreachable(q);
        return;
    }
    check_token(q, true);
}

static void check_token(struct preq *q, bool ok)
{
    struct oidc *o = q->p->oidc;
    struct callback *c = q->page_data;
    struct idtoken_expect e = {o->issuer, o->client_id, c->nonce,
                               (double)time(NULL)};
    char email[256];
    const char *why = "";

    (void)ok;
    switch (idtoken_check(c->id_token, o->keys, o->nkeys, &e, email,
                          sizeof(email), &why)) {
    case IDTOKEN_OK:
        signed_in_at_provider(q, email);
        return;
    case IDTOKEN_NO_KEY:
        /* A rotation: the keys once more, then the verdict stands. */
        if (!c->retried) {
            c->retried = true;
            provider_ready(q, true, keys_again);
            return;
        }
        /* fall through */
    case IDTOKEN_BAD:
        portal_sign_in_denied(q, "OIDC", why);
        return;
    }
}

static void exchange(struct preq *q, bool ok);

/* A token request is done: the next callback waiting gets its turn. */
static void next_exchange(struct oidc *o)
{
    struct waiter *w = o->queued;

    o->exchanging--;
    if (!w)
        return;
    if (!(o->queued = w->next))
        o->queued_tail = &o->queued;
    o->nqueued--;
    w->cont(w->q, true);
    free(w);
}

static void token_answered(void *arg, const struct fetch_result *r)
{
    struct preq *q = arg;
    struct callback *c = q->page_data;
    json_error_t err;
    json_t *doc;
    const char *t, *e;
    char why[200];

    next_exchange(q->p->oidc);
    if (r->error) {
        dk_log(DK_LOG_ERROR, "portal.oidc: the token endpoint: %s", r->error);
        unreachable(q);
        return;
    }
    doc = json_loadb(r->body, r->len, 0, &err);
    t = json_string_value(json_object_get(doc, "id_token"));
    if (r->status != 200 || !t || strlen(t) > 64 * 1024) {
        /* invalid_grant: a code used twice, or a verifier that is not
         * the code's. */
        e = json_string_value(json_object_get(doc, "error"));
        snprintf(why, sizeof(why),
                 "the token endpoint answered %ld %.100s, without an ID token",
                 r->status, e ? e : "");
        json_decref(doc);
        portal_sign_in_denied(q, "OIDC", why);
        return;
    }
    c->id_token = dk_xstrdup(t);
    json_decref(doc);
    check_token(q, true);
}

static void exchange(struct preq *q, bool ok)
{
    struct oidc *o = q->p->oidc;
    struct callback *c = q->page_data;
    struct dk_buf form = DK_BUF_INIT(16384);
    struct dk_buf user = DK_BUF_INIT(4096), pass = DK_BUF_INIT(4096);
    struct fetch_options f = {
        .url = o->token_url, .ca_file = o->ca_file, .max_body = MAX_DOCUMENT};

    if (!ok) {
        unreachable(q);
        return;
    }
    if (o->exchanging >= MAX_EXCHANGES) {
        struct waiter *w;
        if (o->nqueued >= MAX_QUEUED || !(w = calloc(1, sizeof(*w)))) {
            dk_log(DK_LOG_WARN,
                   "portal.oidc: %zu callbacks queued for the token "
                   "endpoint: refused one from %s",
                   o->nqueued, q->r->peer);
            unreachable(q);
            return;
        }
        w->q = q;
        w->cont = exchange;
        *o->queued_tail = w;
        o->queued_tail = &w->next;
        o->nqueued++;
        return;
    }
    dk_buf_adds(&form, "grant_type=authorization_code&code=");
    html_url_arg(&form, portal_arg(q, "code"));
    dk_buf_adds(&form, "&redirect_uri=");
    html_url_arg(&form, o->redirect_uri);
    dk_buf_adds(&form, "&code_verifier=");
    html_url_arg(&form, c->verifier);
    dk_buf_adds(&form, "&client_id=");
    html_url_arg(&form, o->client_id);
    if (o->basic_auth) {
        /* RFC 6749 2.3.1: each form-encoded before Basic. */
        html_url_arg(&user, o->client_id);
        html_url_arg(&pass, o->client_secret);
        f.user = user.data ? user.data : "";
        f.password = pass.data ? pass.data : "";
    } else {
        dk_buf_adds(&form, "&client_secret=");
        html_url_arg(&form, o->client_secret);
    }
    f.form = form.data;
    if (!form.data || fetch_start(q->p->core->loop, &f, token_answered, q))
        out_of_memory(q);
    else
        o->exchanging++;
    if (form.data)
        sodium_memzero(form.data, form.len);
    if (pass.data)
        sodium_memzero(pass.data, pass.len);
    dk_buf_free(&form);
    dk_buf_free(&user);
    dk_buf_free(&pass);
}

static void taken(struct preq *q, PGresult *res)
{
    struct callback *c;

    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    if (PQntuples(res) != 1) {
        portal_sign_in_denied(q, "OIDC", "the state is unknown, used or old");
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 2), "t") != 0) {
        portal_sign_in_denied(q, "OIDC",
                              "the sign-in was begun in another browser");
        return;
    }
    if (!(c = calloc(1, sizeof(*c))) ||
        !(c->nonce = strdup(PQgetvalue(res, 0, 0))) ||
        !(c->verifier = strdup(PQgetvalue(res, 0, 1)))) {
        if (c)
            callback_free(c);
        out_of_memory(q);
        return;
    }
    q->page_data = c;
    q->page_free = callback_free;
    /* The state first, the provider then: a bad callback is refused even
     * while the provider cannot be reached. */
    provider_ready(q, false, exchange);
}

static void take_state(struct preq *q)
{
    char state[DK_TOKEN_HASH_LEN * 2 + 1], browser[DK_TOKEN_HASH_LEN * 2 + 1];
    struct db_query *dq;

    portal_token_hash_hex(portal_arg(q, "state"), state);
    portal_token_hash_hex(q->pre, browser);
    dq = db_query_new("SELECT nonce, verifier, same_browser FROM "
                      "oidc_take(decode($1, 'hex'), decode($2, 'hex'), "
                      "$3::interval)",
                      3);
    db_param(dq, 0, state);
    db_param(dq, 1, browser);
    db_param(dq, 2, PENDING_LIFE);
    portal_query(q, dq, taken);
}

void page_oidc_callback(struct preq *q)
{
    const char *code = portal_arg(q, "code");
    const char *state = portal_arg(q, "state");
    const char *error = portal_arg(q, "error");
    char why[160];

    if (!q->p->oidc) {
        portal_not_found(q);
        return;
    }
    if (error) {
        /* The provider refused (access_denied: the person said no). */
        snprintf(why, sizeof(why), "the provider answered %.100s", error);
        portal_sign_in_denied(q, "OIDC", why);
        return;
    }
    if (!code || !state || !*code || !*state || strlen(code) > MAX_ARG ||
        strlen(state) > MAX_ARG) {
        portal_sign_in_denied(q, "OIDC", "no code or state");
        return;
    }
    /* A browser without its dk_pre cookie cannot be the one that began
     * (a fresh one was minted for this answer). */
    if (q->new_pre) {
        portal_sign_in_denied(q, "OIDC",
                              "the browser has no pre-login cookie: begun "
                              "elsewhere, or cookies are off");
        return;
    }
    take_state(q);
}

/* ---- set-up ------------------------------------------------------------- */

bool portal_oidc_init(struct portal *p)
{
    const struct dk_config *cfg = p->core->cfg;
    const char *base = cfg->portal.base_url;
    size_t n = strlen(base);
    struct oidc *o;

    if (!cfg->portal.oidc.issuer[0])
        return true;
    o = dk_xcalloc(1, sizeof(*o));
    o->p = p;
    o->issuer = dk_xstrdup(cfg->portal.oidc.issuer);
    o->client_id = dk_xstrdup(cfg->portal.oidc.client_id);
    o->client_secret = dk_xstrdup(cfg->portal.oidc.client_secret);
    o->ca_file = dk_xstrdup(cfg->portal.oidc.ca_file);
    /* base_url may end in a slash: the callback is one path below. */
    if (n && base[n - 1] == '/')
        n--;
    o->redirect_uri = dk_xasprintf("%.*s/oidc/callback", (int)n, base);
    o->waiters_tail = &o->waiters;
    o->queued_tail = &o->queued;
    /* Until the document says where its sign-in page is, the issuer's
     * origin (the same for Google and Entra) is where forms may lead. */
    portal_allow_form_target(p, o->issuer);
    p->oidc = o;
    dk_log(DK_LOG_INFO, "portal.oidc: signing in with %s (redirect URI %s)",
           o->issuer, o->redirect_uri);
    /* The document and keys now, so that a mistake shows in the log at
     * start-up and the first sign-in does not wait. */
    load(o, true);
    return true;
}

void portal_oidc_free(struct portal *p)
{
    struct oidc *o = p->oidc;

    if (!o)
        return;
    idtoken_keys_free(o->keys);
    free(o->issuer);
    free(o->client_id);
    sodium_memzero(o->client_secret, strlen(o->client_secret));
    free(o->client_secret);
    free(o->ca_file);
    free(o->redirect_uri);
    free(o->authorize_url);
    free(o->token_url);
    free(o->jwks_url);
    free(o);
    p->oidc = NULL;
}
