/*
 * attach.c - a ticket's attachments on this machine: `s` saves one (to
 * $XDG_DOWNLOAD_DIR, ~/Downloads, or a path typed at the prompt), `O`
 * opens one ($PAGER in the terminal for text, xdg-open for anything
 * else).  The file comes piece by piece over attachments.get, as the
 * protocol asks of a large one, and is written only when it is whole.
 */
#include "attach.h"
#include "actions.h"
#include "app.h"
#include "conn.h"
#include "dk_buf.h"
#include "dk_mem.h"
#include "draw.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PIECE (512 * 1024)

/* The one fetch in progress (a person does one thing at a time). */
static struct {
    bool busy;
    bool open;    /* open it when whole, else save it */
    long long id; /* the attachment */
    long long size;
    char name[256];  /* its (safe) file name */
    char type[128];  /* its content type */
    char path[4096]; /* where it goes */
    struct dk_buf data;
} f;

/* The attachment number n (1-based) of the ticket on screen, or NULL. */
static json_t *nth(struct app *a, long long n)
{
    json_t *list = json_object_get(a->store.ticket, "attachments");

    return n >= 1 && (size_t)n <= json_array_size(list)
               ? json_array_get(list, (size_t)n - 1)
               : NULL;
}

static void fetch_piece(struct app *a);

static void spawn_closed_cb(uv_handle_t *h)
{
    free(h);
}

/* $PAGER is done: the terminal is ours again. */
static void pager_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct app *a = p->data;

    uv_close((uv_handle_t *)p, spawn_closed_cb);
    reset_prog_mode();
    app_pause_input(a, false);
    clearok(stdscr, TRUE);
    app_dirty(a);
}

static void opener_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct app *a = p->data;

    uv_close((uv_handle_t *)p, spawn_closed_cb);
    if (status != 0)
        draw_message(a, true,
                     "xdg-open could not open %s (status %lld): try s to "
                     "save it",
                     f.name, (long long)status);
}

/*
 * Text in $PAGER, in the terminal (as $EDITOR in the composer); anything
 * else with xdg-open, which hands it to the desktop and returns, so the
 * terminal stays ours.
 */
static void open_file(struct app *a)
{
    bool text = strncmp(f.type, "text/", 5) == 0;
    uv_process_options_t opt;
    uv_stdio_container_t stdio[3];
    char *args[6];
    uv_process_t *proc = dk_xcalloc(1, sizeof(*proc));
    int rc;

    memset(&opt, 0, sizeof(opt));
    args[0] = "/bin/sh";
    args[1] = "-c";
    args[2] = text ? "exec ${PAGER:-less} \"$1\"" : "exec xdg-open \"$1\"";
    args[3] = "sh";
    args[4] = f.path;
    args[5] = NULL;
    for (int i = 0; i < 3; i++) {
        if (text) {
            stdio[i].flags = UV_INHERIT_FD;
            stdio[i].data.fd = i;
        } else {
            stdio[i].flags = UV_IGNORE; /* not over our screen */
        }
    }
    opt.file = args[0];
    opt.args = args;
    opt.stdio = stdio;
    opt.stdio_count = 3;
    opt.exit_cb = text ? pager_exit_cb : opener_exit_cb;
    proc->data = a;
    if (text) {
        def_prog_mode();
        endwin();
        app_pause_input(a, true);
    }
    rc = uv_spawn(a->loop, proc, &opt);
    if (rc < 0) {
        free(proc);
        if (text) {
            reset_prog_mode();
            app_pause_input(a, false);
        }
        draw_message(a, true, "Could not start %s: %s",
                     text ? "the pager" : "xdg-open", uv_strerror(rc));
        return;
    }
    if (!text)
        draw_message(a, false, "Opening %s with xdg-open", f.name);
}

/* The whole file is here: write it where it goes, never over another. */
static void whole(struct app *a)
{
    int fd = open(f.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    size_t off = 0;

    if (fd < 0) {
        draw_message(a, true, "Could not write %s: %s", f.path,
                     strerror(errno));
        return;
    }
    while (off < f.data.len) {
        ssize_t n = write(fd, f.data.data + off, f.data.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            draw_message(a, true, "Could not write %s: %s", f.path,
                         strerror(errno));
            close(fd);
            unlink(f.path);
            return;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0) {
        draw_message(a, true, "Could not write %s: %s", f.path,
                     strerror(errno));
        unlink(f.path);
        return;
    }
    if (f.open)
        open_file(a);
    else
        draw_message(a, false, "Saved %s", f.path);
}

static void piece_got(struct dk_client *cl, json_t *result, json_t *error,
                      void *arg)
{
    struct app *a = arg;
    const char *b64 =
        json_string_value(json_object_get(result, "content_base64"));
    size_t len = 0;

    if (!result || !b64 || !dk_buf_reserve(&f.data, PIECE) ||
        sodium_base642bin((unsigned char *)dk_buf_tail(&f.data),
                          dk_buf_room(&f.data), b64, strlen(b64), NULL, &len,
                          NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        if (result)
            draw_message(a, true, "Could not read %s from the server", f.name);
        f.busy = false;
        dk_buf_reset(&f.data, true);
        return;
    }
    dk_buf_commit(&f.data, len);
    if (len > 0 && (long long)f.data.len < f.size) {
        fetch_piece(a);
        return;
    }
    f.busy = false;
    if ((long long)f.data.len != f.size)
        draw_message(a, true, "%s came short (%zu of %lld bytes)", f.name,
                     f.data.len, f.size);
    else
        whole(a);
    dk_buf_reset(&f.data, true);
}

static void fetch_piece(struct app *a)
{
    conn_call(a, "attachments.get",
              json_pack("{s:I, s:I, s:i}", "id", f.id, "offset",
                        (json_int_t)f.data.len, "length", PIECE),
              piece_got, a);
}

/* Start fetching attachment x to path. */
static void fetch(struct app *a, json_t *x, const char *path, bool open)
{
    if (f.busy) {
        draw_message(a, true, "Still fetching %s", f.name);
        return;
    }
    f.busy = true;
    f.open = open;
    f.id = json_integer_value(json_object_get(x, "id"));
    f.size = json_integer_value(json_object_get(x, "size"));
    snprintf(f.path, sizeof(f.path), "%s", path);
    dk_buf_init(&f.data, (size_t)(f.size > 0 ? f.size : 0) + PIECE);
    draw_message(a, false, "Fetching %s…", f.name);
    fetch_piece(a);
}

/* The name to give a file: the server's, which the database made a safe
 * base name; cut at any '/' again all the same. */
static void take_name(json_t *x)
{
    const char *n = json_string_value(json_object_get(x, "filename"));
    const char *slash = n ? strrchr(n, '/') : NULL;

    snprintf(f.name, sizeof(f.name), "%s",
             slash                  ? slash + 1
             : n && *n && *n != '.' ? n
                                    : "attachment");
    snprintf(f.type, sizeof(f.type), "%s",
             json_string_value(json_object_get(x, "content_type"))
                 ?: "application/octet-stream");
}

/* $XDG_DOWNLOAD_DIR, else ~/Downloads when it exists, else ~. */
static void download_dir(char *out, size_t size)
{
    const char *x = getenv("XDG_DOWNLOAD_DIR"), *home = getenv("HOME");
    struct stat sb;

    if (x && *x) {
        snprintf(out, size, "%s", x);
        return;
    }
    snprintf(out, size, "%s/Downloads", home ? home : ".");
    if (stat(out, &sb) != 0 || !S_ISDIR(sb.st_mode))
        snprintf(out, size, "%s", home ? home : ".");
}

/* The attachment the prompts are about, by its number: the ticket may be
 * reloaded while a prompt is open. */
static long long chosen;

static void save_to(struct app *a, const char *text)
{
    char dir[3072], path[4096];
    struct stat sb;

    json_t *x = nth(a, chosen);

    if (!x)
        return;
    download_dir(dir, sizeof(dir));
    if (!text || !*text)
        snprintf(path, sizeof(path), "%s/%s", dir, f.name);
    else if (text[0] == '~' && text[1] == '/' && getenv("HOME"))
        snprintf(path, sizeof(path), "%s%s", getenv("HOME"), text + 1);
    else
        snprintf(path, sizeof(path), "%s", text);
    /* A folder: the file goes in it, under its own name. */
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        size_t n = strlen(path);
        snprintf(path + n, sizeof(path) - n, "%s%s",
                 n && path[n - 1] == '/' ? "" : "/", f.name);
    }
    fetch(a, x, path, false);
}

static void ask_where(struct app *a)
{
    char dir[3072], shown[3072], label[4096]; /* prompt_open() keeps it */
    int room;

    download_dir(dir, sizeof(dir));
    /* The folder offered gives way (its start) so that the label leaves
     * a third of the line to type a path in, down to its last 12
     * columns: at 60 columns a long $XDG_DOWNLOAD_DIR would otherwise
     * fill the line. */
    snprintf(label, sizeof(label), "Save %s to (Enter: /): ", f.name);
    room = COLS - COLS / 3 - text_width(label);
    text_tail(shown, sizeof(shown), dir, room > 12 ? room : 12);
    snprintf(label, sizeof(label), "Save %s to (Enter: %s/): ", f.name, shown);
    prompt_open(a, label, NULL, save_to, NULL);
}

/* Open: into a folder of our own, so that nobody else's file is used. */
static void open_chosen(struct app *a)
{
    char tmpl[256], path[4096];
    const char *run = getenv("XDG_RUNTIME_DIR");

    snprintf(tmpl, sizeof(tmpl), "%s/docket-XXXXXX",
             run && *run ? run : "/tmp");
    if (!mkdtemp(tmpl)) {
        draw_message(a, true, "Could not make a folder for %s: %s", f.name,
                     strerror(errno));
        return;
    }
    snprintf(path, sizeof(path), "%s/%s", tmpl, f.name);
    fetch(a, nth(a, chosen), path, true);
}

static bool want_open;

static void which_given(struct app *a, const char *text)
{
    char *end;
    long long n = strtoll(text ? text : "", &end, 10);
    json_t *x = nth(a, n);

    if (!x || *end) {
        draw_message(a, true, "No attachment %s", text ? text : "");
        return;
    }
    chosen = n;
    take_name(x);
    if (want_open)
        open_chosen(a);
    else
        ask_where(a);
}

static void choose(struct app *a, bool open)
{
    size_t n = json_array_size(json_object_get(a->store.ticket, "attachments"));
    char label[64];

    want_open = open;
    if (n == 0) {
        draw_message(a, true, "This ticket has no attachments");
        return;
    }
    if (n == 1) {
        which_given(a, "1");
        return;
    }
    snprintf(label, sizeof(label), "%s which attachment (1-%zu)? ",
             open ? "Open" : "Save", n);
    prompt_open(a, label, NULL, which_given, NULL);
}

void attach_save(struct app *a)
{
    choose(a, false);
}

void attach_open(struct app *a)
{
    choose(a, true);
}
