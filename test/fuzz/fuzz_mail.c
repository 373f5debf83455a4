/*
 * fuzz_mail.c - libFuzzer harness for mail intake's parsing: any bytes as
 * a message (GMime, which part is text and which a file, charset
 * conversion, HTML to text, forwarded messages, reports and auto-replies,
 * the Authentication-Results check, the quote cut off a staff member's
 * answer).  What comes out must keep the
 * promises of mailparse.h: the body UTF-8 with LF line ends and no NUL,
 * every file named in UTF-8 with a lower-case type, reported ids in <>.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dk_text.h"
#include "mailhtml.h"
#include "mailreply.h"
#include "mailparse.h"
#include "mailtext.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct mail m;
    char *text;

    if (!ready) {
        g_mime_init();
        ready = 1;
    }
    if (mail_parse(&m, (const char *)data, size) == 0) {
        size_t n = strlen(m.body);
        check(dk_utf8_valid(m.body, n));
        check(!strchr(m.body, '\r'));
        check(m.nfiles == 0 || m.files);
        for (size_t i = 0; i < m.nfiles; i++) {
            check(m.files[i].name && m.files[i].type && m.files[i].data);
            check(dk_utf8_valid(m.files[i].name, strlen(m.files[i].name)));
            for (const char *t = m.files[i].type; *t; t++)
                check(*t < 'A' || *t > 'Z');
        }
        for (size_t i = 0; i < m.nreported; i++)
            check(m.reported[i][0] == '<' &&
                  m.reported[i][strlen(m.reported[i]) - 1] == '>');
        check(m.automatic != MAIL_PERSONAL || !m.auto_why);
        if (m.report_text)
            check(dk_utf8_valid(m.report_text, strlen(m.report_text)));
        if (m.from)
            (void)mail_auth_pass(m.auth_results, "dkim", m.from);
        {
            char *mine = mail_reply_new_text(m.body);
            check(strlen(mine) <= n && dk_utf8_valid(mine, strlen(mine)));
            free(mine);
        }
        mail_free(&m);
    }
    /* The charset reader and the HTML converter on their own. */
    text = mail_text_decode((const char *)data, size,
                            size && data[0] & 1 ? "utf-8" : "shift_jis", NULL);
    check(dk_utf8_valid(text, strlen(text)));
    {
        char *h = mail_html_text(text, strlen(text));
        check(dk_utf8_valid(h, strlen(h)));
        free(h);
    }
    /* ...and the Authentication-Results parser. */
    (void)mail_auth_pass(text, "spf", "a@b.example");
    (void)mail_auth_pass(text, "dmarc", "a@b.example");
    free(text);
    return 0;
}
