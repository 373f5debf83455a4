/*
 * conn.h - the client's connection to docketd: calls and how their
 * errors read, login (peer credentials, a password, or the session's
 * token after a reconnect), the feed's subscription, the back-off and
 * the pushes.  Replies and pushes go into the store (store.h).
 */
#ifndef CONN_H
#define CONN_H

#include <jansson.h>
#include <stdbool.h>

#include "dk_client.h"
#include "dk_views.h"

struct app;

enum conn_state {
    CS_CONNECTING,
    CS_LOGGING_IN,
    CS_SYNCING,
    CS_LIVE,
    CS_OFFLINE
};

/* Make the client for a->server and connect; -1 if it is not a server. */
int conn_start(struct app *a);
/* Each timer tick: the next try when offline, the reloads pushes asked
 * for when live. */
void conn_tick(struct app *a);

/* A call; an error reply is shown in the status line.  cb (may be NULL)
 * always runs, with a made-up error when offline. */
void conn_call(struct app *a, const char *method, json_t *params,
               dk_client_reply_cb cb, void *arg);

/* Loads into the store. */
void conn_load_view(struct app *a, enum dk_view view, bool more);
void conn_load_notifications(struct app *a);
void conn_load_ticket(struct app *a, long long id);
void conn_load_everything(struct app *a);

/* Presence: the ticket shown (0 when none) and the one a reply is being
 * written to (0 when none).  The server hears the one state that follows
 * (replying over viewing) within a tick, and again every 10 s while it
 * holds, so that it does not lapse; and again after a reconnect. */
void conn_presence_view(struct app *a, long long ticket);
void conn_presence_reply(struct app *a, long long ticket);

/* Sign in again after the lock: with password, else by peer
 * credentials (the Unix socket without --user). */
void conn_unlock(struct app *a, const char *password);
/* Whether unlocking needs a password. */
bool conn_needs_password(struct app *a);

#endif
