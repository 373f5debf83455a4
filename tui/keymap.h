/*
 * keymap.h - which key does what: the defaults of keys.def, and the
 * client.keys overrides of the configuration, checked with the file and
 * line of each mistake, and how help writes the keys.  No terminal
 * needed (only curses' key codes): unit-tested alone.
 */
#ifndef KEYMAP_H
#define KEYMAP_H

#include "dk_config.h"
#include "dk_diag.h"

#include <stddef.h>

/* A control key's code, as keys.def gives the composer's. */
#define CTRL_KEY(c) ((c)&0x1f)

/* Every action of keys.def. */
enum action {
    ACT_NONE = 0,
#define ACTION(id, help, k1, k2) ACT_##id,
#include "keys.def"
#undef ACTION
    ACT_COUNT
};

/* keymap[key] = action (enum action), for key codes up to KEYMAP_SIZE. */
#define KEYMAP_SIZE 1024

void keymap_defaults(int *keymap);

/* The action named name ("claim", "page_down"), or 0 (ACT_NONE). */
int keymap_action(const char *name);
/* The lower-case name of an action. */
const char *keymap_action_name(int act);

/* What help says of an action ("next line"). */
const char *keymap_help(int act);
/* The keys bound to act as help writes them ("j Down"), into out. */
void keymap_keys(const int *keymap, int act, char *out, size_t size);

/* The one key to name for act where there is room for one (a hint):
 * its first default when that is still bound to it, else its lowest;
 * "" when none is. */
void keymap_key(const int *keymap, int act, char *out, size_t size);

/* A key from its written form: "c", "C-x", "Enter", "PgDn"...; -1 if
 * it is not one. */
int keymap_parse_key(const char *spec);

/*
 * Apply client.keys: each action given loses its default keys and takes
 * the listed ones (space-separated).  Problems go to diag as
 * "FILE:LINE:COLUMN: client.keys.NAME: ..."; returns their count, and
 * changes nothing when there is any.
 */
int keymap_apply(int *keymap, const struct dk_pairs *keys, const char *file,
                 struct dk_diag *diag);

#endif
