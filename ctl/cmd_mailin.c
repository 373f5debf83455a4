/*
 * cmd_mailin.c - docketctl mail-in: one RFC 5322 message on stdin, as an
 * MTA pipe delivers it (Postfix pipe, Exim pipe transport, procmail,
 * fetchmail's mda), parsed with GMime (mailparse.c).
 *
 * A contact's reply joins its ticket only when its In-Reply-To or
 * References names a Message-ID Docket sent on that ticket (SPEC section
 * 9): a From: header is easy to forge, and so is "[#ID]" in a subject,
 * which alone opens a new ticket that names the old one.  A reply to a
 * ticket closed longer ago than mail.reopen_within opens a follow-up;
 * anything else from a known contact is a new ticket
 * (schema/functions/mail_in.sql has the rules).  A staff member's answer
 * to a notification Docket emailed them is a note on its ticket.  With
 * mail.require_auth, the receiving MTA's topmost Authentication-Results
 * must say the sender passed SPF, DKIM or DMARC for the From domain.
 *
 * One transaction per message.  The exit status follows sysexits(3) as
 * the MTA reads it: 0 taken, 65 not a message, 77 not accepted from this
 * sender (the text goes back to them in the bounce, so it says what they
 * can do and names nothing of our configuration), and 75 for anything
 * that is not the message's fault (the database, the configuration, this
 * program): the MTA keeps the message and tries again, so nothing a
 * client sends is lost to a mistake of ours.  A message delivered twice
 * (an MTA's retry) is recognised by its Message-ID.
 */
#include "ctl.h"
#include "dk_buf.h"
#include "dk_mem.h"
#include "dk_text.h"
#include "mailparse.h"
#include "mailreply.h"

#include <ctype.h>
#include <errno.h>
#include <gmime/gmime.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    EX_OK_ = 0,
    EX_DATAERR_ = 65,  /* not a message we can read */
    EX_TEMPFAIL_ = 75, /* not the message's fault: try again later */
    EX_NOPERM_ = 77,   /* not accepted from this sender */
};

#define MAIL_MAX (25u * 1024 * 1024)

/*
 * The Message-IDs of References and In-Reply-To (the parent last) as a
 * PostgreSQL text[] literal, each id quoted; at most 64 of them.
 */
static char *ids_array(const char *v)
{
    struct dk_buf b = DK_BUF_INIT(0);
    const char *p = v;
    int n = 0;

    dk_buf_adds(&b, "{");
    while (p && n < 64) {
        const char *lt = strchr(p, '<'), *gt;
        if (!lt || !(gt = strchr(lt, '>')))
            break;
        p = gt + 1;
        if (gt - lt > 998) /* longer than a header line: not an id */
            continue;
        dk_buf_adds(&b, n++ ? ",\"" : "\"");
        for (const char *q = lt; q <= gt; q++) {
            if (*q == '"' || *q == '\\')
                dk_buf_addc(&b, '\\');
            dk_buf_addc(&b, *q);
        }
        dk_buf_addc(&b, '"');
    }
    dk_buf_adds(&b, "}");
    return dk_buf_steal(&b, NULL);
}

/*
 * The ticket a reply answers, into ticket (or ""): the last of ids that
 * is a Message-ID Docket sent on a ticket (a staff reply, or any outbox
 * email about a ticket to its contact: not a staff member's notification,
 * which only their answer may name).  What a contact sent us does not
 * count: anyone may quote that.  Returns 0, or -1 when the query failed
 * (printed).
 */
static int find_thread(struct ctl *c, const char *ids, char *ticket)
{
    const char *params[1] = {ids};
    PGresult *res = ctl_exec(
        c,
        "SELECT x.ticket_id FROM unnest($1::text[]) WITH ORDINALITY AS i "
        "(id, n), LATERAL (SELECT ticket_id FROM message WHERE message_id = "
        "i.id AND direction = 'out' UNION ALL SELECT ticket_id FROM outbox "
        "WHERE message_id = i.id AND ticket_id IS NOT NULL "
        "AND kind <> ALL (mail_in_staff_kinds_()) LIMIT 1) x "
        "ORDER BY i.n DESC LIMIT 1",
        1, params, NULL, NULL);

    ticket[0] = '\0';
    if (!res)
        return -1;
    if (PQntuples(res))
        snprintf(ticket, 24, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

/* "[#ID]" in a subject, into named (the database checks the ticket
 * exists); or "". */
static void find_named(const char *subject, char *named)
{
    const char *p = subject ? strstr(subject, "[#") : NULL;
    size_t n = 0;

    named[0] = '\0';
    if (!p)
        return;
    p += 2;
    while (isdigit((unsigned char)p[n]) && n < 15)
        n++;
    if (n > 0 && p[n] == ']')
        snprintf(named, 24, "%.*s", (int)n, p);
}

/* mail.require_auth: did the receiving MTA say the sender passed? */
static int sender_authenticated(struct ctl *c, const struct mail *m)
{
    static const char *const methods[] = {[DK_AUTH_SPF] = "spf",
                                          [DK_AUTH_DKIM] = "dkim",
                                          [DK_AUTH_DMARC] = "dmarc"};
    int want = c->cfg.mail.require_auth;

    if (want == DK_AUTH_NONE)
        return 1;
    if (mail_auth_pass(m->auth_results, methods[want], m->from))
        return 1;
    /* The sender reads this in the bounce. */
    ctl_fail(c,
             "not accepted: our mail server could not confirm that this "
             "message was sent by %s (no %s pass for its domain). If you "
             "sent it, please send it again from your usual email program, "
             "or call us.",
             m->from, methods[want]);
    return 0;
}

static int store_attachments(struct ctl *c, const struct mail *m,
                             const char *ticket, const char *message)
{
    for (size_t i = 0; i < m->nfiles; i++) {
        const struct mail_file *f = &m->files[i];
        char *hex, size[24];
        const char *params[5];
        PGresult *res;

        hex = dk_xmalloc(f->data->len * 2 + 1);
        sodium_bin2hex(hex, f->data->len * 2 + 1, f->data->data, f->data->len);
        snprintf(size, sizeof(size), "%u", f->data->len);
        params[0] = ticket;
        params[1] = message;
        /* The name and type as the sender gave them: the database's
         * attachment_clean trigger reduces the name to a safe base name
         * and stores a type a browser would render as a page as
         * application/octet-stream, for every path alike.  mail_parse()
         * hands over names in UTF-8 (PostgreSQL would refuse others). */
        params[2] = f->name;
        params[3] = f->type;
        params[4] = hex;
        res = ctl_exec(c,
                       "INSERT INTO attachment (ticket_id, message_id, "
                       "filename, content_type, size, sha256, content) "
                       "SELECT $1::bigint, $2::bigint, coalesce($3, ''), $4, "
                       "length(b), sha256(b), b "
                       "FROM decode($5, 'hex') AS b",
                       5, params, NULL, NULL);
        free(hex);
        if (!res)
            return 1;
        PQclear(res);
    }
    return 0;
}

/* The first value of a one-row result, into out (or "" without a row). */
static int one_value(struct ctl *c, const char *sql, int n,
                     const char *const *params, char *out, size_t size)
{
    PGresult *res = ctl_exec(c, sql, n, params, NULL, NULL);

    out[0] = '\0';
    if (!res)
        return -1;
    if (PQntuples(res) && !PQgetisnull(res, 0, 0))
        snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

/* The most text a message keeps (message.body's CHECK counts
 * characters; bytes are never fewer), and a note (note.body's). */
#define TEXT_MAX 1000000
#define NOTE_MAX 100000

/*
 * *text longer than max bytes: its first part, saying so, and all of it
 * as a file named name beside m's others, so that nothing is dropped.
 */
static void keep_long_text(struct mail *m, char *text, size_t max,
                           const char *name)
{
    char note[160];
    size_t len = strlen(text), n, cut;
    struct mail_file *f;

    if (len <= max)
        return;
    n = (size_t)snprintf(note, sizeof(note),
                         "\n\n[The text goes on: all of it is in the "
                         "attached %s.]",
                         name);
    cut = max - n - 1;
    while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
        cut--; /* not inside a UTF-8 sequence */
    m->files = dk_xrealloc(m->files, (m->nfiles + 1) * sizeof(*m->files));
    f = &m->files[m->nfiles++];
    f->name = dk_xstrdup(name);
    f->type = dk_xstrdup("text/plain");
    f->data = g_byte_array_sized_new((guint)len);
    g_byte_array_append(f->data, (const guint8 *)text, (guint)len);
    memcpy(text + cut, note, n + 1);
}

/*
 * A staff member's answer to a notification Docket emailed them (a
 * mention, graphics complete, a client's reply, a reminder): a note on
 * its ticket, of what is new above the quote.  Returns 1 when the message
 * is not such an answer (go on with it as a contact's), else the exit
 * status; the transaction is committed or rolled back here.
 */
static int staff_answer(struct ctl *c, struct mail *m, const char *ids)
{
    const char *params[4] = {m->from, ids};
    char staff[24], ticket[24], note[24];
    PGresult *res;
    char *text;

    res = ctl_exec(c,
                   "SELECT staff_id, ticket_id FROM "
                   "mail_in_staff_thread($1, $2::text[])",
                   2, params, NULL, NULL);
    if (!res)
        return EX_TEMPFAIL_;
    if (!PQntuples(res) || PQgetisnull(res, 0, 0)) {
        PQclear(res);
        return 1;
    }
    snprintf(staff, sizeof(staff), "%s", PQgetvalue(res, 0, 0));
    snprintf(ticket, sizeof(ticket), "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    text = mail_reply_new_text(m->body);
    keep_long_text(m, text, NOTE_MAX, "note-text.txt");
    if (!*text && m->nfiles == 0) {
        free(text);
        ctl_rollback(c);
        printf("answer to a notification on ticket %s with nothing but "
               "the quote: no note\n",
               ticket);
        return EX_OK_;
    }
    params[0] = staff;
    params[1] = ticket;
    params[2] = *text ? text : "(files by email)";
    params[3] = m->message_id[0] ? m->message_id : NULL;
    if (one_value(c,
                  "SELECT mail_in_staff_note($1::bigint, $2::bigint, $3, "
                  "$4)",
                  4, params, note, sizeof(note)) != 0 ||
        store_attachments(c, m, ticket, NULL) != 0) {
        free(text);
        ctl_rollback(c);
        return EX_TEMPFAIL_;
    }
    free(text);
    if (ctl_commit(c))
        return EX_TEMPFAIL_;
    printf("note %s added to ticket %s\n", note, ticket);
    return EX_OK_;
}

/* The contact who sent m, into contact; a new one with
 * mail.unknown_senders: create.  Returns 0, 1 when the sender is not
 * accepted (printed for them), -1 on a database failure. */
static int find_contact(struct ctl *c, struct mail *m, char *contact)
{
    const char *params[2] = {m->from}, *name;
    char staff[24];

    if (one_value(c, "SELECT id FROM contact WHERE lower(email) = lower($1)", 1,
                  params, contact, 24) != 0)
        return -1;
    if (contact[0])
        return 0;
    if (one_value(c,
                  "SELECT id FROM staff WHERE lower(email) = lower($1) "
                  "AND active",
                  1, params, staff, sizeof(staff)) != 0)
        return -1;
    if (staff[0]) {
        ctl_fail(c, "not delivered: email from staff is taken only as an "
                    "answer to a notification from Docket (it becomes a "
                    "note on that ticket). Please use docket for "
                    "anything else.");
        return 1;
    }
    if (c->cfg.mail.unknown_senders != DK_SENDERS_CREATE) {
        /* The sender reads this in the bounce: what they can do, and
         * nothing about how we are set up. */
        ctl_fail(c,
                 "not delivered: %s is not an address our helpdesk knows, "
                 "so the message was not taken. If your school or "
                 "organisation works with us, please send it again from "
                 "the address we have for you, or ask us to add this one.",
                 m->from);
        return 1;
    }
    name = internet_address_get_name(m->sender);
    params[1] = name && *name ? name : m->from;
    return one_value(c,
                     "INSERT INTO contact (email, first_name) "
                     "VALUES ($1, left($2, 100)) RETURNING id",
                     2, params, contact, 24);
}

/*
 * A delivery report or an auto-reply: never a contact or a ticket (SPEC
 * section 9), and 0, so that the MTA does not bounce a bounce.  A report
 * that one of our messages failed marks it failed on its ticket and tells
 * its author, once (outbox_bounced()).  Before mail.require_auth: a
 * report comes from the remote MTA, not from the contact's domain; what
 * guards it is the Message-ID it must quote, which only the recipient's
 * side ever saw.
 */
static int automatic(struct ctl *c, const struct mail *m)
{
    const char *from = m->from ? m->from : "(no sender)";
    char *words;

    if (m->automatic == MAIL_AUTO_REPLY) {
        printf("auto-reply from %s (%s): not a ticket\n", from,
               m->auto_why ? m->auto_why : "automatic");
        return EX_OK_;
    }
    if (!m->report_failed || m->nreported == 0) {
        printf("delivery report from %s (%s) that no message of ours "
               "failed: nothing to do\n",
               from, m->auto_why ? m->auto_why : "report");
        return EX_OK_;
    }
    /* The report must name the address the message went to (its
     * Final-Recipient, or the failed address in an old-style bounce's
     * text): one that only quotes a Message-ID is not taken as one. */
    words =
        dk_xasprintf("%s\n%s", m->report_text ? m->report_text : "", m->body);
    for (size_t i = 0; i < m->nreported; i++) {
        const char *params[3] = {
            m->reported[i],
            m->report_text && *m->report_text
                ? m->report_text
                : "the recipient's mail server reported it undeliverable",
            words};
        char what[24];
        if (one_value(c,
                      "SELECT CASE WHEN o.id IS NULL THEN 'unknown' "
                      "WHEN strpos(lower($3), lower(o.to_addr)) = 0 "
                      "THEN 'unnamed' ELSE coalesce(outbox_bounced($1, "
                      "$2)::text, 'no ticket') END "
                      "FROM (SELECT 1) x LEFT JOIN LATERAL (SELECT id, "
                      "to_addr FROM outbox WHERE message_id = $1 LIMIT 1) "
                      "o ON true",
                      3, params, what, sizeof(what)) != 0) {
            free(words);
            return EX_TEMPFAIL_;
        }
        if (!strcmp(what, "unknown"))
            printf("delivery report: %s is not a message of ours\n",
                   m->reported[i]);
        else if (!strcmp(what, "unnamed"))
            printf("delivery report: %s, but the report does not name its "
                   "recipient: ignored\n",
                   m->reported[i]);
        else if (!strcmp(what, "no ticket"))
            printf("delivery report: %s failed (no ticket)\n", m->reported[i]);
        else
            printf("delivery report: %s on ticket %s failed\n", m->reported[i],
                   what);
    }
    free(words);
    return EX_OK_;
}

static int deliver(struct ctl *c, struct mail *m)
{
    const char *params[8];
    char *msgid = m->message_id, ticket[24] = "", contact[24], named[24] = "";
    char answered[24];
    char within[32], seen[24], *ids;
    PGresult *res;
    int rc;

    if (m->automatic != MAIL_PERSONAL)
        return automatic(c, m);
    if (!m->from) {
        ctl_fail(c, "not delivered: the message has no sender address");
        return EX_DATAERR_;
    }
    if (!dk_email_valid(m->from)) {
        /* root@localhost, say: nowhere a reply could go. */
        ctl_fail(c,
                 "not delivered: the sender address \"%s\" is not one a "
                 "reply could reach (it needs a full domain name)",
                 m->from);
        return EX_DATAERR_;
    }
    if (!dk_utf8_valid(m->body, strlen(m->body))) {
        ctl_fail(c, "not delivered: the message's text is not readable");
        return EX_DATAERR_;
    }
    if (!sender_authenticated(c, m))
        return EX_NOPERM_;
    keep_long_text(m, m->body, TEXT_MAX, "message-text.txt");
    if (ctl_begin(c))
        return EX_TEMPFAIL_;
    /* Delivered before (an MTA retrying)?  Then done. */
    if (msgid[0]) {
        params[0] = msgid;
        if (one_value(c,
                      "SELECT 1 FROM message WHERE message_id = $1 "
                      "UNION ALL SELECT 1 FROM note WHERE message_id = $1",
                      1, params, seen, sizeof(seen)) != 0)
            goto tempfail;
        if (seen[0]) {
            ctl_rollback(c);
            printf("already delivered: %s\n", msgid);
            return EX_OK_;
        }
    }
    ids = ids_array(m->references);
    rc = staff_answer(c, m, ids);
    if (rc != 1) {
        free(ids);
        return rc;
    }
    if ((rc = find_contact(c, m, contact)) != 0) {
        free(ids);
        ctl_rollback(c);
        return rc < 0 ? EX_TEMPFAIL_ : EX_NOPERM_;
    }
    rc = find_thread(c, ids, ticket);
    free(ids);
    if (rc != 0)
        goto tempfail;
    if (!ticket[0])
        find_named(m->subject, named);
    snprintf(answered, sizeof(answered), "%s", ticket[0] ? ticket : named);
    snprintf(within, sizeof(within), "%lld seconds", c->cfg.mail.reopen_within);
    params[0] = contact;
    params[1] = ticket[0] ? answered : NULL;
    params[2] = named[0] ? named : NULL;
    params[3] = m->subject;
    params[4] = m->body;
    params[5] = msgid[0] ? msgid : NULL;
    params[6] = m->in_reply_to;
    params[7] = c->cfg.mail.reopen_within > 0 ? within : NULL;
    {
        char state[6];
        res = ctl_exec(c,
                       "SELECT tid, mid, outcome FROM mail_in_contact("
                       "$1::bigint, $2::bigint, $3::bigint, $4, $5, $6, $7, "
                       "$8::interval)",
                       8, params, state, NULL);
        if (!res && !strcmp(state, "DK403")) {
            ctl_rollback(c);
            ctl_fail(c, "not delivered: you may answer only your own "
                        "requests. Please send a new email to open a "
                        "request of your own.");
            return EX_NOPERM_;
        }
        if (!res) {
            ctl_fail(c, "could not store the message (SQLSTATE %s)", state);
            goto tempfail;
        }
    }
    snprintf(ticket, sizeof(ticket), "%s", PQgetvalue(res, 0, 0));
    if (store_attachments(c, m, ticket, PQgetvalue(res, 0, 1))) {
        PQclear(res);
        goto tempfail;
    }
    if (ctl_commit(c)) {
        PQclear(res);
        return EX_TEMPFAIL_;
    }
    if (!strcmp(PQgetvalue(res, 0, 2), "new"))
        printf("new ticket %s\n", ticket);
    else if (!strcmp(PQgetvalue(res, 0, 2), "follow_up"))
        printf("new ticket %s (follow-up to %s)\n", ticket, answered);
    else if (!strcmp(PQgetvalue(res, 0, 2), "reopened"))
        printf("reply added to ticket %s (reopened)\n", ticket);
    else
        printf("reply added to ticket %s\n", ticket);
    PQclear(res);
    return EX_OK_;
tempfail:
    ctl_rollback(c);
    return EX_TEMPFAIL_;
}

int ctl_mail_in(struct ctl *c, int argc, char **argv)
{
    struct mail m;
    char *data, *pos[1];
    size_t len = 0, cap = 65536, n;
    int rc;

    /* A pipe command with a wrong argument is ours to fix, not the
     * client's: keep the message. */
    if (ctl_getopt(c, argc, argv, argv[0], NULL, pos, 0, NULL, NULL) < 0)
        return EX_TEMPFAIL_;
    data = dk_xmalloc(cap);
    while ((n = fread(data + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len > MAIL_MAX) {
            free(data);
            ctl_fail(c,
                     "not delivered: the message is larger than %u MB. "
                     "Please send large files as a link, or in several "
                     "emails.",
                     MAIL_MAX / (1024 * 1024));
            return EX_DATAERR_;
        }
        if (len == cap)
            data = dk_xrealloc(data, cap *= 2);
    }
    if (ferror(stdin)) {
        free(data);
        ctl_fail(c, "could not read the message: %s", strerror(errno));
        return EX_TEMPFAIL_;
    }
    /* No database: the MTA should keep the message and try later. */
    if (!ctl_db(c)) {
        free(data);
        return EX_TEMPFAIL_;
    }
    g_mime_init();
    if (mail_parse(&m, data, len) != 0) {
        ctl_fail(c, "not delivered: this is not an email message "
                    "(RFC 5322)");
        rc = EX_DATAERR_;
    } else {
        rc = deliver(c, &m);
        mail_free(&m);
    }
    g_mime_shutdown();
    free(data);
    return rc;
}
