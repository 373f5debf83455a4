/*
 * dk_diag.c - growing list of diagnostic lines.
 */
#include "dk_diag.h"
#include "dk_mem.h"

#include <stdarg.h>
#include <stdlib.h>

void dk_diag_init(struct dk_diag *d)
{
    d->n = d->cap = 0;
    d->lines = NULL;
}

void dk_diag_cleanup(struct dk_diag *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->lines[i]);
    free(d->lines);
    dk_diag_init(d);
}

void dk_diag_add(struct dk_diag *d, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = dk_xvasprintf(fmt, ap);
    va_end(ap);
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->lines = dk_xrealloc(d->lines, d->cap * sizeof(*d->lines));
    }
    d->lines[d->n++] = s;
}
