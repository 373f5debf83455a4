/*
 * cmd_mailin.c - docketctl mail-in: one RFC 5322 message on stdin, as an
 * MTA pipe delivers it (Postfix pipe, procmail, fetchmail's mda), parsed
 * with GMime.  A reply joins its ticket (found by "[#ID]" in the subject,
 * or by In-Reply-To/References naming a message of ours); anything else
 * from a known contact is a new ticket.  Attachments are kept.  One
 * transaction per message; the exit status follows sysexits(3), so that
 * the MTA bounces (65, 67, 77) or retries (75) correctly.  A message
 * delivered twice (an MTA's retry) is recognised by its Message-ID.
 */
#include "ctl.h"
#include "dk_mem.h"
#include "dk_text.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    EX_OK_ = 0,
    EX_DATAERR_ = 65,  /* not a message we can read */
    EX_NOUSER_ = 67,   /* unknown sender */
    EX_SOFTWARE_ = 70, /* our fault */
    EX_TEMPFAIL_ = 75, /* try again later */
    EX_NOPERM_ = 77,   /* not allowed (a reply from someone else) */
};

#define MAIL_MAX (25u * 1024 * 1024)

struct found {
    char *text; /* owned (g_free): the first text/plain part */
    char *html; /* owned (g_free): the first text/html part, as a fallback */
    GPtrArray *attachments; /* GMimePart, borrowed from the message */
};

static void collect(GMimeObject *parent, GMimeObject *part, gpointer arg)
{
    struct found *f = arg;
    GMimeContentType *ct;

    if (!GMIME_IS_PART(part))
        return;
    if (g_mime_part_is_attachment(GMIME_PART(part))) {
        g_ptr_array_add(f->attachments, part);
        return;
    }
    ct = g_mime_object_get_content_type(part);
    if (!GMIME_IS_TEXT_PART(part))
        return;
    /* g_mime_text_part_get_text() converts any charset to UTF-8. */
    if (g_mime_content_type_is_type(ct, "text", "plain") && !f->text)
        f->text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
    else if (g_mime_content_type_is_type(ct, "text", "html") && !f->html)
        f->html = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
}

static const struct {
    const char *name, *utf8;
} entities[] = {
    {"amp", "&"},    {"lt", "<"},     {"gt", ">"},     {"quot", "\""},
    {"apos", "'"},   {"nbsp", " "},   {"aring", "å"},  {"Aring", "Å"},
    {"oslash", "ø"}, {"Oslash", "Ø"}, {"aelig", "æ"},  {"AElig", "Æ"},
    {"auml", "ä"},   {"Auml", "Ä"},   {"ouml", "ö"},   {"Ouml", "Ö"},
    {"uuml", "ü"},   {"Uuml", "Ü"},   {"euml", "ë"},   {"iuml", "ï"},
    {"eacute", "é"}, {"Eacute", "É"}, {"egrave", "è"}, {"agrave", "à"},
    {"ccedil", "ç"}, {"szlig", "ß"},  {"ndash", "–"},  {"mdash", "—"},
    {"hellip", "…"}, {"lsquo", "‘"},  {"rsquo", "’"},  {"ldquo", "“"},
    {"rdquo", "”"},  {"euro", "€"},   {"copy", "©"},   {"laquo", "«"},
    {"raquo", "»"},
};

/* One entity at h ("&...;") into out; returns bytes of input used, or 0. */
static size_t entity(const char *h, char *out, size_t *o)
{
    const char *semi = strchr(h, ';');
    size_t len = semi ? (size_t)(semi - h) + 1 : 0;

    if (!semi || len > 12)
        return 0;
    if (h[1] == '#') {
        unsigned long cp = h[2] == 'x' || h[2] == 'X'
                               ? strtoul(h + 3, NULL, 16)
                               : strtoul(h + 2, NULL, 10);
        if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        if (cp < 0x80) {
            out[(*o)++] = (char)cp;
        } else if (cp < 0x800) {
            out[(*o)++] = (char)(0xc0 | (cp >> 6));
            out[(*o)++] = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out[(*o)++] = (char)(0xe0 | (cp >> 12));
            out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            out[(*o)++] = (char)(0x80 | (cp & 0x3f));
        } else {
            out[(*o)++] = (char)(0xf0 | (cp >> 18));
            out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
            out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            out[(*o)++] = (char)(0x80 | (cp & 0x3f));
        }
        return len;
    }
    for (size_t k = 0; k < sizeof(entities) / sizeof(*entities); k++) {
        size_t n = strlen(entities[k].name);
        if (n == len - 2 && strncmp(h + 1, entities[k].name, n) == 0) {
            memcpy(out + *o, entities[k].utf8, strlen(entities[k].utf8));
            *o += strlen(entities[k].utf8);
            return len;
        }
    }
    return 0;
}

/* HTML-only mail as readable text: tags dropped (style and script with
 * their content), blocks on their own lines, entities decoded. */
static char *html_to_text(const char *h)
{
    size_t n = strlen(h), o = 0;
    /* An entity never grows: "&#x10000;" (9) becomes 4 bytes at most. */
    char *out = dk_xmalloc(n + 1);
    bool in_tag = false, skip = false;

    for (size_t i = 0; i < n; i++) {
        size_t used;
        if (in_tag) {
            if (h[i] == '>')
                in_tag = false;
            continue;
        }
        if (h[i] == '<') {
            if (!strncasecmp(h + i, "<br", 3) ||
                !strncasecmp(h + i, "</p", 3) ||
                !strncasecmp(h + i, "</div", 5) ||
                !strncasecmp(h + i, "</li", 4) ||
                !strncasecmp(h + i, "</tr", 4))
                if (o && out[o - 1] != '\n')
                    out[o++] = '\n';
            if (!strncasecmp(h + i, "<style", 6) ||
                !strncasecmp(h + i, "<script", 7))
                skip = true;
            if (!strncasecmp(h + i, "</style", 7) ||
                !strncasecmp(h + i, "</script", 8))
                skip = false;
            in_tag = true;
            continue;
        }
        if (skip || h[i] == '\r')
            continue;
        if (h[i] == '&' && (used = entity(h + i, out, &o)) > 0) {
            i += used - 1;
            continue;
        }
        if (h[i] == '\n' && o && out[o - 1] == '\n')
            continue;
        out[o++] = h[i];
    }
    out[o] = '\0';
    return dk_trim(out);
}

/* Mail lines end in CRLF; the conversation's in LF. */
static char *unix_lines(char *s)
{
    size_t o = 0;

    for (size_t i = 0; s[i]; i++)
        if (s[i] != '\r' || s[i + 1] != '\n')
            s[o++] = s[i];
    s[o] = '\0';
    return dk_trim(s);
}

/* The first <...> of a header value (In-Reply-To, References). */
static char *first_id(const char *v)
{
    const char *lt = v ? strchr(v, '<') : NULL, *gt;

    if (!lt || !(gt = strchr(lt, '>')))
        return NULL;
    return dk_xstrndup(lt, (size_t)(gt - lt + 1));
}

/* Every <...> of a header value, last first (the parent comes last). */
static int find_by_ids(struct ctl *c, const char *v, char *ticket)
{
    char *ids[64];
    int n = 0;
    const char *p = v;

    while (p && n < 64) {
        const char *lt = strchr(p, '<'), *gt;
        if (!lt || !(gt = strchr(lt, '>')))
            break;
        ids[n++] = dk_xstrndup(lt, (size_t)(gt - lt + 1));
        p = gt + 1;
    }
    for (int i = n - 1; i >= 0 && !ticket[0]; i--) {
        const char *params[1] = {ids[i]};
        PGresult *res = ctl_exec(c,
                                 "SELECT ticket_id FROM message "
                                 "WHERE message_id = $1 "
                                 "UNION ALL SELECT ticket_id FROM outbox "
                                 "WHERE message_id = $1 AND ticket_id IS NOT "
                                 "NULL LIMIT 1",
                                 1, params, NULL, NULL);
        if (res && PQntuples(res))
            snprintf(ticket, 24, "%s", PQgetvalue(res, 0, 0));
        if (res)
            PQclear(res);
    }
    for (int i = 0; i < n; i++)
        free(ids[i]);
    return 0;
}

static int store_attachments(struct ctl *c, GPtrArray *parts,
                             const char *ticket, const char *message)
{
    for (guint i = 0; i < parts->len; i++) {
        GMimePart *part = g_ptr_array_index(parts, i);
        GMimeStream *mem = g_mime_stream_mem_new();
        GMimeDataWrapper *dw = g_mime_part_get_content(part);
        GByteArray *bytes;
        char *type, *hex, size[24];
        const char *name = g_mime_part_get_filename(part);
        const char *params[5];
        PGresult *res;

        if (dw)
            g_mime_data_wrapper_write_to_stream(dw, mem);
        bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
        type = g_mime_content_type_get_mime_type(
            g_mime_object_get_content_type(GMIME_OBJECT(part)));
        hex = dk_xmalloc(bytes->len * 2 + 1);
        sodium_bin2hex(hex, bytes->len * 2 + 1, bytes->data, bytes->len);
        snprintf(size, sizeof(size), "%u", bytes->len);
        params[0] = ticket;
        params[1] = message;
        /* A file name is a name, not a path: keep its last part. */
        params[2] = name && *name
                        ? (strrchr(name, '/') ? strrchr(name, '/') + 1 : name)
                        : "attachment";
        params[3] = type;
        params[4] = hex;
        res = ctl_exec(c,
                       "INSERT INTO attachment (ticket_id, message_id, "
                       "filename, content_type, size, sha256, content) "
                       "SELECT $1::bigint, $2::bigint, "
                       "left(translate($3, E'\\\\/', '__'), 255), "
                       "lower($4), length(b), sha256(b), b "
                       "FROM decode($5, 'hex') AS b",
                       5, params, NULL, NULL);
        free(hex);
        g_free(type);
        g_object_unref(mem);
        if (!res)
            return 1;
        PQclear(res);
    }
    return 0;
}

static int deliver(struct ctl *c, GMimeMessage *msg, struct found *f)
{
    InternetAddressList *from = g_mime_message_get_from(msg);
    InternetAddress *ia = from && internet_address_list_length(from)
                              ? internet_address_list_get_address(from, 0)
                              : NULL;
    const char *addr, *subject = g_mime_message_get_subject(msg);
    const char *mid = g_mime_message_get_message_id(msg);
    const char *name, *params[6];
    char *body, msgid[512], ticket[24] = "", contact[24], *irt;
    char *refs = NULL;
    PGresult *res;
    int rc = EX_SOFTWARE_;

    if (!ia || !INTERNET_ADDRESS_IS_MAILBOX(ia) ||
        !(addr = internet_address_mailbox_get_addr(
              INTERNET_ADDRESS_MAILBOX(ia))) ||
        !dk_email_valid(addr)) {
        ctl_fail(c, "the message has no sender address");
        return EX_DATAERR_;
    }
    body = f->text   ? unix_lines(dk_xstrdup(f->text))
           : f->html ? html_to_text(f->html)
                     : dk_xstrdup("");
    if (!dk_utf8_valid(body, strlen(body))) {
        free(body);
        ctl_fail(c, "the message's text is not readable");
        return EX_DATAERR_;
    }
    if (mid && *mid)
        snprintf(msgid, sizeof(msgid), "<%s>", mid);
    else
        msgid[0] = '\0';
    irt = first_id(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To"));
    if (ctl_begin(c)) {
        free(body);
        free(irt);
        return EX_TEMPFAIL_;
    }
    /* Delivered before (an MTA retrying)?  Then done. */
    if (msgid[0]) {
        params[0] = msgid;
        res = ctl_exec(c, "SELECT 1 FROM message WHERE message_id = $1", 1,
                       params, NULL, NULL);
        if (res && PQntuples(res)) {
            PQclear(res);
            ctl_rollback(c);
            printf("already delivered: %s\n", msgid);
            free(body);
            free(irt);
            return EX_OK_;
        }
        if (res)
            PQclear(res);
    }
    params[0] = addr;
    res = ctl_exec(c, "SELECT id FROM contact WHERE lower(email) = lower($1)",
                   1, params, NULL, NULL);
    if (!res)
        goto fail;
    if (PQntuples(res) == 0) {
        PQclear(res);
        if (c->cfg.mail.unknown_senders != DK_SENDERS_CREATE) {
            ctl_fail(c, "%s is not a contact (mail.unknown_senders: reject)",
                     addr);
            rc = EX_NOUSER_;
            goto fail;
        }
        name = internet_address_get_name(ia);
        params[1] = name && *name ? name : addr;
        res = ctl_exec(c,
                       "INSERT INTO contact (email, first_name) "
                       "VALUES ($1, left($2, 100)) RETURNING id",
                       2, params, NULL, NULL);
        if (!res)
            goto fail;
    }
    snprintf(contact, sizeof(contact), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);

    /* Which ticket: [#ID] in the subject, else the thread's ids. */
    if (subject) {
        const char *p = strstr(subject, "[#");
        if (p && isdigit((unsigned char)p[2])) {
            params[0] = p + 2;
            res = ctl_exec(c,
                           "SELECT id FROM ticket WHERE id = "
                           "substring($1 from '^([0-9]{1,15})\\]')::bigint",
                           1, params, NULL, NULL);
            if (res && PQntuples(res))
                snprintf(ticket, sizeof(ticket), "%s", PQgetvalue(res, 0, 0));
            if (res)
                PQclear(res);
        }
    }
    if (!ticket[0]) {
        const char *r =
            g_mime_object_get_header(GMIME_OBJECT(msg), "References");
        refs = dk_xasprintf("%s %s", r ? r : "", irt ? irt : "");
        find_by_ids(c, refs, ticket);
    }
    if (ticket[0]) {
        char state[6];
        params[0] = ticket;
        params[1] = contact;
        params[2] = body;
        params[3] = msgid[0] ? msgid : NULL;
        params[4] = irt;
        res = ctl_exec(c, "SELECT message_receive($1, $2, $3, $4, $5)", 5,
                       params, state, NULL);
        if (!res) {
            if (!strcmp(state, "DK403")) {
                ctl_fail(c, "%s may not add to ticket %s", addr, ticket);
                rc = EX_NOPERM_;
            } else {
                ctl_fail(c, "could not add to ticket %s (SQLSTATE %s)", ticket,
                         state);
            }
            goto fail;
        }
        printf("reply added to ticket %s\n", ticket);
    } else {
        params[0] = contact;
        params[1] = subject && *subject ? subject : "(no subject)";
        params[2] = body;
        params[3] = msgid[0] ? msgid : NULL;
        res = ctl_exec(c,
                       "WITH t AS (SELECT (ticket_create($1::bigint, "
                       "  left($2, 300), left($3, 100000), 'medium', 'email', "
                       "  NULL)->>'id')::bigint AS id), "
                       "m AS (INSERT INTO message (ticket_id, direction, "
                       "  author_contact_id, body, message_id) "
                       "  SELECT t.id, 'in', $1::bigint, $3, $4 FROM t "
                       "  RETURNING ticket_id, id) "
                       "SELECT ticket_id, id, pg_notify('docket_wake', '') "
                       "FROM m",
                       4, params, NULL, NULL);
        if (!res)
            goto fail;
        snprintf(ticket, sizeof(ticket), "%s", PQgetvalue(res, 0, 0));
        printf("new ticket %s\n", ticket);
    }
    {
        /* The message row the attachments belong to. */
        const char *p2[1] = {ticket};
        PGresult *m = ctl_exec(c,
                               "SELECT max(id) FROM message "
                               "WHERE ticket_id = $1::bigint AND "
                               "direction = 'in'",
                               1, p2, NULL, NULL);
        if (!m ||
            store_attachments(c, f->attachments, ticket, PQgetvalue(m, 0, 0))) {
            if (m)
                PQclear(m);
            PQclear(res);
            goto fail;
        }
        PQclear(m);
    }
    PQclear(res);
    free(body);
    free(irt);
    free(refs);
    return ctl_commit(c) ? EX_TEMPFAIL_ : EX_OK_;
fail:
    ctl_rollback(c);
    free(body);
    free(irt);
    free(refs);
    return rc;
}

int ctl_mail_in(struct ctl *c, int argc, char **argv)
{
    struct found f = {NULL, NULL, NULL};
    GMimeStream *stream;
    GMimeParser *parser;
    GMimeMessage *msg;
    char *data, *pos[1];
    size_t len = 0, cap = 65536, n;
    int rc;

    if (ctl_getopt(c, argc, argv, argv[0], NULL, pos, 0, NULL, NULL) < 0)
        return EX_DATAERR_;
    data = dk_xmalloc(cap);
    while ((n = fread(data + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len > MAIL_MAX) {
            free(data);
            ctl_fail(c, "message larger than %u bytes", MAIL_MAX);
            return EX_DATAERR_;
        }
        if (len == cap)
            data = dk_xrealloc(data, cap *= 2);
    }
    /* No database: the MTA should keep the message and try later. */
    if (!ctl_db(c)) {
        free(data);
        return EX_TEMPFAIL_;
    }
    g_mime_init();
    stream = g_mime_stream_mem_new_with_buffer(data, len);
    parser = g_mime_parser_new_with_stream(stream);
    msg = g_mime_parser_construct_message(parser, NULL);
    if (!msg) {
        ctl_fail(c, "standard input is not an RFC 5322 message");
        rc = EX_DATAERR_;
    } else {
        f.attachments = g_ptr_array_new();
        g_mime_message_foreach(msg, collect, &f);
        rc = deliver(c, msg, &f);
        g_ptr_array_free(f.attachments, TRUE);
        g_free(f.text);
        g_free(f.html);
        g_object_unref(msg);
    }
    g_object_unref(parser);
    g_object_unref(stream);
    g_mime_shutdown();
    free(data);
    return rc;
}
