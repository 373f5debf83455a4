/*
 * html.c - escaping for HTML text, attributes and URL pieces (html.h).
 * Writes never fail halfway: the page buffer has no bound, and dk_buf
 * reports only running out of memory, which dk_xmalloc treats as fatal
 * elsewhere too, so the results are not checked here.
 */
#include "html.h"
#include "dk_buf.h"

#include <stdio.h>
#include <string.h>

void html_raw(struct dk_buf *b, const char *s)
{
    (void)dk_buf_adds(b, s);
}

/* The reference for ch, or NULL when it is written as it is. */
static const char *escape(unsigned char ch, bool attr)
{
    switch (ch) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    case '\n':
        return attr ? "&#10;" : NULL;
    case '\r':
        return attr ? "&#13;" : NULL;
    case '\t':
        return attr ? "&#9;" : NULL;
    default:
        return NULL;
    }
}

static void escaped(struct dk_buf *b, const char *s, size_t n, bool attr)
{
    size_t start = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *ref = escape(ch, attr);
        /* Other control characters are not allowed in HTML at all (and
         * tidy says so): they are dropped from what is shown. */
        bool drop = !ref && ch < 0x20 && ch != '\n' && ch != '\t';
        drop = drop || ch == 0x7f;
        if (!ref && !drop)
            continue;
        (void)dk_buf_add(b, s + start, i - start);
        if (ref)
            (void)dk_buf_adds(b, ref);
        start = i + 1;
    }
    (void)dk_buf_add(b, s + start, n - start);
}

void html_txt(struct dk_buf *b, const char *s)
{
    if (s)
        escaped(b, s, strlen(s), false);
}

void html_txt_n(struct dk_buf *b, const char *s, size_t n)
{
    if (s)
        escaped(b, s, n, false);
}

void html_attr(struct dk_buf *b, const char *s)
{
    if (s)
        escaped(b, s, strlen(s), true);
}

void html_url_arg(struct dk_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
         p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
            *p == '~') {
            (void)dk_buf_addc(b, (char)*p);
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            (void)dk_buf_add(b, enc, 3);
        }
    }
}

void html_printf(struct dk_buf *b, const char *fmt, ...)
{
    va_list ap;
    const char *p = fmt;

    va_start(ap, fmt);
    while (*p) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            html_raw(b, p);
            break;
        }
        (void)dk_buf_add(b, p, (size_t)(pct - p));
        p = pct + 1;
        if (*p == 's') {
            html_txt(b, va_arg(ap, const char *));
            p++;
        } else if (*p == 'd') {
            (void)dk_buf_printf(b, "%d", va_arg(ap, int));
            p++;
        } else if (!strncmp(p, "lld", 3)) {
            (void)dk_buf_printf(b, "%lld", va_arg(ap, long long));
            p += 3;
        } else if (!strncmp(p, "zu", 2)) {
            (void)dk_buf_printf(b, "%zu", va_arg(ap, size_t));
            p += 2;
        } else if (*p == '%') {
            (void)dk_buf_addc(b, '%');
            p++;
        } else {
            /* Not one of ours: a bug in the format; show it, harmlessly. */
            (void)dk_buf_addc(b, '%');
        }
    }
    va_end(ap);
}
