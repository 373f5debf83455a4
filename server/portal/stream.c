/*
 * stream.c - GET /events: the portal's pages kept live by Server-Sent
 * Events.  Each open page is one subscriber of the hub, fed by the same
 * change feed as the terminal clients, and hears only what it could see
 * by reloading: changes to tickets its contact may see (visibility and
 * the pipeline filter, applied here from the event's summary), reduced to
 * what the pages show (id, subject, status as the portal displays it,
 * created, last activity, a new message of the conversation).  Notes,
 * note-only changes, staff usernames, versions and the change record
 * never leave this file.  The detail page's stream also says which staff
 * member is replying (presence, by display name).
 *
 * One change becomes one struct pev, shared by every page that hears it:
 * its summary is parsed once, and what the summary lacks (the stage's
 * name, the message with its files) is asked of PostgreSQL once, only
 * when some page may see it.  A page's events wait in its queue, in feed
 * order, until theirs has come.  Each event carries its feed seq as the
 * SSE id, so a page that comes back (EventSource does by itself, with
 * Last-Event-ID) resumes where it was, on any docketd.
 *
 * Abuse: a stream needs a portal session and ends with it (logout,
 * removal from the access list, the idle timeout: a stream lives at most
 * portal.idle_timeout, then its client must come back through the session
 * check); a contact holds at most STREAM_PER_CONTACT of them (the oldest
 * gives way); a resume asks for at most STREAM_REPLAY_MAX events of
 * history (further back, the page is told to reload); a client that does
 * not read is dropped past STREAM_QUEUED_MAX, and a replay waits for it
 * past the hub's pause, so no stream makes the server hold much.
 */
#include "portal_int.h"
#include "core.h"
#include "db.h"
#include "dk_config.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "feed.h"
#include "hub.h"
#include "presence.h"

#include <http_parser.h>
#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define STREAM_PER_CONTACT 8
#define STREAM_REPLAY_MAX  1000  /* one replay batch: one query each at most */
#define PEV_CACHE          1024  /* recent events (a replay's worth), shared */
#define PEV_CACHE_BYTES    16384 /* an event with more text is not kept */
/* Queries completing events at once: a resume of a thousand does not fill
 * the pool's queue ahead of the staff's requests. */
#define ASK_MAX             8
#define STREAM_QUEUED_MAX   (4 * 1024 * 1024)
#define STREAM_HEARTBEAT_MS 20000
#define STREAM_RETRY_MS     2000
#define NAMES_EVERY_MS      5000 /* staff names asked again at most this often */
#define MAX_REPLYING        PRESENCE_MAX_PER_TICKET

/* One feed event as the portal shows it, shared by the pages that hear
 * it; counted by them and by the query that completes it. */
struct pev {
    int refs;
    long long seq;
    bool shown; /* a change the pages show at all */
    enum { PEV_NEW, PEV_ASKING, PEV_READY, PEV_FAILED } state;
    long long ticket, contact, company, message;
    char *pipeline, *stage;
    /* The ticket's own, as the query found it: a page that hears the
     * event later (a resume) must still be one that may see it now. */
    long long now_contact, now_company;
    char *now_pipeline;
    json_t *view; /* the payload, from the summary (and then the query) */
    bool closed;  /* the query's: the stage is a closed one */
    char *stage_name;
    char *frame[DK_LANG_COUNT][2]; /* [language][mine]: the SSE text */
    size_t len[DK_LANG_COUNT][2];
    struct streams *ss;
    struct pev *ask_next; /* waiting for its query to be sent */
};

/* A page's events in feed order: an event to send, or (ev NULL) a seq
 * heard with nothing in it for this page. */
struct item {
    struct pev *ev;
    long long seq;
    struct item *next;
};

/* A staff member's presence on the page's ticket, as last heard. */
struct replying {
    char user[64];
    bool replying;
    long long expires_in;
    bool told;
};

struct stream {
    struct hub_sub sub;
    struct streams *ss;
    struct http_exchange *x;
    int refs;
    bool ended;
    long long contact, company;
    long long ticket; /* the detail page's; 0 for the list */
    int lang;         /* the page's language */
    uint64_t until_ms;
    long long told;  /* the last id the client was given */
    long long quiet; /* heard since, with nothing to send: told later */
    struct item *head, *tail;
    struct replying rep[MAX_REPLYING];
    size_t nrep;
    struct stream *prev, *next;
};

struct staff_name {
    char *user, *name;
};

struct streams {
    struct portal *p;
    uv_timer_t beat;
    struct stream *list;
    size_t n;
    /* Events parsed lately, by seq: every page hearing one live, and the
     * pages resuming over the same seqs, share its parse and its query. */
    struct pev *recent[PEV_CACHE];
    int asking;                      /* queries in flight */
    struct pev *ask_head, *ask_tail; /* waiting for one of them */
    struct staff_name *names;
    size_t nnames;
    bool names_asking;
    uint64_t names_at;
    bool names_wanted; /* a name was missing while asking was held back */
};

static void stream_end(struct stream *st);
static void flush(struct stream *st);
static void ask_send(struct pev *ev);

/* ---- events ----------------------------------------------------------------
 */

static void pev_unref(struct pev *ev)
{
    if (!ev || --ev->refs > 0)
        return;
    free(ev->pipeline);
    free(ev->stage);
    free(ev->now_pipeline);
    json_decref(ev->view);
    free(ev->stage_name);
    for (int l = 0; l < DK_LANG_COUNT; l++) {
        free(ev->frame[l][0]);
        free(ev->frame[l][1]);
    }
    free(ev);
}

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

static long long jint(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* A date as the pages write it in lang ("2026-12-01 14:03 UTC"). */
static json_t *date_text(const struct streams *ss, int lang, const char *iso)
{
    char out[64];

    portal_date_in(ss->p, lang, iso, out, sizeof(out));
    return json_string(out);
}

/*
 * Whether a change is one the pages show: a new ticket, a message of the
 * conversation (a staff reply, a contact's), or a move to another stage
 * or pipeline (the status).  Everything else (notes, tasks, owners,
 * priority, delivery reports) is not, even when it touches the ticket's
 * last activity.
 */
static bool shown_change(json_t *params, long long *message)
{
    const char *type = jstr(params, "type");
    const char *action = jstr(params, "action");
    json_t *change = json_object_get(params, "change");

    *message = 0;
    if (!strcmp(type, "ticket.created"))
        return true;
    if (strcmp(type, "ticket.changed"))
        return false;
    if (!strcmp(action, "message_sent") ||
        !strcmp(action, "message_received")) {
        *message = jint(change, "message");
        return true;
    }
    return json_object_get(change, "stage") ||
           json_object_get(change, "pipeline");
}

/* The event of e, parsed once for all the pages that hear it. */
static struct pev *pev_of(struct streams *ss, const struct hub_event *e)
{
    struct pev *ev;
    json_t *o, *params, *t;
    json_error_t err;

    struct pev **slot = &ss->recent[(unsigned long long)e->seq % PEV_CACHE];

    if (*slot && (*slot)->seq == e->seq)
        return *slot;
    ev = dk_xcalloc(1, sizeof(*ev));
    ev->refs = 1; /* the cache's */
    ev->seq = e->seq;
    ev->ss = ss;
    o = json_loadb(e->line, e->len, 0, &err);
    params = json_object_get(o, "params");
    t = json_object_get(params, "ticket");
    if (!e->for_staff && json_is_object(t) &&
        shown_change(params, &ev->message)) {
        ev->shown = true;
        ev->ticket = jint(t, "id");
        ev->contact = jint(json_object_get(t, "contact"), "id");
        ev->company = jint(json_object_get(t, "company"), "id");
        ev->pipeline = dk_xstrdup(jstr(t, "pipeline"));
        ev->stage = dk_xstrdup(jstr(t, "stage"));
        ev->view = json_pack(
            "{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)ev->ticket,
            "subject", jstr(t, "subject"), "created", jstr(t, "created_at"),
            "last_activity", jstr(t, "last_activity_at"), "contact",
            jstr(json_object_get(t, "contact"), "name"));
        if (!ev->view)
            ev->shown = false;
    }
    json_decref(o);
    pev_unref(*slot);
    *slot = ev;
    return ev;
}

/* May st's contact see ev's ticket (portal_visible_() in C, from the
 * summary, and the detail page only its own ticket)? */
static bool may_see(const struct stream *st, long long ticket,
                    long long contact, long long company, const char *pipeline)
{
    const struct dk_config *cfg = st->ss->p->core->cfg;
    const struct dk_strlist *pl = &cfg->portal.pipelines;
    bool in_pipeline = false;

    if (st->ticket && st->ticket != ticket)
        return false;
    for (size_t i = 0; pipeline && i < pl->n && !in_pipeline; i++)
        in_pipeline = !strcmp(pl->v[i], pipeline);
    if (!in_pipeline)
        return false;
    return contact == st->contact ||
           (cfg->portal.visibility == DK_VISIBILITY_COMPANY && st->company &&
            company == st->company);
}

/* As the event's summary has it (whether to ask at all)... */
static bool visible(const struct stream *st, const struct pev *ev)
{
    return ev->shown &&
           may_see(st, ev->ticket, ev->contact, ev->company, ev->pipeline);
}

/* ...and as the ticket is now (before anything is sent). */
static bool visible_now(const struct stream *st, const struct pev *ev)
{
    return may_see(st, ev->ticket, ev->now_contact, ev->now_company,
                   ev->now_pipeline);
}

/* The event in lang: what differs by language (the status when it is not
 * a stage's name, the dates as written) is set on the view first. */
static char *frame_of(struct pev *ev, int lang, bool mine, size_t *len)
{
    const struct portal *p = ev->ss->p;
    json_t *m = json_object_get(ev->view, "message");
    char *data, *frame;

    json_object_set_new(
        ev->view, "status",
        json_string(p->core->cfg->portal.show_stage_names && ev->stage_name
                        ? ev->stage_name
                        : i18n_tr(p, lang, ev->closed ? "Closed" : "Open")));
    json_object_set_new(ev->view, "created_text",
                        date_text(ev->ss, lang, jstr(ev->view, "created")));
    json_object_set_new(
        ev->view, "last_activity_text",
        date_text(ev->ss, lang, jstr(ev->view, "last_activity")));
    if (m)
        json_object_set_new(m, "created_text",
                            date_text(ev->ss, lang, jstr(m, "created")));
    json_object_set_new(ev->view, "mine", json_boolean(mine));
    data = json_dumps(ev->view, JSON_COMPACT);
    if (!data)
        return NULL;
    /* JSON text has no line break (jansson escapes those in strings): one
     * data line. */
    frame =
        dk_xasprintf("id: %lld\nevent: ticket\ndata: %s\n\n", ev->seq, data);
    free(data);
    *len = strlen(frame);
    return frame;
}

static void message_view(json_t *view, json_t *m)
{
    json_t *files = json_array(), *a;
    size_t i;

    json_array_foreach(json_object_get(m, "attachments"), i, a)
        json_array_append_new(
            files, json_pack("{s:I, s:s, s:I}", "id", (json_int_t)jint(a, "id"),
                             "filename", jstr(a, "filename"), "size",
                             (json_int_t)jint(a, "size")));
    json_object_set_new(
        view, "message",
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "id",
                  (json_int_t)jint(m, "id"), "direction", jstr(m, "direction"),
                  "author", jstr(m, "author"), "created", jstr(m, "created"),
                  "body", jstr(m, "body"), "files", files));
}

static void asked(struct db_query *q, PGresult *res, void *arg)
{
    struct pev *ev = arg;
    struct streams *ss = ev->ss;
    const struct dk_config *cfg = ss->p->core->cfg;
    json_t *r = NULL, *m;
    json_error_t err;
    const char *stage;

    (void)q;
    ss->asking--;
    if (ss->ask_head) {
        struct pev *next = ss->ask_head;
        ss->ask_head = next->ask_next;
        if (!ss->ask_head)
            ss->ask_tail = NULL;
        ask_send(next);
    }
    if (db_ok(res) && PQntuples(res) == 1)
        r = json_loads(PQgetvalue(res, 0, 0), 0, &err);
    if (!r) {
        dk_log(DK_LOG_WARN,
               "portal events: seq %lld could not be completed: %s", ev->seq,
               res ? PQresultErrorMessage(res) : "no database");
        ev->state = PEV_FAILED;
    } else {
        ev->closed = json_is_true(json_object_get(r, "closed"));
        ev->now_contact = jint(r, "contact");
        ev->now_company = jint(r, "company");
        free(ev->now_pipeline);
        ev->now_pipeline = json_is_string(json_object_get(r, "pipeline"))
                               ? dk_xstrdup(jstr(r, "pipeline"))
                               : NULL;
        stage = json_string_value(json_object_get(r, "stage_name"));
        free(ev->stage_name);
        ev->stage_name = stage ? dk_xstrdup(stage) : NULL;
        json_object_set_new(ev->view, "closed", json_boolean(ev->closed));
        m = json_object_get(r, "message");
        if (json_is_object(m))
            message_view(ev->view, m);
        ev->state = PEV_READY;
        /* Each language the portal speaks, mine and not: what every page
         * hearing it sends. */
        for (size_t i = 0; i < cfg->portal.languages.n; i++) {
            int l = i18n_offered(ss->p, cfg->portal.languages.v[i]);
            for (int mine = 0; l >= 0 && mine < 2; mine++) {
                free(ev->frame[l][mine]);
                ev->frame[l][mine] = frame_of(ev, l, mine, &ev->len[l][mine]);
                if (!ev->frame[l][mine])
                    ev->state = PEV_FAILED;
            }
        }
        json_decref(r);
    }
    /* Kept for pages resuming over it only while it is small: a long
     * message in every language would make the cache hold megabytes. */
    {
        struct pev **slot =
            &ss->recent[(unsigned long long)ev->seq % PEV_CACHE];
        size_t bytes = 0;
        for (int l = 0; l < DK_LANG_COUNT; l++)
            bytes += ev->len[l][0] + ev->len[l][1];
        if (*slot == ev &&
            (ev->state != PEV_READY || bytes > PEV_CACHE_BYTES)) {
            *slot = NULL;
            pev_unref(ev); /* the cache's; the query's still holds it */
        }
    }
    /* Every page waiting on it may go on (a page with it queued has it at
     * or behind its head: flushing the others is a no-op). */
    for (struct stream *st = ss->list, *next; st; st = next) {
        next = st->next;
        flush(st);
    }
    pev_unref(ev);
}

static void ask_send(struct pev *ev)
{
    struct streams *ss = ev->ss;
    struct db_query *q =
        db_query_new("SELECT portal_event_($1::bigint, $2, $3, $4::bigint)", 4);

    db_query_prepared(q);
    db_param_ll(q, 0, ev->ticket);
    db_param(q, 1, ev->pipeline);
    db_param(q, 2, ev->stage);
    if (ev->message)
        db_param_ll(q, 3, ev->message);
    ss->asking++;
    if (db_submit(ss->p->core->db, q, asked, ev) != 0) {
        ss->asking--;
        ev->state = PEV_FAILED;
        pev_unref(ev);
    }
}

/* Complete ev: its query now, or when one of those in flight is done. */
static void ask(struct pev *ev)
{
    struct streams *ss = ev->ss;

    ev->state = PEV_ASKING;
    ev->refs++; /* the query's, or the wait's */
    if (ss->asking < ASK_MAX) {
        ask_send(ev);
        return;
    }
    ev->ask_next = NULL;
    if (ss->ask_tail)
        ss->ask_tail->ask_next = ev;
    else
        ss->ask_head = ev;
    ss->ask_tail = ev;
}

/* ---- a page's stream
 * --------------------------------------------------------- */

static void stream_unref(struct stream *st)
{
    if (--st->refs > 0)
        return;
    free(st);
}

static bool stream_send(struct stream *st, const char *data, size_t len)
{
    if (st->ended)
        return false;
    if (!http_stream_write(st->x, data, len))
        return false; /* gone: stream_end() ran */
    if (http_stream_queued(st->x) > STREAM_QUEUED_MAX) {
        dk_log(DK_LOG_INFO,
               "portal events: contact %lld reads too slowly; dropped",
               st->contact);
        stream_end(st);
        return false;
    }
    return true;
}

/* Write what is ready at the head of st's queue, in order. */
static void flush(struct stream *st)
{
    struct item *it;
    bool mine;

    st->refs++;
    while (!st->ended && (it = st->head)) {
        if (it->ev && it->ev->state == PEV_ASKING)
            break;
        if (it->ev && it->ev->state == PEV_FAILED) {
            /* Ended before it: the page comes back from the last id it
             * was given and hears it again. */
            stream_end(st);
            break;
        }
        st->head = it->next;
        if (!st->head)
            st->tail = NULL;
        if (it->ev && !visible_now(st, it->ev)) {
            /* Moved away from this contact (or out of the portal's
             * pipelines) since: nothing of it, as for a reload. */
            st->quiet = it->seq;
        } else if (it->ev) {
            mine = it->ev->now_contact == st->contact;
            if (!it->ev->frame[st->lang][mine])
                st->lang = st->ss->p->core->cfg->portal.default_language;
            if (it->ev->frame[st->lang][mine] &&
                stream_send(st, it->ev->frame[st->lang][mine],
                            it->ev->len[st->lang][mine]))
                st->told = it->seq;
        } else {
            st->quiet = it->seq;
        }
        pev_unref(it->ev);
        free(it);
    }
    stream_unref(st);
}

static void enqueue(struct stream *st, struct pev *ev, long long seq)
{
    struct item *it;

    /* Nothing waiting and nothing to send: only the id moves on. */
    if (!ev && !st->head) {
        st->quiet = seq;
        return;
    }
    /* Behind an event still being asked for, seqs with nothing in them
     * fold into one item: the queue is as long as what it will send. */
    if (!ev && !st->tail->ev) {
        st->tail->seq = seq;
        return;
    }
    it = dk_xcalloc(1, sizeof(*it));
    it->ev = ev;
    it->seq = seq;
    if (ev)
        ev->refs++;
    if (st->tail)
        st->tail->next = it;
    else
        st->head = it;
    st->tail = it;
    flush(st);
}

/* ---- presence: who is replying --------------------------------------------
 */

static const char *name_of(const struct streams *ss, const char *user)
{
    for (size_t i = 0; i < ss->nnames; i++)
        if (!strcmp(ss->names[i].user, user))
            return ss->names[i].name;
    return NULL;
}

static void tell_replying(struct stream *st)
{
    char *data, *frame;
    const char *name;
    json_t *o;

    /* A send may end the stream (too much unread): it must outlive the
     * loop. */
    st->refs++;
    for (size_t i = 0; i < st->nrep && !st->ended; i++) {
        struct replying *r = &st->rep[i];
        if (r->told || !(name = name_of(st->ss, r->user)))
            continue;
        r->told = true;
        o = json_pack("{s:s, s:b, s:I}", "name", name, "replying", r->replying,
                      "expires_in", (json_int_t)r->expires_in);
        data = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!data)
            continue;
        frame = dk_xasprintf("event: presence\ndata: %s\n\n", data);
        free(data);
        stream_send(st, frame, strlen(frame));
        free(frame);
    }
    stream_unref(st);
}

static void names_done(struct db_query *q, PGresult *res, void *arg)
{
    struct streams *ss = arg;

    (void)q;
    ss->names_asking = false;
    if (!db_ok(res))
        return;
    for (size_t i = 0; i < ss->nnames; i++) {
        free(ss->names[i].user);
        free(ss->names[i].name);
    }
    free(ss->names);
    ss->nnames = (size_t)PQntuples(res);
    ss->names = dk_xcalloc(ss->nnames ? ss->nnames : 1, sizeof(*ss->names));
    for (size_t i = 0; i < ss->nnames; i++) {
        ss->names[i].user = dk_xstrdup(PQgetvalue(res, (int)i, 0));
        ss->names[i].name = dk_xstrdup(PQgetvalue(res, (int)i, 1));
    }
    for (struct stream *st = ss->list, *next; st; st = next) {
        next = st->next;
        tell_replying(st);
    }
}

/* The staff's display names: the pages say "Anna Berg is replying", never
 * a username. */
static void names_ask(struct streams *ss)
{
    uint64_t now = uv_now(ss->p->core->loop);
    struct db_query *q;

    if (ss->names_asking ||
        (ss->names_at && now - ss->names_at < NAMES_EVERY_MS)) {
        /* Asked for too soon: the heartbeat asks, and the names then go
         * out to every page that waits for one. */
        ss->names_wanted = true;
        return;
    }
    ss->names_wanted = false;
    ss->names_at = now;
    q = db_query_new("SELECT username, name FROM staff", 0);
    ss->names_asking = true;
    if (db_submit(ss->p->core->db, q, names_done, ss) != 0)
        ss->names_asking = false;
}

static void presence_push(struct stream *st, const struct hub_event *e)
{
    json_t *o, *params;
    const char *user;
    struct replying *r = NULL;
    bool replying;

    if (!st->ticket)
        return; /* the list says nothing of who is replying */
    o = json_loadb(e->line, e->len, 0, NULL);
    params = json_object_get(o, "params");
    user = jstr(params, "user");
    if (strcmp(jstr(params, "type"), "presence") ||
        jint(params, "ticket") != st->ticket || !*user ||
        strlen(user) >= sizeof(r->user)) {
        json_decref(o);
        return;
    }
    replying = !strcmp(jstr(params, "state"), "replying");
    for (size_t i = 0; i < st->nrep && !r; i++)
        if (!strcmp(st->rep[i].user, user))
            r = &st->rep[i];
    if (!r && !replying) {
        json_decref(o);
        return; /* viewing, or gone, and never said to be replying */
    }
    if (!r && st->nrep < MAX_REPLYING) {
        r = &st->rep[st->nrep++];
        snprintf(r->user, sizeof(r->user), "%s", user);
        r->replying = !replying; /* so that it counts as a change */
    }
    if (r && r->replying != replying) {
        r->replying = replying;
        r->expires_in = jint(params, "expires_in");
        r->told = false;
        if (!name_of(st->ss, user))
            names_ask(st->ss);
        tell_replying(st);
    }
    json_decref(o);
}

/* ---- the hub's side -------------------------------------------------------
 */

static struct stream *stream_of(struct hub_sub *s)
{
    return (struct stream *)((char *)s - offsetof(struct stream, sub));
}

static void deliver(struct hub_sub *s, const struct hub_event *e)
{
    struct stream *st = stream_of(s);
    struct pev *ev;

    if (st->ended)
        return;
    if (e->seq == 0) {
        presence_push(st, e);
        return;
    }
    ev = pev_of(st->ss, e);
    if (!visible(st, ev)) {
        enqueue(st, NULL, e->seq);
        return;
    }
    /* A failed one is asked again: the page that comes back for it must
     * not meet the same failure. */
    if (ev->state == PEV_NEW || ev->state == PEV_FAILED)
        ask(ev);
    enqueue(st, ev, e->seq);
}

static void hold(struct hub_sub *s, int delta)
{
    struct stream *st = stream_of(s);

    if (delta > 0)
        st->refs++;
    else
        stream_unref(st);
}

static size_t queued(struct hub_sub *s)
{
    struct stream *st = stream_of(s);

    return st->ended ? 0 : http_stream_queued(st->x);
}

static const struct hub_sub_ops stream_ops = {deliver, hold, queued};

static void stream_end(struct stream *st)
{
    struct streams *ss = st->ss;
    struct http_exchange *x = st->x;

    if (st->ended)
        return;
    st->ended = true;
    if (st->prev)
        st->prev->next = st->next;
    else if (ss->list == st)
        ss->list = st->next;
    if (st->next)
        st->next->prev = st->prev;
    st->prev = st->next = NULL;
    ss->n--;
    hub_unsubscribe(ss->p->core->hub, &st->sub);
    while (st->head) {
        struct item *it = st->head;
        st->head = it->next;
        pev_unref(it->ev);
        free(it);
    }
    st->tail = NULL;
    st->x = NULL;
    http_stream_end(x);
    stream_unref(st);
}

static void stream_gone(void *arg)
{
    stream_end(arg);
}

/* Every STREAM_HEARTBEAT_MS: a comment to keep proxies from closing an
 * idle stream (and the id heard so far, so that a page coming back does
 * not replay what had nothing for it); a stream past its session's idle
 * time ends, and its client must show the session again. */
static void beat_cb(uv_timer_t *t)
{
    struct streams *ss = t->data;
    uint64_t now = uv_now(ss->p->core->loop);
    char line[64];

    if (ss->names_wanted)
        names_ask(ss);
    for (struct stream *st = ss->list, *next; st; st = next) {
        next = st->next;
        if (now >= st->until_ms) {
            stream_end(st);
            continue;
        }
        if (!st->head && st->quiet > st->told) {
            snprintf(line, sizeof(line), "id: %lld\n\n", st->quiet);
            if (stream_send(st, line, strlen(line)))
                st->told = st->quiet;
        } else {
            stream_send(st, ":\n\n", 3);
        }
    }
}

/* ---- GET /events ----------------------------------------------------------
 */

/* A seq from a client: digits only, below 2^53; -1 otherwise. */
static long long seq_arg(const char *s)
{
    long long v = 0;

    if (!s || !*s || strlen(s) > 16)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v < (1LL << 53) ? v : -1;
}

static void start(struct preq *q)
{
    struct portal *p = q->p; /* q is freed once the stream starts */
    struct streams *ss = p->streams;
    struct feed *feed = p->core->feed;
    struct stream *st = dk_xcalloc(1, sizeof(*st)), *o, *oldest = NULL;
    long long head = feed_head(feed), from;
    long long idle = p->core->cfg->portal.idle_timeout;
    size_t mine = 0;
    bool reload = false;
    char retry[64];

    from = seq_arg(q->r->last_event_id);
    if (from < 0)
        from = seq_arg(portal_arg(q, "since"));
    st->ss = ss;
    st->refs = 1;
    st->contact = q->who.id;
    st->company = q->who.company_id;
    st->ticket = q->id;
    st->lang = q->lang;
    /* Up to a tenth sooner, at random: pages opened together (a restart
     * brings them all back at once) do not all come back together. */
    idle = (idle > 0 ? idle : 86400) * 1000;
    st->until_ms = uv_now(p->core->loop) + (uint64_t)idle -
                   randombytes_uniform((uint32_t)(idle / 10 + 1));
    /* Into the list first: the stream may be gone before start returns. */
    st->next = ss->list;
    if (ss->list)
        ss->list->prev = st;
    ss->list = st;
    ss->n++;
    st->x = q->x;
    st->refs++; /* this function's */
    portal_stream_start(q, stream_gone, st);
    if (st->ended) {
        stream_unref(st);
        return;
    }
    snprintf(retry, sizeof(retry), "retry: %d\n\n",
             STREAM_RETRY_MS + (int)randombytes_uniform(1000));
    if (!stream_send(st, retry, strlen(retry)) || !feed_ready(feed)) {
        /* Not ready (docketd has just started): the client tries again
         * after retry, as it would after a dropped connection. */
        stream_end(st);
        stream_unref(st);
        return;
    }
    /* A contact's oldest stream gives way to their newest. */
    for (o = ss->list; o; o = o->next)
        if (o->contact == st->contact && o != st) {
            mine++;
            oldest = o; /* the list is newest first */
        }
    if (mine >= STREAM_PER_CONTACT)
        stream_end(oldest);
    if (from < 0) {
        from = head;
    } else if (from + STREAM_REPLAY_MAX < head ||
               from > head + STREAM_REPLAY_MAX) {
        /* Too far back to replay cheaply (or a seq from nowhere): live from
         * now, and the page says it may be out of date. */
        from = head;
        reload = true;
    }
    st->told = from;
    feed_attach(feed, &st->sub, &stream_ops, from);
    /* A comment: nothing for EventSource, but a raw client (the tests, a
     * monitor) can tell a stream that is on from one that is not yet. */
    stream_send(st, ": live\n\n", 8);
    if (reload)
        stream_send(st, "event: reload\ndata: {}\n\n", 24);
    if (st->ticket && !st->ended) {
        names_ask(ss);
        presence_replay(p->core->presence, &st->sub);
    }
    stream_unref(st);
}

static void ticket_checked(struct preq *q, PGresult *res)
{
    if (!db_ok(res)) {
        portal_db_error(q, res); /* 404 for one the contact may not see */
        return;
    }
    start(q);
}

void page_events(struct preq *q)
{
    const char *t = portal_arg(q, "ticket");
    struct db_query *dq;

    if (q->r->method == HTTP_HEAD) {
        portal_bytes(q, 200, "text/event-stream", "Cache-Control: no-store\r\n",
                     NULL);
        return;
    }
    if (!t) {
        start(q);
        return;
    }
    if ((q->id = seq_arg(t)) <= 0) {
        portal_not_found(q);
        return;
    }
    dq = db_query_new("SELECT (portal_ticket_get_($1::bigint, $2, $3::text[], "
                      "$4::bigint, false)).id",
                      4);
    portal_bind_viewer(dq, q);
    db_param_ll(dq, 3, q->id);
    portal_query(q, dq, ticket_checked);
}

/* ---- the portal's side -----------------------------------------------------
 */

struct streams *portal_streams_new(struct portal *p)
{
    struct streams *ss = dk_xcalloc(1, sizeof(*ss));

    ss->p = p;
    uv_timer_init(p->core->loop, &ss->beat);
    ss->beat.data = ss;
    uv_timer_start(&ss->beat, beat_cb, STREAM_HEARTBEAT_MS,
                   STREAM_HEARTBEAT_MS);
    uv_unref((uv_handle_t *)&ss->beat);
    return ss;
}

void portal_streams_forget(struct portal *p, long long contact_id)
{
    struct streams *ss = p->streams;

    if (!ss)
        return;
    for (struct stream *st = ss->list, *next; st; st = next) {
        next = st->next;
        if (!contact_id || st->contact == contact_id)
            stream_end(st);
    }
}

size_t portal_streams_count(const struct portal *p)
{
    return p->streams ? p->streams->n : 0;
}

void portal_streams_free(struct streams *ss)
{
    if (!ss)
        return;
    /* The streams ended with the HTTP layer's close; the timer was closed
     * by the loop's last walk. */
    for (size_t i = 0; i < PEV_CACHE; i++)
        pev_unref(ss->recent[i]);
    /* Waiting to be asked when the pool closed: never will be. */
    while (ss->ask_head) {
        struct pev *ev = ss->ask_head;
        ss->ask_head = ev->ask_next;
        pev_unref(ev);
    }
    for (size_t i = 0; i < ss->nnames; i++) {
        free(ss->names[i].user);
        free(ss->names[i].name);
    }
    free(ss->names);
    free(ss);
}
