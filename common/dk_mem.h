/*
 * dk_mem.h - allocation that aborts on exhaustion, for small internal
 * sizes.  Sizes a client controls are checked against their limit before
 * they get here.
 */
#ifndef DK_MEM_H
#define DK_MEM_H

#include <stdarg.h>
#include <stddef.h>

void *dk_xmalloc(size_t n);
void *dk_xcalloc(size_t nmemb, size_t size);
void *dk_xrealloc(void *p, size_t n);
char *dk_xstrdup(const char *s);
char *dk_xstrndup(const char *s, size_t n);
/* A newly allocated formatted string; the caller frees it. */
char *dk_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *dk_xvasprintf(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

#endif
