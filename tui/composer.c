/*
 * composer.c - the composer screen: a note or a reply to a ticket, written
 * over the screen it came from.  Type, Enter for a new line, Tab completes
 * an @name from the staff list, Esc cancels (asking first when there is
 * text); its commands are control keys from the keymap (keys.def: Ctrl-S
 * sends, Ctrl-E opens $VISUAL or $EDITOR on the draft, Ctrl-A attaches a
 * file, Ctrl-X removes one), since every other key is text.  Attached
 * files are checked when attached and uploaded when the draft is sent,
 * before the note or reply that names them (upload.c).  The
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
#include "files.h"
#include "screens.h"
#include "text.h"
#include "upload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    struct upload_file files[UPLOAD_MAX_FILES]; /* attached, in order */
    size_t nfiles;
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
    if (c->ticket != ticket || c->reply != reply) {
        dk_buf_reset(&c->text, true);
        c->nfiles = 0;
    }
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
    c->nfiles = 0;
    forget_file(c);
    a->store.ticket_wanted = true;
}

/* The files are up (ids), or one could not be (NULL: the reason is on
 * the status line): send the note or reply that names them. */
static void uploaded(struct app *a, json_t *ids, void *arg)
{
    struct composer *c = &composer;

    if (!ids) {
        c->sending = false;
        app_push(a, &screen_composer, c->ticket);
        return;
    }
    conn_call(a, c->reply ? "messages.send" : "notes.add",
              json_pack("{s:I, s:s, s:O}", "ticket", (json_int_t)c->ticket,
                        "body", c->text.data, "attachments", ids),
              sent, a);
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
    if (c->nfiles) {
        if (!upload_send(a, c->files, c->nfiles, uploaded, NULL)) {
            c->sending = false;
            app_push(a, &screen_composer, c->ticket);
            draw_message(a, true, "Still sending other files; a moment");
        }
        return;
    }
    conn_call(a, c->reply ? "messages.send" : "notes.add",
              json_pack("{s:I, s:s}", "ticket", (json_int_t)c->ticket, "body",
                        c->text.data),
              sent, a);
}

/* ---- attaching ------------------------------------------------------------
 */

static void attach_given(struct app *a, const char *typed)
{
    struct composer *c = &composer;
    struct upload_file f;
    char err[4400], size[32];

    if (!typed)
        return;
    if (!upload_check(&f, typed, err, sizeof(err))) {
        draw_message(a, true, "%s", err);
        return;
    }
    for (size_t i = 0; i < c->nfiles; i++)
        if (strcmp(c->files[i].path, f.path) == 0) {
            draw_message(a, true, "%s is attached already", f.name);
            return;
        }
    c->files[c->nfiles++] = f;
    draw_message(a, false, "Attached %s (%s); it goes when the %s is sent",
                 f.name, text_size(size, sizeof(size), f.size),
                 c->reply ? "reply" : "note");
}

/* Tab at the path prompt, as a shell completes a file name. */
static void attach_complete(struct app *a, struct prompt *p)
{
    struct dk_buf names;
    char out[sizeof(p->text)];
    int n;

    dk_buf_init(&names, sizeof(p->listing) - 1);
    n = files_complete(out, sizeof(out), p->text, &names);
    snprintf(p->text, sizeof(p->text), "%s", out);
    if (n == 0)
        snprintf(p->listing, sizeof(p->listing), "(no file matches)");
    else if (names.len) /* cut to what was kept: the list says how many */
        snprintf(p->listing, sizeof(p->listing), "%.*s", (int)names.len,
                 names.data);
    dk_buf_free(&names);
}

static void ask_attach(struct app *a)
{
    if (composer.nfiles == UPLOAD_MAX_FILES) {
        draw_message(a, true, "A %s takes at most %d files",
                     composer.reply ? "reply" : "note", UPLOAD_MAX_FILES);
        return;
    }
    prompt_open(a, "Attach file (Tab completes): ", NULL, attach_given, NULL);
    a->prompt.complete = attach_complete;
}

static void remove_file(struct app *a, size_t i)
{
    struct composer *c = &composer;
    char name[256];

    snprintf(name, sizeof(name), "%s", c->files[i].name);
    memmove(&c->files[i], &c->files[i + 1],
            (c->nfiles - i - 1) * sizeof(c->files[0]));
    c->nfiles--;
    draw_message(a, false, "Removed %s", name);
}

static void detach_given(struct app *a, const char *text)
{
    char *end;
    long long n;

    if (!text)
        return;
    n = strtoll(text, &end, 10);
    if (end == text || *end || n < 1 || (size_t)n > composer.nfiles) {
        draw_message(a, true, "No attached file %s", text);
        return;
    }
    remove_file(a, (size_t)n - 1);
}

static void ask_detach(struct app *a)
{
    char label[64];

    if (composer.nfiles == 0) {
        draw_message(a, true, "No file is attached");
    } else if (composer.nfiles == 1) {
        remove_file(a, 0);
    } else {
        snprintf(label, sizeof(label), "Remove which file (1-%zu)? ",
                 composer.nfiles);
        prompt_open(a, label, NULL, detach_given, NULL);
    }
}

/* The composer's commands, by the keymap's action (keys.def). */
static const struct {
    enum action act;
    void (*run)(struct app *a);
} commands[] = {
    {ACT_SEND, send_draft},
    {ACT_EDITOR, open_editor},
    {ACT_ATTACH, ask_attach},
    {ACT_DETACH, ask_detach},
};

static bool composer_key(struct app *a, wint_t ch, bool is_key)
{
    struct composer *c = &composer;

    if (c->confirm_discard) {
        c->confirm_discard = false;
        if (!is_key && (ch == 'y' || ch == 'Y')) {
            forget_file(c);
            dk_buf_reset(&c->text, true);
            c->nfiles = 0;
            app_pop(a);
            draw_message(a, false, "Draft discarded");
        }
        app_dirty(a);
        return true;
    }
    /* A control or function key may be a command; any other is text. */
    if ((is_key || ch < 32) && ch < KEYMAP_SIZE)
        for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
            if (a->keymap[ch] == (int)commands[i].act) {
                commands[i].run(a);
                app_dirty(a);
                return true;
            }
    if (!is_key && ch == 27) { /* Esc */
        if (c->text.len || c->nfiles)
            c->confirm_discard = true;
        else
            app_pop(a);
    } else if (!is_key && ch == '\t') {
        complete(a);
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
    int y, rows, cols, last_x, attr;
};

static void draw_line(void *arg, const char *text, size_t len)
{
    struct draw_ctx *d = arg;
    char buf[2048];

    snprintf(buf, sizeof(buf), "%.*s", (int)len, text);
    if (d->y < d->rows)
        draw_text(d->w, d->y, 1, d->cols - 2, buf, d->attr, false);
    d->last_x = 1 + text_width(buf);
    d->y++;
}

/* The files, numbered as Ctrl-X asks for them, as many to a line as
 * fit, each whole on its line (a name is not split from its size). */
static void draw_files(struct app *a, struct draw_ctx *d)
{
    struct composer *c = &composer;
    char line[1024], item[400], size[32];
    int width = d->cols - 2;

    snprintf(line, sizeof(line), "Attached:");
    for (size_t i = 0; i < c->nfiles; i++) {
        snprintf(item, sizeof(item), "%s %zu. %s (%s)", i ? " ·" : "", i + 1,
                 c->files[i].name,
                 text_size(size, sizeof(size), c->files[i].size));
        if (text_width(line) + text_width(item) > width) {
            if (d->y < d->rows)
                draw_text(d->w, d->y, 1, width, line, color_attr(a, C_NOTE),
                          false);
            d->y++;
            snprintf(line, sizeof(line), " %s", item + (i ? 3 : 1));
        } else {
            size_t n = strlen(line);
            snprintf(line + n, sizeof(line) - n, "%s", item);
        }
    }
    if (d->y < d->rows)
        draw_text(d->w, d->y, 1, width, line, color_attr(a, C_NOTE), false);
    d->y++;
}

/* The title, then the commands as the keymap binds them, as many as fit
 * the width (the first ones matter most). */
static void draw_title(struct app *a, WINDOW *w, int cols)
{
    static const struct {
        enum action act; /* ACT_NONE: a key of the composer's own */
        const char *key, *what;
    } hints[] = {
        {ACT_SEND, NULL, "send"},     {ACT_NONE, "Esc", "cancel"},
        {ACT_ATTACH, NULL, "attach"}, {ACT_DETACH, NULL, "remove"},
        {ACT_EDITOR, NULL, "editor"}, {ACT_NONE, "Tab", "@names"},
    };
    struct composer *c = &composer;
    char title[300], keys[64], hint[96];
    size_t len;

    len = (size_t)snprintf(
        title, sizeof(title), "%s #%lld",
        c->reply ? "Reply to the client on" : "Internal note on", c->ticket);
    for (size_t i = 0; i < sizeof(hints) / sizeof(*hints); i++) {
        if (hints[i].act == ACT_DETACH && !c->nfiles)
            continue;
        if (hints[i].act != ACT_NONE) {
            keymap_key(a->keymap, hints[i].act, keys, sizeof(keys));
            if (!keys[0])
                continue;
        }
        snprintf(hint, sizeof(hint), "%s%s %s", i ? " · " : " — ",
                 hints[i].key ? hints[i].key : keys, hints[i].what);
        if (text_width(title) + text_width(hint) > cols ||
            len + strlen(hint) >= sizeof(title))
            break;
        len += (size_t)snprintf(title + len, sizeof(title) - len, "%s", hint);
    }
    draw_text(w, 0, 0, cols, title, color_attr(a, C_HEADING) | A_BOLD, true);
}

static void composer_draw(struct app *a, WINDOW *w, int rows, int cols)
{
    struct composer *c = &composer;
    struct draw_ctx d = {w, 2, rows, cols, 1, 0};

    draw_title(a, w, cols);
    if (c->confirm_discard) {
        draw_text(w, 1, 0, cols,
                  c->nfiles ? "Discard this draft and its files? y/n"
                            : "Discard this draft? y/n",
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
    if (c->nfiles)
        draw_files(a, &d);
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
