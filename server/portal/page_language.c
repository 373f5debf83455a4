/*
 * page_language.c - POST /language: the language chooser at the foot of
 * every page (fields language and next).  The choice is kept in the
 * browser (dk_lang) and, for a logged-in contact, on the contact, where
 * their emails find it; then back to the page it was made on.
 */
#include "portal_int.h"
#include "core.h"
#include "db.h"

#include <string.h>

/* Back to next when it is one of the portal's own paths, else home. */
static void back(struct preq *q)
{
    const char *next = portal_field(q, "next", 2000);

    portal_redirect(q, next && next[0] == '/' ? next : "/", FLASH_LANGUAGE);
}

static void stored(struct preq *q, PGresult *res)
{
    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    /* This instance's remembered sessions have the old language. */
    portal_cache_forget(q->p, q->who.id);
    back(q);
}

void page_language_post(struct preq *q)
{
    int lang = i18n_offered(q->p, portal_field(q, "language", 8));
    struct db_query *dq;

    if (lang < 0) {
        portal_message(q, 400, T(q, "That did not work"),
                       T(q, "The portal does not speak that language."));
        return;
    }
    portal_set_language(q, lang);
    if (!q->logged_in) {
        back(q);
        return;
    }
    dq = db_query_new("SELECT portal_language_set($1::bigint, $2)", 2);
    db_param_ll(dq, 0, q->who.id);
    db_param(dq, 1, i18n_code(lang));
    portal_query(q, dq, stored);
}
