/*
 * screens.h - the screens (each a struct screen_ops, its state private to
 * its file) and what other files may ask of them.
 */
#ifndef SCREENS_H
#define SCREENS_H

#include <jansson.h>
#include <stdbool.h>

#include "keymap.h"
#include "screen.h"

struct app;

/* The list of the current view, at the bottom of the stack. */
extern const struct screen_ops screen_list;
/* Clear the as-you-type filter (a new view, a reload). */
void list_clear_filter(struct app *a);
/* Ask for a search of the current view on the prompt line. */
void list_search(struct app *a);

/* One ticket; pushed with its id. */
extern const struct screen_ops screen_ticket;
extern const struct screen_ops screen_help;
extern const struct screen_ops screen_notifications;

/* Writing a note or a reply to ticket. */
extern const struct screen_ops screen_composer;
void composer_open(struct app *a, long long ticket, bool reply);
/* n and r on a ticket (from the list or the ticket); false for another
 * action. */
bool composer_action(struct app *a, enum action act, long long ticket);
/* Free the draft (at exit). */
void composer_cleanup(void);

#endif
