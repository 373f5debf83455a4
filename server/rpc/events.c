/*
 * events.c - events.subscribe: a connection becomes one of the hub's
 * subscribers, and each feed event it is meant to hear is pushed to it as
 * a JSON-RPC notification; so is every presence change (no seq), and the
 * markers live when it subscribes.
 */
#include "conn.h"
#include "core.h"
#include "db.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "feed.h"
#include "hub.h"
#include "presence.h"
#include "rpc.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>

/* One event for c: pushed if it is for c's staff member. */
static void deliver(struct hub_sub *s, const struct hub_event *e)
{
    struct conn *c = conn_of(s, sub);

    /* An expired session hears nothing more, notifications least of
     * all: it ends here rather than at its next request. */
    if (auth_idle(c->rs->auth, &c->who)) {
        conn_log(c, DK_LOG_INFO, "session expired");
        rpc_session_end(c);
        return;
    }
    if (e->for_staff && e->for_staff != c->who.staff_id)
        return;
    conn_send_copy(c, e->line, e->len);
}

static void hold(struct hub_sub *s, int delta)
{
    struct conn *c = conn_of(s, sub);

    if (delta > 0)
        conn_ref(c);
    else
        conn_unref(c);
}

static size_t queued(struct hub_sub *s)
{
    struct conn *c = conn_of(s, sub);

    return uv_stream_get_write_queue_size(&c->h.stream);
}

static const struct hub_sub_ops conn_sub_ops = {deliver, hold, queued};

/* Subscribe c having heard up to from; reply {seq: newest}. */
static void subscribe_from(struct conn *c, long long from, long long newest,
                           bool resync)
{
    char buf[64];

    /* Subscribed before the answer goes: the next request may already be
     * read when it has, and the replay's pushes come after it anyway. */
    feed_attach(c->rs->core->feed, &c->sub, &conn_sub_ops, from);
    snprintf(buf, sizeof(buf), "{\"seq\":%lld%s}", newest,
             resync ? ",\"resync\":true" : "");
    conn_reply_raw(c, buf);
    /* Who is on which ticket now, after the answer, so that a client
     * that forgets every marker when it (re)subscribes keeps these. */
    presence_replay(c->rs->core->presence, &c->sub);
}

/*
 * A since past this instance's reader: another instance may already have
 * delivered up to it.  Only the table says whether since is a seq the
 * feed gave out (subscribe from it; live batches skip what is at or below
 * it) or one from another history (resync).
 */
static void newest_done(struct db_query *q, PGresult *res, void *arg)
{
    struct conn *c = arg;
    long long since, newest, head = feed_head(c->rs->core->feed);

    if (c->state == CONN_CLOSING) {
        conn_unref(c);
        return;
    }
    if (!db_ok(res)) {
        rpc_reply_db_error(c, res);
        conn_unref(c);
        return;
    }
    since = atoll(PQgetvalue(res, 0, 0));
    newest = atoll(PQgetvalue(res, 0, 1));
    if (newest < head)
        newest = head;
    if (since <= newest)
        subscribe_from(c, since, newest, false);
    else
        subscribe_from(c, newest, newest, true);
    conn_unref(c);
}

void rpc_events_subscribe(struct conn *c, json_t *params)
{
    struct feed *f = c->rs->core->feed;
    long long since = -1, head = feed_head(f);
    struct db_query *q;

    if (!rpc_param_int(c, params, "since", 0, (1LL << 53), &since))
        return;
    if (!feed_ready(f)) {
        conn_reply_error(c, DK_RPC_UNAVAILABLE,
                         "the change feed is not connected yet; try again",
                         NULL);
        return;
    }
    if (since < 0 || since <= head) {
        subscribe_from(c, since < 0 ? head : since, head, false);
        return;
    }
    q = db_query_new("SELECT $1::bigint, coalesce(max(seq), 0) FROM event", 1);
    db_param_ll(q, 0, since);
    rpc_submit(c, q, newest_done);
}
