/*
 * outbox.c - delivering the outbox over SMTP with libcurl, each message a
 * curl_easy_perform() on libuv's thread pool.  Not the multi interface on
 * the loop: libcurl 7.88's SMTP waits for the server's answer to the end
 * of a message in a blocking poll() inside curl_multi_socket_action(), so
 * a slow relay would have stopped the whole server for up to the
 * transfer's timeout.
 *
 * Rows are leased, not locked for the length of a send: one statement
 * takes due rows with FOR UPDATE SKIP LOCKED, counts the attempt and
 * moves not_before LEASE ahead, so that other servers sharing the outbox
 * pass them by.  The send's outcome then marks the row sent, schedules
 * the next try (exponential back-off from mail.retry_backoff), or, after a
 * permanent refusal (5xx) or mail.max_attempts, marks it failed with the
 * server's reply.  A server that dies mid-send leaves the lease to expire
 * and the row is tried again: at most one copy per lease.  One that is
 * stopped hands its unfinished rows back at once, and waits for its own
 * queries (the outcomes it is recording) before the pool closes.
 */
#include "outbox.h"
#include "metrics.h"
#include "db.h"
#include "dk_log.h"
#include "dk_mail.h"
#include "dk_mem.h"
#include "feed.h"
#include "core.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PARALLEL      4           /* messages in flight at once */
#define POLL_MS       1000        /* look for due rows this often anyway */
#define NUDGE_MS      10          /* when nudged: soon, and in a batch */
#define LEASE         "5 minutes" /* a row's lease while it is being sent */
#define MAX_BACKOFF_S 3600

struct outbox {
    struct core *core; /* borrowed */
    uv_timer_t poll_timer;
    int in_flight;
    struct send *sends; /* in flight: a list, to stop them on close */
    char unsent[PARALLEL * 21 + 3]; /* on close: ids cut short, "{1,2}" */
    bool claiming, closing, reminding;
    char from_addr[256];
    char domain[256]; /* of our Message-IDs: dk_mail_id_domain() */
    long use_ssl;     /* CURLOPT_USE_SSL, from mail.starttls and the host */
    int queries;      /* ours in flight on the pool */
    void (*closed_cb)(void *arg);
    void *closed_arg;
};

struct send {
    uv_work_t work; /* curl_easy_perform() on the thread pool */
    struct outbox *o;
    long long id;
    int attempts;
    atomic_bool stop;        /* set by the loop on close; read by curl */
    CURLcode result;         /* the transfer's, for the loop */
    CURL *easy;              /* owned */
    struct curl_slist *rcpt; /* owned */
    char *msg;               /* owned: the RFC 5322 text */
    size_t len, off;
    char err[CURL_ERROR_SIZE];
    char reply[256];          /* the server's last line, or first refusal */
    struct send *prev, *next; /* o->sends */
};

static void claim(struct outbox *o);

/* ---- our queries ------------------------------------------------------- */

static int submit(struct outbox *o, struct db_query *q, db_query_cb cb)
{
    o->queries++;
    if (db_submit(o->core->db, q, cb, o) != 0) {
        o->queries--;
        return -1;
    }
    return 0;
}

/* One of ours is answered: the last one lets a close go on. */
static void answered(struct outbox *o)
{
    void (*cb)(void *arg) = o->closed_cb;

    if (--o->queries == 0 && o->closing && cb) {
        o->closed_cb = NULL;
        cb(o->closed_arg);
    }
}

/* ---- outcomes ------------------------------------------------------------ */

static void recorded(struct db_query *q, PGresult *res, void *arg)
{
    if (res && !db_ok(res))
        dk_log(DK_LOG_ERROR, "outbox: could not record a send: %s",
               PQresultErrorMessage(res));
    answered(arg);
}

/* An outcome that may have written a ticket event (outbox_sent() and
 * outbox_failed(), for a staff reply: message_delivered, message_failed)
 * and, for a failure, a notification with its email: push and send
 * them. */
static void recorded_event(struct db_query *q, PGresult *res, void *arg)
{
    struct outbox *o = arg;

    if (res && db_ok(res) && !o->closing) {
        feed_nudge(o->core->feed);
        outbox_nudge(o);
    }
    recorded(q, res, arg);
}

static void record(struct send *s, bool ok, long smtp, const char *why)
{
    struct outbox *o = s->o;
    struct db_query *q;
    db_query_cb done = recorded;
    long long base = o->core->cfg->mail.retry_backoff, backoff;
    bool permanent = smtp >= 500 && smtp < 600;

    if (ok) {
        /* outbox_sent() also spends the row's one-time links. */
        q = db_query_new("SELECT outbox_sent($1)", 1);
        db_param_ll(q, 0, s->id);
        dk_log(DK_LOG_INFO, "outbox: sent message %lld", s->id);
        metrics_mail(o->core->metrics, true);
        done = recorded_event;
    } else if (permanent || s->attempts >= o->core->cfg->mail.max_attempts) {
        q = db_query_new("SELECT outbox_failed($1, $2)", 2);
        db_param_ll(q, 0, s->id);
        db_param(q, 1, why);
        dk_log(DK_LOG_WARN,
               "outbox: message %lld failed for good after %d "
               "attempts: %s",
               s->id, s->attempts, why);
        metrics_mail(o->core->metrics, false);
        done = recorded_event;
    } else {
        backoff = base;
        for (int i = 1; i < s->attempts && backoff < MAX_BACKOFF_S; i++)
            backoff *= 2;
        if (backoff > MAX_BACKOFF_S)
            backoff = MAX_BACKOFF_S;
        q = db_query_new("UPDATE outbox SET last_error = $2, not_before = "
                         "now() + make_interval(secs => $3) WHERE id = $1",
                         3);
        db_param_ll(q, 0, s->id);
        db_param(q, 1, why);
        db_param_ll(q, 2, backoff);
        dk_log(DK_LOG_WARN,
               "outbox: message %lld not sent (attempt %d, next "
               "in %llds): %s",
               s->id, s->attempts, backoff, why);
    }
    submit(o, q, done);
}

static void send_free(struct send *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else if (s->o->sends == s)
        s->o->sends = s->next;
    if (s->next)
        s->next->prev = s->prev;
    curl_easy_cleanup(s->easy);
    curl_slist_free_all(s->rcpt);
    free(s->msg);
    free(s);
}

/* A PostgreSQL array of ids, "{1,2}", in a buffer like o->unsent. */
static void ids_add(char *ids, size_t size, long long id)
{
    size_t n = strlen(ids);

    snprintf(ids + (n ? n - 1 : 0), size - (n ? n - 1 : 0), "%s%lld}",
             n ? "," : "{", id);
}

static void release(struct outbox *o, const char *ids);

/* On the thread pool: the whole SMTP conversation. */
static void perform_cb(uv_work_t *w)
{
    struct send *s = (struct send *)w;

    s->result = curl_easy_perform(s->easy);
}

/* Back on the loop: record the outcome; or, when the server is stopping
 * and the send was cut short, keep the row to hand back. */
static void performed_cb(uv_work_t *w, int status)
{
    struct send *s = (struct send *)w;
    struct outbox *o = s->o;
    char why[CURL_ERROR_SIZE + 256];
    long smtp = 0;

    (void)status;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &smtp);
    if (s->result == CURLE_OK) {
        record(s, true, smtp, NULL);
    } else if (o->closing) {
        ids_add(o->unsent, sizeof(o->unsent), s->id);
    } else {
        if (s->reply[0] && smtp >= 400)
            snprintf(why, sizeof(why), "%s", s->reply);
        else
            snprintf(why, sizeof(why), "%s (SMTP %ld)",
                     s->err[0] ? s->err : curl_easy_strerror(s->result), smtp);
        record(s, false, smtp, why);
    }
    o->in_flight--;
    send_free(s);
    if (!o->closing) {
        claim(o);
    } else if (o->in_flight == 0) {
        if (o->unsent[0])
            release(o, o->unsent);
        answered(o); /* the close's own hold on it */
    }
}

/* curl calls this about once a second, and between steps: stop when the
 * loop says so. */
static int progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    struct send *s = arg;

    return atomic_load(&s->stop) ? 1 : 0;
}

/* ---- starting sends --------------------------------------------------- */

static size_t read_cb(char *buf, size_t size, size_t n, void *arg)
{
    struct send *s = arg;
    size_t left = s->len - s->off, want = size * n;

    if (want > left)
        want = left;
    memcpy(buf, s->msg + s->off, want);
    s->off += want;
    return want;
}

/* Keep the server's last reply line: a refusal is recorded in its words. */
static int debug_cb(CURL *easy, curl_infotype type, char *data, size_t size,
                    void *arg)
{
    struct send *s = arg;

    /* Keep the first refusal: what follows it (QUIT's "221 Bye") says
     * nothing about why the message was not taken. */
    if (type == CURLINFO_HEADER_IN && size > 0 && s->reply[0] != '4' &&
        s->reply[0] != '5') {
        while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
            size--;
        snprintf(s->reply, sizeof(s->reply), "%.*s", (int)size, data);
    }
    return 0;
}

static void start(struct outbox *o, PGresult *res, int row)
{
    struct send *s = dk_xcalloc(1, sizeof(*s));
    struct dk_mail m;
    char msgid[320], rcpt[300];

    s->o = o;
    s->id = atoll(PQgetvalue(res, row, 0));
    s->attempts = atoi(PQgetvalue(res, row, 6));
    /* A stable Message-ID per row: retries are the same message. */
    if (PQgetisnull(res, row, 4))
        snprintf(msgid, sizeof(msgid), "<outbox-%lld@%s>", s->id, o->domain);
    else
        snprintf(msgid, sizeof(msgid), "%s", PQgetvalue(res, row, 4));
    m.from = o->core->cfg->mail.from;
    m.to = PQgetvalue(res, row, 1);
    m.subject = PQgetvalue(res, row, 2);
    m.body = PQgetvalue(res, row, 3);
    m.message_id = msgid;
    m.in_reply_to = PQgetisnull(res, row, 5) ? NULL : PQgetvalue(res, row, 5);
    m.date = time(NULL);
    m.to_name = PQgetisnull(res, row, 7) ? NULL : PQgetvalue(res, row, 7);
    m.references = PQgetisnull(res, row, 8) ? NULL : PQgetvalue(res, row, 8);
    s->msg = dk_mail_compose(&m, &s->len);
    snprintf(rcpt, sizeof(rcpt), "<%s>", m.to);
    s->rcpt = curl_slist_append(NULL, rcpt);
    atomic_init(&s->stop, false);
    s->easy = curl_easy_init();
    if (!s->easy || !s->rcpt) {
        record(s, false, 0, "out of memory");
        send_free(s);
        return;
    }
    curl_easy_setopt(s->easy, CURLOPT_URL, o->core->cfg->mail.smtp_url);
    curl_easy_setopt(s->easy, CURLOPT_MAIL_FROM, o->from_addr);
    curl_easy_setopt(s->easy, CURLOPT_MAIL_RCPT, s->rcpt);
    curl_easy_setopt(s->easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(s->easy, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(s->easy, CURLOPT_READDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)s->len);
    /* STARTTLS when the relay offers it; smtps:// is TLS from the start. */
    curl_easy_setopt(s->easy, CURLOPT_USE_SSL, o->use_ssl);
    /* One connection per message: a cached one would carry the TLS state
     * and relay of the settings before a reload.  A helpdesk's volume
     * does not need the reuse. */
    curl_easy_setopt(s->easy, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->err);
    curl_easy_setopt(s->easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(s->easy, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(s->easy, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(s->easy, CURLOPT_DEBUGFUNCTION, debug_cb);
    curl_easy_setopt(s->easy, CURLOPT_DEBUGDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_VERBOSE, 1L);
    o->in_flight++;
    s->next = o->sends;
    if (o->sends)
        o->sends->prev = s;
    o->sends = s;
    if (uv_queue_work(o->core->loop, &s->work, perform_cb, performed_cb) != 0) {
        o->in_flight--;
        record(s, false, 0, "could not start the send");
        send_free(s);
    }
}

static void claimed(struct db_query *q, PGresult *res, void *arg)
{
    struct outbox *o = arg;

    o->claiming = false;
    if (db_ok(res) && o->closing && PQntuples(res) > 0) {
        /* Taken just as we stop: hand them back untried. */
        char ids[sizeof(o->unsent)] = "";
        for (int i = 0; i < PQntuples(res) && i < PARALLEL; i++)
            ids_add(ids, sizeof(ids), atoll(PQgetvalue(res, i, 0)));
        release(o, ids);
    } else if (db_ok(res)) {
        for (int i = 0; i < PQntuples(res); i++)
            start(o, res, i);
    }
    answered(o);
}

static void claim(struct outbox *o)
{
    struct db_query *q;

    if (o->claiming || o->closing || o->in_flight >= PARALLEL ||
        !o->core->cfg->mail.send)
        return;
    q = db_query_new(
        "WITH due AS ("
        "  SELECT id FROM outbox"
        "   WHERE sent_at IS NULL AND failed_at IS NULL AND not_before <= now()"
        "   ORDER BY not_before, id LIMIT $1 FOR UPDATE SKIP LOCKED) "
        "UPDATE outbox o SET attempts = o.attempts + 1,"
        "       not_before = now() + interval '" LEASE "',"
        /* A Message-ID kept with the row: retries are the same message,
         * and a reply naming it finds its ticket (docketctl mail-in).
         * Random, so that it cannot be guessed to forge a reply. */
        "       message_id = coalesce(o.message_id, '<outbox-' || o.id ||"
        "         '.' || replace(gen_random_uuid()::text, '-', '') ||"
        "         '@' || $2 || '>')"
        "  FROM due WHERE o.id = due.id "
        "RETURNING o.id, o.to_addr, o.subject, o.body, o.message_id,"
        "          o.in_reply_to, o.attempts, o.to_name, o.refs",
        2);
    db_param_ll(q, 0, PARALLEL - o->in_flight);
    db_param(q, 1, o->domain);
    o->claiming = true;
    if (submit(o, q, claimed) != 0)
        o->claiming = false;
}

static void reminded(struct db_query *q, PGresult *res, void *arg)
{
    struct outbox *o = arg;

    o->reminding = false;
    if (db_ok(res) && atoi(PQgetvalue(res, 0, 0)) > 0 && !o->closing) {
        /* Notifications to push and emails to send. */
        feed_nudge(o->core->feed);
        outbox_nudge(o);
    }
    answered(o);
}

/* Due task reminders become notifications and outbox rows. */
static void remind(struct outbox *o)
{
    struct db_query *q;

    if (o->reminding || o->closing)
        return;
    q = db_query_new("SELECT task_remind_due()", 0);
    o->reminding = true;
    if (submit(o, q, reminded) != 0)
        o->reminding = false;
}

static void poll_timer_cb(uv_timer_t *t)
{
    struct outbox *o = t->data;

    remind(o);
    claim(o);
}

void outbox_nudge(struct outbox *o)
{
    /* Soon, not now: the writes of a few milliseconds share one claim.
     * No outbox (a harness that sends nothing): nothing to do. */
    if (!o || o->closing)
        return;
    if (uv_timer_get_due_in(&o->poll_timer) > NUDGE_MS)
        uv_timer_start(&o->poll_timer, poll_timer_cb, NUDGE_MS, POLL_MS);
}

/* True for a relay on this machine: 127.0.0.0/8, ::1 or localhost. */
static bool loopback_host(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    bool yes = false;

    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        yes = strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0 ||
              strcasecmp(host, "localhost") == 0;
    curl_free(host);
    curl_url_cleanup(u);
    return yes;
}

void outbox_reconfigure(struct outbox *o)
{
    const struct dk_config *cfg = o->core->cfg;

    if (!dk_mail_address(o->core->cfg->mail.from, o->from_addr,
                         sizeof(o->from_addr)))
        snprintf(o->from_addr, sizeof(o->from_addr), "docket@localhost");
    /* The same domain messages.send gives a reply's Message-ID. */
    dk_mail_id_domain(cfg->mail.message_id_domain, cfg->mail.from, o->domain,
                      sizeof(o->domain));
    switch (cfg->mail.starttls) {
    case DK_STARTTLS_AUTO:
        /* The hop to a local MTA never leaves the machine, and Debian's
         * offer STARTTLS there with certificates nobody can verify. */
        o->use_ssl = loopback_host(cfg->mail.smtp_url) ? CURLUSESSL_NONE
                                                       : CURLUSESSL_TRY;
        break;
    case DK_STARTTLS_REQUIRE:
        o->use_ssl = CURLUSESSL_ALL;
        break;
    case DK_STARTTLS_NEVER:
        o->use_ssl = CURLUSESSL_NONE;
        break;
    default:
        o->use_ssl = CURLUSESSL_TRY;
        break;
    }
    outbox_nudge(o); /* mail.send may have just been turned on */
}

struct outbox *outbox_new(struct core *core)
{
    struct outbox *o = dk_xcalloc(1, sizeof(*o));

    o->core = core;
    uv_timer_init(core->loop, &o->poll_timer);
    o->poll_timer.data = o;
    uv_timer_start(&o->poll_timer, poll_timer_cb, POLL_MS, POLL_MS);
    outbox_reconfigure(o);
    return o;
}

static void released(struct db_query *q, PGresult *res, void *arg)
{
    if (res && !db_ok(res))
        dk_log(DK_LOG_WARN,
               "outbox: could not hand back unsent rows (they "
               "go out when their lease ends): %s",
               PQresultErrorMessage(res));
    answered(arg);
}

/* Rows ids ("{1,2}") were leased but not sent: due again now, the
 * attempt not counted, for this server's successor or another. */
static void release(struct outbox *o, const char *ids)
{
    struct db_query *q =
        db_query_new("UPDATE outbox SET not_before = now(),"
                     "       attempts = greatest(attempts - 1, 0)"
                     " WHERE id = ANY($1::bigint[]) AND sent_at IS NULL"
                     "   AND failed_at IS NULL",
                     1);

    db_param(q, 0, ids);
    dk_log(DK_LOG_INFO, "outbox: handing back unsent messages %s", ids);
    submit(o, q, released);
}

void outbox_close(struct outbox *o, void (*closed_cb)(void *arg), void *arg)
{
    o->closing = true;
    o->closed_cb = closed_cb;
    o->closed_arg = arg;
    uv_close((uv_handle_t *)&o->poll_timer, NULL);
    /* Sends in flight stop within a second (progress_cb); the last to come
     * back hands the unfinished rows back and lets go of this hold. */
    if (o->sends) {
        o->queries++;
        for (struct send *s = o->sends; s; s = s->next)
            atomic_store(&s->stop, true);
    }
    /* Nothing of ours in flight (or the pool is down): go on now.  A
     * database that never answers is left to the service manager's stop
     * timeout. */
    if (o->queries == 0 && o->closed_cb) {
        o->closed_cb = NULL;
        closed_cb(arg);
    }
}

void outbox_free(struct outbox *o)
{
    free(o);
}
