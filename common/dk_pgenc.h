/*
 * dk_pgenc.h - what docketd and docketctl ask of a database session's
 * encodings: text comes to them as UTF-8, which docketd writes straight
 * into JSON and HTML, whatever PGCLIENTENCODING or the server's
 * client_encoding says.
 */
#ifndef DK_PGENC_H
#define DK_PGENC_H

#include <stddef.h>

/* The keywords of every connection's PQconnect*Params (expand_dbname
 * on): "dbname", whose value is the configured conninfo, expanded in its
 * place, then "client_encoding", whose value is "UTF8" (DK_PGENC_CLIENT):
 * a keyword after the conninfo overrides what it says. */
extern const char *const dk_pgenc_keywords[];
#define DK_PGENC_CLIENT "UTF8"

/*
 * Why a session that reported these encodings (PQparameterStatus's
 * server_encoding and client_encoding; NULL if not reported) is of no use,
 * or NULL.  A database that is not UTF8 is refused: SQL_ASCII passes any
 * bytes through unchecked, and any other encoding cannot store most of
 * what schools write (and what the schema's own text holds).
 */
const char *dk_pgenc_why(const char *server_encoding,
                         const char *client_encoding, char *buf, size_t size);

#endif
