/*
 * dk_csv.h - RFC 4180 CSV reader over a buffer in memory.
 * Quoted fields may hold commas, doubled quotes and line breaks; records end
 * in CRLF or LF; a UTF-8 byte order mark is skipped; bytes must be UTF-8.
 */
#ifndef DK_CSV_H
#define DK_CSV_H

#include <stddef.h>

#include "dk_buf.h"
#include "dk_err.h"

struct dk_csv {
    const char *p, *end; /* borrowed: the caller's buffer */
    unsigned line;       /* physical line of the next byte, from 1 */
    struct dk_buf buf;   /* field text, NUL-separated */
    size_t *offs;        /* owned: start of each field in buf */
    size_t nfields, capfields;
    char **fields; /* owned array; entries point into buf */
};

/* Read from data[0..len); data must outlive the reader. */
void dk_csv_init(struct dk_csv *c, const char *data, size_t len);
void dk_csv_cleanup(struct dk_csv *c);

/*
 * Read the next record.  Returns 1 with c->fields[0..c->nfields) valid until
 * the next call and *line set to the line the record starts on; 0 at the
 * end of input; DK_EINVAL with err naming the line and the problem.
 * Blank lines are skipped.
 */
int dk_csv_next(struct dk_csv *c, unsigned *line, struct dk_err *err);

#endif
