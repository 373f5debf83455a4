/*
 * fuzz_accept.c - libFuzzer harness for the portal's Accept-Language
 * reader (server/portal/accept.c): any bytes as a header, against the
 * three languages offered and against one.  The answer must be the
 * fallback or an offered language, the same for the header and for the
 * header with a ", *;q=0" appended (an entry that matches nothing), and
 * the header alone, if it is exactly an offered code, must pick it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "dk_config.h"

#define CHECK(x)                                                               \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

static char *all_v[] = {"en", "nb", "nl"};
static char *one_v[] = {"nl"};
static const struct dk_strlist all = {3, all_v}, one = {1, one_v};

static void check(const char *h, const struct dk_strlist *offered, int fallback)
{
    int got = accept_language_pick(h, offered, fallback);
    bool ok = got == fallback;

    for (size_t i = 0; i < offered->n && !ok; i++)
        ok = !strcmp(dk_languages[got], offered->v[i]);
    CHECK(got >= 0 && got < DK_LANG_COUNT && ok);
    for (size_t i = 0; i < offered->n; i++)
        if (!strcmp(h, offered->v[i]))
            CHECK(!strcmp(dk_languages[got], offered->v[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *h = malloc(size + 16);

    if (!h)
        return 0;
    memcpy(h, data, size);
    h[size] = '\0';
    check(h, &all, DK_LANG_EN);
    check(h, &one, DK_LANG_NB);
    {
        int before = accept_language_pick(h, &all, DK_LANG_EN);
        if (strlen(h) == size) {
            memcpy(h + size, ", *;q=0", 8);
            CHECK(accept_language_pick(h, &all, DK_LANG_EN) == before);
        }
    }
    free(h);
    return 0;
}
