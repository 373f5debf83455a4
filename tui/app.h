/*
 * app.h - the docket client's state and the interface between its parts:
 * app.c (the loop, the connection, the data, the actions), one file per
 * screen (each filling struct screen_ops), and the composer.  Network and
 * key callbacks only change state and mark the app dirty; app_redraw()
 * draws once per loop turn.
 */
#ifndef APP_H
#define APP_H

#include <curses.h>
#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "dk_buf.h"
#include "dk_client.h"
#include "dk_config.h"
#include "dk_views.h"
#include "keymap.h"

/* Colours by meaning (htop's way); a monochrome scheme maps them to
 * attributes alone. */
enum color {
    C_NORMAL = 1,
    C_TAB,
    C_TAB_ACTIVE,
    C_SELECTED,
    C_HIGH,
    C_MEDIUM,
    C_LOW,
    C_OVERDUE,
    C_DIM,
    C_HEADING,
    C_STATUS,
    C_ERROR,
    C_BANNER,
    C_NOTE,
    C_COUNT
};

struct view {
    const char *name;  /* "my_open": the server's name */
    const char *title; /* "My Open Tickets" */
    json_t *rows;      /* owned: array of summaries, in the view's order */
    bool complete;     /* every row is loaded (no next page) */
    char *next;        /* owned: cursor for the next page */
    bool loading;
    long long count;    /* from tickets.counts */
    long long selected; /* ticket id the cursor is on (0: first row) */
    int top;            /* first visible row */
    char *query;        /* owned: server-side search, or NULL */
};

struct app;

struct screen_ops {
    const char *name;
    void (*draw)(struct app *a, WINDOW *w, int rows, int cols);
    /* Handle an action; false if it does not apply here. */
    bool (*action)(struct app *a, enum action act);
    /* Raw keys (composer, prompts) before the keymap; true if taken. */
    bool (*key)(struct app *a, wint_t ch, bool is_key);
};

enum conn_state {
    CS_CONNECTING,
    CS_LOGGING_IN,
    CS_SYNCING,
    CS_LIVE,
    CS_OFFLINE
};

struct prompt {
    bool active;
    char label[160];
    char text[256];
    /* Called with the text when Enter is pressed (NULL when cancelled). */
    void (*done)(struct app *a, const char *text);
    /* Called on every change (search as you type); may be NULL. */
    void (*changed)(struct app *a, const char *text);
    /* Single-key choice (priority, move): keys accepted, or NULL. */
    const char *choices;
    bool secret; /* a password: shown as stars */
};

struct composer {
    bool active;
    bool reply; /* a reply to the client, else a note */
    long long ticket;
    struct dk_buf text; /* owned: the draft, UTF-8 (COMPOSER_MAX) */
    bool confirm_discard;
    bool sending;
    bool editing;   /* $EDITOR is running on the draft file */
    char path[512]; /* the draft's file while the editor has it */
};

struct app {
    uv_loop_t *loop;
    struct dk_client *client; /* owned */
    char *server;             /* "unix:/path" or host:port */
    char *user;               /* --user, for password login */
    char *password;           /* kept for re-login after a reconnect */
    char *token;              /* owned: the session token */
    char me[40];
    char my_name[96];
    unsigned roles; /* enum dk_role bits */
    enum conn_state conn;
    unsigned retry_ms;
    uint64_t retry_at;
    long long seq; /* last feed seq applied */
    bool quit;

    struct view views[DK_NVIEWS];
    int current; /* enum dk_view */

    const struct screen_ops *screen; /* the list, a ticket, help... */
    const struct screen_ops *back;   /* where q returns to from a ticket */
    json_t *ticket;                  /* owned: tickets.get of the open one */
    long long ticket_id;
    int ticket_top;        /* first line shown */
    json_t *notifications; /* owned: notifications.list */
    int notif_sel;
    int unread;
    json_t *staff; /* owned: staff.list, for @ completion */
    int help_top;

    char filter[128]; /* search as you type, local */
    struct prompt prompt;
    struct composer composer;

    char message[256]; /* the status line's last message */
    bool message_error;
    bool dirty;
    bool mono;
    bool locked;      /* idle too long: sign in again */
    long long idle_s; /* the session's idle timeout */
    uint64_t last_key_ms;
    uv_poll_t stdin_poll;
    uv_signal_t sigwinch, sigterm, sigint, sighup;
    uv_timer_t timer; /* reconnects, countdown, debounced reloads */
    uv_prepare_t redraw;
    bool counts_wanted, ticket_wanted;
    int keymap[1024];        /* key -> action (KEYMAP_SIZE) */
    const char *date_format; /* strftime, from client.date_format */
    int default_view;
};

extern const struct screen_ops screen_list, screen_ticket, screen_help,
    screen_notifications;

/* Run until quit; the terminal must be set up (main.c). */
int app_run(struct app *a);
void app_cleanup(struct app *a);

/* The ticket actions (claim, close...) on a summary, from any screen;
 * false if act is not one. */
bool ticket_action(struct app *a, enum action act, json_t *summary);

/* A message in the status line (errors in the error colour). */
void app_message(struct app *a, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void app_dirty(struct app *a);
void app_set_screen(struct app *a, const struct screen_ops *s);

/* Calls; the reply is shown in the status line when it is an error. */
void app_call(struct app *a, const char *method, json_t *params,
              dk_client_reply_cb cb, void *arg);
/* A ticket action (claim, close...) on id, with the version we saw. */
void app_ticket_action(struct app *a, const char *method, long long id,
                       long long version, json_t *extra);
void app_open_ticket(struct app *a, long long id);
void app_load_view(struct app *a, int view, bool more);
void app_load_notifications(struct app *a);

/* Rows of the current view that pass the as-you-type filter. */
size_t app_visible(struct app *a, json_t **out, size_t max);
json_t *app_selected(struct app *a); /* the summary under the cursor */

/* The prompt line (search, task title, choices). */
void app_prompt(struct app *a, const char *label, const char *choices,
                void (*done)(struct app *a, const char *text),
                void (*changed)(struct app *a, const char *text));

/* Stop or resume reading the terminal (while $EDITOR has it). */
void app_pause_input(struct app *a, bool pause);
/* Lock after idling; unlock by signing in again. */
void app_unlock(struct app *a);

/* The composer (notes, replies). */
void composer_open(struct app *a, long long ticket, bool reply);
void composer_draw(struct app *a, WINDOW *w, int rows, int cols);
bool composer_key(struct app *a, wint_t ch, bool is_key);

/* Drawing helpers shared by screens. */
void draw_text(WINDOW *w, int y, int x, int cols, const char *s, int attr,
               bool pad);
int color_attr(struct app *a, enum color c);
const char *priority_label(const char *p);
bool ticket_is_closed(json_t *summary);

#endif
