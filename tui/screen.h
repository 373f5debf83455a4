/*
 * screen.h - the screen stack: what a screen is (struct screen_ops, with
 * its state private to its file) and the one place where screens open
 * and close.  The list is at the bottom; a ticket, help, notifications
 * and the composer go on top.  Pushing a screen that is already on the
 * stack closes it where it was first (a ticket opened from the
 * notifications opened from a ticket: back goes to the notifications),
 * so each screen is on the stack at most once and its open() and close()
 * always come in pairs.
 * No curses calls here (only the WINDOW type): unit-tested alone.
 */
#ifndef SCREEN_H
#define SCREEN_H

#include <curses.h>
#include <stdbool.h>

#include "keymap.h"

struct app;

struct screen_ops {
    const char *name;
    /* Coming onto the stack; id is what to show (a ticket), else 0. */
    void (*open)(struct app *a, long long id);
    /* Going off the stack (popped, or pushed again). */
    void (*close)(struct app *a);
    void (*draw)(struct app *a, WINDOW *w, int rows, int cols);
    /* Raw keys (the composer) before the keymap; true if taken. */
    bool (*key)(struct app *a, wint_t ch, bool is_key);
    /* Handle an action; false if it does not apply here. */
    bool (*action)(struct app *a, enum action act);
    /* A click at terminal row y, column x below the tabs (client.mouse);
     * NULL: clicks do nothing here. */
    void (*mouse)(struct app *a, int y, int x);
    bool cursor; /* show the terminal cursor: text is being written */
};

/* More than there are screens: each is on the stack once. */
#define SCREEN_DEPTH 8

struct screen_stack {
    const struct screen_ops *ops[SCREEN_DEPTH]; /* borrowed: static */
    int n;
};

/* Open s on top (after closing it where it was, if it is open). */
void screen_push(struct screen_stack *st, struct app *a,
                 const struct screen_ops *s, long long id);
/* Close the top screen; the bottom one stays. */
void screen_pop(struct screen_stack *st, struct app *a);
/* Close all but the bottom screen. */
void screen_home(struct screen_stack *st, struct app *a);
/* Close every screen, the bottom one too (at exit). */
void screen_close_all(struct screen_stack *st, struct app *a);
/* The screen shown, or NULL when none is open. */
const struct screen_ops *screen_top(const struct screen_stack *st);
bool screen_is_open(const struct screen_stack *st, const struct screen_ops *s);

#endif
