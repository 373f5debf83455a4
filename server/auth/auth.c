/*
 * auth.c - logins, peer logins, resumes and logouts (auth.h).  Each is a
 * small state machine over a struct login: limiter check, database
 * lookup, work on the thread pool where it would block (Argon2id,
 * getpwuid_r), a new session row, then the caller's done.
 */
#include "auth.h"
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

struct auth {
    struct core *core; /* borrowed */
    struct limiter *limiter;
    struct principal *live; /* every adopted principal */
    size_t nlive;
    char dummy_hash[DK_PASS_HASH_MAX]; /* see verify_work() */
};

struct auth *auth_new(struct core *core)
{
    struct auth *a = dk_xcalloc(1, sizeof(*a));

    a->core = core;
    a->limiter = limiter_new(core->cfg);
    /* Made at start-up, where blocking is allowed: a first login must
     * not hash on the loop. */
    if (dk_pass_hash("not a password", a->dummy_hash) != 0) {
        dk_log(DK_LOG_ERROR, "could not make the dummy password hash");
        abort();
    }
    return a;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    limiter_free(a->limiter);
    free(a);
}

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

void auth_where_key(const char *peer, bool is_unix, char *buf, size_t size)
{
    const char *colon = strrchr(peer, ':');

    if (is_unix || !colon)
        snprintf(buf, size, "p:%s", peer);
    else
        snprintf(buf, size, "p:%.*s", (int)(colon - peer), peer);
}

/* ---- principals -------------------------------------------------------- */

void auth_adopt(struct auth *a, struct principal *p,
                const struct auth_result *r)
{
    p->staff_id = r->staff_id;
    p->session_id = r->session_id;
    p->roles = r->roles;
    snprintf(p->username, sizeof(p->username), "%s", r->username);
    p->last_request_ms = p->last_touch_ms = core_now_ms(a->core);
    if (p->listed)
        return;
    p->listed = true;
    p->prev = NULL;
    p->next = a->live;
    if (a->live)
        a->live->prev = p;
    a->live = p;
    a->nlive++;
}

void auth_forget(struct auth *a, struct principal *p)
{
    if (p->listed) {
        if (p->prev)
            p->prev->next = p->next;
        else
            a->live = p->next;
        if (p->next)
            p->next->prev = p->prev;
        p->prev = p->next = NULL;
        p->listed = false;
        a->nlive--;
    }
    p->staff_id = p->session_id = 0;
    p->roles = 0;
    p->username[0] = '\0';
}

void auth_end_staff(struct auth *a, long long staff_id, const char *why)
{
    for (struct principal *p = a->live, *next; p; p = next) {
        next = p->next;
        if (p->staff_id != staff_id)
            continue;
        auth_forget(a, p);
        if (p->ended)
            p->ended(p, why);
    }
}

size_t auth_count(const struct auth *a)
{
    return a->nlive;
}

bool auth_idle(const struct auth *a, const struct principal *p)
{
    return core_now_ms(a->core) - p->last_request_ms >
           (uint64_t)a->core->cfg->session.idle_timeout * 1000;
}

static void ignore_done(struct db_query *q, PGresult *res, void *arg)
{
    if (res && !db_ok(res))
        dk_log(DK_LOG_WARN, "could not record session activity: %s",
               PQresultErrorMessage(res));
}

enum dk_outcome auth_check(struct auth *a, struct principal *p)
{
    uint64_t now = core_now_ms(a->core);
    struct db_query *q;

    if (!p->staff_id)
        return DK_OUT_NOT_LOGGED_IN;
    if (auth_idle(a, p)) {
        auth_forget(a, p);
        return DK_OUT_EXPIRED;
    }
    p->last_request_ms = now;
    /* last_seen_at only decides whether session.resume may still work, so
     * once a minute is plenty and costs no write per request. */
    if (!p->session_id || now - p->last_touch_ms < 60000)
        return DK_OUT_OK;
    p->last_touch_ms = now;
    q = db_query_new("UPDATE session SET last_seen_at = now() WHERE id = $1",
                     1);
    db_param_ll(q, 0, p->session_id);
    db_submit(a->core->db, q, ignore_done, NULL);
    return DK_OUT_OK;
}

/* ---- one login in progress ---------------------------------------------- */

struct login {
    struct auth *a;
    struct auth_caller who;
    uv_work_t work;
    char *username;  /* owned */
    char *password;  /* owned, wiped */
    char *hash;      /* owned: the stored hash, or NULL */
    PGresult *staff; /* owned: the staff row */
    char where[128]; /* the limiter's key for the address */
    bool ok;
    uid_t uid;
    char unix_user[64];
    char token[DK_TOKEN_LEN + 1];
    long long session_id;
};

static struct login *login_new(struct auth *a, const char *where,
                               struct auth_caller who)
{
    struct login *l = dk_xcalloc(1, sizeof(*l));

    l->a = a;
    l->who = who;
    snprintf(l->where, sizeof(l->where), "%s", where);
    l->work.data = l;
    return l;
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

/* Tell the caller, and end l. */
static void finish(struct login *l, enum dk_outcome o, const char *message)
{
    struct auth_result r = {o, message, NULL, NULL, 0, 0, NULL, 0};

    if (o == DK_OUT_OK) {
        r.token = l->token;
        r.staff_json = PQgetvalue(l->staff, 0, COL_JSON);
        r.staff_id = atoll(PQgetvalue(l->staff, 0, COL_ID));
        r.session_id = l->session_id;
        r.username = PQgetvalue(l->staff, 0, COL_USERNAME);
        r.roles = roles_of(PQgetvalue(l->staff, 0, COL_ROLES));
    }
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

static bool refused_for_now(struct auth *a, const char *username,
                            const char *where, struct auth_caller who)
{
    char key[128], msg[128];
    uint64_t now = core_now_ms(a->core);
    long wait = 0, w;

    if (username) {
        snprintf(key, sizeof(key), "u:%s", username);
        wait = limiter_wait(a->limiter, key, now);
    }
    if ((w = limiter_wait(a->limiter, where, now)) > wait)
        wait = w;
    if (wait == 0)
        return false;
    snprintf(msg, sizeof(msg),
             "too many failed logins; try again in %ld seconds", wait);
    struct auth_result r = {DK_OUT_TOO_MANY, msg, NULL, NULL, 0, 0, NULL, 0};
    who.done(who.arg, &r);
    return true;
}

static void session_created(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;

    if (!db_ok(res)) {
        db_failed(l, res);
        return;
    }
    l->session_id = atoll(PQgetvalue(res, 0, 0));
    finish(l, DK_OUT_OK, NULL);
}

/* Credentials are good: store a new session for l->staff. */
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
    q = db_query_new("INSERT INTO session (token_hash, staff_id) "
                     "VALUES (decode($1, 'hex'), $2) RETURNING id",
                     2);
    db_param(q, 0, hex);
    db_param(q, 1, PQgetvalue(l->staff, 0, COL_ID));
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
    uint64_t now = core_now_ms(a->core);
    char key[128];

    snprintf(key, sizeof(key), "u:%s", l->username);
    if (status < 0 || !l->ok) {
        limiter_fail(a->limiter, key, now);
        limiter_fail(a->limiter, l->where, now);
        /* A real account's name is logged; for any other only a short
         * prefix, since people type passwords into the name field. */
        if (l->hash)
            dk_log(DK_LOG_WARN, "failed login for \"%s\" from %s", l->username,
                   l->where + 2);
        else
            dk_log(DK_LOG_WARN,
                   "failed login for an unknown user \"%.3s...\" (%zu "
                   "bytes) from %s",
                   l->username, strlen(l->username), l->where + 2);
        finish(l, DK_OUT_FORBIDDEN, "wrong username or password");
        return;
    }
    limiter_clear(a->limiter, key);
    create_session(l);
}

static void login_found(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;

    if (!db_ok(res)) {
        db_failed(l, res);
        return;
    }
    if (gone(l))
        return;
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, COL_HASH))
        l->hash = dk_xstrdup(PQgetvalue(res, 0, COL_HASH));
    /* Keep the row: the result is cleared after this callback. */
    l->staff = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (!l->staff ||
        uv_queue_work(l->a->core->loop, &l->work, verify_work, verify_done) < 0)
        finish(l, DK_OUT_INTERNAL, "could not check the password");
}

void auth_login(struct auth *a, const char *username, const char *password,
                const char *where, struct auth_caller who)
{
    struct login *l;
    struct db_query *q;

    if (refused_for_now(a, username, where, who))
        return;
    l = login_new(a, where, who);
    l->username = dk_xstrdup(username);
    l->password = dk_xstrdup(password);
    q = db_query_new("SELECT " STAFF_COLUMNS " FROM staff st "
                     "WHERE st.username = $1 AND st.active",
                     1);
    db_param(q, 0, username);
    submit(l, q, login_found);
}

/* ---- Unix peer ------------------------------------------------------- */

static void peer_found(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;
    char msg[160];

    if (!db_ok(res)) {
        db_failed(l, res);
        return;
    }
    if (PQntuples(res) != 1) {
        limiter_fail(l->a->limiter, l->where, core_now_ms(l->a->core));
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

void auth_peer(struct auth *a, uid_t uid, const char *where,
               struct auth_caller who)
{
    struct login *l;

    if (refused_for_now(a, NULL, where, who))
        return;
    l = login_new(a, where, who);
    l->uid = uid;
    if (uv_queue_work(a->core->loop, &l->work, passwd_work, passwd_done) < 0)
        finish(l, DK_OUT_INTERNAL, "could not look up the user");
}

/* ---- resume ------------------------------------------------------------- */

static void resumed(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;

    if (!db_ok(res)) {
        db_failed(l, res);
        return;
    }
    if (PQntuples(res) != 1) {
        limiter_fail(l->a->limiter, l->where, core_now_ms(l->a->core));
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

void auth_resume(struct auth *a, const char *token, const char *where,
                 struct auth_caller who)
{
    unsigned char hash[DK_TOKEN_HASH_LEN];
    char hex[DK_TOKEN_HASH_LEN * 2 + 1], secs[24];
    struct login *l;
    struct db_query *q;

    if (refused_for_now(a, NULL, where, who))
        return;
    dk_token_hash(token, hash);
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    snprintf(secs, sizeof(secs), "%lld", a->core->cfg->session.idle_timeout);
    l = login_new(a, where, who);
    snprintf(l->token, sizeof(l->token), "%s", token);
    q = db_query_new("UPDATE session s SET last_seen_at = now() "
                     "FROM staff st "
                     "WHERE s.token_hash = decode($1, 'hex') "
                     "AND st.id = s.staff_id AND st.active "
                     "AND s.last_seen_at > now() - make_interval(secs => $2) "
                     "RETURNING " STAFF_COLUMNS ", s.id",
                     2);
    db_param(q, 0, hex);
    db_param(q, 1, secs);
    submit(l, q, resumed);
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
    struct auth_result r = {DK_OUT_OK, NULL, NULL, NULL, 0, 0, NULL, 0};

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
    struct db_query *q = db_query_new("DELETE FROM session WHERE id = $1", 1);
    struct logout *lo = dk_xmalloc(sizeof(*lo));

    lo->a = a;
    lo->p = p;
    lo->who = who;
    db_param_ll(q, 0, p->session_id);
    if (db_submit(a->core->db, q, logged_out, lo) != 0) {
        struct auth_result r = {DK_OUT_UNAVAILABLE,
                                "the database is unavailable; try again "
                                "shortly",
                                NULL,
                                NULL,
                                0,
                                0,
                                NULL,
                                0};
        free(lo);
        who.done(who.arg, &r);
    }
}
