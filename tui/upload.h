/*
 * upload.h - the files a note or a reply takes along: checked when the
 * composer attaches them, and sent before it, in pieces, over
 * uploads.begin and uploads.append (SPEC section 6).
 */
#ifndef UPLOAD_H
#define UPLOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct app;

/* What the server takes (uploads.begin's size) and how many files a note
 * or reply may name (its attachments). */
#define UPLOAD_MAX_BYTES 26214400LL
#define UPLOAD_MAX_FILES 20

struct upload_file {
    char path[4096]; /* as opened: ~/ expanded */
    char name[256];  /* the name the server gets: the path's last part */
    long long size;  /* when attached; sending checks it again */
};

/*
 * Check the path typed (~/ allowed) for attaching: a regular file this
 * user can read, within UPLOAD_MAX_BYTES.  Fills out and returns true;
 * or returns false with the reason, a sentence for the status line, in
 * err.
 */
bool upload_check(struct upload_file *out, const char *typed, char *err,
                  size_t errsize);

/* The upload ids, to name in notes.add's or messages.send's attachments
 * (a new reference for the callback), or NULL when a file could not be
 * sent: the reason is on the status line. */
typedef void (*upload_done_cb)(struct app *a, json_t *ids, void *arg);

/*
 * Send files[0..n) one after the other, each in pieces of 512 KiB, the
 * progress on the status line; then done(a, ids, arg), exactly once.
 * The files are copied: the caller's array need not stay.  One sending
 * at a time: false, and done is never called, if one is under way.
 */
bool upload_send(struct app *a, const struct upload_file *files, size_t n,
                 upload_done_cb done, void *arg);

#endif
