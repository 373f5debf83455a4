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
    struct dk_mail m = {.from = "Støtte <support@agency.example>",
                        .to = "ola@school.example.no",
                        .subject = "Re: [#1001] Nytt banner på forsiden",
                        .body = "Hei Ola,\nbanneret er oppe nå.\n",
                        .message_id = "<ticket-1001.7@agency.example>",
                        .in_reply_to = "<CAF=abc@mail.gmail.com>",
                        .date = 1795435200};
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
    assert_non_null(
        strstr(s, "Message-ID: <ticket-1001.7@agency.example>\r\n"));
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

/* The header named name ("References: ") as one line: folds undone. */
static char *unfolded(const char *msg, const char *name)
{
    const char *p = strstr(msg, name), *end;
    char *out, *w;

    if (!p)
        return NULL;
    for (end = p; !(end[0] == '\r' && end[1] == '\n' && end[2] != ' ');)
        end++;
    out = w = calloc(1, (size_t)(end - p) + 1);
    assert_non_null(out);
    for (; p < end; p++)
        if (*p != '\r' && *p != '\n')
            *w++ = *p;
    return out;
}

static void test_dk_mail_compose__no_name_no_references(void **state)
{
    struct dk_mail m = {.from = "s@agency.example",
                        .to = "ola@school.example.no",
                        .subject = "Hello",
                        .body = "",
                        .message_id = "<outbox-1.x@agency.example>",
                        .date = 0};
    char *s = dk_mail_compose(&m, NULL);

    assert_non_null(strstr(s, "To: ola@school.example.no\r\n"));
    assert_null(strstr(s, "In-Reply-To:"));
    assert_null(strstr(s, "References:"));
    free(s);
    m.to_name = "";
    m.references = "";
    s = dk_mail_compose(&m, NULL);
    assert_non_null(strstr(s, "To: ola@school.example.no\r\n"));
    assert_null(strstr(s, "References:"));
    free(s);
}

static void test_dk_mail_compose__to_name_encoded_or_quoted(void **state)
{
    struct dk_mail m = {.from = "s@agency.example",
                        .to = "oystein@nordlys.example.no",
                        .to_name = "Øystein Brå",
                        .subject = "Hello",
                        .body = "x",
                        .message_id = "<a@agency.example>"};
    char *s = dk_mail_compose(&m, NULL);

    assert_non_null(strstr(s, "To: =?UTF-8?B?w5h5c3RlaW4gQnLDpQ==?= "
                              "<oystein@nordlys.example.no>\r\n"));
    free(s);
    m.to_name = "Ola Nordmann";
    s = dk_mail_compose(&m, NULL);
    assert_non_null(
        strstr(s, "To: Ola Nordmann <oystein@nordlys.example.no>\r\n"));
    free(s);
    /* Specials (a comma would make two addresses): a quoted string, its
     * quote and backslash escaped. */
    m.to_name = "Nordmann, Ola \"IT\" \\ admin";
    s = dk_mail_compose(&m, NULL);
    assert_non_null(strstr(s, "To: \"Nordmann, Ola \\\"IT\\\" \\\\ admin\" "
                              "<oystein@nordlys.example.no>\r\n"));
    free(s);
}

static void test_dk_mail_compose__references_chain_folded_at_78(void **state)
{
    const char *chain =
        "<CAF-client-1@mail.example> "
        "<ticket-1001.7.0123456789abcdef0123456789abcdef@agency.example> "
        "<CAF-client-2@mail.example> "
        "<ticket-1001.9.fedcba9876543210fedcba9876543210@agency.example>";
    struct dk_mail m = {.from = "s@agency.example",
                        .to = "ola@school.example.no",
                        .subject = "Re: x",
                        .body = "x",
                        .message_id = "<b@agency.example>",
                        .in_reply_to = "<ticket-1001.9.fedcba9876543210"
                                       "fedcba9876543210@agency.example>",
                        .references = chain};
    char *s = dk_mail_compose(&m, NULL), *refs;
    const char *h = strstr(s, "References:");

    assert_non_null(h);
    /* Every line of the header at most 78 characters, continued by a
     * space, an id never split. */
    for (const char *line = h;;) {
        const char *end = strstr(line, "\r\n");
        assert_true(end - line <= 78);
        line = end + 2;
        if (*line != ' ')
            break;
    }
    refs = unfolded(s, "References:");
    assert_string_equal(refs + strlen("References: "), chain);
    assert_non_null(strstr(s, "\r\nIn-Reply-To: <ticket-1001.9.fedcba98"));
    free(refs);
    free(s);
}

static void test_dk_mail_compose__line_breaks_in_values_are_spaces(void **s)
{
    struct dk_mail m = {.from = "s@agency.example",
                        .to = "ola@school.example.no",
                        .to_name = "Ola\r\nBcc: evil@example.org",
                        .subject = "Hi\r\nBcc: evil@example.org",
                        .body = "x",
                        .message_id = "<a@agency.example>",
                        .in_reply_to = "<p@x>\r\nBcc: evil@example.org",
                        .references = "<r@x>\nBcc: evil@example.org"};
    char *msg = dk_mail_compose(&m, NULL);

    assert_null(strstr(msg, "\nBcc:"));
    free(msg);
}

static void test_dk_mail_id_domain__configured_else_from(void **state)
{
    char d[256];

    assert_string_equal(dk_mail_id_domain("mail.agency.example",
                                          "Support <s@agency.example>", d,
                                          sizeof(d)),
                        "mail.agency.example");
    assert_string_equal(
        dk_mail_id_domain("", "Støtte <support@agency.example>", d, sizeof(d)),
        "agency.example");
    assert_string_equal(dk_mail_id_domain(NULL, "s@agency.example", d, 5),
                        "loca");
    assert_string_equal(
        dk_mail_id_domain(NULL, "x <s@[127.0.0.1]>", d, sizeof(d)),
        "localhost");
    assert_string_equal(dk_mail_id_domain(NULL, "nobody", d, sizeof(d)),
                        "localhost");
    assert_string_equal(dk_mail_id_domain(NULL, NULL, d, sizeof(d)),
                        "localhost");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dk_mail_encode_header__ascii_stays_plain),
        cmocka_unit_test(
            test_dk_mail_encode_header__utf8_becomes_encoded_words),
        cmocka_unit_test(test_dk_mail_address__from_values),
        cmocka_unit_test(test_dk_mail_compose__headers_threading_body),
        cmocka_unit_test(test_dk_mail_compose__no_name_no_references),
        cmocka_unit_test(test_dk_mail_compose__to_name_encoded_or_quoted),
        cmocka_unit_test(test_dk_mail_compose__references_chain_folded_at_78),
        cmocka_unit_test(
            test_dk_mail_compose__line_breaks_in_values_are_spaces),
        cmocka_unit_test(test_dk_mail_id_domain__configured_else_from),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
