/*
 * test_tui_store.c - the client's data without a network: pages of a
 * view, a pushed summary moving a ticket between views and into the
 * ticket that is open, replies for a ticket no longer followed, unread
 * notifications, names for usernames, and presence markers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static int setup(void **state)
{
    return setlocale(LC_ALL, "C.UTF-8") ? 0 : -1;
}

static json_t *summary(long long id, const char *stage, const char *owner,
                       long long version)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:s, s:I, s:{s:s}}", "id",
                     (json_int_t)id, "subject", "Sports day photos", "priority",
                     "medium", "pipeline", "support", "stage", stage, "owner",
                     owner, "created_at", "2026-11-01T10:00:00Z", "version",
                     (json_int_t)version, "contact", "name", "Zoë Fischer");
}

/* A tickets.view reply of the given ids, with a next page or not. */
static json_t *page(long long first, int n, const char *next)
{
    json_t *rows = json_array();

    for (int i = 0; i < n; i++)
        json_array_append_new(rows, summary(first + i, "new", NULL, 1));
    return json_pack("{s:o, s:s?}", "tickets", rows, "next", next);
}

static void test_store_view_loaded__pages_extend(void **state)
{
    struct store st = {0};
    json_t *r;

    st.views[DK_VIEW_UNASSIGNED].loading = true;
    store_view_loaded(&st, DK_VIEW_UNASSIGNED, false, r = page(1, 2, "c2"));
    json_decref(r);
    assert_false(st.views[DK_VIEW_UNASSIGNED].loading);
    assert_false(st.views[DK_VIEW_UNASSIGNED].complete);
    assert_string_equal(st.views[DK_VIEW_UNASSIGNED].next, "c2");
    store_view_loaded(&st, DK_VIEW_UNASSIGNED, true, r = page(3, 2, NULL));
    json_decref(r);
    assert_int_equal(json_array_size(st.views[DK_VIEW_UNASSIGNED].rows), 4);
    assert_true(st.views[DK_VIEW_UNASSIGNED].complete);
    assert_null(st.views[DK_VIEW_UNASSIGNED].next);
    /* A failed load keeps what was there. */
    store_view_loaded(&st, DK_VIEW_UNASSIGNED, false, NULL);
    assert_int_equal(json_array_size(st.views[DK_VIEW_UNASSIGNED].rows), 4);
    /* A reload starts over. */
    store_view_loaded(&st, DK_VIEW_UNASSIGNED, false, r = page(9, 1, NULL));
    json_decref(r);
    assert_int_equal(json_array_size(st.views[DK_VIEW_UNASSIGNED].rows), 1);
    store_cleanup(&st);
}

static void test_store_push_summary__moves_and_updates_the_ticket(void **state)
{
    struct store st = {0};
    json_t *r, *claimed = summary(1, "in_progress", "kari", 2);

    for (int v = 0; v < DK_NVIEWS; v++) {
        store_view_loaded(&st, (enum dk_view)v, false,
                          r = page(1, v == DK_VIEW_UNASSIGNED ? 2 : 0, NULL));
        json_decref(r);
    }
    /* A search result is the server's answer: pushes leave it alone. */
    st.views[DK_VIEW_OPEN].query = strdup("photos");
    store_follow_ticket(&st, 1);
    store_ticket_loaded(&st, r = summary(1, "new", NULL, 1));
    json_decref(r);
    json_object_set_new(st.ticket, "notes", json_array());
    json_object_set_new(st.ticket, "contact",
                        json_pack("{s:s, s:s}", "name", "Zoë Fischer", "email",
                                  "zoe@lakeview.example.org"));

    store_push_summary(&st, claimed, "kari");
    assert_int_equal(json_array_size(st.views[DK_VIEW_UNASSIGNED].rows), 1);
    assert_int_equal(json_array_size(st.views[DK_VIEW_MY_OPEN].rows), 1);
    assert_int_equal(json_array_size(st.views[DK_VIEW_OPEN].rows), 0);
    assert_string_equal(json_string_value(json_object_get(st.ticket, "owner")),
                        "kari");
    assert_int_equal(json_integer_value(json_object_get(st.ticket, "version")),
                     2);
    /* Not the contact card (the summary's is shorter), and not what only
     * the ticket has. */
    assert_non_null(
        json_object_get(json_object_get(st.ticket, "contact"), "email"));
    assert_non_null(json_object_get(st.ticket, "notes"));
    assert_true(st.ticket_wanted);
    assert_true(st.counts_wanted);

    /* Another ticket's push: the open one is not reloaded for it. */
    st.ticket_wanted = false;
    store_push_summary(&st, r = summary(2, "closed", NULL, 3), "kari");
    json_decref(r);
    assert_false(st.ticket_wanted);
    assert_int_equal(json_array_size(st.views[DK_VIEW_UNASSIGNED].rows), 0);
    assert_int_equal(json_array_size(st.views[DK_VIEW_CLOSED].rows), 1);
    json_decref(claimed);
    store_cleanup(&st);
}

static void test_store_ticket__follows_one(void **state)
{
    struct store st = {0};
    json_t *r;

    store_follow_ticket(&st, 5);
    store_ticket_loaded(&st, r = summary(4, "new", NULL, 1));
    json_decref(r);
    assert_null(st.ticket); /* a reply for a ticket left meanwhile */
    store_ticket_loaded(&st, r = summary(5, "new", NULL, 1));
    json_decref(r);
    assert_non_null(st.ticket);
    store_follow_ticket(&st, 5); /* back to it: still there */
    assert_non_null(st.ticket);
    store_follow_ticket(&st, 6);
    assert_null(st.ticket);
    assert_int_equal(st.ticket_id, 6);
    store_cleanup(&st);
}

static void test_store__notifications_staff_and_filter(void **state)
{
    struct store st = {0};
    json_t *rows[8], *r;

    store_notifications_loaded(
        &st, r = json_pack("[{s:n}, {s:s}, {s:n}]", "read_at", "read_at",
                           "2026-11-01T10:00:00Z", "read_at"));
    json_decref(r);
    assert_int_equal(st.unread, 2);
    store_staff_loaded(&st, r = json_pack("[{s:s, s:s}, {s:s}]", "username",
                                          "gus", "name", "Gus Graphics",
                                          "username", "nameless"));
    json_decref(r);
    assert_string_equal(store_staff_name(&st, "gus"), "Gus Graphics");
    assert_string_equal(store_staff_name(&st, "nameless"), "nameless");
    assert_string_equal(store_staff_name(&st, "someone"), "someone");

    store_view_loaded(&st, DK_VIEW_OPEN, false, r = page(10, 3, NULL));
    json_decref(r);
    assert_int_equal(store_visible(&st, DK_VIEW_OPEN, "", rows, 8), 3);
    assert_int_equal(store_visible(&st, DK_VIEW_OPEN, "11", rows, 8), 1);
    assert_int_equal(store_visible(&st, DK_VIEW_OPEN, "zoë", rows, 2), 2);
    assert_int_equal(store_visible(&st, DK_VIEW_OPEN, "nobody", rows, 8), 0);
    store_cleanup(&st);
}

static bool push(struct store *st, long long ticket, const char *user,
                 const char *state)
{
    json_t *p = json_pack("{s:s, s:I, s:s, s:s?, s:i}", "type", "presence",
                          "ticket", (json_int_t)ticket, "user", user, "state",
                          state, "expires_in", 30);
    bool ok = store_presence_push(st, p);

    json_decref(p);
    return ok;
}

static void test_store_presence__markers_lines_and_short_forms(void **state)
{
    static struct store st;
    const struct store_marker *m[4];
    char out[128];

    store_presence_line(&st, 7, "me", out, sizeof(out));
    assert_string_equal(out, "");
    assert_true(push(&st, 7, "lars", "viewing"));
    assert_true(push(&st, 7, "anna", "replying"));
    assert_true(push(&st, 7, "me", "viewing"));
    assert_true(push(&st, 8, "lars", "viewing"));
    /* Replying first; never me. */
    assert_int_equal(store_presence_on(&st, 7, "me", m, 4), 2);
    assert_string_equal(m[0]->user, "anna");
    store_presence_line(&st, 7, "me", out, sizeof(out));
    assert_string_equal(out, "anna (replying), lars (viewing)");
    store_presence_short(&st, 7, "me", 20, out, sizeof(out));
    assert_string_equal(out, "anna replying +1");
    store_presence_short(&st, 7, "me", 11, out, sizeof(out));
    assert_string_equal(out, "anna\u00b7r +1");
    store_presence_short(&st, 8, "me", 6, out, sizeof(out));
    assert_string_equal(out, "lars\u00b7v");
    store_presence_short(&st, 8, "me", 4, out, sizeof(out));
    assert_string_equal(out, "la\u00b7v");
    store_presence_short(&st, 9, "me", 20, out, sizeof(out));
    assert_string_equal(out, "");
    /* A change, then a clear; a clear of nobody is fine. */
    assert_true(push(&st, 7, "anna", "viewing"));
    store_presence_line(&st, 7, "me", out, sizeof(out));
    assert_string_equal(out, "lars (viewing), anna (viewing)");
    assert_true(push(&st, 7, "anna", NULL));
    assert_true(push(&st, 7, "nobody", NULL));
    assert_int_equal(store_presence_on(&st, 7, "me", m, 4), 1);
    /* What a terminal must not be sent, and what is not presence. */
    assert_false(push(&st, 7, "x\033[2J", "viewing"));
    assert_false(push(&st, 7, "Zo\u00eb", "viewing"));
    assert_false(push(&st, 7, "lars", "sleeping"));
    assert_false(push(&st, 0, "lars", "viewing"));
    assert_int_equal(store_presence_on(&st, 7, "me", m, 4), 1);
    /* Bounded. */
    for (int i = 0; i < STORE_MAX_MARKERS + 10; i++)
        push(&st, 1000 + i, "lars", "viewing");
    assert_int_equal(st.nmarkers, STORE_MAX_MARKERS);
    store_presence_clear(&st);
    assert_int_equal(st.nmarkers, 0);
    store_cleanup(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_view_loaded__pages_extend),
        cmocka_unit_test(test_store_push_summary__moves_and_updates_the_ticket),
        cmocka_unit_test(test_store_ticket__follows_one),
        cmocka_unit_test(test_store__notifications_staff_and_filter),
        cmocka_unit_test(test_store_presence__markers_lines_and_short_forms),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
