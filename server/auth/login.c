/*
 * login.c - logins, peer logins, SSH-key logins, resumes and logouts
 * (auth.h).  Each is a
 * small state machine over a struct login: the limiter's reservation in
 * PostgreSQL (limiter.h), database lookup, work on the thread pool where
 * it would block (Argon2id, getpwuid_r), a new session row, then the
 * caller's done.
 */
#include "auth.h"
#include "auth_int.h"
#include "core.h"
#include "db.h"
#include "dk_config.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_roles.h"
#include "limiter.h"
#include "outcome.h"

#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STAFF_COLUMNS                                                          \
    "st.id, st.username, st.password_hash, "                                   \
    "jsonb_build_object('username', st.username, 'name', st.name, "            \
    "'roles', to_jsonb(st.roles))::text, array_to_string(st.roles, ' ')"

enum { COL_ID, COL_USERNAME, COL_HASH, COL_JSON, COL_ROLES, COL_SESSION };

/* The DK_ROLE_* bits of "content admin". */
static unsigned roles_of(const char *names)
{
    char name[32];
    unsigned roles = 0;

    while (*names) {
        size_t n = strcspn(names, " ");
        if (n < sizeof(name)) {
            memcpy(name, names, n);
            name[n] = '\0';
            roles |= dk_role_parse(name);
        }
        names += n;
        names += strspn(names, " ");
    }
    return roles;
}

/* ---- one login in progress -------------------------------------------- */

struct login {
    struct auth *a;
    struct auth_caller who;
    uv_work_t work;
    char *username;  /* owned */
    char *password;  /* owned, wiped */
    char *hash;      /* owned: the stored hash, or NULL */
    PGresult *staff; /* owned: the staff row */
    char account[300];
    char address[64];  /* the limiter's; "" on the Unix socket */
    long long attempt; /* the limiter's reservation, 0 for none */
    bool ok, hashing;
    uid_t uid;
    char unix_user[64];
    char token[DK_TOKEN_LEN + 1];
    long long session_id;
    bool contact;         /* a portal login: l->staff is (contact_id, hash) */
    char fingerprint[64]; /* session.ssh: the key's; "" for other logins */
};

/* A login from peer (the transport's "ADDR:PORT", or a Unix socket's). */
static struct login *login_new(struct auth *a, const char *peer, bool is_unix,
                               struct auth_caller who)
{
    struct login *l = dk_xcalloc(1, sizeof(*l));

    l->a = a;
    l->who = who;
    if (!peer ||
        !limiter_address(peer, is_unix, l->address, sizeof(l->address)))
        l->address[0] = '\0';
    l->work.data = l;
    return l;
}

static const char *address_or_null(const struct login *l)
{
    return l->address[0] ? l->address : NULL;
}

static void login_free(struct login *l)
{
    if (l->password) {
        sodium_memzero(l->password, strlen(l->password));
        free(l->password);
    }
    free(l->username);
    free(l->hash);
    if (l->staff)
        PQclear(l->staff);
    free(l);
}

static void result_init(struct auth_result *r, enum dk_outcome o,
                        const char *message)
{
    memset(r, 0, sizeof(*r));
    r->outcome = o;
    r->message = message;
}

/* Tell the caller, and end l. */
static void finish(struct login *l, enum dk_outcome o, const char *message)
{
    struct auth_result r;

    result_init(&r, o, message);
    if (o == DK_OUT_OK && l->contact) {
        r.token = l->token;
        r.contact_id = atoll(PQgetvalue(l->staff, 0, 0));
        r.session_id = l->session_id;
    } else if (o == DK_OUT_OK) {
        r.token = l->token;
        r.staff_json = PQgetvalue(l->staff, 0, COL_JSON);
        r.staff_id = atoll(PQgetvalue(l->staff, 0, COL_ID));
        r.session_id = l->session_id;
        r.username = PQgetvalue(l->staff, 0, COL_USERNAME);
        r.roles = roles_of(PQgetvalue(l->staff, 0, COL_ROLES));
    }
    /* A reservation not decided by a password (the database went away,
     * the caller left) stays pending, counted, and ages out. */
    l->who.done(l->who.arg, &r);
    login_free(l);
}

static bool gone(struct login *l)
{
    if (!l->who.gone || !l->who.gone(l->who.arg))
        return false;
    finish(l, DK_OUT_UNAVAILABLE, "the connection went away");
    return true;
}

/* Run q for l; when the pool is down, l ends with 5003 here. */
static bool submit(struct login *l, struct db_query *q, db_query_cb cb)
{
    if (db_submit(l->a->core->db, q, cb, l) == 0)
        return true;
    finish(l, DK_OUT_UNAVAILABLE,
           "the database is unavailable; try again shortly");
    return false;
}

/* A failed result from the database: l ends with what it means. */
static void db_failed(struct login *l, const PGresult *res)
{
    struct db_outcome o = db_outcome(res);

    if (o.outcome == DK_OUT_INTERNAL)
        dk_log(DK_LOG_ERROR, "login query failed: SQLSTATE %s: %s", o.state,
               PQresultErrorMessage(res));
    finish(l, o.outcome, o.message);
}

static void refuse_wait(struct auth_caller who, long wait)
{
    char msg[128];
    struct auth_result r;

    snprintf(msg, sizeof(msg),
             "too many failed logins; try again in %ld seconds", wait);
    result_init(&r, DK_OUT_TOO_MANY, msg);
    who.done(who.arg, &r);
}

static void session_created(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;

    if (!db_ok(res)) {
        db_failed(l, res);
        return;
    }
    if (PQntuples(res) != 1) {
        finish(l, DK_OUT_FORBIDDEN,
               l->fingerprint[0]
                   ? "that key has been removed or its staff member disabled"
                   : "that staff member has been disabled");
        return;
    }
    l->session_id = atoll(PQgetvalue(res, 0, 0));
    finish(l, DK_OUT_OK, NULL);
}

/* Credentials are good: store a new session for l->staff, and let the
 * limiter forget this attempt (with the failures of the same account from
 * the same address) in the same statement. */
static void create_session(struct login *l)
{
    unsigned char hash[DK_TOKEN_HASH_LEN];
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];
    struct db_query *q;

    if (gone(l))
        return;
    dk_token_new(l->token);
    dk_token_hash(l->token, hash);
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    if (l->contact) {
        /* A fresh token at every login: none a visitor brought along is
         * ever adopted (no session fixation). */
        q = db_query_new("SELECT portal_session_new($2::bigint, "
                         "decode($1, 'hex'), $3::bigint)",
                         3);
        db_param(q, 0, hex);
        db_param(q, 1, PQgetvalue(l->staff, 0, 0));
        if (l->attempt)
            db_param_ll(q, 2, l->attempt);
        submit(l, q, session_created);
        return;
    }
    /* Only for a member still active now: one disabled while the password
     * was being hashed gets no session (the NOTIFY that ended the others
     * came before there was one to end).  Likewise a key login's key must
     * still be the member's; its session remembers the key, so removing
     * the key ends it (trigger staff_key_removed). */
    q = db_query_new("WITH done AS (SELECT login_end($3, true) "
                     "               WHERE $3::bigint IS NOT NULL) "
                     "INSERT INTO session (token_hash, staff_id, "
                     "                     ssh_fingerprint) "
                     "SELECT decode($1, 'hex'), st.id, $4 "
                     "  FROM staff st, (SELECT count(*) FROM done) d "
                     " WHERE st.id = $2::bigint AND st.active "
                     "   AND ($4::text IS NULL OR EXISTS "
                     "        (SELECT 1 FROM staff_key k WHERE "
                     "         k.fingerprint = $4 AND k.staff_id = st.id)) "
                     "RETURNING id",
                     4);
    db_param(q, 0, hex);
    db_param(q, 1, PQgetvalue(l->staff, 0, COL_ID));
    if (l->attempt)
        db_param_ll(q, 2, l->attempt);
    if (l->fingerprint[0])
        db_param(q, 3, l->fingerprint);
    submit(l, q, session_created);
}

/* ---- password ------------------------------------------------------------ */

static void verify_work(uv_work_t *w)
{
    struct login *l = w->data;

    /* A user that does not exist is checked against a dummy hash, so
     * timing does not tell which user names are real. */
    l->ok = dk_pass_verify(l->hash ? l->hash : l->a->dummy_hash, l->password) &&
            l->hash != NULL;
}

static void verify_done(uv_work_t *w, int status)
{
    struct login *l = w->data;
    struct auth *a = l->a;

    a->hashing--;
    l->hashing = false;
    if (status < 0 || !l->ok) {
        /* The reservation becomes a failure; the answer need not wait. */
        db_submit(a->core->db, limiter_end(l->attempt, false), auth_ignore_done,
                  "could not record a failed login");
        /* A real account's name is logged; for any other only a short
         * prefix, since people type passwords into the name field. */
        if (l->hash)
            dk_log(DK_LOG_WARN, "failed %slogin for \"%s\" from %s",
                   l->contact ? "portal " : "", l->username,
                   l->address[0] ? l->address : "the socket");
        else
            dk_log(DK_LOG_WARN,
                   "failed login for an unknown user \"%.3s...\" (%zu "
                   "bytes) from %s",
                   l->username, strlen(l->username),
                   l->address[0] ? l->address : "the socket");
        finish(l, DK_OUT_FORBIDDEN, "wrong username or password");
        return;
    }
    create_session(l);
}

static void login_found(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;
    struct auth *a = l->a;

    if (!db_ok(res)) {
        db_failed(l, res);
        return;
    }
    if (gone(l))
        return;
    int col = l->contact ? 1 : COL_HASH;
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, col))
        l->hash = dk_xstrdup(PQgetvalue(res, 0, col));
    /* Keep the row: the result is cleared after this callback. */
    l->staff = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (!l->staff) {
        finish(l, DK_OUT_INTERNAL, "out of memory");
        return;
    }
    /* Counted again here: logins that were between their reservation and
     * this point when the bound was reached wait no longer than others. */
    if (a->hashing >= MAX_HASHING) {
        a->refused_busy++;
        finish(l, DK_OUT_TOO_MANY, "too many logins at once; try again");
        return;
    }
    a->hashing++;
    l->hashing = true;
    if (uv_queue_work(a->core->loop, &l->work, verify_work, verify_done) < 0) {
        a->hashing--;
        finish(l, DK_OUT_INTERNAL, "could not check the password");
    }
}

static void reserved(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;
    struct db_query *lookup;

    if (!db_ok(res)) {
        db_failed(l, res);
        return;
    }
    if (PQgetisnull(res, 0, 0)) {
        struct auth_caller who = l->who;
        long wait = atol(PQgetvalue(res, 0, 1));
        login_free(l);
        refuse_wait(who, wait);
        return;
    }
    l->attempt = atoll(PQgetvalue(res, 0, 0));
    if (gone(l))
        return;
    if (l->contact) {
        const struct dk_config *cfg = l->a->core->cfg;
        lookup = db_query_new("SELECT contact_id, password_hash "
                              "FROM portal_login_find($1, $2, $3)",
                              3);
        db_param(lookup, 0, l->username);
        db_param(lookup, 1,
                 cfg->portal.access == DK_ACCESS_SELF_REGISTRATION
                     ? "self_registration"
                     : "list");
        db_param(lookup, 2, cfg->portal.access_list);
        submit(l, lookup, login_found);
        return;
    }
    lookup = db_query_new("SELECT " STAFF_COLUMNS " FROM staff st "
                          "WHERE st.username = $1 AND st.active",
                          1);
    db_param(lookup, 0, l->username);
    submit(l, lookup, login_found);
}

/* Too many hashes queued already: the caller is told at once (true). */
static bool refused_busy(struct auth *a, struct auth_caller who)
{
    struct auth_result r;

    if (a->hashing < MAX_HASHING)
        return false;
    a->refused_busy++;
    result_init(&r, DK_OUT_TOO_MANY, "too many logins at once; try again");
    who.done(who.arg, &r);
    return true;
}

void auth_login(struct auth *a, const char *username, const char *password,
                const char *peer, bool is_unix, struct auth_caller who)
{
    struct login *l;

    if (refused_busy(a, who))
        return;
    l = login_new(a, peer, is_unix, who);
    l->username = dk_xstrdup(username);
    l->password = dk_xstrdup(password);
    snprintf(l->account, sizeof(l->account), "staff:%s", username);
    /* The attempt is counted before anything is hashed: a reservation. */
    submit(l, limiter_begin(a->core->cfg, l->account, address_or_null(l)),
           reserved);
}

void auth_contact_login(struct auth *a, const char *email, const char *password,
                        const char *peer, struct auth_caller who)
{
    struct login *l;

    if (refused_busy(a, who))
        return;
    l = login_new(a, peer, false, who);
    l->contact = true;
    l->username = dk_xstrdup(email);
    l->password = dk_xstrdup(password);
    submit(l, limiter_begin_contact(a->core->cfg, email, address_or_null(l)),
           reserved);
}

/* ---- a password to store, hashed off the loop ---------------------------- */

struct hashing {
    struct auth *a;
    uv_work_t work;
    char *password; /* owned, wiped */
    char hash[DK_PASS_HASH_MAX];
    int rc;
    void (*done)(void *arg, const char *hash);
    void *arg;
};

static void hash_work(uv_work_t *w)
{
    struct hashing *h = w->data;

    h->rc = dk_pass_hash(h->password, h->hash);
}

static void hash_done(uv_work_t *w, int status)
{
    struct hashing *h = w->data;

    h->a->hashing--;
    h->done(h->arg, status == 0 && h->rc == 0 ? h->hash : NULL);
    sodium_memzero(h->password, strlen(h->password));
    free(h->password);
    free(h);
}

bool auth_hash_password(struct auth *a, const char *password,
                        void (*done)(void *arg, const char *hash), void *arg)
{
    struct hashing *h;

    if (a->hashing >= MAX_HASHING) {
        a->refused_busy++;
        return false;
    }
    h = dk_xcalloc(1, sizeof(*h));
    h->a = a;
    h->password = dk_xstrdup(password);
    h->done = done;
    h->arg = arg;
    h->work.data = h;
    a->hashing++;
    if (uv_queue_work(a->core->loop, &h->work, hash_work, hash_done) < 0) {
        a->hashing--;
        sodium_memzero(h->password, strlen(h->password));
        free(h->password);
        free(h);
        return false;
    }
    return true;
}

/* ---- Unix peer: the kernel vouches, nothing to count ------------------- */

static void peer_found(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;
    char msg[160];

    if (!db_ok(res)) {
        db_failed(l, res);
        return;
    }
    if (PQntuples(res) != 1) {
        snprintf(msg, sizeof(msg),
                 "Unix user \"%s\" is not an active staff member's",
                 l->unix_user);
        finish(l, DK_OUT_FORBIDDEN, msg);
        return;
    }
    l->staff = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (!l->staff) {
        finish(l, DK_OUT_INTERNAL, "out of memory");
        return;
    }
    create_session(l);
}

static void passwd_work(uv_work_t *w)
{
    struct login *l = w->data;
    struct passwd pw, *found = NULL;
    char buf[4096];

    /* NSS may be LDAP or worse: never on the loop. */
    if (getpwuid_r(l->uid, &pw, buf, sizeof(buf), &found) == 0 && found)
        snprintf(l->unix_user, sizeof(l->unix_user), "%s", pw.pw_name);
}

static void passwd_done(uv_work_t *w, int status)
{
    struct login *l = w->data;
    struct db_query *q;
    char msg[96];

    if (gone(l))
        return;
    if (status < 0 || !l->unix_user[0]) {
        snprintf(msg, sizeof(msg), "uid %u has no user name", (unsigned)l->uid);
        finish(l, DK_OUT_FORBIDDEN, msg);
        return;
    }
    q = db_query_new("SELECT " STAFF_COLUMNS " FROM staff st "
                     "WHERE st.unix_user = $1 AND st.active",
                     1);
    db_param(q, 0, l->unix_user);
    submit(l, q, peer_found);
}

void auth_peer(struct auth *a, uid_t uid, struct auth_caller who)
{
    struct login *l = login_new(a, NULL, true, who);

    l->uid = uid;
    if (uv_queue_work(a->core->loop, &l->work, passwd_work, passwd_done) < 0)
        finish(l, DK_OUT_INTERNAL, "could not look up the user");
}

/* ---- SSH key: sshd checked the key, the kernel vouches for the gateway -- */

/* Not counted by the limiter, like a peer login: only the gateway account
 * can ask, and sshd runs nothing there but the forced command that names
 * the key it verified.  Refusals are logged. */
static void ssh_found(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;
    char msg[160];

    if (!db_ok(res)) {
        db_failed(l, res);
        return;
    }
    if (PQntuples(res) != 1) {
        dk_log(DK_LOG_WARN,
               "refused session.ssh: key %s is no active staff "
               "member's",
               l->fingerprint);
        snprintf(msg, sizeof(msg), "SSH key %s is not an active staff member's",
                 l->fingerprint);
        finish(l, DK_OUT_FORBIDDEN, msg);
        return;
    }
    l->staff = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (!l->staff) {
        finish(l, DK_OUT_INTERNAL, "out of memory");
        return;
    }
    create_session(l);
}

static void ssh_passwd_done(uv_work_t *w, int status)
{
    struct login *l = w->data;
    const char *gateway = l->a->core->cfg->server.ssh_gateway_user;
    struct db_query *q;
    char msg[160];

    if (gone(l))
        return;
    if (status < 0 || !l->unix_user[0] || strcmp(l->unix_user, gateway) != 0) {
        dk_log(DK_LOG_WARN,
               "refused session.ssh from uid %u (%s): not the "
               "SSH gateway user",
               (unsigned)l->uid, l->unix_user[0] ? l->unix_user : "no name");
        snprintf(msg, sizeof(msg),
                 "session.ssh is only for the SSH gateway user \"%s\"",
                 gateway);
        finish(l, DK_OUT_FORBIDDEN, msg);
        return;
    }
    q = db_query_new("SELECT " STAFF_COLUMNS " FROM staff_key k "
                     "JOIN staff st ON st.id = k.staff_id "
                     "WHERE k.fingerprint = $1 AND st.active",
                     1);
    db_param(q, 0, l->fingerprint);
    submit(l, q, ssh_found);
}

void auth_ssh(struct auth *a, uid_t uid, const char *fingerprint,
              struct auth_caller who)
{
    struct login *l = login_new(a, NULL, true, who);

    l->uid = uid;
    snprintf(l->fingerprint, sizeof(l->fingerprint), "%s", fingerprint);
    /* The uid's name, off the loop (NSS may block), each login: a
     * gateway account made after start-up works at once. */
    if (uv_queue_work(a->core->loop, &l->work, passwd_work, ssh_passwd_done) <
        0)
        finish(l, DK_OUT_INTERNAL, "could not look up the user");
}

/* ---- resume ---------------------------------------------------------------
 */

static void resumed(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;

    if (!db_ok(res)) {
        db_failed(l, res);
        return;
    }
    if (PQntuples(res) != 1) {
        if (l->address[0])
            db_submit(l->a->core->db, limiter_failed(NULL, l->address),
                      auth_ignore_done, "could not record a failed resume");
        finish(l, DK_OUT_EXPIRED,
               "that session has expired or ended; log in again");
        return;
    }
    l->staff = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (!l->staff) {
        finish(l, DK_OUT_INTERNAL, "out of memory");
        return;
    }
    l->session_id = atoll(PQgetvalue(res, 0, COL_SESSION));
    finish(l, DK_OUT_OK, NULL);
}

static void resume_now(struct login *l)
{
    unsigned char hash[DK_TOKEN_HASH_LEN];
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];
    struct db_query *q;

    dk_token_hash(l->token, hash);
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    q = db_query_new("UPDATE session s SET last_seen_at = now() "
                     "FROM staff st "
                     "WHERE s.token_hash = decode($1, 'hex') "
                     "AND st.id = s.staff_id AND st.active "
                     "AND s.last_seen_at > now() - make_interval(secs => $2) "
                     "RETURNING " STAFF_COLUMNS ", s.id",
                     2);
    db_param(q, 0, hex);
    db_param_ll(q, 1, l->a->core->cfg->session.idle_timeout);
    submit(l, q, resumed);
}

static void resume_allowed(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;
    long wait;

    if (!db_ok(res)) {
        db_failed(l, res);
        return;
    }
    if ((wait = atol(PQgetvalue(res, 0, 0))) > 0) {
        struct auth_caller who = l->who;
        login_free(l);
        refuse_wait(who, wait);
        return;
    }
    if (!gone(l))
        resume_now(l);
}

void auth_resume(struct auth *a, const char *token, const char *peer,
                 bool is_unix, struct auth_caller who)
{
    struct login *l = login_new(a, peer, is_unix, who);

    snprintf(l->token, sizeof(l->token), "%s", token);
    /* Only a TCP address has failures to count (the Unix socket has no
     * per-address limit): check them first. */
    if (l->address[0])
        submit(l, limiter_resume_wait(a->core->cfg, l->address),
               resume_allowed);
    else
        resume_now(l);
}

/* ---- logout ------------------------------------------------------------ */

struct logout {
    struct auth *a;
    struct principal *p;
    struct auth_caller who;
};

static void logged_out(struct db_query *q, PGresult *res, void *arg)
{
    struct logout *lo = arg;
    struct auth_result r;

    result_init(&r, DK_OUT_OK, NULL);
    if (!db_ok(res)) {
        r.outcome = DK_OUT_UNAVAILABLE;
        r.message = "the database did not end the session; try again";
    } else if (!lo->who.gone || !lo->who.gone(lo->who.arg)) {
        auth_forget(lo->a, lo->p);
    }
    lo->who.done(lo->who.arg, &r);
    free(lo);
}

void auth_logout(struct auth *a, struct principal *p, struct auth_caller who)
{
    /* Everywhere the session is used, on every docketd: session_logout()
     * tells them (NOTIFY docket_session), and auth_end_session() ends it. */
    struct db_query *q = db_query_new("SELECT session_logout($1)", 1);
    struct logout *lo = dk_xmalloc(sizeof(*lo));

    lo->a = a;
    lo->p = p;
    lo->who = who;
    db_param_ll(q, 0, p->session_id);
    if (db_submit(a->core->db, q, logged_out, lo) != 0) {
        struct auth_result r;
        result_init(&r, DK_OUT_UNAVAILABLE,
                    "the database is unavailable; try again shortly");
        free(lo);
        who.done(who.arg, &r);
    }
}

unsigned long long auth_refused_busy(const struct auth *a)
{
    return a->refused_busy;
}
