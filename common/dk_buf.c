/*
 * dk_buf.c - the bounded growable buffer (dk_buf.h).
 */
#include "dk_buf.h"
#include "dk_mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dk_buf_init(struct dk_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

bool dk_buf_reserve(struct dk_buf *b, size_t n)
{
    size_t need, cap;

    if (n > SIZE_MAX - b->len - 1)
        return false;
    need = b->len + n + 1;
    if (b->max && b->len + n > b->max)
        return false;
    if (need <= b->cap)
        return true;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (b->max && cap > b->max + 1)
        cap = b->max + 1;
    b->data = dk_xrealloc(b->data, cap);
    b->cap = cap;
    /* "NUL-terminated after every write": a buffer only reserved so far
     * (then stolen, or read) is the empty string, not uninitialised. */
    b->data[b->len] = '\0';
    return true;
}

bool dk_buf_add(struct dk_buf *b, const void *p, size_t n)
{
    if (!dk_buf_reserve(b, n))
        return false;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool dk_buf_addc(struct dk_buf *b, char ch)
{
    return dk_buf_add(b, &ch, 1);
}

bool dk_buf_adds(struct dk_buf *b, const char *s)
{
    return dk_buf_add(b, s, strlen(s));
}

bool dk_buf_vprintf(struct dk_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    int n;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0 || !dk_buf_reserve(b, (size_t)n))
        return false;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return true;
}

bool dk_buf_printf(struct dk_buf *b, const char *fmt, ...)
{
    va_list ap;
    bool ok;

    va_start(ap, fmt);
    ok = dk_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return ok;
}

char *dk_buf_tail(struct dk_buf *b)
{
    return b->data + b->len;
}

size_t dk_buf_room(const struct dk_buf *b)
{
    /* One byte stays for the NUL. */
    return b->cap ? b->cap - b->len - 1 : 0;
}

void dk_buf_commit(struct dk_buf *b, size_t n)
{
    if (n > dk_buf_room(b))
        abort(); /* a caller wrote past what it reserved */
    b->len += n;
    b->data[b->len] = '\0';
}

void dk_buf_consume(struct dk_buf *b, size_t n)
{
    if (n >= b->len) {
        dk_buf_reset(b, false);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void dk_buf_truncate(struct dk_buf *b, size_t n)
{
    if (n < b->len) {
        b->len = n;
        b->data[n] = '\0';
    }
}

void dk_buf_reset(struct dk_buf *b, bool release)
{
    if (release) {
        free(b->data);
        b->data = NULL;
        b->cap = 0;
    } else if (b->data) {
        b->data[0] = '\0';
    }
    b->len = 0;
}

char *dk_buf_steal(struct dk_buf *b, size_t *len)
{
    char *s = b->data ? b->data : dk_xstrdup("");

    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void dk_buf_free(struct dk_buf *b)
{
    dk_buf_reset(b, true);
}
