/*
 * dk_mail.c - RFC 5322 message text for the outbox sender.
 */
#include "dk_mail.h"
#include "dk_buf.h"
#include "dk_mem.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x7f || (unsigned char)*s < 0x20)
            return false;
    return true;
}

char *dk_mail_encode_header(const char *value)
{
    struct dk_buf o = DK_BUF_INIT(0);
    size_t n = strlen(value), i = 0;

    if (plain_ascii(value))
        return dk_xstrdup(value);
    /* "=?UTF-8?B?" + base64 + "?=" <= 75 (RFC 2047); 39 bytes of text
     * make 64, so that a first word after "Subject: " keeps its line
     * within 78 characters (RFC 5322 section 2.1.1). */
    while (i < n) {
        size_t take = n - i > 39 ? 39 : n - i;
        char b64[64];
        /* Never split a UTF-8 sequence between words. */
        while (i + take < n && take > 0 &&
               ((unsigned char)value[i + take] & 0xc0) == 0x80)
            take--;
        sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)value + i,
                          take, sodium_base64_VARIANT_ORIGINAL);
        if (o.len)
            dk_buf_adds(&o, "\r\n "); /* folded: a space joins encoded words */
        dk_buf_adds(&o, "=?UTF-8?B?");
        dk_buf_adds(&o, b64);
        dk_buf_adds(&o, "?=");
        i += take;
    }
    return dk_buf_steal(&o, NULL);
}

char *dk_mail_address(const char *from, char *out, size_t size)
{
    const char *lt = strrchr(from, '<'), *gt;
    size_t n;

    if (lt && (gt = strchr(lt, '>'))) {
        n = (size_t)(gt - lt - 1);
        from = lt + 1;
    } else {
        n = strlen(from);
    }
    if (n == 0 || n >= size)
        return NULL;
    memcpy(out, from, n);
    out[n] = '\0';
    return out;
}

/* From: the display name encoded when it is not ASCII. */
static void put_from(struct dk_buf *o, const char *from)
{
    const char *lt = strrchr(from, '<');
    char *name, *enc;

    if (!lt || lt == from) {
        dk_buf_adds(o, from);
        return;
    }
    name = dk_xstrndup(from, (size_t)(lt - from));
    while (*name && name[strlen(name) - 1] == ' ')
        name[strlen(name) - 1] = '\0';
    enc = dk_mail_encode_header(name);
    dk_buf_adds(o, enc);
    dk_buf_adds(o, " ");
    dk_buf_adds(o, lt);
    free(enc);
    free(name);
}

/* A header value as it is, but never a line break: a CR or LF in a
 * value would end the header and start another. */
static void put_value(struct dk_buf *o, const char *v)
{
    for (const char *p = v; *p; p++)
        dk_buf_add(o, *p == '\r' || *p == '\n' ? " " : p, 1);
}

/* RFC 5322 section 3.2.3: what a display name may not hold unquoted. */
static bool has_specials(const char *s)
{
    return strpbrk(s, "()<>[]:;@\\,.\"") != NULL;
}

/* To: "name <addr>", the name encoded or quoted as it needs; the
 * address alone without a name. */
static void put_to(struct dk_buf *o, const char *addr, const char *name)
{
    const char *last;
    char *enc;

    if (!name || !*name) {
        put_value(o, addr);
        return;
    }
    if (!plain_ascii(name)) {
        enc = dk_mail_encode_header(name);
        dk_buf_adds(o, enc);
        /* A long name and address: the address on a line of its own
         * ("To: " or a fold's space before the name, " <", ">"). */
        last = strrchr(enc, '\n');
        if (strlen(last ? last : enc) + strlen(addr) + 7 > 78)
            dk_buf_adds(o, "\r\n");
        free(enc);
    } else if (has_specials(name)) {
        dk_buf_adds(o, "\"");
        for (const char *p = name; *p; p++) {
            if (*p == '"' || *p == '\\')
                dk_buf_adds(o, "\\");
            dk_buf_add(o, p, 1);
        }
        dk_buf_adds(o, "\"");
    } else {
        dk_buf_adds(o, name);
    }
    dk_buf_adds(o, " <");
    put_value(o, addr);
    dk_buf_adds(o, ">");
}

/* References: each id whole, lines folded before one that would pass 78
 * characters (an id longer than a line gets a line of its own). */
static void put_references(struct dk_buf *o, const char *refs)
{
    size_t line = strlen("References:");
    const char *p = refs;

    dk_buf_adds(o, "\r\nReferences:");
    while (*p) {
        size_t n;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        n = strcspn(p, " \t\r\n");
        if (n == 0)
            break;
        if (line > strlen("References:") && line + 1 + n > 78) {
            dk_buf_adds(o, "\r\n");
            line = 0;
        }
        dk_buf_adds(o, " ");
        dk_buf_add(o, p, n);
        line += 1 + n;
        p += n;
    }
}

char *dk_mail_id_domain(const char *configured, const char *from, char *out,
                        size_t size)
{
    char addr[256];
    const char *at, *d = "localhost";

    if (configured && *configured) {
        d = configured; /* checked when the configuration was read */
    } else if (from && dk_mail_address(from, addr, sizeof(addr)) &&
               (at = strrchr(addr, '@')) && at[1] &&
               strspn(at + 1, "abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
                   strlen(at + 1) &&
               at[1] != '.' && at[1] != '-' && strlen(at + 1) < size) {
        d = at + 1;
    }
    snprintf(out, size, "%s", d);
    return out;
}

char *dk_mail_compose(const struct dk_mail *m, size_t *len)
{
    struct dk_buf o = DK_BUF_INIT(0);
    char date[64], *subject;
    struct tm tm;
    size_t n = strlen(m->body), b64len;
    char *b64;
    const char *refs;

    gmtime_r(&m->date, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    dk_buf_adds(&o, "From: ");
    put_from(&o, m->from);
    dk_buf_adds(&o, "\r\nTo: ");
    put_to(&o, m->to, m->to_name);
    subject = dk_mail_encode_header(m->subject);
    dk_buf_adds(&o, "\r\nSubject: ");
    dk_buf_adds(&o, subject); /* a CR or LF would have made it encoded */
    free(subject);
    dk_buf_adds(&o, "\r\nDate: ");
    dk_buf_adds(&o, date);
    dk_buf_adds(&o, "\r\nMessage-ID: ");
    put_value(&o, m->message_id);
    if (m->in_reply_to && *m->in_reply_to) {
        dk_buf_adds(&o, "\r\nIn-Reply-To: ");
        put_value(&o, m->in_reply_to);
    }
    /* Both, so that every mail program threads the conversation: the
     * chain when there is one, else the parent alone. */
    refs = m->references && *m->references ? m->references : m->in_reply_to;
    if (refs && *refs)
        put_references(&o, refs);
    dk_buf_adds(&o, "\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=UTF-8\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n");
    b64len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    b64 = dk_xmalloc(b64len);
    sodium_bin2base64(b64, b64len, (const unsigned char *)m->body, n,
                      sodium_base64_VARIANT_ORIGINAL);
    /* Lines of 76, as MIME asks. */
    for (size_t i = 0, total = strlen(b64); i < total; i += 76) {
        dk_buf_add(&o, b64 + i, total - i > 76 ? 76 : total - i);
        dk_buf_adds(&o, "\r\n");
    }
    free(b64);
    /* Mail text is built from bounded pieces (an outbox row): the
     * buffer needs no bound of its own. */
    return dk_buf_steal(&o, len);
}
