/*
 * composer.c - the composer screen: a note or a reply to a ticket, written
 * over the screen it came from.  Type, Enter for a new line, Tab completes
 * an @name from the staff list, Ctrl-E opens $VISUAL or $EDITOR on the
 * draft, Ctrl-S sends, Esc cancels (asking first when there is text).  The
 * draft lives here, not in the connection, so it survives a reconnect and
 * the screen's closing; it is sent only when the server is live, and kept
 * (the screen coming back) if sending fails.  While an editor has it, it
 * is a file under $XDG_STATE_HOME/docket/, kept until the draft is sent or
 * discarded, so nothing is lost if the editor or docket dies; live updates
 * keep arriving meanwhile.
 */
#include "app.h"
#include "dk_buf.h"
#include "dk_mem.h"
#include "draw.h"
#include "screens.h"
#include "text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CTRL_KEY(c) ((c)&0x1f)

/* A draft's bound: escaped as JSON (up to twice as long), it still fits
 * the server's default request line (server.max_line_bytes, 1 MiB). */
#define COMPOSER_MAX (256 * 1024)

static struct composer {
    bool reply; /* a reply to the client, else a note */
    long long ticket;
    struct dk_buf text; /* owned: the draft, UTF-8 */
    bool confirm_discard;
    bool sending;   /* the draft is on its way: kept until the reply */
    bool editing;   /* $EDITOR is running on the draft file */
    char path[512]; /* the draft's file while the editor has it */
} composer;

static void really_open(struct app *a, long long ticket, bool reply);

/* The ticket of the "reply anyway?" question. */
static long long asked_ticket;

static void reply_anyway(struct app *a, const char *answer)
{
    if (answer && (answer[0] == 'y' || answer[0] == 'Y'))
        really_open(a, asked_ticket, true);
}

void composer_open(struct app *a, long long ticket, bool reply)
{
    const struct store_marker *m[1];
    char q[160];

    if (screen_is_open(&a->screens, &screen_composer))
        return;
    /* Two answers to the client at once read badly: ask first. */
    if (reply && store_presence_on(&a->store, ticket, a->me, m, 1) > 0 &&
        m[0]->state == STORE_REPLYING) {
        asked_ticket = ticket;
        snprintf(q, sizeof(q),
                 "%s is replying to the client. Reply anyway? y/n",
                 store_staff_name(&a->store, m[0]->user));
        prompt_open(a, q, "yYnN", reply_anyway, NULL);
        return;
    }
    really_open(a, ticket, reply);
}

static void really_open(struct app *a, long long ticket, bool reply)
{
    struct composer *c = &composer;

    if (screen_is_open(&a->screens, &screen_composer))
        return;
    if (c->sending) {
        /* One draft at a time: the one on its way owns the buffer. */
        draw_message(a, true, "Still sending the last one; a moment");
        return;
    }
    if (c->ticket != ticket || c->reply != reply)
        dk_buf_reset(&c->text, true);
    c->text.max = COMPOSER_MAX;
    c->reply = reply;
    c->ticket = ticket;
    app_push(a, &screen_composer, ticket);
}

static void composer_screen_open(struct app *a, long long ticket)
{
    composer.confirm_discard = false;
    /* A note is for staff: only a reply shows as "replying". */
    conn_presence_reply(a, composer.reply ? ticket : 0);
}

static void composer_screen_close(struct app *a)
{
    conn_presence_reply(a, 0);
}

bool composer_action(struct app *a, enum action act, long long ticket)
{
    if (act != ACT_NOTE && act != ACT_REPLY)
        return false;
    composer_open(a, ticket, act == ACT_REPLY);
    return true;
}

void composer_cleanup(void)
{
    dk_buf_free(&composer.text);
}

static void append(struct app *a, const char *s, size_t n)
{
    if (!dk_buf_add(&composer.text, s, n))
        draw_message(a, true, "The draft is at its limit (%d KiB)",
                     COMPOSER_MAX / 1024);
}

/* Tab: complete the @word being typed from the staff list. */
static void complete(struct app *a)
{
    struct dk_buf *t = &composer.text;
    size_t start = t->len, i;
    json_t *s;

    while (start > 0 && t->data[start - 1] != '@' &&
           t->data[start - 1] != ' ' && t->data[start - 1] != '\n')
        start--;
    if (start == 0 || t->data[start - 1] != '@')
        return;
    json_array_foreach(a->store.staff, i, s)
    {
        const char *u = json_string_value(json_object_get(s, "username"));
        size_t have = t->len - start;
        if (u && strncmp(u, t->data + start, have) == 0 && strlen(u) > have) {
            append(a, u + have, strlen(u) - have);
            append(a, " ", 1);
            draw_message(a, false, "@%s: %s", u,
                         json_string_value(json_object_get(s, "name")));
            return;
        }
    }
}

static void forget_file(struct composer *c)
{
    if (c->path[0])
        unlink(c->path);
    c->path[0] = '\0';
}

/* The draft file: $XDG_STATE_HOME/docket/draft-TICKET-KIND.txt. */
static void draft_path(struct composer *c, char *out, size_t size)
{
    const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char dir[400];

    if (state && *state)
        snprintf(dir, sizeof(dir), "%s/docket", state);
    else if (home && *home)
        snprintf(dir, sizeof(dir), "%s/.local/state/docket", home);
    else
        snprintf(dir, sizeof(dir), "/tmp/docket-%d", (int)getuid());
    /* mkdir -p, one level at a time. */
    for (char *p = dir + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0700);
            *p = '/';
        }
    }
    mkdir(dir, 0700);
    snprintf(out, size, "%s/draft-%lld-%s.txt", dir, c->ticket,
             c->reply ? "reply" : "note");
}

static void editor_closed_cb(uv_handle_t *h)
{
    free(h);
}

static void editor_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct app *a = p->data;
    struct composer *c = &composer;
    FILE *fp = fopen(c->path, "rb");
    char buf[4096];
    size_t n = 0;

    uv_close((uv_handle_t *)p, editor_closed_cb);
    if (fp) {
        dk_buf_reset(&c->text, false);
        while ((n = fread(buf, 1, sizeof(buf), fp)) > 0 &&
               dk_buf_add(&c->text, buf, n))
            ;
        if (n > 0) {
            /* Cut between characters; the rest stays in the file. */
            size_t len = c->text.len;
            while (len > 0 &&
                   ((unsigned char)c->text.data[len - 1] & 0xc0) == 0x80)
                len--;
            if (len > 0 && (unsigned char)c->text.data[len - 1] >= 0xc0)
                dk_buf_truncate(&c->text, len - 1);
            draw_message(a, true, "The draft is cut at its limit (%d KiB)",
                         COMPOSER_MAX / 1024);
        }
        fclose(fp);
        /* Editors end files with a newline; the note should not. */
        while (c->text.len && c->text.data[c->text.len - 1] == '\n')
            dk_buf_truncate(&c->text, c->text.len - 1);
    }
    c->editing = false;
    reset_prog_mode();
    app_pause_input(a, false);
    clearok(stdscr, TRUE);
    if (status != 0 && !n)
        draw_message(a, true,
                     "The editor exited with status %lld; the draft "
                     "is as it left it",
                     (long long)status);
    app_dirty(a);
}

static void open_editor(struct app *a)
{
    struct composer *c = &composer;
    uv_process_options_t opt;
    uv_stdio_container_t stdio[3];
    uv_process_t *proc;
    char *args[6];
    FILE *fp;
    int rc;

    draft_path(c, c->path, sizeof(c->path));
    if (!(fp = fopen(c->path, "wb"))) {
        draw_message(a, true, "Could not write the draft to %s: %s", c->path,
                     strerror(errno));
        return;
    }
    if (c->text.len)
        fwrite(c->text.data, 1, c->text.len, fp);
    fclose(fp);
    memset(&opt, 0, sizeof(opt));
    args[0] = "/bin/sh";
    args[1] = "-c";
    args[2] = "exec ${VISUAL:-${EDITOR:-vi}} \"$1\"";
    args[3] = "sh";
    args[4] = c->path;
    args[5] = NULL;
    for (int i = 0; i < 3; i++) {
        stdio[i].flags = UV_INHERIT_FD;
        stdio[i].data.fd = i;
    }
    opt.file = args[0];
    opt.args = args;
    opt.stdio = stdio;
    opt.stdio_count = 3;
    opt.exit_cb = editor_exit_cb;
    /* Hand the terminal over; keys are the editor's until it exits. */
    def_prog_mode();
    endwin();
    app_pause_input(a, true);
    proc = dk_xcalloc(1, sizeof(*proc));
    proc->data = a;
    rc = uv_spawn(a->loop, proc, &opt);
    if (rc < 0) {
        free(proc);
        reset_prog_mode();
        app_pause_input(a, false);
        draw_message(a, true, "Could not start the editor: %s",
                     uv_strerror(rc));
        return;
    }
    c->editing = true;
}

static void sent(struct dk_client *cl, json_t *result, json_t *error, void *arg)
{
    struct app *a = arg;
    struct composer *c = &composer;
    json_t *m = json_object_get(result, "mentions");

    c->sending = false;
    if (!result) {
        /* Keep the draft, over whatever is shown now; the error is on
         * the status line. */
        app_push(a, &screen_composer, c->ticket);
        return;
    }
    if (json_array_size(m))
        draw_message(a, false, "Note added; %zu tagged", json_array_size(m));
    else
        draw_message(a, false,
                     c->reply ? "Reply sent to the client" : "Note added");
    dk_buf_reset(&c->text, true);
    forget_file(c);
    a->store.ticket_wanted = true;
}

static void send_draft(struct app *a)
{
    struct composer *c = &composer;

    if (!c->text.len) {
        draw_message(a, true, "Nothing to send");
        return;
    }
    if (a->conn != CS_LIVE) {
        draw_message(a, true,
                     "Offline: the draft is kept; send it again "
                     "when live");
        return;
    }
    c->sending = true;
    app_pop(a);
    conn_call(a, c->reply ? "messages.send" : "notes.add",
              json_pack("{s:I, s:s}", "ticket", (json_int_t)c->ticket, "body",
                        c->text.data),
              sent, a);
}

static bool composer_key(struct app *a, wint_t ch, bool is_key)
{
    struct composer *c = &composer;

    if (c->confirm_discard) {
        c->confirm_discard = false;
        if (!is_key && (ch == 'y' || ch == 'Y')) {
            forget_file(c);
            dk_buf_reset(&c->text, true);
            app_pop(a);
            draw_message(a, false, "Draft discarded");
        }
        app_dirty(a);
        return true;
    }
    if (!is_key && ch == 27) { /* Esc */
        if (c->text.len)
            c->confirm_discard = true;
        else
            app_pop(a);
    } else if (!is_key && (ch == CTRL_KEY('s') || ch == CTRL_KEY('d'))) {
        send_draft(a);
    } else if (!is_key && ch == '\t') {
        complete(a);
    } else if (!is_key && ch == CTRL_KEY('e')) {
        open_editor(a);
    } else if ((!is_key && (ch == '\n' || ch == '\r')) ||
               (is_key && ch == KEY_ENTER)) {
        append(a, "\n", 1);
    } else if ((is_key && ch == KEY_BACKSPACE) ||
               (!is_key && (ch == 127 || ch == 8))) {
        size_t n = c->text.len;
        while (n > 0 && ((unsigned char)c->text.data[n - 1] & 0xc0) == 0x80)
            n--;
        if (n > 0)
            dk_buf_truncate(&c->text, n - 1);
    } else if (!is_key && ch >= 32) {
        char mb[8];
        int n = wctomb(mb, (wchar_t)ch);
        if (n > 0)
            append(a, mb, (size_t)n);
    }
    app_dirty(a);
    return true;
}

struct draw_ctx {
    WINDOW *w;
    int y, rows, cols, last_x;
};

static void draw_line(void *arg, const char *text, size_t len)
{
    struct draw_ctx *d = arg;
    char buf[2048];

    snprintf(buf, sizeof(buf), "%.*s", (int)len, text);
    if (d->y < d->rows)
        draw_text(d->w, d->y, 1, d->cols - 2, buf, 0, false);
    d->last_x = 1 + text_width(buf);
    d->y++;
}

static void composer_draw(struct app *a, WINDOW *w, int rows, int cols)
{
    struct composer *c = &composer;
    struct draw_ctx d = {w, 2, rows, cols, 1};
    char title[160];

    snprintf(title, sizeof(title),
             "%s #%lld — Ctrl-S send · Esc cancel · "
             "Tab @names · Ctrl-E editor",
             c->reply ? "Reply to the client on" : "Internal note on",
             c->ticket);
    draw_text(w, 0, 0, cols, title, color_attr(a, C_HEADING) | A_BOLD, true);
    if (c->confirm_discard) {
        draw_text(w, 1, 0, cols, "Discard this draft? y/n",
                  color_attr(a, C_ERROR), true);
    } else {
        /* Someone starting a reply while this one is written shows. */
        char here[512], line[540];
        store_presence_line(&a->store, c->ticket, a->me, here, sizeof(here));
        snprintf(line, sizeof(line), "Also here: %s", here);
        if (here[0])
            draw_text(w, 1, 0, cols, line, color_attr(a, C_NOTE) | A_BOLD,
                      true);
    }
    text_wrap(c->text.data ? c->text.data : "", cols - 2, draw_line, &d);
    wmove(w, d.y - 1 < rows ? d.y - 1 : rows - 1,
          d.last_x < cols ? d.last_x : cols - 1);
    curs_set(1);
}

const struct screen_ops screen_composer = {
    .name = "composer",
    .open = composer_screen_open,
    .close = composer_screen_close,
    .draw = composer_draw,
    .key = composer_key,
    .cursor = true,
};
