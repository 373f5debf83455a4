/*
 * screen.c - the screen stack.  Every open and close of a screen passes
 * through here, so a hook on a screen's open() or close() (marking what
 * the user looks at, say) sees each change exactly once.
 */
#include "screen.h"

#include <assert.h>
#include <stddef.h>

/* Take the screen at i off the stack, then close it: close() sees the
 * stack without it. */
static void close_at(struct screen_stack *st, struct app *a, int i)
{
    const struct screen_ops *s = st->ops[i];

    for (; i + 1 < st->n; i++)
        st->ops[i] = st->ops[i + 1];
    st->ops[--st->n] = NULL;
    if (s->close)
        s->close(a);
}

static void close_top(struct screen_stack *st, struct app *a)
{
    close_at(st, a, st->n - 1);
}

void screen_push(struct screen_stack *st, struct app *a,
                 const struct screen_ops *s, long long id)
{
    for (int i = 0; i < st->n; i++)
        if (st->ops[i] == s) {
            close_at(st, a, i);
            break;
        }
    assert(st->n < SCREEN_DEPTH);
    st->ops[st->n++] = s;
    if (s->open)
        s->open(a, id);
}

void screen_pop(struct screen_stack *st, struct app *a)
{
    if (st->n > 1)
        close_top(st, a);
}

void screen_home(struct screen_stack *st, struct app *a)
{
    while (st->n > 1)
        close_top(st, a);
}

void screen_close_all(struct screen_stack *st, struct app *a)
{
    while (st->n > 0)
        close_top(st, a);
}

const struct screen_ops *screen_top(const struct screen_stack *st)
{
    return st->n > 0 ? st->ops[st->n - 1] : NULL;
}

bool screen_is_open(const struct screen_stack *st, const struct screen_ops *s)
{
    for (int i = 0; i < st->n; i++)
        if (st->ops[i] == s)
            return true;
    return false;
}
