/*
 * i18n.c - the portal's catalogues, read at start-up: for each language
 * of portal.languages, GNU gettext is asked once for every msgid the build
 * extracted from the portal's sources (portal_msgids.c, made from
 * xgettext's docket.pot), and the answers are kept in a table.  Asking at
 * start-up is the only way to ask glibc's gettext for several languages
 * in one process without the installed locales it wants (nb_NO.UTF-8 and
 * nl_NL.UTF-8 are rarely generated on a server): under the C.UTF-8
 * locale, which every Debian has, gettext follows $LANGUAGE, and a change
 * of it is announced by _nl_msg_cat_cntr (the gettext manual's own way).
 * Doing that per request would change the environment while the thread
 * pool's threads may read it; doing it before the loop starts is safe.
 *
 * A translation whose printf conversions differ from its msgid's is not
 * used (logged): html_printf() would read the wrong arguments.
 */
#include "i18n.h"
#include "accept.h"
#include "portal_int.h"
#include "core.h"
#include "dk_config.h"
#include "dk_log.h"
#include "dk_mem.h"

#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#define DOMAIN "docket"

extern const char *const portal_msgids[];
extern const size_t portal_msgids_n;
extern int _nl_msg_cat_cntr; /* glibc's: bumped, caches are dropped */

struct i18n {
    size_t nslots;  /* a power of two, at least twice the msgids */
    uint32_t *slot; /* msgid index + 1; 0 empty */
    const char **tr[DK_LANG_COUNT]; /* NULL for English */
};

static const char *const names[DK_LANG_COUNT] = {
    [DK_LANG_EN] = "English",
    [DK_LANG_NB] = "Norsk bokmål",
    [DK_LANG_NL] = "Nederlands",
};

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static long find(const struct i18n *t, const char *msgid)
{
    size_t mask = t->nslots - 1;

    for (size_t i = hash(msgid) & mask;; i = (i + 1) & mask) {
        uint32_t v = t->slot[i];
        if (!v)
            return -1;
        if (!strcmp(portal_msgids[v - 1], msgid))
            return (long)v - 1;
    }
}

/* The printf conversions of s, one after another ("s d lld "). */
static void conversions(const char *s, char *out, size_t size)
{
    size_t n = 0;

    out[0] = '\0';
    for (const char *p = strchr(s, '%'); p; p = strchr(p, '%')) {
        p++;
        if (*p == '%') {
            p++;
            continue;
        }
        while (*p && strchr("0123456789.-+# hljzt", *p) && n + 2 < size)
            out[n++] = *p++;
        if (*p && n + 2 < size) {
            out[n++] = *p++;
            out[n++] = ' ';
        }
        out[n] = '\0';
    }
}

/* Where the catalogues are: next to the program in a build tree
 * (build/locale/), else where the package installs them. */
static void locale_dir(char *out, size_t size)
{
    char exe[PATH_MAX];
    size_t len = sizeof(exe);
    struct stat st;
    char *slash;

    if (uv_exepath(exe, &len) == 0 && (slash = strrchr(exe, '/'))) {
        *slash = '\0';
        if (strlen(exe) + sizeof("/locale") <= size) {
            memcpy(out, exe, strlen(exe));
            memcpy(out + strlen(exe), "/locale", sizeof("/locale"));
            if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
                return;
        }
    }
    snprintf(out, size, "%s", DOCKET_LOCALEDIR);
}

static int load_language(struct i18n *t, int lang, const char *dir)
{
    const char *code = dk_languages[lang];
    char want[64], got[64];
    size_t translated = 0;

    t->tr[lang] =
        dk_xcalloc(portal_msgids_n ? portal_msgids_n : 1, sizeof(*t->tr[lang]));
    setenv("LANGUAGE", code, 1);
    ++_nl_msg_cat_cntr;
    for (size_t i = 0; i < portal_msgids_n; i++) {
        const char *id = portal_msgids[i], *s = dgettext(DOMAIN, id);
        if (s == id || !strcmp(s, id)) {
            t->tr[lang][i] = id;
            continue;
        }
        if (!strcmp(id, portal_date_format)) {
            /* strftime(3), not printf: any order, numbers only. */
            want[0] = got[0] = '\0';
            for (const char *c = strchr(s, '%'); c; c = strchr(c + 2, '%'))
                if (!c[1] || !strchr("YmdHM%", c[1])) {
                    snprintf(got, sizeof(got), "%%%c", c[1] ? c[1] : ' ');
                    break; /* a '%' at the end: nothing after it to read */
                }
        } else {
            conversions(id, want, sizeof(want));
            conversions(s, got, sizeof(got));
        }
        if (strcmp(want, got)) {
            dk_log(DK_LOG_ERROR,
                   "portal: the %s translation of \"%s\" has other "
                   "conversions (%s) than the original (%s): not used",
                   code, id, got, want);
            t->tr[lang][i] = id;
            continue;
        }
        t->tr[lang][i] = dk_xstrdup(s);
        translated++;
    }
    if (translated == 0) {
        dk_log(DK_LOG_ERROR,
               "portal.languages: no catalogue for %s in %s "
               "(%s/LC_MESSAGES/" DOMAIN ".mo)",
               code, dir, code);
        return -1;
    }
    dk_log(DK_LOG_INFO, "portal: %s: %zu of %zu strings translated", code,
           translated, portal_msgids_n);
    return 0;
}

int i18n_load(struct portal *p)
{
    const struct dk_config *cfg = p->core->cfg;
    struct i18n *t = dk_xcalloc(1, sizeof(*t));
    char dir[PATH_MAX], *old_messages = NULL, *old_language = NULL;
    const char *env = getenv("LANGUAGE"), *cur;
    int rc = 0;

    p->i18n = t;
    t->nslots = 16;
    while (t->nslots < 2 * portal_msgids_n)
        t->nslots *= 2;
    t->slot = dk_xcalloc(t->nslots, sizeof(*t->slot));
    for (size_t i = 0; i < portal_msgids_n; i++) {
        size_t j = hash(portal_msgids[i]) & (t->nslots - 1);
        while (t->slot[j])
            j = (j + 1) & (t->nslots - 1);
        t->slot[j] = (uint32_t)i + 1;
    }
    locale_dir(dir, sizeof(dir));
    bindtextdomain(DOMAIN, dir);
    bind_textdomain_codeset(DOMAIN, "UTF-8");
    if (env)
        old_language = dk_xstrdup(env);
    if ((cur = setlocale(LC_MESSAGES, NULL)))
        old_messages = dk_xstrdup(cur);
    /* gettext ignores $LANGUAGE under "C"; C.UTF-8 is always there. */
    if (!setlocale(LC_MESSAGES, "C.UTF-8")) {
        dk_log(DK_LOG_ERROR, "portal: the C.UTF-8 locale is missing");
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < cfg->portal.languages.n; i++) {
        int lang = i18n_offered(p, cfg->portal.languages.v[i]);
        if (lang > DK_LANG_EN && !t->tr[lang])
            rc = load_language(t, lang, dir);
    }
    if (old_language)
        setenv("LANGUAGE", old_language, 1);
    else
        unsetenv("LANGUAGE");
    ++_nl_msg_cat_cntr;
    setlocale(LC_MESSAGES, old_messages ? old_messages : "C");
    free(old_language);
    free(old_messages);
    return rc;
}

void i18n_free(struct portal *p)
{
    struct i18n *t = p->i18n;

    if (!t)
        return;
    for (int l = 0; l < DK_LANG_COUNT; l++) {
        for (size_t i = 0; t->tr[l] && i < portal_msgids_n; i++)
            if (t->tr[l][i] != portal_msgids[i])
                free((char *)t->tr[l][i]);
        free(t->tr[l]);
    }
    free(t->slot);
    free(t);
    p->i18n = NULL;
}

const char *i18n_tr(const struct portal *p, int lang, const char *msgid)
{
    const struct i18n *t = p->i18n;
    long i;

    if (!t || lang <= DK_LANG_EN || lang >= DK_LANG_COUNT || !t->tr[lang])
        return msgid;
    i = find(t, msgid);
    return i < 0 ? msgid : t->tr[lang][i];
}

const char *i18n_code(int lang)
{
    return lang >= 0 && lang < DK_LANG_COUNT ? dk_languages[lang] : "en";
}

const char *i18n_name(int lang)
{
    return lang >= 0 && lang < DK_LANG_COUNT ? names[lang] : names[0];
}

int i18n_offered(const struct portal *p, const char *code)
{
    return accept_offered(code, &p->core->cfg->portal.languages);
}

int i18n_accept(const struct portal *p, const char *h)
{
    return accept_language_pick(h, &p->core->cfg->portal.languages,
                                p->core->cfg->portal.default_language);
}
