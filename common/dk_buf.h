/*
 * dk_buf.h - one growable byte buffer with a bound, for every place that
 * gathers bytes of unknown length (input lines, mail text, CSV fields,
 * files read whole).  Growth doubles; a write past the bound fails and
 * leaves the buffer as it was, so a caller can refuse the input cleanly.
 */
#ifndef DK_BUF_H
#define DK_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct dk_buf {
    char *data; /* owned; NUL-terminated after every write, NULL at first */
    size_t len; /* bytes held, not counting the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* most bytes it may hold; 0: no bound */
};

#define DK_BUF_INIT(bound)                                                     \
    {                                                                          \
        NULL, 0, 0, (bound)                                                    \
    }

void dk_buf_init(struct dk_buf *b, size_t max);
/* Make room for n more bytes (and the NUL); false past the bound. */
bool dk_buf_reserve(struct dk_buf *b, size_t n);
/* Append n bytes; false (nothing written) past the bound. */
bool dk_buf_add(struct dk_buf *b, const void *p, size_t n);
bool dk_buf_addc(struct dk_buf *b, char ch);
bool dk_buf_adds(struct dk_buf *b, const char *s);
bool dk_buf_printf(struct dk_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool dk_buf_vprintf(struct dk_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* The free space after the data, for a reader that writes into it (after
 * dk_buf_reserve); dk_buf_commit() then counts n bytes written there. */
char *dk_buf_tail(struct dk_buf *b);
size_t dk_buf_room(const struct dk_buf *b);
void dk_buf_commit(struct dk_buf *b, size_t n);
/* Drop the first n bytes (consumed input); the rest moves to the front. */
void dk_buf_consume(struct dk_buf *b, size_t n);
/* Keep the first n bytes. */
void dk_buf_truncate(struct dk_buf *b, size_t n);
/* Empty it; with release, give the memory back too. */
void dk_buf_reset(struct dk_buf *b, bool release);
/* Hand the data over (malloc'ed, NUL-terminated, never NULL); the buffer
 * is empty afterwards. */
char *dk_buf_steal(struct dk_buf *b, size_t *len);
void dk_buf_free(struct dk_buf *b);

#endif
