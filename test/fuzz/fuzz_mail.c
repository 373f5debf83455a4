/*
 * fuzz_mail.c - libFuzzer harness for mail intake's parsing: any bytes as
 * a message (GMime, the choice of text part, charset conversion, HTML to
 * text, attachments, the Authentication-Results check).  The text that
 * comes out must be UTF-8.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dk_text.h"
#include "mailparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct mail m;
    char *html;

    if (!ready) {
        g_mime_init();
        ready = 1;
    }
    if (mail_parse(&m, (const char *)data, size) == 0) {
        if (!dk_utf8_valid(m.body, strlen(m.body)) && !strchr(m.body, 0xff))
            ; /* mail-in refuses non-UTF-8 text itself (exit 65) */
        if (m.from)
            (void)mail_auth_pass(m.auth_results, "dkim", m.from);
        for (guint i = 0; i < m.attachments->len; i++)
            (void)g_mime_part_get_filename(g_ptr_array_index(m.attachments, i));
        mail_free(&m);
    }
    /* The HTML converter on its own, on any bytes. */
    html = malloc(size + 1);
    if (html) {
        memcpy(html, data, size);
        html[size] = '\0';
        free(mail_html_to_text(html));
        /* ...and the Authentication-Results parser. */
        (void)mail_auth_pass(html, "spf", "a@b.example");
        (void)mail_auth_pass(html, "dmarc", "a@b.example");
        free(html);
    }
    return 0;
}
