/*
 * dk_err.h - error codes and the caller-owned error message.
 * Functions that can fail return 0 or a negative DK_E* code; the human
 * message, when the caller wants one, goes into a struct dk_err it owns.
 */
#ifndef DK_ERR_H
#define DK_ERR_H

enum {
    DK_OK = 0,
    DK_EFAIL = -1,     /* anything a caller does not handle differently */
    DK_ENOMEM = -2,    /* out of memory */
    DK_ENOTFOUND = -3, /* the thing asked for does not exist */
    DK_ETOOBIG = -4,   /* input over its limit */
    DK_EINVAL = -5,    /* malformed input */
    DK_EUNAVAIL = -6,  /* a service (the database) is not reachable */
};

struct dk_err {
    int code;
    char msg[512];
};

/*
 * Store code and the formatted message in err (which may be NULL) and
 * return code, so a caller can write "return dk_err_set(err, ...)".
 */
int dk_err_set(struct dk_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Forget any earlier error. */
void dk_err_clear(struct dk_err *err);

#endif
