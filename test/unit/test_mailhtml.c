/*
 * test_mailhtml.c - mail intake's HTML to text (ctl/mailhtml.c) and its
 * charset reading (ctl/mailtext.c): what a person must still be able to
 * read once the markup is gone, and bytes never lost to a wrong label.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gmime/gmime.h>

#include "mailhtml.h"
#include "mailtext.h"

static void html_is(const char *html, const char *want)
{
    char *got = mail_html_text(html, strlen(html));
    assert_string_equal(got, want);
    free(got);
}

static void test_mailhtml__empty_input_is_empty_text(void **state)
{
    (void)state;
    html_is("", "");
    html_is("<html></html>", "");
    html_is("   \n ", "");
}

static void test_mailhtml__links_keep_their_target(void **state)
{
    (void)state;
    html_is(
        "<p>See <a href=\"https://skole.example.no/plan\">the plan</a>.</p>",
        "See the plan <https://skole.example.no/plan>.");
    html_is(
        "<a href=\"https://skole.example.no/\">https://skole.example.no/</a>",
        "https://skole.example.no/");
    html_is("<a href=\"https://skole.example.no/\">skole.example.no</a>",
            "skole.example.no");
    html_is(
        "<a href=\"mailto:post@skole.example.no\">post@skole.example.no</a>",
        "post@skole.example.no");
    html_is("<a href=\"mailto:post@skole.example.no?subject=Hei\">Skriv</a>",
            "Skriv <post@skole.example.no>");
    html_is("<a href=\"#top\">Til toppen</a> <a href=\"javascript:x()\">x</a>",
            "Til toppen x");
    html_is("<a href=\"https://x.example/\"><img src=\"a.png\"></a>",
            "<https://x.example/>");
}

static void
test_mailhtml__title_style_script_head_comments_dropped(void **state)
{
    (void)state;
    html_is("<html><head><title>Hemmelig</title><style>p{color:red}</style>"
            "<script>alert(1)</script></head><body><!-- not this -->"
            "<p>Synlig</p><script>more()</script><noscript>no</noscript>"
            "<span style=\"DISPLAY: none\">preheader</span>"
            "<div hidden>gone</div></body></html>",
            "Synlig");
}

static void test_mailhtml__tables_one_row_a_line(void **state)
{
    (void)state;
    html_is("<table><tr><th>Dag</th><th>Fag</th></tr>"
            "<tr><td>Mandag</td><td>Matte</td></tr>"
            "<tr><td></td><td>Norsk</td></tr></table><p>Etter</p>",
            "Dag | Fag\nMandag | Matte\nNorsk\n\nEtter");
}

static void test_mailhtml__lists_as_dashes_and_numbers(void **state)
{
    (void)state;
    html_is("<ul><li>en</li><li>to<ul><li>inne</li></ul></li></ul>"
            "<ol><li>første</li><li>andre</li></ol>",
            "- en\n- to\n  - inne\n\n1. første\n2. andre");
}

static void test_mailhtml__entities_decoded(void **state)
{
    (void)state;
    html_is("<p>&ucirc; &aring;&oslash;&aelig; &amp; &lt;b&gt; &#8211; "
            "&#x263A; &euro;&nbsp;5</p>",
            "û åøæ & <b> – ☺ € 5");
}

static void test_mailhtml__white_space_collapses_except_in_pre(void **state)
{
    (void)state;
    html_is("<p>a   b\n\tc</p><pre>x   y\n  z</pre><p>d<br>e<br><br>f</p>",
            "a b c\n\nx   y\n  z\n\nd\ne\n\nf");
}

static void test_mailhtml__paragraphs_headings_blockquote(void **state)
{
    (void)state;
    html_is("<h1>Tittel</h1><p>En</p><p>To</p>"
            "<blockquote><p>sitat</p><p>mer</p></blockquote><div>slutt</div>",
            "Tittel\n\nEn\n\nTo\n\n> sitat\n\n> mer\n\nslutt");
}

static void test_mailhtml__broken_html_recovers(void **state)
{
    static char deep[200000];
    size_t o = 0;
    char *got;

    (void)state;
    html_is("<p>open <b>bold <i>both</p> after</b> <div>x</span>",
            "open bold both\n\nafter\nx");
    html_is("text with < and > and &bogus; &",
            "text with < and > and &bogus; &");
    html_is("<img alt=\"[logo]\"><img alt=\"\">", "[logo]");
    /* Nesting deeper than anything sane: no recursion to exhaust. */
    for (int i = 0; i < 20000 && o + 10 < sizeof(deep); i++)
        o += (size_t)snprintf(deep + o, sizeof(deep) - o, "<div><ul>");
    snprintf(deep + o, sizeof(deep) - o, "bunn");
    got = mail_html_text(deep, strlen(deep));
    assert_non_null(strstr(got, "bunn"));
    free(got);
}

static void text_is(const char *bytes, size_t n, const char *charset,
                    const char *want, int fallback)
{
    int used;
    char *got = mail_text_decode(bytes, n, charset, &used);
    assert_string_equal(got, want);
    assert_int_equal(used, fallback);
    free(got);
}

static void test_mailtext__labels_and_fallbacks(void **state)
{
    (void)state;
    text_is("", 0, NULL, "", 0);
    text_is("bl\xe5"
            "b\xe6r",
            6, "utf-8", "blåbær", 0);
    text_is("bl\xc3\xa5"
            "b\xc3\xa6r",
            8, "us-ascii", "blåbær", 0);
    text_is("\x93hei\x94 \x81", 7, "iso-8859-1", "“hei” \xef\xbf\xbd", 0);
    text_is("\xe6\xf8\xe5", 3, "iso-8859-15", "æøå", 0);
    text_is("bl\xe5", 3, "x-no-such-charset", "blå", 1);
    text_is("\x82\xa0", 2, "shift_jis", "あ", 0);
    text_is("\xff\xfe\x68\x00\x69\x00", 6, "utf-16", "hi", 0);
    /* Not valid in the label: the whole part read as UTF-8/1252. */
    text_is("\x82", 1, "shift_jis", "‚", 1);
}

static void test_mailtext__line_ends_and_nul(void **state)
{
    (void)state;
    text_is("a\r\nb\rc\n", 7, "utf-8", "a\nb\nc\n", 0);
    text_is("a\0b", 3, NULL,
            "a\xef\xbf\xbd"
            "b",
            0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mailhtml__empty_input_is_empty_text),
        cmocka_unit_test(test_mailhtml__links_keep_their_target),
        cmocka_unit_test(
            test_mailhtml__title_style_script_head_comments_dropped),
        cmocka_unit_test(test_mailhtml__tables_one_row_a_line),
        cmocka_unit_test(test_mailhtml__lists_as_dashes_and_numbers),
        cmocka_unit_test(test_mailhtml__entities_decoded),
        cmocka_unit_test(test_mailhtml__white_space_collapses_except_in_pre),
        cmocka_unit_test(test_mailhtml__paragraphs_headings_blockquote),
        cmocka_unit_test(test_mailhtml__broken_html_recovers),
        cmocka_unit_test(test_mailtext__labels_and_fallbacks),
        cmocka_unit_test(test_mailtext__line_ends_and_nul),
    };
    g_mime_init(); /* mail_text_decode() asks GMime for charset aliases */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
