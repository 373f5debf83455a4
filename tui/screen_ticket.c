/*
 * screen_ticket.c - one ticket: "About this ticket", the description, the
 * contact card and school, attachments, the conversation, notes, tasks
 * and the timeline, wrapped at word boundaries and scrolled as one page.
 * It is rebuilt from the store's ticket on every draw, so a push that
 * reloads the ticket updates it in place.
 */
#include "app.h"
#include "dk_mem.h"
#include "draw.h"
#include "model.h"
#include "screens.h"
#include "attach.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct {
    long long id; /* the ticket shown last */
    int top;      /* its first line shown, kept for going back to it */
} st;

static const char *priority_label(const char *p)
{
    if (p && strcmp(p, "high") == 0)
        return "Urgent";
    if (p && strcmp(p, "medium") == 0)
        return "Within 2 business days";
    return "As time permits";
}

/* ---- the page, as lines -------------------------------------------------- */

struct page {
    char **text;
    int *attr;
    int n, cap;
    int cols;
    int indent_attr;
};

static void add(struct page *p, const char *s, size_t len, int attr)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->text = dk_xrealloc(p->text, (size_t)p->cap * sizeof(*p->text));
        p->attr = dk_xrealloc(p->attr, (size_t)p->cap * sizeof(*p->attr));
    }
    p->text[p->n] = dk_xstrndup(s, len);
    p->attr[p->n++] = attr;
}

static void addf(struct page *p, int attr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void addf(struct page *p, int attr, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    add(p, buf, strlen(buf), attr);
}

struct wrap_ctx {
    struct page *p;
    const char *indent;
    int attr;
    const char *rest; /* the indent after the first line (NULL: indent) */
};

static void wrap_line(void *arg, const char *text, size_t len)
{
    struct wrap_ctx *w = arg;
    char buf[2048];

    snprintf(buf, sizeof(buf), "%s%.*s", w->indent, (int)len, text);
    add(w->p, buf, strlen(buf), w->attr);
    if (w->rest)
        w->indent = w->rest;
}

/* Body text, wrapped at word boundaries under an indent. */
static void add_wrapped(struct page *p, const char *s, const char *indent,
                        int attr)
{
    struct wrap_ctx w = {p, indent, attr, NULL};

    text_wrap(s ? s : "", p->cols - text_width(indent) - 1, wrap_line, &w);
}

static void free_page(struct page *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->text[i]);
    free(p->text);
    free(p->attr);
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

/* "2026-11-12 16:49 (3d ago)" from an RFC 3339 time, in local time and
 * client.date_format. */
static const char *fmt_when(struct app *a, char *out, size_t size,
                            const char *t)
{
    char age[16], date[48];
    long at = text_time(t), now = (long)time(NULL);
    time_t tt = (time_t)at;
    struct tm tm;

    if (at < 0)
        return snprintf(out, size, "—"), out;
    text_age(age, sizeof(age), t, now);
    if (!localtime_r(&tt, &tm) ||
        !strftime(date, sizeof(date),
                  a->date_format ? a->date_format : "%Y-%m-%d %H:%M", &tm))
        snprintf(date, sizeof(date), "%.10s", t);
    snprintf(out, size, "%s (%s %s)", date, at <= now ? age : "in",
             at <= now ? "ago" : age);
    return out;
}
#define when(out, size, t) fmt_when(a, out, size, t)

static void heading(struct app *a, struct page *p, const char *title)
{
    add(p, "", 0, 0);
    add(p, title, strlen(title), color_attr(a, C_HEADING) | A_BOLD);
}

static void build(struct app *a, struct page *p)
{
    json_t *t = a->store.ticket, *c = json_object_get(t, "contact"),
           *co = json_object_get(t, "company"), *x;
    const char *pri = str(t, "priority");
    char w1[128], w2[128];
    size_t i;
    long due = text_time(str(t, "due_at"));

    addf(p, A_BOLD, "#%lld  %s",
         (long long)json_integer_value(json_object_get(t, "id")),
         str(t, "subject"));
    /* Who else has it open, under the title, where it is seen first. */
    store_presence_line(&a->store, json_integer_value(json_object_get(t, "id")),
                        a->me, w1, sizeof(w1));
    if (w1[0])
        addf(p, color_attr(a, C_NOTE) | A_BOLD, "Also here: %s", w1);
    heading(a, p, "About this ticket");
    addf(p, 0, "  Created   %s", when(w1, sizeof(w1), str(t, "created_at")));
    addf(p, pri[0] == 'h' ? color_attr(a, C_HIGH) | A_BOLD : 0,
         "  Priority  %c%s — %s", pri[0] ? pri[0] - 'a' + 'A' : ' ',
         pri[0] ? pri + 1 : "", priority_label(pri));
    addf(p, 0, "  Pipeline  %s    Stage  %s",
         strcmp(str(t, "pipeline"), "graphics") ? "Customer Support"
                                                : "Graphic Support",
         model_stage_name(str(t, "stage")));
    addf(p, 0, "  Owner     %s    Graphics  %s",
         json_is_string(json_object_get(t, "owner")) ? str(t, "owner") : "—",
         json_is_string(json_object_get(t, "graphics_owner"))
             ? str(t, "graphics_owner")
             : "—");
    if (due > 0)
        addf(p,
             due < (long)time(NULL) && !model_closed(t)
                 ? color_attr(a, C_OVERDUE)
                 : 0,
             "  Due       %s%s", when(w2, sizeof(w2), str(t, "due_at")),
             due < (long)time(NULL) && !model_closed(t) ? "  OVERDUE" : "");
    addf(p, 0, "  Source    %s    Updated  %s", str(t, "source"),
         when(w1, sizeof(w1), str(t, "last_activity_at")));
    heading(a, p, "Description");
    add_wrapped(p, *str(t, "description") ? str(t, "description") : "—", "  ",
                0);
    heading(a, p, "Contact");
    addf(p, 0, "  %s%s%s", str(c, "name"), *str(c, "title") ? ", " : "",
         str(c, "title"));
    addf(p, 0, "  %s%s%s", str(c, "email"), *str(c, "phone") ? " · " : "",
         str(c, "phone"));
    if (co && !json_is_null(co)) {
        heading(a, p, "School");
        addf(p, 0, "  %s%s%s", str(co, "name"),
             *str(co, "website") ? " · " : "", str(co, "website"));
    }
    if (json_array_size(json_object_get(t, "attachments"))) {
        heading(a, p, "Attachments  (s saves, O opens)");
        json_array_foreach(json_object_get(t, "attachments"), i, x)
        {
            char sz[32];
            /* Numbered: s and O ask for the number when there are
             * several. */
            addf(p, 0, "  %zu. %s (%s, %s)", i + 1, str(x, "filename"),
                 str(x, "content_type"),
                 text_size(sz, sizeof(sz),
                           (long long)json_integer_value(
                               json_object_get(x, "size"))));
        }
    }
    heading(a, p, "Conversation");
    if (!json_array_size(json_object_get(t, "messages")))
        add(p, "  —", 3, color_attr(a, C_DIM));
    json_array_foreach(json_object_get(t, "messages"), i, x)
    {
        bool in = strcmp(str(x, "direction"), "in") == 0;
        const char *delivery = str(x, "delivery");
        addf(p, A_BOLD, "  %s %s, %s%s", in ? "◀" : "▶", str(x, "author"),
             when(w1, sizeof(w1), str(x, "created_at")),
             strcmp(delivery, "queued") == 0 ? " · queued" : "");
        /* A reply the contact never got must not pass for one they did:
         * in the error colour, with the mail server's own words. */
        if (strcmp(delivery, "failed") == 0) {
            char why[1100];
            snprintf(why, sizeof(why), "✗ not delivered: %s",
                     *str(x, "delivery_error") ? str(x, "delivery_error")
                                               : "no reason given");
            add_wrapped(p, why, "    ", color_attr(a, C_ERROR) | A_BOLD);
        }
        add_wrapped(p, str(x, "body"), "    ", 0);
    }
    heading(a, p, "Notes (staff only)");
    if (!json_array_size(json_object_get(t, "notes")))
        add(p, "  —", 3, color_attr(a, C_DIM));
    json_array_foreach(json_object_get(t, "notes"), i, x)
    {
        addf(p, color_attr(a, C_NOTE) | A_BOLD, "  %s, %s", str(x, "author"),
             when(w1, sizeof(w1), str(x, "created_at")));
        add_wrapped(p, str(x, "body"), "    ", color_attr(a, C_NOTE));
    }
    if (json_array_size(json_object_get(t, "tasks"))) {
        heading(a, p, "Tasks");
        json_array_foreach(json_object_get(t, "tasks"), i, x)
        {
            bool done = json_is_string(json_object_get(x, "done_at"));
            addf(p, done ? color_attr(a, C_DIM) : 0, "  [%s] %s — %s%s%s",
                 done ? "x" : " ", str(x, "title"), str(x, "staff"),
                 json_is_string(json_object_get(x, "due_at")) ? ", due " : "",
                 json_is_string(json_object_get(x, "due_at"))
                     ? when(w1, sizeof(w1), str(x, "due_at"))
                     : "");
        }
    }
    heading(a, p, "Timeline");
    json_array_foreach(json_object_get(t, "events"), i, x)
    {
        char change[512] = "";
        size_t len = 0;
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(x, "change"), key, v)
        {
            if (json_is_array(v) && json_array_size(v) == 2 &&
                len < sizeof(change))
                len += (size_t)snprintf(
                    change + len, sizeof(change) - len, " %s %s→%s", key,
                    json_is_string(json_array_get(v, 0))
                        ? json_string_value(json_array_get(v, 0))
                        : "—",
                    json_is_string(json_array_get(v, 1))
                        ? json_string_value(json_array_get(v, 1))
                        : "—");
            /* A ticket opened by a reply to an old closed one. */
            else if (!strcmp(key, "follow_up_to") && json_is_integer(v) &&
                     len < sizeof(change))
                len += (size_t)snprintf(change + len, sizeof(change) - len,
                                        " (follow-up to #%lld)",
                                        (long long)json_integer_value(v));
        }
        /* Whom the email was for, and why it failed (the change holds
         * no from→to pairs). */
        if (strcmp(str(x, "action"), "message_failed") == 0 &&
            len < sizeof(change))
            snprintf(change + len, sizeof(change) - len, " to %s: %s",
                     str(json_object_get(x, "change"), "to"),
                     str(json_object_get(x, "change"), "error"));
        else if (strcmp(str(x, "action"), "message_delivered") == 0 &&
                 len < sizeof(change))
            snprintf(change + len, sizeof(change) - len, " to %s",
                     str(json_object_get(x, "change"), "to"));
        const char *at = str(x, "created_at");
        char line[1024];
        /* Wrapped, the rest under a deeper indent: cut at 60 columns an
         * event would lose whom a failed email was for, and why. */
        struct wrap_ctx wc = {p, "  ", color_attr(a, C_DIM), "      "};
        snprintf(line, sizeof(line), "%.10s %.5s  %-18s %s%s", at,
                 strlen(at) > 11 ? at + 11 : "", str(x, "action"), str(x, "by"),
                 change);
        text_wrap(line, p->cols - 7, wrap_line, &wc);
    }
}

static void draw(struct app *a, WINDOW *w, int rows, int cols)
{
    struct page p = {0};

    if (!a->store.ticket) {
        char msg[64];
        snprintf(msg, sizeof(msg), "Loading #%lld…", st.id);
        draw_text(w, 1, 2, cols - 4, msg, color_attr(a, C_DIM), false);
        return;
    }
    p.cols = cols;
    build(a, &p);
    if (st.top > p.n - rows)
        st.top = p.n - rows > 0 ? p.n - rows : 0;
    for (int r = 0; r < rows && st.top + r < p.n; r++)
        draw_text(w, r, 0, cols, p.text[st.top + r], p.attr[st.top + r], false);
    free_page(&p);
}

/* ---- open, close, keys ---------------------------------------------------
 */

static void ticket_open(struct app *a, long long id)
{
    if (st.id != id)
        st.top = 0;
    st.id = id;
    store_follow_ticket(&a->store, id);
    conn_load_ticket(a, id);
    conn_presence_view(a, id);
}

static void ticket_close(struct app *a)
{
    /* The store keeps the ticket current, so going back to it shows it at
     * once; but the others see that we stopped looking. */
    conn_presence_view(a, 0);
}

static bool action(struct app *a, enum action act)
{
    int page = LINES - 5;

    switch (act) {
    case ACT_DOWN:
        st.top++;
        return true;
    case ACT_UP:
        if (st.top > 0)
            st.top--;
        return true;
    case ACT_PAGE_DOWN:
        st.top += page;
        return true;
    case ACT_PAGE_UP:
        st.top = st.top > page ? st.top - page : 0;
        return true;
    case ACT_FIRST:
        st.top = 0;
        return true;
    case ACT_LAST:
        st.top = 1 << 20;
        return true;
    case ACT_BACK:
        app_pop(a);
        return true;
    case ACT_OPEN:
        return true;
    case ACT_SAVE:
        if (a->store.ticket)
            attach_save(a);
        return true;
    case ACT_OPEN_FILE:
        if (a->store.ticket)
            attach_open(a);
        return true;
    default:
        return a->store.ticket && (actions_ticket(a, act, a->store.ticket) ||
                                   composer_action(a, act, st.id));
    }
}

const struct screen_ops screen_ticket = {
    .name = "ticket",
    .open = ticket_open,
    .close = ticket_close,
    .draw = draw,
    .action = action,
};
