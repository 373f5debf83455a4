/*
 * hub.c - the feed's fan-out (hub.h).  A list, walked with the next
 * pointer saved first, since a delivery may end a subscription (an
 * expired session) or another one.
 */
#include "hub.h"
#include "dk_mem.h"

#include <assert.h>
#include <stdlib.h>

struct hub {
    struct hub_sub *subs;
    size_t n;
    /* The walk in progress: a subscriber taken out during it moves this
     * on, so the walk never follows a pointer into a removed one. */
    struct hub_sub *walk_next;
};

struct hub *hub_new(void)
{
    return dk_xcalloc(1, sizeof(struct hub));
}

void hub_free(struct hub *h)
{
    free(h);
}

void hub_subscribe(struct hub *h, struct hub_sub *s,
                   const struct hub_sub_ops *ops, long long seq)
{
    s->ops = ops;
    s->seq = seq;
    s->gen++;
    if (s->active)
        return; /* a replay under way is redone from the new seq */
    s->replaying = false;
    s->active = true;
    s->prev = NULL;
    s->next = h->subs;
    if (h->subs)
        h->subs->prev = s;
    h->subs = s;
    h->n++;
}

void hub_unsubscribe(struct hub *h, struct hub_sub *s)
{
    if (!s->active)
        return;
    if (h->walk_next == s)
        h->walk_next = s->next;
    if (s->prev)
        s->prev->next = s->next;
    else
        h->subs = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    s->active = false;
    h->n--;
}

void hub_deliver(struct hub_sub *s, const struct hub_event *e)
{
    if (e->seq <= s->seq)
        return;
    s->seq = e->seq;
    s->ops->deliver(s, e);
}

void hub_publish(struct hub *h, const struct hub_event *e, long long before)
{
    struct hub_sub *saved = h->walk_next;

    for (struct hub_sub *s = h->subs; s; s = h->walk_next) {
        h->walk_next = s->next;
        if (s->replaying || s->seq < before)
            continue; /* behind: it catches up by replay */
        hub_deliver(s, e);
    }
    h->walk_next = saved;
}

void hub_tell(struct hub_sub *s, const struct hub_event *e)
{
    assert(e->seq == 0);
    if (s->active)
        s->ops->deliver(s, e);
}

void hub_broadcast(struct hub *h, const struct hub_event *e)
{
    struct hub_sub *saved = h->walk_next;

    for (struct hub_sub *s = h->subs; s; s = h->walk_next) {
        h->walk_next = s->next;
        hub_tell(s, e);
    }
    h->walk_next = saved;
}

void hub_behind(struct hub *h, long long head,
                void (*fn)(struct hub_sub *s, void *arg), void *arg)
{
    struct hub_sub *saved = h->walk_next;

    for (struct hub_sub *s = h->subs; s; s = h->walk_next) {
        h->walk_next = s->next;
        if (!s->replaying && s->seq < head)
            fn(s, arg);
    }
    h->walk_next = saved;
}

void hub_hold(struct hub_sub *s, int delta)
{
    if (s->ops->hold)
        s->ops->hold(s, delta);
}

size_t hub_count(const struct hub *h)
{
    return h->n;
}
