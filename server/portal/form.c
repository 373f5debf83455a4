/*
 * form.c - reading what a browser sends: urlencoded forms (liburiparser),
 * multipart/form-data (GMime), the Cookie header, and a boundary scanner
 * that watches a multipart body while it arrives.
 *
 * liburiparser leaves a bad %-escape as it is and hands back NUL-terminated
 * strings, so a pre-scan of the raw text, which splits it exactly as
 * uriDissectQueryMallocExA() does, refuses bad escapes and learns each
 * value's decoded length (raw length less two bytes per escape) before the
 * library decodes it.  GMime parses a multipart body as the content of a
 * MIME part whose only header is the request's Content-Type.
 */
#include "form.h"
#include "dk_mem.h"

#include <assert.h>
#include <gmime/gmime.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uriparser/Uri.h>

/* RFC 2046 5.1.1: a boundary is 1 to 70 characters. */
#define BOUNDARY_MAX 70

static void form_msg(char *err, size_t errlen, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void form_msg(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
}

/* -1: malformed input. */
__attribute__((format(printf, 3, 4))) static int
form_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    form_msg(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* -2: over a limit (the caller answers 413). */
__attribute__((format(printf, 3, 4))) static int
form_over(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    form_msg(err, errlen, fmt, ap);
    va_end(ap);
    return -2;
}

void form_init(void)
{
    static bool ready;

    /* docketd calls it once from main(), before any thread exists. */
    if (!ready) {
        g_mime_init();
        ready = true;
    }
}

void form_free(struct form *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].value);
        free(f->v[i].filename);
        free(f->v[i].content_type);
    }
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

/* ---- application/x-www-form-urlencoded ---------------------------------- */

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The decoded length of s[0..n), or -1 with err for a bad escape or a raw
 * NUL; *has_nul tells whether it decodes to a NUL. */
static long decoded_len(const char *s, size_t n, bool *has_nul, char *err,
                        size_t errlen)
{
    size_t out = 0;

    *has_nul = false;
    for (size_t i = 0; i < n; i++, out++) {
        if (s[i] == '\0')
            return form_fail(err, errlen, "malformed form: raw NUL byte");
        if (s[i] != '%')
            continue;
        if (i + 2 >= n)
            return form_fail(err, errlen,
                             "malformed form: truncated %%-escape");
        if (hexval((unsigned char)s[i + 1]) < 0 ||
            hexval((unsigned char)s[i + 2]) < 0)
            return form_fail(err, errlen, "malformed form: bad %%-escape");
        if (s[i + 1] == '0' && s[i + 2] == '0')
            *has_nul = true;
        i += 2;
    }
    return (long)out;
}

struct raw_field {
    size_t name_len, value_len; /* decoded */
};

/*
 * Split s as uriDissectQueryMallocExA() does: items between '&', the
 * first '=' ends the name, an item that is empty (no name, no '=') is
 * skipped.  Fills raw[] (FORM_MAX_FIELDS) and *n; -1 with err.
 */
static int prescan(const char *s, size_t len, struct raw_field *raw, size_t *n,
                   char *err, size_t errlen)
{
    size_t start = 0;

    *n = 0;
    while (start < len) {
        const char *item = s + start;
        const char *amp = memchr(item, '&', len - start);
        size_t ilen = amp ? (size_t)(amp - item) : len - start;
        const char *eq = memchr(item, '=', ilen);
        size_t klen = eq ? (size_t)(eq - item) : ilen;
        bool nul;
        long k, v = 0;

        start += ilen + 1;
        if (ilen == 0)
            continue;
        if (*n == FORM_MAX_FIELDS)
            return form_fail(err, errlen, "form has more than %d fields",
                             FORM_MAX_FIELDS);
        k = decoded_len(item, klen, &nul, err, errlen);
        if (k < 0)
            return -1;
        if (nul)
            return form_fail(err, errlen, "malformed form: NUL in a name");
        if (k > FORM_MAX_NAME)
            return form_fail(err, errlen,
                             "form field name longer than %d bytes",
                             FORM_MAX_NAME);
        if (eq) {
            v = decoded_len(eq + 1, ilen - klen - 1, &nul, err, errlen);
            if (v < 0)
                return -1;
            if (v > FORM_MAX_VALUE)
                return form_fail(err, errlen,
                                 "form field value longer than %d bytes",
                                 FORM_MAX_VALUE);
        }
        raw[*n].name_len = (size_t)k;
        raw[*n].value_len = (size_t)v;
        (*n)++;
    }
    return 0;
}

int form_parse_urlencoded(struct form *f, const char *s, size_t len, char *err,
                          size_t errlen)
{
    struct raw_field raw[FORM_MAX_FIELDS];
    UriQueryListA *list = NULL, *q;
    int count = 0;
    size_t n, i;

    f->v = NULL;
    f->n = 0;
    if (len == 0)
        return 0;
    /* The pre-scan's limits keep every item far below INT_MAX, and the
     * whole of s is at most FORM_MAX_FIELDS such items and their '&'s. */
    if (prescan(s, len, raw, &n, err, errlen) < 0)
        return -1;
    if (n == 0)
        return 0;
    if (uriDissectQueryMallocExA(&list, &count, s, s + len, URI_TRUE,
                                 URI_BR_DONT_TOUCH) != URI_SUCCESS)
        return form_fail(err, errlen, "could not parse form: out of memory");
    if ((size_t)count != n) {
        /* The pre-scan splits as liburiparser does; if that ever drifts,
         * refuse rather than pair the wrong lengths with the values. */
        assert(!"prescan disagrees with liburiparser");
        uriFreeQueryListA(list);
        return form_fail(err, errlen, "could not parse form");
    }
    f->v = dk_xcalloc(n, sizeof(*f->v));
    for (q = list, i = 0; q && i < n; q = q->next, i++) {
        struct form_field *fd = &f->v[i];
        size_t vlen = q->value ? raw[i].value_len : 0;

        /* Decoding only ever shrinks; %00 is the one way strlen() falls
         * short of the length the escapes give. */
        assert(strlen(q->key) == raw[i].name_len);
        assert(!q->value || strlen(q->value) <= vlen);
        fd->name = dk_xstrndup(q->key, raw[i].name_len);
        fd->value = dk_xmalloc(vlen + 1);
        if (vlen)
            memcpy(fd->value, q->value, vlen);
        fd->value[vlen] = '\0';
        fd->value_len = vlen;
        f->n++;
    }
    uriFreeQueryListA(list);
    return 0;
}

/* ---- multipart/form-data --------------------------------------------------
 */

/* Whether str is "multipart/form-data" with a usable boundary, copied into
 * boundary (BOUNDARY_MAX + 1 bytes). */
static bool multipart_boundary(const char *str, char *boundary)
{
    GMimeContentType *ct;
    const char *b;
    bool ok = false;

    if (!str)
        return false;
    for (const char *p = str; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return false; /* it becomes a header line of its own */
    ct = g_mime_content_type_parse(NULL, str);
    if (!ct)
        return false;
    b = g_mime_content_type_get_parameter(ct, "boundary");
    if (g_mime_content_type_is_type(ct, "multipart", "form-data") && b && *b &&
        strlen(b) <= BOUNDARY_MAX) {
        strcpy(boundary, b);
        ok = true;
    }
    g_object_unref(ct);
    return ok;
}

struct warnings {
    bool malformed;
};

/* GMime reports what it had to guess: a missing end boundary, a part
 * without headers, a multipart without parts.  Unencoded 8-bit headers (a
 * browser's UTF-8 filename) and the like are fine. */
static void warning_cb(gint64 offset, GMimeParserWarning code,
                       const gchar *item, gpointer arg)
{
    struct warnings *w = arg;

    switch (code) {
    case GMIME_WARN_MALFORMED_MULTIPART:
    case GMIME_WARN_TRUNCATED_MESSAGE:
    case GMIME_CRIT_INVALID_HEADER_NAME:
    case GMIME_CRIT_CONFLICTING_HEADER:
    case GMIME_CRIT_CONFLICTING_PARAMETER:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_CRIT_NESTING_OVERFLOW:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        w->malformed = true;
        break;
    default:
        break;
    }
}

/* A NUL-terminated heap copy of what stream holds. */
static char *mem_take(GMimeStream *mem, size_t *len)
{
    GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    char *s = dk_xmalloc(a->len + 1);

    if (a->len)
        memcpy(s, a->data, a->len);
    s[a->len] = '\0';
    *len = a->len;
    return s;
}

/* One part of the form into fd; 0, -1 or -2 with err.  files counts the
 * non-empty files so far. */
static int multipart_field(struct form_field *fd, GMimeObject *part,
                           size_t max_file, size_t max_files, size_t *files,
                           char *err, size_t errlen)
{
    GMimeContentDisposition *disp = g_mime_object_get_content_disposition(part);
    GMimeContentType *ct = g_mime_object_get_content_type(part);
    const char *name, *filename, *d;
    GMimeStream *mem;
    int rc = 0;

    d = disp ? g_mime_content_disposition_get_disposition(disp) : NULL;
    if (!d || strcasecmp(d, "form-data") != 0)
        return form_fail(err, errlen,
                         "malformed form: a part is not form-data");
    name = g_mime_content_disposition_get_parameter(disp, "name");
    if (!name)
        return form_fail(err, errlen, "malformed form: a part has no name");
    if (strlen(name) > FORM_MAX_NAME)
        return form_fail(err, errlen, "form field name longer than %d bytes",
                         FORM_MAX_NAME);
    filename = g_mime_content_disposition_get_parameter(disp, "filename");

    mem = g_mime_stream_mem_new();
    if (GMIME_IS_PART(part)) {
        GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(part));
        /* Decodes base64 and quoted-printable; decoded is never longer
         * than encoded, so the body's own limit bounds this. */
        if (content && g_mime_data_wrapper_write_to_stream(content, mem) < 0)
            rc = form_fail(err, errlen, "malformed form: undecodable part");
    } else if (g_mime_object_write_content_to_stream(part, NULL, mem) < 0) {
        rc = form_fail(err, errlen, "malformed form: unreadable part");
    }
    if (rc == 0) {
        fd->name = dk_xstrdup(name);
        fd->value = mem_take(mem, &fd->value_len);
        fd->is_file = filename != NULL;
        fd->filename = filename ? dk_xstrdup(filename) : NULL;
        /* GMime makes up text/plain for a part that says nothing. */
        if (ct && g_mime_object_get_header(part, "Content-Type"))
            fd->content_type = g_mime_content_type_get_mime_type(ct);
        if (fd->content_type) {
            /* g_malloc'd: give the caller one that free() takes. */
            char *c = dk_xstrdup(fd->content_type);
            g_free(fd->content_type);
            fd->content_type = c;
        }
        if (fd->is_file && (*filename || fd->value_len))
            (*files)++;
        if (fd->is_file && fd->value_len > max_file) {
            rc = form_over(err, errlen, "file \"%s\" is over %zu bytes", name,
                           max_file);
        } else if (fd->is_file && *files > max_files) {
            rc = form_over(err, errlen, "more than %zu files", max_files);
        } else if (!fd->is_file && fd->value_len > FORM_MAX_VALUE) {
            rc = form_over(err, errlen, "form field \"%s\" over %d bytes", name,
                           FORM_MAX_VALUE);
        }
    }
    g_object_unref(mem);
    return rc;
}

int form_parse_multipart(struct form *f, const char *content_type,
                         const char *body, size_t len, size_t max_file,
                         size_t max_files, char *err, size_t errlen)
{
    char boundary[BOUNDARY_MAX + 1];
    struct warnings warn = {false};
    GMimeStream *cat, *head, *rest;
    GByteArray *bytes;
    GMimeParserOptions *opts;
    GMimeParser *parser;
    GMimeObject *top;
    char *header;
    size_t files = 0;
    int count, rc = 0;

    f->v = NULL;
    f->n = 0;
    if (!multipart_boundary(content_type, boundary))
        return form_fail(err, errlen,
                         "not multipart/form-data with a boundary");
    if (len > G_MAXUINT)
        return form_fail(err, errlen, "form too large");

    header = dk_xasprintf("Content-Type: %s\r\n\r\n", content_type);
    head = g_mime_stream_mem_new_with_buffer(header, strlen(header));
    free(header);
    /* The body without a copy: a byte array over the caller's bytes that
     * neither the stream (owner FALSE) nor g_byte_array_free(, FALSE)
     * frees.  The stream is only ever read. */
    bytes = g_byte_array_new_take((guint8 *)(uintptr_t)body, len);
    rest = g_mime_stream_mem_new_with_byte_array(bytes);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(rest), FALSE);
    cat = g_mime_stream_cat_new();
    g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), head);
    g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), rest);

    opts = g_mime_parser_options_new();
    g_mime_parser_options_set_warning_callback(opts, warning_cb, &warn);
    parser = g_mime_parser_new_with_stream(cat);
    top = g_mime_parser_construct_part(parser, opts);

    if (!top || !GMIME_IS_MULTIPART(top)) {
        rc = form_fail(err, errlen, "malformed form: not a multipart body");
        goto out;
    }
    if (warn.malformed) {
        rc = form_fail(err, errlen,
                       "malformed form: truncated or broken multipart body");
        goto out;
    }
    count = g_mime_multipart_get_count(GMIME_MULTIPART(top));
    if (count > FORM_MAX_FIELDS) {
        rc = form_over(err, errlen, "form has more than %d fields",
                       FORM_MAX_FIELDS);
        goto out;
    }
    if (count > 0)
        f->v = dk_xcalloc((size_t)count, sizeof(*f->v));
    for (int i = 0; i < count && rc == 0; i++) {
        GMimeObject *part = g_mime_multipart_get_part(GMIME_MULTIPART(top), i);
        rc = multipart_field(&f->v[f->n], part, max_file, max_files, &files,
                             err, errlen);
        /* Counted even when it failed half-way: form_free() takes it. */
        f->n++;
    }
out:
    if (rc != 0)
        form_free(f);
    if (top)
        g_object_unref(top);
    g_object_unref(parser);
    g_mime_parser_options_free(opts);
    g_object_unref(cat);
    g_object_unref(rest);
    g_object_unref(head);
    g_byte_array_free(bytes, FALSE);
    return rc;
}

const char *form_get(const struct form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (!f->v[i].is_file && strcmp(f->v[i].name, name) == 0)
            return f->v[i].value;
    return NULL;
}

const struct form_field *form_file(const struct form *f, const char *name,
                                   size_t i)
{
    for (size_t k = 0; k < f->n; k++) {
        const struct form_field *fd = &f->v[k];

        if (!fd->is_file || strcmp(fd->name, name) != 0)
            continue;
        if ((!fd->filename || !*fd->filename) && fd->value_len == 0)
            continue; /* "no file chosen" */
        if (i-- == 0)
            return fd;
    }
    return NULL;
}

/* ---- Cookie ----------------------------------------------------------------
 */

/* RFC 6265 4.1.1 cookie-octet. */
static bool cookie_octet(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
           (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

bool form_cookie(const char *header, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    const char *p = header;

    if (!header || !outlen || !nlen)
        return false;
    while (*p) {
        const char *end = strchr(p, ';');
        const char *e;
        size_t vlen;

        if (!end)
            end = p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        e = end;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if ((size_t)(e - p) > nlen && p[nlen] == '=' &&
            memcmp(p, name, nlen) == 0) {
            p += nlen + 1;
            if (e - p >= 2 && *p == '"' && e[-1] == '"') {
                p++;
                e--;
            }
            vlen = (size_t)(e - p);
            if (vlen == 0 || vlen >= outlen)
                return false;
            for (size_t i = 0; i < vlen; i++)
                if (!cookie_octet((unsigned char)p[i]))
                    return false;
            memcpy(out, p, vlen);
            out[vlen] = '\0';
            return true;
        }
        p = *end ? end + 1 : end;
    }
    return false;
}

/* ---- watching a multipart body ----------------------------------------------
 */

void form_watch_init(struct form_watch *w, const char *content_type,
                     size_t max_part, size_t max_parts)
{
    char b[BOUNDARY_MAX + 1];
    size_t k = 0;

    memset(w, 0, sizeof(*w));
    w->max_part = max_part;
    w->max_parts = max_parts;
    if (!multipart_boundary(content_type, b))
        return;
    w->blen = (size_t)snprintf(w->boundary, sizeof(w->boundary), "\r\n--%s", b);
    /* KMP: fail[i] is the longest proper prefix of boundary[0..i] that is
     * also its suffix, so a boundary whose start repeats ("--a--a") is
     * matched after a false start too. */
    w->fail[0] = 0;
    for (size_t i = 1; i < w->blen; i++) {
        while (k > 0 && w->boundary[i] != w->boundary[k])
            k = w->fail[k - 1];
        if (w->boundary[i] == w->boundary[k])
            k++;
        w->fail[i] = (unsigned char)k;
    }
    /* The first delimiter may open the body, without a CRLF before it. */
    w->matched = 2;
    w->part_len = 2;
    w->active = true;
}

int form_watch_feed(struct form_watch *w, const char *data, size_t len)
{
    if (!w->active)
        return 0;
    if (w->over)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];

        while (w->matched > 0 && c != w->boundary[w->matched])
            w->matched = w->fail[w->matched - 1];
        if (c == w->boundary[w->matched])
            w->matched++;
        w->part_len++;
        if (w->matched == w->blen) {
            w->parts++;
            w->part_len = 0;
            w->matched = 0;
            /* k fields take k + 1 delimiters, the last one closing. */
            if (w->parts > w->max_parts + 1) {
                w->over = true;
                return -1;
            }
            continue;
        }
        /* The bytes of a partial match may yet be a delimiter's; before
         * the first delimiter, part_len counts the CRLF it may lack. */
        if (w->part_len - w->matched > w->max_part + (w->parts == 0 ? 2 : 0)) {
            w->over = true;
            return -1;
        }
    }
    return 0;
}
