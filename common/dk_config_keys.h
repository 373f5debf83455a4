/*
 * dk_config_keys.h - inside the configuration loader: the table of keys
 * (dk_config.c) that the YAML reader (dk_config_yaml.c) walks.  Not for
 * use outside common/dk_config*.c.
 */
#ifndef DK_CONFIG_KEYS_H
#define DK_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "dk_config.h"

#define MIB (1024LL * 1024)

enum key_type {
    KEY_STR,      /* any text */
    KEY_INT,      /* int within [min, max] */
    KEY_BOOL,     /* true/false (yes/no, on/off) */
    KEY_DURATION, /* seconds, or N with s, m, h; long long within limits */
    KEY_SIZE,     /* bytes, size_t within limits */
    KEY_ENUM,     /* one of choices; stored as its index */
    KEY_ADDR,     /* HOST:PORT or [V6]:PORT, or "" for off */
    KEY_URL,      /* text starting with one of choices' schemes */
    KEY_NAMES,    /* list of lower-case identifiers */
    KEY_PAIRS,    /* mapping of names to text (client.keys) */
    KEY_MODE,     /* file permission bits in octal ("0660"), int */
    KEY_CIDRS,    /* list of networks, "127.0.0.0/8" (may be empty) */
    KEY_DOMAIN,   /* a DNS name ("mail.example.org"), or "" */
};

struct config_key {
    const char *path;
    enum key_type type;
    size_t off;
    long long min, max;
    const char *const *choices; /* NULL-terminated, for KEY_ENUM, KEY_URL */
    const char *def;            /* KEY_NAMES: comma-separated */
};

/* The key at path ("server.listen"), or NULL. */
const struct config_key *dk_config_find_key(const char *path);
/* True if some key lies under path ("server"). */
bool dk_config_is_section(const char *path);
/* Where k's value lives in cfg. */
void *dk_config_field(struct dk_config *cfg, const struct config_key *k);
/*
 * Convert text to the key's type and store it.  Returns NULL, or what is
 * wrong with the value (a static string or one built into buf).
 */
const char *dk_config_convert(struct dk_config *cfg, const struct config_key *k,
                              const char *text, char *buf, size_t bufsize);
void dk_config_strlist_free(struct dk_strlist *l);
void dk_config_pairs_free(struct dk_pairs *p);
/* A lower-case identifier (client.keys names, pipeline names). */
bool dk_config_name_valid(const char *s);

#endif
