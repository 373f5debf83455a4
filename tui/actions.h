/*
 * actions.h - what the keys do to a ticket (claim, close, move,
 * priority, a task...) from whichever screen shows it, and the prompt
 * line that asks for a choice, a text or a password.
 */
#ifndef ACTIONS_H
#define ACTIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <wchar.h>

#include "keymap.h"

struct app;

struct prompt {
    bool active;
    char label[160];
    char text[1024];
    /* Called with the text when Enter is pressed (NULL when cancelled). */
    void (*done)(struct app *a, const char *text);
    /* Called on every change (search as you type); may be NULL. */
    void (*changed)(struct app *a, const char *text);
    /* Single-key choice (priority, move): keys accepted, or NULL. */
    const char *choices;
    bool secret; /* a password: shown as stars */
    /* Tab: complete text in place (a path); may be NULL.  What it found
     * when there was more than one, one per line, shows above the prompt
     * until the next key. */
    void (*complete)(struct app *a, struct prompt *p);
    char listing[2048];
};

/* The ticket actions on a summary; false if act is not one of them. */
bool actions_ticket(struct app *a, enum action act, json_t *summary);
/* A ticket call (tickets.claim...) on id, with the version we saw (a
 * change meanwhile is refused), extra params (owned) or NULL. */
void actions_call(struct app *a, const char *method, long long id,
                  long long version, json_t *extra);

/* Ask on the prompt line. */
void prompt_open(struct app *a, const char *label, const char *choices,
                 void (*done)(struct app *a, const char *text),
                 void (*changed)(struct app *a, const char *text));
/* A key while the prompt is active. */
void prompt_key(struct app *a, wint_t ch, bool is_key);

#endif
