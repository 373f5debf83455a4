/*
 * draw.h - the frame around the screens: colours by meaning, the tabs,
 * the status line (who, where, the connection, the last message or the
 * prompt), the offline banner and the lock notice; and the text helpers
 * the screens draw with.
 */
#ifndef DRAW_H
#define DRAW_H

#include <curses.h>
#include <stdbool.h>

struct app;

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

/* The colours (or monochrome, by choice, NO_COLOR or the terminal). */
void draw_init(struct app *a);
/* The whole terminal: tabs, the top screen, the status line. */
void draw_frame(struct app *a);

/* The status line's message, shown from the next frame (errors in the
 * error colour). */
void draw_message(struct app *a, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* s cut (or, with pad, padded) to cols columns at y, x. */
void draw_text(WINDOW *w, int y, int x, int cols, const char *s, int attr,
               bool pad);
int color_attr(struct app *a, enum color c);

#endif
