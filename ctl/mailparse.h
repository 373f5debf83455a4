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
    GMimeMessage *msg;       /* owned: g_object_unref() in mail_free() */
    InternetAddress *sender; /* borrowed from msg: the From mailbox */
    const char *from;        /* borrowed: its address */
    const char *subject;     /* borrowed, UTF-8, may be NULL */
    char message_id[512];    /* "<...>", or "" */
    char *in_reply_to;       /* owned: the first <...>, or NULL */
    char *references;        /* owned: References and In-Reply-To */
    char *body;              /* owned: UTF-8 text, LF line ends */
    GPtrArray *attachments;  /* owned array of GMimePart, borrowed */
};

/*
 * Parse data; returns 0, or -1 when it is not a message (nothing to
 * free).  g_mime_init() must have run.
 */
int mail_parse(struct mail *m, const char *data, size_t len);
void mail_free(struct mail *m);

/* HTML as readable text (exposed for tests and the fuzzer). */
char *mail_html_to_text(const char *html);

#endif
