/*
 * dk_mail.h - composing one outgoing email as RFC 5322 text: From, To
 * (with the recipient's name), Subject (RFC 2047 encoded words when not ASCII),
 * Date, Message-ID, In-Reply-To and References for threading, and a UTF-8 body
 * in base64 so that any relay passes it unchanged.  Pure: no network, no
 * database.
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
    const char *to_name;    /* UTF-8 display name for To:, or NULL */
    const char *references; /* "<a> <b> <parent>", or NULL: In-Reply-To */
};

/*
 * The message as CRLF-terminated text; the caller frees it.  To: carries
 * to_name (encoded words when not ASCII, a quoted string when it holds
 * specials); References: the chain, folded at 78 characters (RFC 5322
 * section 2.1.1), or In-Reply-To alone without one.  A CR or LF in a
 * header value becomes a space: values come from the database, some of
 * them (a contact's Message-ID) from outside.
 */
char *dk_mail_compose(const struct dk_mail *m, size_t *len);

/*
 * The domain of Docket's Message-IDs, into out: configured
 * (mail.message_id_domain) when not empty, else the domain of from's
 * address (mail.from), else "localhost" when that is no plain DNS name.
 * Returns out.
 */
char *dk_mail_id_domain(const char *configured, const char *from, char *out,
                        size_t size);

/*
 * The address part of a From value ("Support <s@x.org>" -> "s@x.org",
 * "s@x.org" -> itself), into out.  Returns out, or NULL if none fits.
 */
char *dk_mail_address(const char *from, char *out, size_t size);

/* A header value as RFC 2047 encoded words when it is not plain ASCII
 * (each word at most 75 characters, never splitting a character). */
char *dk_mail_encode_header(const char *value);

#endif
