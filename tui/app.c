/*
 * app.c - the docket client's loop: terminal input, the server
 * connection, signals and one timer in one libuv loop.  Callbacks change
 * state and call app_dirty(); the prepare handle draws once per loop
 * turn.  The connection logs in (peer credentials on the Unix socket,
 * else a password), subscribes to the feed, loads the views and keeps
 * them current from the pushes; when it drops, a banner counts down to
 * the next try, and the session and the feed resume where they were.
 */
#include "app.h"
#include "dk_roles.h"
#include "dk_mem.h"
#include "keymap.h"
#include "model.h"
#include "text.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

void app_dirty(struct app *a)
{
    a->dirty = true;
}

void app_message(struct app *a, bool error, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(a->message, sizeof(a->message), fmt, ap);
    va_end(ap);
    a->message_error = error;
    app_dirty(a);
}

void app_set_screen(struct app *a, const struct screen_ops *s)
{
    a->screen = s;
    app_dirty(a);
}

bool ticket_is_closed(json_t *s)
{
    return model_closed(s);
}

const char *priority_label(const char *p)
{
    if (p && strcmp(p, "high") == 0)
        return "Urgent";
    if (p && strcmp(p, "medium") == 0)
        return "Within 2 business days";
    return "As time permits";
}

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
        /* Name the person, as the handbook would. */
        const char *name = owner;
        size_t i;
        json_t *s;
        json_array_foreach(a->staff, i, s)
        {
            if (strcmp(json_string_value(json_object_get(s, "username")) ?: "",
                       owner) == 0)
                name = json_string_value(json_object_get(s, "name"));
        }
        if (strstr(msg ? msg : "", "changed since"))
            app_message(a, true,
                        "Changed by someone else meanwhile; "
                        "reloaded, try again");
        else
            app_message(a, true, "Already claimed by %s", name);
        return;
    }
    if (code == 0)
        app_message(a, true, "Not sent: %s", msg ? msg : "offline");
    else
        app_message(a, true, "%s", msg ? msg : "refused");
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

void app_call(struct app *a, const char *method, json_t *params,
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

/* ---- the views --------------------------------------------------------- */

/* Put a changed ticket where it now belongs in every loaded view. */
static void apply_summary(struct app *a, json_t *s)
{
    for (int v = 0; v < DK_NVIEWS; v++)
        if (a->views[v].rows && !a->views[v].query)
            model_apply(a->views[v].rows, a->views[v].complete, (enum dk_view)v,
                        s, a->me);
}

struct load {
    struct app *a;
    int view;
    bool more;
};

static void view_loaded(struct dk_client *cl, json_t *result, json_t *error,
                        void *arg)
{
    struct load *l = arg;
    struct view *v = &l->a->views[l->view];
    json_t *next = json_object_get(result, "next");

    v->loading = false;
    if (result) {
        if (!l->more || !v->rows) {
            json_decref(v->rows);
            v->rows = json_array();
        }
        json_array_extend(v->rows, json_object_get(result, "tickets"));
        free(v->next);
        v->next =
            json_is_string(next) ? dk_xstrdup(json_string_value(next)) : NULL;
        v->complete = v->next == NULL;
    }
    free(l);
}

void app_load_view(struct app *a, int view, bool more)
{
    struct view *v = &a->views[view];
    struct load *l;
    json_t *p;

    if (v->loading || (more && (v->complete || !v->next)))
        return;
    p = json_pack("{s:s, s:i}", "view", v->name, "limit", 500);
    if (more)
        json_object_set_new(p, "after", json_string(v->next));
    if (v->query)
        json_object_set_new(p, "query", json_string(v->query));
    l = dk_xmalloc(sizeof(*l));
    l->a = a;
    l->view = view;
    l->more = more;
    v->loading = true;
    app_call(a, "tickets.view", p, view_loaded, l);
}

static void counts_loaded(struct dk_client *cl, json_t *result, json_t *error,
                          void *arg)
{
    struct app *a = arg;

    for (int v = 0; result && v < DK_NVIEWS; v++)
        a->views[v].count =
            json_integer_value(json_object_get(result, a->views[v].name));
}

static void ticket_loaded(struct dk_client *cl, json_t *result, json_t *error,
                          void *arg)
{
    struct app *a = arg;

    if (result &&
        json_integer_value(json_object_get(result, "id")) == a->ticket_id) {
        json_decref(a->ticket);
        a->ticket = json_incref(result);
    }
}

void app_open_ticket(struct app *a, long long id)
{
    if (a->ticket_id != id) {
        json_decref(a->ticket);
        a->ticket = NULL;
        a->ticket_top = 0;
    }
    a->ticket_id = id;
    if (a->screen != &screen_ticket)
        a->back = a->screen;
    app_set_screen(a, &screen_ticket);
    app_call(a, "tickets.get", json_pack("{s:I}", "id", (json_int_t)id),
             ticket_loaded, a);
}

static void notifications_loaded(struct dk_client *cl, json_t *result,
                                 json_t *error, void *arg)
{
    struct app *a = arg;
    size_t i;
    json_t *n;

    if (!result)
        return;
    json_decref(a->notifications);
    a->notifications = json_incref(result);
    a->unread = 0;
    json_array_foreach(result, i, n)
    {
        if (json_is_null(json_object_get(n, "read_at")))
            a->unread++;
    }
}

void app_load_notifications(struct app *a)
{
    app_call(a, "notifications.list", json_object(), notifications_loaded, a);
}

static void staff_loaded(struct dk_client *cl, json_t *result, json_t *error,
                         void *arg)
{
    struct app *a = arg;

    if (result) {
        json_decref(a->staff);
        a->staff = json_incref(result);
    }
}

static void load_everything(struct app *a)
{
    app_call(a, "tickets.counts", json_object(), counts_loaded, a);
    for (int v = 0; v < DK_NVIEWS; v++)
        app_load_view(a, v, false);
    app_load_notifications(a);
    app_call(a, "staff.list", json_object(), staff_loaded, a);
    if (a->ticket_id)
        app_call(a, "tickets.get",
                 json_pack("{s:I}", "id", (json_int_t)a->ticket_id),
                 ticket_loaded, a);
}

/* Reloads that many pushes may ask for run at most once per tick. */
static void flush_wanted(struct app *a)
{
    if (a->conn != CS_LIVE)
        return;
    if (a->counts_wanted) {
        a->counts_wanted = false;
        app_call(a, "tickets.counts", json_object(), counts_loaded, a);
    }
    if (a->ticket_wanted && a->ticket_id) {
        a->ticket_wanted = false;
        app_call(a, "tickets.get",
                 json_pack("{s:I}", "id", (json_int_t)a->ticket_id),
                 ticket_loaded, a);
    }
}

/* ---- size helpers for screens -------------------------------------- */

json_t *app_selected(struct app *a)
{
    json_t *rows[4096];
    size_t n = app_visible(a, rows, 4096);
    struct view *v = &a->views[a->current];

    for (size_t i = 0; i < n; i++)
        if (json_integer_value(json_object_get(rows[i], "id")) == v->selected)
            return rows[i];
    return n ? rows[0] : NULL;
}

size_t app_visible(struct app *a, json_t **out, size_t max)
{
    struct view *v = &a->views[a->current];
    size_t i, n = 0;
    json_t *row;

    json_array_foreach(v->rows, i, row)
    {
        if (n < max && model_matches(row, a->filter))
            out[n++] = row;
    }
    return n;
}

/* ---- ticket actions ------------------------------------------------------ */

/* What the status line says after each ticket action. */
static const struct {
    const char *method, *done;
} action_words[] = {
    {"tickets.claim", "Claimed"},
    {"tickets.unclaim", "Unclaimed"},
    {"tickets.graphics_claim", "Claimed for graphics"},
    {"tickets.graphics_unclaim", "Released from graphics"},
    {"tickets.graphics_complete", "Graphics completed on"},
    {"tickets.hand_to_graphics", "Handed to graphics:"},
    {"tickets.close", "Closed"},
    {"tickets.reopen", "Reopened"},
    {"tickets.set_priority", "New priority for"},
    {"tickets.move", "Moved"},
};

struct action_call {
    struct app *a;
    const char *words;
};

static void action_done(struct dk_client *cl, json_t *result, json_t *error,
                        void *arg)
{
    struct action_call *ac = arg;
    struct app *a = ac->a;
    const char *words = ac->words;

    free(ac);
    if (!result) {
        /* A stale version: show what is true now. */
        if (json_integer_value(json_object_get(error, "code")) == 4009) {
            json_t *t =
                json_object_get(json_object_get(error, "data"), "ticket");
            if (t)
                apply_summary(a, t);
        }
        return;
    }
    apply_summary(a, result);
    app_message(
        a, false, "%s #%lld (%s)", words,
        (long long)json_integer_value(json_object_get(result, "id")),
        model_stage_name(json_string_value(json_object_get(result, "stage"))));
    a->counts_wanted = true;
    a->ticket_wanted = a->ticket_id != 0;
}

void app_ticket_action(struct app *a, const char *method, long long id,
                       long long version, json_t *extra)
{
    json_t *p = extra ? extra : json_object();

    struct action_call *ac = dk_xmalloc(sizeof(*ac));

    ac->a = a;
    ac->words = "Done:";
    for (size_t i = 0; i < sizeof(action_words) / sizeof(*action_words); i++)
        if (strcmp(action_words[i].method, method) == 0)
            ac->words = action_words[i].done;
    json_object_set_new(p, "id", json_integer(id));
    if (version > 0) /* the version we saw: a change meanwhile is a 4009 */
        json_object_set_new(p, "version", json_integer(version));
    app_call(a, method, p, action_done, ac);
}

/* ---- the prompt line --------------------------------------------------- */

void app_prompt(struct app *a, const char *label, const char *choices,
                void (*done)(struct app *a, const char *text),
                void (*changed)(struct app *a, const char *text))
{
    memset(&a->prompt, 0, sizeof(a->prompt));
    a->prompt.active = true;
    snprintf(a->prompt.label, sizeof(a->prompt.label), "%s", label);
    a->prompt.done = done;
    a->prompt.changed = changed;
    a->prompt.choices = choices;
    app_dirty(a);
}

static void utf8_backspace(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && ((unsigned char)s[n - 1] & 0xc0) == 0x80)
        n--;
    if (n > 0)
        n--;
    s[n] = '\0';
}

static void prompt_key(struct app *a, wint_t ch, bool is_key)
{
    struct prompt *p = &a->prompt;
    void (*done)(struct app *, const char *) = p->done;
    char text[256];

    if (!is_key && ch == 27) { /* Esc */
        p->active = false;
        if (done)
            done(a, NULL);
    } else if (p->choices && !is_key && ch < 128 &&
               strchr(p->choices, (int)ch)) {
        text[0] = (char)ch;
        text[1] = '\0';
        p->active = false;
        done(a, text);
    } else if (p->choices) {
        /* Anything else cancels a choice. */
        p->active = false;
        done(a, NULL);
    } else if ((!is_key && (ch == '\n' || ch == '\r')) ||
               (is_key && ch == KEY_ENTER)) {
        snprintf(text, sizeof(text), "%s", p->text);
        p->active = false;
        done(a, text);
    } else if ((is_key && ch == KEY_BACKSPACE) ||
               (!is_key && (ch == 127 || ch == 8))) {
        utf8_backspace(p->text);
        if (p->changed)
            p->changed(a, p->text);
    } else if (!is_key && ch >= 32) {
        char mb[8];
        int n = wctomb(mb, (wchar_t)ch);
        size_t len = strlen(p->text);
        if (n > 0 && len + (size_t)n + 1 < sizeof(p->text)) {
            memcpy(p->text + len, mb, (size_t)n);
            p->text[len + (size_t)n] = '\0';
            if (p->changed)
                p->changed(a, p->text);
        }
    }
    app_dirty(a);
}

/* ---- keys ---------------------------------------------------------------- */

static void search_changed(struct app *a, const char *text)
{
    snprintf(a->filter, sizeof(a->filter), "%s", text);
}

static void search_done(struct app *a, const char *text)
{
    struct view *v = &a->views[a->current];

    a->filter[0] = '\0';
    free(v->query);
    v->query = text && *text ? dk_xstrdup(text) : NULL;
    app_load_view(a, a->current, false);
    if (v->query)
        app_message(a, false, "Searching %s for \"%s\" (R clears)", v->title,
                    v->query);
}

static void global_action(struct app *a, enum action act)
{
    switch (act) {
    case ACT_QUIT:
        a->quit = true;
        break;
    case ACT_HELP:
        a->help_top = 0;
        if (a->screen != &screen_help)
            a->back = a->screen;
        app_set_screen(a, &screen_help);
        break;
    case ACT_NOTIFICATIONS:
        a->notif_sel = 0;
        if (a->screen != &screen_notifications)
            a->back = a->screen;
        app_load_notifications(a);
        app_set_screen(a, &screen_notifications);
        break;
    case ACT_REFRESH:
        for (int v = 0; v < DK_NVIEWS; v++) {
            free(a->views[v].query);
            a->views[v].query = NULL;
        }
        a->filter[0] = '\0';
        load_everything(a);
        app_message(a, false, "Reloaded");
        break;
    case ACT_SEARCH:
        app_set_screen(a, &screen_list);
        app_prompt(a, "Search: ", NULL, search_done, search_changed);
        break;
    case ACT_NEXT_VIEW:
    case ACT_PREV_VIEW:
        a->current = (a->current + (act == ACT_NEXT_VIEW ? 1 : DK_NVIEWS - 1)) %
                     DK_NVIEWS;
        a->filter[0] = '\0';
        app_set_screen(a, &screen_list);
        break;
    default:
        if (act >= ACT_VIEW_1 && act <= ACT_VIEW_6) {
            a->current = act - ACT_VIEW_1;
            a->filter[0] = '\0';
            app_set_screen(a, &screen_list);
        }
        break;
    }
}

static void handle_key(struct app *a, wint_t ch, bool is_key)
{
    enum action act = ACT_NONE;

    a->last_key_ms = uv_now(a->loop);
    if (a->locked && !a->prompt.active) {
        if ((!is_key && (ch == '\n' || ch == '\r')) ||
            (is_key && ch == KEY_ENTER))
            app_unlock(a);
        else if (!is_key && ch == 'Q')
            a->quit = true;
        return;
    }
    if (a->prompt.active) {
        prompt_key(a, ch, is_key);
        return;
    }
    if (a->composer.active) {
        composer_key(a, ch, is_key);
        return;
    }
    if (is_key && ch == KEY_RESIZE) {
        app_dirty(a);
        return;
    }
    if (ch < KEYMAP_SIZE)
        act = (enum action)a->keymap[ch];
    if (act == ACT_NONE)
        return;
    a->message[0] = '\0';
    if (!a->screen->action(a, act))
        global_action(a, act);
    app_dirty(a);
}

static void stdin_cb(uv_poll_t *h, int status, int events);

void app_pause_input(struct app *a, bool pause)
{
    if (pause)
        uv_poll_stop(&a->stdin_poll);
    else
        uv_poll_start(&a->stdin_poll, UV_READABLE, stdin_cb);
}

static void stdin_cb(uv_poll_t *h, int status, int events)
{
    struct app *a = h->data;
    wint_t ch;
    int rc;

    while ((rc = get_wch(&ch)) != ERR)
        handle_key(a, ch, rc == KEY_CODE_YES);
    if (a->quit)
        uv_stop(a->loop);
}

/* ---- the connection ---------------------------------------------------- */

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
        load_everything(a);
    } else {
        /* The replay brings what we missed; counts may have moved. */
        app_call(a, "tickets.counts", json_object(), counts_loaded, a);
        app_load_notifications(a);
    }
    a->conn = CS_LIVE;
    a->retry_ms = 0;
}

static void subscribe(struct app *a)
{
    json_t *p = json_object();

    if (a->seq > 0)
        json_object_set_new(p, "since", json_integer(a->seq));
    a->conn = CS_SYNCING;
    app_call(a, "events.subscribe", p, subscribed, a);
}

static void logged_in(struct dk_client *cl, json_t *result, json_t *error,
                      void *arg);

static void login(struct app *a)
{
    a->conn = CS_LOGGING_IN;
    if (a->token) {
        /* Resume first; a refusal falls back to a fresh login. */
        app_call(a, "session.resume", json_pack("{s:s}", "token", a->token),
                 logged_in, a);
        free(a->token);
        a->token = NULL;
    } else if (dk_client_is_unix(a->client) && !a->password) {
        app_call(a, "session.peer", json_object(), logged_in, a);
    } else {
        app_call(a, "session.login",
                 json_pack("{s:s, s:s}", "username", a->user ? a->user : "",
                           "password", a->password ? a->password : ""),
                 logged_in, a);
    }
}

static void logged_in(struct dk_client *cl, json_t *result, json_t *error,
                      void *arg)
{
    struct app *a = arg;
    json_t *staff = json_object_get(result, "staff"), *r;
    size_t i;

    if (!result) {
        long long code = json_integer_value(json_object_get(error, "code"));
        if (code == 4010) { /* the session is gone: log in afresh */
            login(a);
            return;
        }
        a->quit = code == 4003; /* wrong password or not a staff member */
        if (a->quit) {
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
    snprintf(a->my_name, sizeof(a->my_name), "%s",
             json_string_value(json_object_get(staff, "name"))
                 ? json_string_value(json_object_get(staff, "name"))
                 : a->me);
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

static void subscribe(struct app *a);

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
    app_message(a, false, "Welcome back, %s", a->my_name);
}

static void password_given(struct app *a, const char *password)
{
    if (!password)
        return;
    free(a->password);
    a->password = dk_xstrdup(password);
    app_call(a, "session.login",
             json_pack("{s:s, s:s}", "username", a->me, "password", password),
             unlocked, a);
}

void app_unlock(struct app *a)
{
    if (dk_client_is_unix(a->client) && !a->user) {
        /* Peer credentials re-authenticate by themselves. */
        app_call(a, "session.peer", json_object(), unlocked, a);
        return;
    }
    app_prompt(a, "Password: ", NULL, password_given, NULL);
    a->prompt.secret = true;
}

static void on_push(struct dk_client *cl, const char *method, json_t *params,
                    void *arg)
{
    struct app *a = arg;
    const char *type;
    long long seq;

    if (strcmp(method, "server.shutdown") == 0) {
        app_message(a, true, "The server is restarting; reconnecting");
        return;
    }
    if (strcmp(method, "event") != 0)
        return;
    seq = json_integer_value(json_object_get(params, "seq"));
    if (seq <= a->seq)
        return;
    a->seq = seq;
    type = json_string_value(json_object_get(params, "type"));
    if (type && strcmp(type, "notification") == 0) {
        json_t *n = json_object_get(params, "notification");
        const char *kind = json_string_value(json_object_get(n, "kind"));
        const char *by = json_string_value(json_object_get(n, "by"));
        long long t = json_integer_value(json_object_get(n, "ticket"));
        a->unread++;
        if (kind && strcmp(kind, "mention") == 0)
            app_message(a, false, "@ %s mentioned you on #%lld (N to see)",
                        by ? by : "someone", t);
        else if (kind && strcmp(kind, "graphics_complete") == 0)
            app_message(a, false, "Graphics complete on #%lld by %s (N)", t,
                        by ? by : "graphics");
        else
            app_message(a, false, "New notification: %s on #%lld (N)",
                        kind ? kind : "?", t);
        if (a->screen == &screen_notifications)
            app_load_notifications(a);
        beep();
    } else {
        json_t *s = json_object_get(params, "ticket");
        if (json_is_object(s)) {
            apply_summary(a, s);
            if (json_integer_value(json_object_get(s, "id")) == a->ticket_id) {
                /* The summary's fields (stage, owner, version) now; the
                 * rest (notes, timeline) with the reload. */
                const char *key;
                json_t *v;
                json_object_foreach(s, key, v)
                {
                    /* Not contact and company: the ticket has the cards. */
                    if (a->ticket && !json_is_object(v))
                        json_object_set(a->ticket, key, v);
                }
                a->ticket_wanted = true;
            }
        }
        a->counts_wanted = true;
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
        app_message(a, true, "Lost the server: %s", why ? why : "closed");
    } else {
        a->conn = CS_CONNECTING;
    }
    app_dirty(a);
}

static void timer_cb(uv_timer_t *t)
{
    struct app *a = t->data;

    if (a->conn == CS_OFFLINE && uv_now(a->loop) >= a->retry_at &&
        dk_client_state(a->client) == DK_CLIENT_DOWN)
        dk_client_connect(a->client);
    flush_wanted(a);
    if (a->conn == CS_OFFLINE)
        app_dirty(a); /* the countdown */
    if (!a->locked && a->idle_s > 0 && a->conn == CS_LIVE &&
        !a->composer.editing &&
        uv_now(a->loop) - a->last_key_ms > (uint64_t)a->idle_s * 1000) {
        a->locked = true;
        a->prompt.active = false;
        app_dirty(a);
    }
}

/* ---- drawing ---------------------------------------------------------------
 */

static const short color_pairs[C_COUNT][2] = {
    [C_NORMAL] = {-1, -1},
    [C_TAB] = {COLOR_WHITE, COLOR_BLUE},
    [C_TAB_ACTIVE] = {COLOR_BLACK, COLOR_CYAN},
    [C_SELECTED] = {COLOR_BLACK, COLOR_CYAN},
    [C_HIGH] = {COLOR_RED, -1},
    [C_MEDIUM] = {COLOR_YELLOW, -1},
    [C_LOW] = {COLOR_GREEN, -1},
    [C_OVERDUE] = {COLOR_WHITE, COLOR_RED},
    [C_DIM] = {COLOR_BLUE, -1},
    [C_HEADING] = {COLOR_CYAN, -1},
    [C_STATUS] = {COLOR_WHITE, COLOR_BLUE},
    [C_ERROR] = {COLOR_WHITE, COLOR_RED},
    [C_BANNER] = {COLOR_BLACK, COLOR_YELLOW},
    [C_NOTE] = {COLOR_MAGENTA, -1},
};

/* The monochrome scheme: meaning by attribute alone. */
static const int mono_attrs[C_COUNT] = {
    [C_NORMAL] = A_NORMAL,
    [C_TAB] = A_NORMAL,
    [C_TAB_ACTIVE] = A_REVERSE,
    [C_SELECTED] = A_REVERSE,
    [C_HIGH] = A_BOLD,
    [C_MEDIUM] = A_NORMAL,
    [C_LOW] = A_NORMAL,
    [C_OVERDUE] = A_BOLD | A_UNDERLINE,
    [C_DIM] = A_DIM,
    [C_HEADING] = A_BOLD,
    [C_STATUS] = A_REVERSE,
    [C_ERROR] = A_REVERSE | A_BOLD,
    [C_BANNER] = A_REVERSE | A_BOLD,
    [C_NOTE] = A_NORMAL,
};

int color_attr(struct app *a, enum color c)
{
    if (a->mono)
        return mono_attrs[c];
    return COLOR_PAIR(c) | (c == C_SELECTED || c == C_TAB_ACTIVE ? A_BOLD : 0);
}

static void colors_init(struct app *a)
{
    const char *no_color = getenv("NO_COLOR");

    a->mono = a->mono || (no_color && *no_color) || !has_colors();
    if (a->mono)
        return;
    start_color();
    use_default_colors();
    for (int c = C_NORMAL; c < C_COUNT; c++)
        init_pair((short)c, color_pairs[c][0], color_pairs[c][1]);
}

void draw_text(WINDOW *w, int y, int x, int cols, const char *s, int attr,
               bool pad)
{
    char buf[2048];

    if (cols <= 0)
        return;
    text_fit(buf, sizeof(buf), s ? s : "", cols, pad);
    wattron(w, attr);
    mvwaddstr(w, y, x, buf);
    wattroff(w, attr);
}

static void draw_tabs(struct app *a, int cols)
{
    int x = 0;
    char label[64];

    move(0, 0);
    attron(color_attr(a, C_TAB));
    hline(' ', cols);
    attroff(color_attr(a, C_TAB));
    for (int v = 0; v < DK_NVIEWS && x < cols; v++) {
        int attr = color_attr(a, v == a->current ? C_TAB_ACTIVE : C_TAB);
        /* Short titles when the terminal is narrow. */
        const char *t = a->views[v].title;
        if (cols < 120 && v == DK_VIEW_MY_OPEN)
            t = "My Open";
        else if (cols < 120 && v == DK_VIEW_WAITING_ON_GRAPHICS)
            t = "Graphics";
        snprintf(label, sizeof(label), " %d %s %lld ", v + 1, t,
                 a->views[v].count);
        draw_text(stdscr, 0, x, cols - x, label, attr, false);
        x += text_width(label) + 1;
    }
}

static void draw_status(struct app *a, int rows, int cols)
{
    char left[256], right[128], state[64];
    int attr = color_attr(a, C_STATUS);

    switch (a->conn) {
    case CS_LIVE:
        snprintf(state, sizeof(state), "live");
        break;
    case CS_SYNCING:
        snprintf(state, sizeof(state), "syncing");
        break;
    case CS_LOGGING_IN:
        snprintf(state, sizeof(state), "logging in");
        break;
    case CS_CONNECTING:
        snprintf(state, sizeof(state), "connecting");
        break;
    case CS_OFFLINE: {
        long left_ms = (long)(a->retry_at - uv_now(a->loop));
        snprintf(state, sizeof(state), "offline, retry in %lds",
                 left_ms > 0 ? (left_ms + 999) / 1000 : 0);
        break;
    }
    }
    snprintf(left, sizeof(left), " %s · %s · %s", a->me[0] ? a->me : "?",
             dk_client_server(a->client), state);
    snprintf(right, sizeof(right), "%d unread · ? help ", a->unread);
    move(rows - 1, 0);
    attron(attr);
    hline(' ', cols);
    attroff(attr);
    draw_text(stdscr, rows - 1, 0, cols, left, attr, false);
    if (text_width(left) + text_width(right) < cols)
        draw_text(stdscr, rows - 1, cols - text_width(right), text_width(right),
                  right, attr | (a->unread ? A_BOLD : 0), false);
    /* The line above: a prompt, or the last message. */
    move(rows - 2, 0);
    clrtoeol();
    if (a->prompt.active) {
        char line[512], stars[256];
        size_t n = strlen(a->prompt.text);
        memset(stars, '*', n < sizeof(stars) - 1 ? n : sizeof(stars) - 1);
        stars[n < sizeof(stars) - 1 ? n : sizeof(stars) - 1] = '\0';
        snprintf(line, sizeof(line), "%s%s", a->prompt.label,
                 a->prompt.secret ? stars : a->prompt.text);
        draw_text(stdscr, rows - 2, 0, cols, line, A_BOLD, false);
    } else if (a->message[0]) {
        draw_text(stdscr, rows - 2, 0, cols, a->message,
                  a->message_error ? color_attr(a, C_ERROR) : (int)A_BOLD,
                  false);
    }
    if (a->conn == CS_OFFLINE) {
        char banner[160];
        snprintf(banner, sizeof(banner),
                 " Disconnected from %s — %s. Your work is kept. ", a->server,
                 state);
        draw_text(stdscr, 1, 0, cols, banner, color_attr(a, C_BANNER), true);
    }
}

static void redraw_cb(uv_prepare_t *h)
{
    struct app *a = h->data;
    int rows, cols;

    if (!a->dirty)
        return;
    a->dirty = false;
    getmaxyx(stdscr, rows, cols);
    erase();
    if (rows < 6 || cols < 30) {
        mvaddstr(0, 0, "Terminal too small");
        refresh();
        return;
    }
    draw_tabs(a, cols);
    {
        WINDOW *body = derwin(stdscr, rows - 3, cols, 1, 0);
        int cy = 1, cx = 0;
        if (body) {
            if (a->locked) {
                char msg[160];
                snprintf(msg, sizeof(msg),
                         "Locked after %lld minutes without a key. Press "
                         "Enter to sign in again as %s (Q quits).",
                         a->idle_s / 60, a->me);
                draw_text(body, (rows - 3) / 2, 2, cols - 4, msg,
                          color_attr(a, C_BANNER), false);
            } else if (a->composer.active)
                composer_draw(a, body, rows - 3, cols);
            else
                a->screen->draw(a, body, rows - 3, cols);
            /* The screen left its cursor where a screen reader should
             * look (the selected row, the end of the draft). */
            cy = getcury(body) + 1;
            cx = getcurx(body);
            delwin(body);
        }
        draw_status(a, rows, cols);
        if (a->prompt.active) {
            int x = text_width(a->prompt.label) +
                    (a->prompt.secret ? (int)strlen(a->prompt.text)
                                      : text_width(a->prompt.text));
            move(rows - 2, x < cols ? x : cols - 1);
            curs_set(1);
        } else {
            move(cy, cx);
            curs_set(a->composer.active ? 1 : 0);
        }
    }
    wnoutrefresh(stdscr);
    doupdate();
}

static void winch_cb(uv_signal_t *h, int signum)
{
    struct app *a = h->data;
    struct winsize ws;

    /* Ask the terminal its size: ncurses' own SIGWINCH handler is not
     * installed while libuv owns the signal. */
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
        resizeterm(ws.ws_row, ws.ws_col);
    app_dirty(a);
}

static void quit_cb(uv_signal_t *h, int signum)
{
    struct app *a = h->data;

    a->quit = true;
    uv_stop(a->loop);
}

int app_run(struct app *a)
{
    for (int v = 0; v < DK_NVIEWS; v++) {
        a->views[v].name = dk_view_names[v];
        a->views[v].title = dk_view_titles[v];
    }
    colors_init(a);
    a->screen = &screen_list;
    a->back = &screen_list;
    a->current = a->default_view;
    a->conn = CS_CONNECTING;
    a->client = dk_client_new(a->loop, a->server, on_push, on_state, a);
    if (!a->client)
        return -1;
    uv_poll_init(a->loop, &a->stdin_poll, STDIN_FILENO);
    a->stdin_poll.data = a;
    a->last_key_ms = uv_now(a->loop);
    uv_poll_start(&a->stdin_poll, UV_READABLE, stdin_cb);
    uv_signal_init(a->loop, &a->sigwinch);
    a->sigwinch.data = a;
    uv_signal_start(&a->sigwinch, winch_cb, SIGWINCH);
    uv_signal_init(a->loop, &a->sigterm);
    a->sigterm.data = a;
    uv_signal_start(&a->sigterm, quit_cb, SIGTERM);
    uv_signal_init(a->loop, &a->sighup);
    a->sighup.data = a;
    uv_signal_start(&a->sighup, quit_cb, SIGHUP);
    uv_timer_init(a->loop, &a->timer);
    a->timer.data = a;
    uv_timer_start(&a->timer, timer_cb, 100, 100);
    uv_prepare_init(a->loop, &a->redraw);
    a->redraw.data = a;
    uv_prepare_start(&a->redraw, redraw_cb);
    a->dirty = true;
    dk_client_connect(a->client);
    uv_run(a->loop, UV_RUN_DEFAULT);
    return 0;
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void app_cleanup(struct app *a)
{
    dk_client_free(a->client);
    uv_walk(a->loop, close_walk_cb, NULL);
    uv_run(a->loop, UV_RUN_DEFAULT);
    for (int v = 0; v < DK_NVIEWS; v++) {
        json_decref(a->views[v].rows);
        free(a->views[v].next);
        free(a->views[v].query);
    }
    json_decref(a->ticket);
    json_decref(a->notifications);
    json_decref(a->staff);
    dk_buf_free(&a->composer.text);
    free(a->token);
}
