/*
 * test_dk_log.c - the two line formats of dk_log (plain and journald's
 * "<N>"), level filtering, and recognising the journal's stream.
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

#include "dk_log.h"

static char *capture(bool journal, int level, void (*fn)(void))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    assert_non_null(fp);
    dk_log_init("docketd", level);
    dk_log_set_journal(journal);
    dk_log_set_stream(fp);
    fn();
    dk_log_set_stream(NULL);
    dk_log_set_journal(false);
    fclose(fp);
    return buf;
}

static void three_lines(void)
{
    dk_log(DK_LOG_ERROR, "disk %s", "full");
    dk_log(DK_LOG_WARN, "slow");
    dk_log(DK_LOG_INFO, "conn=%d: hello", 7);
    dk_log(DK_LOG_DEBUG, "noise");
}

static void test_dk_log__plain_lines_name_program_and_level(void **state)
{
    char *out = capture(false, DK_LOG_INFO, three_lines);

    (void)state;
    assert_string_equal(out, "docketd error disk full\n"
                             "docketd warn slow\n"
                             "docketd info conn=7: hello\n");
    free(out);
}

static void forged_lines(void)
{
    /* A username a client sent, with a line of its own inside. */
    dk_log(DK_LOG_WARN, "failed login for \"%s\"",
           "x\ndocketd info kari: logged in\r\x1b[2J\x07\x7f");
}

static void test_dk_log__control_characters_cannot_forge_lines(void **state)
{
    char *out = capture(false, DK_LOG_INFO, forged_lines);
    char small[8];

    (void)state;
    assert_string_equal(out, "docketd warn failed login for \"x\\ndocketd "
                             "info kari: logged in\\r\\x1b[2J\\x07\\x7f\"\n");
    free(out);
    /* Cut to fit, never past the buffer, never half an escape. */
    dk_log_escape(small, sizeof(small), "ab\ncdef");
    assert_string_equal(small, "ab\\n");
    dk_log_escape(small, sizeof(small), "Ø \tok");
    assert_true(strlen(small) < sizeof(small));
}

static void test_dk_log__journal_lines_carry_syslog_priorities(void **state)
{
    char *out = capture(true, DK_LOG_DEBUG, three_lines);

    (void)state;
    assert_string_equal(out, "<3>disk full\n"
                             "<4>slow\n"
                             "<6>conn=7: hello\n"
                             "<7>noise\n");
    free(out);
}

static void test_dk_log__level_filters_before_formatting(void **state)
{
    char *out = capture(false, DK_LOG_ERROR, three_lines);

    (void)state;
    assert_string_equal(out, "docketd error disk full\n");
    free(out);
}

static void test_dk_log__journal_stream_must_match_stderr(void **state)
{
    struct stat st;
    char env[64];

    (void)state;
    unsetenv("JOURNAL_STREAM");
    assert_false(dk_log_stderr_is_journal());
    setenv("JOURNAL_STREAM", "garbage", 1);
    assert_false(dk_log_stderr_is_journal());
    assert_int_equal(fstat(2, &st), 0);
    snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", env, 1);
    assert_true(dk_log_stderr_is_journal());
    /* Another stream's numbers: stderr was redirected after systemd. */
    snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino + 1);
    setenv("JOURNAL_STREAM", env, 1);
    assert_false(dk_log_stderr_is_journal());
    unsetenv("JOURNAL_STREAM");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dk_log__plain_lines_name_program_and_level),
        cmocka_unit_test(test_dk_log__journal_lines_carry_syslog_priorities),
        cmocka_unit_test(test_dk_log__control_characters_cannot_forge_lines),
        cmocka_unit_test(test_dk_log__level_filters_before_formatting),
        cmocka_unit_test(test_dk_log__journal_stream_must_match_stderr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
