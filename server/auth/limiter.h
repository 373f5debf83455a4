/*
 * limiter.h - failed-login counts by key ("u:NAME" for an account,
 * "p:ADDRESS" for where attempts come from), refusing a key for
 * session.login_lockout once it has session.max_login_failures failures
 * within that window.  Kept in this process only (SPEC section 12 moves
 * it into PostgreSQL, shared by every instance: the next step).
 */
#ifndef LIMITER_H
#define LIMITER_H

#include <stdint.h>

struct dk_config;
struct limiter;

/* cfg is read at every call, so a reload applies at once. */
struct limiter *limiter_new(const struct dk_config *cfg);
void limiter_free(struct limiter *l);

/* Seconds until key may try again at now_ms, or 0. */
long limiter_wait(struct limiter *l, const char *key, uint64_t now_ms);
void limiter_fail(struct limiter *l, const char *key, uint64_t now_ms);
void limiter_clear(struct limiter *l, const char *key);

#endif
