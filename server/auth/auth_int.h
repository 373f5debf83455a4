/*
 * auth_int.h - inside auth/: the state auth.c (principals) and login.c
 * (the logins themselves) share.  Not for use outside server/auth/.
 */
#ifndef AUTH_INT_H
#define AUTH_INT_H

#include "auth.h"
#include "db.h"

#include <libpq-fe.h>
#include <uv.h>

/* Password hashes queued or running at once: beyond it a login is refused
 * at once, so a flood of guesses cannot queue minutes of Argon2id (and
 * delay the mail that shares the thread pool). */
#define MAX_HASHING 4

struct auth {
    struct core *core;      /* borrowed */
    struct principal *live; /* every adopted principal */
    size_t nlive;
    int hashing; /* password checks queued or running */
    unsigned long long refused_busy;
    uv_timer_t sweep;
    char dummy_hash[DK_PASS_HASH_MAX]; /* see verify_work() */
};

/* A query whose outcome only matters when it fails: logged (arg says
 * what it was for). */
void auth_ignore_done(struct db_query *q, PGresult *res, void *arg);

#endif
