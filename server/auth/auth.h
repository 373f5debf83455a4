/*
 * auth.h - who someone is, with no transport: staff log in by password
 * (Argon2id on libuv's thread pool), by Unix peer credentials (the user
 * name looked up on the pool), by an SSH key through the gateway
 * account, or resume a session by its token.  The
 * result is a principal, which the JSON-RPC layer (and later the portal)
 * holds while the person is logged in.  Every live principal is known
 * here, so ending a member's sessions is one function.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dk_outcome.h"
#include "dk_secret.h"

struct auth;
struct core;

/* A logged-in staff member, held by a transport's connection. */
struct principal {
    long long staff_id; /* 0: nobody */
    long long session_id;
    char username[40];
    unsigned roles; /* DK_ROLE_* bits */
    uint64_t last_request_ms;
    uint64_t last_touch_ms; /* session.last_seen_at written */
    /* Set by the holder: auth ended this principal (its member was
     * disabled or changed); p is already cleared when it is called. */
    void (*ended)(struct principal *p, const char *why);
    bool listed;
    struct principal *prev, *next;
};

/* What a login, peer login or resume came to. */
struct auth_result {
    enum dk_outcome outcome;
    const char *message; /* on failure: for the client */
    /* On success: */
    const char *token;
    const char *staff_json; /* {username, name, roles} */
    long long staff_id, session_id;
    const char *username;
    unsigned roles;
    long long contact_id; /* a portal login's contact */
};

/* The caller of an asynchronous auth function: done is called exactly
 * once, maybe before the function returns; gone() true means the caller
 * went away, so the rest (hashing, a new session row) is skipped. */
struct auth_caller {
    void (*done)(void *arg, const struct auth_result *r);
    bool (*gone)(void *arg);
    void *arg;
};

struct auth *auth_new(struct core *core);
/* After the loop has closed every handle (its sweep timer's too). */
void auth_free(struct auth *a);

/*
 * Each comes from peer, the transport's description of the other end
 * ("ADDR:PORT" over TCP); attempts count under its address (IPv6 by /64),
 * never per address on the Unix socket.  A password login is counted in
 * PostgreSQL before its password is hashed, and refused at once (TOO_MANY)
 * while the (account, address) pair, the account or the address is at its
 * limit (session.max_login_failures, max_account_failures,
 * max_address_failures within login_lockout), or while too many hashes
 * are queued.  A resume counts only its failures, per address.  A peer
 * login is the kernel's word and is not counted.
 */
void auth_login(struct auth *a, const char *username, const char *password,
                const char *peer, bool is_unix, struct auth_caller who);
void auth_peer(struct auth *a, uid_t uid, struct auth_caller who);
/*
 * An SSH-key login: uid (the Unix socket's peer) must be the user named
 * by server.ssh_gateway_user (looked up on the pool), and fingerprint
 * ("SHA256:...", checked by the caller) an active member's key.  The
 * session remembers the key: removing it ends the session everywhere.
 * Not counted by the limiter (see login.c).
 */
void auth_ssh(struct auth *a, uid_t uid, const char *fingerprint,
              struct auth_caller who);
/*
 * A contact's portal login by email and password, under the same limiter
 * (the account is "contact:" and the address in lower case) and the same
 * bound on hashes; an unknown or not allowed address is checked against
 * a dummy hash.  On success r carries contact_id, session_id and a new
 * token (the session row is portal_session_new()'s).
 */
void auth_contact_login(struct auth *a, const char *email, const char *password,
                        const char *peer, struct auth_caller who);
/*
 * Hash password with Argon2id on the thread pool; done(arg, hash) later
 * (hash NULL if it failed).  False, and done never called, when too many
 * hashes are queued already.
 */
bool auth_hash_password(struct auth *a, const char *password,
                        void (*done)(void *arg, const char *hash), void *arg);
void auth_resume(struct auth *a, const char *token, const char *peer,
                 bool is_unix, struct auth_caller who);
/* End p's session in the database, and on every connection of every
 * docketd that resumed it (auth_end_session() there). */
void auth_logout(struct auth *a, struct principal *p, struct auth_caller who);

/* Make p the principal of a successful r and keep it listed. */
void auth_adopt(struct auth *a, struct principal *p,
                const struct auth_result *r);
/* Forget p's session here (p is nobody afterwards); the row stays, so a
 * resume by token still works until it expires. */
void auth_forget(struct auth *a, struct principal *p);

/*
 * A request from p: DK_OUT_OK (its idle clock restarts, and last_seen_at
 * is written now and then), DK_OUT_NOT_LOGGED_IN, or DK_OUT_EXPIRED (p
 * has been forgotten).
 */
enum dk_outcome auth_check(struct auth *a, struct principal *p);
/* True if p has been idle past session.idle_timeout. */
bool auth_idle(const struct auth *a, const struct principal *p);

/* End every live session of a staff member, on this instance. */
void auth_end_staff(struct auth *a, long long staff_id, const char *why);
/* End one session wherever it is used on this instance (a logout heard
 * from any docketd). */
void auth_end_session(struct auth *a, long long session_id, const char *why);

/* Live principals, for metrics. */
size_t auth_count(const struct auth *a);
/* Logins refused because too many password hashes were queued. */
unsigned long long auth_refused_busy(const struct auth *a);

#endif
