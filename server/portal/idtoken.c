/*
 * idtoken.c - an OpenID Connect ID token's checks and a JWKS's keys
 * (idtoken.h).  cjose does the JOSE: parsing the compact JWS, importing
 * JWKs and verifying RS256.  What cjose does not decide is decided here:
 * the algorithm is pinned before a verifier is chosen (cjose would follow
 * the header's), and every claim OpenID Connect requires is checked.
 */
#include "idtoken.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define ALG "RS256"

static int audience_ok(const struct idtoken_expect *e, const json_t *claims)
{
    const json_t *aud = json_object_get(claims, "aud");
    const char *azp = json_string_value(json_object_get(claims, "azp"));
    const json_t *v;
    size_t i;
    int ours = 0;

    if (json_is_string(aud)) {
        ours = !strcmp(json_string_value(aud), e->client_id);
    } else if (json_is_array(aud)) {
        json_array_foreach(aud, i, v)
        {
            if (json_is_string(v) &&
                !strcmp(json_string_value(v), e->client_id))
                ours = 1;
        }
        /* Core 3.1.3.7: with several audiences, azp must name us. */
        if (json_array_size(aud) > 1 && !azp)
            return 0;
    }
    return ours && (!azp || !strcmp(azp, e->client_id));
}

/* A NumericDate claim, or -1. */
static double date_claim(const json_t *claims, const char *name)
{
    const json_t *v = json_object_get(claims, name);

    return json_is_number(v) ? json_number_value(v) : -1;
}

static const cjose_jwk_t *find_key(cjose_jwk_t *const *keys, size_t nkeys,
                                   const char *kid)
{
    cjose_err err;

    for (size_t i = 0; i < nkeys; i++) {
        const char *k = cjose_jwk_get_kid(keys[i], &err);
        if (kid ? (k && !strcmp(k, kid)) : nkeys == 1)
            return keys[i];
    }
    return NULL;
}

static enum idtoken_verdict check_claims(const json_t *claims,
                                         const struct idtoken_expect *e,
                                         char *email, size_t email_size,
                                         const char **why)
{
    const char *s;
    double exp = date_claim(claims, "exp"), iat = date_claim(claims, "iat");

    if (!(s = json_string_value(json_object_get(claims, "iss"))) ||
        strcmp(s, e->issuer) != 0) {
        *why = "the ID token is from another issuer";
        return IDTOKEN_BAD;
    }
    if (!audience_ok(e, claims)) {
        *why = "the ID token is for another client";
        return IDTOKEN_BAD;
    }
    if (exp < 0 || exp + IDTOKEN_SKEW < e->now || iat < 0 ||
        iat - IDTOKEN_SKEW > e->now) {
        *why = "the ID token has expired, or its exp or iat is not usable";
        return IDTOKEN_BAD;
    }
    if (!(s = json_string_value(json_object_get(claims, "nonce"))) ||
        strlen(s) != strlen(e->nonce) ||
        sodium_memcmp(s, e->nonce, strlen(s)) != 0) {
        *why = "the ID token's nonce is not this sign-in's";
        return IDTOKEN_BAD;
    }
    /* Microsoft Entra has no email_verified: its optional claim
     * xms_edov says the tenant verified the address's domain. */
    if (!json_is_true(json_object_get(claims, "email_verified")) &&
        !json_is_true(json_object_get(claims, "xms_edov"))) {
        *why = "the provider has not verified the email";
        return IDTOKEN_BAD;
    }
    if (!(s = json_string_value(json_object_get(claims, "email"))) ||
        !strchr(s, '@') || strlen(s) >= email_size) {
        *why = "the ID token names no usable email";
        return IDTOKEN_BAD;
    }
    strcpy(email, s);
    return IDTOKEN_OK;
}

/* n bytes of base64url without padding, of a length it can have:
 * cjose 0.6 asserts (aborts the process) on some malformed base64, such
 * as a '=' inside or a length of 4k + 1, so nothing else reaches it. */
static int b64url_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return 0;
    return n % 4 != 1;
}

/* Three parts of base64url (RFC 7515's compact form) and nothing else. */
static int compact_jws(const char *t)
{
    const char *a = strchr(t, '.'), *b = a ? strchr(a + 1, '.') : NULL;

    return b && !strchr(b + 1, '.') && b64url_ok(t, (size_t)(a - t)) &&
           b64url_ok(a + 1, (size_t)(b - a - 1)) &&
           b64url_ok(b + 1, strlen(b + 1));
}

enum idtoken_verdict idtoken_check(const char *token, cjose_jwk_t *const *keys,
                                   size_t nkeys, const struct idtoken_expect *e,
                                   char *email, size_t email_size,
                                   const char **why)
{
    cjose_err err;
    cjose_jws_t *jws;
    cjose_header_t *hdr;
    const char *alg, *kid;
    const cjose_jwk_t *key;
    uint8_t *payload;
    size_t len;
    json_t *claims = NULL;
    json_error_t jerr;
    enum idtoken_verdict v = IDTOKEN_BAD;

    if (!compact_jws(token) ||
        !(jws = cjose_jws_import(token, strlen(token), &err))) {
        *why = "the ID token is not a signed JWT";
        return IDTOKEN_BAD;
    }
    hdr = cjose_jws_get_protected(jws);
    alg = cjose_header_get(hdr, "alg", &err);
    kid = cjose_header_get(hdr, "kid", &err);
    /* The algorithm is ours, not the token's: "none", or HS256 keyed with
     * something public, never reaches a verifier. */
    if (!alg || strcmp(alg, ALG) != 0) {
        *why = "the ID token is not signed with RS256";
        goto out;
    }
    if (json_object_get((json_t *)hdr, "crit")) {
        *why = "the ID token has critical header parameters";
        goto out;
    }
    if (!(key = find_key(keys, nkeys, kid))) {
        *why = "the ID token is signed with a key the provider does not list";
        v = IDTOKEN_NO_KEY;
        goto out;
    }
    if (!cjose_jws_verify(jws, key, &err)) {
        *why = "the ID token's signature does not verify";
        goto out;
    }
    if (!cjose_jws_get_plaintext(jws, &payload, &len, &err) ||
        !(claims = json_loadb((const char *)payload, len, 0, &jerr)) ||
        !json_is_object(claims)) {
        *why = "the ID token's claims are not a JSON object";
        goto out;
    }
    v = check_claims(claims, e, email, email_size, why);
out:
    json_decref(claims);
    cjose_jws_release(jws);
    return v;
}

/* The public half of an RSA JWK, and nothing else of it (a provider
 * that publishes "d" by mistake does not make us hold a private key),
 * each part checked before cjose decodes it. */
static cjose_jwk_t *public_key(const json_t *k, cjose_err *err)
{
    const char *kid = json_string_value(json_object_get(k, "kid"));
    const json_t *n = json_object_get(k, "n"), *e = json_object_get(k, "e");
    json_t *pub;
    cjose_jwk_t *jwk;

    if (!json_is_string(n) || !json_is_string(e) ||
        !b64url_ok(json_string_value(n), json_string_length(n)) ||
        !b64url_ok(json_string_value(e), json_string_length(e)) ||
        !json_string_length(n) || !json_string_length(e))
        return NULL;
    pub = json_pack("{s:s, s:O, s:O}", "kty", "RSA", "n", n, "e", e);
    if (pub && kid)
        json_object_set_new(pub, "kid", json_string(kid));
    jwk = pub ? cjose_jwk_import_json((cjose_header_t *)pub, err) : NULL;
    json_decref(pub);
    /* Nothing weaker than 2048 bits signs an ID token we believe. */
    if (jwk && cjose_jwk_get_keysize(jwk, err) < 2048) {
        cjose_jwk_release(jwk);
        return NULL;
    }
    return jwk;
}

cjose_jwk_t **idtoken_keys(const char *json, size_t len, size_t *n,
                           size_t *skipped)
{
    json_error_t err;
    json_t *doc = json_loadb(json, len, 0, &err), *list, *k;
    cjose_jwk_t **keys = NULL;
    cjose_err cerr;
    size_t i;

    *n = *skipped = 0;
    list = json_object_get(doc, "keys");
    if (!json_is_array(list) ||
        !(keys = calloc(json_array_size(list) + 1, sizeof(*keys)))) {
        json_decref(doc);
        return NULL;
    }
    json_array_foreach(list, i, k)
    {
        const char *kty = json_string_value(json_object_get(k, "kty"));
        const char *use = json_string_value(json_object_get(k, "use"));
        const char *alg = json_string_value(json_object_get(k, "alg"));
        cjose_jwk_t *jwk;

        /* Only keys that may sign an RS256 token; the others (encryption
         * keys, EC keys) are passed over, not errors. */
        if (!json_is_object(k) || !kty || strcmp(kty, "RSA") != 0 ||
            (use && strcmp(use, "sig")) || (alg && strcmp(alg, ALG)))
            continue;
        if (!(jwk = public_key(k, &cerr))) {
            (*skipped)++;
            continue;
        }
        keys[(*n)++] = jwk;
    }
    json_decref(doc);
    return keys;
}

void idtoken_keys_free(cjose_jwk_t **keys)
{
    if (!keys)
        return;
    for (cjose_jwk_t **k = keys; *k; k++)
        cjose_jwk_release(*k);
    free(keys);
}
