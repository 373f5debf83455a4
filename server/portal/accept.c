/*
 * accept.c - Accept-Language, read for the portal's language (accept.h).
 * A header is at most the HTTP layer's 16 KiB, and hostile: every step
 * moves forward, nothing is searched past the entry it belongs to, and a
 * tag or a q value is read into a bounded buffer.
 */
#include "accept.h"
#include "dk_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int accept_offered(const char *tag, const struct dk_strlist *offered)
{
    if (!tag)
        return -1;
    for (size_t i = 0; i < offered->n; i++)
        if (!strcmp(offered->v[i], tag))
            for (int lang = 0; lang < DK_LANG_COUNT; lang++)
                if (!strcmp(dk_languages[lang], tag))
                    return lang;
    return -1;
}

/* The q of one entry's parameters p[0..len) (";q=0.8"): 1 when there is
 * none, 0 when it is not a number from 0 to 1. */
static double q_of(const char *p, size_t len)
{
    char num[16];
    double q;
    char *end;

    for (size_t i = 0; i + 1 < len; i++) {
        if ((p[i] != 'q' && p[i] != 'Q') || p[i + 1] != '=')
            continue;
        size_t n = strcspn(p + i + 2, ";,");
        if (n > len - i - 2)
            n = len - i - 2;
        if (n == 0 || n >= sizeof(num))
            return 0;
        memcpy(num, p + i + 2, n);
        num[n] = '\0';
        /* RFC 9110's qvalue: 0, 1, or 0.ddd; strtod alone would take
         * "nan", "inf" and hex. */
        if (strspn(num, "0123456789. \t") != n)
            return 0;
        q = strtod(num, &end);
        return q >= 0 && q <= 1 ? q : 0;
    }
    return 1;
}

int accept_language_pick(const char *h, const struct dk_strlist *offered,
                         int fallback)
{
    int best = fallback, lang;
    double best_q = 0, q;
    char tag[16];
    size_t n, entry;

    while (h && *h) {
        h += strspn(h, " \t,");
        if (!*h)
            break;
        entry = strcspn(h, ",");
        n = strcspn(h, "-_;, \t");
        if (n > entry)
            n = entry;
        snprintf(tag, sizeof(tag), "%.*s", (int)(n < 15 ? n : 15), h);
        for (char *c = tag; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        q = q_of(h + n, entry - n);
        /* "no" (Norwegian) and "nn" (Nynorsk) readers read Bokmål. */
        if (!strcmp(tag, "no") || !strcmp(tag, "nn"))
            snprintf(tag, sizeof(tag), "nb");
        lang = accept_offered(tag, offered);
        if (lang >= 0 && q > best_q) {
            best = lang;
            best_q = q;
        }
        h += entry;
    }
    return best;
}
