/*
 * model.c - view membership and order on the client, the same rules the
 * server's view queries apply, so a pushed change moves a ticket between
 * tabs without asking the server.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool str_is(json_t *s, const char *key, const char *want)
{
    const char *v = str(s, key);

    return want ? (v && strcmp(v, want) == 0) : v == NULL;
}

/* The server's pipelines.list once loaded (model_set_pipelines()), else
 * NULL: then the seeded names below. */
static json_t *pipelines;

void model_set_pipelines(json_t *list)
{
    json_decref(pipelines);
    pipelines = json_is_array(list) ? json_incref(list) : NULL;
}

/* The stage object {id, name, closed} of pipeline (any pipeline when
 * NULL) called id, from the server's list; NULL if not loaded or none. */
static json_t *find_stage(const char *pipeline, const char *id)
{
    size_t i, j;
    json_t *p, *st;

    if (!id)
        return NULL;
    json_array_foreach(pipelines, i, p)
    {
        if (pipeline && !str_is(p, "id", pipeline))
            continue;
        json_array_foreach(json_object_get(p, "stages"), j, st)
        {
            if (str_is(st, "id", id))
                return st;
        }
    }
    return NULL;
}

bool model_closed(json_t *s)
{
    json_t *st;

    if (pipelines)
        return (st = find_stage(str(s, "pipeline"), str(s, "stage"))) &&
               json_is_true(json_object_get(st, "closed"));
    /* Before the list arrives: the seeded pipelines' one closed stage. */
    return str_is(s, "stage", "closed");
}

bool model_in_view(enum dk_view view, json_t *s, const char *me)
{
    bool closed = model_closed(s);

    switch (view) {
    case DK_VIEW_MY_OPEN:
        return str_is(s, "owner", me) && !closed;
    case DK_VIEW_UNASSIGNED:
        return str_is(s, "owner", NULL) && str_is(s, "pipeline", "support") &&
               !closed;
    case DK_VIEW_WAITING_ON_GRAPHICS:
        return str_is(s, "pipeline", "graphics") &&
               str_is(s, "stage", "waiting_on_graphics");
    case DK_VIEW_MY_GRAPHICS:
        return str_is(s, "graphics_owner", me) &&
               str_is(s, "stage", "graphics_in_progress");
    case DK_VIEW_OPEN:
        return !closed;
    case DK_VIEW_CLOSED:
        return closed;
    case DK_NVIEWS:
        break;
    }
    return false;
}

static int rank(json_t *s)
{
    const char *p = str(s, "priority");

    return !p ? 3 : !strcmp(p, "high") ? 0 : !strcmp(p, "medium") ? 1 : 2;
}

int model_cmp(json_t *x, json_t *y)
{
    int c = rank(x) - rank(y);
    long long ix, iy;
    const char *cx = str(x, "created_at"), *cy = str(y, "created_at");

    if (c)
        return c;
    /* RFC 3339 UTC times of one width compare as text. */
    c = strcmp(cx ? cx : "", cy ? cy : "");
    if (c)
        return c;
    ix = json_integer_value(json_object_get(x, "id"));
    iy = json_integer_value(json_object_get(y, "id"));
    return ix < iy ? -1 : ix > iy;
}

/* Lower-case wide copy of a UTF-8 string (in the current locale, which
 * docket makes a UTF-8 one); NULL when it is not valid text. */
static wchar_t *fold(const char *s, wchar_t *out, size_t size)
{
    size_t n = mbstowcs(out, s, size - 1);

    if (n == (size_t)-1)
        return NULL;
    out[n] = L'\0';
    for (size_t i = 0; i < n; i++)
        out[i] = (wchar_t)towlower((wint_t)out[i]);
    return out;
}

bool model_matches(json_t *s, const char *f)
{
    wchar_t hay[1024], needle[256];
    json_t *c = json_object_get(s, "contact"),
           *co = json_object_get(s, "company");
    char buf[1024];

    if (!f || !*f)
        return true;
    snprintf(buf, sizeof(buf), "%lld %s %s %s %s",
             (long long)json_integer_value(json_object_get(s, "id")),
             str(s, "subject") ? str(s, "subject") : "",
             str(c, "name") ? str(c, "name") : "",
             str(c, "email") ? str(c, "email") : "",
             str(co, "name") ? str(co, "name") : "");
    /* Case folding beyond ASCII: "øystein" finds "Øystein". */
    if (!fold(buf, hay, 1024) || !fold(f, needle, 256))
        return strcasestr(buf, f) != NULL;
    return wcsstr(hay, needle) != NULL;
}

void model_apply(json_t *rows, bool complete, enum dk_view view, json_t *s,
                 const char *me)
{
    long long id = json_integer_value(json_object_get(s, "id"));
    size_t i, n;
    json_t *row;

    json_array_foreach(rows, i, row)
    {
        if (json_integer_value(json_object_get(row, "id")) == id) {
            json_array_remove(rows, i);
            break;
        }
    }
    if (!model_in_view(view, s, me))
        return;
    n = json_array_size(rows);
    for (i = 0; i < n; i++)
        if (model_cmp(s, json_array_get(rows, i)) < 0)
            break;
    /* Past the loaded part of a long view: it shows up when paged to. */
    if (i == n && !complete)
        return;
    json_array_insert(rows, i, s);
}

/* The seeded stages' names, until the server's list is loaded. */
static const struct {
    const char *id, *name;
} stages[] = {
    {"new", "New"},
    {"in_progress", "In Progress"},
    {"waiting_on_contact", "Waiting on contact"},
    {"closed", "Closed"},
    {"waiting_on_graphics", "Waiting on Graphics"},
    {"graphics_in_progress", "Graphics in progress"},
    {"graphics_complete", "Graphics Complete"},
};

/* The seeded stages' short forms, for a Stage column too narrow for the
 * name: "Waiting on contact" and "Waiting on Graphics" must not both read
 * "Waiting on …". */
static const struct {
    const char *id, *name, *short_name;
} short_stages[] = {
    {"in_progress", "In Progress", "In progress"},
    {"waiting_on_contact", "Waiting on contact", "Wait contact"},
    {"waiting_on_graphics", "Waiting on Graphics", "Wait gfx"},
    {"graphics_in_progress", "Graphics in progress", "Gfx working"},
    {"graphics_complete", "Graphics Complete", "Gfx complete"},
};

const char *model_stage_label(const char *id, int width)
{
    const char *name = model_stage_name(id);

    if ((int)strlen(name) <= width)
        return name;
    /* Only for a stage still called what it was seeded as: a name the
     * agency chose is theirs to shorten (and is cut with an ellipsis). */
    for (size_t i = 0; id && i < sizeof(short_stages) / sizeof(*short_stages);
         i++)
        if (!strcmp(short_stages[i].id, id) &&
            !strcmp(short_stages[i].name, name))
            return short_stages[i].short_name;
    return name;
}

const char *model_stage_name(const char *id)
{
    json_t *st = find_stage(NULL, id);

    if (st && json_is_string(json_object_get(st, "name")))
        return str(st, "name");
    for (size_t i = 0; id && i < sizeof(stages) / sizeof(*stages); i++)
        if (strcmp(stages[i].id, id) == 0)
            return stages[i].name;
    return id ? id : "";
}
