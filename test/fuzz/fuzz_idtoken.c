/*
 * fuzz_idtoken.c - libFuzzer harness for OpenID Connect's ID token checks
 * and JWKS reader (server/portal/idtoken.c).  The first byte chooses: a
 * JWKS document; a whole token against two fixed keys; or claims, signed
 * here for real with one of the keys, so that the checks after the
 * signature see any JSON at all.  An accepted token must carry the
 * expected issuer, nonce and a verified email with an @.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idtoken.h"

#define CHECK(x)                                                               \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

static cjose_jwk_t *keys[2];
static const struct idtoken_expect expect = {
    "https://accounts.example", "docket-portal",
    "n0nce-n0nce-n0nce-n0nce-n0nce-n0nce-n0nce", 1800000000.0};

static void init(void)
{
    static const uint8_t e[] = {0x01, 0x00, 0x01};
    cjose_err err;

    /* 1024 bits: fast to sign, and the size does not matter here. */
    keys[0] = cjose_jwk_create_RSA_random(1024, e, sizeof(e), &err);
    keys[1] = cjose_jwk_create_RSA_random(1024, e, sizeof(e), &err);
    CHECK(keys[0] && keys[1]);
    CHECK(cjose_jwk_set_kid(keys[0], "k1", 2, &err));
    CHECK(cjose_jwk_set_kid(keys[1], "k2", 2, &err));
}

static void accepted(const char *token, const char *email)
{
    (void)token;
    CHECK(strchr(email, '@'));
}

static void whole(const char *token)
{
    char email[256];
    const char *why = NULL;

    if (idtoken_check(token, keys, 2, &expect, email, sizeof(email), &why) ==
        IDTOKEN_OK)
        accepted(token, email);
    else
        CHECK(why && *why);
}

static void signed_claims(const uint8_t *data, size_t len)
{
    cjose_err err;
    cjose_header_t *h = cjose_header_new(&err);
    cjose_jws_t *jws;
    const char *out;

    CHECK(h);
    CHECK(cjose_header_set(h, CJOSE_HDR_ALG, CJOSE_HDR_ALG_RS256, &err));
    CHECK(cjose_header_set(h, CJOSE_HDR_KID, "k2", &err));
    jws = cjose_jws_sign(keys[1], h, data, len, &err);
    if (jws && cjose_jws_export(jws, &out, &err)) {
        char email[256];
        const char *why = NULL;
        json_error_t jerr;
        json_t *c;

        if (idtoken_check(out, keys, 2, &expect, email, sizeof(email), &why) ==
            IDTOKEN_OK) {
            /* Only what the expectations allow got through. */
            c = json_loadb((const char *)data, len, 0, &jerr);
            CHECK(c);
            CHECK(!strcmp(json_string_value(json_object_get(c, "iss")),
                          expect.issuer));
            CHECK(!strcmp(json_string_value(json_object_get(c, "nonce")),
                          expect.nonce));
            CHECK(json_is_true(json_object_get(c, "email_verified")));
            json_decref(c);
            accepted(out, email);
        }
    }
    cjose_jws_release(jws);
    cjose_header_release(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n, skipped;
    cjose_jwk_t **k;
    char *text;

    if (!keys[0])
        init();
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        k = idtoken_keys((const char *)data + 1, size - 1, &n, &skipped);
        if (k) {
            for (size_t i = 0; i < n; i++)
                CHECK(k[i]);
            CHECK(!k[n]);
        }
        idtoken_keys_free(k);
        break;
    case 1:
        if (!(text = malloc(size)))
            return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        whole(text);
        free(text);
        break;
    default:
        signed_claims(data + 1, size - 1);
        break;
    }
    return 0;
}
