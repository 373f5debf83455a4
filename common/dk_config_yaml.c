/*
 * dk_config_yaml.c - reading the configuration file: libyaml's document
 * API (which keeps each node's line and column for messages) walked
 * against the table of keys, every problem reported as
 * FILE:LINE:COLUMN: key: what is wrong, all of them, not just the first.
 */
#include "dk_addr.h"
#include "dk_buf.h"
#include "dk_config.h"
#include "dk_config_keys.h"
#include "dk_err.h"
#include "dk_mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct loader {
    const char *file;
    yaml_document_t *doc;
    struct dk_config *cfg;
    struct dk_diag *diag;
    size_t nerrors;
    const yaml_node_t *jwt_key;   /* portal.sso.jwt_public_key_file's value */
    const yaml_node_t *languages; /* portal.languages' value */
    const yaml_node_t *oidc;      /* a portal.oidc key's value */
    const yaml_node_t *saml;      /* a portal.saml key's value */
};

static void report(struct loader *L, const yaml_node_t *node, const char *path,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void check_languages(struct loader *L, const struct dk_config *cfg);
static void check_sign_in(struct loader *L, const struct dk_config *cfg);

static void report(struct loader *L, const yaml_node_t *node, const char *path,
                   const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dk_diag_add(L->diag, "%s:%zu:%zu: %s%s%s", L->file,
                node->start_mark.line + 1, node->start_mark.column + 1,
                path ? path : "", path ? ": " : "", msg);
    L->nerrors++;
}

/* A plain (unquoted) ~, null or empty scalar is YAML's null. */
static bool is_null(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;

    return n->type == YAML_SCALAR_NODE &&
           n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (!*v || !strcmp(v, "~") || !strcasecmp(v, "null"));
}

static void load_names(struct loader *L, const struct config_key *k,
                       yaml_node_t *node, const char *path)
{
    struct dk_strlist list = {0, NULL};
    bool cidrs = k->type == KEY_CIDRS;
    struct dk_cidr net;
    bool ok = true;

    if (node->type != YAML_SEQUENCE_NODE) {
        report(L, node, path,
               cidrs ? "expected a list of networks, like [127.0.0.0/8]"
                     : "expected a list of names, like [support]");
        return;
    }
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(L->doc, *it);
        const char *v;
        if (!item || item->type != YAML_SCALAR_NODE) {
            report(L, item ? item : node, path,
                   cidrs ? "expected a network" : "expected a name");
            ok = false;
            continue;
        }
        v = (const char *)item->data.scalar.value;
        if (cidrs && dk_cidr_parse(v, &net) != 0) {
            report(L, item, path,
                   "\"%s\" is not a network (ADDRESS or ADDRESS/BITS)", v);
            ok = false;
            continue;
        }
        if (!cidrs && !dk_config_name_valid(v)) {
            report(L, item, path,
                   "\"%s\" is not a name (lower-case letters, digits, _)", v);
            ok = false;
            continue;
        }
        list.v = dk_xrealloc(list.v, (list.n + 1) * sizeof(*list.v));
        list.v[list.n++] = dk_xstrdup(v);
    }
    if (ok && list.n == 0 && !cidrs) {
        report(L, node, path, "must name at least one pipeline");
        ok = false;
    }
    if (!ok) {
        dk_config_strlist_free(&list);
        return;
    }
    dk_config_strlist_free(dk_config_field(L->cfg, k));
    *(struct dk_strlist *)dk_config_field(L->cfg, k) = list;
}

static void load_pairs(struct loader *L, const struct config_key *k,
                       yaml_node_t *node, const char *path)
{
    struct dk_pairs *p = dk_config_field(L->cfg, k);

    if (is_null(node))
        return;
    if (node->type != YAML_MAPPING_NODE) {
        report(L, node, path, "expected a mapping, like {claim: C}");
        return;
    }
    dk_config_pairs_free(p);
    for (yaml_node_pair_t *it = node->data.mapping.pairs.start;
         it < node->data.mapping.pairs.top; it++) {
        yaml_node_t *key = yaml_document_get_node(L->doc, it->key);
        yaml_node_t *val = yaml_document_get_node(L->doc, it->value);
        if (!key || !val || key->type != YAML_SCALAR_NODE ||
            val->type != YAML_SCALAR_NODE) {
            report(L, key ? key : node, path, "expected name: value pairs");
            continue;
        }
        p->key = dk_xrealloc(p->key, (p->n + 1) * sizeof(*p->key));
        p->value = dk_xrealloc(p->value, (p->n + 1) * sizeof(*p->value));
        p->line = dk_xrealloc(p->line, (p->n + 1) * sizeof(*p->line));
        p->column = dk_xrealloc(p->column, (p->n + 1) * sizeof(*p->column));
        p->key[p->n] = dk_xstrdup((const char *)key->data.scalar.value);
        p->value[p->n] = dk_xstrdup((const char *)val->data.scalar.value);
        p->line[p->n] = (unsigned)key->start_mark.line + 1;
        p->column[p->n] = (unsigned)key->start_mark.column + 1;
        p->n++;
    }
}

static void load_value(struct loader *L, const struct config_key *k,
                       yaml_node_t *node, const char *path)
{
    char buf[256];
    const char *text, *bad;

    if (k->type == KEY_NAMES || k->type == KEY_CIDRS) {
        load_names(L, k, node, path);
        return;
    }
    if (k->type == KEY_PAIRS) {
        load_pairs(L, k, node, path);
        return;
    }
    if (node->type != YAML_SCALAR_NODE) {
        report(L, node, path, "expected a single value, not a %s",
               node->type == YAML_MAPPING_NODE ? "mapping" : "list");
        return;
    }
    text = (const char *)node->data.scalar.value;
    if (strlen(text) != node->data.scalar.length) {
        report(L, node, path, "contains a NUL character");
        return;
    }
    if (is_null(node)) {
        if (k->type != KEY_STR && k->type != KEY_ADDR &&
            k->type != KEY_DOMAIN) {
            report(L, node, path, "needs a value");
            return;
        }
        text = "";
    }
    bad = dk_config_convert(L->cfg, k, text, buf, sizeof(buf));
    if (bad)
        report(L, node, path, "%s", bad);
}

static void load_mapping(struct loader *L, yaml_node_t *map, const char *prefix)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *key = yaml_document_get_node(L->doc, p->key);
        yaml_node_t *val = yaml_document_get_node(L->doc, p->value);
        const struct config_key *k;
        const char *name;
        char path[256];
        bool dup = false;

        if (!key || !val)
            continue;
        if (key->type != YAML_SCALAR_NODE) {
            report(L, key, prefix[0] ? prefix : NULL,
                   "keys must be plain names");
            continue;
        }
        name = (const char *)key->data.scalar.value;
        snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "",
                 name);
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *other = yaml_document_get_node(L->doc, q->key);
            if (other && other->type == YAML_SCALAR_NODE &&
                strcmp((const char *)other->data.scalar.value, name) == 0)
                dup = true;
        }
        if (dup) {
            report(L, key, path, "duplicate key");
            continue;
        }
        if ((k = dk_config_find_key(path)) != NULL) {
            load_value(L, k, val, path);
            if (!strcmp(path, "portal.sso.jwt_public_key_file"))
                L->jwt_key = val;
            if (!strcmp(path, "portal.languages") ||
                !strcmp(path, "portal.default_language"))
                L->languages = val;
            if (!strncmp(path, "portal.oidc.", 12))
                L->oidc = val;
            if (!strncmp(path, "portal.saml.", 12))
                L->saml = val;
        } else if (dk_config_is_section(path)) {
            if (val->type == YAML_MAPPING_NODE)
                load_mapping(L, val, path);
            else if (!is_null(val))
                report(L, val, path, "expected a mapping of keys");
        } else {
            report(L, key, path, "unknown key");
        }
    }
}

int dk_config_load_buffer(struct dk_config *cfg, const char *name,
                          const char *data, size_t len, struct dk_diag *diag)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    struct loader L = {name, &doc, cfg, diag, 0, NULL, NULL, NULL, NULL};
    yaml_node_t *root;
    int rc = 0;

    dk_config_defaults(cfg);
    if (!yaml_parser_initialize(&parser)) {
        dk_diag_add(diag, "%s: out of memory", name);
        return DK_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    if (!yaml_parser_load(&parser, &doc)) {
        dk_diag_add(
            diag, "%s:%zu:%zu: invalid YAML: %s%s%s", name,
            parser.problem_mark.line + 1, parser.problem_mark.column + 1,
            parser.problem ? parser.problem : "syntax error",
            parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return DK_EINVAL;
    }
    root = yaml_document_get_root_node(&doc);
    if (root && !is_null(root)) {
        if (root->type == YAML_MAPPING_NODE)
            load_mapping(&L, root, "");
        else
            report(&L, root, NULL, "expected a mapping of keys at the top");
    }
    /* Two ways to check one token would make the algorithm the token's
     * choice: exactly one may be set. */
    if (cfg->portal.sso.jwt_secret[0] && cfg->portal.sso.jwt_public_key_file[0])
        report(&L, L.jwt_key, "portal.sso.jwt_public_key_file",
               "set either portal.sso.jwt_secret (HS256) or "
               "portal.sso.jwt_public_key_file (RS256), not both");
    check_languages(&L, cfg);
    check_sign_in(&L, cfg);
    /* A second document would be silently ignored: say so instead. */
    if (yaml_parser_load(&parser, &extra)) {
        if (yaml_document_get_root_node(&extra)) {
            dk_diag_add(diag, "%s:%zu:%zu: only one YAML document is allowed",
                        name, extra.start_mark.line + 1,
                        extra.start_mark.column + 1);
            L.nerrors++;
        }
        yaml_document_delete(&extra);
    } else {
        dk_diag_add(diag, "%s:%zu:%zu: invalid YAML: %s", name,
                    parser.problem_mark.line + 1,
                    parser.problem_mark.column + 1,
                    parser.problem ? parser.problem : "syntax error");
        L.nerrors++;
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (L.nerrors) {
        /* Nothing half-loaded: back to the defaults. */
        dk_config_cleanup(cfg);
        dk_config_defaults(cfg);
        rc = DK_EINVAL;
    }
    return rc;
}

int dk_config_load(struct dk_config *cfg, const char *path,
                   struct dk_diag *diag)
{
    FILE *fp = fopen(path, "rb");
    struct dk_buf data = DK_BUF_INIT(16 * MIB);
    size_t n;
    int rc;

    if (!fp) {
        dk_config_defaults(cfg);
        dk_diag_add(diag, "%s: could not open: %s", path, strerror(errno));
        return DK_EFAIL;
    }
    do {
        if (!dk_buf_reserve(&data, 4096)) {
            fclose(fp);
            dk_buf_free(&data);
            dk_config_defaults(cfg);
            dk_diag_add(diag, "%s: file is larger than 16 MiB", path);
            return DK_ETOOBIG;
        }
        n = fread(dk_buf_tail(&data), 1, dk_buf_room(&data), fp);
        dk_buf_commit(&data, n);
    } while (n > 0);
    if (ferror(fp)) {
        fclose(fp);
        dk_buf_free(&data);
        dk_config_defaults(cfg);
        dk_diag_add(diag, "%s: could not read: %s", path, strerror(errno));
        return DK_EFAIL;
    }
    fclose(fp);
    rc = dk_config_load_buffer(cfg, path, data.data ? data.data : "", data.len,
                               diag);
    dk_buf_free(&data);
    return rc;
}

/* Only languages with a catalogue, and the default one of them: a page
 * must never be in a language the portal was not set to speak. */
static void check_languages(struct loader *L, const struct dk_config *cfg)
{
    const struct dk_strlist *l = &cfg->portal.languages;
    bool has_default = false;
    size_t j;

    for (size_t i = 0; i < l->n; i++) {
        for (j = 0; dk_languages[j] && strcmp(dk_languages[j], l->v[i]); j++)
            ;
        if (!dk_languages[j])
            report(L, L->languages, "portal.languages",
                   "%s: not a language the portal has (en, nb, nl)", l->v[i]);
        if ((int)j == cfg->portal.default_language)
            has_default = true;
    }
    if (!has_default)
        report(L, L->languages, "portal.default_language",
               "%s is not one of portal.languages",
               dk_languages[cfg->portal.default_language]);
}

/* A way in that is half set up would fail at the first sign-in, in front
 * of a school's staff: say so at start-up instead. */
static void check_sign_in(struct loader *L, const struct dk_config *cfg)
{
    const char *const oidc[] = {cfg->portal.oidc.client_id,
                                cfg->portal.oidc.client_secret};
    const char *const oidc_names[] = {"client_id", "client_secret"};
    const char *const saml[] = {cfg->portal.saml.sp_key_file,
                                cfg->portal.saml.sp_cert_file};
    const char *const saml_names[] = {"sp_key_file", "sp_cert_file"};

    if (L->oidc && cfg->portal.oidc.issuer[0]) {
        for (size_t i = 0; i < 2; i++)
            if (!oidc[i][0])
                report(L, L->oidc, "portal.oidc", "%s is needed with an issuer",
                       oidc_names[i]);
    } else if (L->oidc && cfg->portal.oidc.client_id[0]) {
        report(L, L->oidc, "portal.oidc", "issuer is needed with a client_id");
    }
    if (L->saml && cfg->portal.saml.idp_metadata[0]) {
        for (size_t i = 0; i < 2; i++)
            if (!saml[i][0])
                report(L, L->saml, "portal.saml",
                       "%s is needed with idp_metadata", saml_names[i]);
    } else if (L->saml && (saml[0][0] || saml[1][0])) {
        report(L, L->saml, "portal.saml",
               "idp_metadata is needed with the service provider's key");
    }
}
