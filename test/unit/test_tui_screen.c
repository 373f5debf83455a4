/*
 * test_tui_screen.c - the screen stack without a terminal: every open has
 * its close, in order, a screen is on the stack once, and the bottom one
 * stays until the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "screen.h"

/* What the hooks saw, in order: "+list +ticket:7 -ticket". */
static char trail[512];

static void note(const char *fmt, const char *name, long long id)
{
    size_t len = strlen(trail);

    snprintf(trail + len, sizeof(trail) - len, fmt, len ? " " : "", name, id);
}

#define SCREEN(id)                                                             \
    static void id##_open(struct app *a, long long n)                          \
    {                                                                          \
        note(n ? "%s+%s:%lld" : "%s+%s", #id, n);                              \
    }                                                                          \
    static void id##_close(struct app *a)                                      \
    {                                                                          \
        note("%s-%s", #id, 0);                                                 \
    }                                                                          \
    static const struct screen_ops id = {                                      \
        .name = #id, .open = id##_open, .close = id##_close};

SCREEN(list)
SCREEN(ticket)
SCREEN(help)
SCREEN(notes)

/* A screen without hooks (the help screen has no close). */
static const struct screen_ops bare = {.name = "bare"};

static int reset(void **state)
{
    trail[0] = '\0';
    return 0;
}

static void test_screen__push_and_pop_pair_open_and_close(void **state)
{
    struct screen_stack st = {0};

    assert_null(screen_top(&st));
    screen_push(&st, NULL, &list, 0);
    screen_push(&st, NULL, &ticket, 7);
    screen_push(&st, NULL, &help, 0);
    assert_ptr_equal(screen_top(&st), &help);
    screen_pop(&st, NULL);
    assert_ptr_equal(screen_top(&st), &ticket);
    screen_pop(&st, NULL);
    assert_ptr_equal(screen_top(&st), &list);
    assert_string_equal(trail, "+list +ticket:7 +help -help -ticket");
}

static void test_screen__the_bottom_stays(void **state)
{
    struct screen_stack st = {0};

    screen_pop(&st, NULL); /* an empty stack: nothing to do */
    screen_push(&st, NULL, &list, 0);
    screen_pop(&st, NULL);
    screen_pop(&st, NULL);
    assert_ptr_equal(screen_top(&st), &list);
    screen_close_all(&st, NULL);
    assert_null(screen_top(&st));
    assert_string_equal(trail, "+list -list");
}

static void test_screen__pushed_again_moves_to_the_top(void **state)
{
    struct screen_stack st = {0};

    screen_push(&st, NULL, &list, 0);
    screen_push(&st, NULL, &ticket, 3);
    /* N on a ticket, then Enter on a notification of another ticket:
     * back from it goes to the notifications, then to the list. */
    screen_push(&st, NULL, &notes, 0);
    screen_push(&st, NULL, &ticket, 4);
    assert_int_equal(st.n, 3);
    assert_ptr_equal(st.ops[1], &notes);
    assert_ptr_equal(screen_top(&st), &ticket);
    /* Pushed again on top of itself: closed, then opened. */
    screen_push(&st, NULL, &ticket, 5);
    assert_int_equal(st.n, 3);
    screen_pop(&st, NULL);
    assert_ptr_equal(screen_top(&st), &notes);
    assert_string_equal(trail, "+list +ticket:3 +notes -ticket +ticket:4 "
                               "-ticket +ticket:5 -ticket");
}

static void test_screen__home_closes_from_the_top_down(void **state)
{
    struct screen_stack st = {0};

    screen_push(&st, NULL, &list, 0);
    screen_push(&st, NULL, &notes, 0);
    screen_push(&st, NULL, &ticket, 9);
    screen_push(&st, NULL, &bare, 0);
    screen_push(&st, NULL, &help, 0);
    screen_home(&st, NULL);
    assert_int_equal(st.n, 1);
    assert_ptr_equal(screen_top(&st), &list);
    assert_string_equal(trail, "+list +notes +ticket:9 +help -help -ticket "
                               "-notes");
}

static const struct screen_stack *seen_by_close;
static const struct screen_ops *top_in_close;

static void watch_close(struct app *a)
{
    top_in_close = screen_top(seen_by_close);
}

static void test_screen__close_sees_the_screen_below(void **state)
{
    static const struct screen_ops watched = {.name = "watched",
                                              .close = watch_close};
    struct screen_stack st = {0};

    seen_by_close = &st;
    screen_push(&st, NULL, &list, 0);
    screen_push(&st, NULL, &watched, 0);
    screen_pop(&st, NULL);
    assert_ptr_equal(top_in_close, &list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_screen__push_and_pop_pair_open_and_close,
                               reset),
        cmocka_unit_test_setup(test_screen__the_bottom_stays, reset),
        cmocka_unit_test_setup(test_screen__pushed_again_moves_to_the_top,
                               reset),
        cmocka_unit_test_setup(test_screen__home_closes_from_the_top_down,
                               reset),
        cmocka_unit_test_setup(test_screen__close_sees_the_screen_below, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
