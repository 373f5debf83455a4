/*
 * mailreply.c - cutting the quoted message off an emailed answer.
 */
#include "mailreply.h"
#include "dk_mem.h"
#include "dk_text.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Words an Outlook header block's lines start with, in the languages the
 * agency's schools write (English, Norwegian, Dutch). */
static const char *const from_words[] = {"From:", "Fra:", "Van:"};
static const char *const sent_words[] = {
    "Sent:", "Sendt:", "Verzonden:", "Date:", "Dato:", "Datum:"};
static const char *const separators[] = {
    "-----Original Message-----", "-----Opprinnelig melding-----",
    "-----Oorspronkelijk bericht-----", "-------- Original Message --------",
    "-------- Forwarded Message --------"};
/* The verb of an attribution line, which ends in ':': "On Mon, Kari <k@x>
 * wrote:", "ons. 2. des. 2026 skrev Kari <k@x>:", "Op wo 2 dec. schreef
 * Kari <k@x>:". */
static const char *const wrote_words[] = {" wrote", " skrev", " schreef"};

static bool starts(const char *line, size_t len, const char *word)
{
    size_t n = strlen(word);

    return len >= n && strncasecmp(line, word, n) == 0;
}

static bool starts_any(const char *line, size_t len, const char *const *words,
                       size_t nwords)
{
    for (size_t i = 0; i < nwords; i++)
        if (starts(line, len, words[i]))
            return true;
    return false;
}

/* The line without leading and trailing blanks. */
static void strip(const char **line, size_t *len)
{
    while (*len && (**line == ' ' || **line == '\t')) {
        (*line)++;
        (*len)--;
    }
    while (*len && ((*line)[*len - 1] == ' ' || (*line)[*len - 1] == '\t' ||
                    (*line)[*len - 1] == '\r'))
        (*len)--;
}

static bool attribution(const char *line, size_t len)
{
    strip(&line, &len);
    if (len == 0 || line[len - 1] != ':')
        return false;
    for (size_t i = 0; i < sizeof(wrote_words) / sizeof(*wrote_words); i++) {
        size_t n = strlen(wrote_words[i]);
        const char *at = memmem(line, len, wrote_words[i], n);
        /* The verb as a word: followed by a space or the final ':'. */
        if (at && (at[n] == ' ' || at + n == line + len - 1))
            return true;
    }
    return false;
}

char *mail_reply_new_text(const char *body)
{
    size_t n = strlen(body), o = 0;
    /* Each line kept gets its '\n', the last one too: n + 1, and the NUL. */
    char *out = dk_xmalloc(n + 2);
    const char *p = body, *end = body + n;
    bool prev_attribution = false;
    size_t attribution_at = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *s = p, *next = nl ? nl + 1 : end;
        size_t slen = len;

        strip(&s, &slen);
        if (starts_any(s, slen, separators,
                       sizeof(separators) / sizeof(*separators)))
            break;
        if (starts_any(s, slen, from_words,
                       sizeof(from_words) / sizeof(*from_words))) {
            const char *q = next, *qnl;
            size_t qlen;
            qnl = q < end ? memchr(q, '\n', (size_t)(end - q)) : NULL;
            qlen = qnl ? (size_t)(qnl - q) : (size_t)(end - q);
            strip(&q, &qlen);
            if (starts_any(q, qlen, sent_words,
                           sizeof(sent_words) / sizeof(*sent_words)))
                break;
        }
        if (len > 0 && p[0] == '>') {
            /* A quote: the attribution line just above it goes too. */
            if (prev_attribution)
                o = attribution_at;
            prev_attribution = false;
            p = next;
            continue;
        }
        /* A blank line may stand between the attribution and its quote. */
        if (attribution(p, len)) {
            prev_attribution = true;
            attribution_at = o;
        } else if (slen > 0) {
            prev_attribution = false;
        }
        memcpy(out + o, p, len);
        o += len;
        out[o++] = '\n';
        p = next;
    }
    out[o] = '\0';
    return dk_trim(out);
}
