/*
 * idtoken.h - what an OpenID Connect ID token must be before its email is
 * believed (OpenID Connect Core 3.1.3.7), and the signing keys of a
 * provider's JWKS: pure functions over cjose and jansson, no I/O, for
 * oidc.c, the unit tests and the fuzzer.
 */
#ifndef IDTOKEN_H
#define IDTOKEN_H

#include <cjose/cjose.h>
#include <stddef.h>

#define IDTOKEN_SKEW 60 /* seconds of clock skew allowed */

struct idtoken_expect {
    const char *issuer;    /* iss, exactly */
    const char *client_id; /* in aud; azp when there are several */
    const char *nonce;     /* this sign-in's */
    double now;            /* seconds since the epoch */
};

enum idtoken_verdict {
    IDTOKEN_OK,
    IDTOKEN_NO_KEY, /* signed by a key not among keys: fetch them again */
    IDTOKEN_BAD,
};

/*
 * Check token against keys and e: RS256 only (whatever its header says),
 * a key found by kid (or the only one), no crit, the signature, iss, aud
 * and azp, exp and iat within IDTOKEN_SKEW, the nonce, email_verified
 * (or Entra's xms_edov) true.  IDTOKEN_OK with the email copied into email;
 * otherwise *why says what was wrong (for the log).
 */
enum idtoken_verdict idtoken_check(const char *token, cjose_jwk_t *const *keys,
                                   size_t nkeys, const struct idtoken_expect *e,
                                   char *email, size_t email_size,
                                   const char **why);

/*
 * The RS256 signing keys of a JWKS document, of 2048 bits or more, their
 * public halves only (others are passed over);
 * NULL when it is not one.  *n is how many; the array is NULL-terminated
 * and freed with idtoken_keys_free().  *skipped counts keys that could
 * not be read.
 */
cjose_jwk_t **idtoken_keys(const char *json, size_t len, size_t *n,
                           size_t *skipped);
void idtoken_keys_free(cjose_jwk_t **keys);

#endif
