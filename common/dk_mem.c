/*
 * dk_mem.c - aborting allocators: running out of memory for a few bytes of
 * bookkeeping is not a condition any caller can handle usefully.
 */
#include "dk_mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *check(void *p, size_t n)
{
    if (!p && n) {
        fprintf(stderr, "out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

void *dk_xmalloc(size_t n)
{
    return check(malloc(n ? n : 1), n);
}

void *dk_xcalloc(size_t nmemb, size_t size)
{
    return check(calloc(nmemb ? nmemb : 1, size ? size : 1), nmemb * size);
}

void *dk_xrealloc(void *p, size_t n)
{
    return check(realloc(p, n ? n : 1), n);
}

char *dk_xstrdup(const char *s)
{
    return dk_xstrndup(s, strlen(s));
}

char *dk_xstrndup(const char *s, size_t n)
{
    char *d = dk_xmalloc(n + 1);

    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *dk_xvasprintf(const char *fmt, va_list ap)
{
    va_list copy;
    int n;
    char *s;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        abort();
    s = dk_xmalloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *dk_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = dk_xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}
