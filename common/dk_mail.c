/*
 * dk_mail.c - RFC 5322 message text for the outbox sender.
 */
#include "dk_mail.h"
#include "dk_mem.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
    char *s;
    size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->s = dk_xrealloc(o->s, o->cap);
    }
    memcpy(o->s + o->len, s, n);
    o->len += n;
    o->s[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static bool plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x7f || (unsigned char)*s < 0x20)
            return false;
    return true;
}

char *dk_mail_encode_header(const char *value)
{
    struct out o = {0};
    size_t n = strlen(value), i = 0;

    if (plain_ascii(value))
        return dk_xstrdup(value);
    /* "=?UTF-8?B?" + base64 + "?=" <= 75: 45 bytes of text per word. */
    while (i < n) {
        size_t take = n - i > 45 ? 45 : n - i;
        char b64[64];
        /* Never split a UTF-8 sequence between words. */
        while (i + take < n && take > 0 &&
               ((unsigned char)value[i + take] & 0xc0) == 0x80)
            take--;
        sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)value + i,
                          take, sodium_base64_VARIANT_ORIGINAL);
        if (o.len)
            puts_(&o, "\r\n "); /* folded: a space joins encoded words */
        puts_(&o, "=?UTF-8?B?");
        puts_(&o, b64);
        puts_(&o, "?=");
        i += take;
    }
    return o.s ? o.s : dk_xstrdup("");
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
static void put_from(struct out *o, const char *from)
{
    const char *lt = strrchr(from, '<');
    char *name, *enc;

    if (!lt || lt == from) {
        puts_(o, from);
        return;
    }
    name = dk_xstrndup(from, (size_t)(lt - from));
    while (*name && name[strlen(name) - 1] == ' ')
        name[strlen(name) - 1] = '\0';
    enc = dk_mail_encode_header(name);
    puts_(o, enc);
    puts_(o, " ");
    puts_(o, lt);
    free(enc);
    free(name);
}

char *dk_mail_compose(const struct dk_mail *m, size_t *len)
{
    struct out o = {0};
    char date[64], *subject;
    struct tm tm;
    size_t n = strlen(m->body), b64len;
    char *b64;

    gmtime_r(&m->date, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    puts_(&o, "From: ");
    put_from(&o, m->from);
    puts_(&o, "\r\nTo: ");
    puts_(&o, m->to);
    subject = dk_mail_encode_header(m->subject);
    puts_(&o, "\r\nSubject: ");
    puts_(&o, subject);
    free(subject);
    puts_(&o, "\r\nDate: ");
    puts_(&o, date);
    puts_(&o, "\r\nMessage-ID: ");
    puts_(&o, m->message_id);
    if (m->in_reply_to && *m->in_reply_to) {
        /* Both, so that every mail program threads the conversation. */
        puts_(&o, "\r\nIn-Reply-To: ");
        puts_(&o, m->in_reply_to);
        puts_(&o, "\r\nReferences: ");
        puts_(&o, m->in_reply_to);
    }
    puts_(&o, "\r\nMIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=UTF-8\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\n");
    b64len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    b64 = dk_xmalloc(b64len);
    sodium_bin2base64(b64, b64len, (const unsigned char *)m->body, n,
                      sodium_base64_VARIANT_ORIGINAL);
    /* Lines of 76, as MIME asks. */
    for (size_t i = 0, total = strlen(b64); i < total; i += 76) {
        put(&o, b64 + i, total - i > 76 ? 76 : total - i);
        puts_(&o, "\r\n");
    }
    free(b64);
    *len = o.len;
    return o.s;
}
