/*
 * presence.c - markers heard from every instance, their lapse, and the
 * NOTIFYs that share them (presence.h).
 *
 * One connection of its own (a pool of one) both LISTENs on
 * docket_presence and sends this instance's NOTIFYs: its queries run one
 * at a time, so a "viewing" and the null after it commit, and reach every
 * instance, in that order (the main pool could run them on two
 * connections and deliver the null first).  A marker is keyed by
 * (instance, connection, user, ticket); what clients hear is a user's
 * state on a ticket, the highest over their markers, pushed only when it
 * changes.
 * Memory is bounded: PRESENCE_MAX_MARKERS in all, PRESENCE_MAX_PER_TICKET
 * on one ticket; past those a marker is not kept (it is as if it had
 * lapsed), whoever sent it.
 */
#include "presence.h"
#include "core.h"
#include "db.h"
#include "dk_err.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_rpc.h"
#include "dk_text.h"
#include "hub.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUCKETS       1024
#define MAX_EXPIRES_S 300   /* a payload's expires_in is clamped to this */
#define CLOSE_WAIT_MS 2000  /* presence_close() waits this long for sends */
#define WARN_EVERY_MS 60000 /* bad payloads and drops, logged this often */

struct marker {
    char instance[64];
    unsigned long long conn;
    char user[48];
    enum presence_state state; /* never NONE: a cleared marker is freed */
    uint64_t expires_ms;       /* loop time at which it lapses */
    struct marker *next;       /* its ticket's list */
};

struct ticket {
    long long id;
    struct marker *markers; /* owned */
    int n;
    struct ticket *next; /* its bucket's chain */
};

struct presence {
    struct core *core; /* borrowed */
    struct db *db;     /* owned: one connection, LISTEN docket_presence */
    /* This process in payloads: the instance's name with its pid and start
     * time, since a restarted instance numbers its connections from 1
     * again and must not take over the markers its dead self left. */
    char self[64];
    bool up;                         /* connected and listening */
    struct ticket *buckets[BUCKETS]; /* owned */
    size_t n;                        /* markers in all */
    unsigned long long dropped;
    uv_timer_t lapse;
    unsigned inflight; /* NOTIFYs submitted, not yet answered */
    bool closing;
    uv_timer_t close_wait;
    int closing_handles;
    void (*done_cb)(void *arg);
    void *done_arg;
    /* When each kind of warning was last logged. */
    uint64_t warned_payload_ms, warned_full_ms, warned_notify_ms;
};

const char *presence_state_name(enum presence_state st)
{
    switch (st) {
    case PRESENCE_VIEWING:
        return "viewing";
    case PRESENCE_REPLYING:
        return "replying";
    default:
        return NULL;
    }
}

int presence_state_parse(const char *s)
{
    if (!s)
        return PRESENCE_NONE;
    if (strcmp(s, "viewing") == 0)
        return PRESENCE_VIEWING;
    if (strcmp(s, "replying") == 0)
        return PRESENCE_REPLYING;
    return -1;
}

size_t presence_count(const struct presence *p)
{
    return p->n;
}

unsigned long long presence_dropped(const struct presence *p)
{
    return p->dropped;
}

/* Bad payloads and full tables must not flood the log. */
static bool may_warn(struct presence *p, uint64_t *last_ms)
{
    uint64_t now = core_now_ms(p->core);

    if (*last_ms && now - *last_ms < WARN_EVERY_MS)
        return false;
    *last_ms = now;
    return true;
}

static unsigned bucket_of(long long ticket)
{
    return (unsigned)(((uint64_t)ticket * 0x9E3779B97F4A7C15ULL) >> 54) %
           BUCKETS;
}

static struct ticket *find_ticket(struct presence *p, long long id)
{
    for (struct ticket *t = p->buckets[bucket_of(id)]; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

static void free_ticket_if_empty(struct presence *p, struct ticket *t)
{
    struct ticket **pp = &p->buckets[bucket_of(t->id)];

    if (t->markers)
        return;
    while (*pp != t)
        pp = &(*pp)->next;
    *pp = t->next;
    free(t);
}

/* user's state on t: the highest of their markers, and when the last of
 * those at that state lapses. */
static enum presence_state user_state(const struct ticket *t, const char *user,
                                      uint64_t *expires)
{
    enum presence_state st = PRESENCE_NONE;
    uint64_t at = 0;

    for (const struct marker *m = t->markers; m; m = m->next) {
        if (strcmp(m->user, user) != 0)
            continue;
        if (m->state > st) {
            st = m->state;
            at = m->expires_ms;
        } else if (m->state == st && m->expires_ms > at) {
            at = m->expires_ms;
        }
    }
    if (expires)
        *expires = at;
    return st;
}

/* The push: {type: presence, ticket, user, state, expires_in}, no seq. */
static char *push_line(long long ticket, const char *user,
                       enum presence_state st, long long expires_in,
                       size_t *len)
{
    const char *name = presence_state_name(st);
    json_t *o = json_pack("{s:s, s:I, s:s, s:o, s:I}", "type", "presence",
                          "ticket", (json_int_t)ticket, "user", user, "state",
                          name ? json_string(name) : json_null(), "expires_in",
                          (json_int_t)expires_in);
    char *params, *line;

    if (!o)
        return NULL;
    params = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!params)
        return NULL;
    line = dk_rpc_notification_raw("event", params, len);
    free(params);
    return line;
}

static long long seconds_left(struct presence *p, uint64_t expires_ms)
{
    uint64_t now = core_now_ms(p->core);

    if (expires_ms <= now)
        return 0;
    return (long long)((expires_ms - now + 999) / 1000);
}

/* Tell every subscriber user's state on ticket. */
static void broadcast(struct presence *p, long long ticket, const char *user,
                      enum presence_state st, uint64_t expires_ms)
{
    struct hub_event e = {0};
    char *line = push_line(ticket, user, st,
                           st ? seconds_left(p, expires_ms) : 0, &e.len);

    if (!line)
        return;
    e.line = line;
    hub_broadcast(p->core->hub, &e);
    free(line);
}

/*
 * Apply one heard marker.  A user's state changing (not a mere refresh)
 * is pushed.
 */
static void apply(struct presence *p, const char *instance,
                  unsigned long long conn, const char *user, long long ticket,
                  enum presence_state st, long long expires_in)
{
    struct ticket *t = find_ticket(p, ticket);
    struct marker *m = NULL, **mp = NULL;
    enum presence_state before, after;
    uint64_t expires;

    if (!t && st == PRESENCE_NONE)
        return;
    if (t) {
        for (mp = &t->markers; *mp; mp = &(*mp)->next)
            if ((*mp)->conn == conn && strcmp((*mp)->instance, instance) == 0 &&
                strcmp((*mp)->user, user) == 0)
                break;
        m = *mp;
    }
    if (!m && st == PRESENCE_NONE)
        return;
    if (!m && (p->n >= PRESENCE_MAX_MARKERS ||
               (t && t->n >= PRESENCE_MAX_PER_TICKET))) {
        p->dropped++;
        if (may_warn(p, &p->warned_full_ms))
            dk_log(DK_LOG_WARN,
                   "presence: not keeping a marker on ticket %lld: %zu "
                   "markers held (at most %d, %d per ticket)",
                   ticket, p->n, PRESENCE_MAX_MARKERS, PRESENCE_MAX_PER_TICKET);
        return;
    }
    if (!t) {
        unsigned b = bucket_of(ticket);
        t = dk_xcalloc(1, sizeof(*t));
        t->id = ticket;
        t->next = p->buckets[b];
        p->buckets[b] = t;
    }
    before = user_state(t, user, NULL);
    if (st == PRESENCE_NONE) {
        *mp = m->next;
        free(m);
        t->n--;
        p->n--;
    } else {
        if (!m) {
            m = dk_xcalloc(1, sizeof(*m));
            snprintf(m->instance, sizeof(m->instance), "%s", instance);
            m->conn = conn;
            snprintf(m->user, sizeof(m->user), "%s", user);
            m->next = t->markers;
            t->markers = m;
            t->n++;
            p->n++;
        }
        m->state = st;
        m->expires_ms = core_now_ms(p->core) + (uint64_t)expires_in * 1000;
    }
    after = user_state(t, user, &expires);
    if (after != before)
        broadcast(p, ticket, user, after, expires);
    free_ticket_if_empty(p, t);
}

/* A string field of at most max - 1 bytes, printable ASCII or UTF-8: a
 * forged payload must not put control characters in front of clients. */
static const char *text_field(json_t *o, const char *key, size_t max)
{
    json_t *v = json_object_get(o, key);
    const char *s = json_string_value(v);

    if (!s || !*s || json_string_length(v) >= max ||
        strlen(s) != json_string_length(v))
        return NULL;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return NULL;
    return s;
}

void presence_heard(struct presence *p, const char *payload)
{
    json_error_t jerr;
    json_t *o = json_loads(payload, JSON_REJECT_DUPLICATES, &jerr);
    const char *instance, *user, *why = NULL;
    json_t *conn, *ticket, *state, *expires;
    int st = -1;

    if (!json_is_object(o)) {
        why = "not a JSON object";
        goto out;
    }
    instance =
        text_field(o, "instance", sizeof(((struct marker *)0)->instance));
    user = text_field(o, "user", sizeof(((struct marker *)0)->user));
    if (user && !dk_username_valid(user))
        user = NULL; /* what docketctl allows, so plain ASCII */
    conn = json_object_get(o, "conn");
    ticket = json_object_get(o, "ticket");
    state = json_object_get(o, "state");
    expires = json_object_get(o, "expires_in");
    if (json_is_null(state))
        st = PRESENCE_NONE;
    else if (json_is_string(state))
        st = presence_state_parse(json_string_value(state));
    if (!instance || !user)
        why = "bad instance or user";
    else if (!json_is_integer(conn) || json_integer_value(conn) <= 0)
        why = "bad conn";
    else if (!json_is_integer(ticket) || json_integer_value(ticket) <= 0 ||
             json_integer_value(ticket) > (1LL << 53))
        why = "bad ticket";
    else if (st < 0)
        why = "bad state";
    else if (!json_is_integer(expires) || json_integer_value(expires) < 1)
        why = "bad expires_in";
    if (why)
        goto out;
    apply(p, instance, (unsigned long long)json_integer_value(conn), user,
          json_integer_value(ticket), (enum presence_state)st,
          json_integer_value(expires) > MAX_EXPIRES_S
              ? MAX_EXPIRES_S
              : json_integer_value(expires));
out:
    if (why && may_warn(p, &p->warned_payload_ms))
        dk_log(DK_LOG_WARN, "presence: ignoring a docket_presence payload: %s",
               why);
    json_decref(o);
}

void presence_replay(struct presence *p, struct hub_sub *s)
{
    for (size_t b = 0; b < BUCKETS; b++) {
        for (struct ticket *t = p->buckets[b]; t; t = t->next) {
            for (struct marker *m = t->markers; m && s->active; m = m->next) {
                struct hub_event e = {0};
                enum presence_state st;
                uint64_t expires;
                bool first = true;
                char *line;

                /* Once per user: at their first marker in the list. */
                for (struct marker *o = t->markers; o != m; o = o->next)
                    if (strcmp(o->user, m->user) == 0)
                        first = false;
                if (!first)
                    continue;
                st = user_state(t, m->user, &expires);
                line = push_line(t->id, m->user, st, seconds_left(p, expires),
                                 &e.len);
                if (!line)
                    continue;
                e.line = line;
                hub_tell(s, &e);
                free(line);
            }
        }
    }
}

/* ---- the lapse ------------------------------------------------------- */

static uint64_t lapse_period_ms(struct presence *p)
{
    /* A marker goes at most a sixth of the lapse late, and at most 5 s. */
    uint64_t ms = (uint64_t)p->core->cfg->session.presence_lapse * 1000 / 6;

    return ms < 100 ? 100 : ms > 5000 ? 5000 : ms;
}

static void lapse_cb(uv_timer_t *timer)
{
    struct presence *p = timer->data;
    uint64_t now = core_now_ms(p->core);

    for (size_t b = 0; b < BUCKETS; b++) {
        for (struct ticket *t = p->buckets[b], *tnext; t; t = tnext) {
            tnext = t->next;
            for (struct marker **mp = &t->markers; *mp;) {
                struct marker *m = *mp;
                enum presence_state before, after;
                uint64_t expires;
                char user[sizeof(m->user)];

                if (m->expires_ms > now) {
                    mp = &m->next;
                    continue;
                }
                snprintf(user, sizeof(user), "%s", m->user);
                before = user_state(t, user, NULL);
                *mp = m->next;
                free(m);
                t->n--;
                p->n--;
                after = user_state(t, user, &expires);
                if (after != before)
                    broadcast(p, t->id, user, after, expires);
            }
            free_ticket_if_empty(p, t);
        }
    }
    uv_timer_start(&p->lapse, lapse_cb, lapse_period_ms(p), 0);
}

/* ---- the connection ---------------------------------------------------- */

static void notify_cb(const char *channel, const char *payload, void *arg)
{
    if (strcmp(channel, "docket_presence") == 0)
        presence_heard(arg, payload);
}

static void listen_done(struct db_query *q, PGresult *res, void *arg)
{
    struct presence *p = arg;

    if (!db_ok(res)) {
        /* Nothing would retry it: a new session may do better. */
        if (res) {
            dk_log(DK_LOG_ERROR, "presence: LISTEN failed: %s",
                   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
            db_reconnect(p->db, "LISTEN failed");
        }
        return;
    }
    /* What was said while the connection was down is lost: those markers
     * lapse, or come back with their clients' next refresh. */
    p->up = true;
}

static void state_cb(bool up, void *arg)
{
    struct presence *p = arg;

    if (!up) {
        p->up = false;
        return;
    }
    if (p->closing)
        return;
    db_submit(p->db, db_query_new("LISTEN docket_presence", 0), listen_done, p);
}

struct presence *presence_new(struct core *core)
{
    struct presence *p = dk_xcalloc(1, sizeof(*p));

    p->core = core;
    snprintf(p->self, sizeof(p->self), "%.40s/%d.%lld", core->instance,
             (int)getpid(), (long long)core->started);
    p->db = db_new(core->loop, core->conninfo, 1);
    db_set_name(p->db, "presence");
    db_set_state_cb(p->db, state_cb, p);
    db_set_notify_cb(p->db, notify_cb, p);
    uv_timer_init(core->loop, &p->lapse);
    p->lapse.data = p;
    uv_timer_start(&p->lapse, lapse_cb, lapse_period_ms(p), 0);
    uv_timer_init(core->loop, &p->close_wait);
    p->close_wait.data = p;
    return p;
}

/* ---- publishing ------------------------------------------------------ */

struct publish {
    struct presence *p;
    bool check; /* the ticket must exist */
    void (*cb)(int rc, void *arg);
    void *arg;
};

static void close_wait_cb(uv_timer_t *timer);

static void publish_done(struct db_query *q, PGresult *res, void *arg)
{
    struct publish *pub = arg;
    struct presence *p = pub->p;
    int rc = 0;

    if (!db_ok(res)) {
        if (res && may_warn(p, &p->warned_notify_ms))
            dk_log(DK_LOG_WARN, "presence: NOTIFY failed: %s",
                   PQresultErrorMessage(res));
        rc = DK_EFAIL;
    } else if (pub->check && PQntuples(res) == 0) {
        rc = DK_ENOTFOUND;
    }
    if (pub->cb)
        pub->cb(rc, pub->arg);
    free(pub);
    /* Not from inside the pool's callback: on the next loop turn. */
    if (--p->inflight == 0 && p->closing &&
        !uv_is_closing((uv_handle_t *)&p->close_wait))
        uv_timer_start(&p->close_wait, close_wait_cb, 0, 0);
}

int presence_publish(struct presence *p, unsigned long long conn,
                     const char *user, long long ticket, enum presence_state st,
                     void (*cb)(int rc, void *arg), void *arg)
{
    const char *name = presence_state_name(st);
    json_t *o;
    char *payload;
    struct db_query *q;
    struct publish *pub;

    if (!p->up || p->closing)
        return DK_EUNAVAIL;
    o = json_pack("{s:s, s:I, s:s, s:I, s:o, s:I}", "instance", p->self, "conn",
                  (json_int_t)conn, "user", user, "ticket", (json_int_t)ticket,
                  "state", name ? json_string(name) : json_null(), "expires_in",
                  (json_int_t)p->core->cfg->session.presence_lapse);
    payload = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!payload)
        return DK_EFAIL;
    /* A marker on a ticket that does not exist is not sent; a clear
     * always is (the ticket may have gone meanwhile). */
    q = db_query_new(st == PRESENCE_NONE
                         ? "SELECT pg_notify('docket_presence', $1)"
                         : "SELECT pg_notify('docket_presence', $1) "
                           "FROM ticket WHERE id = $2",
                     st == PRESENCE_NONE ? 1 : 2);
    db_param(q, 0, payload);
    if (st != PRESENCE_NONE)
        db_param_ll(q, 1, ticket);
    free(payload);
    pub = dk_xmalloc(sizeof(*pub));
    pub->p = p;
    pub->check = st != PRESENCE_NONE;
    pub->cb = cb;
    pub->arg = arg;
    if (db_submit(p->db, q, publish_done, pub) != 0) {
        free(pub);
        return DK_EUNAVAIL;
    }
    p->inflight++;
    return 0;
}

/* ---- stopping ----------------------------------------------------------- */

static void handle_closed(uv_handle_t *h)
{
    struct presence *p = h->data;

    if (--p->closing_handles == 0 && p->done_cb)
        p->done_cb(p->done_arg);
}

static void db_closed(void *arg)
{
    struct presence *p = arg;

    handle_closed((uv_handle_t *)&p->lapse);
}

static void close_db(struct presence *p)
{
    if (uv_is_closing((uv_handle_t *)&p->close_wait))
        return;
    uv_close((uv_handle_t *)&p->close_wait, handle_closed);
    db_close(p->db, db_closed, p);
}

static void close_wait_cb(uv_timer_t *timer)
{
    close_db(timer->data);
}

void presence_close(struct presence *p, void (*done_cb)(void *arg), void *arg)
{
    p->closing = true;
    p->done_cb = done_cb;
    p->done_arg = arg;
    p->closing_handles = 3; /* the two timers and the connection */
    uv_close((uv_handle_t *)&p->lapse, handle_closed);
    if (p->inflight == 0)
        close_db(p);
    else
        uv_timer_start(&p->close_wait, close_wait_cb, CLOSE_WAIT_MS, 0);
}

void presence_free(struct presence *p)
{
    if (!p)
        return;
    for (size_t b = 0; b < BUCKETS; b++) {
        for (struct ticket *t = p->buckets[b], *tnext; t; t = tnext) {
            tnext = t->next;
            for (struct marker *m = t->markers, *mnext; m; m = mnext) {
                mnext = m->next;
                free(m);
            }
            free(t);
        }
    }
    db_free(p->db);
    free(p);
}
