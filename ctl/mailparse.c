/*
 * mailparse.c - parsing an incoming message with GMime: every leaf part
 * is text for the body or a file, and the signs that a program sent it.
 *
 * Which part is what (walk(); test/integration/mail_python.py checks a
 * model of these rules against Python's email package):
 *   - A leaf is text when its type is text/... (a bare "text" is
 *     text/plain), it is not a data format (text/calendar, text/csv,
 *     text/vcard, text/rfc822-headers, ... in data_subtypes[]), and its
 *     Content-Disposition is not "attachment".  text/html is turned into
 *     text (mailhtml.c); every other text subtype is kept as it is.
 *     Text parts go into the body in order, a blank line between them.
 *   - Every other leaf is a file: its decoded bytes, its type, and the
 *     sender's name for it (Content-Disposition filename, else the
 *     Content-Type name; an empty name stays empty, the database calls it
 *     "attachment") or, when it has none, "part-N.EXT", N its place
 *     among the leaves (1-based, in order) and EXT from its type.
 *   - multipart/alternative is one text: the first text/plain (any text
 *     leaf but HTML) alternative, else the first that is HTML or a
 *     multipart.  The others are walked for files only: their text is
 *     skipped (the chosen one says the same), anything else (an image of
 *     a multipart/related, text/calendar) is a file.
 *   - multipart/related: the root (the "start" parameter's Content-ID,
 *     else the first part) as usual, every other part a file.
 *   - message/rfc822 (and multipart/digest's default parts): a file
 *     "forwarded-N.eml" (or the sender's name); its text quoted into the
 *     body after "Forwarded message from X, subject "Y":", its files
 *     kept too.  Forwards in forwards are quoted MAIL_QUOTE_MAX deep;
 *     deeper ones are files only (the .eml holds their text).
 *   - Past MAIL_DEPTH_MAX levels or MAIL_PARTS_MAX leaves, what is left
 *     is kept whole as one file, "remaining-parts.mime"
 *     (application/octet-stream).  Text past MAIL_BODY_MAX is a file,
 *     with a line in the body saying so.
 *
 * Program or person (classify()), the first that applies:
 *   1. MAIL_REPORT: a multipart/report (RFC 6522) as the message itself
 *      (one inside a person's mail or a forwarded one is only a part).
 * Reported: the Message-ID of its message/rfc822 part, of its
 * text/rfc822-headers or message/rfc822-headers part, and any
 *      Original-Message-ID field; the per-recipient fields of its
 *      message/delivery-status (or disposition-notification) make
 *      report_text and report_failed (an Action: failed).
 *   2. MAIL_REPORT: an old-style bounce with no report part: From is
 *      MAILER-DAEMON@ (any case); or From is postmaster@, or the
 *      Return-Path is empty, and the text quotes a "Message-ID: <...>"
 *      line (postmaster@ is often a school's IT person).  Reported:
 *      every "Message-ID: <...>" line of the body (after any "> " or
 *      spaces), and the Message-ID of a message/rfc822 part of the
 *      bounce itself; report_text: the first line with an SMTP reply
 *      code (4xx or 5xx), from the code on; report_failed unless the
 *      Subject says the message is only late ("delay", "warning",
 *      Norwegian "forsink"/"utsatt", Dutch "vertraag", ...).
 *   3. MAIL_AUTO_REPLY: Auto-Submitted (RFC 3834) with a value other than
 *      "no" (an empty one says nothing); an empty Return-Path ("<>");
 *      Precedence bulk, junk or auto_reply (not list: a school's team
 *      address on Google Groups or Mailman says that); an X-Autoreply or
 *      X-Autorespond header (not "no").  X-Auto-Response-Suppress asks
 *      us not to reply; it says nothing of the sender.
 */
#include "mailparse.h"
#include "dk_buf.h"
#include "dk_mem.h"
#include "dk_text.h"
#include "mailhtml.h"
#include "mailtext.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum walk_mode {
    WALK_TEXT,      /* text leaves go into the body */
    WALK_FILES,     /* an alternative not chosen: text skipped */
    WALK_RESOURCES, /* multipart/related's other parts: all files */
};

struct walk {
    struct mail *m;
    struct dk_buf *body; /* borrowed: the text of the message being walked */
    size_t leaves;       /* leaves seen, for made-up names and the bound */
    size_t forwarded;    /* forwarded messages seen, for their names */
    size_t cap;          /* files allocated */
    int forwards;        /* forwarded messages around this part */
    int reports;         /* multipart/report around this part (not in a
                            forward) */
    bool saw_report;
    char *report_type;   /* owned: of the first multipart/report */
    struct dk_buf rtext; /* report_text being gathered */
    GMimeStream *rest;   /* owned or NULL: parts past the bounds */
    char *bounce_id;     /* owned or NULL: the first message/rfc822's
                            Message-ID outside a report, for rule 2 */
};

static void walk(struct walk *w, GMimeObject *obj, int depth,
                 enum walk_mode mode);
static void walk_message(struct walk *w, GMimeMessagePart *mp, int depth,
                         enum walk_mode mode);

/* Text subtypes that are data for a program, not text for a person. */
static const char *const data_subtypes[] = {"calendar",
                                            "x-vcalendar",
                                            "vcard",
                                            "x-vcard",
                                            "directory",
                                            "csv",
                                            "x-csv",
                                            "comma-separated-values",
                                            "tab-separated-values",
                                            "xml",
                                            "css",
                                            "javascript",
                                            "x-javascript",
                                            "ecmascript",
                                            "rtf",
                                            "rfc822-headers",
                                            "global-headers",
                                            NULL};

static char *lower(char *s)
{
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return s;
}

/*
 * Its "type/subtype", lower case, in *out (owned).  GMime reads a
 * Content-Type with no subtype as application/octet-stream; a bare
 * "text" is text/plain (RFC 2045's default for text).
 */
static char *mime_type(GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    const char *raw = g_mime_object_get_header(obj, "Content-Type");
    char *t;

    if (raw) {
        while (*raw == ' ' || *raw == '\t')
            raw++;
        if (!strncasecmp(raw, "text", 4) &&
            (raw[4] == '\0' || raw[4] == ';' || raw[4] == ' ' ||
             raw[4] == '\t' || raw[4] == '\r' || raw[4] == '\n'))
            return dk_xstrdup("text/plain");
    }
    t = g_mime_content_type_get_mime_type(ct);
    if (!t)
        return dk_xstrdup("application/octet-stream");
    {
        char *copy = lower(dk_xstrdup(t));
        g_free(t);
        return copy;
    }
}

static bool is_data_subtype(const char *type)
{
    const char *sub = strchr(type, '/');

    for (const char *const *d = data_subtypes; sub && *d; d++)
        if (!strcmp(sub + 1, *d))
            return true;
    return false;
}

static bool disposition_attachment(GMimeObject *obj)
{
    const char *d = g_mime_object_get_disposition(obj);
    return d && !strcasecmp(d, "attachment");
}

/* A leaf that is text for the body (the rules at the top). */
static bool is_body_text(GMimeObject *obj, const char *type)
{
    return !strncmp(type, "text/", 5) && !is_data_subtype(type) &&
           !disposition_attachment(obj);
}

/* The charset parameter; a bare "text; charset=x" GMime did not parse. */
static const char *charset_of(GMimeObject *obj)
{
    return g_mime_object_get_content_type_parameter(obj, "charset");
}

static GByteArray *part_bytes(GMimePart *part)
{
    GMimeStream *mem = g_mime_stream_mem_new();
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    GByteArray *src, *out = g_byte_array_new();

    if (dw)
        g_mime_data_wrapper_write_to_stream(dw, mem);
    src = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    if (src->len)
        g_byte_array_append(out, src->data, src->len);
    g_object_unref(mem);
    return out;
}

static GByteArray *object_bytes(GMimeObject *obj)
{
    GMimeStream *mem = g_mime_stream_mem_new();
    GByteArray *src, *out = g_byte_array_new();

    if (obj)
        g_mime_object_write_to_stream(obj, NULL, mem);
    src = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    if (src->len)
        g_byte_array_append(out, src->data, src->len);
    g_object_unref(mem);
    return out;
}

static const struct {
    const char *type, *ext;
} extensions[] = {
    {"image/png", "png"},
    {"image/jpeg", "jpg"},
    {"image/jpg", "jpg"},
    {"image/pjpeg", "jpg"},
    {"image/gif", "gif"},
    {"image/bmp", "bmp"},
    {"image/webp", "webp"},
    {"image/tiff", "tif"},
    {"image/svg+xml", "svg"},
    {"application/pdf", "pdf"},
    {"application/zip", "zip"},
    {"application/msword", "doc"},
    {"application/vnd.ms-excel", "xls"},
    {"application/vnd.ms-powerpoint", "ppt"},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml."
     "document",
     "docx"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "xlsx"},
    {"application/vnd.openxmlformats-officedocument.presentationml."
     "presentation",
     "pptx"},
    {"application/vnd.oasis.opendocument.text", "odt"},
    {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
    {"application/pgp-signature", "asc"},
    {"application/pgp-encrypted", "asc"},
    {"application/pkcs7-signature", "p7s"},
    {"application/x-pkcs7-signature", "p7s"},
    {"application/ics", "ics"},
    {"audio/mpeg", "mp3"},
    {"video/mp4", "mp4"},
    {"text/html", "html"},
    {"text/calendar", "ics"},
    {"text/csv", "csv"},
    {"text/vcard", "vcf"},
    {"text/x-vcard", "vcf"},
    {"text/xml", "xml"},
    {"message/rfc822", "eml"},
};

static const char *extension(const char *type)
{
    for (size_t i = 0; i < G_N_ELEMENTS(extensions); i++)
        if (!strcmp(type, extensions[i].type))
            return extensions[i].ext;
    if (!strncmp(type, "text/", 5) || !strncmp(type, "message/", 8))
        return "txt"; /* delivery-status, rfc822-headers, plain ... */
    return "bin";
}

/* A file name as UTF-8: GMime hands over what it could not decode as it
 * was.  Control characters stay: the database's trigger removes them. */
static char *clean_name(const char *s)
{
    return mail_text_decode(s, strlen(s), NULL, NULL);
}

/* A header value (a sender, a subject) as UTF-8 on one line. */
static char *one_line(const char *s)
{
    char *u = clean_name(s);
    for (char *p = u; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    return u;
}

static void add_file(struct walk *w, char *name, char *type, GByteArray *data)
{
    struct mail *m = w->m;

    if (m->nfiles == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 8;
        m->files = dk_xrealloc(m->files, w->cap * sizeof(*m->files));
    }
    m->files[m->nfiles].name = name;
    m->files[m->nfiles].type = type;
    m->files[m->nfiles].data = data;
    m->nfiles++;
}

/* Text for the body: its blank lines at either end go; a blank line
 * between it and the text before. */
static void add_text(struct walk *w, struct dk_buf *body, const char *t)
{
    size_t n;

    while (*t == '\n' || *t == ' ' || *t == '\t') {
        /* leading blank lines, but not a line's own indentation */
        const char *nl = t;
        while (*nl == ' ' || *nl == '\t')
            nl++;
        if (*nl != '\n')
            break;
        t = nl + 1;
    }
    n = strlen(t);
    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' ' || t[n - 1] == '\t' ||
                     t[n - 1] == '\r'))
        n--;
    if (n == 0)
        return;
    if (body->len)
        dk_buf_adds(body, "\n\n");
    dk_buf_add(body, t, n);
}

static void add_reported(struct mail *m, const char *v)
{
    const char *lt, *gt;
    char *id;

    if (!v)
        return;
    lt = strchr(v, '<');
    gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt && gt > lt + 1) {
        id = dk_xstrndup(lt, (size_t)(gt - lt + 1));
    } else {
        /* GMime gives a Message-ID without its brackets. */
        while (*v == ' ' || *v == '\t')
            v++;
        if (!*v || strpbrk(v, " \t\r\n<>") || strlen(v) > 500)
            return;
        id = dk_xasprintf("<%s>", v);
    }
    if (!dk_utf8_valid(id, strlen(id)) || strpbrk(id + 1, " \t\r\n<")) {
        free(id);
        return;
    }
    for (size_t i = 0; i < m->nreported; i++)
        if (!strcmp(m->reported[i], id)) {
            free(id);
            return;
        }
    if (m->nreported >= MAIL_REPORTED_MAX) {
        free(id);
        return;
    }
    m->reported =
        dk_xrealloc(m->reported, (m->nreported + 1) * sizeof(*m->reported));
    m->reported[m->nreported++] = id;
}

/*
 * The value of field name in a header block (text up to a blank line,
 * LF line ends), unfolded; a new string, or NULL.
 */
static char *field(const char *block, const char *name)
{
    size_t nl = strlen(name);

    for (const char *p = block; p && *p && *p != '\n';) {
        const char *eol = strchr(p, '\n');
        if (!strncasecmp(p, name, nl) && p[nl] == ':') {
            struct dk_buf v = DK_BUF_INIT(0);
            const char *s = p + nl + 1;
            for (;;) {
                const char *e = strchr(s, '\n');
                size_t n = e ? (size_t)(e - s) : strlen(s);
                if (v.len)
                    dk_buf_addc(&v, ' ');
                while (n > 0 && (*s == ' ' || *s == '\t')) {
                    s++;
                    n--;
                }
                dk_buf_add(&v, s, n);
                if (!e || (e[1] != ' ' && e[1] != '\t'))
                    break;
                s = e + 1;
            }
            while (v.len &&
                   (v.data[v.len - 1] == ' ' || v.data[v.len - 1] == '\t'))
                v.data[--v.len] = '\0';
            return dk_buf_steal(&v, NULL);
        }
        p = eol ? eol + 1 : NULL;
    }
    return NULL;
}

/* "rfc822; x@y" without its type; "smtp; 550 ..." likewise. */
static const char *after_type(const char *v)
{
    const char *semi = v ? strchr(v, ';') : NULL;

    if (!semi)
        return v;
    semi++;
    while (*semi == ' ' || *semi == '\t')
        semi++;
    return semi;
}

/* One per-recipient block of a message/delivery-status or
 * disposition-notification: report_text's line, report_failed. */
static void report_block(struct walk *w, const char *block)
{
    char *action = field(block, "Action"), *status = field(block, "Status");
    char *diag = field(block, "Diagnostic-Code");
    char *final = field(block, "Final-Recipient");
    char *orig = field(block, "Original-Message-ID");
    char *disp = field(block, "Disposition");
    const char *who = final ? after_type(final) : NULL;

    add_reported(w->m, orig);
    if (action) {
        lower(action);
        if (!strncmp(action, "failed", 6))
            w->m->report_failed = true;
    }
    if ((action || disp) && w->rtext.len < 16384) {
        if (w->rtext.len)
            dk_buf_addc(&w->rtext, '\n');
        if (action && strncmp(action, "failed", 6))
            dk_buf_printf(&w->rtext, "%s: ", action);
        if (diag)
            dk_buf_adds(&w->rtext, after_type(diag));
        else if (disp)
            dk_buf_printf(&w->rtext, "Disposition: %s", disp);
        else
            dk_buf_printf(&w->rtext, "%s%s%s", action ? action : "",
                          status ? ", status " : "", status ? status : "");
        if (who && *who)
            dk_buf_printf(&w->rtext, " (Final-Recipient %s)", who);
    }
    free(action);
    free(status);
    free(diag);
    free(final);
    free(orig);
    free(disp);
}

/* message/delivery-status: blocks of fields between blank lines. */
static void report_status(struct walk *w, GByteArray *data)
{
    char *t =
        mail_text_decode((const char *)data->data, data->len, "utf-8", NULL);
    char *p = t;

    while (*p) {
        char *end = strstr(p, "\n\n");
        if (end)
            *end = '\0';
        while (*p == '\n')
            p++;
        if (*p)
            report_block(w, p);
        if (!end)
            break;
        p = end + 2;
    }
    free(t);
}

/* text/rfc822-headers: the original's Message-ID. */
static void report_headers(struct walk *w, GByteArray *data)
{
    char *t =
        mail_text_decode((const char *)data->data, data->len, "utf-8", NULL);
    char *id = field(t, "Message-ID");

    add_reported(w->m, id);
    free(id);
    free(t);
}

/* Past a bound: what is left, whole, in one file (mail_parse adds it). */
static void keep_rest(struct walk *w, GMimeObject *obj)
{
    if (!w->rest)
        w->rest = g_mime_stream_mem_new();
    g_mime_object_write_to_stream(obj, NULL, w->rest);
    g_mime_stream_write_string(w->rest, "\n");
}

/*
 * A message/rfc822 part with a transfer encoding (not allowed, but
 * Exchange does it) is a leaf to GMime: its decoded bytes, parsed, as a
 * forwarded message; false if they are not one.
 */
static bool walk_encoded_message(struct walk *w, GMimePart *part,
                                 GByteArray *data, int depth,
                                 enum walk_mode mode)
{
    GMimeStream *stream;
    GMimeParser *parser;
    GMimeMessage *inner;
    const char *name = g_mime_part_get_filename(part);
    GMimeMessagePart *mp;

    /* An empty part is no message (and GMime refuses a NULL buffer,
     * which is what an empty GByteArray holds). */
    if (!data->len)
        return false;
    stream =
        g_mime_stream_mem_new_with_buffer((const char *)data->data, data->len);
    parser = g_mime_parser_new_with_stream(stream);
    inner = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    if (!inner)
        return false;
    mp = g_mime_message_part_new_with_message("rfc822", inner);
    if (name)
        g_mime_object_set_content_disposition_parameter(GMIME_OBJECT(mp),
                                                        "filename", name);
    walk_message(w, mp, depth, mode);
    g_object_unref(mp);
    g_object_unref(inner);
    return true;
}

static void walk_leaf(struct walk *w, GMimePart *part, int depth,
                      enum walk_mode mode)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    char *type = mime_type(obj);
    GByteArray *data = part_bytes(part);
    const char *name = g_mime_part_get_filename(part);
    size_t n;

    if ((!strcmp(type, "message/rfc822") || !strcmp(type, "message/global")) &&
        walk_encoded_message(w, part, data, depth, mode)) {
        g_byte_array_unref(data);
        free(type);
        return;
    }
    n = ++w->leaves;

    if (w->reports > 0) {
        if (!strcmp(type, "message/delivery-status") ||
            !strcmp(type, "message/global-delivery-status") ||
            !strcmp(type, "message/disposition-notification") ||
            !strcmp(type, "message/global-disposition-notification"))
            report_status(w, data);
        else if (!strcmp(type, "text/rfc822-headers") ||
                 !strcmp(type, "message/rfc822-headers") ||
                 !strcmp(type, "message/global-headers"))
            report_headers(w, data);
    }
    if (mode != WALK_RESOURCES && is_body_text(obj, type)) {
        if (mode == WALK_TEXT && !strcmp(type, "text/html") &&
            data->len > MAIL_HTML_MAX) {
            /* libxml2 builds the whole tree: about 30 bytes of memory per
             * byte of HTML.  Past the bound, the HTML is kept as it is. */
            char *made = dk_xasprintf("part-%zu.html", n);
            dk_buf_printf(w->body, "%s[a long HTML text: kept as %s]",
                          w->body->len ? "\n\n" : "", made);
            add_file(w, made, type, data);
            return;
        }
        if (mode == WALK_TEXT) {
            int fellback;
            char *t = mail_text_decode((const char *)data->data, data->len,
                                       charset_of(obj), &fellback);
            if (!strcmp(type, "text/html")) {
                char *h = mail_html_text(t, strlen(t));
                free(t);
                t = h;
            }
            if (w->body->len + strlen(t) > MAIL_BODY_MAX) {
                char *made = dk_xasprintf("part-%zu.%s", n, extension(type));
                dk_buf_printf(w->body, "\n\n[text too long: kept as %s]", made);
                add_file(w, made, type, data);
                free(t);
                return;
            }
            add_text(w, w->body, t);
            free(t);
        }
        g_byte_array_unref(data);
        free(type);
        return;
    }
    add_file(w,
             name ? clean_name(name)
                  : dk_xasprintf("part-%zu.%s", n, extension(type)),
             type, data);
}

/* "Forwarded message from X, subject "Y":" and its text, quoted. */
static void quote_forward(struct walk *w, GMimeMessage *inner, const char *text,
                          const char *file)
{
    InternetAddressList *from = g_mime_message_get_from(inner);
    const char *subject = g_mime_message_get_subject(inner);
    char *who = from && internet_address_list_length(from) > 0
                    ? internet_address_list_to_string(from, NULL, FALSE)
                    : NULL;
    char *u_who = who ? one_line(who) : dk_xstrdup("(unknown sender)");
    char *u_subj = subject ? one_line(subject) : dk_xstrdup("(no subject)");
    struct dk_buf q = DK_BUF_INIT(0);

    dk_buf_printf(&q, "Forwarded message from %s, subject \"%s\":\n", u_who,
                  u_subj);
    if (w->body->len + strlen(text) * 2 > MAIL_BODY_MAX) {
        dk_buf_printf(&q, "> [too long to quote: see %s]", file);
    } else {
        const char *p = text;
        while (*p) {
            const char *e = strchr(p, '\n');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            dk_buf_add(&q, n ? "> " : ">", n ? 2 : 1);
            dk_buf_add(&q, p, n);
            dk_buf_addc(&q, '\n');
            p = e ? e + 1 : p + n;
        }
    }
    add_text(w, w->body, q.data);
    dk_buf_free(&q);
    g_free(who);
    free(u_who);
    free(u_subj);
}

static void walk_message(struct walk *w, GMimeMessagePart *mp, int depth,
                         enum walk_mode mode)
{
    GMimeObject *obj = GMIME_OBJECT(mp);
    GMimeMessage *inner = g_mime_message_part_get_message(mp);
    const char *name =
        g_mime_object_get_content_disposition_parameter(obj, "filename");
    char *type = mime_type(obj), *fname, *mine = NULL;
    size_t k = ++w->forwarded;

    if (!name)
        name = g_mime_object_get_content_type_parameter(obj, "name");
    w->leaves++;
    fname = name ? clean_name(name) : dk_xasprintf("forwarded-%zu.eml", k);
    /* Only the outermost forwarded message is a file: it holds those
     * forwarded inside it, and a copy per level would let one message of
     * 25 MB store many times that. */
    if (w->forwards == 0) {
        add_file(w, fname, type, object_bytes(GMIME_OBJECT(inner)));
    } else {
        mine = fname; /* named in the quote only */
        free(type);
    }
    if (inner && w->reports > 0)
        add_reported(w->m, g_mime_message_get_message_id(inner));
    else if (inner && w->forwards == 0 && !w->bounce_id &&
             g_mime_message_get_message_id(inner))
        w->bounce_id = dk_xstrdup(g_mime_message_get_message_id(inner));
    if (!inner || !g_mime_message_get_mime_part(inner)) {
        free(mine);
        return;
    }
    w->forwards++;
    {
        int saved_reports = w->reports;
        w->reports = 0; /* a forwarded bounce is not our bounce */
        if (mode == WALK_TEXT && w->forwards <= MAIL_QUOTE_MAX) {
            struct dk_buf inner_body = DK_BUF_INIT(0), *outer = w->body;
            w->body = &inner_body;
            walk(w, g_mime_message_get_mime_part(inner), depth + 1, WALK_TEXT);
            w->body = outer;
            quote_forward(w, inner, inner_body.data ? inner_body.data : "",
                          fname);
            dk_buf_free(&inner_body);
        } else {
            walk(w, g_mime_message_get_mime_part(inner), depth + 1, WALK_FILES);
        }
        w->reports = saved_reports;
    }
    w->forwards--;
    free(mine);
}

/* Text that is not in a part of its own (a multipart with no parts):
 * text/plain in an unknown charset, a leaf like any other. */
static void walk_loose_text(struct walk *w, const char *pro,
                            enum walk_mode mode)
{
    size_t n = ++w->leaves;
    char *t;

    if (mode == WALK_FILES)
        return;
    if (mode == WALK_RESOURCES) {
        GByteArray *data = g_byte_array_new();
        g_byte_array_append(data, (const guint8 *)pro, (guint)strlen(pro));
        add_file(w, dk_xasprintf("part-%zu.txt", n), dk_xstrdup("text/plain"),
                 data);
        return;
    }
    t = mail_text_decode(pro, strlen(pro), NULL, NULL);
    add_text(w, w->body, t);
    free(t);
}

/* Which alternative is the text (see the top); -1 for none. */
static int chosen_alternative(GMimeMultipart *mp)
{
    int n = g_mime_multipart_get_count(mp), second = -1;

    for (int i = 0; i < n; i++) {
        GMimeObject *o = g_mime_multipart_get_part(mp, i);
        char *type;
        if (GMIME_IS_MULTIPART(o)) {
            if (second < 0)
                second = i;
            continue;
        }
        if (!GMIME_IS_PART(o))
            continue;
        type = mime_type(o);
        if (is_body_text(o, type)) {
            if (strcmp(type, "text/html")) {
                free(type);
                return i;
            }
            if (second < 0)
                second = i;
        }
        free(type);
    }
    return second;
}

/* multipart/related's root: the "start" parameter's Content-ID, else the
 * first part. */
static int related_root(GMimeMultipart *mp)
{
    const char *start =
        g_mime_object_get_content_type_parameter(GMIME_OBJECT(mp), "start");
    int n = g_mime_multipart_get_count(mp);

    if (start) {
        size_t sl;
        if (*start == '<')
            start++;
        sl = strcspn(start, ">");
        for (int i = 0; i < n; i++) {
            const char *cid =
                g_mime_object_get_content_id(g_mime_multipart_get_part(mp, i));
            if (cid && strlen(cid) == sl && !strncmp(cid, start, sl))
                return i;
        }
    }
    return 0;
}

static void walk_multipart(struct walk *w, GMimeMultipart *mp, int depth,
                           enum walk_mode mode)
{
    GMimeObject *obj = GMIME_OBJECT(mp);
    char *type = mime_type(obj);
    int n = g_mime_multipart_get_count(mp), choice = -1, root = -1;
    /* A report is the message itself (RFC 6522): one inside a person's
     * mail, or in a forwarded one, is just a part of theirs. */
    bool report =
        !strcmp(type, "multipart/report") && w->forwards == 0 && depth == 0;
    bool alternative =
        !strcmp(type, "multipart/alternative") && mode != WALK_RESOURCES;

    if (n == 0) {
        /* No boundary found: what GMime kept as the prologue is all
         * there is, text as far as anyone can tell (see the top). */
        const char *pro = g_mime_multipart_get_prologue(mp);
        walk_loose_text(w, pro ? pro : "", mode);
        free(type);
        return;
    }
    if (alternative)
        choice = chosen_alternative(mp);
    else if (!strcmp(type, "multipart/related") && mode != WALK_RESOURCES)
        root = related_root(mp);
    if (report) {
        if (!w->saw_report) {
            const char *rt =
                g_mime_object_get_content_type_parameter(obj, "report-type");
            w->saw_report = true;
            w->report_type = rt ? lower(one_line(rt)) : NULL;
        }
        w->reports++;
    }
    for (int i = 0; i < n; i++) {
        GMimeObject *child = g_mime_multipart_get_part(mp, i);
        enum walk_mode cm = mode;
        if (alternative)
            cm = i == choice && mode == WALK_TEXT ? WALK_TEXT : WALK_FILES;
        else if (root >= 0 && i != root)
            cm = WALK_RESOURCES;
        walk(w, child, depth + 1, cm);
    }
    if (report)
        w->reports--;
    free(type);
}

static void walk(struct walk *w, GMimeObject *obj, int depth,
                 enum walk_mode mode)
{
    if (!obj)
        return;
    if (depth > MAIL_DEPTH_MAX || w->leaves >= MAIL_PARTS_MAX) {
        keep_rest(w, obj);
        return;
    }
    if (GMIME_IS_MULTIPART(obj))
        walk_multipart(w, GMIME_MULTIPART(obj), depth, mode);
    else if (GMIME_IS_MESSAGE_PART(obj))
        walk_message(w, GMIME_MESSAGE_PART(obj), depth, mode);
    else if (GMIME_IS_PART(obj))
        walk_leaf(w, GMIME_PART(obj), depth, mode);
    else
        w->m->dropped++; /* no other kind of GMimeObject exists */
}

static const char *header(struct mail *m, const char *name)
{
    return g_mime_object_get_header(GMIME_OBJECT(m->msg), name);
}

/* The first word of a header value, lower case, in out. */
static void first_word(const char *v, char *out, size_t size)
{
    size_t o = 0;

    while (v && (*v == ' ' || *v == '\t'))
        v++;
    for (; v && *v && *v != ';' && *v != '(' && *v != ' ' && *v != '\t' &&
           *v != '\r' && *v != '\n' && o + 1 < size;
         v++)
        out[o++] = (char)tolower((unsigned char)*v);
    out[o] = '\0';
}

static bool empty_return_path(struct mail *m)
{
    const char *rp = header(m, "Return-Path");
    char squeezed[8];
    size_t o = 0;

    if (!rp)
        return false;
    for (; *rp && o + 1 < sizeof(squeezed); rp++)
        if (*rp != ' ' && *rp != '\t' && *rp != '\r' && *rp != '\n')
            squeezed[o++] = *rp;
    squeezed[o] = '\0';
    return !strcmp(squeezed, "<>");
}

/* From MAILER-DAEMON@ (with postmaster, too, when mailer is false). */
static bool from_daemon(struct mail *m, bool mailer)
{
    const char *at = m->from ? strchr(m->from, '@') : NULL;
    size_t n = at ? (size_t)(at - m->from) : 0;

    return (n == 13 && !strncasecmp(m->from, "mailer-daemon", 13)) ||
           (!mailer && n == 10 && !strncasecmp(m->from, "postmaster", 10));
}

/* Rule 2's text: "Message-ID: <...>" lines; the first SMTP reply. */
static void scan_bounce_text(struct mail *m)
{
    const char *p = m->body;
    bool code = false;

    while (*p) {
        const char *e = strchr(p, '\n'), *s = p;
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (s < p + n && (*s == ' ' || *s == '\t' || *s == '>'))
            s++;
        if ((size_t)(p + n - s) > 11 && !strncasecmp(s, "Message-ID:", 11)) {
            char *v = dk_xstrndup(s + 11, (size_t)(p + n - s - 11));
            if (strchr(v, '<'))
                add_reported(m, v);
            free(v);
        }
        for (const char *c = p; !code && c + 4 <= p + n; c++) {
            if ((c[0] == '4' || c[0] == '5') && isdigit((unsigned char)c[1]) &&
                isdigit((unsigned char)c[2]) && (c[3] == ' ' || c[3] == '-') &&
                (c == p || !isalnum((unsigned char)c[-1])) &&
                (c + 4 == p + n || isdigit((unsigned char)c[4]) ||
                 isalpha((unsigned char)c[4]) || c[4] == '<')) {
                m->report_text = dk_xstrndup(c, (size_t)(p + n - c));
                code = true;
            }
        }
        p = e ? e + 1 : p + n;
    }
}

/* An old-style bounce whose subject says the message is only late (it is
 * still being tried), in the languages the agency's schools use. */
static bool only_delayed(const char *subject)
{
    static const char *const words[] = {"delay",  "warning",  "forsink",
                                        "utsatt", "vertraag", "verzögert",
                                        "retard", NULL};

    for (int i = 0; subject && words[i]; i++)
        if (strcasestr(subject, words[i]))
            return true;
    return false;
}

static void set_auto(struct mail *m, enum mail_auto kind, char *why)
{
    m->automatic = kind;
    m->auto_why = why;
}

static void classify(struct mail *m, struct walk *w)
{
    /* Not "list": Google Groups and Mailman mark a school's team address
     * with it, and what a person writes through one is theirs. */
    static const char *const precedences[] = {"bulk", "junk", "auto_reply",
                                              NULL};
    char word[32];

    if (w->saw_report) {
        set_auto(m, MAIL_REPORT,
                 w->report_type ? dk_xasprintf("multipart/report; "
                                               "report-type=%s",
                                               w->report_type)
                                : dk_xstrdup("multipart/report"));
        if (w->rtext.len)
            m->report_text = dk_buf_steal(&w->rtext, NULL);
        return;
    }
    /* An old-style bounce quotes the message it is about; postmaster@ is
     * often a school's IT person asking for help, so only with such a
     * quote is theirs a report.  MAILER-DAEMON@ is never a person. */
    if (from_daemon(m, false) || empty_return_path(m)) {
        scan_bounce_text(m);
        add_reported(m, w->bounce_id);
        if (m->nreported > 0 || from_daemon(m, true)) {
            set_auto(m, MAIL_REPORT,
                     from_daemon(m, false)
                         ? dk_xasprintf("From: %s", m->from)
                         : dk_xstrdup("Return-Path: <> and a quoted "
                                      "Message-ID"));
            m->report_failed = !only_delayed(m->subject);
            return;
        }
    }
    for (size_t i = 0; i < m->nreported; i++)
        free(m->reported[i]);
    free(m->reported);
    m->reported = NULL;
    m->nreported = 0;
    free(m->report_text);
    m->report_text = NULL;

    first_word(header(m, "Auto-Submitted"), word, sizeof(word));
    if (word[0] && strcmp(word, "no")) {
        set_auto(m, MAIL_AUTO_REPLY, dk_xasprintf("Auto-Submitted: %s", word));
        return;
    }
    if (empty_return_path(m)) {
        set_auto(m, MAIL_AUTO_REPLY, dk_xstrdup("Return-Path: <>"));
        return;
    }
    first_word(header(m, "Precedence"), word, sizeof(word));
    for (const char *const *p = precedences; *p; p++)
        if (!strcmp(word, *p)) {
            set_auto(m, MAIL_AUTO_REPLY, dk_xasprintf("Precedence: %s", word));
            return;
        }
    for (const char *const *h =
             (const char *const[]){"X-Autoreply", "X-Autorespond", NULL};
         *h; h++) {
        const char *v = header(m, *h);
        if (v) {
            first_word(v, word, sizeof(word));
            if (strcmp(word, "no")) {
                set_auto(m, MAIL_AUTO_REPLY, dk_xasprintf("%s: %s", *h, word));
                return;
            }
        }
    }
}

/* The first <...> of a header value (In-Reply-To, References). */
static char *first_id(const char *v)
{
    const char *lt = v ? strchr(v, '<') : NULL, *gt;

    if (!lt || !(gt = strchr(lt, '>')))
        return NULL;
    return dk_xstrndup(lt, (size_t)(gt - lt + 1));
}

/*
 * Where the header ends early: the offset of the first line in the
 * header block that is neither a field ("Name:") nor a continuation, or
 * len when there is none.  A sender that forgot the blank line before
 * the body would otherwise lose its first line to GMime, which drops a
 * line it cannot read as a header; Python's email treats it as the body.
 * The mbox "From " line at the very start is left to GMime.
 */
static size_t header_end(const char *data, size_t len)
{
    size_t i = 0;

    if (len >= 5 && !strncmp(data, "From ", 5))
        while (i < len && data[i++] != '\n')
            ;
    while (i < len) {
        size_t j = i;
        if (data[i] == '\n' ||
            (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n'))
            return len; /* the blank line: all is well */
        if (data[i] != ' ' && data[i] != '\t') {
            while (j < len && data[j] > ' ' && data[j] < 0x7f && data[j] != ':')
                j++;
            while (j < len && (data[j] == ' ' || data[j] == '\t'))
                j++;
            if (j == i || j >= len || data[j] != ':')
                return i;
        }
        while (i < len && data[i] != '\n')
            i++;
        i++;
    }
    return len;
}

int mail_parse(struct mail *m, const char *data, size_t len)
{
    size_t cut;
    char *fixed = NULL;
    GMimeStream *stream;
    GMimeParser *parser;
    InternetAddressList *from;
    struct dk_buf body = DK_BUF_INIT(0);
    struct walk w;
    const char *id, *refs, *irt;

    if (!data) { /* GMime refuses a NULL buffer */
        data = "";
        len = 0;
    }
    cut = header_end(data, len);
    if (cut < len) {
        /* The blank line the sender forgot, so the body keeps its start. */
        fixed = dk_xmalloc(len + 1);
        memcpy(fixed, data, cut);
        fixed[cut] = '\n';
        memcpy(fixed + cut + 1, data + cut, len - cut);
        data = fixed;
        len++;
    }
    stream = g_mime_stream_mem_new_with_buffer(data, len);
    parser = g_mime_parser_new_with_stream(stream);
    memset(m, 0, sizeof(*m));
    m->msg = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    free(fixed);
    if (!m->msg)
        return -1;
    from = g_mime_message_get_from(m->msg);
    if (from && internet_address_list_length(from) > 0) {
        InternetAddress *ia = internet_address_list_get_address(from, 0);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            m->sender = ia;
            m->from =
                internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
        }
    }
    m->subject = g_mime_message_get_subject(m->msg);
    id = g_mime_message_get_message_id(m->msg);
    if (id && *id && strlen(id) < sizeof(m->message_id) - 2)
        snprintf(m->message_id, sizeof(m->message_id), "<%s>", id);
    irt = g_mime_object_get_header(GMIME_OBJECT(m->msg), "In-Reply-To");
    refs = g_mime_object_get_header(GMIME_OBJECT(m->msg), "References");
    /* The receiving MTA prepends its own, so the first is the one to
     * trust; any below it came with the message. */
    m->auth_results = g_mime_object_get_header(GMIME_OBJECT(m->msg),
                                               "Authentication-Results");
    m->in_reply_to = first_id(irt);
    m->references = dk_xasprintf("%s %s", refs ? refs : "", irt ? irt : "");

    memset(&w, 0, sizeof(w));
    w.m = m;
    w.body = &body;
    dk_buf_init(&w.rtext, 0);
    walk(&w, g_mime_message_get_mime_part(m->msg), 0, WALK_TEXT);
    if (w.rest) {
        GByteArray *rest =
            g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(w.rest));
        GByteArray *copy = g_byte_array_new();
        g_byte_array_append(copy, rest->data, rest->len);
        add_file(&w, dk_xstrdup("remaining-parts.mime"),
                 dk_xstrdup("application/octet-stream"), copy);
        g_object_unref(w.rest);
    }
    m->body = dk_buf_steal(&body, NULL);
    classify(m, &w);
    dk_buf_free(&w.rtext);
    free(w.report_type);
    free(w.bounce_id);
    return 0;
}

/* d is from_domain or a parent domain of it (and not a bare TLD). */
static bool aligned(const char *d, const char *from_domain)
{
    size_t dl = strlen(d), fl = strlen(from_domain);

    if (dl == 0 || !strchr(d, '.'))
        return false;
    if (dl == fl)
        return strcasecmp(d, from_domain) == 0;
    return dl < fl && from_domain[fl - dl - 1] == '.' &&
           strcasecmp(from_domain + fl - dl, d) == 0;
}

/* The domain of an address ("user@d" or "@d"), or the value itself. */
static const char *domain_of(const char *v)
{
    const char *at = strrchr(v, '@');
    return at ? at + 1 : v;
}

/* One resinfo ("dkim=pass header.d=example.com ..."), cut into words. */
static bool resinfo_pass(char *ri, const char *method, const char *from_domain)
{
    char *save = NULL, *w = strtok_r(ri, " \t\r\n", &save), *eq, *slash;
    bool dmarc = !strcasecmp(method, "dmarc");

    if (!w || !(eq = strchr(w, '=')))
        return false;
    *eq = '\0';
    if ((slash = strchr(w, '/')))
        *slash = '\0'; /* a method's version */
    if (strcasecmp(w, method) || strcasecmp(eq + 1, "pass"))
        return false;
    while ((w = strtok_r(NULL, " \t\r\n", &save))) {
        const char *v;
        if (!(eq = strchr(w, '=')))
            continue;
        *eq = '\0';
        v = eq + 1;
        if (!strcasecmp(method, "dkim") &&
            (!strcasecmp(w, "header.d") || !strcasecmp(w, "header.i")) &&
            aligned(domain_of(v), from_domain))
            return true;
        if (!strcasecmp(method, "spf") && !strcasecmp(w, "smtp.mailfrom") &&
            aligned(domain_of(v), from_domain))
            return true;
        if (dmarc && !strcasecmp(w, "header.from"))
            return aligned(domain_of(v), from_domain);
    }
    return dmarc; /* DMARC's pass is about the From domain already */
}

int mail_auth_pass(const char *ar, const char *method, const char *from)
{
    const char *from_domain;
    char *buf, *save = NULL, *ri;
    size_t o = 0;
    int depth = 0, pass = 0;
    bool quoted = false;

    if (!ar || !method || !from || !strchr(from, '@'))
        return 0;
    from_domain = domain_of(from);
    /* Comments and quotes out, and no spaces around '='. */
    buf = dk_xmalloc(strlen(ar) + 1);
    for (const char *p = ar; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            if (depth == 0)
                buf[o++] = *p;
        } else if (*p == '"' && depth == 0) {
            quoted = !quoted;
        } else if (*p == '(' && !quoted) {
            depth++;
        } else if (*p == ')' && !quoted && depth > 0) {
            if (--depth == 0)
                buf[o++] = ' ';
        } else if (depth > 0) {
            continue;
        } else if (*p == '=' && !quoted) {
            while (o && (buf[o - 1] == ' ' || buf[o - 1] == '\t' ||
                         buf[o - 1] == '\r' || buf[o - 1] == '\n'))
                o--;
            buf[o++] = '=';
            while (p[1] == ' ' || p[1] == '\t' || p[1] == '\r' || p[1] == '\n')
                p++;
        } else {
            buf[o++] = *p;
        }
    }
    buf[o] = '\0';
    /* The authserv-id first, then one result per ';'. */
    if (strtok_r(buf, ";", &save))
        while (!pass && (ri = strtok_r(NULL, ";", &save)))
            pass = resinfo_pass(ri, method, from_domain);
    free(buf);
    return pass;
}

void mail_free(struct mail *m)
{
    for (size_t i = 0; i < m->nfiles; i++) {
        free(m->files[i].name);
        free(m->files[i].type);
        g_byte_array_unref(m->files[i].data);
    }
    free(m->files);
    for (size_t i = 0; i < m->nreported; i++)
        free(m->reported[i]);
    free(m->reported);
    free(m->auto_why);
    free(m->report_text);
    free(m->in_reply_to);
    free(m->references);
    free(m->body);
    if (m->msg)
        g_object_unref(m->msg);
    memset(m, 0, sizeof(*m));
}
