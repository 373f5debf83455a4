/*
 * mailparse.c - parsing an incoming message with GMime: which part is the
 * text, which are attachments, and HTML turned into text.
 */
#include "mailparse.h"
#include "dk_mem.h"
#include "dk_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
char *mail_html_to_text(const char *h)
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

int mail_parse(struct mail *m, const char *data, size_t len)
{
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    InternetAddressList *from;
    struct found f = {NULL, NULL, NULL};
    const char *id, *refs, *irt;

    memset(m, 0, sizeof(*m));
    m->msg = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    if (!m->msg)
        return -1;
    f.attachments = g_ptr_array_new();
    g_mime_message_foreach(m->msg, collect, &f);
    m->attachments = f.attachments;
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
    m->body = f.text   ? unix_lines(dk_xstrdup(f.text))
              : f.html ? mail_html_to_text(f.html)
                       : dk_xstrdup("");
    g_free(f.text);
    g_free(f.html);
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
    if (m->attachments)
        g_ptr_array_free(m->attachments, TRUE);
    free(m->in_reply_to);
    free(m->references);
    free(m->body);
    if (m->msg)
        g_object_unref(m->msg);
    memset(m, 0, sizeof(*m));
}
