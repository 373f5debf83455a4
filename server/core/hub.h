/*
 * hub.h - fan-out of the change feed to subscribers that are callbacks,
 * not sockets: a JSON-RPC connection, and later a portal event stream or
 * a presence watcher, each embed a struct hub_sub.  The hub keeps the
 * rule that makes delivery exactly once and in order: a subscriber hears
 * each seq at most once, only above the last one it heard, and one that
 * is behind (replaying) is passed by until it has caught up.
 */
#ifndef HUB_H
#define HUB_H

#include <stdbool.h>
#include <stddef.h>

struct hub;
struct hub_sub;

/* One feed event, as pushed: the JSON-RPC notification line (newline
 * included) and the params object's text.  A push that is not history
 * (presence) has seq 0 and goes through hub_broadcast() or hub_tell(). */
struct hub_event {
    long long seq;
    long long for_staff; /* 0: for everyone; else only that staff member */
    const char *line;
    size_t len;
};

/* What a subscriber's owner does for the hub. */
struct hub_sub_ops {
    /* Called for each event above s->seq (s->seq is already moved past
     * it), and for each push that is not history (e->seq 0, s->seq left
     * alone).  It may unsubscribe s, or any other subscriber, but must
     * not publish. */
    void (*deliver)(struct hub_sub *s, const struct hub_event *e);
    /* Keep s's memory alive (+1) while a replay query is out, then let
     * it go (-1); NULL when the owner outlives any query anyway. */
    void (*hold)(struct hub_sub *s, int delta);
    /* Bytes queued for s and not yet taken by its client (NULL: none):
     * a replay waits while this is past FEED_REPLAY_PAUSE rather than
     * outrun a slow reader into its output limit. */
    size_t (*queued)(struct hub_sub *s);
};

struct hub_sub {
    const struct hub_sub_ops *ops;
    long long seq;       /* the last seq this subscriber has heard */
    bool replaying;      /* catching up outside the hub (the feed's replay) */
    unsigned gen;        /* counts hub_subscribe()s: a replay asked for before
                          * the latest one read from a seq that no longer holds */
    unsigned replay_gen; /* the gen of the replay in flight */
    bool active;         /* in a hub's list */
    struct hub_sub *prev, *next;
};

struct hub *hub_new(void);
void hub_free(struct hub *h);

/* Add s, having heard everything up to seq. */
void hub_subscribe(struct hub *h, struct hub_sub *s,
                   const struct hub_sub_ops *ops, long long seq);
/* Take s out; safe on one that is not subscribed. */
void hub_unsubscribe(struct hub *h, struct hub_sub *s);

/*
 * A live event: every subscriber that had heard up to before (the head
 * before this batch) and is not replaying hears it.  The others are
 * behind and must catch up first (hub_behind()).
 */
void hub_publish(struct hub *h, const struct hub_event *e, long long before);
/* One event to one subscriber (a replay): heard only if above s->seq. */
void hub_deliver(struct hub_sub *s, const struct hub_event *e);

/* A push that is not history (e->seq 0, presence): every subscriber
 * hears it, whatever its seq, replaying or not. */
void hub_broadcast(struct hub *h, const struct hub_event *e);
/* The same to one subscriber (what a new subscriber should know). */
void hub_tell(struct hub_sub *s, const struct hub_event *e);

/* Call fn for each subscriber that has heard less than head and is not
 * replaying (fn may start its replay). */
void hub_behind(struct hub *h, long long head,
                void (*fn)(struct hub_sub *s, void *arg), void *arg);

/* s->ops->hold(s, delta), if it has one. */
void hub_hold(struct hub_sub *s, int delta);

size_t hub_count(const struct hub *h);

#endif
