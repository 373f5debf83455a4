/*
 * maildump.c - docket-maildump: what mail intake's parser makes of one
 * message on stdin, as JSON on stdout (body, files with their sizes and
 * SHA-256, and the auto-reply and report facts), for the corpus tests in
 * test/mail/ and for a person looking at a message that went wrong.
 * Exits 65 when stdin is not a message, like docketctl mail-in.
 */
#include "dk_mem.h"
#include "mailparse.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#define MAIL_MAX (25u * 1024 * 1024) /* as docketctl mail-in */

static const char *const kinds[] = {"personal", "auto-reply", "report"};

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

int main(void)
{
    size_t len = 0, cap = 65536, n;
    char *data = dk_xmalloc(cap);
    json_t *out, *files, *reported;
    json_error_t jerr;
    struct mail m;

    while ((n = fread(data + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len > MAIL_MAX) {
            fprintf(stderr, "docket-maildump: message larger than %u bytes\n",
                    MAIL_MAX);
            return 65;
        }
        if (len == cap)
            data = dk_xrealloc(data, cap *= 2);
    }
    if (sodium_init() < 0)
        return 70;
    g_mime_init();
    if (mail_parse(&m, data, len) != 0) {
        fprintf(stderr, "docket-maildump: not an RFC 5322 message\n");
        free(data);
        g_mime_shutdown();
        return 65;
    }
    files = json_array();
    for (size_t i = 0; i < m.nfiles; i++) {
        unsigned char sum[crypto_hash_sha256_BYTES];
        char hex[sizeof(sum) * 2 + 1];
        crypto_hash_sha256(sum, m.files[i].data->data, m.files[i].data->len);
        sodium_bin2hex(hex, sizeof(hex), sum, sizeof(sum));
        json_array_append_new(
            files, json_pack("{s:s, s:s, s:I, s:s}", "name", m.files[i].name,
                             "type", m.files[i].type, "size",
                             (json_int_t)m.files[i].data->len, "sha256", hex));
    }
    reported = json_array();
    for (size_t i = 0; i < m.nreported; i++)
        json_array_append_new(reported, json_string(m.reported[i]));
    out = json_pack_ex(
        &jerr, 0, "{s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:b, s:o, s:I}", "from",
        str_or_null(m.from), "subject", str_or_null(m.subject), "body",
        json_string(m.body), "files", files, "automatic", kinds[m.automatic],
        "auto_why", str_or_null(m.auto_why), "reported", reported,
        "report_failed", m.report_failed, "report_text",
        str_or_null(m.report_text), "dropped", (json_int_t)m.dropped);
    if (!out ||
        json_dumpf(out, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) < 0) {
        fprintf(stderr, "docket-maildump: could not write JSON: %s\n",
                out ? "write failed" : jerr.text);
        return 70;
    }
    putchar('\n');
    json_decref(out);
    mail_free(&m);
    g_mime_shutdown();
    free(data);
    return 0;
}
