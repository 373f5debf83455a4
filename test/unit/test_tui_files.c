/*
 * test_tui_files.c - the composer's paths: ~/ expanded, Tab completion
 * to the longest common prefix (folders with a '/', dot files only when
 * asked for), the choices listed sorted, and content types by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

static char dir[256];

static void touch(const char *name)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
}

static int setup(void **state)
{
    char path[512];

    snprintf(dir, sizeof(dir), "/tmp/test_tui_files.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    touch("report-2024.pdf");
    touch("report-2025.pdf");
    touch("poster.png");
    touch(".hidden");
    snprintf(path, sizeof(path), "%s/old", dir);
    mkdir(path, 0700);
    setenv("HOME", dir, 1);
    return 0;
}

static int teardown(void **state)
{
    char cmd[300];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_files_expand__home_for_a_leading_tilde_only(void **state)
{
    char out[512], want[512];

    assert_true(files_expand(out, sizeof(out), "~/a.txt"));
    snprintf(want, sizeof(want), "%s/a.txt", dir);
    assert_string_equal(out, want);
    assert_true(files_expand(out, sizeof(out), "a/~/b"));
    assert_string_equal(out, "a/~/b");
    assert_false(files_expand(out, 4, "~/a.txt"));
}

static void test_files_complete__to_the_longest_common_prefix(void **state)
{
    struct dk_buf names;
    char out[512];

    dk_buf_init(&names, 0);
    assert_int_equal(files_complete(out, sizeof(out), "~/re", &names), 2);
    assert_string_equal(out, "~/report-202");
    assert_string_equal(names.data, "report-2024.pdf\nreport-2025.pdf\n");
    dk_buf_free(&names);
}

static void
test_files_complete__one_match_in_full_and_a_folder_slash(void **state)
{
    char out[512];

    assert_int_equal(files_complete(out, sizeof(out), "~/po", NULL), 1);
    assert_string_equal(out, "~/poster.png");
    assert_int_equal(files_complete(out, sizeof(out), "~/ol", NULL), 1);
    assert_string_equal(out, "~/old/");
}

static void test_files_complete__no_match_leaves_the_text(void **state)
{
    char out[512];

    assert_int_equal(files_complete(out, sizeof(out), "~/zz", NULL), 0);
    assert_string_equal(out, "~/zz");
    assert_int_equal(files_complete(out, sizeof(out), "/no/such/dir/x", NULL),
                     0);
    assert_string_equal(out, "/no/such/dir/x");
}

static void test_files_complete__dot_files_only_when_asked(void **state)
{
    struct dk_buf names;
    char out[512];

    dk_buf_init(&names, 0);
    assert_int_equal(files_complete(out, sizeof(out), "~/", &names), 4);
    assert_null(strstr(names.data, ".hidden"));
    assert_non_null(strstr(names.data, "old/\n"));
    dk_buf_free(&names);
    assert_int_equal(files_complete(out, sizeof(out), "~/.h", NULL), 1);
    assert_string_equal(out, "~/.hidden");
}

static void test_files_content_type__by_extension(void **state)
{
    assert_string_equal(files_content_type("a/menu.TXT"), "text/plain");
    assert_string_equal(files_content_type("poster.png"), "image/png");
    assert_string_equal(files_content_type("x.pdf"), "application/pdf");
    assert_string_equal(files_content_type("noext"),
                        "application/octet-stream");
    assert_string_equal(files_content_type("dir.d/file"),
                        "application/octet-stream");
    assert_string_equal(files_content_type("trailing."),
                        "application/octet-stream");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_expand__home_for_a_leading_tilde_only),
        cmocka_unit_test(test_files_complete__to_the_longest_common_prefix),
        cmocka_unit_test(
            test_files_complete__one_match_in_full_and_a_folder_slash),
        cmocka_unit_test(test_files_complete__no_match_leaves_the_text),
        cmocka_unit_test(test_files_complete__dot_files_only_when_asked),
        cmocka_unit_test(test_files_content_type__by_extension),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
