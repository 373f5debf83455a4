/*
 * feed.h - the change feed (SPEC section 6).  Every committed change has a
 * seq, strictly increasing in one order that every instance delivers.
 * Writers only insert event rows; one sequencer per database (elected with
 * an advisory lock) numbers those whose transaction is below every running
 * one, then NOTIFYs; each instance reads "seq > head" and pushes to its
 * subscribers, who may first replay from an older seq.
 */
#ifndef FEED_H
#define FEED_H

#include <stdbool.h>

struct core;
struct feed;
struct hub_sub;
struct hub_sub_ops;

/* The feed of core (its pool, loop, configuration and hub). */
struct feed *feed_new(struct core *core);
void feed_close(struct feed *f, void (*done_cb)(void *arg), void *arg);
void feed_free(struct feed *f);

/* A write committed on this instance: number it soon. */
void feed_nudge(struct feed *f);

/* Whether the feed knows its head yet (connected once): subscribing
 * before then would start from a guess. */
bool feed_ready(const struct feed *f);

/*
 * Subscribe s to the hub having heard everything up to from, and replay
 * what it has not heard yet (from < head) before it goes live.  A from
 * above the head is fine when it is a seq another instance gave out:
 * live events at or below it pass s by.
 */
void feed_attach(struct feed *f, struct hub_sub *s,
                 const struct hub_sub_ops *ops, long long from);

/* Who to tell when a staff member is disabled or changed, or a session is
 * logged out (a NOTIFY from any instance or docketctl): those sessions
 * end. */
void feed_set_session_cbs(struct feed *f,
                          void (*staff_cb)(long long staff_id, void *arg),
                          void (*session_cb)(long long session_id, void *arg),
                          void *arg);

/* Who to tell when a contact's portal sessions end on any instance
 * (NOTIFY docket_contact from session_end()): contact_id, or 0 for every
 * contact when the feed's connection came back (what was said meanwhile
 * is lost). */
void feed_set_contact_cb(struct feed *f,
                         void (*cb)(long long contact_id, void *arg),
                         void *arg);

/* Who to tell when a transaction on any instance (or docketctl) queued
 * mail (NOTIFY docket_mail, from the outbox's insert trigger): the
 * outbox, which then looks for it. */
void feed_set_mail_cb(struct feed *f, void (*cb)(void *arg), void *arg);

/* For server.info / metrics: the newest seq this instance has pushed, and
 * whether it is the sequencer. */
long long feed_head(const struct feed *f);
bool feed_is_sequencer(const struct feed *f);

#endif
