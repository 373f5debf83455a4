/*
 * dk_diag.c - growing list of diagnostic lines.
 */
#include "dk_diag.h"
#include "dk_mem.h"

#include <stdarg.h>
#include <stdio.h>
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
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    s = dk_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->lines = dk_xrealloc(d->lines, d->cap * sizeof(*d->lines));
    }
    d->lines[d->n++] = s;
}
