/*
 * dk_diag.h - a list of diagnostic lines, for parsers that report every
 * problem in their input rather than stopping at the first.
 */
#ifndef DK_DIAG_H
#define DK_DIAG_H

#include <stddef.h>

struct dk_diag {
    size_t n, cap;
    char **lines; /* owned: each line and the array, dk_diag_cleanup() */
};

void dk_diag_init(struct dk_diag *d);
void dk_diag_cleanup(struct dk_diag *d);
void dk_diag_add(struct dk_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
