/*
 * test_dk_names.c - roles and views defined once: parsing, listing, and
 * schema/tables/staff.sql agreeing with dk_roles.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_roles.h"
#include "dk_views.h"

static void test_dk_roles__parse_and_list(void **state)
{
    char buf[64];

    assert_int_equal(dk_role_parse("content"), DK_ROLE_CONTENT);
    assert_int_equal(dk_role_parse("admin"), DK_ROLE_ADMIN);
    assert_int_equal(dk_role_parse("Admin"), 0);
    assert_int_equal(dk_role_parse(""), 0);
    assert_string_equal(
        dk_role_list(DK_ROLE_CONTENT | DK_ROLE_ADMIN, " or ", buf, sizeof(buf)),
        "content or admin");
    assert_string_equal(dk_role_list(0, ",", buf, sizeof(buf)), "");
    /* A short buffer is cut, never overrun. */
    assert_string_equal(dk_role_list(~0u, ",", buf, 5), "cont");
    assert_null(dk_role_names[DK_NROLES]);
}

static void test_dk_views__parse_and_list(void **state)
{
    assert_int_equal(dk_view_parse("my_open"), DK_VIEW_MY_OPEN);
    assert_int_equal(dk_view_parse("closed"), DK_VIEW_CLOSED);
    assert_int_equal(dk_view_parse("mine"), -1);
    assert_string_equal(dk_view_titles[DK_VIEW_WAITING_ON_GRAPHICS],
                        "Waiting on Graphics");
    assert_string_equal(dk_view_list, "my_open, unassigned, "
                                      "waiting_on_graphics, my_graphics, "
                                      "open, closed");
    assert_null(dk_view_names[DK_NVIEWS]);
}

/* The schema's CHECK on staff.roles names exactly these roles. */
static void test_dk_roles__schema_agrees(void **state)
{
    const char *dir = getenv("DOCKET_SOURCE_DIR");
    char path[1024], line[4096], want[256] = "roles <@ ARRAY[";
    bool found = false;
    FILE *fp;

    if (!dir)
        fail_msg("DOCKET_SOURCE_DIR is not set");
    for (int i = 0; i < DK_NROLES; i++)
        snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s'%s'",
                 i ? ", " : "", dk_role_names[i]);
    strcat(want, "]");
    snprintf(path, sizeof(path), "%s/schema/tables/staff.sql", dir);
    fp = fopen(path, "r");
    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp))
        if (strstr(line, want))
            found = true;
    fclose(fp);
    if (!found)
        fail_msg("schema/tables/staff.sql has no \"%s\"", want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dk_roles__parse_and_list),
        cmocka_unit_test(test_dk_views__parse_and_list),
        cmocka_unit_test(test_dk_roles__schema_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
