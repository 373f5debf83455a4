/*
 * text.h - measuring and cutting UTF-8 text for the terminal: display
 * columns (wcwidth, so CJK and emoji count two), truncation and padding
 * to a width, and word wrapping.  No curses here: unit-tested alone.
 */
#ifndef TEXT_H
#define TEXT_H

#include <stddef.h>

/* Columns s takes on screen; control characters count as one (shown as
 * '?'), invalid bytes as one each. */
int text_width(const char *s);

/*
 * Copy s into out (size bytes), cut to at most cols columns (ending in
 * "…" when cut) and, with pad, padded with spaces to exactly cols.
 * Control characters become spaces.  Returns out.
 */
char *text_fit(char *out, size_t size, const char *s, int cols, int pad);

/*
 * The end of s in at most cols columns, "…" first when the start is cut:
 * for a path or an address, whose end (a socket's or a file's name, a
 * port) tells most.  Returns out.
 */
char *text_tail(char *out, size_t size, const char *s, int cols);

/*
 * Wrap s to lines of at most cols columns, breaking at spaces where it
 * can and inside words only when a word is wider than a line; existing
 * newlines are kept.  Calls line(arg, text, len) for each line (text not
 * NUL-terminated).  Returns the number of lines.
 */
int text_wrap(const char *s, int cols,
              void (*line)(void *arg, const char *text, size_t len), void *arg);

/* Age of an RFC 3339 UTC time relative to now: "5m", "3h", "2d", "6w". */
const char *text_age(char *out, size_t size, const char *rfc3339, long now);

/* Seconds since the epoch of an RFC 3339 UTC time ("...Z"), or -1. */
long text_time(const char *rfc3339);
/* A size as people read it: "812 bytes", "14 kB", "2.3 MB" (powers of
 * 1000, as file managers show them). */
const char *text_size(char *out, size_t size, long long bytes);

#endif
