/*
 * presence.h - who is looking at a ticket and who is replying to it (SPEC
 * section 6).  Presence is not history: no seq, never stored, never
 * replayed.  A marker is one connection's state on one ticket; instances
 * tell each other (and themselves) through NOTIFY docket_presence on a
 * connection of presence's own, so one instance's changes arrive
 * everywhere in the order they were made.  Every instance keeps every
 * marker it has heard with its expiry, pushes a change of "user U's state
 * on ticket T" (the strongest state over U's connections) to every
 * subscriber of the hub, and lets a marker lapse when it is not refreshed:
 * so the markers of a dead client or a dead instance go by themselves.
 */
#ifndef PRESENCE_H
#define PRESENCE_H

#include <stdbool.h>
#include <stddef.h>

struct core;
struct hub_sub;
struct presence;

/* Ordered: a user's state on a ticket is the highest over their markers. */
enum presence_state {
    PRESENCE_NONE,
    PRESENCE_VIEWING,
    PRESENCE_REPLYING,
};

/* Markers one instance keeps (those past it are dropped, logged), and one
 * ticket may have (nobody has 32 people on one ticket). */
#define PRESENCE_MAX_MARKERS    10000
#define PRESENCE_MAX_PER_TICKET 32

/* The presence of core (its loop, configuration and hub); its connection
 * to the database starts at once. */
struct presence *presence_new(struct core *core);
/* Stop: send what is queued (the clears of connections just closed, for
 * up to 2 s), close the connection and the timer; done_cb runs after. */
void presence_close(struct presence *p, void (*done_cb)(void *arg), void *arg);
/* After presence_close()'s done_cb has run.  NULL does nothing. */
void presence_free(struct presence *p);

/* "viewing", "replying", or NULL for PRESENCE_NONE; parse returns -1 for
 * anything else. */
const char *presence_state_name(enum presence_state st);
int presence_state_parse(const char *s);

/*
 * Tell every instance that connection conn of user on this instance now
 * has state st on ticket.  A state other than NONE is sent only if the
 * ticket exists.  Returns 0 and, if cb is not NULL, later calls cb(rc,
 * arg) once: rc 0 (sent), DK_ENOTFOUND (no such ticket) or DK_EFAIL (the
 * database failed).  Returns DK_EUNAVAIL, and never calls cb, when the
 * connection is not up.
 */
int presence_publish(struct presence *p, unsigned long long conn,
                     const char *user, long long ticket, enum presence_state st,
                     void (*cb)(int rc, void *arg), void *arg);

/*
 * A NOTIFY docket_presence payload, from any instance or from anyone who
 * can reach the database: checked field by field, and ignored (logged at
 * most once a minute) when it is not what docketd sends.  Exposed for
 * tests; the module's own connection calls it.
 */
void presence_heard(struct presence *p, const char *payload);

/* Push every user's live state on every ticket to s (a new subscriber),
 * as presence events with the time each has left. */
void presence_replay(struct presence *p, struct hub_sub *s);

/* Markers held, and markers dropped at the caps since the start. */
size_t presence_count(const struct presence *p);
unsigned long long presence_dropped(const struct presence *p);

#endif
