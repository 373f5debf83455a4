/*
 * fuzz_dispatch_db.h - the stand-in database pool of fuzz_dispatch: a
 * script of failures, and the queries it holds until the harness answers
 * them.
 */
#ifndef FUZZ_DISPATCH_DB_H
#define FUZZ_DISPATCH_DB_H

#include <stdbool.h>

/*
 * The script for one input: the i-th query submitted (i mod 8) fails at
 * once (bit i clear: DK_EUNAVAIL, the pool is down) or is answered with
 * NULL (bit i set: the connection was lost) when the harness calls
 * fuzz_db_answer().
 */
void fuzz_db_script(unsigned char bits);
/* Answer every held query, in order; true if there was one. */
bool fuzz_db_answer(void);
/* abort() with a message: what a stand-in or the harness found wrong. */
void fuzz_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
