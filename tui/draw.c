/*
 * draw.c - the frame (draw.h).  One draw per loop turn when something
 * changed (app.c calls draw_frame()); the screen in the middle draws
 * itself through its screen_ops and leaves the terminal cursor where a
 * screen reader should look.
 */
#include "draw.h"
#include "app.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void draw_message(struct app *a, bool error, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(a->message, sizeof(a->message), fmt, ap);
    va_end(ap);
    a->message_error = error;
    app_dirty(a);
}

/* ---- colours --------------------------------------------------------------
 */

static const short color_pairs[C_COUNT][2] = {
    [C_NORMAL] = {-1, -1},
    [C_TAB] = {COLOR_WHITE, COLOR_BLUE},
    [C_TAB_ACTIVE] = {COLOR_BLACK, COLOR_CYAN},
    [C_SELECTED] = {COLOR_BLACK, COLOR_CYAN},
    [C_HIGH] = {COLOR_RED, -1},
    [C_MEDIUM] = {COLOR_YELLOW, -1},
    [C_LOW] = {COLOR_GREEN, -1},
    [C_OVERDUE] = {COLOR_WHITE, COLOR_RED},
    [C_DIM] = {COLOR_BLUE, -1},
    [C_HEADING] = {COLOR_CYAN, -1},
    [C_STATUS] = {COLOR_WHITE, COLOR_BLUE},
    [C_ERROR] = {COLOR_WHITE, COLOR_RED},
    [C_BANNER] = {COLOR_BLACK, COLOR_YELLOW},
    [C_NOTE] = {COLOR_MAGENTA, -1},
};

/* The monochrome scheme: meaning by attribute alone. */
static const int mono_attrs[C_COUNT] = {
    [C_NORMAL] = A_NORMAL,
    [C_TAB] = A_NORMAL,
    [C_TAB_ACTIVE] = A_REVERSE,
    [C_SELECTED] = A_REVERSE,
    [C_HIGH] = A_BOLD,
    [C_MEDIUM] = A_NORMAL,
    [C_LOW] = A_NORMAL,
    [C_OVERDUE] = A_BOLD | A_UNDERLINE,
    [C_DIM] = A_DIM,
    [C_HEADING] = A_BOLD,
    [C_STATUS] = A_REVERSE,
    [C_ERROR] = A_REVERSE | A_BOLD,
    [C_BANNER] = A_REVERSE | A_BOLD,
    [C_NOTE] = A_NORMAL,
};

int color_attr(struct app *a, enum color c)
{
    if (a->mono)
        return mono_attrs[c];
    return COLOR_PAIR(c) | (c == C_SELECTED || c == C_TAB_ACTIVE ? A_BOLD : 0);
}

void draw_init(struct app *a)
{
    const char *no_color = getenv("NO_COLOR");

    a->mono = a->mono || (no_color && *no_color) || !has_colors();
    if (a->mono)
        return;
    start_color();
    use_default_colors();
    for (int c = C_NORMAL; c < C_COUNT; c++)
        init_pair((short)c, color_pairs[c][0], color_pairs[c][1]);
}

void draw_text(WINDOW *w, int y, int x, int cols, const char *s, int attr,
               bool pad)
{
    char buf[2048];

    if (cols <= 0)
        return;
    text_fit(buf, sizeof(buf), s ? s : "", cols, pad);
    wattron(w, attr);
    mvwaddstr(w, y, x, buf);
    wattroff(w, attr);
}

/* ---- the tabs and the status line -----------------------------------------
 */

/* The views' titles as the width shrinks: the full one, shorter ones,
 * none (the number and count only; the active tab keeps its shortest
 * title, so it always says where you are). */
static const char *const short_titles[][DK_NVIEWS] = {
    {"My Open", "Unassigned", "Graphics", "My Graphics", "Open", "Closed"},
    {"Mine", "Unassigned", "Gfx", "My gfx", "Open", "Closed"},
};
#define TAB_LEVELS 4 /* full, the two short ones, numbers only */

static int tab_label(struct app *a, int v, int level, char *out, size_t size)
{
    const char *t = level == 0        ? dk_view_titles[v]
                    : level <= 2      ? short_titles[level - 1][v]
                    : v == a->current ? short_titles[1][v]
                                      : NULL;

    if (t)
        snprintf(out, size, " %d %s %lld ", v + 1, t, a->store.views[v].count);
    else
        snprintf(out, size, " %d:%lld ", v + 1, a->store.views[v].count);
    return text_width(out);
}

static void draw_tabs(struct app *a, int cols)
{
    int x = 0, level, first = 0;
    char label[64];

    move(0, 0);
    attron(color_attr(a, C_TAB));
    hline(' ', cols);
    attroff(color_attr(a, C_TAB));
    /* The widest titles that fit all the tabs. */
    for (level = 0; level < TAB_LEVELS - 1; level++) {
        int w = 0;
        for (int v = 0; v < DK_NVIEWS; v++)
            w += tab_label(a, v, level, label, sizeof(label)) + 1;
        if (w - 1 <= cols)
            break;
    }
    /* Still too narrow: start late enough that the active tab shows. */
    for (;;) {
        int w = 0;
        for (int v = first; v <= a->current; v++)
            w += tab_label(a, v, level, label, sizeof(label)) + 1;
        if (w - 1 <= cols || first == a->current)
            break;
        first++;
    }
    for (int v = 0; v < DK_NVIEWS; v++)
        a->tab_w[v] = 0; /* where a click finds each tab (client.mouse) */
    for (int v = first; v < DK_NVIEWS && x < cols; v++) {
        int attr = color_attr(a, v == a->current ? C_TAB_ACTIVE : C_TAB);
        int w = tab_label(a, v, level, label, sizeof(label));
        draw_text(stdscr, 0, x, cols - x, label, attr, false);
        a->tab_x[v] = x;
        a->tab_w[v] = w < cols - x ? w : cols - x;
        x += w + 1;
    }
}

static void message_line(void *arg, const char *text, size_t len)
{
    struct {
        char text[3][256];
        int n;
    } *l = arg;

    if (l->n == 3) { /* the rest is cut, as a single line would be */
        size_t have = strlen(l->text[2]);
        snprintf(l->text[2] + have, sizeof(l->text[2]) - have, " %.*s",
                 (int)len, text);
        return;
    }
    snprintf(l->text[l->n++], sizeof(l->text[0]), "%.*s", (int)len, text);
}

/* The prompt's text as shown: its end, where the typing is, when it is
 * wider than the line leaves it (a long path at 60 columns). */
static const char *prompt_tail(struct app *a, int cols)
{
    static char out[sizeof(a->prompt.text) + 4];
    const char *t = a->prompt.text;
    int room = cols - 1 - text_width(a->prompt.label);

    if (text_width(t) <= room || room < 4)
        return t;
    while (*t && text_width(t) > room - 1) {
        t++;
        while (((unsigned char)*t & 0xc0) == 0x80)
            t++;
    }
    snprintf(out, sizeof(out), "…%s", t);
    return out;
}

/* What the prompt's Tab found when it was ambiguous: in columns above
 * the prompt line, as a shell lists them, over at most half the body. */
static void draw_listing(struct app *a, int rows, int cols)
{
    const char *names[256];
    char copy[sizeof(a->prompt.listing)], more[32];
    int n = 0, wide = 1, per, lines, most = (rows - 3) / 2;

    snprintf(copy, sizeof(copy), "%s", a->prompt.listing);
    for (char *save = NULL, *t = strtok_r(copy, "\n", &save);
         t && n < (int)(sizeof(names) / sizeof(*names));
         t = strtok_r(NULL, "\n", &save)) {
        names[n++] = t;
        if (text_width(t) + 2 > wide)
            wide = text_width(t) + 2;
    }
    if (n == 0 || most < 1)
        return;
    if (wide > cols)
        wide = cols;
    per = cols / wide;
    lines = (n + per - 1) / per;
    if (lines > most)
        lines = most;
    for (int l = 0; l < lines; l++) {
        int y = rows - 2 - lines + l;
        move(y, 0);
        clrtoeol();
        for (int c = 0; c < per; c++) {
            int i = l * per + c;
            /* The last place says how many did not fit. */
            if (l == lines - 1 && c == per - 1 && i < n - 1) {
                snprintf(more, sizeof(more), "… %d more", n - i);
                draw_text(stdscr, y, c * wide, wide, more, A_BOLD, false);
                break;
            }
            if (i < n)
                draw_text(stdscr, y, c * wide, wide - 1, names[i], 0, false);
        }
    }
}

/* Lines of wrapped text (text_wrap()) drawn down from y at x, padded
 * to pad columns when pad > 0 (a banner's background). */
struct wrap_out {
    WINDOW *w;
    int y, x, attr, pad;
};

static void no_line(void *arg, const char *text, size_t len)
{
    (void)arg, (void)text, (void)len; /* text_wrap() counting lines */
}

static void wrap_line(void *arg, const char *text, size_t len)
{
    struct wrap_out *o = arg;
    char line[256];

    snprintf(line, sizeof(line), "%.*s", (int)len, text);
    draw_text(o->w, o->y++, o->x, o->pad > 0 ? o->pad : text_width(line), line,
              o->attr, o->pad > 0);
}

/* A server's address in at most cols columns: its start gives way, not
 * its end, where a socket's name or a port tells which server it is
 * (two in the same folder differ only there); "unix:" stays. */
static void server_fit(char *out, size_t size, const char *addr, int cols)
{
    int scheme = strncmp(addr, "unix:", 5) == 0 ? 5 : 0;

    snprintf(out, size, "%.*s", scheme, addr);
    text_tail(out + scheme, size - (size_t)scheme, addr + scheme,
              cols - scheme);
}

/* " me · server · state" in room columns, the server's start cut (or
 * the server left out) to make it fit. */
static void status_left(struct app *a, char *out, size_t size,
                        const char *state, int room)
{
    const char *me = a->me[0] ? a->me : "?";
    char server[160];
    int fixed;

    snprintf(out, size, " %s ·  · %s", me, state);
    fixed = text_width(out);
    if (room - fixed >= 8) {
        server_fit(server, sizeof(server), dk_client_server(a->client),
                   room - fixed - 1);
        snprintf(out, size, " %s · %s · %s", me, server, state);
    } else {
        snprintf(out, size, " %s · %s", me, state);
    }
}

/* The last message, on the line above the status line, and on as many
 * lines above that (up to three) as it needs to be read whole at a
 * narrow width. */
static void draw_message_lines(struct app *a, int rows, int cols)
{
    struct lines {
        char text[3][256];
        int n;
    } l = {.n = 0};
    int attr = a->message_error ? color_attr(a, C_ERROR) : (int)A_BOLD;

    if (text_width(a->message) <= cols) {
        draw_text(stdscr, rows - 2, 0, cols, a->message, attr, false);
        return;
    }
    text_wrap(a->message, cols, message_line, &l);
    for (int i = 0; i < l.n; i++) {
        move(rows - 1 - l.n + i, 0);
        clrtoeol();
        draw_text(stdscr, rows - 1 - l.n + i, 0, cols, l.text[i], attr, false);
    }
}

static void draw_status(struct app *a, int rows, int cols)
{
    char left[512], right[128], state[64];
    int attr = color_attr(a, C_STATUS);

    switch (a->conn) {
    case CS_LIVE:
        snprintf(state, sizeof(state), "live");
        break;
    case CS_SYNCING:
        snprintf(state, sizeof(state), "syncing");
        break;
    case CS_LOGGING_IN:
        snprintf(state, sizeof(state), "logging in");
        break;
    case CS_CONNECTING:
        snprintf(state, sizeof(state), "connecting");
        break;
    case CS_OFFLINE: {
        long left_ms = (long)(a->retry_at - uv_now(a->loop));
        snprintf(state, sizeof(state), "offline, retry in %lds",
                 left_ms > 0 ? (left_ms + 999) / 1000 : 0);
        break;
    }
    }
    snprintf(right, sizeof(right), "%d unread · ? help ", a->store.unread);
    /* Narrow: the unread count stays; the help hint and then the
     * server's address give way, never who you are or the connection's
     * state (a socket path alone can be wider than 60 columns). */
    status_left(a, left, sizeof(left), state, cols - text_width(right));
    if (text_width(left) + text_width(right) >= cols) {
        snprintf(right, sizeof(right), " %d unread ", a->store.unread);
        status_left(a, left, sizeof(left), state, cols - text_width(right));
    }
    move(rows - 1, 0);
    attron(attr);
    hline(' ', cols);
    attroff(attr);
    draw_text(stdscr, rows - 1, 0, cols - text_width(right), left, attr, false);
    if (text_width(right) < cols)
        draw_text(stdscr, rows - 1, cols - text_width(right), text_width(right),
                  right, attr | (a->store.unread ? A_BOLD : 0), false);
    /* The line above: a prompt, or the last message. */
    move(rows - 2, 0);
    clrtoeol();
    if (a->prompt.active) {
        char line[1400], stars[256];
        size_t n = strlen(a->prompt.text);
        memset(stars, '*', n < sizeof(stars) - 1 ? n : sizeof(stars) - 1);
        stars[n < sizeof(stars) - 1 ? n : sizeof(stars) - 1] = '\0';
        snprintf(line, sizeof(line), "%s%s", a->prompt.label,
                 a->prompt.secret ? stars : prompt_tail(a, cols));
        draw_text(stdscr, rows - 2, 0, cols, line, A_BOLD, false);
        draw_listing(a, rows, cols);
    } else if (a->message[0]) {
        draw_message_lines(a, rows, cols);
    }
    if (a->conn == CS_OFFLINE) {
        char banner[320], where[160];
        struct wrap_out o = {stdscr, 1, 0, color_attr(a, C_BANNER), cols};
        /* Wrapped, the address's start cut to half the width: at 60
         * columns a cut banner lost when the next try is. */
        server_fit(where, sizeof(where), a->server,
                   cols / 2 > 16 ? cols / 2 : 16);
        snprintf(banner, sizeof(banner),
                 " Disconnected from %s — %s. Your work is kept.", where,
                 state);
        text_wrap(banner, cols - 1, wrap_line, &o);
    }
}

/* ---- the frame ------------------------------------------------------------
 */

/* The screen between the tabs and the status line (or the lock notice);
 * returns where it left the cursor, in terminal coordinates. */
static void draw_body(struct app *a, int rows, int cols, int *cy, int *cx)
{
    const struct screen_ops *top = screen_top(&a->screens);
    WINDOW *body = derwin(stdscr, rows - 3, cols, 1, 0);

    if (!body)
        return;
    if (a->locked) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "Locked after %lld minutes without a key. Press "
                 "Enter to sign in again as %s (Q quits).",
                 a->idle_s / 60, a->me);
        struct wrap_out o = {body, 0, 2, color_attr(a, C_BANNER), 0};
        /* Wrapped, not cut: at 60 columns the way back in is the end. */
        o.y = (rows - 3) / 2 - text_wrap(msg, cols - 4, no_line, NULL) / 2;
        text_wrap(msg, cols - 4, wrap_line, &o);
    } else if (top) {
        top->draw(a, body, rows - 3, cols);
    }
    /* The screen left its cursor where a screen reader should look (the
     * selected row, the end of the draft). */
    *cy = getcury(body) + 1;
    *cx = getcurx(body);
    delwin(body);
}

void draw_frame(struct app *a)
{
    const struct screen_ops *top = screen_top(&a->screens);
    int rows, cols, cy = 1, cx = 0;

    getmaxyx(stdscr, rows, cols);
    erase();
    if (rows < 6 || cols < 30) {
        mvaddstr(0, 0, "Terminal too small");
        refresh();
        return;
    }
    draw_tabs(a, cols);
    draw_body(a, rows, cols, &cy, &cx);
    draw_status(a, rows, cols);
    if (a->prompt.active) {
        int x = text_width(a->prompt.label) +
                (a->prompt.secret ? (int)strlen(a->prompt.text)
                                  : text_width(a->prompt.text));
        move(rows - 2, x < cols ? x : cols - 1);
        curs_set(1);
    } else {
        move(cy, cx);
        curs_set(top && top->cursor ? 1 : 0);
    }
    wnoutrefresh(stdscr);
    doupdate();
}
