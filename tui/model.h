/*
 * model.h - the client's view of the tickets without a terminal: which
 * view a ticket summary belongs to (SPEC section 4), the views' order,
 * the as-you-type filter, and applying a pushed change to a loaded list.
 */
#ifndef MODEL_H
#define MODEL_H

#include <jansson.h>
#include <stdbool.h>

/* The views, in tab order (the same as dk_views.h). */
enum {
    MODEL_MY_OPEN,
    MODEL_UNASSIGNED,
    MODEL_WAITING_ON_GRAPHICS,
    MODEL_MY_GRAPHICS,
    MODEL_OPEN,
    MODEL_CLOSED,
    MODEL_NVIEWS
};

bool model_closed(json_t *summary);
/* Whether summary belongs in view for the staff member me. */
bool model_in_view(int view, json_t *summary, const char *me);
/* The views' order: priority high first, oldest, then id. */
int model_cmp(json_t *a, json_t *b);
/* The filter of "/": id, subject, contact name or email, school. */
bool model_matches(json_t *summary, const char *filter);
/*
 * Put summary where it now belongs in rows (a loaded view's array):
 * removed if it left, inserted in order if it joined (unless it sorts past
 * the loaded part of an incomplete view), replaced if it changed.
 */
void model_apply(json_t *rows, bool complete, int view, json_t *summary,
                 const char *me);

#endif
