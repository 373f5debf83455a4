/*
 * page_files.c - the files of a multipart form as query parameters: their
 * names and types as text, their bytes as binary bytea (not hex, which
 * would double a 20 MiB file), in ARRAY[...] expressions, so that a
 * message or a ticket and its files are stored by one statement.
 */
#include "portal_int.h"
#include "db.h"
#include "dk_text.h"

#include <stdio.h>
#include <string.h>

/* A name or type as text PostgreSQL takes, else fallback (the attachment
 * trigger reduces whatever arrives to a safe base name and type). */
static const char *text_or(const char *s, const char *fallback)
{
    return s && *s && dk_utf8_valid(s, strlen(s)) && strlen(s) <= 1000
               ? s
               : fallback;
}

size_t portal_files_collect(const struct preq *q, const char *name,
                            struct portal_files *out)
{
    const struct form_field *f;

    out->n = 0;
    while (out->n < PORTAL_MAX_FILES &&
           (f = form_file(&q->form, name, out->n)) != NULL)
        out->f[out->n++] = f;
    return out->n;
}

static void array(struct dk_buf *sql, size_t n, int first, const char *type)
{
    if (!n) {
        dk_buf_printf(sql, "ARRAY[]::%s[]", type);
        return;
    }
    dk_buf_adds(sql, "ARRAY[");
    for (size_t i = 0; i < n; i++)
        dk_buf_printf(sql, "%s$%d::%s", i ? ", " : "", first + (int)i, type);
    dk_buf_adds(sql, "]");
}

void portal_files_sql(struct dk_buf *sql, const struct portal_files *files,
                      int first)
{
    int n = (int)files->n;

    array(sql, files->n, first, "text");
    dk_buf_adds(sql, ", ");
    array(sql, files->n, first + n, "text");
    dk_buf_adds(sql, ", ");
    array(sql, files->n, first + 2 * n, "bytea");
}

void portal_files_bind(struct db_query *query, const struct portal_files *files,
                       int first)
{
    int n = (int)files->n;

    /* first is 1-based, as in the SQL; db_param is 0-based. */
    for (int i = 0; i < n; i++) {
        const struct form_field *f = files->f[i];
        db_param(query, first - 1 + i, text_or(f->filename, "file"));
        db_param(query, first - 1 + n + i,
                 text_or(f->content_type, "application/octet-stream"));
        db_param_bin(query, first - 1 + 2 * n + i, f->value, f->value_len);
    }
}
