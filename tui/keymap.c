/*
 * keymap.c - the keymap built from keys.def, rebinding from the
 * configuration, and the keys written for help.
 */
#include "keymap.h"

#include <curses.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const action_ids[ACT_COUNT] = {
    [ACT_NONE] = "",
#define ACTION(id, help, k1, k2) [ACT_##id] = #id,
#include "keys.def"
#undef ACTION
};

void keymap_defaults(int *keymap)
{
    memset(keymap, 0, KEYMAP_SIZE * sizeof(*keymap));
#define ACTION(id, help, k1, k2)                                               \
    if ((k1) > 0 && (k1) < KEYMAP_SIZE)                                        \
        keymap[(k1)] = ACT_##id;                                               \
    if ((k2) > 0 && (k2) < KEYMAP_SIZE)                                        \
        keymap[(k2)] = ACT_##id;
#include "keys.def"
#undef ACTION
    keymap['\r'] = ACT_OPEN; /* nonl(): Enter may come as CR */
}

const char *keymap_action_name(int act)
{
    static char buf[32];
    size_t i;

    if (act <= ACT_NONE || act >= ACT_COUNT)
        return "";
    for (i = 0; action_ids[act][i] && i < sizeof(buf) - 1; i++)
        buf[i] = (char)tolower((unsigned char)action_ids[act][i]);
    buf[i] = '\0';
    return buf;
}

int keymap_action(const char *name)
{
    for (int a = ACT_NONE + 1; a < ACT_COUNT; a++)
        if (strcasecmp(action_ids[a], name) == 0)
            return a;
    return ACT_NONE;
}

static const struct {
    const char *name;
    int key;
} named_keys[] = {
    {"Enter", '\r'},      {"Return", '\r'},    {"Tab", '\t'},
    {"S-Tab", KEY_BTAB},  {"Space", ' '},      {"Esc", 27},
    {"Up", KEY_UP},       {"Down", KEY_DOWN},  {"Left", KEY_LEFT},
    {"Right", KEY_RIGHT}, {"Home", KEY_HOME},  {"End", KEY_END},
    {"PgUp", KEY_PPAGE},  {"PgDn", KEY_NPAGE}, {"Backspace", KEY_BACKSPACE},
};

int keymap_parse_key(const char *spec)
{
    if (!spec || !*spec)
        return -1;
    if (spec[1] == '\0')
        return (unsigned char)spec[0] >= 32 && (unsigned char)spec[0] < 127
                   ? spec[0]
                   : -1;
    if ((spec[0] == 'C' || spec[0] == 'c') && spec[1] == '-' &&
        isalpha((unsigned char)spec[2]) && spec[3] == '\0')
        return tolower((unsigned char)spec[2]) & 0x1f;
    for (size_t i = 0; i < sizeof(named_keys) / sizeof(*named_keys); i++)
        if (strcasecmp(named_keys[i].name, spec) == 0)
            return named_keys[i].key;
    return -1;
}

int keymap_apply(int *keymap, const struct dk_pairs *keys, const char *file,
                 struct dk_diag *diag)
{
    int next[KEYMAP_SIZE], problems = 0;

    memcpy(next, keymap, sizeof(next));
    for (size_t i = 0; i < keys->n; i++) {
        int act = keymap_action(keys->key[i]);
        char *copy, *save = NULL;
        int bound = 0;
        if (act == ACT_NONE) {
            dk_diag_add(diag,
                        "%s:%u:%u: client.keys.%s: no such action (? "
                        "in docket lists them)",
                        file, keys->line[i], keys->column[i], keys->key[i]);
            problems++;
            continue;
        }
        for (int k = 0; k < KEYMAP_SIZE; k++)
            if (next[k] == act)
                next[k] = ACT_NONE;
        copy = strdup(keys->value[i]);
        for (char *t = copy ? strtok_r(copy, " ", &save) : NULL; t;
             t = strtok_r(NULL, " ", &save)) {
            int k = keymap_parse_key(t);
            if (k < 0 || k >= KEYMAP_SIZE) {
                dk_diag_add(diag,
                            "%s:%u:%u: client.keys.%s: \"%s\" is not a "
                            "key (a character, C-x, Enter, Tab, PgDn...)",
                            file, keys->line[i], keys->column[i], keys->key[i],
                            t);
                problems++;
                continue;
            }
            next[k] = act;
            if (k == '\r')
                next['\n'] = act;
            bound++;
        }
        free(copy);
        if (!bound && !problems) {
            dk_diag_add(diag,
                        "%s:%u:%u: client.keys.%s: needs at least one "
                        "key",
                        file, keys->line[i], keys->column[i], keys->key[i]);
            problems++;
        }
    }
    if (!problems)
        memcpy(keymap, next, sizeof(next));
    return problems;
}

static const char *const action_helps[ACT_COUNT] = {
    [ACT_NONE] = "",
#define ACTION(id, help, k1, k2) [ACT_##id] = help,
#include "keys.def"
#undef ACTION
};

const char *keymap_help(int act)
{
    return act > ACT_NONE && act < ACT_COUNT ? action_helps[act] : "";
}

static void describe_key(int k, char *out, size_t size)
{
    switch (k) {
    case '\n':
    case '\r':
        snprintf(out, size, "Enter");
        return;
    case 27:
        snprintf(out, size, "Esc");
        return;
    case '\t':
        snprintf(out, size, "Tab");
        return;
    case ' ':
        snprintf(out, size, "Space");
        return;
    case KEY_BTAB:
        snprintf(out, size, "S-Tab");
        return;
    case KEY_DOWN:
        snprintf(out, size, "Down");
        return;
    case KEY_UP:
        snprintf(out, size, "Up");
        return;
    case KEY_HOME:
        snprintf(out, size, "Home");
        return;
    case KEY_END:
        snprintf(out, size, "End");
        return;
    case KEY_NPAGE:
        snprintf(out, size, "PgDn");
        return;
    case KEY_PPAGE:
        snprintf(out, size, "PgUp");
        return;
    case KEY_ENTER:
        snprintf(out, size, "Enter");
        return;
    }
    if (k > 32 && k < 127)
        snprintf(out, size, "%c", k);
    else if (k > 0 && k < 32) /* as client.keys writes it */
        snprintf(out, size, "C-%c", k + 'a' - 1);
    else
        snprintf(out, size, "%s", keyname(k) ? keyname(k) : "?");
}

void keymap_keys(const int *keymap, int act, char *out, size_t size)
{
    size_t len = 0;
    char name[32], last[32] = "";

    out[0] = '\0';
    for (int k = 0; k < KEYMAP_SIZE && len + 1 < size; k++) {
        if (keymap[k] != act)
            continue;
        describe_key(k, name, sizeof(name));
        if (strcmp(name, last) == 0)
            continue; /* \n and KEY_ENTER are both "Enter" */
        snprintf(last, sizeof(last), "%s", name);
        len += (size_t)snprintf(out + len, size - len, "%s%s", len ? " " : "",
                                name);
    }
}

static const int first_keys[ACT_COUNT] = {
    [ACT_NONE] = 0,
#define ACTION(id, help, k1, k2) [ACT_##id] = k1,
#include "keys.def"
#undef ACTION
};

void keymap_key(const int *keymap, int act, char *out, size_t size)
{
    int k = act > ACT_NONE && act < ACT_COUNT ? first_keys[act] : 0;

    if (k > 0 && k < KEYMAP_SIZE && keymap[k] == act) {
        describe_key(k, out, size);
        return;
    }
    keymap_keys(keymap, act, out, size);
    out[strcspn(out, " ")] = '\0';
}
