/*
 * page_sso.c - JWT single sign-on (GET /sso?jwt=TOKEN) from the agency's
 * own site.  The algorithm is the configuration's, never the token's:
 * the header is read first (jansson over sodium's base64url) and anything
 * but the one configured algorithm is refused before libjwt verifies the
 * signature with the configured key; exp is required, and nbf, aud and
 * iss are checked when configured, with 60 s of clock skew.  The email
 * claim names the contact, who must be allowed by portal.access
 * (portal_sso_find()); anyone else sees access denied.
 */
#include "portal_int.h"
#include "core.h"
#include "db.h"
#include "dk_log.h"
#include "html.h"

#include <jansson.h>
#include <jwt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SKEW      60
#define MAX_TOKEN 8192

/* The alg of a token's header, decoded without trusting anything else. */
static bool header_alg(const char *token, char *alg, size_t alglen)
{
    const char *dot = strchr(token, '.');
    unsigned char raw[1024];
    size_t len;
    json_t *h;
    json_error_t err;
    const char *a;
    bool ok = false;

    if (!dot || dot == token || (size_t)(dot - token) > sizeof(raw))
        return false;
    if (sodium_base642bin(raw, sizeof(raw), token, (size_t)(dot - token), NULL,
                          &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    h = json_loadb((const char *)raw, len, 0, &err);
    a = json_string_value(json_object_get(h, "alg"));
    if (a && strlen(a) < alglen) {
        strcpy(alg, a);
        ok = true;
    }
    json_decref(h);
    return ok;
}

static bool audience_ok(jwt_t *jwt, const char *want)
{
    const char *aud = jwt_get_grant(jwt, "aud");
    char *json;
    json_t *list, *v;
    json_error_t err;
    size_t i;
    bool ok = false;

    if (aud)
        return !strcmp(aud, want);
    /* aud may be an array of audiences: ours must be one of them. */
    if (!(json = jwt_get_grants_json(jwt, "aud")))
        return false;
    list = json_loads(json, 0, &err);
    free(json);
    json_array_foreach(list, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), want))
            ok = true;
    }
    json_decref(list);
    return ok;
}

/* A NumericDate claim (RFC 7519: seconds, possibly with a fraction):
 * 1 with *v, 0 when absent, -1 when it is there but not a number. */
static int numeric_date(jwt_t *jwt, const char *name, double *v)
{
    char *text = jwt_get_grants_json(jwt, name);
    json_t *j;
    json_error_t err;
    int rc = -1;

    if (!text)
        return 0;
    j = json_loads(text, JSON_DECODE_ANY, &err);
    free(text);
    if (json_is_number(j)) {
        *v = json_number_value(j);
        rc = 1;
    }
    json_decref(j);
    return rc;
}

void page_sso(struct preq *q)
{
    struct portal *p = q->p;
    const struct dk_config *cfg = p->core->cfg;
    const char *token = portal_arg(q, "jwt");
    jwt_t *jwt = NULL;
    char alg[16];
    const char *want = p->sso_alg == JWT_ALG_HS256 ? "HS256" : "RS256";
    const char *email, *s;
    double exp, nbf;
    time_t now = time(NULL);

    if (p->sso_alg == JWT_ALG_NONE) {
        portal_not_found(q);
        return;
    }
    if (!token || strlen(token) > MAX_TOKEN) {
        portal_sign_in_denied(q, "JWT", "no token, or one too long");
        return;
    }
    if (!header_alg(token, alg, sizeof(alg)) || strcmp(alg, want) != 0) {
        portal_sign_in_denied(
            q, "JWT", "the token's algorithm is not the configured one");
        return;
    }
    if (jwt_decode(&jwt, token, p->sso_key, (int)p->sso_key_len) != 0 || !jwt ||
        (int)jwt_get_alg(jwt) != p->sso_alg) {
        jwt_free(jwt);
        portal_sign_in_denied(q, "JWT", "the signature does not verify");
        return;
    }
    if (numeric_date(jwt, "exp", &exp) != 1 || exp + SKEW < now) {
        jwt_free(jwt);
        portal_sign_in_denied(q, "JWT",
                              "the token has no usable exp, or has expired");
        return;
    }
    /* nbf is optional, but one that is there is checked: a value that is
     * not a number is refused rather than ignored. */
    switch (numeric_date(jwt, "nbf", &nbf)) {
    case 0:
        break;
    case 1:
        if (nbf - SKEW <= now)
            break;
        /* fall through */
    default:
        jwt_free(jwt);
        portal_sign_in_denied(
            q, "JWT", "the token is not valid yet, or its nbf is not a date");
        return;
    }
    if (cfg->portal.sso.jwt_audience[0] &&
        !audience_ok(jwt, cfg->portal.sso.jwt_audience)) {
        jwt_free(jwt);
        portal_sign_in_denied(q, "JWT", "the token is for another audience");
        return;
    }
    if (cfg->portal.sso.jwt_issuer[0] &&
        (!(s = jwt_get_grant(jwt, "iss")) ||
         strcmp(s, cfg->portal.sso.jwt_issuer) != 0)) {
        jwt_free(jwt);
        portal_sign_in_denied(q, "JWT", "the token is from another issuer");
        return;
    }
    if (!(email = jwt_get_grant(jwt, "email")) || !*email ||
        strlen(email) > 254) {
        jwt_free(jwt);
        portal_sign_in_denied(q, "JWT", "the token names no email");
        return;
    }
    /* email lives in jwt: the query copies it before jwt goes. */
    portal_sign_in(q, email, "JWT");
    jwt_free(jwt);
}
