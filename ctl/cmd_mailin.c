/*
 * cmd_mailin.c - docketctl mail-in: one RFC 5322 message on stdin, as an
 * MTA pipe delivers it (Postfix pipe, procmail, fetchmail's mda), parsed
 * with GMime.  A reply joins its ticket only when its In-Reply-To or
 * References names a Message-ID Docket sent on that ticket (SPEC section
 * 9): a From: header is easy to forge, and so is "[#ID]" in a subject,
 * which alone opens a new ticket that names the old one.  Anything else
 * from a known contact is a new ticket.  With mail.require_auth, the
 * receiving MTA's topmost Authentication-Results must say the sender
 * passed SPF, DKIM or DMARC for the From domain.  Attachments are kept
 * (their names and types made safe by the database).  One
 * transaction per message; the exit status follows sysexits(3), so that
 * the MTA bounces (65, 67, 77) or retries (75) correctly.  A message
 * delivered twice (an MTA's retry) is recognised by its Message-ID.
 */
#include "ctl.h"
#include "dk_mem.h"
#include "dk_text.h"
#include "mailparse.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    EX_OK_ = 0,
    EX_DATAERR_ = 65,  /* not a message we can read */
    EX_NOUSER_ = 67,   /* unknown sender */
    EX_SOFTWARE_ = 70, /* our fault */
    EX_TEMPFAIL_ = 75, /* try again later */
    EX_NOPERM_ = 77,   /* not allowed (a reply from someone else) */
};

#define MAIL_MAX (25u * 1024 * 1024)

/*
 * The ticket a reply answers: the last <...> of References and
 * In-Reply-To (the parent comes last) that is a Message-ID Docket sent on
 * a ticket (a staff reply, or any outbox email about a ticket).  What a
 * contact sent us does not count: anyone may quote that.
 */
static int find_by_ids(struct ctl *c, const char *v, char *ticket)
{
    char *ids[64];
    int n = 0;
    const char *p = v;

    while (p && n < 64) {
        const char *lt = strchr(p, '<'), *gt;
        if (!lt || !(gt = strchr(lt, '>')))
            break;
        ids[n++] = dk_xstrndup(lt, (size_t)(gt - lt + 1));
        p = gt + 1;
    }
    for (int i = n - 1; i >= 0 && !ticket[0]; i--) {
        const char *params[1] = {ids[i]};
        PGresult *res = ctl_exec(c,
                                 "SELECT ticket_id FROM message "
                                 "WHERE message_id = $1 AND direction = 'out' "
                                 "UNION ALL SELECT ticket_id FROM outbox "
                                 "WHERE message_id = $1 AND ticket_id IS NOT "
                                 "NULL LIMIT 1",
                                 1, params, NULL, NULL);
        if (res && PQntuples(res))
            snprintf(ticket, 24, "%s", PQgetvalue(res, 0, 0));
        if (res)
            PQclear(res);
    }
    for (int i = 0; i < n; i++)
        free(ids[i]);
    return 0;
}

/* "[#ID]" in a subject naming a ticket that exists, into named; or "". */
static void find_named(struct ctl *c, const char *subject, char *named)
{
    const char *p = subject ? strstr(subject, "[#") : NULL;
    const char *params[1];
    PGresult *res;

    named[0] = '\0';
    if (!p || !isdigit((unsigned char)p[2]))
        return;
    params[0] = p + 2;
    res = ctl_exec(c,
                   "SELECT id FROM ticket WHERE id = "
                   "substring($1 from '^([0-9]{1,15})\\]')::bigint",
                   1, params, NULL, NULL);
    if (res && PQntuples(res))
        snprintf(named, 24, "%s", PQgetvalue(res, 0, 0));
    if (res)
        PQclear(res);
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
    ctl_fail(c,
             "not accepted from %s: the receiving server's "
             "Authentication-Results does not say %s=pass for its domain "
             "(mail.require_auth: %s)",
             m->from, methods[want], methods[want]);
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

static int deliver(struct ctl *c, struct mail *m)
{
    const char *addr = m->from, *subject = m->subject, *name, *params[6];
    char *body = m->body, *msgid = m->message_id, ticket[24] = "";
    char contact[24], named[24] = "", *irt = m->in_reply_to;
    PGresult *res;
    int rc = EX_SOFTWARE_;

    if (!addr || !dk_email_valid(addr)) {
        ctl_fail(c, "the message has no sender address");
        return EX_DATAERR_;
    }
    if (!dk_utf8_valid(body, strlen(body))) {
        ctl_fail(c, "the message's text is not readable");
        return EX_DATAERR_;
    }
    if (!sender_authenticated(c, m))
        return EX_NOPERM_;
    if (ctl_begin(c))
        return EX_TEMPFAIL_;
    /* Delivered before (an MTA retrying)?  Then done. */
    if (msgid[0]) {
        params[0] = msgid;
        res = ctl_exec(c, "SELECT 1 FROM message WHERE message_id = $1", 1,
                       params, NULL, NULL);
        if (res && PQntuples(res)) {
            PQclear(res);
            ctl_rollback(c);
            printf("already delivered: %s\n", msgid);
            return EX_OK_;
        }
        if (res)
            PQclear(res);
    }
    params[0] = addr;
    res = ctl_exec(c, "SELECT id FROM contact WHERE lower(email) = lower($1)",
                   1, params, NULL, NULL);
    if (!res)
        goto fail;
    if (PQntuples(res) == 0) {
        PQclear(res);
        if (c->cfg.mail.unknown_senders != DK_SENDERS_CREATE) {
            ctl_fail(c, "%s is not a contact (mail.unknown_senders: reject)",
                     addr);
            rc = EX_NOUSER_;
            goto fail;
        }
        name = internet_address_get_name(m->sender);
        params[1] = name && *name ? name : addr;
        res = ctl_exec(c,
                       "INSERT INTO contact (email, first_name) "
                       "VALUES ($1, left($2, 100)) RETURNING id",
                       2, params, NULL, NULL);
        if (!res)
            goto fail;
    }
    snprintf(contact, sizeof(contact), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);

    /* Which ticket: only a reply to a message Docket sent on it.  "[#ID]"
     * in the subject alone is what anyone can write: a new ticket that
     * names the old one. */
    find_by_ids(c, m->references, ticket);
    if (!ticket[0])
        find_named(c, subject, named);
    if (ticket[0]) {
        char state[6];
        params[0] = ticket;
        params[1] = contact;
        params[2] = body;
        params[3] = msgid[0] ? msgid : NULL;
        params[4] = irt;
        res = ctl_exec(c, "SELECT message_receive($1, $2, $3, $4, $5)", 5,
                       params, state, NULL);
        if (!res) {
            if (!strcmp(state, "DK403")) {
                ctl_fail(c, "%s may not add to ticket %s", addr, ticket);
                rc = EX_NOPERM_;
            } else {
                ctl_fail(c, "could not add to ticket %s (SQLSTATE %s)", ticket,
                         state);
            }
            goto fail;
        }
        printf("reply added to ticket %s\n", ticket);
    } else {
        params[0] = contact;
        params[1] = subject && *subject ? subject : "(no subject)";
        params[2] = body;
        params[3] = msgid[0] ? msgid : NULL;
        params[4] = named[0] ? named : NULL;
        res = ctl_exec(c,
                       "WITH s AS (SELECT coalesce(' (follow-up to #' || $5 "
                       "  || ')', '') AS tail), "
                       "t AS (SELECT (ticket_create($1::bigint, "
                       "  left($2, 300 - length(s.tail)) || s.tail, "
                       "  left($3, 100000), 'medium', 'email', "
                       "  NULL)->>'id')::bigint AS id FROM s), "
                       "m AS (INSERT INTO message (ticket_id, direction, "
                       "  author_contact_id, body, message_id) "
                       "  SELECT t.id, 'in', $1::bigint, $3, $4 FROM t "
                       "  RETURNING ticket_id, id) "
                       "SELECT ticket_id, id, pg_notify('docket_wake', '') "
                       "FROM m",
                       5, params, NULL, NULL);
        if (!res)
            goto fail;
        snprintf(ticket, sizeof(ticket), "%s", PQgetvalue(res, 0, 0));
        if (named[0])
            printf("new ticket %s (follow-up to %s)\n", ticket, named);
        else
            printf("new ticket %s\n", ticket);
    }
    {
        /* The message row the attachments belong to. */
        const char *p2[1] = {ticket};
        PGresult *row = ctl_exec(c,
                                 "SELECT max(id) FROM message "
                                 "WHERE ticket_id = $1::bigint AND "
                                 "direction = 'in'",
                                 1, p2, NULL, NULL);
        if (!row || store_attachments(c, m, ticket, PQgetvalue(row, 0, 0))) {
            if (row)
                PQclear(row);
            PQclear(res);
            goto fail;
        }
        PQclear(row);
    }
    PQclear(res);
    return ctl_commit(c) ? EX_TEMPFAIL_ : EX_OK_;
fail:
    ctl_rollback(c);
    return rc;
}

int ctl_mail_in(struct ctl *c, int argc, char **argv)
{
    struct mail m;
    char *data, *pos[1];
    size_t len = 0, cap = 65536, n;
    int rc;

    if (ctl_getopt(c, argc, argv, argv[0], NULL, pos, 0, NULL, NULL) < 0)
        return EX_DATAERR_;
    data = dk_xmalloc(cap);
    while ((n = fread(data + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len > MAIL_MAX) {
            free(data);
            ctl_fail(c, "message larger than %u bytes", MAIL_MAX);
            return EX_DATAERR_;
        }
        if (len == cap)
            data = dk_xrealloc(data, cap *= 2);
    }
    /* No database: the MTA should keep the message and try later. */
    if (!ctl_db(c)) {
        free(data);
        return EX_TEMPFAIL_;
    }
    g_mime_init();
    if (mail_parse(&m, data, len) != 0) {
        ctl_fail(c, "standard input is not an RFC 5322 message");
        rc = EX_DATAERR_;
    } else {
        rc = deliver(c, &m);
        mail_free(&m);
    }
    g_mime_shutdown();
    free(data);
    return rc;
}
