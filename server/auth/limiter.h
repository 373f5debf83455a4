/*
 * limiter.h - the login limiter's side in docketd.  The counts live in
 * PostgreSQL (schema/functions/logins.sql), shared by every instance and
 * counted before a password is hashed; this says which keys an attempt
 * counts under and builds the queries.
 */
#ifndef LIMITER_H
#define LIMITER_H

#include <stdbool.h>
#include <stddef.h>

struct db_query;
struct dk_config;

/*
 * The address an attempt from peer ("ADDR:PORT", as the transport
 * describes a TCP peer; "[V6]:PORT" too) counts under: an IPv4 address as
 * it is, an IPv6 one as its /64 ("2001:db8:1:2::/64"), an IPv4-mapped one
 * as IPv4.  NULL for the Unix socket (no per-address limit there: every
 * local user shares it) and for a peer it cannot read.
 */
const char *limiter_address(const char *peer, bool is_unix, char *buf,
                            size_t size);

/* login_begin() for a password login of account ("staff:NAME") from
 * address (or NULL): one row, (attempt or NULL, wait_s). */
struct db_query *limiter_begin(const struct dk_config *cfg, const char *account,
                               const char *address);
/* The same for a contact's login: the account is "contact:" and email
 * as PostgreSQL's lower() has it, the fold portal_login_find() uses. */
struct db_query *limiter_begin_contact(const struct dk_config *cfg,
                                       const char *email, const char *address);
/* login_end(): the attempt's outcome. */
struct db_query *limiter_end(long long attempt, bool ok);
/* A resume: the wait before trying (failures only), and a failure. */
struct db_query *limiter_resume_wait(const struct dk_config *cfg,
                                     const char *address);
struct db_query *limiter_failed(const char *account, const char *address);
/* Attempts older than the longest lockout allowed: gone. */
struct db_query *limiter_sweep(void);

#endif
