/*
 * dk_csv.c - a small state machine for RFC 4180.  Field text is copied
 * into one growing buffer; field pointers are fixed up only after the
 * record is complete, since the buffer may move while it grows.
 */
#include "dk_csv.h"
#include "dk_mem.h"
#include "dk_text.h"

#include <stdlib.h>
#include <string.h>

void dk_csv_init(struct dk_csv *c, const char *data, size_t len)
{
    memset(c, 0, sizeof(*c));
    c->p = data;
    c->end = data + len;
    c->line = 1;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        c->p += 3;
}

void dk_csv_cleanup(struct dk_csv *c)
{
    dk_buf_free(&c->buf);
    free(c->offs);
    free(c->fields);
    memset(c, 0, sizeof(*c));
}

static void put(struct dk_csv *c, char ch)
{
    dk_buf_addc(&c->buf, ch); /* the input bounds it */
}

static void start_field(struct dk_csv *c)
{
    if (c->nfields == c->capfields) {
        c->capfields = c->capfields ? c->capfields * 2 : 16;
        c->offs = dk_xrealloc(c->offs, c->capfields * sizeof(*c->offs));
        c->fields = dk_xrealloc(c->fields, c->capfields * sizeof(*c->fields));
    }
    c->offs[c->nfields++] = c->buf.len;
}

/* Field ends: terminate it and check it is UTF-8. */
static int end_field(struct dk_csv *c, unsigned line, struct dk_err *err)
{
    size_t start = c->offs[c->nfields - 1];

    put(c, '\0');
    if (!dk_utf8_valid(c->buf.data + start, c->buf.len - 1 - start))
        return dk_err_set(err, DK_EINVAL,
                          "line %u: field %zu is not valid UTF-8", line,
                          c->nfields);
    return 0;
}

int dk_csv_next(struct dk_csv *c, unsigned *line, struct dk_err *err)
{
    int rc;

    /* Skip blank lines between records. */
    while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
        if (*c->p == '\r' && (c->p + 1 >= c->end || c->p[1] != '\n'))
            break;
        if (*c->p == '\n')
            c->line++;
        c->p++;
    }
    if (c->p >= c->end)
        return 0;

    *line = c->line;
    dk_buf_reset(&c->buf, false);
    c->nfields = 0;
    start_field(c);
    for (;;) {
        if (c->p < c->end && *c->p == '"') {
            /* Quoted field: runs to a lone quote. */
            c->p++;
            for (;;) {
                if (c->p >= c->end)
                    return dk_err_set(err, DK_EINVAL,
                                      "line %u: quoted field is not closed",
                                      *line);
                if (*c->p == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        put(c, '"');
                        c->p += 2;
                        continue;
                    }
                    c->p++;
                    break;
                }
                if (*c->p == '\0')
                    return dk_err_set(err, DK_EINVAL,
                                      "line %u: NUL byte in field", c->line);
                if (*c->p == '\n')
                    c->line++;
                put(c, *c->p++);
            }
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
                !(*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n'))
                return dk_err_set(err, DK_EINVAL,
                                  "line %u: text after a closing quote",
                                  c->line);
        } else {
            while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
                   !(*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
                if (*c->p == '"')
                    return dk_err_set(err, DK_EINVAL,
                                      "line %u: quote inside an unquoted field",
                                      c->line);
                if (*c->p == '\0')
                    return dk_err_set(err, DK_EINVAL,
                                      "line %u: NUL byte in field", c->line);
                put(c, *c->p++);
            }
        }
        if ((rc = end_field(c, *line, err)) < 0)
            return rc;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            start_field(c);
            continue;
        }
        /* End of record: CRLF, LF or end of input. */
        if (c->p < c->end && *c->p == '\r')
            c->p++;
        if (c->p < c->end && *c->p == '\n') {
            c->p++;
            c->line++;
        }
        break;
    }
    for (size_t i = 0; i < c->nfields; i++)
        c->fields[i] = c->buf.data + c->offs[i];
    return 1;
}
