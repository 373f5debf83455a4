/*
 * presence.c - presence.set and a connection's markers: one per ticket,
 * CONN_PRESENCE_MAX tickets, published through core's presence
 * (core/presence.h) under a per-connection rate limit, and cleared when
 * the session or the connection ends.
 *
 * A flood is coalesced, not refused: a set past the limit is answered at
 * once and remembered, and the sweep (once a second) sends the latest
 * state when the bucket allows, so what others see is never left behind
 * for long.  The same state again within SAME_MS is not sent again (the
 * client's 10 s refreshes are; a burst of identical sets is not).
 */
#include "conn.h"
#include "core.h"
#include "dk_err.h"
#include "dk_log.h"
#include "presence.h"
#include "rpc.h"
#include "server.h"

#include <stdio.h>
#include <string.h>

#define BURST      8    /* publishes a connection may make at once */
#define PER_SECOND 4.0  /* and then, sustained */
#define SAME_MS    2000 /* the same state sooner than this is not resent, */
                        /* nor more often than a quarter of the lapse */

static void refill(struct conn_presence *cp, uint64_t now)
{
    if (cp->filled_ms == 0) {
        cp->tokens = BURST;
    } else if (now > cp->filled_ms) {
        cp->tokens += (double)(now - cp->filled_ms) * PER_SECOND / 1000.0;
        if (cp->tokens > BURST)
            cp->tokens = BURST;
    }
    cp->filled_ms = now;
}

static bool take_token(struct conn *c, uint64_t now)
{
    refill(&c->pres, now);
    if (c->pres.tokens < 1.0)
        return false;
    c->pres.tokens -= 1.0;
    return true;
}

static bool needs_sending(const struct conn *c, const struct conn_marker *m,
                          uint64_t now)
{
    uint64_t same = (uint64_t)c->rs->core->cfg->session.presence_lapse * 250;

    if (same > SAME_MS)
        same = SAME_MS;
    return m->state != m->sent ||
           (m->state != PRESENCE_NONE && now - m->sent_ms >= same);
}

static void free_if_idle(struct conn_marker *m)
{
    if (m->state == PRESENCE_NONE && m->sent == PRESENCE_NONE && !m->dirty)
        memset(m, 0, sizeof(*m));
}

/* Publish m's state (cb, when not NULL, answers the request).  True if
 * it went; false leaves it waiting for the sweep. */
static bool send_marker(struct conn *c, struct conn_marker *m, uint64_t now,
                        void (*cb)(int rc, void *arg))
{
    if (presence_publish(c->rs->core->presence, c->id, c->pres.user, m->ticket,
                         (enum presence_state)m->state, cb, c) != 0) {
        m->dirty = c->pres.dirty = true;
        return false;
    }
    m->sent = m->state;
    m->sent_ms = now;
    m->dirty = false;
    return true;
}

/* A clear for a marker others may have heard; not rate limited, since a
 * marker is only heard after a publish the limit let through. */
static void send_clear(struct conn *c, struct conn_marker *m)
{
    if (m->sent != PRESENCE_NONE)
        presence_publish(c->rs->core->presence, c->id, c->pres.user, m->ticket,
                         PRESENCE_NONE, NULL, NULL);
    memset(m, 0, sizeof(*m));
}

static struct conn_marker *slot_for(struct conn *c, long long ticket, bool make)
{
    struct conn_marker *oldest = NULL, *free_slot = NULL;

    for (int i = 0; i < CONN_PRESENCE_MAX; i++) {
        struct conn_marker *m = &c->pres.m[i];
        if (m->ticket == ticket)
            return m;
        if (!m->ticket && !free_slot)
            free_slot = m;
        if (m->ticket && (!oldest || m->set_n < oldest->set_n))
            oldest = m;
    }
    if (!make)
        return NULL;
    if (!free_slot) {
        /* The newest wins: the ticket set longest ago lets go. */
        send_clear(c, oldest);
        free_slot = oldest;
    }
    free_slot->ticket = ticket;
    return free_slot;
}

static void set_done(int rc, void *arg)
{
    struct conn *c = arg;
    struct conn_marker *m;
    char msg[96];

    if (c->state == CONN_CLOSING) {
        conn_unref(c);
        return;
    }
    m = slot_for(c, c->pres.pending, false);
    if (rc == DK_ENOTFOUND) {
        if (m)
            memset(m, 0, sizeof(*m)); /* nobody heard it */
        snprintf(msg, sizeof(msg), "ticket %lld does not exist",
                 c->pres.pending);
        conn_reply_error(c, DK_RPC_NOT_FOUND, msg, NULL);
    } else {
        /* A failed NOTIFY is tried again by the sweep. */
        if (rc != 0 && m) {
            m->sent = PRESENCE_NONE;
            m->dirty = c->pres.dirty = true;
        }
        conn_reply_raw(c, "{}");
    }
    conn_unref(c);
}

void rpc_presence_set(struct conn *c, json_t *params)
{
    uint64_t now = core_now_ms(c->rs->core);
    long long ticket = 0;
    const char *state = NULL;
    bool present = false;
    struct conn_marker *m;
    int st;

    if (!rpc_param_id(c, params, "ticket", true, &ticket) ||
        !rpc_param_str_or_null(c, params, "state", 16, &state, &present))
        return;
    st = presence_state_parse(state);
    if (!present || st < 0) {
        conn_reply_error(c, DK_RPC_BAD_PARAMS,
                         "parameter \"state\" must be \"viewing\", "
                         "\"replying\" or null",
                         NULL);
        return;
    }
    snprintf(c->pres.user, sizeof(c->pres.user), "%s", c->who.username);
    m = slot_for(c, ticket, st != PRESENCE_NONE);
    if (!m) { /* a clear of a ticket we hold nothing on */
        conn_reply_raw(c, "{}");
        return;
    }
    m->state = st;
    m->set_n = ++c->pres.sets;
    if (!needs_sending(c, m, now)) {
        m->dirty = false;
        free_if_idle(m);
        conn_reply_raw(c, "{}");
        return;
    }
    if (!take_token(c, now)) {
        m->dirty = c->pres.dirty = true;
        conn_reply_raw(c, "{}");
        return;
    }
    c->pres.pending = ticket;
    conn_ref(c);
    if (!send_marker(c, m, now, set_done)) {
        /* Not connected: accepted, and sent by the sweep once it is. */
        conn_unref(c);
        conn_reply_raw(c, "{}");
        return;
    }
    free_if_idle(m);
}

void rpc_presence_flush(struct conn *c)
{
    uint64_t now = core_now_ms(c->rs->core);

    if (!c->pres.dirty || c->state == CONN_CLOSING || !c->who.staff_id)
        return;
    c->pres.dirty = false;
    for (int i = 0; i < CONN_PRESENCE_MAX; i++) {
        struct conn_marker *m = &c->pres.m[i];
        if (!m->ticket || !m->dirty)
            continue;
        if (!needs_sending(c, m, now)) {
            m->dirty = false;
        } else if (!take_token(c, now)) {
            c->pres.dirty = true;
            continue;
        } else {
            send_marker(c, m, now, NULL);
        }
        free_if_idle(m);
    }
}

void rpc_presence_clear(struct conn *c)
{
    for (int i = 0; i < CONN_PRESENCE_MAX; i++)
        if (c->pres.m[i].ticket)
            send_clear(c, &c->pres.m[i]);
    c->pres.dirty = false;
}
