/*
 * screen_help.c - "?": every action with the keys bound to it, drawn
 * from the live keymap so that it cannot disagree with the keys.
 */
#include "app.h"
#include "draw.h"
#include "screens.h"

#include <stdio.h>

static int top;     /* actions scrolled past */
static int top_max; /* where the last line is at the bottom (last draw) */

static void help_open(struct app *a, long long id)
{
    top = 0;
}

static void draw(struct app *a, WINDOW *w, int rows, int cols)
{
    char keys[64], line[256];
    int y = 0, n = 0, lines = 2; /* the tail: a blank line and the hint */

    /* Scroll no further than the end: the last line at the bottom. */
    for (int act = ACT_NONE + 1; act < ACT_COUNT; act++) {
        keymap_keys(a->keymap, act, keys, sizeof(keys));
        lines += keys[0] != '\0';
    }
    top_max = lines - (rows - 2) > 0 ? lines - (rows - 2) : 0;
    if (top > top_max)
        top = top_max;
    draw_text(w, y++, 0, cols, "Keys  (q to go back)",
              color_attr(a, C_HEADING) | A_BOLD, false);
    y++;
    for (int act = ACT_NONE + 1; act < ACT_COUNT; act++) {
        keymap_keys(a->keymap, act, keys, sizeof(keys));
        if (!keys[0])
            continue;
        if (n++ < top)
            continue;
        if (y >= rows)
            break;
        snprintf(line, sizeof(line), "  %-14s %s", keys, keymap_help(act));
        draw_text(w, y++, 0, cols, line, 0, false);
    }
    if (y < rows - 1) {
        y++;
        draw_text(w, y++, 0, cols,
                  "In a note or reply other keys are text: Tab completes "
                  "@names (and paths at the attach prompt), Esc cancels.",
                  color_attr(a, C_DIM), false);
    }
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
