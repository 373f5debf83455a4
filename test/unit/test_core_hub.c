/*
 * test_core_hub.c - the feed's fan-out: each subscriber hears each seq
 * once, in order, only above what it has heard; subscribers that are
 * behind or replaying are passed by; a delivery may end subscriptions,
 * its own or another's, in the middle of a walk; a broadcast (presence)
 * reaches every subscriber and takes no seq.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hub.h"

struct fake {
    struct hub_sub sub; /* first: the fake is its subscription */
    struct hub *hub;
    long long heard[64];
    int n;
    int holds;
    long long drop_self_at;  /* unsubscribe itself on this seq */
    struct fake *drop_other; /* ... or unsubscribe that one */
    long long staff;         /* hear only events for 0 or this staff */
};

static void deliver(struct hub_sub *s, const struct hub_event *e)
{
    struct fake *f = (struct fake *)s;

    if (e->for_staff && e->for_staff != f->staff)
        return;
    assert_true(f->n < 64);
    f->heard[f->n++] = e->seq;
    if (f->drop_self_at && e->seq == f->drop_self_at)
        hub_unsubscribe(f->hub, s);
    if (f->drop_other)
        hub_unsubscribe(f->hub, &f->drop_other->sub);
}

static void hold(struct hub_sub *s, int delta)
{
    ((struct fake *)s)->holds += delta;
}

static const struct hub_sub_ops ops = {deliver, hold, NULL};

static struct hub_event ev(long long seq, long long for_staff)
{
    struct hub_event e = {seq, for_staff, "x\n", 2};
    return e;
}

static void publish_range(struct hub *h, long long from, long long to)
{
    for (long long s = from; s <= to; s++) {
        struct hub_event e = ev(s, 0);
        hub_publish(h, &e, s - 1);
    }
}

static void test_hub__once_in_order_above_what_was_heard(void **state)
{
    struct hub *h = hub_new();
    struct fake a = {.hub = h}, b = {.hub = h};
    struct hub_event e;

    hub_subscribe(h, &a.sub, &ops, 0);
    hub_subscribe(h, &b.sub, &ops, 3); /* resumed: heard up to 3 elsewhere */
    assert_int_equal(hub_count(h), 2);
    publish_range(h, 1, 2);
    assert_int_equal(a.n, 2);
    /* b is ahead of the batch, so live, but 1 and 2 are at or below what
     * it heard on another instance. */
    assert_int_equal(b.n, 0);
    publish_range(h, 3, 5);
    assert_int_equal(a.n, 5);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.heard[0], 4);
    assert_int_equal(b.heard[1], 5);
    /* The same seq again (a second read of one batch) is heard by nobody. */
    e = ev(5, 0);
    hub_publish(h, &e, 4);
    hub_deliver(&a.sub, &e);
    assert_int_equal(a.n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(a.heard[i], i + 1);
    hub_free(h);
}

static struct hub_sub *behind[8];
static int nbehind;

static void collect(struct hub_sub *s, void *arg)
{
    behind[nbehind++] = s;
}

static void test_hub__behind_and_replaying_are_passed_by(void **state)
{
    struct hub *h = hub_new();
    struct fake live = {.hub = h}, old = {.hub = h}, rep = {.hub = h};
    struct hub_event e = ev(11, 0);

    hub_subscribe(h, &live.sub, &ops, 10);
    hub_subscribe(h, &old.sub, &ops, 4); /* behind: must replay 5..10 */
    hub_subscribe(h, &rep.sub, &ops, 2);
    rep.sub.replaying = true;
    hub_publish(h, &e, 10);
    assert_int_equal(live.n, 1);
    assert_int_equal(old.n, 0); /* 11 now would leave a hole at 5..10 */
    assert_int_equal(rep.n, 0);
    /* Behind the head and not replaying yet: old only. */
    nbehind = 0;
    hub_behind(h, 11, collect, NULL);
    assert_int_equal(nbehind, 1);
    assert_ptr_equal(behind[0], &old.sub);
    /* Its replay delivers one by one; then it is live. */
    for (long long s = 5; s <= 11; s++) {
        struct hub_event r = ev(s, 0);
        hub_deliver(&old.sub, &r);
    }
    assert_int_equal(old.n, 7);
    e = ev(12, 0);
    hub_publish(h, &e, 11);
    assert_int_equal(old.n, 8);
    assert_int_equal(old.heard[7], 12);
    hub_hold(&old.sub, +1);
    assert_int_equal(old.holds, 1);
    hub_hold(&old.sub, -1);
    assert_int_equal(old.holds, 0);
    hub_free(h);
}

static void test_hub__events_for_one_staff_member(void **state)
{
    struct hub *h = hub_new();
    struct fake kari = {.hub = h, .staff = 3}, lars = {.hub = h, .staff = 4};
    struct hub_event e = ev(1, 3);

    hub_subscribe(h, &kari.sub, &ops, 0);
    hub_subscribe(h, &lars.sub, &ops, 0);
    hub_publish(h, &e, 0);
    assert_int_equal(kari.n, 1);
    assert_int_equal(lars.n, 0);
    /* Lars has still moved past it: no replay of someone else's seq. */
    assert_int_equal(lars.sub.seq, 1);
    hub_free(h);
}

static void test_hub__unsubscribe_during_a_walk(void **state)
{
    struct hub *h = hub_new();
    struct fake a = {.hub = h}, b = {.hub = h}, c = {.hub = h};
    struct hub_event e = ev(1, 0);

    /* The list is newest first: c, b, a.  c drops b (next in the walk),
     * b never hears 1; a drops itself on 1. */
    hub_subscribe(h, &a.sub, &ops, 0);
    hub_subscribe(h, &b.sub, &ops, 0);
    hub_subscribe(h, &c.sub, &ops, 0);
    c.drop_other = &b;
    a.drop_self_at = 1;
    hub_publish(h, &e, 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(b.n, 0);
    assert_int_equal(a.n, 1);
    assert_false(b.sub.active);
    assert_false(a.sub.active);
    assert_int_equal(hub_count(h), 1);
    c.drop_other = NULL;
    e = ev(2, 0);
    hub_publish(h, &e, 1);
    assert_int_equal(c.n, 2);
    assert_int_equal(a.n, 1);
    /* Unsubscribing twice, or one never subscribed, does nothing. */
    hub_unsubscribe(h, &a.sub);
    hub_unsubscribe(h, &b.sub);
    hub_unsubscribe(h, &c.sub);
    assert_int_equal(hub_count(h), 0);
    hub_free(h);
}

static void test_hub__subscribing_again_moves_the_seq(void **state)
{
    struct hub *h = hub_new();
    struct fake a = {.hub = h};

    hub_subscribe(h, &a.sub, &ops, 5);
    a.sub.replaying = true;
    hub_subscribe(h, &a.sub, &ops, 8); /* a second events.subscribe */
    assert_int_equal(hub_count(h), 1);
    assert_int_equal(a.sub.seq, 8);
    assert_true(a.sub.replaying); /* the replay under way goes on */
    hub_free(h);
}

static void test_hub__broadcast_reaches_everyone_and_moves_no_seq(void **state)
{
    struct hub *h = hub_new();
    struct fake a = {.hub = h}, b = {.hub = h}, c = {.hub = h};
    struct hub_event e = ev(0, 0);

    hub_subscribe(h, &a.sub, &ops, 5);
    hub_subscribe(h, &b.sub, &ops, 2);
    b.sub.replaying = true; /* presence does not wait for a replay */
    hub_subscribe(h, &c.sub, &ops, 9);
    c.drop_other = &a; /* and a delivery may end another subscription */
    hub_broadcast(h, &e);
    assert_int_equal(b.n, 1);
    assert_int_equal(c.n, 1);
    assert_int_equal(a.sub.seq, 5);
    assert_int_equal(b.sub.seq, 2);
    assert_int_equal(c.sub.seq, 9);
    /* A seq event after it is still heard: presence took no seq. */
    publish_range(h, 10, 10);
    assert_int_equal(c.heard[1], 10);
    hub_tell(&a.sub, &e); /* not subscribed: nothing */
    assert_true(a.n <= 1);
    hub_unsubscribe(h, &b.sub);
    hub_unsubscribe(h, &c.sub);
    hub_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub__once_in_order_above_what_was_heard),
        cmocka_unit_test(test_hub__behind_and_replaying_are_passed_by),
        cmocka_unit_test(test_hub__events_for_one_staff_member),
        cmocka_unit_test(test_hub__unsubscribe_during_a_walk),
        cmocka_unit_test(test_hub__subscribing_again_moves_the_seq),
        cmocka_unit_test(test_hub__broadcast_reaches_everyone_and_moves_no_seq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
