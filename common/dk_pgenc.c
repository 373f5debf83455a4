/*
 * dk_pgenc.c - the encodings asked of every database session (dk_pgenc.h).
 */
#include "dk_pgenc.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

const char *const dk_pgenc_keywords[] = {"dbname", "client_encoding", NULL};

const char *dk_pgenc_why(const char *server_encoding,
                         const char *client_encoding, char *buf, size_t size)
{
    if (!server_encoding || strcmp(server_encoding, "UTF8") != 0) {
        snprintf(buf, size,
                 "the database's encoding is %s, and Docket needs UTF8 "
                 "(createdb -E UTF8 -T template0; docs/operations.md)",
                 server_encoding ? server_encoding : "not reported");
        return buf;
    }
    if (!client_encoding || strcmp(client_encoding, "UTF8") != 0) {
        snprintf(buf, size, "the session's client_encoding is %s, not UTF8",
                 client_encoding ? client_encoding : "not reported");
        return buf;
    }
    return NULL;
}
