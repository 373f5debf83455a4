/*
 * page_attachment.c - a download (GET /attachments/ID), only for a
 * contact who may see its ticket (portal_attachment() says 404 otherwise,
 * as for one that does not exist).  Always a download, never shown
 * inline: Content-Disposition attachment with the safe name in filename*,
 * nosniff, and a sandboxing policy in case a browser renders it anyway.
 */
#include "portal_int.h"
#include "db.h"
#include "html.h"

#include <stdlib.h>
#include <string.h>

/* The name as a quoted-string for old browsers: ASCII letters, digits and
 * a few marks, anything else as '_'. */
static void ascii_name(struct dk_buf *b, const char *name)
{
    for (const char *p = name; *p; p++) {
        char ch = *p;
        bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || strchr(".-_ ()", ch);
        dk_buf_addc(b, plain ? ch : '_');
    }
}

static void fetched(struct preq *q, PGresult *res)
{
    struct dk_buf h = DK_BUF_INIT(0), body = DK_BUF_INIT(0);
    unsigned char *bytes;
    size_t len;
    const char *name;

    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    if (PQntuples(res) != 1) {
        portal_not_found(q);
        return;
    }
    name = PQgetvalue(res, 0, 0);
    bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 3), &len);
    if (!bytes) {
        portal_message(q, 500, T(q, "Something went wrong"),
                       T(q, "The file could not be read."));
        return;
    }
    dk_buf_adds(&h, "Content-Disposition: attachment; filename=\"");
    ascii_name(&h, name);
    dk_buf_adds(&h, "\"; filename*=UTF-8''");
    html_url_arg(&h, name);
    dk_buf_adds(&h, "\r\nContent-Security-Policy: sandbox; default-src 'none'"
                    "\r\nCache-Control: private, no-store\r\n");
    dk_buf_add(&body, bytes, len);
    PQfreemem(bytes);
    /* The type was made safe when it was stored (attachment_type()). */
    portal_bytes(q, 200, PQgetvalue(res, 0, 1), h.data, &body);
    dk_buf_free(&h);
}

void page_attachment(struct preq *q)
{
    struct db_query *dq = db_query_new(
        "SELECT filename, content_type, size, content "
        "FROM portal_attachment($1::bigint, $2, $3::text[], $4::bigint)",
        4);

    portal_bind_viewer(dq, q);
    db_param_ll(dq, 3, q->id);
    portal_query(q, dq, fetched);
}
