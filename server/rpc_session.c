/*
 * rpc_session.c - session.login, session.peer, session.resume,
 * session.logout.  Password checks (Argon2id, ~64 MiB and tens of
 * milliseconds each) and passwd lookups run on libuv's thread pool, never
 * on the loop.  Tokens are 256 random bits; only their SHA-256 is stored.
 * Failed logins are counted per user name and per peer; past
 * session.max_login_failures they are refused with 4029 for
 * session.login_lockout.
 */
#include "conn.h"
#include "db.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_secret.h"
#include "feed.h"
#include "rpc.h"
#include "dk_roles.h"
#include "srv.h"

#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The staff columns every login path selects, $1 being its key. */
#define STAFF_COLUMNS                                                          \
    "st.id, st.username, st.password_hash, "                                   \
    "jsonb_build_object('username', st.username, 'name', st.name, "            \
    "'roles', to_jsonb(st.roles))::text, array_to_string(st.roles, ' ')"

enum { COL_ID, COL_USERNAME, COL_HASH, COL_JSON, COL_ROLES };

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

/* ---- failed-login limiter ------------------------------------------- */

#define LIMIT_SLOTS 1024

struct limit_slot {
    char key[96];
    int failures;
    uint64_t until_ms; /* refused until then */
    uint64_t last_ms;
};

struct limiter {
    struct limit_slot slots[LIMIT_SLOTS];
};

static struct limit_slot *limit_find(struct srv *srv, const char *key,
                                     bool create)
{
    struct limiter *l = srv->logins;
    struct limit_slot *oldest;

    if (!l)
        l = srv->logins = dk_xcalloc(1, sizeof(*l));
    oldest = &l->slots[0];
    for (int i = 0; i < LIMIT_SLOTS; i++) {
        if (strcmp(l->slots[i].key, key) == 0)
            return &l->slots[i];
        if (l->slots[i].last_ms < oldest->last_ms)
            oldest = &l->slots[i];
    }
    if (!create)
        return NULL;
    memset(oldest, 0, sizeof(*oldest));
    snprintf(oldest->key, sizeof(oldest->key), "%s", key);
    return oldest;
}

/* Seconds until key may try again, or 0. */
static long limit_wait(struct srv *srv, const char *key)
{
    struct limit_slot *s = limit_find(srv, key, false);
    uint64_t now = srv_now_ms(srv);

    if (!s || s->until_ms <= now)
        return 0;
    return (long)((s->until_ms - now + 999) / 1000);
}

static void limit_fail(struct srv *srv, const char *key)
{
    struct limit_slot *s = limit_find(srv, key, true);
    uint64_t now = srv_now_ms(srv);
    uint64_t window = (uint64_t)srv->cfg.session.login_lockout * 1000;

    if (now - s->last_ms > window)
        s->failures = 0; /* old failures are forgiven */
    s->last_ms = now;
    if (++s->failures >= srv->cfg.session.max_login_failures)
        s->until_ms = now + window;
}

static void limit_clear(struct srv *srv, const char *key)
{
    struct limit_slot *s = limit_find(srv, key, false);

    if (s)
        memset(s, 0, sizeof(*s));
}

/* The peer part of a limiter key: the address without its port. */
static void peer_key(const struct conn *c, char *buf, size_t size)
{
    const char *colon = strrchr(c->peer, ':');

    if (c->is_unix || !colon)
        snprintf(buf, size, "p:%s", c->peer);
    else
        snprintf(buf, size, "p:%.*s", (int)(colon - c->peer), c->peer);
}

/* ---- sessions --------------------------------------------------------- */

void rpc_session_end(struct conn *c)
{
    c->staff_id = 0;
    c->session_id = 0;
    c->roles = 0;
    c->username[0] = '\0';
    feed_unsubscribe(c->srv->feed, c);
}

static void ignore_done(struct db_query *q, PGresult *res, void *arg)
{
    if (res && !db_ok(res))
        dk_log(DK_LOG_WARN, "could not record session activity: %s",
               PQresultErrorMessage(res));
}

void rpc_session_touch(struct conn *c)
{
    uint64_t now = srv_now_ms(c->srv);
    struct db_query *q;

    /* last_seen_at only decides whether session.resume may still work, so
     * once a minute is plenty and costs no write per request. */
    if (!c->session_id || now - c->last_touch_ms < 60000)
        return;
    c->last_touch_ms = now;
    q = db_query_new("UPDATE session SET last_seen_at = now() WHERE id = $1",
                     1);
    db_param_ll(q, 0, c->session_id);
    db_submit(c->srv->db, q, ignore_done, NULL);
}

/* Answer {token, staff, idle_timeout_s} and make c's session current. */
static void logged_in(struct conn *c, long long session_id, const PGresult *res,
                      const char *token)
{
    char *json;

    c->staff_id = atoll(PQgetvalue(res, 0, COL_ID));
    c->session_id = session_id;
    c->roles = roles_of(PQgetvalue(res, 0, COL_ROLES));
    snprintf(c->username, sizeof(c->username), "%s",
             PQgetvalue(res, 0, COL_USERNAME));
    c->last_request_ms = c->last_touch_ms = srv_now_ms(c->srv);
    conn_log(c, DK_LOG_INFO, "logged in (%s)", rpc_method_name(c));
    json = dk_xasprintf(
        "{\"token\":\"%s\",\"staff\":%s,\"idle_timeout_s\":%lld}", token,
        PQgetvalue(res, 0, COL_JSON), c->srv->cfg.session.idle_timeout);
    conn_reply_raw(c, json);
    free(json);
}

struct login {
    struct conn *c; /* ref held */
    uv_work_t work;
    char *username;  /* owned */
    char *password;  /* owned, wiped */
    char *hash;      /* owned: the stored hash, or NULL */
    PGresult *staff; /* owned: the staff row, PQclear()ed at the end */
    bool ok;
    uid_t uid;
    char unix_user[64];
    char token[DK_TOKEN_LEN + 1];
};

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
    conn_unref(l->c);
    free(l);
}

static void session_created(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;

    if (l->c->state != CONN_CLOSING) {
        if (!db_ok(res))
            rpc_reply_db_error(l->c, res);
        else
            logged_in(l->c, atoll(PQgetvalue(res, 0, 0)), l->staff, l->token);
    }
    login_free(l);
}

/* Credentials are good: store a new session for l->staff. */
static void create_session(struct login *l)
{
    unsigned char hash[DK_TOKEN_HASH_LEN];
    char hex[DK_TOKEN_HASH_LEN * 2 + 1];
    struct db_query *q;

    dk_token_new(l->token);
    dk_token_hash(l->token, hash);
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    q = db_query_new("INSERT INTO session (token_hash, staff_id) "
                     "VALUES (decode($1, 'hex'), $2) RETURNING id",
                     2);
    db_param(q, 0, hex);
    db_param(q, 1, PQgetvalue(l->staff, 0, COL_ID));
    if (db_submit(l->c->srv->db, q, session_created, l) != 0) {
        conn_reply_error(l->c, DK_RPC_UNAVAILABLE,
                         "the database is unavailable; try again shortly",
                         NULL);
        login_free(l);
    }
}

/* A hash to verify against when the user does not exist, so that timing
 * does not tell which user names are real. */
static char dummy_hash[DK_PASS_HASH_MAX];

static void verify_work(uv_work_t *w)
{
    struct login *l = w->data;

    l->ok = dk_pass_verify(l->hash ? l->hash : dummy_hash, l->password) &&
            l->hash != NULL;
}

static void verify_done(uv_work_t *w, int status)
{
    struct login *l = w->data;
    struct conn *c = l->c;
    char key[128];

    if (c->state == CONN_CLOSING) {
        login_free(l);
        return;
    }
    snprintf(key, sizeof(key), "u:%s", l->username);
    if (status < 0 || !l->ok) {
        limit_fail(c->srv, key);
        peer_key(c, key, sizeof(key));
        limit_fail(c->srv, key);
        conn_log(c, DK_LOG_WARN, "failed login for \"%s\"", l->username);
        conn_reply_error(c, DK_RPC_FORBIDDEN, "wrong username or password",
                         NULL);
        login_free(l);
        return;
    }
    limit_clear(c->srv, key);
    create_session(l);
}

static void login_found(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;

    if (l->c->state == CONN_CLOSING) {
        login_free(l);
        return;
    }
    if (!db_ok(res)) {
        rpc_reply_db_error(l->c, res);
        login_free(l);
        return;
    }
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, COL_HASH))
        l->hash = dk_xstrdup(PQgetvalue(res, 0, COL_HASH));
    /* Keep the row: the result is cleared after this callback. */
    l->staff = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    l->work.data = l;
    if (uv_queue_work(l->c->srv->loop, &l->work, verify_work, verify_done) <
        0) {
        conn_reply_error(l->c, DK_RPC_INTERNAL, "could not check password",
                         NULL);
        login_free(l);
    }
}

static bool refused_for_now(struct conn *c, const char *username)
{
    char key[128], msg[128];
    long wait;

    snprintf(key, sizeof(key), "u:%s", username ? username : "");
    wait = username ? limit_wait(c->srv, key) : 0;
    peer_key(c, key, sizeof(key));
    if (limit_wait(c->srv, key) > wait)
        wait = limit_wait(c->srv, key);
    if (wait == 0)
        return false;
    snprintf(msg, sizeof(msg),
             "too many failed logins; try again in %ld seconds", wait);
    conn_reply_error(c, DK_RPC_TOO_MANY, msg, NULL);
    return true;
}

void rpc_session_login(struct conn *c, json_t *params)
{
    const char *username = NULL, *password = NULL;
    struct login *l;
    struct db_query *q;

    if (!rpc_param_str(c, params, "username", true, 64, &username) ||
        !rpc_param_str(c, params, "password", true, 1024, &password))
        return;
    if (refused_for_now(c, username))
        return;
    if (!dummy_hash[0] && dk_pass_hash("not a password", dummy_hash) != 0) {
        conn_reply_error(c, DK_RPC_INTERNAL, "out of memory", NULL);
        return;
    }
    l = dk_xcalloc(1, sizeof(*l));
    l->c = c;
    conn_ref(c);
    l->username = dk_xstrdup(username);
    l->password = dk_xstrdup(password);
    q = db_query_new("SELECT " STAFF_COLUMNS " FROM staff st "
                     "WHERE st.username = $1 AND st.active",
                     1);
    db_param(q, 0, username);
    if (db_submit(c->srv->db, q, login_found, l) != 0) {
        conn_reply_error(c, DK_RPC_UNAVAILABLE,
                         "the database is unavailable; try again shortly",
                         NULL);
        login_free(l);
    }
}

static void peer_found(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;
    struct conn *c = l->c;
    char msg[160];

    if (c->state == CONN_CLOSING) {
        login_free(l);
        return;
    }
    if (!db_ok(res)) {
        rpc_reply_db_error(c, res);
        login_free(l);
        return;
    }
    if (PQntuples(res) != 1) {
        char key[128];
        peer_key(c, key, sizeof(key));
        limit_fail(c->srv, key);
        snprintf(msg, sizeof(msg),
                 "Unix user \"%s\" is not an active staff member's",
                 l->unix_user);
        conn_reply_error(c, DK_RPC_FORBIDDEN, msg, NULL);
        login_free(l);
        return;
    }
    l->staff = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
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
    struct conn *c = l->c;
    struct db_query *q;
    char msg[96];

    if (c->state == CONN_CLOSING) {
        login_free(l);
        return;
    }
    if (status < 0 || !l->unix_user[0]) {
        snprintf(msg, sizeof(msg), "uid %u has no user name", (unsigned)l->uid);
        conn_reply_error(c, DK_RPC_FORBIDDEN, msg, NULL);
        login_free(l);
        return;
    }
    q = db_query_new("SELECT " STAFF_COLUMNS " FROM staff st "
                     "WHERE st.unix_user = $1 AND st.active",
                     1);
    db_param(q, 0, l->unix_user);
    if (db_submit(c->srv->db, q, peer_found, l) != 0) {
        conn_reply_error(c, DK_RPC_UNAVAILABLE,
                         "the database is unavailable; try again shortly",
                         NULL);
        login_free(l);
    }
}

void rpc_session_peer(struct conn *c, json_t *params)
{
    struct login *l;

    if (!c->is_unix || !c->has_uid) {
        conn_reply_error(c, DK_RPC_FORBIDDEN,
                         "session.peer works only on the Unix socket", NULL);
        return;
    }
    if (refused_for_now(c, NULL))
        return;
    l = dk_xcalloc(1, sizeof(*l));
    l->c = c;
    conn_ref(c);
    l->uid = c->peer_uid;
    l->work.data = l;
    if (uv_queue_work(c->srv->loop, &l->work, passwd_work, passwd_done) < 0) {
        conn_reply_error(c, DK_RPC_INTERNAL, "could not look up the user",
                         NULL);
        login_free(l);
    }
}

static void resumed(struct db_query *q, PGresult *res, void *arg)
{
    struct login *l = arg;
    struct conn *c = l->c;

    if (c->state == CONN_CLOSING) {
        login_free(l);
        return;
    }
    if (!db_ok(res)) {
        rpc_reply_db_error(c, res);
    } else if (PQntuples(res) != 1) {
        char key[128];
        peer_key(c, key, sizeof(key));
        limit_fail(c->srv, key);
        conn_reply_error(c, DK_RPC_EXPIRED,
                         "that session has expired or ended; log in again",
                         NULL);
    } else {
        logged_in(c, atoll(PQgetvalue(res, 0, COL_ROLES + 1)), res, l->token);
    }
    login_free(l);
}

void rpc_session_resume(struct conn *c, json_t *params)
{
    const char *token = NULL;
    unsigned char hash[DK_TOKEN_HASH_LEN];
    char hex[DK_TOKEN_HASH_LEN * 2 + 1], secs[24];
    struct login *l;
    struct db_query *q;

    if (!rpc_param_str(c, params, "token", true, 128, &token))
        return;
    if (refused_for_now(c, NULL))
        return;
    dk_token_hash(token, hash);
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    snprintf(secs, sizeof(secs), "%lld", c->srv->cfg.session.idle_timeout);
    l = dk_xcalloc(1, sizeof(*l));
    l->c = c;
    conn_ref(c);
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
    if (db_submit(c->srv->db, q, resumed, l) != 0) {
        conn_reply_error(c, DK_RPC_UNAVAILABLE,
                         "the database is unavailable; try again shortly",
                         NULL);
        login_free(l);
    }
}

static void logged_out(struct db_query *q, PGresult *res, void *arg)
{
    struct conn *c = arg;

    if (c->state != CONN_CLOSING) {
        if (!db_ok(res)) {
            rpc_reply_db_error(c, res);
        } else {
            conn_log(c, DK_LOG_INFO, "logged out");
            rpc_session_end(c);
            conn_reply(c, json_object());
        }
    }
    conn_unref(c);
}

void rpc_session_logout(struct conn *c, json_t *params)
{
    struct db_query *q = db_query_new("DELETE FROM session WHERE id = $1", 1);

    db_param_ll(q, 0, c->session_id);
    rpc_submit(c, q, logged_out);
}
