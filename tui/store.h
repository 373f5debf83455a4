/*
 * store.h - the server's data as the client holds it: the loaded views
 * (rows, paging, a search, counts), the notifications, the staff list
 * and the last ticket opened, who else is on which ticket (presence),
 * and how a pushed summary or a reply goes into them.  No network and no
 * terminal: conn.c fills it from replies and pushes, the screens read it.
 */
#ifndef STORE_H
#define STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "dk_views.h"

struct view {
    json_t *rows;    /* owned: array of summaries, in the view's order */
    bool complete;   /* every row is loaded (no next page) */
    char *next;      /* owned: cursor for the next page */
    bool loading;    /* a tickets.view is on its way */
    long long count; /* from tickets.counts */
    char *query;     /* owned: server-side search, or NULL */
};

/* Someone's presence on a ticket, as the server pushed it. */
enum store_presence { STORE_VIEWING = 1, STORE_REPLYING = 2 };

struct store_marker {
    long long ticket;
    char user[40];
    int state; /* enum store_presence */
};

/* Markers kept; the server sends one per person and ticket, and more
 * than this many people on tickets at once is past what rows can show. */
#define STORE_MAX_MARKERS 512

struct store {
    struct view views[DK_NVIEWS];
    /* The last ticket opened stays loaded and current after its screen
     * closes, so that going back to it shows it at once. */
    json_t *ticket; /* owned: tickets.get of ticket_id, or NULL */
    long long ticket_id;
    json_t *notifications; /* owned: notifications.list */
    int unread;
    bool notifications_shown; /* their screen is open: reload on a push */
    json_t *staff;            /* owned: staff.list, for @ and names */
    struct store_marker markers[STORE_MAX_MARKERS];
    int nmarkers;
    /* Reloads that pushes ask for, made at most once per tick. */
    bool counts_wanted, ticket_wanted;
};

void store_cleanup(struct store *st);

/* A changed summary, put where it now belongs in every loaded view (not
 * in search results) for the staff member me. */
void store_apply(struct store *st, json_t *summary, const char *me);
/* A pushed summary: into the views, and into the open ticket's fields
 * (which is then reloaded for the rest). */
void store_push_summary(struct store *st, json_t *summary, const char *me);

/* A presence push ({ticket, user, state}): kept, changed or dropped.
 * False if it is not one (nothing changes). */
bool store_presence_push(struct store *st, json_t *params);
/* Forget every marker (a new subscription brings them again). */
void store_presence_clear(struct store *st);
/* Others than me on ticket, those replying first, up to max into out;
 * returns how many there are in all. */
int store_presence_on(const struct store *st, long long ticket, const char *me,
                      const struct store_marker **out, int max);
/* "lars (viewing), anna (replying)" for the ticket screen, or "" when
 * nobody else is on it. */
void store_presence_line(const struct store *st, long long ticket,
                         const char *me, char *out, size_t size);
/* A list row's marker in at most width columns: "anna replying +1" when
 * it fits, else "anna·r +1", the name cut to fit; "" for nobody. */
void store_presence_short(const struct store *st, long long ticket,
                          const char *me, int width, char *out, size_t size);

/* Replies. */
void store_view_loaded(struct store *st, enum dk_view view, bool more,
                       json_t *result);
void store_counts_loaded(struct store *st, json_t *result);
void store_ticket_loaded(struct store *st, json_t *result);
void store_notifications_loaded(struct store *st, json_t *result);
void store_staff_loaded(struct store *st, json_t *result);

/* Follow ticket id; the one followed before is dropped if it is another. */
void store_follow_ticket(struct store *st, long long id);
/* The staff member's name for a username, or the username. */
const char *store_staff_name(const struct store *st, const char *username);
/* Rows of view that pass the as-you-type filter, up to max. */
size_t store_visible(const struct store *st, enum dk_view view,
                     const char *filter, json_t **out, size_t max);

#endif
