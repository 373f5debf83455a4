/*
 * screen_notifications.c - "N": mentions, graphics completions, task
 * reminders and assignments, newest first; Enter opens the ticket and
 * marks the notification read.
 */
#include "app.h"
#include "draw.h"
#include "screens.h"
#include "text.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int sel; /* the row of the cursor */

static void notifications_open(struct app *a, long long id)
{
    sel = 0;
    /* While open, a pushed notification reloads the list (conn.c). */
    a->store.notifications_shown = true;
    conn_load_notifications(a);
}

static void notifications_close(struct app *a)
{
    a->store.notifications_shown = false;
}

static const char *kind_name(const char *k)
{
    if (!k)
        return "";
    if (!strcmp(k, "mention"))
        return "mentioned you";
    if (!strcmp(k, "graphics_complete"))
        return "completed the graphics";
    if (!strcmp(k, "task_reminder"))
        return "task reminder";
    if (!strcmp(k, "assigned"))
        return "assigned you";
    if (!strcmp(k, "client_reply"))
        return "the contact replied";
    if (!strcmp(k, "mail_failed"))
        return "your reply not delivered";
    return k;
}

static void draw(struct app *a, WINDOW *w, int rows, int cols)
{
    size_t n = json_array_size(a->store.notifications);
    char line[256], age[32];
    int top;

    draw_text(w, 0, 0, cols, "Notifications  (Enter opens, q goes back)",
              color_attr(a, C_HEADING) | A_BOLD, false);
    if (n == 0) {
        draw_text(w, 2, 2, cols - 4, "No notifications", color_attr(a, C_DIM),
                  false);
        return;
    }
    if (sel >= (int)n)
        sel = (int)n - 1;
    top = sel >= rows - 2 ? sel - (rows - 3) : 0;
    for (int r = 0; r < rows - 1 && top + r < (int)n; r++) {
        json_t *x = json_array_get(a->store.notifications, (size_t)(top + r));
        bool unread = json_is_null(json_object_get(x, "read_at"));
        bool here = top + r == sel;
        const char *by = json_string_value(json_object_get(x, "by"));
        snprintf(line, sizeof(line), " %s #%-6lld %-10s %-24s %s ago",
                 unread ? "●" : " ",
                 (long long)json_integer_value(json_object_get(x, "ticket")),
                 by ? by : "",
                 kind_name(json_string_value(json_object_get(x, "kind"))),
                 text_age(age, sizeof(age),
                          json_string_value(json_object_get(x, "created_at")),
                          (long)time(NULL)));
        draw_text(w, r + 1, 0, cols, line,
                  (here ? color_attr(a, C_SELECTED) : 0) |
                      (unread ? A_BOLD : 0),
                  true);
    }
    wmove(w, sel - top + 1, 0);
}

static void read_done(struct dk_client *cl, json_t *result, json_t *error,
                      void *arg)
{
    conn_load_notifications(arg);
}

static bool action(struct app *a, enum action act)
{
    int n = (int)json_array_size(a->store.notifications);
    json_t *x;

    switch (act) {
    case ACT_DOWN:
        if (sel < n - 1)
            sel++;
        return true;
    case ACT_UP:
        if (sel > 0)
            sel--;
        return true;
    case ACT_FIRST:
        sel = 0;
        return true;
    case ACT_LAST:
        sel = n - 1;
        return true;
    case ACT_OPEN:
        x = json_array_get(a->store.notifications, (size_t)sel);
        if (!x)
            return true;
        if (json_is_null(json_object_get(x, "read_at")))
            conn_call(a, "notifications.read",
                      json_pack("{s:O}", "id", json_object_get(x, "id")),
                      read_done, a);
        app_push(a, &screen_ticket,
                 json_integer_value(json_object_get(x, "ticket")));
        return true;
    case ACT_BACK:
    case ACT_NOTIFICATIONS:
        app_home(a);
        return true;
    default:
        return false;
    }
}

const struct screen_ops screen_notifications = {
    .name = "notifications",
    .open = notifications_open,
    .close = notifications_close,
    .draw = draw,
    .action = action,
};
