/*
 * test_idtoken.c - an OpenID Connect ID token's checks (idtoken.c), with
 * tokens signed here by cjose for real: each claim wrong in turn, each
 * algorithm that must not pass (none, HS256), keys by kid, and the JWKS
 * reader's choice of keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idtoken.h"

#define ISSUER  "https://accounts.example"
#define CLIENT  "docket-portal"
#define NONCE   "n0nce-n0nce-n0nce-n0nce-n0nce-n0nce-n0nce"
#define NOW     1800000000.0
#define S_(lit) lit, sizeof(lit) - 1

static cjose_jwk_t *key1, *key1_again, *key2;

static cjose_jwk_t *rsa(const char *kid)
{
    static const uint8_t e[] = {0x01, 0x00, 0x01};
    cjose_err err;
    cjose_jwk_t *k = cjose_jwk_create_RSA_random(2048, e, sizeof(e), &err);

    assert_non_null(k);
    assert_true(cjose_jwk_set_kid(k, kid, strlen(kid), &err));
    return k;
}

static int setup(void **state)
{
    (void)state;
    key1 = rsa("k1");
    key1_again = rsa("k1"); /* another key under the same kid */
    key2 = rsa("k2");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cjose_jwk_release(key1);
    cjose_jwk_release(key1_again);
    cjose_jwk_release(key2);
    return 0;
}

/* The good claims, as a JSON object to change. */
static json_t *claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:b}", "iss", ISSUER,
                     "sub", "123", "aud", CLIENT, "exp", NOW + 300, "iat", NOW,
                     "nonce", NONCE, "email", "ola@nordlys.example.no",
                     "email_verified", 1);
}

/* A compact JWS of c (taken) signed by k with alg and kid (NULL: none). */
static char *sign_with(json_t *c, const cjose_jwk_t *k, const char *alg,
                       const char *kid)
{
    cjose_err err;
    cjose_header_t *h = cjose_header_new(&err);
    char *text = json_dumps(c, JSON_COMPACT);
    cjose_jws_t *jws;
    const char *out;
    char *copy;

    assert_true(cjose_header_set(h, CJOSE_HDR_ALG, alg, &err));
    if (kid)
        assert_true(cjose_header_set(h, CJOSE_HDR_KID, kid, &err));
    jws = cjose_jws_sign(k, h, (const uint8_t *)text, strlen(text), &err);
    assert_non_null(jws);
    assert_true(cjose_jws_export(jws, &out, &err));
    copy = strdup(out);
    cjose_jws_release(jws);
    cjose_header_release(h);
    free(text);
    json_decref(c);
    return copy;
}

static char *sign(json_t *c)
{
    return sign_with(c, key1, CJOSE_HDR_ALG_RS256, "k1");
}

static enum idtoken_verdict check(const char *token, const char **why,
                                  char *email)
{
    cjose_jwk_t *keys[] = {key1, key2};
    struct idtoken_expect e = {ISSUER, CLIENT, NONCE, NOW};
    static char scratch[256];

    return idtoken_check(token, keys, 2, &e, email ? email : scratch, 256, why);
}

/* token is refused, and why names the reason. */
static void refused(char *token, const char *reason)
{
    const char *why = "";

    assert_int_equal(check(token, &why, NULL), IDTOKEN_BAD);
    if (!strstr(why, reason))
        fail_msg("refused for \"%s\", not \"%s\"", why, reason);
    free(token);
}

static void test_good(void **state)
{
    char email[256];
    const char *why = "";
    char *t = sign(claims());

    (void)state;
    assert_int_equal(check(t, &why, email), IDTOKEN_OK);
    assert_string_equal(email, "ola@nordlys.example.no");
    free(t);
}

static void test_claims(void **state)
{
    json_t *c;

    (void)state;
    c = claims();
    json_object_set_new(c, "iss", json_string("https://evil.example"));
    refused(sign(c), "another issuer");
    c = claims();
    json_object_del(c, "iss");
    refused(sign(c), "another issuer");
    c = claims();
    json_object_set_new(c, "aud", json_string("someone-else"));
    refused(sign(c), "another client");
    c = claims();
    json_object_set_new(c, "aud", json_pack("[s, s]", CLIENT, "other"));
    refused(sign(c), "another client"); /* several, and no azp */
    c = claims();
    json_object_set_new(c, "aud", json_pack("[s]", "other"));
    json_object_set_new(c, "azp", json_string(CLIENT));
    refused(sign(c), "another client"); /* azp alone is not aud */
    c = claims();
    json_object_set_new(c, "azp", json_string("other"));
    refused(sign(c), "another client");
    c = claims();
    json_object_set_new(c, "exp", json_real(NOW - IDTOKEN_SKEW - 1));
    refused(sign(c), "expired");
    c = claims();
    json_object_set_new(c, "exp", json_string("tomorrow"));
    refused(sign(c), "expired");
    c = claims();
    json_object_del(c, "iat");
    refused(sign(c), "iat");
    c = claims();
    json_object_set_new(c, "iat", json_real(NOW + IDTOKEN_SKEW + 1));
    refused(sign(c), "iat");
    c = claims();
    json_object_set_new(c, "nonce", json_string(NONCE "x"));
    refused(sign(c), "nonce");
    c = claims();
    json_object_del(c, "nonce");
    refused(sign(c), "nonce");
    c = claims();
    json_object_set_new(c, "email_verified", json_false());
    refused(sign(c), "not verified");
    c = claims();
    json_object_set_new(c, "email_verified", json_string("true"));
    refused(sign(c), "not verified");
    c = claims();
    json_object_del(c, "email_verified");
    json_object_set_new(c, "xms_edov", json_false());
    refused(sign(c), "not verified");
    c = claims();
    json_object_del(c, "email");
    refused(sign(c), "no usable email");
    c = claims();
    json_object_set_new(c, "email", json_string("no-at-sign"));
    refused(sign(c), "no usable email");
}

static void test_skew_and_audiences(void **state)
{
    const char *why = "";
    json_t *c;
    char *t;

    (void)state;
    /* Within the skew either way. */
    c = claims();
    json_object_set_new(c, "exp", json_real(NOW - IDTOKEN_SKEW + 1));
    json_object_set_new(c, "iat", json_real(NOW + IDTOKEN_SKEW - 1));
    t = sign(c);
    assert_int_equal(check(t, &why, NULL), IDTOKEN_OK);
    free(t);
    /* Entra: no email_verified, the domain verified by the tenant. */
    c = claims();
    json_object_del(c, "email_verified");
    json_object_set_new(c, "xms_edov", json_true());
    t = sign(c);
    assert_int_equal(check(t, &why, NULL), IDTOKEN_OK);
    free(t);
    /* Several audiences, azp ours. */
    c = claims();
    json_object_set_new(c, "aud", json_pack("[s, s]", "other", CLIENT));
    json_object_set_new(c, "azp", json_string(CLIENT));
    t = sign(c);
    assert_int_equal(check(t, &why, NULL), IDTOKEN_OK);
    free(t);
}

static char *b64(const char *s)
{
    char *out = malloc(sodium_base64_ENCODED_LEN(
        strlen(s), sodium_base64_VARIANT_URLSAFE_NO_PADDING));

    sodium_bin2base64(out,
                      sodium_base64_ENCODED_LEN(
                          strlen(s), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                      (const unsigned char *)s, strlen(s),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

static void test_algorithms(void **state)
{
    cjose_err err;
    json_t *c = claims();
    char *body = json_dumps(c, JSON_COMPACT), *h, *p, *t;
    cjose_jwk_t *oct;

    (void)state;
    json_decref(c);
    /* alg none, no signature. */
    h = b64("{\"alg\":\"none\"}");
    p = b64(body);
    t = malloc(strlen(h) + strlen(p) + 3);
    sprintf(t, "%s.%s.", h, p);
    refused(t, "not signed with RS256");
    free(h);
    /* HS256, keyed with something the attacker knows, kid k1. */
    oct = cjose_jwk_create_oct_spec((const uint8_t *)"client-secret", 13, &err);
    assert_non_null(oct);
    refused(sign_with(claims(), oct, CJOSE_HDR_ALG_HS256, "k1"),
            "not signed with RS256");
    cjose_jwk_release(oct);
    /* RS512 with a real key: not the one algorithm either. */
    refused(sign_with(claims(), key1, CJOSE_HDR_ALG_RS512, "k1"),
            "not signed with RS256");
    /* PS256 is RSA too, but not RS256. */
    refused(sign_with(claims(), key1, CJOSE_HDR_ALG_PS256, "k1"),
            "not signed with RS256");
    free(p);
    free(body);
}

static void test_keys(void **state)
{
    const char *why = "";
    char *t;
    cjose_jwk_t *one[] = {key1};
    struct idtoken_expect e = {ISSUER, CLIENT, NONCE, NOW};
    char email[256];
    size_t n;

    (void)state;
    /* Another key under a listed kid. */
    refused(sign_with(claims(), key1_again, CJOSE_HDR_ALG_RS256, "k1"),
            "signature does not verify");
    /* The second key, by its kid. */
    t = sign_with(claims(), key2, CJOSE_HDR_ALG_RS256, "k2");
    assert_int_equal(check(t, &why, NULL), IDTOKEN_OK);
    free(t);
    /* An unknown kid: fetch the keys again. */
    t = sign_with(claims(), key2, CJOSE_HDR_ALG_RS256, "k9");
    assert_int_equal(check(t, &why, NULL), IDTOKEN_NO_KEY);
    free(t);
    /* No kid: the only key, or none of several. */
    t = sign_with(claims(), key1, CJOSE_HDR_ALG_RS256, NULL);
    assert_int_equal(idtoken_check(t, one, 1, &e, email, sizeof(email), &why),
                     IDTOKEN_OK);
    assert_int_equal(check(t, &why, NULL), IDTOKEN_NO_KEY);
    free(t);
    /* Tampered claims under a good signature. */
    t = sign(claims());
    {
        char *dot1 = strchr(t, '.'), *dot2 = strchr(dot1 + 1, '.');
        char *evil = b64("{\"iss\":\"" ISSUER "\",\"aud\":\"" CLIENT
                         "\",\"exp\":1900000000,\"iat\":1800000000,"
                         "\"nonce\":\"" NONCE "\",\"email\":\"eve@x.example\","
                         "\"email_verified\":true}");
        char *forged = malloc(strlen(t) + strlen(evil) + 2);
        sprintf(forged, "%.*s.%s%s", (int)(dot1 - t), t, evil, dot2);
        refused(forged, "signature does not verify");
        free(evil);
    }
    free(t);
    /* Not a JWS at all. */
    refused(strdup(""), "not a signed JWT");
    refused(strdup("a.b"), "not a signed JWT");
    refused(strdup("...."), "not a signed JWT");
    /* cjose 0.6 aborts on this one (fuzz_idtoken found it). */
    refused(strdup("eyJhb=c0iOiJub25lIn0.hel."), "not a signed JWT");
    refused(strdup("eyJhbGciOiJub25lIn0.e.e"), "not a signed JWT");
    (void)n;
}

static void test_crit(void **state)
{
    cjose_err err;
    cjose_header_t *h = cjose_header_new(&err);
    json_t *c = claims();
    char *text = json_dumps(c, JSON_COMPACT);
    cjose_jws_t *jws;
    const char *out;

    (void)state;
    json_decref(c);
    cjose_header_set(h, CJOSE_HDR_ALG, CJOSE_HDR_ALG_RS256, &err);
    cjose_header_set(h, CJOSE_HDR_KID, "k1", &err);
    cjose_header_set_raw(h, "crit", "[\"exp\"]", &err);
    jws = cjose_jws_sign(key1, h, (const uint8_t *)text, strlen(text), &err);
    assert_non_null(jws);
    assert_true(cjose_jws_export(jws, &out, &err));
    refused(strdup(out), "critical header");
    cjose_jws_release(jws);
    cjose_header_release(h);
    free(text);
}

static void test_jwks(void **state)
{
    cjose_err err;
    char *k1 = cjose_jwk_to_json(key1, false, &err);
    char doc[8192];
    size_t n, skipped;
    cjose_jwk_t **keys;

    (void)state;
    /* One usable RSA key; an EC key, an encryption key, one for another
     * algorithm, one that is not a key, and a broken RSA key. */
    snprintf(
        doc, sizeof(doc),
        "{\"keys\":[%s,"
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"},"
        "{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
        "{\"kty\":\"RSA\",\"alg\":\"RS512\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
        "\"not a key\",{\"kty\":\"RSA\",\"kid\":\"bad\"}]}",
        k1);
    keys = idtoken_keys(doc, strlen(doc), &n, &skipped);
    assert_non_null(keys);
    assert_int_equal(n, 1);
    assert_int_equal(skipped, 1);
    assert_string_equal(cjose_jwk_get_kid(keys[0], &err), "k1");
    assert_null(keys[1]);
    idtoken_keys_free(keys);
    free(k1);
    assert_null(idtoken_keys(S_("{}"), &n, &skipped));
    assert_null(idtoken_keys(S_("[]"), &n, &skipped));
    assert_null(idtoken_keys(S_("{\"keys\":"), &n, &skipped));
    /* cjose 0.6 aborts on these (fuzz_idtoken found it): refused here. */
    keys = idtoken_keys(S_("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"QB\","
                           "\"e\":\"A=\"},{\"kty\":\"RSA\",\"n\":\"Q\","
                           "\"e\":\"AQAB\"}]}"),
                        &n, &skipped);
    assert_non_null(keys);
    assert_int_equal(n, 0);
    assert_int_equal(skipped, 2);
    idtoken_keys_free(keys);
    keys = idtoken_keys(S_("{\"keys\":[]}"), &n, &skipped);
    assert_non_null(keys);
    assert_int_equal(n, 0);
    idtoken_keys_free(keys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_skew_and_audiences),
        cmocka_unit_test(test_algorithms),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_crit),
        cmocka_unit_test(test_jwks),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
