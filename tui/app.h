/*
 * app.h - the docket client's state, and the loop that owns it: the
 * terminal, the signals, one timer, the global keys and the screen stack.
 * Network and key callbacks only change state and mark the app dirty;
 * the loop draws once per turn.
 *
 * The files of tui/, each calling only those before it (callbacks and
 * screen_ops aside):
 *
 *   text, model, keymap,   no app, no network: unit-tested alone
 *   files                  (files: paths typed, completed, typed by name)
 *   screen                 the screen stack (open/close in one place)
 *   store                  the data held: views, counts, the ticket...
 *   draw                   colours, tabs, the status line, the frame
 *   conn                   calls, login, subscription, reconnects, pushes
 *   actions                ticket actions and the prompt line
 *   attach, upload         a ticket's attachments saved and opened; the
 *                          composer's files sent in pieces
 *   screen_help, composer, screen_ticket, screen_notifications,
 *   screen_list            the screens (screens.h), each opening only
 *                          those before it
 *   app                    the loop and the global keys
 *   cli                    the commands for scripts (no curses; beside
 *                          app, using neither it nor anything of the
 *                          screen's)
 *   main                   options, configuration, the terminal
 *
 * This header and its inline helpers (app_dirty, app_push...) are shared
 * by all; draw.c reaches the screens only through screen_ops.
 *
 * Nothing here includes server/ or ctl/.
 */
#ifndef APP_H
#define APP_H

#include <curses.h>
#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "actions.h"
#include "conn.h"
#include "dk_client.h"
#include "dk_views.h"
#include "keymap.h"
#include "screen.h"
#include "store.h"

struct app {
    /* The loop and the keys (app.c). */
    uv_loop_t *loop; /* borrowed: main.c's */
    bool quit;
    bool refused;       /* quit because the server refused the login (4003) */
    bool dirty;         /* draw with this loop turn */
    bool locked;        /* idle too long: sign in again */
    bool input_paused;  /* $EDITOR has the terminal (app_pause_input) */
    bool input_stopped; /* the loop follows input_paused */
    uint64_t last_key_ms;
    uv_poll_t stdin_poll;
    uv_signal_t sigwinch, sigterm, sigint, sighup;
    uv_timer_t timer;        /* reconnects, countdown, debounced reloads */
    uv_prepare_t prepare;    /* input_paused, then the frame if dirty */
    int keymap[KEYMAP_SIZE]; /* key -> enum action */
    struct screen_stack screens;
    int current;      /* the tab shown: enum dk_view */
    int default_view; /* client.default_view */

    /* The connection (conn.c). */
    struct dk_client *client; /* owned */
    char *server;             /* owned by main.c: "unix:/path" or host:port */
    char *user;               /* borrowed: --user, for password login */
    const char *ssh_key;      /* borrowed: --ssh-key, run by sshd */
    char *password;           /* owned: kept for re-login after a reconnect */
    char *token;              /* owned: the session token */
    char me[40];
    char my_name[96];
    unsigned roles; /* enum dk_role bits */
    enum conn_state conn;
    unsigned retry_ms;
    uint64_t retry_at;
    long long seq;    /* last feed seq applied */
    long long idle_s; /* the session's idle timeout */
    /* Presence: what the screens say we do (conn_presence_*), and what
     * the server was last told (one ticket at a time). */
    long long viewing, replying; /* tickets, or 0 */
    long long told_ticket;
    int told_state; /* enum store_presence, 0 for none */
    uint64_t told_ms;
    uint64_t refresh_ms; /* 10 s, or less if the server's lapse is short */

    struct store store;   /* the data (store.c) */
    struct prompt prompt; /* the prompt line (actions.c) */

    /* Drawing (draw.c). */
    char message[256]; /* the status line's last message */
    bool message_error;
    bool mono;
    bool mouse;              /* client.mouse: clicks and the wheel */
    int tab_x[DK_NVIEWS];    /* each tab's first column as last drawn */
    int tab_w[DK_NVIEWS];    /* ...and its width; 0: not on the bar */
    const char *date_format; /* borrowed: strftime, client.date_format */
};

/* Run until quit; the terminal must be set up (main.c).  -1 if
 * a->server is not a server. */
int app_run(struct app *a);
void app_cleanup(struct app *a);

static inline void app_dirty(struct app *a)
{
    a->dirty = true;
}

/* The screen stack (screen.h), redrawn after each change. */
static inline void app_push(struct app *a, const struct screen_ops *s,
                            long long id)
{
    screen_push(&a->screens, a, s, id);
    app_dirty(a);
}

static inline void app_pop(struct app *a)
{
    screen_pop(&a->screens, a);
    app_dirty(a);
}

static inline void app_home(struct app *a)
{
    screen_home(&a->screens, a);
    app_dirty(a);
}

/* Stop or resume reading the terminal (while $EDITOR has it); the loop
 * follows before it next waits for input. */
static inline void app_pause_input(struct app *a, bool pause)
{
    a->input_paused = pause;
}

#endif
