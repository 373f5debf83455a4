/*
 * conn.c - the connection (conn.h).  It logs in (peer credentials on the
 * Unix socket, the SSH key sshd verified, else a password), subscribes to
 * the feed, loads the views and keeps the store current from the pushes;
 * when it drops, the status line counts down to the next try, and the
 * session and the feed resume where they were (session.resume,
 * events.subscribe since our seq).
 * Presence pushes have no seq and never move ours; our own presence is
 * sent from the tick, so a screen closing and opening again in one turn
 * costs one message, not two.
 */
#include "conn.h"
#include "model.h"
#include "app.h"
#include "dk_mem.h"
#include "dk_roles.h"
#include "draw.h"

#include <stdlib.h>
#include <string.h>

/* ---- calls ------------------------------------------------------------- */

struct call {
    struct app *a;
    dk_client_reply_cb cb;
    void *arg;
};

/* The server's words for a refusal, never a bare code. */
static void show_error(struct app *a, json_t *error)
{
    const char *msg = json_string_value(json_object_get(error, "message"));
    json_t *data = json_object_get(error, "data");
    const char *owner = json_string_value(json_object_get(data, "owner"));
    long long code = json_integer_value(json_object_get(error, "code"));

    if (code == 4009 && owner) {
        if (strstr(msg ? msg : "", "changed since"))
            draw_message(a, true,
                         "Changed by someone else meanwhile; "
                         "reloaded, try again");
        else /* name the person, as the handbook would */
            draw_message(a, true, "Already claimed by %s",
                         store_staff_name(&a->store, owner));
        return;
    }
    if (code == 0)
        draw_message(a, true, "Not sent: %s", msg ? msg : "offline");
    else
        draw_message(a, true, "%s", msg ? msg : "refused");
}

static void login(struct app *a);

static void call_done(struct dk_client *cl, json_t *result, json_t *error,
                      void *arg)
{
    struct call *c = arg;
    long long code = json_integer_value(json_object_get(error, "code"));

    if (error)
        show_error(c->a, error);
    /* The server forgot the session (expired, or the member was
     * disabled): sign in again, which also resubscribes from our seq. */
    if ((code == 4010 || code == 4001) && c->a->conn == CS_LIVE) {
        free(c->a->token);
        c->a->token = NULL;
        login(c->a);
    }
    if (c->cb)
        c->cb(cl, result, error, c->arg);
    app_dirty(c->a);
    free(c);
}

void conn_call(struct app *a, const char *method, json_t *params,
               dk_client_reply_cb cb, void *arg)
{
    struct call *c = dk_xmalloc(sizeof(*c));

    c->a = a;
    c->cb = cb;
    c->arg = arg;
    if (dk_client_call(a->client, method, params, call_done, c) != 0) {
        /* Answer it as failed, so every caller's state is released. */
        json_t *err = json_pack("{s:i, s:s}", "code", 0, "message",
                                "offline; reconnecting");
        call_done(a->client, NULL, err, c);
        json_decref(err);
    }
}

/* ---- loads --------------------------------------------------------------- */

struct load {
    struct app *a;
    enum dk_view view;
    bool more;
};

static void view_loaded(struct dk_client *cl, json_t *result, json_t *error,
                        void *arg)
{
    struct load *l = arg;

    store_view_loaded(&l->a->store, l->view, l->more, result);
    free(l);
}

void conn_load_view(struct app *a, enum dk_view view, bool more)
{
    struct view *v = &a->store.views[view];
    struct load *l;
    json_t *p;

    if (v->loading || (more && (v->complete || !v->next)))
        return;
    p = json_pack("{s:s, s:i}", "view", dk_view_names[view], "limit", 500);
    if (more)
        json_object_set_new(p, "after", json_string(v->next));
    if (v->query)
        json_object_set_new(p, "query", json_string(v->query));
    l = dk_xmalloc(sizeof(*l));
    l->a = a;
    l->view = view;
    l->more = more;
    v->loading = true;
    conn_call(a, "tickets.view", p, view_loaded, l);
}

static void counts_loaded(struct dk_client *cl, json_t *result, json_t *error,
                          void *arg)
{
    struct app *a = arg;

    store_counts_loaded(&a->store, result);
}

static void load_counts(struct app *a)
{
    conn_call(a, "tickets.counts", json_object(), counts_loaded, a);
}

static void ticket_loaded(struct dk_client *cl, json_t *result, json_t *error,
                          void *arg)
{
    struct app *a = arg;

    store_ticket_loaded(&a->store, result);
}

void conn_load_ticket(struct app *a, long long id)
{
    conn_call(a, "tickets.get", json_pack("{s:I}", "id", (json_int_t)id),
              ticket_loaded, a);
}

static void notifications_loaded(struct dk_client *cl, json_t *result,
                                 json_t *error, void *arg)
{
    struct app *a = arg;

    store_notifications_loaded(&a->store, result);
}

void conn_load_notifications(struct app *a)
{
    conn_call(a, "notifications.list", json_object(), notifications_loaded, a);
}

static void staff_loaded(struct dk_client *cl, json_t *result, json_t *error,
                         void *arg)
{
    struct app *a = arg;

    store_staff_loaded(&a->store, result);
}

static void pipelines_loaded(struct dk_client *cl, json_t *result,
                             json_t *error, void *arg)
{
    struct app *a = arg;

    if (!result)
        return; /* an older server: the seeded names serve */
    model_set_pipelines(result);
    app_dirty(a);
}

void conn_load_everything(struct app *a)
{
    load_counts(a);
    for (int v = 0; v < DK_NVIEWS; v++)
        conn_load_view(a, (enum dk_view)v, false);
    conn_load_notifications(a);
    conn_call(a, "staff.list", json_object(), staff_loaded, a);
    conn_call(a, "pipelines.list", json_object(), pipelines_loaded, a);
    if (a->store.ticket_id)
        conn_load_ticket(a, a->store.ticket_id);
}

/* ---- presence --------------------------------------------------------------
 */

#define PRESENCE_REFRESH_MS 10000

void conn_presence_view(struct app *a, long long ticket)
{
    a->viewing = ticket;
}

void conn_presence_reply(struct app *a, long long ticket)
{
    a->replying = ticket;
}

/* Tell the server; a refusal is not the user's business (no message). */
static void presence_send(struct app *a, long long ticket, int state)
{
    dk_client_call(a->client, "presence.set",
                   json_pack("{s:I, s:s?}", "ticket", (json_int_t)ticket,
                             "state",
                             state == STORE_REPLYING  ? "replying"
                             : state == STORE_VIEWING ? "viewing"
                                                      : NULL),
                   NULL, NULL);
}

/* A presence push.  Our own marker says how long the server keeps it: a
 * server whose lapse is under 30 s is refreshed a third as often. */
static void presence_heard(struct app *a, json_t *params)
{
    const char *user = json_string_value(json_object_get(params, "user"));
    long long expires =
        json_integer_value(json_object_get(params, "expires_in"));

    if (user && strcmp(user, a->me) == 0 && expires > 0) {
        a->refresh_ms = (uint64_t)expires * 1000 / 3;
        if (a->refresh_ms > PRESENCE_REFRESH_MS)
            a->refresh_ms = PRESENCE_REFRESH_MS;
        if (a->refresh_ms < 1000)
            a->refresh_ms = 1000;
    }
    if (store_presence_push(&a->store, params))
        app_dirty(a);
}

static void presence_sync(struct app *a)
{
    /* Locked for idleness: whoever it is has gone. */
    long long ticket = a->locked ? 0 : a->replying ? a->replying : a->viewing;
    int state = !ticket ? 0 : a->replying ? STORE_REPLYING : STORE_VIEWING;
    uint64_t now = uv_now(a->loop);

    if (a->told_ticket && a->told_ticket != ticket) {
        presence_send(a, a->told_ticket, 0);
        a->told_ticket = 0;
        a->told_state = 0;
    }
    if (!ticket)
        return;
    if (ticket == a->told_ticket && state == a->told_state &&
        now - a->told_ms <
            (a->refresh_ms ? a->refresh_ms : PRESENCE_REFRESH_MS))
        return;
    presence_send(a, ticket, state);
    a->told_ticket = ticket;
    a->told_state = state;
    a->told_ms = now;
}

/* ---- the session --------------------------------------------------------- */

static void subscribed(struct dk_client *cl, json_t *result, json_t *error,
                       void *arg)
{
    struct app *a = arg;
    long long seq = json_integer_value(json_object_get(result, "seq"));

    if (!result) {
        dk_client_disconnect(cl, "could not subscribe");
        return;
    }
    if (json_is_true(json_object_get(result, "resync")) || a->seq == 0) {
        a->seq = seq;
        conn_load_everything(a);
    } else {
        /* The replay brings what we missed; counts may have moved. */
        load_counts(a);
        conn_load_notifications(a);
    }
    a->conn = CS_LIVE;
    a->retry_ms = 0;
    /* The markers come again after this answer; ours is told again at
     * the next tick (a new connection holds none). */
    store_presence_clear(&a->store);
    a->told_ticket = 0;
    a->told_state = 0;
}

static void subscribe(struct app *a)
{
    json_t *p = json_object();

    if (a->seq > 0)
        json_object_set_new(p, "since", json_integer(a->seq));
    a->conn = CS_SYNCING;
    conn_call(a, "events.subscribe", p, subscribed, a);
}

static void logged_in(struct dk_client *cl, json_t *result, json_t *error,
                      void *arg)
{
    struct app *a = arg;
    json_t *staff = json_object_get(result, "staff"), *r;
    const char *name = json_string_value(json_object_get(staff, "name"));
    size_t i;

    if (!result) {
        long long code = json_integer_value(json_object_get(error, "code"));
        if (code == 4010) { /* the session is gone: log in afresh */
            login(a);
            return;
        }
        a->quit = code == 4003; /* wrong password or not a staff member */
        if (a->quit) {
            a->refused = true;
            a->conn = CS_OFFLINE;
            uv_stop(a->loop);
            return;
        }
        /* Anything else (the database starting, too many attempts):
         * drop the connection so that the back-off retries. */
        dk_client_disconnect(cl, "could not log in");
        return;
    }
    if (!json_is_string(json_object_get(result, "token")) ||
        !json_is_string(json_object_get(staff, "username"))) {
        dk_client_disconnect(cl, "the server's login answer is incomplete");
        return;
    }
    free(a->token);
    a->token = dk_xstrdup(json_string_value(json_object_get(result, "token")));
    a->idle_s = json_integer_value(json_object_get(result, "idle_timeout_s"));
    snprintf(a->me, sizeof(a->me), "%s",
             json_string_value(json_object_get(staff, "username")));
    snprintf(a->my_name, sizeof(a->my_name), "%s", name ? name : a->me);
    a->roles = 0;
    json_array_foreach(json_object_get(staff, "roles"), i, r)
    {
        a->roles |=
            dk_role_parse(json_string_value(r) ? json_string_value(r) : "");
    }
    if (a->message_error)
        a->message[0] = '\0';
    subscribe(a);
}

static void login(struct app *a)
{
    a->conn = CS_LOGGING_IN;
    if (a->token) {
        /* Resume first; a refusal falls back to a fresh login. */
        conn_call(a, "session.resume", json_pack("{s:s}", "token", a->token),
                  logged_in, a);
        free(a->token);
        a->token = NULL;
    } else if (a->ssh_key) {
        /* sshd verified the key and runs us as the gateway user; the
         * server trusts that user's word for which key it was. */
        conn_call(a, "session.ssh",
                  json_pack("{s:s}", "fingerprint", a->ssh_key), logged_in, a);
    } else if (dk_client_is_unix(a->client) && !a->password) {
        conn_call(a, "session.peer", json_object(), logged_in, a);
    } else {
        conn_call(a, "session.login",
                  json_pack("{s:s, s:s}", "username", a->user ? a->user : "",
                            "password", a->password ? a->password : ""),
                  logged_in, a);
    }
}

static void unlocked(struct dk_client *cl, json_t *result, json_t *error,
                     void *arg)
{
    struct app *a = arg;

    if (!result)
        return; /* the reason is on the status line; still locked */
    if (!json_is_string(json_object_get(result, "token")))
        return;
    free(a->token);
    a->token = dk_xstrdup(json_string_value(json_object_get(result, "token")));
    a->locked = false;
    /* The old session may have been ended meanwhile, and its feed with
     * it: subscribe again from the last change we saw. */
    subscribe(a);
    a->last_key_ms = uv_now(a->loop);
    draw_message(a, false, "Welcome back, %s", a->my_name);
}

bool conn_needs_password(struct app *a)
{
    /* Peer credentials and the SSH key re-authenticate by themselves. */
    return !a->ssh_key && !(dk_client_is_unix(a->client) && !a->user);
}

void conn_unlock(struct app *a, const char *password)
{
    if (!password && a->ssh_key) {
        conn_call(a, "session.ssh",
                  json_pack("{s:s}", "fingerprint", a->ssh_key), unlocked, a);
        return;
    }
    if (!password) {
        conn_call(a, "session.peer", json_object(), unlocked, a);
        return;
    }
    free(a->password);
    a->password = dk_xstrdup(password);
    conn_call(a, "session.login",
              json_pack("{s:s, s:s}", "username", a->me, "password", password),
              unlocked, a);
}

/* ---- pushes and the line's state ----------------------------------------- */

static void notified(struct app *a, json_t *n)
{
    const char *kind = json_string_value(json_object_get(n, "kind"));
    const char *by = json_string_value(json_object_get(n, "by"));
    long long t = json_integer_value(json_object_get(n, "ticket"));

    a->store.unread++;
    if (kind && strcmp(kind, "mention") == 0)
        draw_message(a, false, "@ %s mentioned you on #%lld (N to see)",
                     by ? by : "someone", t);
    else if (kind && strcmp(kind, "graphics_complete") == 0)
        draw_message(a, false, "Graphics complete on #%lld by %s (N)", t,
                     by ? by : "graphics");
    else if (kind && strcmp(kind, "mail_failed") == 0)
        draw_message(a, true, "Your reply on #%lld was not delivered (N)", t);
    else
        draw_message(a, false, "New notification: %s on #%lld (N)",
                     kind ? kind : "?", t);
    if (a->store.notifications_shown)
        conn_load_notifications(a);
    beep();
}

static void on_push(struct dk_client *cl, const char *method, json_t *params,
                    void *arg)
{
    struct app *a = arg;
    const char *type;
    long long seq;

    if (strcmp(method, "server.shutdown") == 0) {
        draw_message(a, true, "The server is restarting; reconnecting");
        return;
    }
    if (strcmp(method, "event") != 0)
        return;
    type = json_string_value(json_object_get(params, "type"));
    /* Presence is not history: no seq, and it must not move ours. */
    if (type && strcmp(type, "presence") == 0) {
        presence_heard(a, params);
        return;
    }
    seq = json_integer_value(json_object_get(params, "seq"));
    if (seq <= a->seq)
        return;
    a->seq = seq;
    if (type && strcmp(type, "notification") == 0) {
        notified(a, json_object_get(params, "notification"));
    } else {
        json_t *s = json_object_get(params, "ticket");
        if (json_is_object(s))
            store_push_summary(&a->store, s, a->me);
        else
            a->store.counts_wanted = true;
    }
    app_dirty(a);
}

static void on_state(struct dk_client *cl, enum dk_client_state st,
                     const char *why, void *arg)
{
    struct app *a = arg;

    if (st == DK_CLIENT_UP) {
        login(a);
    } else if (st == DK_CLIENT_DOWN) {
        a->conn = CS_OFFLINE;
        a->retry_ms = a->retry_ms ? a->retry_ms * 2 : 500;
        if (a->retry_ms > 15000)
            a->retry_ms = 15000;
        a->retry_at = uv_now(a->loop) + a->retry_ms;
        store_presence_clear(&a->store); /* no longer known */
        draw_message(a, true, "Lost the server: %s", why ? why : "closed");
    } else {
        a->conn = CS_CONNECTING;
    }
    app_dirty(a);
}

int conn_start(struct app *a)
{
    a->conn = CS_CONNECTING;
    a->client = dk_client_new(a->loop, a->server, on_push, on_state, a);
    if (!a->client)
        return -1;
    dk_client_connect(a->client);
    return 0;
}

void conn_tick(struct app *a)
{
    if (a->conn == CS_OFFLINE && uv_now(a->loop) >= a->retry_at &&
        dk_client_state(a->client) == DK_CLIENT_DOWN)
        dk_client_connect(a->client);
    if (a->conn == CS_OFFLINE)
        app_dirty(a); /* the countdown */
    if (a->conn != CS_LIVE)
        return;
    if (a->store.counts_wanted) {
        a->store.counts_wanted = false;
        load_counts(a);
    }
    if (a->store.ticket_wanted && a->store.ticket_id) {
        a->store.ticket_wanted = false;
        conn_load_ticket(a, a->store.ticket_id);
    }
    presence_sync(a);
}
