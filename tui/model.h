/*
 * model.h - the client's view of the tickets without a terminal: which
 * view a ticket summary belongs to (SPEC section 4; the views are
 * enum dk_view of dk_views.h), the views' order, the as-you-type filter,
 * applying a pushed change to a loaded list, and the stages' names.
 */
#ifndef MODEL_H
#define MODEL_H

#include <jansson.h>
#include <stdbool.h>

#include "dk_views.h"

bool model_closed(json_t *summary);
/* Whether summary belongs in view for the staff member me. */
bool model_in_view(enum dk_view view, json_t *summary, const char *me);
/* The views' order: priority high first, oldest, then id. */
int model_cmp(json_t *a, json_t *b);
/* The filter of "/": id, subject, contact name or email, school. */
bool model_matches(json_t *summary, const char *filter);
/*
 * Put summary where it now belongs in rows (a loaded view's array):
 * removed if it left, inserted in order if it joined (unless it sorts past
 * the loaded part of an incomplete view), replaced if it changed.
 */
void model_apply(json_t *rows, bool complete, enum dk_view view,
                 json_t *summary, const char *me);

/* "In Progress" for "in_progress" (the server's name once
 * model_set_pipelines() has its list); an unknown stage as it is. */
const char *model_stage_name(const char *stage);
/*
 * The server's pipelines.list result (a reference is kept; NULL forgets
 * it): stage names, and which stage is closed, come from it from then on,
 * not from the seeded names compiled in.
 */
void model_set_pipelines(json_t *list);
/* The stage's name, or a short form of a seeded one when the name is
 * wider than width columns. */
const char *model_stage_label(const char *stage, int width);

#endif
