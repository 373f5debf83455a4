/*
 * store.c - the client's copy of the server's data (store.h).  Views
 * change by model_apply(), the same rules as the server's queries, so a
 * push moves a ticket between tabs without asking the server.
 */
#include "store.h"
#include "dk_mem.h"
#include "dk_text.h"
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void store_cleanup(struct store *st)
{
    for (int v = 0; v < DK_NVIEWS; v++) {
        json_decref(st->views[v].rows);
        free(st->views[v].next);
        free(st->views[v].query);
    }
    json_decref(st->ticket);
    json_decref(st->notifications);
    json_decref(st->staff);
    memset(st, 0, sizeof(*st));
}

void store_apply(struct store *st, json_t *s, const char *me)
{
    for (int v = 0; v < DK_NVIEWS; v++)
        if (st->views[v].rows && !st->views[v].query)
            model_apply(st->views[v].rows, st->views[v].complete,
                        (enum dk_view)v, s, me);
}

void store_push_summary(struct store *st, json_t *s, const char *me)
{
    const char *key;
    json_t *v;

    store_apply(st, s, me);
    if (json_integer_value(json_object_get(s, "id")) == st->ticket_id) {
        /* The summary's fields (stage, owner, version) now; the rest
         * (notes, timeline) with the reload.  Not contact and company:
         * the ticket has the whole cards. */
        json_object_foreach(s, key, v)
        {
            if (st->ticket && !json_is_object(v))
                json_object_set(st->ticket, key, v);
        }
        st->ticket_wanted = true;
    }
    st->counts_wanted = true;
}

void store_view_loaded(struct store *st, enum dk_view view, bool more,
                       json_t *result)
{
    struct view *v = &st->views[view];
    json_t *next = json_object_get(result, "next");

    v->loading = false;
    if (!result)
        return;
    if (!more || !v->rows) {
        json_decref(v->rows);
        v->rows = json_array();
    }
    json_array_extend(v->rows, json_object_get(result, "tickets"));
    free(v->next);
    v->next = json_is_string(next) ? dk_xstrdup(json_string_value(next)) : NULL;
    v->complete = v->next == NULL;
}

void store_counts_loaded(struct store *st, json_t *result)
{
    for (int v = 0; result && v < DK_NVIEWS; v++)
        st->views[v].count =
            json_integer_value(json_object_get(result, dk_view_names[v]));
}

void store_ticket_loaded(struct store *st, json_t *result)
{
    /* A reply for a ticket left meanwhile is not the one followed. */
    if (result &&
        json_integer_value(json_object_get(result, "id")) == st->ticket_id) {
        json_decref(st->ticket);
        st->ticket = json_incref(result);
    }
}

void store_notifications_loaded(struct store *st, json_t *result)
{
    size_t i;
    json_t *n;

    if (!result)
        return;
    json_decref(st->notifications);
    st->notifications = json_incref(result);
    st->unread = 0;
    json_array_foreach(result, i, n)
    {
        if (json_is_null(json_object_get(n, "read_at")))
            st->unread++;
    }
}

void store_staff_loaded(struct store *st, json_t *result)
{
    if (result) {
        json_decref(st->staff);
        st->staff = json_incref(result);
    }
}

void store_follow_ticket(struct store *st, long long id)
{
    if (st->ticket_id != id) {
        json_decref(st->ticket);
        st->ticket = NULL;
    }
    st->ticket_id = id;
}

const char *store_staff_name(const struct store *st, const char *username)
{
    const char *name = username;
    size_t i;
    json_t *s;

    json_array_foreach(st->staff, i, s)
    {
        const char *u = json_string_value(json_object_get(s, "username"));
        if (u && strcmp(u, username) == 0)
            name = json_string_value(json_object_get(s, "name"));
    }
    return name ? name : username;
}

size_t store_visible(const struct store *st, enum dk_view view,
                     const char *filter, json_t **out, size_t max)
{
    size_t i, n = 0;
    json_t *row;

    json_array_foreach(st->views[view].rows, i, row)
    {
        if (n < max && model_matches(row, filter))
            out[n++] = row;
    }
    return n;
}

/* ---- presence ------------------------------------------------------- */

bool store_presence_push(struct store *st, json_t *params)
{
    json_t *t = json_object_get(params, "ticket");
    const char *user = json_string_value(json_object_get(params, "user"));
    const char *state = json_string_value(json_object_get(params, "state"));
    int s = !state                           ? 0
            : strcmp(state, "replying") == 0 ? STORE_REPLYING
            : strcmp(state, "viewing") == 0  ? STORE_VIEWING
                                             : -1;
    struct store_marker *m = NULL;

    /* A name is shown on the terminal: only what a username may be
     * (plain ASCII, so its bytes are its columns). */
    if (!json_is_integer(t) || json_integer_value(t) <= 0 || !user ||
        strlen(user) >= sizeof(m->user) || !dk_username_valid(user) || s < 0)
        return false;
    for (int i = 0; i < st->nmarkers; i++)
        if (st->markers[i].ticket == json_integer_value(t) &&
            strcmp(st->markers[i].user, user) == 0)
            m = &st->markers[i];
    if (s == 0) {
        if (m)
            *m = st->markers[--st->nmarkers];
        return true;
    }
    if (!m) {
        if (st->nmarkers == STORE_MAX_MARKERS)
            return false;
        m = &st->markers[st->nmarkers++];
        m->ticket = json_integer_value(t);
        snprintf(m->user, sizeof(m->user), "%s", user);
    }
    m->state = s;
    return true;
}

void store_presence_clear(struct store *st)
{
    st->nmarkers = 0;
}

int store_presence_on(const struct store *st, long long ticket, const char *me,
                      const struct store_marker **out, int max)
{
    int n = 0;

    for (int pass = STORE_REPLYING; pass >= STORE_VIEWING; pass--)
        for (int i = 0; i < st->nmarkers; i++) {
            const struct store_marker *m = &st->markers[i];
            if (m->ticket != ticket || m->state != pass ||
                (me && strcmp(m->user, me) == 0))
                continue;
            if (n < max)
                out[n] = m;
            n++;
        }
    return n;
}

void store_presence_line(const struct store *st, long long ticket,
                         const char *me, char *out, size_t size)
{
    const struct store_marker *m[8];
    int n = store_presence_on(st, ticket, me, m, 8);
    size_t len = 0;

    out[0] = '\0';
    for (int i = 0; i < n && i < 8 && len < size; i++)
        len += (size_t)snprintf(
            out + len, size - len, "%s%s (%s)", i ? ", " : "", m[i]->user,
            m[i]->state == STORE_REPLYING ? "replying" : "viewing");
    if (n > 8 && len < size)
        snprintf(out + len, size - len, " and %d more", n - 8);
}

void store_presence_short(const struct store *st, long long ticket,
                          const char *me, int width, char *out, size_t size)
{
    const struct store_marker *m[1] = {NULL};
    int n = store_presence_on(st, ticket, me, m, 1);
    const char *word;
    char more[16] = "";
    int name_w;

    out[0] = '\0';
    if (n == 0 || width < 4)
        return;
    if (n > 1)
        snprintf(more, sizeof(more), " +%d", n - 1);
    word = m[0]->state == STORE_REPLYING ? "replying" : "viewing";
    if ((int)(strlen(m[0]->user) + 1 + strlen(word) + strlen(more)) <= width) {
        snprintf(out, size, "%s %s%s", m[0]->user, word, more);
        return;
    }
    name_w = width - 2 - (int)strlen(more);
    if (name_w < 1) {
        snprintf(more, sizeof(more), "+");
        name_w = width - 3;
    }
    if (name_w < 1)
        name_w = 1;
    snprintf(out, size, "%.*s\u00b7%c%s", name_w, m[0]->user,
             m[0]->state == STORE_REPLYING ? 'r' : 'v', more);
}
