/*
 * screen_list.c - the list of the current view: one row per ticket (id,
 * priority, subject with who else is on it, contact / school, stage,
 * owner, age or due), the
 * cursor following the ticket, not the row, as the list changes live;
 * and the as-you-type filter and the search of "/".
 */
#include "app.h"
#include "dk_mem.h"
#include "draw.h"
#include "model.h"
#include "screens.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROWS    20000
#define SUBJECT_MIN 7 /* columns a presence marker leaves the subject */

static json_t *rows_buf[MAX_ROWS];

/* Each view keeps its cursor and scroll while another is shown. */
static struct {
    long long selected[DK_NVIEWS]; /* ticket id the cursor is on (0: first) */
    int top[DK_NVIEWS];            /* first visible row */
    char filter[128];              /* search as you type, local */
} st;

static int visible(struct app *a)
{
    return (int)store_visible(&a->store, (enum dk_view)a->current, st.filter,
                              rows_buf, MAX_ROWS);
}

static int index_of_selected(struct app *a, json_t **rows, int n)
{
    long long sel = st.selected[a->current];

    for (int i = 0; i < n; i++)
        if (json_integer_value(json_object_get(rows[i], "id")) == sel)
            return i;
    return 0;
}

static void select_index(struct app *a, json_t **rows, int n, int i)
{
    if (n == 0)
        return;
    if (i < 0)
        i = 0;
    if (i >= n)
        i = n - 1;
    st.selected[a->current] =
        json_integer_value(json_object_get(rows[i], "id"));
    /* Near the end of a long view: fetch the next page. */
    if (i > n - 20)
        conn_load_view(a, (enum dk_view)a->current, true);
}

/* The ID column: as wide as the longest id loaded, and no narrower than
 * "#" and four digits (a helpdesk past 99,999 tickets must not read
 * "1059…"). */
static int id_width(json_t **rows, int n)
{
    long long most = 0;
    int w = 1;

    for (int i = 0; i < n; i++) {
        long long id = json_integer_value(json_object_get(rows[i], "id"));
        if (id > most)
            most = id;
    }
    for (; most >= 10; most /= 10)
        w++;
    return w > 5 ? w : 5;
}

static void draw(struct app *a, WINDOW *w, int rows, int cols)
{
    struct view *v = &a->store.views[a->current];
    int *top = &st.top[a->current];
    int n = visible(a);
    int sel = index_of_selected(a, rows_buf, n);
    int body = rows - 1, subj_w, who_w, flex;
    int stage_w = cols >= 100 ? 20 : 12, owner_w = cols >= 100  ? 16
                                                   : cols >= 80 ? 9
                                                                : 7;
    long now = (long)time(NULL);
    char line[64];
    int id_w = id_width(rows_buf, n), o = id_w + 6; /* where Subject starts */

    /* Fixed columns first; the subject gets 60% of the rest, two thirds
     * under 80 columns (at 60 the rest is 18: a 10-column subject could
     * not keep a word beside a presence marker). */
    flex = cols - (id_w + 1) - 5 - (stage_w + 1) - (owner_w + 1) - 9 - 1;
    subj_w = cols >= 80 ? flex * 6 / 10 : flex * 2 / 3;
    who_w = flex - subj_w - 1;
    if (subj_w < 8)
        subj_w = 8;
    /* Header. */
    wattron(w, color_attr(a, C_HEADING) | A_BOLD);
    mvwprintw(w, 0, 0, "%-*s %-4s ", id_w, "#", "Pri");
    draw_text(w, 0, o, subj_w, "Subject", color_attr(a, C_HEADING) | A_BOLD,
              true);
    draw_text(w, 0, o + 1 + subj_w, who_w, "Contact / school",
              color_attr(a, C_HEADING) | A_BOLD, true);
    draw_text(w, 0, o + 2 + subj_w + who_w, stage_w, "Stage",
              color_attr(a, C_HEADING) | A_BOLD, true);
    draw_text(w, 0, o + 3 + subj_w + who_w + stage_w, owner_w, "Owner",
              color_attr(a, C_HEADING) | A_BOLD, true);
    draw_text(w, 0, o + 4 + subj_w + who_w + stage_w + owner_w, 8, "Age/due",
              color_attr(a, C_HEADING) | A_BOLD, true);
    wattroff(w, color_attr(a, C_HEADING) | A_BOLD);

    if (n == 0) {
        const char *why = v->loading     ? "Loading…"
                          : st.filter[0] ? "Nothing matches the search"
                          : v->query     ? "Nothing found"
                                         : "Nothing here";
        draw_text(w, 2, 2, cols - 4, why, color_attr(a, C_DIM), false);
        return;
    }
    /* Keep the cursor's row in sight. */
    if (sel < *top)
        *top = sel;
    if (sel >= *top + body)
        *top = sel - body + 1;
    if (*top > n - body)
        *top = n - body > 0 ? n - body : 0;
    for (int r = 0; r < body && *top + r < n; r++) {
        json_t *t = rows_buf[*top + r];
        json_t *c = json_object_get(t, "contact");
        json_t *co = json_object_get(t, "company");
        const char *pri = json_string_value(json_object_get(t, "priority"));
        const char *due = json_string_value(json_object_get(t, "due_at"));
        const char *owner = json_string_value(json_object_get(t, "owner"));
        const char *gowner =
            json_string_value(json_object_get(t, "graphics_owner"));
        bool selected = *top + r == sel;
        int base = selected ? color_attr(a, C_SELECTED) : 0;
        int pattr = base;
        if (!selected && pri)
            pattr = pri[0] == 'h'   ? color_attr(a, C_HIGH) | (int)A_BOLD
                    : pri[0] == 'm' ? color_attr(a, C_MEDIUM)
                                    : color_attr(a, C_LOW);
        char who[256], agebuf[32], when[48], here[64];
        int here_w;
        long due_t = due ? text_time(due) : -1;
        int y = r + 1, x = 0;

        if (selected) {
            wattron(w, base);
            mvwhline(w, y, 0, ' ', cols);
            wattroff(w, base);
        }
        snprintf(line, sizeof(line), "%-*lld", id_w,
                 (long long)json_integer_value(json_object_get(t, "id")));
        draw_text(w, y, x, id_w, line, base, true);
        x += id_w + 1;
        draw_text(w, y, x, 4,
                  !pri            ? ""
                  : pri[0] == 'h' ? "High"
                  : pri[0] == 'm' ? "Med"
                                  : "Low",
                  pattr, true);
        x += 5;
        /* Who else is on it, at the subject's end: the subject gives way,
         * up to half its width, but keeps SUBJECT_MIN columns (a word
         * and its "…"); the marker shortens first ("an·v"). */
        store_presence_short(
            &a->store, json_integer_value(json_object_get(t, "id")), a->me,
            subj_w / 2 < subj_w - SUBJECT_MIN - 1 ? subj_w / 2
                                                  : subj_w - SUBJECT_MIN - 1,
            here, sizeof(here));
        here_w = here[0] ? text_width(here) : 0;
        draw_text(w, y, x, here_w ? subj_w - here_w - 1 : subj_w,
                  json_string_value(json_object_get(t, "subject")), base, true);
        if (here_w)
            draw_text(w, y, x + subj_w - here_w, here_w, here,
                      selected ? base | (int)A_BOLD
                               : color_attr(a, C_NOTE) | (int)A_BOLD,
                      false);
        x += subj_w + 1;
        snprintf(who, sizeof(who), "%s%s%s",
                 json_string_value(json_object_get(c, "name")) ?: "",
                 co && !json_is_null(co) ? " / " : "",
                 co && !json_is_null(co)
                     ? json_string_value(json_object_get(co, "name")) ?: ""
                     : "");
        draw_text(w, y, x, who_w, who, base, true);
        x += who_w + 1;
        draw_text(w, y, x, stage_w,
                  model_stage_label(
                      json_string_value(json_object_get(t, "stage")), stage_w),
                  base, true);
        x += stage_w + 1;
        /* The owner (the content updater whose ticket it is), and the
         * graphics owner beside it when there is one. */
        snprintf(who, sizeof(who), "%s%s%s", owner ? owner : "—",
                 gowner ? "/" : "", gowner ? gowner : "");
        draw_text(w, y, x, owner_w, who,
                  base | (owner || gowner ? 0 : color_attr(a, C_DIM)), true);
        x += owner_w + 1;
        if (due_t > 0 && !model_closed(t)) {
            text_age(agebuf, sizeof(agebuf), due, now);
            if (due_t < now) {
                snprintf(when, sizeof(when), "late %s", agebuf);
                draw_text(w, y, x, cols - x, when,
                          selected ? base | (int)A_BOLD
                                   : color_attr(a, C_OVERDUE),
                          false);
            } else {
                snprintf(when, sizeof(when), "due %s", agebuf);
                draw_text(w, y, x, cols - x, when, base, false);
            }
        } else {
            text_age(agebuf, sizeof(agebuf),
                     json_string_value(json_object_get(t, "created_at")), now);
            draw_text(w, y, x, cols - x, agebuf,
                      base | (selected ? 0 : color_attr(a, C_DIM)), false);
        }
    }
    /* The terminal cursor sits on the selected row (screen readers). */
    wmove(w, sel - *top + 1, 0);
}

static bool action(struct app *a, enum action act)
{
    int n = visible(a);
    int sel = index_of_selected(a, rows_buf, n);
    int rows = LINES - 4;
    json_t *t = n ? rows_buf[sel] : NULL;
    struct view *v = &a->store.views[a->current];

    switch (act) {
    case ACT_DOWN:
        select_index(a, rows_buf, n, sel + 1);
        return true;
    case ACT_UP:
        select_index(a, rows_buf, n, sel - 1);
        return true;
    case ACT_FIRST:
        select_index(a, rows_buf, n, 0);
        return true;
    case ACT_LAST:
        select_index(a, rows_buf, n, n - 1);
        return true;
    case ACT_PAGE_DOWN:
        select_index(a, rows_buf, n, sel + rows);
        return true;
    case ACT_PAGE_UP:
        select_index(a, rows_buf, n, sel - rows);
        return true;
    case ACT_OPEN:
        if (t)
            app_push(a, &screen_ticket,
                     json_integer_value(json_object_get(t, "id")));
        return true;
    case ACT_BACK:
        if (st.filter[0] || v->query) {
            st.filter[0] = '\0';
            if (v->query) {
                free(v->query);
                v->query = NULL;
                conn_load_view(a, (enum dk_view)a->current, false);
            }
        } else {
            a->quit = true;
            uv_stop(a->loop);
        }
        return true;
    default:
        return t && (actions_ticket(a, act, t) ||
                     composer_action(
                         a, act, json_integer_value(json_object_get(t, "id"))));
    }
}

void list_clear_filter(struct app *a)
{
    st.filter[0] = '\0';
}

static void search_changed(struct app *a, const char *text)
{
    snprintf(st.filter, sizeof(st.filter), "%s", text);
}

static void search_done(struct app *a, const char *text)
{
    struct view *v = &a->store.views[a->current];

    st.filter[0] = '\0';
    free(v->query);
    v->query = text && *text ? dk_xstrdup(text) : NULL;
    conn_load_view(a, (enum dk_view)a->current, false);
    if (v->query)
        draw_message(a, false, "Searching %s for \"%s\" (R clears)",
                     dk_view_titles[a->current], v->query);
}

void list_search(struct app *a)
{
    prompt_open(a, "Search: ", NULL, search_done, search_changed);
}

/* client.mouse: a click selects the row, a click on the selected row
 * opens it.  The list's first row is the terminal's third (tabs, then
 * the header). */
static void mouse(struct app *a, int y, int x)
{
    int n = visible(a), i = st.top[a->current] + y - 2;

    (void)x;
    if (y < 2 || i >= n)
        return;
    if (i == index_of_selected(a, rows_buf, n))
        action(a, ACT_OPEN);
    else
        select_index(a, rows_buf, n, i);
}

const struct screen_ops screen_list = {
    .name = "list",
    .draw = draw,
    .action = action,
    .mouse = mouse,
};
