/*
 * uploads.c - uploads.begin and uploads.append (SPEC section 6): a file
 * comes in pieces of at most 512 KiB (base64 in the JSON line) so that no
 * request is large, and is attached by naming it in notes.add or
 * messages.send (misc.c).  The database keeps the pieces
 * (schema/functions/uploads.sql).
 */
#include "rpc.h"
#include "conn.h"
#include "db.h"
#include "dk_mem.h"
#include "dk_rpc.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define PIECE_MAX (512 * 1024)

void rpc_uploads_begin(struct conn *c, json_t *params)
{
    const char *filename = NULL, *type = NULL, *sha256 = NULL;
    long long size = -1;
    struct db_query *q;

    if (!rpc_param_str(c, params, "filename", true, 255, &filename) ||
        !rpc_param_str(c, params, "content_type", true, 255, &type) ||
        !rpc_param_int(c, params, "size", 0, 26214400, &size) ||
        !rpc_param_str(c, params, "sha256", true, 64, &sha256))
        return;
    if (size < 0) {
        conn_reply_error(c, DK_RPC_BAD_PARAMS, "size is required", NULL);
        return;
    }
    q = db_query_new("SELECT jsonb_build_object('upload', "
                     "upload_begin($1, $2, $3, $4, $5))::text",
                     5);
    db_param_ll(q, 0, c->who.staff_id);
    db_param(q, 1, filename);
    db_param(q, 2, type);
    db_param_ll(q, 3, size);
    db_param(q, 4, sha256);
    rpc_query_json(c, q);
}

/* An upload id as the database made it: a UUID. */
static bool uuid_form(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (strlen(s) != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == '-' ? s[i] != '-'
                            : !strchr("0123456789abcdefABCDEF", s[i]))
            return false;
    return true;
}

void rpc_uploads_append(struct conn *c, json_t *params)
{
    const char *upload = NULL, *b64 = NULL;
    long long offset = -1;
    unsigned char *bin;
    size_t len = 0;
    struct db_query *q;

    if (!rpc_param_str(c, params, "upload", true, 64, &upload) ||
        !rpc_param_int(c, params, "offset", 0, 26214400, &offset) ||
        !rpc_param_str(c, params, "content_base64", true,
                       sodium_base64_ENCODED_LEN(
                           PIECE_MAX, sodium_base64_VARIANT_ORIGINAL),
                       &b64))
        return;
    if (!uuid_form(upload)) {
        conn_reply_error(c, DK_RPC_BAD_PARAMS,
                         "upload is not an id uploads.begin gave", NULL);
        return;
    }
    if (offset < 0) {
        conn_reply_error(c, DK_RPC_BAD_PARAMS, "offset is required", NULL);
        return;
    }
    bin = dk_xmalloc(PIECE_MAX);
    if (sodium_base642bin(bin, PIECE_MAX, b64, strlen(b64), "\r\n", &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(bin);
        conn_reply_error(c, DK_RPC_BAD_PARAMS,
                         "content_base64 is not base64 of at most 512 KiB",
                         NULL);
        return;
    }
    q = db_query_new("SELECT jsonb_build_object('received', "
                     "upload_append($1, $2::uuid, $3, $4))::text",
                     4);
    db_param_ll(q, 0, c->who.staff_id);
    db_param(q, 1, upload);
    db_param_ll(q, 2, offset);
    db_param_bin(q, 3, bin, len);
    free(bin);
    rpc_write_json(c, q);
}
