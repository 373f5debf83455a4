/*
 * text.c - terminal text measurement.  Decodes UTF-8 with mbrtowc in the
 * C library's current locale (docket sets a UTF-8 one) and asks wcwidth
 * for columns.
 */
#include "text.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

/* One character at s: its byte length (>= 1) and columns. */
static size_t next_char(const char *s, size_t n, int *cols, int *ctrl)
{
    mbstate_t st;
    wchar_t wc;
    size_t len;
    int w;

    memset(&st, 0, sizeof(st));
    len = mbrtowc(&wc, s, n, &st);
    *ctrl = 0;
    if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
        *cols = 1;
        *ctrl = 1;
        return 1;
    }
    w = wcwidth(wc);
    if (w < 0) {
        *cols = 1;
        *ctrl = 1;
    } else {
        *cols = w;
    }
    return len;
}

int text_width(const char *s)
{
    size_t n = strlen(s), i = 0;
    int total = 0, cols, ctrl;

    while (i < n) {
        i += next_char(s + i, n - i, &cols, &ctrl);
        total += cols;
    }
    return total;
}

char *text_tail(char *out, size_t size, const char *s, int cols)
{
    const char *t = s;

    if (text_width(s) <= cols) {
        snprintf(out, size, "%s", s);
        return out;
    }
    if (cols < 2) {
        snprintf(out, size, "%s", cols == 1 ? "…" : "");
        return out;
    }
    /* Drop whole characters from the start until the rest and the "…"
     * fit. */
    while (*t && text_width(t) > cols - 1) {
        t++;
        while (((unsigned char)*t & 0xc0) == 0x80)
            t++;
    }
    snprintf(out, size, "…%s", t);
    return out;
}

char *text_fit(char *out, size_t size, const char *s, int cols, int pad)
{
    size_t n = strlen(s), i = 0, o = 0;
    int used = 0, w, ctrl;
    int total = text_width(s);
    int room = total > cols ? cols - 1 : cols; /* leave one for "…" */

    if (size == 0)
        return out;
    while (i < n) {
        size_t len = next_char(s + i, n - i, &w, &ctrl);
        if (used + w > room || o + len + 4 >= size)
            break;
        if (ctrl)
            out[o++] = ' ';
        else
            memcpy(out + o, s + i, len), o += len;
        used += w;
        i += len;
    }
    if (i < n && cols > 0 && o + 4 < size) {
        memcpy(out + o, "\xe2\x80\xa6", 3); /* … */
        o += 3;
        used++;
    }
    while (pad && used < cols && o + 1 < size) {
        out[o++] = ' ';
        used++;
    }
    out[o] = '\0';
    return out;
}

int text_wrap(const char *s, int cols,
              void (*line)(void *arg, const char *text, size_t len), void *arg)
{
    int lines = 0;

    if (cols < 1)
        cols = 1;
    while (1) {
        size_t n = strcspn(s, "\n"), i = 0, brk = 0;
        int used = 0, w, ctrl, have_brk = 0;
        /* One paragraph: emit lines until it is used up. */
        while (1) {
            size_t start = i;
            used = 0;
            have_brk = 0;
            while (i < n) {
                size_t len = next_char(s + i, n - i, &w, &ctrl);
                if (used + w > cols && i > start)
                    break;
                if (s[i] == ' ') {
                    brk = i;
                    have_brk = 1;
                }
                used += w;
                i += len;
            }
            if (i < n && have_brk && brk > start) {
                line(arg, s + start, brk - start);
                i = brk + 1;
            } else {
                line(arg, s + start, i - start);
            }
            lines++;
            while (i < n && s[i] == ' ' && i > start)
                i++;
            if (i >= n)
                break;
        }
        if (s[n] != '\n')
            break;
        s += n + 1;
    }
    return lines;
}

long text_time(const char *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long)timegm(&tm);
}

const char *text_age(char *out, size_t size, const char *t, long now)
{
    long at = text_time(t), d;

    if (at < 0) {
        snprintf(out, size, "-");
        return out;
    }
    d = now - at;
    if (d < 0)
        d = -d;
    if (d < 3600)
        snprintf(out, size, "%ldm", d / 60);
    else if (d < 86400)
        snprintf(out, size, "%ldh", d / 3600);
    else if (d < 86400 * 14)
        snprintf(out, size, "%ldd", d / 86400);
    else
        snprintf(out, size, "%ldw", d / (86400 * 7));
    return out;
}

const char *text_size(char *out, size_t size, long long bytes)
{
    if (bytes < 1000)
        snprintf(out, size, "%lld bytes", bytes < 0 ? 0 : bytes);
    else if (bytes < 1000 * 1000)
        snprintf(out, size, "%lld kB", (bytes + 500) / 1000);
    else if (bytes < 10LL * 1000 * 1000)
        snprintf(out, size, "%.1f MB", (double)bytes / 1e6);
    else
        snprintf(out, size, "%lld MB", (bytes + 500000) / 1000000);
    return out;
}
