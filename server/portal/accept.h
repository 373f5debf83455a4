/*
 * accept.h - the portal's language for an Accept-Language header: no I/O
 * and no server state, so that the fuzzer (fuzz_accept) and the unit
 * tests reach it alone.
 */
#ifndef ACCEPT_H
#define ACCEPT_H

struct dk_strlist;

/*
 * The best of offered (codes of dk_languages) for header (RFC 9110
 * section 12.5.4): the highest q above 0 among the offered ones; a region
 * ("nb-NO") matches its language, "no" and "nn" are taken as Bokmål, and
 * a q that is not a number counts as 0.  fallback when none matches or
 * header is NULL.  Linear in the header's length.
 */
int accept_language_pick(const char *header, const struct dk_strlist *offered,
                         int fallback);
/* The language (enum dk_language) of code among offered, or -1. */
int accept_offered(const char *code, const struct dk_strlist *offered);

#endif
