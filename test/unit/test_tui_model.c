/*
 * test_tui_model.c - the client's list model: view membership (SPEC
 * section 4), order, the "/" filter, and a pushed change moving a ticket
 * between loaded views.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>

#include "model.h"

static int setup(void **state)
{
    return setlocale(LC_ALL, "C.UTF-8") ? 0 : -1;
}

static json_t *ticket(long long id, const char *priority, const char *created,
                      const char *pipeline, const char *stage,
                      const char *owner, const char *gowner)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, "
                     "s:{s:s, s:s}, s:{s:s}}",
                     "id", (json_int_t)id, "subject", "Lunch menu", "priority",
                     priority, "pipeline", pipeline, "stage", stage, "owner",
                     owner, "graphics_owner", gowner, "created_at", created,
                     "contact", "name", "Øystein Brå", "email",
                     "oystein@nordlys.example.no", "company", "name",
                     "Nordlys skole");
}

static void test_model_in_view__the_views_of_spec_4(void **state)
{
    json_t *fresh =
        ticket(1, "high", "2026-11-01T10:00:00Z", "support", "new", NULL, NULL);
    json_t *mine = ticket(2, "low", "2026-11-01T10:00:00Z", "support",
                          "in_progress", "kari", NULL);
    json_t *gfx = ticket(3, "medium", "2026-11-01T10:00:00Z", "graphics",
                         "waiting_on_graphics", "kari", NULL);
    json_t *drawing = ticket(4, "medium", "2026-11-01T10:00:00Z", "graphics",
                             "graphics_in_progress", "kari", "lars");
    json_t *done = ticket(5, "medium", "2026-11-01T10:00:00Z", "support",
                          "closed", "kari", NULL);

    assert_true(model_in_view(DK_VIEW_UNASSIGNED, fresh, "kari"));
    assert_false(model_in_view(DK_VIEW_MY_OPEN, fresh, "kari"));
    assert_true(model_in_view(DK_VIEW_MY_OPEN, mine, "kari"));
    assert_false(model_in_view(DK_VIEW_MY_OPEN, mine, "daan"));
    /* Handed to graphics: still in the owner's My Open Tickets. */
    assert_true(model_in_view(DK_VIEW_MY_OPEN, gfx, "kari"));
    assert_true(model_in_view(DK_VIEW_WAITING_ON_GRAPHICS, gfx, "lars"));
    assert_false(model_in_view(DK_VIEW_UNASSIGNED, gfx, "kari"));
    assert_true(model_in_view(DK_VIEW_MY_GRAPHICS, drawing, "lars"));
    assert_false(model_in_view(DK_VIEW_MY_GRAPHICS, drawing, "kari"));
    assert_true(model_in_view(DK_VIEW_CLOSED, done, "kari"));
    assert_false(model_in_view(DK_VIEW_OPEN, done, "kari"));
    assert_false(model_in_view(DK_VIEW_MY_OPEN, done, "kari"));
    json_decref(fresh);
    json_decref(mine);
    json_decref(gfx);
    json_decref(drawing);
    json_decref(done);
}

static void test_model_cmp__priority_then_oldest_then_id(void **state)
{
    json_t *h =
        ticket(9, "high", "2026-11-05T10:00:00Z", "support", "new", NULL, NULL);
    json_t *m_old = ticket(8, "medium", "2026-11-01T10:00:00Z", "support",
                           "new", NULL, NULL);
    json_t *m_new = ticket(7, "medium", "2026-11-02T10:00:00Z", "support",
                           "new", NULL, NULL);
    json_t *m_same = ticket(6, "medium", "2026-11-01T10:00:00Z", "support",
                            "new", NULL, NULL);

    assert_true(model_cmp(h, m_old) < 0);
    assert_true(model_cmp(m_old, m_new) < 0);
    assert_true(model_cmp(m_same, m_old) < 0);
    assert_int_equal(model_cmp(h, h), 0);
    json_decref(h);
    json_decref(m_old);
    json_decref(m_new);
    json_decref(m_same);
}

static void test_model_matches__filter_as_you_type(void **state)
{
    json_t *t = ticket(1042, "low", "2026-11-01T10:00:00Z", "support", "new",
                       NULL, NULL);

    assert_true(model_matches(t, ""));
    assert_true(model_matches(t, NULL));
    assert_true(model_matches(t, "lunch"));
    assert_true(model_matches(t, "1042"));
    assert_true(model_matches(t, "øystein"));
    assert_true(model_matches(t, "NORDLYS"));
    assert_false(model_matches(t, "banner"));
    json_decref(t);
}

static long long id_at(json_t *rows, size_t i)
{
    return json_integer_value(json_object_get(json_array_get(rows, i), "id"));
}

static void test_model_apply__a_claim_moves_the_ticket(void **state)
{
    json_t *unassigned = json_array(), *mine = json_array();
    json_t *a =
        ticket(1, "high", "2026-11-01T10:00:00Z", "support", "new", NULL, NULL);
    json_t *b =
        ticket(2, "low", "2026-11-01T10:00:00Z", "support", "new", NULL, NULL);
    json_t *claimed;

    json_array_append(unassigned, a);
    json_array_append(unassigned, b);
    claimed = ticket(2, "low", "2026-11-01T10:00:00Z", "support", "in_progress",
                     "kari", NULL);
    model_apply(unassigned, true, DK_VIEW_UNASSIGNED, claimed, "kari");
    model_apply(mine, true, DK_VIEW_MY_OPEN, claimed, "kari");
    assert_int_equal(json_array_size(unassigned), 1);
    assert_int_equal(id_at(unassigned, 0), 1);
    assert_int_equal(json_array_size(mine), 1);
    assert_int_equal(id_at(mine, 0), 2);
    /* A newly created high-priority ticket goes first. */
    json_decref(claimed);
    claimed =
        ticket(3, "high", "2026-10-01T10:00:00Z", "support", "new", NULL, NULL);
    model_apply(unassigned, true, DK_VIEW_UNASSIGNED, claimed, "kari");
    assert_int_equal(id_at(unassigned, 0), 3);
    /* Past the loaded end of a long view: left for paging. */
    json_decref(claimed);
    claimed =
        ticket(4, "low", "2026-12-01T10:00:00Z", "support", "new", NULL, NULL);
    model_apply(unassigned, false, DK_VIEW_UNASSIGNED, claimed, "kari");
    assert_int_equal(json_array_size(unassigned), 2);
    json_decref(claimed);
    json_decref(a);
    json_decref(b);
    json_decref(unassigned);
    json_decref(mine);
}

/* Names and the closed stage from the server's pipelines.list, once
 * loaded: a stage renamed, and a pipeline whose closed stage is not
 * called "closed". */
static void test_model_pipelines__from_the_server(void **state)
{
    json_error_t e;
    json_t *list = json_loads(
        "[{\"id\": \"support\", \"name\": \"Support\", \"stages\": ["
        "{\"id\": \"new\", \"name\": \"Ny\", \"closed\": false},"
        "{\"id\": \"closed\", \"name\": \"Lukket\", \"closed\": true}]},"
        "{\"id\": \"web\", \"name\": \"Web\", \"stages\": ["
        "{\"id\": \"done\", \"name\": \"Done\", \"closed\": true}]}]",
        0, &e);
    json_t *done = json_pack("{s:s, s:s}", "pipeline", "web", "stage", "done");
    json_t *open =
        json_pack("{s:s, s:s}", "pipeline", "support", "stage", "new");

    (void)state;
    assert_non_null(list);
    assert_false(model_closed(done)); /* the seeded rule: only "closed" */
    model_set_pipelines(list);
    json_decref(list);
    assert_string_equal(model_stage_name("new"), "Ny");
    assert_string_equal(model_stage_name("done"), "Done");
    assert_true(model_closed(done));
    assert_false(model_closed(open));
    assert_true(model_in_view(DK_VIEW_CLOSED, done, "kari"));
    model_set_pipelines(NULL);
    assert_string_equal(model_stage_name("new"), "New");
    json_decref(done);
    json_decref(open);
}

static void test_model_stage_name__known_and_unknown(void **state)
{
    assert_string_equal(model_stage_name("in_progress"), "In Progress");
    assert_string_equal(model_stage_name("graphics_complete"),
                        "Graphics Complete");
    assert_string_equal(model_stage_name("brand_new"), "brand_new");
    assert_string_equal(model_stage_name(NULL), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_in_view__the_views_of_spec_4),
        cmocka_unit_test(test_model_cmp__priority_then_oldest_then_id),
        cmocka_unit_test(test_model_matches__filter_as_you_type),
        cmocka_unit_test(test_model_apply__a_claim_moves_the_ticket),
        cmocka_unit_test(test_model_stage_name__known_and_unknown),
        cmocka_unit_test(test_model_pipelines__from_the_server),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
