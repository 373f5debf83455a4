/*
 * dk_secret.h - password hashes (Argon2id through libsodium) and session
 * or link tokens (256 random bits, stored only as their SHA-256).
 */
#ifndef DK_SECRET_H
#define DK_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define DK_PASS_HASH_MAX  128 /* >= crypto_pwhash_STRBYTES */
#define DK_TOKEN_LEN      43  /* base64url of 32 bytes, no padding */
#define DK_TOKEN_HASH_LEN 32

/* Call once before anything else here; returns 0 or DK_EFAIL. */
int dk_secret_init(void);

/*
 * Hash password into out (NUL-terminated, at most DK_PASS_HASH_MAX bytes).
 * Slow on purpose (tens of milliseconds, 64 MiB): keep it off event loops.
 * Returns 0 or DK_ENOMEM.
 */
int dk_pass_hash(const char *password, char out[DK_PASS_HASH_MAX]);

/* True if password matches hash; false for a malformed hash too. */
bool dk_pass_verify(const char *hash, const char *password);

/*
 * Fill out with a new random password and a NUL: four groups of four
 * characters from 32 that are not easily misread ("k7pq-3xmw-..."), 80
 * bits, for people to type.
 */
#define DK_PASS_NEW_LEN 19
void dk_pass_new(char out[DK_PASS_NEW_LEN + 1]);

/* Fill out with a new random token and a NUL. */
void dk_token_new(char out[DK_TOKEN_LEN + 1]);

/* SHA-256 of the token text: what the database stores. */
void dk_token_hash(const char *token, unsigned char out[DK_TOKEN_HASH_LEN]);

#endif
