/*
 * upload.c - sending the composer's files (upload.h).  A file is read
 * twice: once for its SHA-256, which uploads.begin wants first, then
 * piece by piece as uploads.append takes it, so that a 25 MB file is
 * never held whole.  The server checks the assembled file against that
 * SHA-256 when the note or reply names it, so a file changed between the
 * two reads is refused, not stored wrong.
 */
#include "upload.h"
#include "app.h"
#include "conn.h"
#include "draw.h"
#include "files.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PIECE (512 * 1024) /* uploads.append's largest */

bool upload_check(struct upload_file *out, const char *typed, char *err,
                  size_t errsize)
{
    char size[32];
    struct stat sb;
    int fd;

    memset(out, 0, sizeof(*out));
    if (!typed || !*typed) {
        snprintf(err, errsize, "No file named: type a path (Tab completes)");
        return false;
    }
    if (!files_expand(out->path, sizeof(out->path), typed)) {
        snprintf(err, errsize, "The path is too long");
        return false;
    }
    if (stat(out->path, &sb) != 0) {
        snprintf(err, errsize, "Cannot attach %s: %s", typed,
                 errno == ENOENT ? "no such file" : strerror(errno));
        return false;
    }
    if (S_ISDIR(sb.st_mode)) {
        snprintf(err, errsize,
                 "Cannot attach %s: it is a folder (attach its files one "
                 "by one)",
                 typed);
        return false;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errsize, "Cannot attach %s: not a regular file", typed);
        return false;
    }
    if (sb.st_size > UPLOAD_MAX_BYTES) {
        snprintf(err, errsize,
                 "Cannot attach %s: it is %s, and the server takes files "
                 "up to %lld MB",
                 typed, text_size(size, sizeof(size), (long long)sb.st_size),
                 UPLOAD_MAX_BYTES / 1000000);
        return false;
    }
    /* Readable now, as the check that matters (root reads anything). */
    if ((fd = open(out->path, O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf(err, errsize, "Cannot attach %s: %s", typed, strerror(errno));
        return false;
    }
    close(fd);
    snprintf(out->name, sizeof(out->name), "%s", files_base(out->path));
    out->size = (long long)sb.st_size;
    return true;
}

/* The one sending under way. */
static struct {
    bool busy;
    struct app *a;             /* borrowed */
    struct upload_file *files; /* owned: a copy of the caller's */
    size_t n, i;               /* the files, and the one being sent */
    int fd;                    /* files[i], open; -1 between files */
    long long size, offset;    /* files[i]'s size as opened, and sent */
    char id[64];               /* files[i]'s upload id */
    json_t *ids;               /* owned: the ids of files[0..i) */
    unsigned char *piece;      /* owned: PIECE bytes */
    char *b64;                 /* owned: a piece in base64 */
    upload_done_cb done;
    void *arg;
} u = {.fd = -1};

static void next_file(void);

/* The end, either way: release everything, then tell the caller. */
static void finish(bool sent)
{
    upload_done_cb done = u.done;
    json_t *ids = sent ? u.ids : NULL;

    if (u.fd >= 0)
        close(u.fd);
    u.fd = -1;
    free(u.files);
    free(u.piece);
    free(u.b64);
    u.files = NULL;
    u.piece = NULL;
    u.b64 = NULL;
    u.busy = false;
    if (!sent)
        json_decref(u.ids);
    u.ids = NULL;
    done(u.a, ids, u.arg);
    json_decref(ids);
}

static void fail(const char *fmt, const char *why)
{
    draw_message(u.a, true, fmt, u.files[u.i].name, why);
    finish(false);
}

static void send_piece(void);

static void appended(struct dk_client *cl, json_t *result, json_t *error,
                     void *arg)
{
    json_t *r = json_object_get(result, "received");

    if (!result) {
        fail("Could not send %s: %s; the draft is kept",
             json_string_value(json_object_get(error, "message")) ?: "refused");
        return;
    }
    u.offset = json_integer_value(r);
    if (u.offset < u.size)
        send_piece();
    else
        next_file();
}

static void send_piece(void)
{
    size_t want =
        u.size - u.offset < PIECE ? (size_t)(u.size - u.offset) : PIECE;
    ssize_t got = pread(u.fd, u.piece, want, (off_t)u.offset);
    char done[32], all[32];

    if (got < 0) {
        fail("Could not read %s: %s; the draft is kept", strerror(errno));
        return;
    }
    if ((size_t)got != want) {
        fail("%s %s; the draft is kept", "got shorter while it was sent");
        return;
    }
    sodium_bin2base64(
        u.b64, sodium_base64_ENCODED_LEN(PIECE, sodium_base64_VARIANT_ORIGINAL),
        u.piece, want, sodium_base64_VARIANT_ORIGINAL);
    draw_message(u.a, false, "Sending %s (%zu of %zu): %s of %s…",
                 u.files[u.i].name, u.i + 1, u.n,
                 text_size(done, sizeof(done), u.offset),
                 text_size(all, sizeof(all), u.size));
    conn_call(u.a, "uploads.append",
              json_pack("{s:s, s:I, s:s}", "upload", u.id, "offset",
                        (json_int_t)u.offset, "content_base64", u.b64),
              appended, NULL);
}

static void begun(struct dk_client *cl, json_t *result, json_t *error,
                  void *arg)
{
    const char *id = json_string_value(json_object_get(result, "upload"));

    if (!result || !id) {
        fail("Could not send %s: %s; the draft is kept",
             json_string_value(json_object_get(error, "message")) ?: "refused");
        return;
    }
    snprintf(u.id, sizeof(u.id), "%s", id);
    if (json_array_append_new(u.ids, json_string(id)) != 0) {
        fail("Could not send %s: %s", "out of memory");
        return;
    }
    u.offset = 0;
    if (u.size > 0)
        send_piece();
    else
        next_file(); /* an empty file is whole at once */
}

/* Open files[i], hash it, and begin its upload; or, all sent, finish. */
static void next_file(void)
{
    unsigned char hash[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    crypto_hash_sha256_state st;
    struct upload_file *f;
    struct stat sb;
    ssize_t got;
    off_t at = 0;

    if (u.fd >= 0) {
        close(u.fd);
        u.fd = -1;
        u.i++;
    }
    if (u.i == u.n) {
        finish(true);
        return;
    }
    f = &u.files[u.i];
    if ((u.fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0 ||
        fstat(u.fd, &sb) != 0) {
        fail("Could not read %s: %s; the draft is kept", strerror(errno));
        return;
    }
    if (!S_ISREG(sb.st_mode) || sb.st_size > UPLOAD_MAX_BYTES) {
        fail("%s %s; the draft is kept",
             "is no longer a file the server takes (Ctrl-X removes it)");
        return;
    }
    u.size = (long long)sb.st_size;
    crypto_hash_sha256_init(&st);
    while ((got = pread(u.fd, u.piece, PIECE, at)) > 0) {
        crypto_hash_sha256_update(&st, u.piece, (unsigned long long)got);
        at += got;
    }
    if (got < 0) {
        fail("Could not read %s: %s; the draft is kept", strerror(errno));
        return;
    }
    if ((long long)at != u.size) {
        fail("%s %s; the draft is kept", "changed while it was read");
        return;
    }
    crypto_hash_sha256_final(&st, hash);
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    conn_call(u.a, "uploads.begin",
              json_pack("{s:s, s:s, s:I, s:s}", "filename", f->name,
                        "content_type", files_content_type(f->name), "size",
                        (json_int_t)u.size, "sha256", hex),
              begun, NULL);
}

bool upload_send(struct app *a, const struct upload_file *files, size_t n,
                 upload_done_cb done, void *arg)
{
    if (u.busy)
        return false;
    u.busy = true;
    u.a = a;
    u.done = done;
    u.arg = arg;
    u.n = n;
    u.i = 0;
    u.fd = -1;
    u.ids = json_array();
    u.files = malloc(n ? n * sizeof(*files) : 1);
    u.piece = malloc(PIECE);
    u.b64 = malloc(
        sodium_base64_ENCODED_LEN(PIECE, sodium_base64_VARIANT_ORIGINAL));
    if (!u.ids || !u.files || !u.piece || !u.b64) {
        draw_message(a, true, "Out of memory: the files were not sent");
        finish(false);
        return true;
    }
    memcpy(u.files, files, n * sizeof(*files));
    next_file();
    return true;
}
