/*
 * i18n.h - the portal's languages (portal.languages: en, nb, nl): every
 * string a contact reads is an English msgid marked T(q, "...") (or N_()
 * where it sits in a table), translated by GNU gettext from po/LANG.po.
 * The catalogues are read once, at start-up, for every msgid the build
 * found in the sources (xgettext): the loop never calls gettext, so the
 * language of each request is a table index, not process state.
 */
#ifndef I18N_H
#define I18N_H

#include <stdbool.h>

struct portal;

/* A msgid in a table, translated where it is used (xgettext's N_). */
#define N_(s) s

/* Read the catalogues of cfg->portal.languages; -1 (logged) when one is
 * missing or does not match the program's strings. */
int i18n_load(struct portal *p);
void i18n_free(struct portal *p);

/* msgid in lang (enum dk_language); msgid itself in English, and for a
 * string the catalogue does not have. */
const char *i18n_tr(const struct portal *p, int lang, const char *msgid);

/* The code of lang ("nb"), and a code's language among those the portal
 * speaks (-1 for any other). */
const char *i18n_code(int lang);
int i18n_offered(const struct portal *p, const char *code);
/* The portal's best language for an Accept-Language header (RFC 9110
 * section 12.5.4: the highest q among those offered; a region, "nb-NO",
 * matches its language; "no" is taken as Norwegian Bokmål), or the
 * default. */
int i18n_accept(const struct portal *p, const char *accept_language);
/* The language's own name, for the chooser ("Norsk bokmål"). */
const char *i18n_name(int lang);

#endif
