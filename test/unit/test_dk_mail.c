/*
 * test_dk_mail.c - outgoing message text: headers, encoded words,
 * threading, base64 body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "dk_mail.h"

static void test_dk_mail_encode_header__ascii_stays_plain(void **state)
{
    char *s = dk_mail_encode_header("[#1001] Your request is complete");

    assert_string_equal(s, "[#1001] Your request is complete");
    free(s);
}

static void test_dk_mail_encode_header__utf8_becomes_encoded_words(void **s)
{
    char *e = dk_mail_encode_header("Nytt banner på forsiden");
    char *long_one = dk_mail_encode_header(
        "Ærlig talt: ønsker dere å bytte ut bildet på forsiden før jul, "
        "eller etter nyttår? Ĳsselcollege 🎉");

    assert_string_equal(e, "=?UTF-8?B?Tnl0dCBiYW5uZXIgcMOlIGZvcnNpZGVu?=");
    /* Folded into several words, none longer than 75 characters. */
    for (char *line = long_one; line;) {
        char *end = strstr(line, "\r\n");
        size_t n = end ? (size_t)(end - line) : strlen(line);
        assert_true(n <= 76);
        line = end ? end + 2 : NULL;
    }
    assert_non_null(strstr(long_one, "?=\r\n =?UTF-8?B?"));
    free(e);
    free(long_one);
}

static void test_dk_mail_address__from_values(void **state)
{
    char buf[64];

    assert_string_equal(
        dk_mail_address("Support <s@agency.example>", buf, sizeof(buf)),
        "s@agency.example");
    assert_string_equal(dk_mail_address("s@agency.example", buf, sizeof(buf)),
                        "s@agency.example");
    assert_null(dk_mail_address("<>", buf, sizeof(buf)));
}

static void test_dk_mail_compose__headers_threading_body(void **state)
{
    struct dk_mail m = {"Støtte <support@agency.example>",
                        "ola@school.example.no",
                        "Re: [#1001] Nytt banner på forsiden",
                        "Hei Ola,\nbanneret er oppe nå.\n",
                        "<ticket-1001.7@docket>",
                        "<CAF=abc@mail.gmail.com>",
                        1795435200};
    size_t len;
    char *s = dk_mail_compose(&m, &len), *body;
    unsigned char raw[256];
    size_t rawlen;

    assert_int_equal(strlen(s), len);
    assert_non_null(strstr(s, "From: =?UTF-8?B?U3TDuHR0ZQ==?= "
                              "<support@agency.example>\r\n"));
    assert_non_null(strstr(s, "To: ola@school.example.no\r\n"));
    assert_non_null(strstr(s, "Subject: =?UTF-8?B?"));
    assert_non_null(strstr(s, "Date: Mon, 23 Nov 2026 12:00:00 +0000\r\n"));
    assert_non_null(strstr(s, "Message-ID: <ticket-1001.7@docket>\r\n"));
    assert_non_null(strstr(s, "In-Reply-To: <CAF=abc@mail.gmail.com>\r\n"));
    assert_non_null(strstr(s, "References: <CAF=abc@mail.gmail.com>\r\n"));
    assert_non_null(strstr(s, "Content-Type: text/plain; charset=UTF-8\r\n"));
    body = strstr(s, "\r\n\r\n") + 4;
    assert_int_equal(sodium_base642bin(raw, sizeof(raw), body, strlen(body),
                                       "\r\n", &rawlen, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(rawlen, strlen(m.body));
    assert_memory_equal(raw, m.body, rawlen);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dk_mail_encode_header__ascii_stays_plain),
        cmocka_unit_test(
            test_dk_mail_encode_header__utf8_becomes_encoded_words),
        cmocka_unit_test(test_dk_mail_address__from_values),
        cmocka_unit_test(test_dk_mail_compose__headers_threading_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
