/*
 * dk_secret.c - thin wrappers that fix Docket's choices of libsodium's
 * parameters in one place.
 */
#include "dk_secret.h"
#include "dk_err.h"

#include <sodium.h>
#include <string.h>

_Static_assert(DK_PASS_HASH_MAX >= crypto_pwhash_STRBYTES,
               "DK_PASS_HASH_MAX too small");

int dk_secret_init(void)
{
    return sodium_init() < 0 ? DK_EFAIL : 0;
}

int dk_pass_hash(const char *password, char out[DK_PASS_HASH_MAX])
{
    if (crypto_pwhash_str_alg(out, password, strlen(password),
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return DK_ENOMEM;
    return 0;
}

bool dk_pass_verify(const char *hash, const char *password)
{
    if (!hash || strlen(hash) >= crypto_pwhash_STRBYTES)
        return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void dk_pass_new(char out[DK_PASS_NEW_LEN + 1])
{
    /* No 0/o, 1/l: read off a screen and typed, it must survive that. */
    static const char alphabet[] = "23456789abcdefghijkmnpqrstuvwxyz";

    _Static_assert(sizeof(alphabet) - 1 == 32, "32 symbols: 5 bits each");
    for (int i = 0; i < DK_PASS_NEW_LEN; i++)
        out[i] = i % 5 == 4 ? '-' : alphabet[randombytes_uniform(32)];
    out[DK_PASS_NEW_LEN] = '\0';
}

void dk_token_new(char out[DK_TOKEN_LEN + 1])
{
    unsigned char raw[32];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, DK_TOKEN_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

void dk_token_hash(const char *token, unsigned char out[DK_TOKEN_HASH_LEN])
{
    crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}
