/*
 * fuzz_dispatch_stubs.h - what fuzz_dispatch.c asks of its stand-ins for
 * conn.c, db.c, outbox.c and main.c: the reply checks around one request
 * and the scripted database.
 */
#ifndef FUZZ_DISPATCH_STUBS_H
#define FUZZ_DISPATCH_STUBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct conn;

/* Print each request and reply on stderr (FUZZ_DISPATCH_LOG set). */
extern bool fuzz_verbose;

/* What srv_now_ms() answers: a fixed clock, so that inputs replay. */
extern uint64_t fuzz_now_ms;

/*
 * The database's script for one input: the i-th query submitted (i mod 8)
 * fails at once (bit i clear: DK_EUNAVAIL, the pool is down) or is
 * answered with NULL (bit i set: the connection was lost) once the
 * handler has returned.
 */
void fuzz_db_script(unsigned char bits);

/* c->req is parsed and about to be dispatched: start counting replies. */
void fuzz_request_begin(struct conn *c);
/*
 * Run the database's answers and loop's thread-pool work until nothing is
 * left, then abort() unless the request got exactly one reply, dropped
 * every reference it took and left c ready for the next line.
 */
void fuzz_request_end(struct conn *c, uv_loop_t *loop);

/* abort() unless line (len bytes, NULL if it could not be built) is one
 * JSON-RPC 2.0 reply line to id (NULL: answered as null). */
void fuzz_check_reply_line(const char *line, size_t len, const json_t *id);

#endif
