/*
 * mailtext.c - a text part's bytes as UTF-8, whatever its label says:
 * iconv for the charsets it knows, and a UTF-8-or-Windows-1252 reading
 * byte by byte for everything else, so that nothing is deleted.
 */
#include "mailtext.h"
#include "dk_buf.h"
#include "dk_mem.h"

#include <ctype.h>
#include <errno.h>
#include <gmime/gmime.h>
#include <iconv.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Windows-1252's 0x80..0x9f; 0 where it defines nothing. */
static const unsigned short cp1252_high[32] = {
    0x20ac, 0,      0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017d, 0,
    0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,      0x017e, 0,
};

size_t mail_utf8_seq(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned cp;

    if (n == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static void put_cp(struct dk_buf *b, unsigned cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    }
    dk_buf_add(b, u, n);
}

/*
 * Append s[0..n) to b: valid UTF-8 as it is, any other byte as its
 * Windows-1252 character; line ends made LF, NUL made U+FFFD.  Used on
 * iconv's output too, where it only does the line ends and NULs.
 */
static void add_lenient(struct dk_buf *b, const unsigned char *s, size_t n)
{
    size_t i = 0;

    dk_buf_reserve(b, n + n / 2);
    while (i < n) {
        size_t k = mail_utf8_seq(s + i, n - i);
        if (k == 1 && s[i] == '\r') {
            dk_buf_addc(b, '\n');
            i += i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
        } else if (k == 1 && s[i] == '\0') {
            put_cp(b, 0xfffd);
            i++;
        } else if (k > 0) {
            dk_buf_add(b, s + i, k);
            i += k;
        } else {
            unsigned c = s[i++];
            if (c >= 0x80 && c < 0xa0)
                c = cp1252_high[c - 0x80] ? cp1252_high[c - 0x80] : 0xfffd;
            put_cp(b, c);
        }
    }
}

/* Labels read byte by byte (see the header), and labels widened. */
static const char *const lenient_labels[] = {
    "utf-8",          "utf8",         "us-ascii",   "ascii",
    "ansi_x3.4-1968", "iso-8859-1",   "iso_8859-1", "iso8859-1",
    "latin1",         "latin-1",      "l1",         "cp819",
    "ibm819",         "windows-1252", "cp1252",     "x-cp1252",
    "iso-ir-100",     "unknown-8bit", "x-unknown",  "default",
};

static const struct {
    const char *label, *iconv_name;
} widened[] = {
    {"gb2312", "GB18030"},       {"gbk", "GB18030"},
    {"x-gbk", "GB18030"},        {"shift_jis", "CP932"},
    {"shift-jis", "CP932"},      {"sjis", "CP932"},
    {"x-sjis", "CP932"},         {"euc-kr", "CP949"},
    {"ks_c_5601-1987", "CP949"}, {"tis-620", "CP874"},
    {"iso-8859-11", "CP874"},    {"big5", "BIG5-HKSCS"},
};

/* iconv the whole of data into b; false (b as it was) if any byte is not
 * valid in from, or iconv does not know it. */
static bool add_iconv(struct dk_buf *b, const char *data, size_t len,
                      const char *from)
{
    iconv_t cd = iconv_open("UTF-8", from);
    struct dk_buf out = DK_BUF_INIT(0);
    char *in = (char *)data;
    size_t inleft = len;
    bool ok = true;

    if (cd == (iconv_t)-1)
        return false;
    dk_buf_reserve(&out, len * 2 + 16);
    while (inleft > 0) {
        char *o = dk_buf_tail(&out);
        size_t room = dk_buf_room(&out), before = room;
        size_t r = iconv(cd, &in, &inleft, &o, &room);
        dk_buf_commit(&out, before - room);
        if (r == (size_t)-1 && errno == E2BIG) {
            dk_buf_reserve(&out, out.cap);
        } else if (r == (size_t)-1) {
            ok = false; /* EILSEQ, or EINVAL: cut off at the end */
            break;
        }
    }
    if (ok) {
        /* Flush a stateful encoding's shift sequence. */
        char *o = dk_buf_tail(&out);
        size_t room = dk_buf_room(&out), before = room;
        if (iconv(cd, NULL, NULL, &o, &room) != (size_t)-1)
            dk_buf_commit(&out, before - room);
    }
    iconv_close(cd);
    if (ok)
        add_lenient(b, (const unsigned char *)out.data, out.len);
    dk_buf_free(&out);
    return ok;
}

char *mail_text_decode(const char *data, size_t len, const char *charset,
                       int *used_fallback)
{
    struct dk_buf b = DK_BUF_INIT(0);
    char label[64];
    size_t n = 0;
    bool done = false;

    if (used_fallback)
        *used_fallback = 0;
    /* The label as lower case, without spaces or quotes. */
    for (const char *p = charset; p && *p && n + 1 < sizeof(label); p++)
        if (!isspace((unsigned char)*p) && *p != '"' && *p != '\'')
            label[n++] = (char)tolower((unsigned char)*p);
    label[n] = '\0';
    if (charset && strlen(charset) >= sizeof(label))
        label[0] = '\0'; /* no charset is called that */
    dk_buf_reserve(&b, len + 1);
    if (label[0]) {
        bool lenient = false;
        for (size_t i = 0; i < G_N_ELEMENTS(lenient_labels); i++)
            if (!strcmp(label, lenient_labels[i]))
                lenient = true;
        if (!lenient) {
            const char *name = NULL;
            for (size_t i = 0; i < G_N_ELEMENTS(widened); i++)
                if (!strcmp(label, widened[i].label))
                    name = widened[i].iconv_name;
            /* GMime knows the aliases mail programs use (latin2, ...). */
            if (!name)
                name = g_mime_charset_iconv_name(label);
            done = name && add_iconv(&b, data, len, name);
            if (!done && used_fallback)
                *used_fallback = 1;
        }
    }
    if (!done)
        add_lenient(&b, (const unsigned char *)data, len);
    return dk_buf_steal(&b, NULL);
}
