/*
 * mailparse.h - the part of mail intake that needs no database: one
 * RFC 5322 message parsed with GMime into its sender, subject, ids, its
 * text (every text part, in order, as UTF-8), its files (every other
 * part), and whether a program rather than a person sent it (an
 * auto-reply, a delivery report, and what the report is about).  Nothing
 * in a message is dropped: a part is text or a file.  Fuzzed by
 * test/fuzz/fuzz_mail.c; test/mail/maildump.c shows what it makes of a
 * message.
 */
#ifndef MAILPARSE_H
#define MAILPARSE_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stddef.h>

/* Bounds on what a message may make us walk (see mailparse.c). */
#define MAIL_DEPTH_MAX    32   /* nested multiparts and messages */
#define MAIL_PARTS_MAX    1000 /* leaf parts */
#define MAIL_QUOTE_MAX    8    /* forwarded messages quoted in forwarded */
#define MAIL_REPORTED_MAX 16   /* Message-IDs a report may name */
#define MAIL_BODY_MAX     (8u << 20) /* text, before the rest goes to a file */
#define MAIL_HTML_MAX     (2u << 20) /* an HTML part turned into text */

struct mail_file {
    char *name;       /* owned, UTF-8: the sender's file name, or one made
                         up ("part-3.png", "forwarded-1.eml") */
    char *type;       /* owned: "type/subtype", lower case */
    GByteArray *data; /* owned: the decoded bytes */
};

enum mail_auto { MAIL_PERSONAL = 0, MAIL_AUTO_REPLY, MAIL_REPORT };

struct mail {
    GMimeMessage *msg;        /* owned: g_object_unref() in mail_free() */
    InternetAddress *sender;  /* borrowed from msg: the From mailbox */
    const char *from;         /* borrowed: its address */
    const char *subject;      /* borrowed, UTF-8, may be NULL */
    char message_id[512];     /* "<...>", or "" */
    char *in_reply_to;        /* owned: the first <...>, or NULL */
    char *references;         /* owned: References and In-Reply-To */
    char *body;               /* owned: every text part, in order, UTF-8,
                                 LF line ends, no NUL; never NULL */
    const char *auth_results; /* borrowed: the topmost Authentication-Results
                                 (the receiving MTA's), or NULL */
    struct mail_file *files;  /* owned array of nfiles */
    size_t nfiles;
    enum mail_auto automatic; /* MAIL_PERSONAL, an auto-reply, or a report */
    char *auto_why;           /* owned or NULL: what said so ("Auto-Submitted:
                                 auto-replied", "multipart/report; report-type=...") */
    char **reported;          /* owned: MAIL_REPORT: Message-IDs "<...>" of the
                                 original message(s), nreported of them */
    size_t nreported;
    bool report_failed; /* MAIL_REPORT: some recipient's Action is failed */
    char *report_text;  /* owned or NULL: the server's words, one line per
                           recipient ("550 5.1.1 <x@y>: ... (Final-Recipient
                           x@y)") */
    size_t dropped;     /* parts that could not be kept at all (stays 0;
                           counted, never silent) */
};

/*
 * Parse data; returns 0, or -1 when it is not a message (nothing to
 * free).  g_mime_init() must have run.  The rules (which part is text,
 * which a file, charsets, names, auto-replies and reports) are described
 * at the top of mailparse.c.
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

#endif
