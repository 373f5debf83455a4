/*
 * test_ctl_mailreply.c - cutting the quoted message off an emailed answer
 * (ctl/mailreply.c), as mail programs the agency's staff use write them:
 * Thunderbird and Gmail ("On ... wrote:" and "> " lines, in English,
 * Norwegian and Dutch), Outlook (a header block, with or without its
 * "-----Original Message-----" line), and answers written between the
 * quoted lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "mailreply.h"

static void check(const char *in, const char *want)
{
    char *got = mail_reply_new_text(in);
    assert_string_equal(got, want);
    free(got);
}

static void test_attribution_and_quote(void **state)
{
    (void)state;
    check("Sure, done by Friday.\n\nOn Wed, 2 Dec 2026 at 09:00, Docket "
          "<support@agency.example> wrote:\n\n> @bob can you make this "
          "200px wide?\n> Thanks\n",
          "Sure, done by Friday.");
    check("Ja, i morgen.\n\nons. 2. des. 2026 kl. 09:00 skrev Docket "
          "<support@agency.example>:\n> @bob kan du?\n",
          "Ja, i morgen.");
    check("Prima.\n\nOp wo 2 dec. 2026 om 09:00 schreef Docket "
          "<support@agency.example>:\n> @bob kun jij?\n",
          "Prima.");
}

static void test_outlook(void **state)
{
    (void)state;
    check("Done.\r\n\r\n-----Original Message-----\r\nFrom: Docket\r\n"
          "Sent: Wednesday\r\n\r\n@bob please\r\n",
          "Done.");
    check("Done.\n\nFrom: Docket <support@agency.example>\nSent: "
          "Wednesday, December 2, 2026 9:00 AM\nTo: Bob\n\n@bob please\n",
          "Done.");
    check("Ferdig.\n\nFra: Docket <support@agency.example>\nSendt: onsdag\n"
          "@bob\n",
          "Ferdig.");
}

static void test_interleaved(void **state)
{
    (void)state;
    /* An answer between quoted lines keeps every line of its own. */
    check("> first question\nfirst answer\n> second question\nsecond "
          "answer\n",
          "first answer\nsecond answer");
}

static void test_nothing_new(void **state)
{
    (void)state;
    check("On Wed, Docket wrote:\n> @bob please\n", "");
    check("", "");
    check("\n\n", "");
}

static void test_not_a_quote(void **state)
{
    (void)state;
    /* "From:" not followed by a date line is the staff member's text, and
     * so is a line that only mentions writing. */
    check("From: the school's new logo, the blue one.\nI wrote: 200px.\n",
          "From: the school's new logo, the blue one.\nI wrote: 200px.");
    check("no newline at the end", "no newline at the end");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attribution_and_quote),
        cmocka_unit_test(test_outlook),
        cmocka_unit_test(test_interleaved),
        cmocka_unit_test(test_nothing_new),
        cmocka_unit_test(test_not_a_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
