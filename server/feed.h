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

#include <jansson.h>
#include <stdbool.h>

struct srv;
struct conn;
struct feed;

struct feed *feed_new(struct srv *srv);
void feed_close(struct feed *f, void (*done_cb)(void *arg), void *arg);
void feed_free(struct feed *f);

/* A write committed on this instance: number it soon. */
void feed_nudge(struct feed *f);

/*
 * events.subscribe for c: with since < 0, from now on; else every event
 * after since first.  Answers the request.
 */
void feed_subscribe(struct feed *f, struct conn *c, long long since);
void feed_unsubscribe(struct feed *f, struct conn *c);

/* For server.info / metrics: the newest seq this instance has pushed, and
 * whether it is the sequencer. */
long long feed_head(const struct feed *f);
bool feed_is_sequencer(const struct feed *f);

#endif
