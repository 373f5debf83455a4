/*
 * screen_help.c - "?": every action with the keys bound to it, drawn
 * from the live keymap so that it cannot disagree with the keys.
 */
#include "app.h"
#include "draw.h"
#include "screens.h"
#include "text.h"

#include <stdio.h>

static int top;     /* lines scrolled past */
static int top_max; /* where the last line is at the bottom (last draw) */

static void help_open(struct app *a, long long id)
{
    top = 0;
}

/* Where the next line goes: lines before top are counted, not drawn,
 * and with rows 0 nothing is, so that one pass both measures help and
 * draws the part in sight. */
struct help_out {
    WINDOW *w;
    int y, rows, cols, n, attr;
    const char *keys; /* the first line's keys, "" after it, NULL: hint */
};

static void help_line(void *arg, const char *text, size_t len)
{
    struct help_out *o = arg;
    char line[512];

    /* A description that wraps keeps its column under the first line
     * (cut, it would hide what the key does at 60 columns). */
    if (o->keys) {
        snprintf(line, sizeof(line), "  %-14s %.*s", o->keys, (int)len, text);
        o->keys = "";
    } else {
        snprintf(line, sizeof(line), "%.*s", (int)len, text);
    }
    if (o->n++ >= top && o->y < o->rows)
        draw_text(o->w, o->y++, 0, o->cols, line, o->attr, false);
}

/* One pass over help's lines (the keys, a blank line, the hint); returns
 * how many there are. */
static int help_lines(struct app *a, struct help_out *o)
{
    char keys[64];
    int desc_w = o->cols - 17 > 10 ? o->cols - 17 : 10;

    o->n = 0;
    o->attr = 0;
    for (int act = ACT_NONE + 1; act < ACT_COUNT; act++) {
        keymap_keys(a->keymap, act, keys, sizeof(keys));
        if (!keys[0])
            continue;
        o->keys = keys;
        text_wrap(keymap_help(act), desc_w, help_line, o);
    }
    if (o->n++ >= top && o->y < o->rows)
        o->y++;
    o->keys = NULL;
    o->attr = color_attr(a, C_DIM);
    text_wrap("In a note or reply other keys are text: Tab completes "
              "@names (and paths at the attach prompt), Esc cancels.",
              o->cols, help_line, o);
    return o->n;
}

static void draw(struct app *a, WINDOW *w, int rows, int cols)
{
    struct help_out o = {.w = w, .y = 2, .rows = 0, .cols = cols};
    int lines = help_lines(a, &o); /* measured: rows 0 draws nothing */

    /* Scroll no further than the end: the last line at the bottom. */
    top_max = lines - (rows - 2) > 0 ? lines - (rows - 2) : 0;
    if (top > top_max)
        top = top_max;
    draw_text(w, 0, 0, cols, "Keys  (q to go back)",
              color_attr(a, C_HEADING) | A_BOLD, false);
    o.rows = rows;
    help_lines(a, &o);
}

static bool action(struct app *a, enum action act)
{
    switch (act) {
    case ACT_DOWN:
    case ACT_PAGE_DOWN:
        top += act == ACT_DOWN ? 1 : 10;
        if (top > top_max)
            top = top_max;
        return true;
    case ACT_UP:
    case ACT_PAGE_UP:
        top -= act == ACT_UP ? 1 : 10;
        if (top < 0)
            top = 0;
        return true;
    case ACT_BACK:
    case ACT_HELP:
        app_pop(a);
        return true;
    default:
        return false;
    }
}

const struct screen_ops screen_help = {
    .name = "help",
    .open = help_open,
    .draw = draw,
    .action = action,
};
