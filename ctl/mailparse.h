/*
 * mailparse.h - the part of mail intake that needs no database: one
 * RFC 5322 message parsed with GMime into its sender, subject, ids, text
 * (charset converted to UTF-8, HTML turned into text when it is all there
 * is) and attachments.  Fuzzed by test/fuzz/fuzz_mail.c.
 */
#ifndef MAILPARSE_H
#define MAILPARSE_H

#include <gmime/gmime.h>
#include <stddef.h>

struct mail {
    GMimeMessage *msg;        /* owned: g_object_unref() in mail_free() */
    InternetAddress *sender;  /* borrowed from msg: the From mailbox */
    const char *from;         /* borrowed: its address */
    const char *subject;      /* borrowed, UTF-8, may be NULL */
    char message_id[512];     /* "<...>", or "" */
    char *in_reply_to;        /* owned: the first <...>, or NULL */
    char *references;         /* owned: References and In-Reply-To */
    char *body;               /* owned: UTF-8 text, LF line ends */
    const char *auth_results; /* borrowed: the topmost Authentication-Results
                                 (the receiving MTA's), or NULL */
    GPtrArray *attachments;   /* owned array of GMimePart, borrowed */
};

/*
 * Parse data; returns 0, or -1 when it is not a message (nothing to
 * free).  g_mime_init() must have run.
 */
int mail_parse(struct mail *m, const char *data, size_t len);
void mail_free(struct mail *m);

/*
 * Whether an Authentication-Results value (RFC 8601) says method ("spf",
 * "dkim" or "dmarc") passed for the domain of from (the From address):
 * 1 if a result for method is "pass" and names a domain aligned with it
 * (dkim: header.d, or the domain of header.i; spf: the domain of
 * smtp.mailfrom; dmarc: header.from when given), else 0.  Aligned: the
 * From domain itself or a parent of it with a dot in it.  Comments and
 * quotes are ignored; the authserv-id (before the first ';') is not
 * checked.
 */
int mail_auth_pass(const char *ar, const char *method, const char *from);

/* HTML as readable text (exposed for tests and the fuzzer). */
char *mail_html_to_text(const char *html);

#endif
