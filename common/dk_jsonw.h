/*
 * dk_jsonw.h - JSON text written straight into a dk_buf, for the answers
 * too large and too frequent to build as a jansson tree first (a page of
 * tickets.view: jansson took 230 us to build and write 50 summaries, this
 * takes a few).  Everything else builds jansson values.
 */
#ifndef DK_JSONW_H
#define DK_JSONW_H

#include "dk_buf.h"

#include <stdbool.h>
#include <stddef.h>

/* s[0..len) as a JSON string, quotes included: '"', '\' and the control
 * characters escaped, every other byte as it is, so s must be UTF-8 (a
 * PostgreSQL UTF8 database's text is).  False past b's bound. */
bool dk_jsonw_string(struct dk_buf *b, const char *s, size_t len);

#endif
