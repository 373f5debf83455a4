/*
 * dk_text.c - small validators shared by the config loader, docketctl and
 * the server's parameter checks.
 */
#include "dk_text.h"
#include "dk_err.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

bool dk_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        unsigned cp;

        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* Reject overlong forms, UTF-16 surrogates and beyond U+10FFFF. */
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        i += len;
    }
    return true;
}

bool dk_email_valid(const char *s)
{
    const char *at, *dot;
    size_t len = strlen(s);

    if (len == 0 || len > 254)
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' ||
            c == ';' || c == '"' || c == '(' || c == ')' || c == '\\')
            return false;
    }
    at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@'))
        return false;
    dot = strrchr(at + 1, '.');
    /* The domain needs a dot that neither starts nor ends it. */
    if (!dot || dot == at + 1 || dot[1] == '\0')
        return false;
    if (strstr(at + 1, ".."))
        return false;
    return true;
}

bool dk_username_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 32 || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

int dk_uint_parse(const char *s, unsigned long long max,
                  unsigned long long *out)
{
    unsigned long long v = 0;

    if (!s || !*s)
        return DK_EINVAL;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return DK_EINVAL;
        if (v > (ULLONG_MAX - (unsigned)(*p - '0')) / 10)
            return DK_ETOOBIG;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > max)
        return DK_ETOOBIG;
    *out = v;
    return 0;
}

int dk_duration_parse(const char *s, const char *units, long long *out)
{
    static const struct {
        char unit;
        long long seconds;
    } scale[] = {
        {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800},
    };
    char digits[24];
    size_t n = s ? strlen(s) : 0;
    long long mult = 1;
    unsigned long long v;

    if (n == 0)
        return DK_EINVAL;
    if (!isdigit((unsigned char)s[n - 1])) {
        const char *u = strchr(units, s[n - 1]);
        if (!u || s[n - 1] == '\0')
            return DK_EINVAL;
        mult = 0;
        for (size_t i = 0; i < sizeof(scale) / sizeof(scale[0]); i++)
            if (scale[i].unit == s[n - 1])
                mult = scale[i].seconds;
        if (!mult)
            return DK_EINVAL;
        n--;
    }
    if (n == 0 || n >= sizeof(digits))
        return DK_EINVAL;
    memcpy(digits, s, n);
    digits[n] = '\0';
    if (dk_uint_parse(digits, (unsigned long long)LLONG_MAX / mult, &v) < 0)
        return DK_EINVAL;
    *out = (long long)v * mult;
    return 0;
}

char *dk_trim(char *s)
{
    size_t n = strlen(s);
    size_t start = 0;

    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    while (start < n && isspace((unsigned char)s[start]))
        start++;
    if (start)
        memmove(s, s + start, n - start + 1);
    return s;
}
