/*
 * dk_jsonw.c - JSON strings written into a dk_buf (RFC 8259, section 7).
 */
#include "dk_jsonw.h"

#include <stdio.h>

/* The short escapes JSON has; every other control character is \u00XX. */
static char short_escape(unsigned char ch)
{
    switch (ch) {
    case '"':
        return '"';
    case '\\':
        return '\\';
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    default:
        return 0;
    }
}

bool dk_jsonw_string(struct dk_buf *b, const char *s, size_t len)
{
    size_t start = b->len, run = 0;

    if (!dk_buf_addc(b, '"'))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[7];
        size_t n;

        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        /* Copy the plain bytes before this one in one go. */
        if (!dk_buf_add(b, s + run, i - run))
            goto full;
        run = i + 1;
        if (short_escape(ch)) {
            esc[0] = '\\';
            esc[1] = short_escape(ch);
            n = 2;
        } else {
            n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", ch);
        }
        if (!dk_buf_add(b, esc, n))
            goto full;
    }
    if (dk_buf_add(b, s + run, len - run) && dk_buf_addc(b, '"'))
        return true;
full:
    dk_buf_truncate(b, start);
    return false;
}
