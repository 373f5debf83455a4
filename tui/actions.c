/*
 * actions.c - ticket actions and the prompt line (actions.h).  An action
 * sends the version of the ticket the user saw, so a change by someone
 * else meanwhile comes back refused (4009) with the ticket as it is now,
 * which goes into the store at once.
 */
#include "actions.h"
#include "app.h"
#include "conn.h"
#include "dk_mem.h"
#include "draw.h"
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ticket actions -------------------------------------------------------
 */

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
                store_apply(&a->store, t, a->me);
        }
        return;
    }
    store_apply(&a->store, result, a->me);
    draw_message(
        a, false, "%s #%lld (%s)", words,
        (long long)json_integer_value(json_object_get(result, "id")),
        model_stage_name(json_string_value(json_object_get(result, "stage"))));
    a->store.counts_wanted = true;
    a->store.ticket_wanted = a->store.ticket_id != 0;
}

void actions_call(struct app *a, const char *method, long long id,
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
    conn_call(a, method, p, action_done, ac);
}

static long long prompt_ticket;  /* the ticket a prompt is about */
static long long prompt_version; /* ...and the version seen */

static void priority_done(struct app *a, const char *key)
{
    const char *p;

    if (!key)
        return;
    p = key[0] == 'h' ? "high" : key[0] == 'm' ? "medium" : "low";
    actions_call(a, "tickets.set_priority", prompt_ticket, prompt_version,
                 json_pack("{s:s}", "priority", p));
}

/* The moves offered: closing and graphics work have their own keys. */
static const char *const move_targets[] = {
    "new", "in_progress", "waiting_on_contact", "waiting_on_graphics"};

static const char *pipeline_of(const char *stage)
{
    return strstr(stage, "graphics") ? "graphics" : "support";
}

static void move_done(struct app *a, const char *key)
{
    int i;

    if (!key)
        return;
    i = key[0] - '1';
    if (i < 0 || i >= (int)(sizeof(move_targets) / sizeof(*move_targets)))
        return;
    actions_call(a, "tickets.move", prompt_ticket, prompt_version,
                 json_pack("{s:s, s:s}", "pipeline",
                           pipeline_of(move_targets[i]), "stage",
                           move_targets[i]));
}

static void task_done(struct app *a, const char *title)
{
    if (!title || !*title)
        return;
    conn_call(a, "tasks.add",
              json_pack("{s:I, s:s}", "ticket", (json_int_t)prompt_ticket,
                        "title", title),
              NULL, NULL);
    draw_message(a, false, "Task added to #%lld", prompt_ticket);
}

bool actions_ticket(struct app *a, enum action act, json_t *t)
{
    long long id = json_integer_value(json_object_get(t, "id"));
    const char *stage = json_string_value(json_object_get(t, "stage"));
    const char *pipeline = json_string_value(json_object_get(t, "pipeline"));
    bool graphics = pipeline && strcmp(pipeline, "graphics") == 0;
    long long version = json_integer_value(json_object_get(t, "version"));

    prompt_ticket = id;
    prompt_version = version;
    switch (act) {
    case ACT_CLAIM:
        /* On a ticket waiting on graphics, c is the graphics claim. */
        actions_call(a, graphics ? "tickets.graphics_claim" : "tickets.claim",
                     id, version, NULL);
        return true;
    case ACT_UNCLAIM:
        actions_call(a,
                     graphics && stage &&
                             strcmp(stage, "graphics_in_progress") == 0
                         ? "tickets.graphics_unclaim"
                         : "tickets.unclaim",
                     id, version, NULL);
        return true;
    case ACT_HAND:
        actions_call(a, "tickets.hand_to_graphics", id, version, NULL);
        return true;
    case ACT_COMPLETE:
        actions_call(a, "tickets.graphics_complete", id, version, NULL);
        return true;
    case ACT_CLOSE:
        actions_call(a, "tickets.close", id, version, NULL);
        return true;
    case ACT_REOPEN:
        actions_call(a, "tickets.reopen", id, version, NULL);
        return true;
    case ACT_PRIORITY:
        prompt_open(a, "Priority: h high (urgent)  m medium  l low", "hml",
                    priority_done, NULL);
        return true;
    case ACT_MOVE:
        prompt_open(a,
                    "Move to: 1 New  2 In Progress  3 Waiting on contact  "
                    "4 Waiting on Graphics   (x closes)",
                    "1234", move_done, NULL);
        return true;
    case ACT_TASK:
        prompt_open(a, "Task title: ", NULL, task_done, NULL);
        return true;
    default:
        return false;
    }
}

/* ---- the prompt line ------------------------------------------------------
 */

void prompt_open(struct app *a, const char *label, const char *choices,
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

void prompt_key(struct app *a, wint_t ch, bool is_key)
{
    struct prompt *p = &a->prompt;
    void (*done)(struct app *, const char *) = p->done;
    char text[sizeof(p->text)];

    p->listing[0] = '\0';      /* the choices shown until the next key */
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
    } else if (!is_key && ch == '\t') {
        if (p->complete)
            p->complete(a, p);
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
