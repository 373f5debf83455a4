/*
 * dk_views.h - the ticket views (SPEC section 4), defined once: the name
 * the protocol and the configuration use, the tab title the client shows,
 * and the server's SQL filter over "ticket t" ($1 is the caller's staff
 * id).  Each filter has a partial index of its own in schema.sql
 * (test/integration/schema_views.sh checks the plans).
 */
#ifndef DK_VIEWS_H
#define DK_VIEWS_H

/* X(ID, "name", "Title", "filter"), in tab order. */
#define DK_VIEWS(X)                                                            \
    X(MY_OPEN, "my_open", "My Open Tickets",                                   \
      "t.owner_id = $1 AND NOT t.closed")                                      \
    X(UNASSIGNED, "unassigned", "Unassigned",                                  \
      "t.owner_id IS NULL AND t.pipeline = 'support' AND NOT t.closed")        \
    X(WAITING_ON_GRAPHICS, "waiting_on_graphics", "Waiting on Graphics",       \
      "t.pipeline = 'graphics' AND t.stage = 'waiting_on_graphics'")           \
    X(MY_GRAPHICS, "my_graphics", "My Graphics",                               \
      "t.graphics_owner_id = $1 AND t.stage = 'graphics_in_progress'")         \
    X(OPEN, "open", "Open", "NOT t.closed")                                    \
    X(CLOSED, "closed", "Closed", "t.closed")

enum dk_view {
#define DK_VIEW_ID_(id, name, title, filter) DK_VIEW_##id,
    DK_VIEWS(DK_VIEW_ID_)
#undef DK_VIEW_ID_
        DK_NVIEWS
};

/* Names in tab order, NULL-terminated (a config choice list). */
extern const char *const dk_view_names[DK_NVIEWS + 1];
extern const char *const dk_view_titles[DK_NVIEWS];
extern const char *const dk_view_filters[DK_NVIEWS];
/* "my_open, unassigned, ..." for messages. */
extern const char *const dk_view_list;

/* The view of that name, or -1. */
int dk_view_parse(const char *name);

#endif
