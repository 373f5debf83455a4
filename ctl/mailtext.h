/*
 * mailtext.h - a text part's bytes, in whatever charset it claims, as
 * UTF-8 with LF line ends and no NUL.  Never fails: mail intake must not
 * lose a message because its sender's program mislabelled it.
 */
#ifndef MAILTEXT_H
#define MAILTEXT_H

#include <stddef.h>

/*
 * Decode data[0..len) labelled charset (may be NULL) into a new UTF-8
 * string the caller frees.  The rules, in order:
 *
 *   - No label, UTF-8, US-ASCII, ISO-8859-1 or Windows-1252: every valid
 *     UTF-8 sequence is kept, and every other byte is read as Windows-1252
 *     (so Latin-1 labelled UTF-8 reads right, and UTF-8 labelled ASCII
 *     too); WHATWG's encoding standard reads the ASCII and Latin-1 labels
 *     as Windows-1252 for the same reason.
 *   - Any other label iconv knows (after widening a few labels to the
 *     superset senders really use: GB2312 to GB18030, Shift_JIS to CP932,
 *     EUC-KR and KS_C_5601 to CP949, TIS-620 to CP874): converted with
 *     iconv when all the bytes are valid in it; if any is not, or iconv
 *     does not know the label, the whole part is read as in the first rule.
 *   - The five bytes Windows-1252 leaves undefined become U+FFFD.
 *   - CRLF and a lone CR become LF; a NUL becomes U+FFFD (the bytes after
 *     it are kept).  No byte is ever deleted silently.
 *
 * *used_fallback (may be NULL) is set when the label could not be used.
 */
/* g_mime_init() must have run. */
char *mail_text_decode(const char *data, size_t len, const char *charset,
                       int *used_fallback);

/* The length of the valid UTF-8 sequence at s[0..n), or 0 if none. */
size_t mail_utf8_seq(const unsigned char *s, size_t n);

#endif
