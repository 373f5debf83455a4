/*
 * dk_mail.h - composing one outgoing email as RFC 5322 text: From, To,
 * Subject (RFC 2047 encoded words when not ASCII), Date, Message-ID,
 * In-Reply-To and References for threading, and a UTF-8 body in base64 so
 * that any relay passes it unchanged.  Pure: no network, no database.
 */
#ifndef DK_MAIL_H
#define DK_MAIL_H

#include <stddef.h>
#include <time.h>

struct dk_mail {
    const char *from;        /* "Support <support@example.com>" */
    const char *to;          /* an address */
    const char *subject;     /* UTF-8 */
    const char *body;        /* UTF-8 text */
    const char *message_id;  /* "<...@...>" */
    const char *in_reply_to; /* "<...>" or NULL */
    time_t date;
};

/* The message as CRLF-terminated text; the caller frees it. */
char *dk_mail_compose(const struct dk_mail *m, size_t *len);

/*
 * The address part of a From value ("Support <s@x.org>" -> "s@x.org",
 * "s@x.org" -> itself), into out.  Returns out, or NULL if none fits.
 */
char *dk_mail_address(const char *from, char *out, size_t size);

/* A header value as RFC 2047 encoded words when it is not plain ASCII
 * (each word at most 75 characters, never splitting a character). */
char *dk_mail_encode_header(const char *value);

#endif
