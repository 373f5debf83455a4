/*
 * dk_config.c - the configuration loader.  Every key is one row of
 * config_keys[]: its dotted path, type, place in struct dk_config, limits
 * and default.  Defaults are text parsed by the same converters as the
 * file, so a default can never be a value the file could not hold.
 * libyaml's document API keeps each node's line and column for messages.
 */
#include "dk_config.h"
#include "dk_buf.h"
#include "dk_views.h"
#include "dk_addr.h"
#include "dk_err.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "dk_text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

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
};

struct config_key {
    const char *path;
    enum key_type type;
    size_t off;
    long long min, max;
    const char *const *choices; /* NULL-terminated, for KEY_ENUM, KEY_URL */
    const char *def;            /* KEY_NAMES: comma-separated */
};

static const char *const log_levels[] = {"error", "warn", "info", "debug",
                                         NULL};
static const char *const accesses[] = {"list", "self_registration", NULL};
static const char *const visibilities[] = {"own", "company", NULL};
static const char *const smtp_schemes[] = {"smtp://", "smtps://", NULL};
static const char *const http_schemes[] = {"http://", "https://", NULL};
static const char *const color_schemes[] = {"default", "mono", NULL};
static const char *const sender_choices[] = {"reject", "create", NULL};
static const char *const starttls_choices[] = {"auto", "try", "require",
                                               "never", NULL};

#define OFF(field) offsetof(struct dk_config, field)
#define MIB        (1024LL * 1024)

static const struct config_key config_keys[] = {
    {"database.conninfo", KEY_STR, OFF(database.conninfo), 0, 0, NULL,
     "dbname=docket"},
    {"database.pool_size", KEY_INT, OFF(database.pool_size), 1, 100, NULL, "4"},
    {"server.socket", KEY_STR, OFF(server.socket), 0, 0, NULL,
     "/run/docket/docket.sock"},
    {"server.listen", KEY_ADDR, OFF(server.listen), 0, 0, NULL,
     "127.0.0.1:7878"},
    {"server.max_line_bytes", KEY_SIZE, OFF(server.max_line_bytes), 1024,
     256 * MIB, NULL, "1048576"},
    {"server.max_output_bytes", KEY_SIZE, OFF(server.max_output_bytes),
     64 * 1024, 1024 * MIB, NULL, "8388608"},
    {"server.instance", KEY_STR, OFF(server.instance), 0, 0, NULL, ""},
    {"session.idle_timeout", KEY_DURATION, OFF(session.idle_timeout), 10,
     30 * 86400, NULL, "30m"},
    {"session.max_login_failures", KEY_INT, OFF(session.max_login_failures), 1,
     1000, NULL, "5"},
    {"session.login_lockout", KEY_DURATION, OFF(session.login_lockout), 1,
     86400, NULL, "5m"},
    {"mail.smtp_url", KEY_URL, OFF(mail.smtp_url), 0, 0, smtp_schemes,
     "smtp://127.0.0.1:25"},
    {"mail.from", KEY_STR, OFF(mail.from), 0, 0, NULL,
     "Support <support@example.com>"},
    {"mail.send", KEY_BOOL, OFF(mail.send), 0, 0, NULL, "true"},
    {"mail.max_attempts", KEY_INT, OFF(mail.max_attempts), 1, 100, NULL, "8"},
    {"mail.retry_backoff", KEY_DURATION, OFF(mail.retry_backoff), 1, 86400,
     NULL, "30s"},
    {"mail.unknown_senders", KEY_ENUM, OFF(mail.unknown_senders), 0, 0,
     sender_choices, "reject"},
    {"mail.starttls", KEY_ENUM, OFF(mail.starttls), 0, 0, starttls_choices,
     "auto"},
    {"http.listen", KEY_ADDR, OFF(http.listen), 0, 0, NULL, "127.0.0.1:8080"},
    {"log.level", KEY_ENUM, OFF(log.level), 0, 0, log_levels, "info"},
    {"portal.enabled", KEY_BOOL, OFF(portal.enabled), 0, 0, NULL, "true"},
    {"portal.base_url", KEY_URL, OFF(portal.base_url), 0, 0, http_schemes,
     "http://127.0.0.1:8080"},
    {"portal.title", KEY_STR, OFF(portal.title), 0, 0, NULL, "Customer Portal"},
    {"portal.ticket_label", KEY_STR, OFF(portal.ticket_label), 0, 0, NULL,
     "Tickets"},
    {"portal.access", KEY_ENUM, OFF(portal.access), 0, 0, accesses, "list"},
    {"portal.access_list", KEY_STR, OFF(portal.access_list), 0, 0, NULL,
     "Authorized Portal Users"},
    {"portal.visibility", KEY_ENUM, OFF(portal.visibility), 0, 0, visibilities,
     "own"},
    {"portal.show_stage_names", KEY_BOOL, OFF(portal.show_stage_names), 0, 0,
     NULL, "false"},
    {"portal.pipelines", KEY_NAMES, OFF(portal.pipelines), 0, 0, NULL,
     "support,graphics"},
    {"portal.support_form.enabled", KEY_BOOL, OFF(portal.support_form.enabled),
     0, 0, NULL, "true"},
    {"portal.support_form.menu_text", KEY_STR,
     OFF(portal.support_form.menu_text), 0, 0, NULL, "Submit a request"},
    {"portal.support_form.header_text", KEY_STR,
     OFF(portal.support_form.header_text), 0, 0, NULL, "How can we help?"},
    {"portal.consent_text", KEY_STR, OFF(portal.consent_text), 0, 0, NULL,
     "We use your details to answer your requests."},
    {"portal.idle_timeout", KEY_DURATION, OFF(portal.idle_timeout), 10,
     30 * 86400, NULL, "30m"},
    {"portal.sso.jwt_secret", KEY_STR, OFF(portal.sso.jwt_secret), 0, 0, NULL,
     ""},
    {"portal.sso.jwt_public_key_file", KEY_STR,
     OFF(portal.sso.jwt_public_key_file), 0, 0, NULL, ""},
    {"portal.sso.jwt_audience", KEY_STR, OFF(portal.sso.jwt_audience), 0, 0,
     NULL, ""},
    {"client.default_view", KEY_ENUM, OFF(client.default_view), 0, 0,
     dk_view_names, "my_open"},
    {"client.date_format", KEY_STR, OFF(client.date_format), 0, 0, NULL,
     "%Y-%m-%d %H:%M"},
    {"client.colors", KEY_ENUM, OFF(client.colors), 0, 0, color_schemes,
     "default"},
    {"client.keys", KEY_PAIRS, OFF(client.keys), 0, 0, NULL, ""},
};

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

struct loader {
    const char *file;
    yaml_document_t *doc;
    struct dk_config *cfg;
    struct dk_diag *diag;
    size_t nerrors;
};

static void *field(struct dk_config *cfg, const struct config_key *k)
{
    return (char *)cfg + k->off;
}

static void strlist_free(struct dk_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->n = 0;
    l->v = NULL;
}

static void pairs_free(struct dk_pairs *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->key[i]);
        free(p->value[i]);
    }
    free(p->key);
    free(p->value);
    free(p->line);
    free(p->column);
    memset(p, 0, sizeof(*p));
}

static bool name_valid(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* HOST:PORT or [V6]:PORT, or "" for off; names are looked up at start. */
static bool addr_valid(const char *s)
{
    char host[256], err[300];
    unsigned port;

    return *s == '\0' ||
           dk_addr_split(s, host, sizeof(host), &port, err, sizeof(err)) == 0;
}

/*
 * Convert text to the key's type and store it.  Returns NULL, or what is
 * wrong with the value (a static string or one built into buf).
 */
static const char *convert(struct dk_config *cfg, const struct config_key *k,
                           const char *text, char *buf, size_t bufsize)
{
    void *dst = field(cfg, k);
    unsigned long long u;
    long long ll;
    int rc;

    switch (k->type) {
    case KEY_STR:
        free(*(char **)dst);
        *(char **)dst = dk_xstrdup(text);
        return NULL;
    case KEY_ADDR:
        if (!addr_valid(text))
            return "expected HOST:PORT (or \"\" to turn it off)";
        free(*(char **)dst);
        *(char **)dst = dk_xstrdup(text);
        return NULL;
    case KEY_URL:
        for (const char *const *c = k->choices; *c; c++) {
            if (strncmp(text, *c, strlen(*c)) == 0 &&
                text[strlen(*c)] != '\0') {
                free(*(char **)dst);
                *(char **)dst = dk_xstrdup(text);
                return NULL;
            }
        }
        snprintf(buf, bufsize, "expected a URL starting with %s%s%s",
                 k->choices[0], k->choices[1] ? " or " : "",
                 k->choices[1] ? k->choices[1] : "");
        return buf;
    case KEY_INT:
    case KEY_SIZE:
        rc = dk_uint_parse(text, (unsigned long long)k->max, &u);
        if (rc == DK_EINVAL)
            return k->type == KEY_SIZE ? "expected a size in bytes"
                                       : "expected a whole number";
        if (rc < 0 || u < (unsigned long long)k->min) {
            snprintf(buf, bufsize, "must be between %lld and %lld", k->min,
                     k->max);
            return buf;
        }
        if (k->type == KEY_INT)
            *(int *)dst = (int)u;
        else
            *(size_t *)dst = (size_t)u;
        return NULL;
    case KEY_DURATION:
        if (dk_duration_parse(text, "smh", &ll) < 0)
            return "expected a duration: seconds, or a number with s, m or h "
                   "(30s, 30m, 1h)";
        if (ll < k->min || ll > k->max) {
            snprintf(buf, bufsize, "must be between %lld and %lld seconds",
                     k->min, k->max);
            return buf;
        }
        *(long long *)dst = ll;
        return NULL;
    case KEY_BOOL:
        if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") ||
            !strcasecmp(text, "on")) {
            *(bool *)dst = true;
            return NULL;
        }
        if (!strcasecmp(text, "false") || !strcasecmp(text, "no") ||
            !strcasecmp(text, "off")) {
            *(bool *)dst = false;
            return NULL;
        }
        return "expected true or false";
    case KEY_ENUM: {
        size_t len = 0;
        for (int i = 0; k->choices[i]; i++) {
            if (strcmp(text, k->choices[i]) == 0) {
                *(int *)dst = i;
                return NULL;
            }
        }
        len = (size_t)snprintf(buf, bufsize, "must be one of:");
        for (int i = 0; k->choices[i] && len < bufsize; i++)
            len += (size_t)snprintf(buf + len, bufsize - len, "%s %s",
                                    i ? "," : "", k->choices[i]);
        return buf;
    }
    case KEY_PAIRS:
        /* Defaults only, and the default is empty. */
        pairs_free(dst);
        return NULL;
    case KEY_NAMES: {
        /* Defaults only: comma-separated names. */
        struct dk_strlist *l = dst;
        char *copy = dk_xstrdup(text), *save = NULL;
        strlist_free(l);
        for (char *t = strtok_r(copy, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            l->v = dk_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
            l->v[l->n++] = dk_xstrdup(t);
        }
        free(copy);
        return NULL;
    }
    }
    return "unsupported key type";
}

void dk_config_defaults(struct dk_config *cfg)
{
    char buf[256];

    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NKEYS; i++) {
        const char *bad =
            convert(cfg, &config_keys[i], config_keys[i].def, buf, sizeof(buf));
        /* A default that does not parse is a bug in the table. */
        if (bad) {
            fprintf(stderr, "bad default for %s: %s\n", config_keys[i].path,
                    bad);
            abort();
        }
    }
}

void dk_config_cleanup(struct dk_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < NKEYS; i++) {
        const struct config_key *k = &config_keys[i];
        switch (k->type) {
        case KEY_STR:
        case KEY_ADDR:
        case KEY_URL:
            free(*(char **)field(cfg, k));
            break;
        case KEY_NAMES:
            strlist_free(field(cfg, k));
            break;
        case KEY_PAIRS:
            pairs_free(field(cfg, k));
            break;
        default:
            break;
        }
    }
    memset(cfg, 0, sizeof(*cfg));
}

static void report(struct loader *L, const yaml_node_t *node, const char *path,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

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

static const struct config_key *find_key(const char *path)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(config_keys[i].path, path) == 0)
            return &config_keys[i];
    return NULL;
}

/* True if some key lives below path (path is a section). */
static bool is_section(const char *path)
{
    size_t n = strlen(path);

    for (size_t i = 0; i < NKEYS; i++)
        if (strncmp(config_keys[i].path, path, n) == 0 &&
            config_keys[i].path[n] == '.')
            return true;
    return false;
}

static void load_names(struct loader *L, const struct config_key *k,
                       yaml_node_t *node, const char *path)
{
    struct dk_strlist list = {0, NULL};
    bool ok = true;

    if (node->type != YAML_SEQUENCE_NODE) {
        report(L, node, path, "expected a list of names, like [support]");
        return;
    }
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(L->doc, *it);
        const char *v;
        if (!item || item->type != YAML_SCALAR_NODE) {
            report(L, item ? item : node, path, "expected a name");
            ok = false;
            continue;
        }
        v = (const char *)item->data.scalar.value;
        if (!name_valid(v)) {
            report(L, item, path,
                   "\"%s\" is not a name (lower-case letters, digits, _)", v);
            ok = false;
            continue;
        }
        list.v = dk_xrealloc(list.v, (list.n + 1) * sizeof(*list.v));
        list.v[list.n++] = dk_xstrdup(v);
    }
    if (ok && list.n == 0) {
        report(L, node, path, "must name at least one pipeline");
        ok = false;
    }
    if (!ok) {
        strlist_free(&list);
        return;
    }
    strlist_free(field(L->cfg, k));
    *(struct dk_strlist *)field(L->cfg, k) = list;
}

static void load_pairs(struct loader *L, const struct config_key *k,
                       yaml_node_t *node, const char *path)
{
    struct dk_pairs *p = field(L->cfg, k);

    if (is_null(node))
        return;
    if (node->type != YAML_MAPPING_NODE) {
        report(L, node, path, "expected a mapping, like {claim: C}");
        return;
    }
    pairs_free(p);
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

    if (k->type == KEY_NAMES) {
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
        if (k->type != KEY_STR && k->type != KEY_ADDR) {
            report(L, node, path, "needs a value");
            return;
        }
        text = "";
    }
    bad = convert(L->cfg, k, text, buf, sizeof(buf));
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
        if ((k = find_key(path)) != NULL) {
            load_value(L, k, val, path);
        } else if (is_section(path)) {
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
    struct loader L = {name, &doc, cfg, diag, 0};
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
