/*
 * outbox.c - delivering the outbox over SMTP with libcurl's multi
 * interface on the server's loop: one uv_poll_t per socket curl asks to
 * watch, one uv_timer_t for curl's timeouts, never a blocking call.
 *
 * Rows are leased, not locked for the length of a send: one statement
 * takes due rows with FOR UPDATE SKIP LOCKED, counts the attempt and
 * moves not_before LEASE ahead, so that other servers sharing the outbox
 * pass them by.  The send's outcome then marks the row sent, schedules
 * the next try (exponential back-off from mail.retry_backoff), or, after a
 * permanent refusal (5xx) or mail.max_attempts, marks it failed with the
 * server's reply.  A server that dies mid-send leaves the lease to expire
 * and the row is tried again: at most one copy per lease.
 */
#include "outbox.h"
#include "metrics.h"
#include "db.h"
#include "dk_log.h"
#include "dk_mail.h"
#include "dk_mem.h"
#include "feed.h"
#include "srv.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PARALLEL      4           /* messages in flight at once */
#define POLL_MS       1000        /* look for due rows this often anyway */
#define NUDGE_MS      10          /* after a write: soon, and in a batch */
#define LEASE         "5 minutes" /* a row's lease while it is being sent */
#define MAX_BACKOFF_S 3600

struct outbox {
    struct srv *srv; /* borrowed */
    CURLM *multi;    /* owned: curl_multi_cleanup() in outbox_close() */
    uv_timer_t curl_timer;
    uv_timer_t poll_timer;
    int in_flight;
    struct send *sends; /* in flight: a list, to abandon them on close */
    bool claiming, closing, reminding;
    char from_addr[256];
    char domain[200];
    long use_ssl; /* CURLOPT_USE_SSL, from mail.starttls and the host */
};

struct curl_sock {
    uv_poll_t poll; /* first member: freed in its close callback */
    curl_socket_t fd;
    struct outbox *o;
};

struct send {
    struct outbox *o;
    long long id;
    int attempts;
    CURL *easy;              /* owned */
    struct curl_slist *rcpt; /* owned */
    char *msg;               /* owned: the RFC 5322 text */
    size_t len, off;
    char err[CURL_ERROR_SIZE];
    char reply[256];          /* the server's last line, or first refusal */
    struct send *prev, *next; /* o->sends */
};

static void claim(struct outbox *o);

/* ---- curl on libuv ------------------------------------------------------ */

static void check_done(struct outbox *o);

static void sock_closed_cb(uv_handle_t *h)
{
    free(h);
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
    struct curl_sock *cs = (struct curl_sock *)h;
    struct outbox *o = cs->o;
    int flags = 0, running;

    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(o->multi, cs->fd, flags, &running);
    check_done(o);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp)
{
    struct outbox *o = userp;
    struct curl_sock *cs = socketp;
    int events = 0;

    if (what == CURL_POLL_REMOVE) {
        if (cs) {
            curl_multi_assign(o->multi, fd, NULL);
            uv_close((uv_handle_t *)&cs->poll, sock_closed_cb);
        }
        return 0;
    }
    if (!cs) {
        cs = dk_xcalloc(1, sizeof(*cs));
        cs->fd = fd;
        cs->o = o;
        if (uv_poll_init_socket(o->srv->loop, &cs->poll, fd) != 0) {
            free(cs);
            return -1;
        }
        curl_multi_assign(o->multi, fd, cs);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&cs->poll, events, poll_cb);
    return 0;
}

static void curl_timeout_cb(uv_timer_t *t)
{
    struct outbox *o = t->data;
    int running;

    curl_multi_socket_action(o->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(o);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct outbox *o = userp;

    if (timeout_ms < 0)
        uv_timer_stop(&o->curl_timer);
    else /* 0 means "now": on the next loop turn, not inside curl */
        uv_timer_start(&o->curl_timer, curl_timeout_cb, (uint64_t)timeout_ms,
                       0);
    return 0;
}

/* ---- outcomes ------------------------------------------------------------ */

static void recorded(struct db_query *q, PGresult *res, void *arg)
{
    if (res && !db_ok(res))
        dk_log(DK_LOG_ERROR, "outbox: could not record a send: %s",
               PQresultErrorMessage(res));
}

static void record(struct send *s, bool ok, long smtp, const char *why)
{
    struct outbox *o = s->o;
    struct db_query *q;
    long long base = o->srv->cfg.mail.retry_backoff, backoff;
    bool permanent = smtp >= 500 && smtp < 600;

    if (ok) {
        q = db_query_new("UPDATE outbox SET sent_at = now(), last_error = NULL"
                         " WHERE id = $1",
                         1);
        db_param_ll(q, 0, s->id);
        dk_log(DK_LOG_INFO, "outbox: sent message %lld", s->id);
        metrics_mail(o->srv->metrics, true);
    } else if (permanent || s->attempts >= o->srv->cfg.mail.max_attempts) {
        q = db_query_new("UPDATE outbox SET failed_at = now(), last_error = $2"
                         " WHERE id = $1",
                         2);
        db_param_ll(q, 0, s->id);
        db_param(q, 1, why);
        dk_log(DK_LOG_WARN,
               "outbox: message %lld failed for good after %d "
               "attempts: %s",
               s->id, s->attempts, why);
        metrics_mail(o->srv->metrics, false);
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
    db_submit(o->srv->db, q, recorded, NULL);
}

static void send_free(struct send *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else if (s->o->sends == s)
        s->o->sends = s->next;
    if (s->next)
        s->next->prev = s->prev;
    if (s->easy) {
        curl_multi_remove_handle(s->o->multi, s->easy);
        curl_easy_cleanup(s->easy);
    }
    curl_slist_free_all(s->rcpt);
    free(s->msg);
    free(s);
}

static void check_done(struct outbox *o)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(o->multi, &left)) != NULL) {
        struct send *s = NULL;
        long smtp = 0;
        char why[CURL_ERROR_SIZE + 256];
        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &smtp);
        if (m->data.result == CURLE_OK) {
            record(s, true, smtp, NULL);
        } else {
            if (s->reply[0] && smtp >= 400)
                snprintf(why, sizeof(why), "%s", s->reply);
            else
                snprintf(why, sizeof(why), "%s (SMTP %ld)",
                         s->err[0] ? s->err
                                   : curl_easy_strerror(m->data.result),
                         smtp);
            record(s, false, smtp, why);
        }
        o->in_flight--;
        send_free(s);
    }
    claim(o);
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
    m.from = o->srv->cfg.mail.from;
    m.to = PQgetvalue(res, row, 1);
    m.subject = PQgetvalue(res, row, 2);
    m.body = PQgetvalue(res, row, 3);
    m.message_id = msgid;
    m.in_reply_to = PQgetisnull(res, row, 5) ? NULL : PQgetvalue(res, row, 5);
    m.date = time(NULL);
    s->msg = dk_mail_compose(&m, &s->len);
    snprintf(rcpt, sizeof(rcpt), "<%s>", m.to);
    s->rcpt = curl_slist_append(NULL, rcpt);
    s->easy = curl_easy_init();
    if (!s->easy || !s->rcpt) {
        record(s, false, 0, "out of memory");
        send_free(s);
        return;
    }
    curl_easy_setopt(s->easy, CURLOPT_URL, o->srv->cfg.mail.smtp_url);
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
    curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
    curl_easy_setopt(s->easy, CURLOPT_DEBUGFUNCTION, debug_cb);
    curl_easy_setopt(s->easy, CURLOPT_DEBUGDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_VERBOSE, 1L);
    o->in_flight++;
    s->next = o->sends;
    if (o->sends)
        o->sends->prev = s;
    o->sends = s;
    curl_multi_add_handle(o->multi, s->easy);
}

static void claimed(struct db_query *q, PGresult *res, void *arg)
{
    struct outbox *o = arg;

    o->claiming = false;
    if (!db_ok(res) || o->closing)
        return;
    for (int i = 0; i < PQntuples(res); i++)
        start(o, res, i);
}

static void claim(struct outbox *o)
{
    struct db_query *q;

    if (o->claiming || o->closing || o->in_flight >= PARALLEL ||
        !o->srv->cfg.mail.send)
        return;
    q = db_query_new(
        "WITH due AS ("
        "  SELECT id FROM outbox"
        "   WHERE sent_at IS NULL AND failed_at IS NULL AND not_before <= now()"
        "   ORDER BY not_before, id LIMIT $1 FOR UPDATE SKIP LOCKED) "
        "UPDATE outbox o SET attempts = o.attempts + 1,"
        "       not_before = now() + interval '" LEASE "'"
        "  FROM due WHERE o.id = due.id "
        "RETURNING o.id, o.to_addr, o.subject, o.body, o.message_id,"
        "          o.in_reply_to, o.attempts",
        1);
    db_param_ll(q, 0, PARALLEL - o->in_flight);
    o->claiming = true;
    if (db_submit(o->srv->db, q, claimed, o) != 0)
        o->claiming = false;
}

static void reminded(struct db_query *q, PGresult *res, void *arg)
{
    struct outbox *o = arg;

    o->reminding = false;
    if (!db_ok(res) || atoi(PQgetvalue(res, 0, 0)) == 0)
        return;
    /* Notifications to push and emails to send. */
    feed_nudge(o->srv->feed);
    outbox_nudge(o);
}

/* Due task reminders become notifications and outbox rows. */
static void remind(struct outbox *o)
{
    struct db_query *q;

    if (o->reminding || o->closing)
        return;
    q = db_query_new("SELECT task_remind_due()", 0);
    o->reminding = true;
    if (db_submit(o->srv->db, q, reminded, o) != 0)
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
    /* Soon, not now: the writes of a few milliseconds share one claim. */
    if (o->closing)
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
    const char *at;
    const struct dk_config *cfg = &o->srv->cfg;

    if (!dk_mail_address(o->srv->cfg.mail.from, o->from_addr,
                         sizeof(o->from_addr)))
        snprintf(o->from_addr, sizeof(o->from_addr), "docket@localhost");
    at = strchr(o->from_addr, '@');
    snprintf(o->domain, sizeof(o->domain), "%s", at ? at + 1 : "docket");
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

struct outbox *outbox_new(struct srv *srv)
{
    struct outbox *o = dk_xcalloc(1, sizeof(*o));

    o->srv = srv;
    o->multi = curl_multi_init();
    curl_multi_setopt(o->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(o->multi, CURLMOPT_SOCKETDATA, o);
    curl_multi_setopt(o->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(o->multi, CURLMOPT_TIMERDATA, o);
    uv_timer_init(srv->loop, &o->curl_timer);
    o->curl_timer.data = o;
    uv_timer_init(srv->loop, &o->poll_timer);
    o->poll_timer.data = o;
    uv_timer_start(&o->poll_timer, poll_timer_cb, POLL_MS, POLL_MS);
    outbox_reconfigure(o);
    return o;
}

void outbox_close(struct outbox *o)
{
    o->closing = true;
    uv_close((uv_handle_t *)&o->poll_timer, NULL);
    /* Sends still in flight are abandoned: their lease expires and they
     * go out later, from this server or another. */
    while (o->sends)
        send_free(o->sends);
    curl_multi_cleanup(o->multi);
    o->multi = NULL;
    uv_close((uv_handle_t *)&o->curl_timer, NULL);
}

void outbox_free(struct outbox *o)
{
    free(o);
}
