/*
 * feed.c - sequencer, reader and subscribers of the change feed.
 *
 * The feed has its own one-connection pool (so LISTEN and the advisory
 * lock live on one session, and its queries run one at a time).  The
 * sequencer numbers ready rows in batches: ready means written by a
 * transaction older than every transaction still running, so no row can
 * later appear below a number already given.  It then NOTIFYs
 * docket_feed; every instance reads "seq > head" on that wake-up (or its
 * poll, when none comes) and pushes each event to its subscribers.
 *
 * Subscribers are the hub's (hub.h): one is live when it has heard up to
 * the head before the batch; otherwise it replays on the main pool from
 * its own seq until it has caught up, and live batches pass it by
 * meanwhile, so each event reaches it exactly once and in order.
 */
#include "feed.h"
#include "core.h"
#include "db.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_rpc.h"
#include "hub.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 1000
/* A replay's next 1,000 events wait while the subscriber's client has more
 * than this still to read: a resume from far back (a laptop back from a
 * week away) must not queue the whole history at once and be cut off by
 * server.max_output_bytes, reconnect, and start again. */
#define REPLAY_PAUSE (1024 * 1024)
#define PAUSE_MS     10
/* Rows a numbering statement takes: it also builds their pushed lines, so
 * a backlog (a bulk import) goes in statements short enough that new
 * writes are numbered between them. */
#define SEQ_BATCH  1000
#define DK_STR_(x) #x
#define DK_STR(x)  DK_STR_(x)
#define TICK_MS    100 /* sequencer poll; readers every READ_TICKS */
#define READ_TICKS 10
#define LOCK_TICKS 20                 /* standby instances try for the lock */
#define RETRY_MS   2                  /* rows waiting on an older transaction */
#define NUDGE_MS   3                  /* writes gathered before numbering */
#define FEED_LOCK  "7234600152010001" /* advisory lock key: the sequencer */
#define REPLAN_MIN 64 /* events at the first replan (see grown()) */

struct feed {
    struct core *core; /* borrowed */
    struct hub *hub;   /* borrowed: core's */
    struct db *db;     /* owned: one connection, LISTEN, the lock */
    void (*staff_cb)(long long staff_id, void *arg);
    void (*session_cb)(long long session_id, void *arg);
    void *staff_arg;
    void (*contact_cb)(long long contact_id, void *arg);
    void *contact_arg;
    void (*mail_cb)(void *arg);
    void *mail_arg;
    uv_timer_t tick;
    uv_timer_t soon;  /* a quick re-run of the sequencer */
    uv_timer_t pause; /* replays waiting for their clients to read */
    unsigned ticks;
    bool up;        /* the feed connection is up and listening */
    bool sequencer; /* we hold the advisory lock */
    bool head_known;
    long long head;      /* newest seq pushed to live subscribers */
    long long replan_at; /* head at which the sessions plan again */
    bool seq_running, seq_again;
    bool read_running, read_again;
    bool lock_running;
    bool wake_running;
    unsigned retry_ms; /* back-off while rows wait on old transactions */
    /* Every row written by a transaction below this xid8 is numbered: the
     * next batch looks from here, not through the index entries of every
     * row numbered since the last vacuum.  "0" until this instance's
     * first batch as the sequencer (and after any reconnect). */
    char floor[24];
    uint64_t last_batch_ms; /* when the last numbering came back */
    long long notified;     /* newest seq NOTIFYed while numbering */
    void (*done_cb)(void *arg);
    void *done_arg;
    int closing_handles;
};

static void sequence(struct feed *f);
static void read_new(struct feed *f);

long long feed_head(const struct feed *f)
{
    return f->head;
}

bool feed_is_sequencer(const struct feed *f)
{
    return f->sequencer;
}

/* ---- pushing ----------------------------------------------------------- */

static char *event_line(const char *payload, size_t *len)
{
    return dk_rpc_notification_raw("event", payload, len);
}

/* An event as its subscribers get it, from e (an event row) and the joins
 * of LINE_JOINS: shared by the reader and the sequencer, which returns the
 * rows it numbered in this shape. */
#define LINE_SQL                                                               \
    "CASE WHEN e.type = 'notification' THEN jsonb_build_object('seq', e.seq, " \
    "  'type', 'notification', 'notification', notification_json(n)) "         \
    "ELSE jsonb_build_object('seq', e.seq, 'type', e.type, "                   \
    "  'ticket', coalesce(e.summary, ticket_summary(t)), "                     \
    "  'by', coalesce(s.username, "                                            \
    "        (SELECT email FROM contact WHERE id = e.contact_id)), "           \
    "  'action', e.action, 'change', e.change) END::text "
#define LINE_JOINS                                                             \
    "LEFT JOIN ticket t ON t.id = e.ticket_id "                                \
    "LEFT JOIN notification n ON n.id = e.notification_id "                    \
    "LEFT JOIN staff s ON s.id = e.staff_id "

#define READ_SQL                                                               \
    "SELECT e.seq, coalesce(e.for_staff_id, 0), " LINE_SQL                     \
    "FROM event e " LINE_JOINS "WHERE e.seq > $1 ORDER BY e.seq LIMIT 1000"

static void replay(struct feed *f, struct hub_sub *s);

/* A replay query in flight, holding its subscriber. */
struct replay {
    struct feed *f;
    struct hub_sub *s;
    unsigned gen; /* s->gen when it was asked for */
};

static void replay_done(struct db_query *q, PGresult *res, void *arg)
{
    struct replay *r = arg;
    struct feed *f = r->f;
    struct hub_sub *s = r->s;
    int rows;

    /* A replay of an earlier subscription, overtaken by a newer replay
     * already in flight: that one answers; this one's rows are dropped. */
    if (r->gen != s->replay_gen) {
        free(r);
        hub_hold(s, -1);
        return;
    }
    s->replaying = false;
    if (!s->active) {
        free(r);
        hub_hold(s, -1);
        return;
    }
    /* Subscribed again while this was out (from another seq, maybe an
     * older one): its rows start at the wrong place; ask again. */
    if (r->gen != s->gen) {
        free(r);
        replay(f, s);
        hub_hold(s, -1);
        return;
    }
    free(r);
    if (!db_ok(res)) {
        /* The database went away: try again when the feed is back. */
        dk_log(DK_LOG_WARN, "feed replay failed; will retry");
        hub_hold(s, -1);
        return;
    }
    rows = PQntuples(res);
    for (int i = 0; i < rows && s->active; i++) {
        struct hub_event e;
        char *line = event_line(PQgetvalue(res, i, 2), &e.len);
        e.seq = atoll(PQgetvalue(res, i, 0));
        e.for_staff = atoll(PQgetvalue(res, i, 1));
        e.line = line;
        hub_deliver(s, &e);
        free(line);
    }
    if (s->active && (rows == BATCH || s->seq < f->head))
        replay(f, s);
    hub_hold(s, -1);
}

static void replay_cb(struct hub_sub *s, void *arg);

static void pause_cb(uv_timer_t *t)
{
    struct feed *f = t->data;

    hub_behind(f->hub, f->head, replay_cb, f);
}

/* Catch s up from s->seq on the main pool. */
static void replay(struct feed *f, struct hub_sub *s)
{
    struct db_query *q;
    struct replay *r;

    if (s->replaying || !s->active)
        return;
    if (s->ops->queued && s->ops->queued(s) > REPLAY_PAUSE) {
        /* Looked at again soon, with everyone else behind. */
        if (!uv_is_active((uv_handle_t *)&f->pause))
            uv_timer_start(&f->pause, pause_cb, PAUSE_MS, 0);
        return;
    }
    q = db_query_new(READ_SQL, 1);
    db_query_prepared(q);
    db_param_ll(q, 0, s->seq);
    r = dk_xmalloc(sizeof(*r));
    r->f = f;
    r->s = s;
    r->gen = s->replay_gen = s->gen;
    s->replaying = true;
    hub_hold(s, +1);
    if (db_submit(f->core->db, q, replay_done, r) != 0) {
        free(r);
        s->replaying = false;
        hub_hold(s, -1);
    }
}

static void replay_cb(struct hub_sub *s, void *arg)
{
    replay(arg, s);
}

/* Each time the event table has doubled since the sessions planned, they
 * plan again (db_replan()).  A generic plan keeps the sizes of when it was
 * made until autoanalyze makes it again, up to a minute later: one made
 * while event was nearly empty (a new install, a restore, a benchmark's
 * fresh database) joined it the wrong way round once it was large, and a
 * numbering statement took 25 s.  Doubling keeps each plan within 2 x of
 * the truth, for some twenty replans on the way to a million events.
 * size: the events numbered and those waiting to be. */
static void grown(struct feed *f, long long size)
{
    if (size < f->replan_at)
        return;
    if (f->replan_at > 0) {
        dk_log(DK_LOG_DEBUG, "feed: %lld events; sessions plan again", size);
        db_replan(f->db);
        db_replan(f->core->db);
    }
    f->replan_at = size < REPLAN_MIN / 2 ? REPLAN_MIN : 2 * size;
}

/* Push rows from..PQntuples of res (seq, for_staff, line, in seq order)
 * to the live subscribers, moving the head on; anyone left behind (they
 * subscribed from an old seq, or missed events while the database was
 * away) replays. */
static void publish(struct feed *f, PGresult *res, int from)
{
    long long before = f->head;
    int rows = PQntuples(res);

    for (int i = from; i < rows; i++) {
        struct hub_event e;
        char *line = event_line(PQgetvalue(res, i, 2), &e.len);
        e.seq = atoll(PQgetvalue(res, i, 0));
        e.for_staff = atoll(PQgetvalue(res, i, 1));
        e.line = line;
        hub_publish(f->hub, &e, before);
        free(line);
        if (e.seq > f->head)
            f->head = e.seq;
    }
    grown(f, f->head);
    hub_behind(f->hub, f->head, replay_cb, f);
}

static void read_done(struct db_query *q, PGresult *res, void *arg)
{
    struct feed *f = arg;
    int rows;

    f->read_running = false;
    if (!db_ok(res)) {
        if (res)
            dk_log(DK_LOG_WARN, "feed read failed: %s",
                   PQresultErrorMessage(res));
        return;
    }
    rows = PQntuples(res);
    publish(f, res, 0);
    if (rows == BATCH || f->read_again) {
        f->read_again = false;
        read_new(f);
    }
}

static void read_new(struct feed *f)
{
    struct db_query *q;

    if (!f->up || !f->head_known)
        return;
    if (f->read_running) {
        f->read_again = true;
        return;
    }
    q = db_query_new(READ_SQL, 1);
    db_query_prepared(q);
    db_param_ll(q, 0, f->head);
    f->read_running = true;
    if (db_submit(f->db, q, read_done, f) != 0)
        f->read_running = false;
}

/* ---- sequencing ------------------------------------------------------- */

static void soon_cb(uv_timer_t *t)
{
    sequence(t->data);
}

static void sequence_done(struct db_query *q, PGresult *res, void *arg)
{
    struct feed *f = arg;
    long long numbered, waiting;

    f->seq_running = false;
    if (!db_ok(res)) {
        if (res)
            dk_log(DK_LOG_WARN, "feed sequencer failed: %s",
                   PQresultErrorMessage(res));
        if (f->notified)
            read_new(f); /* a NOTIFY heard meanwhile was not ours */
        f->notified = 0;
        return;
    }
    /* Row 0: how many were numbered, how many wait, the new floor (and
     * the NOTIFY, selected so that it surely runs); then the numbered
     * events in order, as the reader would have read them. */
    numbered = atoll(PQgetvalue(res, 0, 1));
    waiting = atoll(PQgetvalue(res, 0, 2));
    snprintf(f->floor, sizeof(f->floor), "%s", PQgetvalue(res, 0, 3));
    f->last_batch_ms = uv_now(f->core->loop);
    if (numbered > 0) {
        /* They follow the head (nothing between is unread): push them
         * now, saving the read (on_feed held back the one our own NOTIFY
         * would have made).  A read already queued behind this batch will
         * bring them again; publish() passes each subscriber only what is
         * newer than it has, so that costs a query, not a duplicate.
         * Otherwise read. */
        if (f->head_known && PQntuples(res) > 1 &&
            atoll(PQgetvalue(res, 1, 0)) == f->head + 1)
            publish(f, res, 1);
        else
            read_new(f);
        f->retry_ms = 0;
    }
    if (f->notified > f->head)
        read_new(f); /* numbers we did not bring, heard meanwhile */
    grown(f, f->head + waiting);
    f->notified = 0;
    if (numbered == SEQ_BATCH || f->seq_again) {
        f->seq_again = false;
        sequence(f);
    } else if (waiting > 0) {
        /* Rows of transactions that were still running: try again soon,
         * backing off while a long transaction holds them back. */
        f->retry_ms = f->retry_ms ? f->retry_ms * 2 : RETRY_MS;
        if (f->retry_ms > TICK_MS)
            f->retry_ms = TICK_MS;
        uv_timer_start(&f->soon, soon_cb, f->retry_ms, 0);
    } else {
        f->retry_ms = 0;
    }
}

static void sequence(struct feed *f)
{
    struct db_query *q;

    if (!f->up || !f->sequencer)
        return;
    if (f->seq_running) {
        f->seq_again = true;
        return;
    }
    q = db_query_new(
        /* Ready: below every running transaction.  A row this cluster
         * could not have written yet (xid past the snapshot's xmax) came
         * from another cluster by pg_dump and pg_restore: it is committed
         * and ready too, else it would wait for that xid forever.  Only
         * from the floor up: below it every row is numbered, and the
         * partial index still holds their entries until a vacuum.  The
         * new floor is the snapshot's xmin when the batch took every
         * ready row, else the last xid it numbered (rows of that xid may
         * remain), never above xmin (a restored row's xid may be). */
        "WITH snap AS (SELECT pg_current_snapshot() AS s), "
        "ready AS ("
        "  SELECT id, xid FROM event, snap"
        "   WHERE seq IS NULL AND xid >= $1::xid8"
        "     AND (xid < pg_snapshot_xmin(snap.s)"
        "          OR xid >= pg_snapshot_xmax(snap.s))"
        "   ORDER BY xid, id LIMIT " DK_STR(
            SEQ_BATCH) "), "
                       "base AS (SELECT coalesce(max(seq), 0) AS s FROM "
                       "event), "
                       "numbered AS ("
                       "  UPDATE event e SET seq = base.s + r.n"
                       "    FROM (SELECT id, row_number() OVER (ORDER BY xid, "
                       "id) AS n"
                       "            FROM ready) r, base"
                       "   WHERE e.id = r.id RETURNING e.*), "
                       "total AS ("
                       "  SELECT count(*) AS n, "
                       "    (SELECT count(*) FROM event WHERE seq IS NULL AND "
                       "xid >= $1::xid8)"
                       "      - count(*) AS waiting, "
                       "    CASE WHEN count(*) > 0 THEN "
                       "      pg_notify('docket_feed', max(seq)::text) END AS "
                       "notified, "
                       "    CASE WHEN count(*) < " DK_STR(
                           SEQ_BATCH) " THEN (SELECT pg_snapshot_xmin(s) FROM "
                                      "snap)"
                                      "         ELSE least(max(xid), (SELECT "
                                      "pg_snapshot_xmin(s) FROM snap))"
                                      "    END::text AS floor "
                                      "  FROM numbered) "
                                      "SELECT 0 AS k, n, waiting::text, floor, "
                                      "notified::text FROM total "
                                      "UNION ALL "
                                      "SELECT e.seq, coalesce(e.for_staff_id, "
                                      "0), " LINE_SQL ", NULL, NULL "
                                      "  FROM numbered e " LINE_JOINS
                                      "ORDER BY 1",
        1);
    /* Hundreds a second under load: planned once per session, not each
     * time (its generic plan reads the same two indexes). */
    db_query_prepared(q);
    db_param(q, 0, f->floor);
    f->seq_running = true;
    if (db_submit(f->db, q, sequence_done, f) != 0)
        f->seq_running = false;
}

static void wake_done(struct db_query *q, PGresult *res, void *arg)
{
    ((struct feed *)arg)->wake_running = false;
}

void feed_nudge(struct feed *f)
{
    struct db_query *q;

    if (f->sequencer) {
        /* The first write after a quiet spell is numbered at once: that
         * is the latency a person at another screen sees.  Under load,
         * gather a few milliseconds of writes into one numbering
         * transaction instead of one per write (a batch in flight
         * gathers what comes meanwhile by itself: seq_again). */
        if (!f->seq_running && !uv_is_active((uv_handle_t *)&f->soon) &&
            uv_now(f->core->loop) - f->last_batch_ms > NUDGE_MS) {
            sequence(f);
            return;
        }
        /* A back-off for an old transaction must not delay new writes. */
        if (!uv_is_active((uv_handle_t *)&f->soon) ||
            uv_timer_get_due_in(&f->soon) > NUDGE_MS)
            uv_timer_start(&f->soon, soon_cb, NUDGE_MS, 0);
        return;
    }
    /* Another instance sequences: wake it (outside any write). */
    if (!f->up || f->wake_running)
        return;
    q = db_query_new("SELECT pg_notify('docket_wake', '')", 0);
    f->wake_running = true;
    if (db_submit(f->db, q, wake_done, f) != 0)
        f->wake_running = false;
}

static void lock_done(struct db_query *q, PGresult *res, void *arg)
{
    struct feed *f = arg;

    f->lock_running = false;
    if (!db_ok(res))
        return;
    if (PQgetvalue(res, 0, 0)[0] == 't' && !f->sequencer) {
        f->sequencer = true;
        strcpy(f->floor, "0"); /* whatever another sequencer left */
        dk_log(DK_LOG_INFO, "this instance is the feed sequencer");
        sequence(f);
    }
}

static void try_lock(struct feed *f)
{
    struct db_query *q;

    if (!f->up || f->sequencer || f->lock_running)
        return;
    q = db_query_new("SELECT pg_try_advisory_lock(" FEED_LOCK ")", 0);
    f->lock_running = true;
    if (db_submit(f->db, q, lock_done, f) != 0)
        f->lock_running = false;
}

/* ---- connection state ------------------------------------------------- */

static void head_done(struct db_query *q, PGresult *res, void *arg)
{
    struct feed *f = arg;

    long long newest;

    if (!db_ok(res))
        return;
    newest = atoll(PQgetvalue(res, 0, 0));
    if (f->head_known && newest < f->head) {
        /* We pushed events the database no longer has: a standby that
         * had not received them was promoted (asynchronous replication),
         * or a backup was restored.  The sequencer will give those seqs
         * to other events; reading from our old head would skip them for
         * everyone, so read on from the database's newest.  Subscribers
         * that heard the lost events miss the ones now numbered in their
         * place (they heard a seq at or above them). */
        dk_log(DK_LOG_ERROR,
               "feed: the database's newest seq is %lld, but this instance "
               "had pushed up to %lld: events %lld to %lld were lost (a "
               "standby promoted before it had them?); their seqs will be "
               "given again, and clients that heard them should reload",
               newest, f->head, newest + 1, f->head);
        f->head = newest;
    }
    if (!f->head_known) {
        f->head = newest;
        f->head_known = true;
    }
    grown(f, f->head);
    read_new(f); /* after a reconnect: whatever we missed */
}

static void listen_done(struct db_query *q, PGresult *res, void *arg)
{
    struct feed *f = arg;
    struct db_query *h;

    if (!db_ok(res)) {
        /* Nothing would retry it, and a feed that does not listen hears
         * nothing: a new session may do better (another host). */
        if (res) {
            dk_log(DK_LOG_ERROR, "feed: LISTEN failed: %s",
                   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
            db_reconnect(f->db, "LISTEN failed");
        }
        return;
    }
    f->up = true;
    /* Whatever was said while the connection was down is lost: those who
     * keep contacts' sessions forget them all (0) and ask again. */
    if (f->contact_cb)
        f->contact_cb(0, f->contact_arg);
    try_lock(f);
    h = db_query_new("SELECT coalesce(max(seq), 0) FROM event", 0);
    db_submit(f->db, h, head_done, f);
}

static void state_cb(bool up, void *arg)
{
    struct feed *f = arg;
    struct db_query *q;

    if (!up) {
        /* The session ended: its LISTENs and its lock went with it. */
        if (f->sequencer && !f->done_cb)
            dk_log(DK_LOG_WARN, "lost the feed connection; no longer the "
                                "sequencer");
        f->up = false;
        f->sequencer = false;
        f->seq_running = f->read_running = f->lock_running = false;
        f->wake_running = false;
        return;
    }
    /* This session runs only the feed's statements, and each of them reads
     * event by an index.  They are prepared once per session, and a
     * generic plan made while event was small (a new install, a restore,
     * the first minute after a bulk import) scanned the whole table and
     * joined it by nested loops; as event grew under writes, until
     * autoanalyze re-planned it (up to autovacuum_naptime, a minute),
     * one numbering statement took 25 s and claims halved. */
    q = db_query_new("SET enable_seqscan = off; "
                     "LISTEN docket_feed; LISTEN docket_wake; "
                     "LISTEN docket_staff; LISTEN docket_session; "
                     "LISTEN docket_contact; LISTEN docket_mail",
                     0);
    db_submit(f->db, q, listen_done, f);
}

static void on_feed(struct feed *f, const char *payload)
{
    long long seq = atoll(payload);

    /* Pushed already: our own batch's NOTIFY is handed over after the
     * batch's answer, which brought its rows (db.c finishes a query
     * before it reads the notifications that came with it). */
    if (f->head_known && seq <= f->head)
        return;
    /* Or, while a batch is in flight, before it: read then only if the
     * answer does not bring them all. */
    if (f->sequencer && f->seq_running) {
        if (seq > f->notified)
            f->notified = seq;
        return;
    }
    read_new(f);
}

static void on_wake(struct feed *f, const char *payload)
{
    (void)payload;
    sequence(f);
}

/* A member disabled or changed: whoever holds their sessions ends them
 * (auth/). */
static void on_staff(struct feed *f, const char *payload)
{
    if (f->staff_cb)
        f->staff_cb(atoll(payload), f->staff_arg);
}

/* A logout on any instance: that session ends everywhere. */
static void on_session(struct feed *f, const char *payload)
{
    if (f->session_cb)
        f->session_cb(atoll(payload), f->staff_arg);
}

/* A contact's portal sessions ended (logout, a new password, access
 * removed): whoever remembers them forgets them. */
static void on_contact(struct feed *f, const char *payload)
{
    long long id = atoll(payload);

    if (f->contact_cb && id > 0)
        f->contact_cb(id, f->contact_arg);
}

/* Mail was queued, here or on another instance: whoever has an outbox
 * sends it now rather than at its next poll. */
static void on_mail(struct feed *f, const char *payload)
{
    (void)payload;
    if (f->mail_cb)
        f->mail_cb(f->mail_arg);
}

static const struct {
    const char *channel;
    void (*fn)(struct feed *f, const char *payload);
} channels[] = {
    {"docket_feed", on_feed},       {"docket_wake", on_wake},
    {"docket_staff", on_staff},     {"docket_session", on_session},
    {"docket_contact", on_contact}, {"docket_mail", on_mail},
};

static void notify_cb(const char *channel, const char *payload, void *arg)
{
    for (size_t i = 0; i < sizeof(channels) / sizeof(channels[0]); i++)
        if (strcmp(channel, channels[i].channel) == 0) {
            channels[i].fn(arg, payload);
            return;
        }
}

static void tick_cb(uv_timer_t *t)
{
    struct feed *f = t->data;

    f->ticks++;
    sequence(f);
    if (f->ticks % READ_TICKS == 0)
        read_new(f);
    if (f->ticks % LOCK_TICKS == 0)
        try_lock(f);
}

struct feed *feed_new(struct core *core)
{
    struct feed *f = dk_xcalloc(1, sizeof(*f));

    f->core = core;
    f->hub = core->hub;
    strcpy(f->floor, "0");
    f->db = db_new(core->loop, core->conninfo, 1);
    db_set_name(f->db, "feed");
    db_set_state_cb(f->db, state_cb, f);
    db_set_notify_cb(f->db, notify_cb, f);
    uv_timer_init(core->loop, &f->tick);
    f->tick.data = f;
    uv_timer_start(&f->tick, tick_cb, TICK_MS, TICK_MS);
    uv_timer_init(core->loop, &f->soon);
    f->soon.data = f;
    uv_timer_init(core->loop, &f->pause);
    f->pause.data = f;
    return f;
}

bool feed_ready(const struct feed *f)
{
    return f->head_known;
}

void feed_attach(struct feed *f, struct hub_sub *s,
                 const struct hub_sub_ops *ops, long long from)
{
    hub_subscribe(f->hub, s, ops, from);
    if (s->seq < f->head)
        replay(f, s);
}

void feed_set_session_cbs(struct feed *f,
                          void (*staff_cb)(long long staff_id, void *arg),
                          void (*session_cb)(long long session_id, void *arg),
                          void *arg)
{
    f->staff_cb = staff_cb;
    f->session_cb = session_cb;
    f->staff_arg = arg;
}

void feed_set_contact_cb(struct feed *f,
                         void (*cb)(long long contact_id, void *arg), void *arg)
{
    f->contact_cb = cb;
    f->contact_arg = arg;
}

void feed_set_mail_cb(struct feed *f, void (*cb)(void *arg), void *arg)
{
    f->mail_cb = cb;
    f->mail_arg = arg;
}

static void handle_closed(uv_handle_t *h)
{
    struct feed *f = h->data;

    if (--f->closing_handles == 0 && f->done_cb)
        f->done_cb(f->done_arg);
}

static void db_closed(void *arg)
{
    handle_closed((uv_handle_t *)&((struct feed *)arg)->tick);
}

void feed_close(struct feed *f, void (*done_cb)(void *arg), void *arg)
{
    f->done_cb = done_cb;
    f->done_arg = arg;
    f->closing_handles = 4;
    f->up = false;
    uv_close((uv_handle_t *)&f->tick, handle_closed);
    uv_close((uv_handle_t *)&f->soon, handle_closed);
    uv_close((uv_handle_t *)&f->pause, handle_closed);
    db_close(f->db, db_closed, f);
}

void feed_free(struct feed *f)
{
    if (!f)
        return;
    db_free(f->db);
    free(f);
}
