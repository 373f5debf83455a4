/*
 * dk_text.h - checks on text that crosses a trust boundary: UTF-8
 * validity, email addresses, staff user names, and durations.
 */
#ifndef DK_TEXT_H
#define DK_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool dk_utf8_valid(const char *s, size_t n);

/*
 * True for a plausible mail address: one '@', a non-empty local part and a
 * dotted domain, no spaces or control characters, at most 254 bytes.
 */
bool dk_email_valid(const char *s);

/* True for a staff username: [a-z][a-z0-9._-]{0,31}. */
bool dk_username_valid(const char *s);

/*
 * Parse a duration: plain seconds ("90") or a number followed by one unit
 * out of units ("30s", "30m", "1h", and "2d", "1w" when units allows them).
 * Stores seconds in *out.  Returns 0, or DK_EINVAL for anything else,
 * including overflow.
 */
int dk_duration_parse(const char *s, const char *units, long long *out);

/*
 * Parse a non-negative decimal integer with no sign, spaces or suffix.
 * Returns 0, DK_EINVAL if s is not one, DK_ETOOBIG if it exceeds max.
 */
int dk_uint_parse(const char *s, unsigned long long max,
                  unsigned long long *out);

/* Remove leading and trailing ASCII white space in place; returns s. */
char *dk_trim(char *s);

#endif
