/*
 * dk_config.c - the configuration's keys.  Every key is one row of
 * config_keys[]: its dotted path, type, place in struct dk_config, limits
 * and default.  Defaults are text parsed by the same converters as the
 * file, so a default can never be a value the file could not hold.
 * Reading the YAML file is dk_config_yaml.c's.
 */
#include "dk_config.h"
#include "dk_config_keys.h"
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

static const char *const log_levels[] = {"error", "warn", "info", "debug",
                                         NULL};
static const char *const accesses[] = {"list", "self_registration", NULL};
static const char *const visibilities[] = {"own", "company", NULL};
const char *const dk_languages[] = {"en", "nb", "nl", NULL};
static const char *const smtp_schemes[] = {"smtp://", "smtps://", NULL};
static const char *const http_schemes[] = {"http://", "https://", NULL};
/* An identity provider's keys and tokens come over TLS only. */
static const char *const https_schemes[] = {"https://", NULL};
static const char *const color_schemes[] = {"default", "mono", NULL};
static const char *const sender_choices[] = {"reject", "create", NULL};
static const char *const auth_choices[] = {"none", "spf", "dkim", "dmarc",
                                           NULL};
static const char *const starttls_choices[] = {"auto", "try", "require",
                                               "never", NULL};

#define OFF(field) offsetof(struct dk_config, field)

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
    {"server.socket_mode", KEY_MODE, OFF(server.socket_mode), 0, 0777, NULL,
     "0660"},
    {"server.socket_group", KEY_STR, OFF(server.socket_group), 0, 0, NULL, ""},
    {"server.ssh_gateway_user", KEY_STR, OFF(server.ssh_gateway_user), 0, 0,
     NULL, ""},
    {"server.max_unauthenticated", KEY_INT, OFF(server.max_unauthenticated), 1,
     1000000, NULL, "1000"},
    {"server.max_unauthenticated_per_address", KEY_INT,
     OFF(server.max_unauthenticated_per_address), 1, 1000000, NULL, "50"},
    {"server.login_deadline", KEY_DURATION, OFF(server.login_deadline), 1, 3600,
     NULL, "10s"},
    {"session.idle_timeout", KEY_DURATION, OFF(session.idle_timeout), 10,
     30 * 86400, NULL, "30m"},
    {"session.max_login_failures", KEY_INT, OFF(session.max_login_failures), 1,
     1000, NULL, "5"},
    {"session.login_lockout", KEY_DURATION, OFF(session.login_lockout), 1,
     86400, NULL, "5m"},
    {"session.max_account_failures", KEY_INT, OFF(session.max_account_failures),
     1, 100000, NULL, "20"},
    {"session.max_address_failures", KEY_INT, OFF(session.max_address_failures),
     1, 100000, NULL, "50"},
    {"session.presence_lapse", KEY_DURATION, OFF(session.presence_lapse), 1,
     300, NULL, "30s"},
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
    {"mail.reopen_within", KEY_DURATION, OFF(mail.reopen_within), 0,
     3650LL * 86400, NULL, "14d"},
    {"mail.require_auth", KEY_ENUM, OFF(mail.require_auth), 0, 0, auth_choices,
     "none"},
    {"mail.starttls", KEY_ENUM, OFF(mail.starttls), 0, 0, starttls_choices,
     "auto"},
    {"mail.message_id_domain", KEY_DOMAIN, OFF(mail.message_id_domain), 0, 0,
     NULL, ""},
    {"http.listen", KEY_ADDR, OFF(http.listen), 0, 0, NULL, "127.0.0.1:8080"},
    {"http.ops_allow", KEY_CIDRS, OFF(http.ops_allow), 0, 0, NULL,
     "127.0.0.0/8,::1/128"},
    {"http.max_connections", KEY_INT, OFF(http.max_connections), 16, 1000000,
     NULL, "1024"},
    {"http.max_connections_per_address", KEY_INT,
     OFF(http.max_connections_per_address), 1, 1000000, NULL, "64"},
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
    {"portal.languages", KEY_NAMES, OFF(portal.languages), 0, 0, NULL, "en"},
    {"portal.default_language", KEY_ENUM, OFF(portal.default_language), 0, 0,
     dk_languages, "en"},
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
    {"portal.sso.jwt_issuer", KEY_STR, OFF(portal.sso.jwt_issuer), 0, 0, NULL,
     ""},
    {"portal.oidc.issuer", KEY_URL, OFF(portal.oidc.issuer), 0, 0,
     https_schemes, ""},
    {"portal.oidc.client_id", KEY_STR, OFF(portal.oidc.client_id), 0, 0, NULL,
     ""},
    {"portal.oidc.client_secret", KEY_STR, OFF(portal.oidc.client_secret), 0, 0,
     NULL, ""},
    {"portal.oidc.ca_file", KEY_STR, OFF(portal.oidc.ca_file), 0, 0, NULL, ""},
    {"portal.oidc.button_text", KEY_STR, OFF(portal.oidc.button_text), 0, 0,
     NULL, "Sign in with your school account"},
    {"portal.saml.idp_metadata", KEY_STR, OFF(portal.saml.idp_metadata), 0, 0,
     NULL, ""},
    {"portal.saml.sp_key_file", KEY_STR, OFF(portal.saml.sp_key_file), 0, 0,
     NULL, ""},
    {"portal.saml.sp_cert_file", KEY_STR, OFF(portal.saml.sp_cert_file), 0, 0,
     NULL, ""},
    {"portal.saml.email_attribute", KEY_STR, OFF(portal.saml.email_attribute),
     0, 0, NULL, ""},
    {"portal.saml.button_text", KEY_STR, OFF(portal.saml.button_text), 0, 0,
     NULL, "Sign in with your school account (SAML)"},
    {"portal.max_upload_bytes", KEY_SIZE, OFF(portal.max_upload_bytes), 1024,
     50 * MIB, NULL, "20971520"},
    {"portal.stylesheet", KEY_STR, OFF(portal.stylesheet), 0, 0, NULL, ""},
    {"portal.logo", KEY_STR, OFF(portal.logo), 0, 0, NULL, ""},
    {"client.default_view", KEY_ENUM, OFF(client.default_view), 0, 0,
     dk_view_names, "my_open"},
    {"client.date_format", KEY_STR, OFF(client.date_format), 0, 0, NULL,
     "%Y-%m-%d %H:%M"},
    {"client.colors", KEY_ENUM, OFF(client.colors), 0, 0, color_schemes,
     "default"},
    {"client.keys", KEY_PAIRS, OFF(client.keys), 0, 0, NULL, ""},
    {"client.mouse", KEY_BOOL, OFF(client.mouse), 0, 0, NULL, "false"},
};

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

const struct config_key *dk_config_find_key(const char *path)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(config_keys[i].path, path) == 0)
            return &config_keys[i];
    return NULL;
}

/* True if some key lives below path (path is a section). */
bool dk_config_is_section(const char *path)
{
    size_t n = strlen(path);

    for (size_t i = 0; i < NKEYS; i++)
        if (strncmp(config_keys[i].path, path, n) == 0 &&
            config_keys[i].path[n] == '.')
            return true;
    return false;
}

void *dk_config_field(struct dk_config *cfg, const struct config_key *k)
{
    return (char *)cfg + k->off;
}

void dk_config_strlist_free(struct dk_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->n = 0;
    l->v = NULL;
}

void dk_config_pairs_free(struct dk_pairs *p)
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

bool dk_config_name_valid(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* A DNS name: labels of letters, digits and '-' (not at either end), at
 * most 63 each, joined by dots; 253 in all.  It goes into Message-ID
 * headers, so nothing else passes. */
static bool domain_valid(const char *s)
{
    size_t label = 0, n = strlen(s);

    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i <= n; i++) {
        char ch = s[i];
        if (ch == '.' || ch == '\0') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || (ch == '-' && label > 0)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
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

const char *dk_config_convert(struct dk_config *cfg, const struct config_key *k,
                              const char *text, char *buf, size_t bufsize)
{
    void *dst = dk_config_field(cfg, k);
    unsigned long long u;
    long long ll;
    int rc;

    switch (k->type) {
    case KEY_STR:
        free(*(char **)dst);
        *(char **)dst = dk_xstrdup(text);
        return NULL;
    case KEY_DOMAIN:
        if (*text && !domain_valid(text))
            return "expected a domain name, like \"mail.example.org\" (or "
                   "\"\" for the default)";
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
        /* A URL whose default is "" may be "": the feature is off. */
        if (!*text && !k->def[0]) {
            free(*(char **)dst);
            *(char **)dst = dk_xstrdup("");
            return NULL;
        }
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
    case KEY_MODE: {
        char *end;
        long mode = strtol(text, &end, 8);
        if (!*text || *end || text[0] == '-' || mode < 0 || mode > k->max)
            return "expected permission bits in octal, like \"0660\"";
        *(int *)dst = (int)mode;
        return NULL;
    }
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
        if (dk_duration_parse(text, "smhd", &ll) < 0)
            return "expected a duration: seconds, or a number with s, m, h or "
                   "d "
                   "(30s, 30m, 1h, 14d)";
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
        dk_config_pairs_free(dst);
        return NULL;
    case KEY_NAMES:
    case KEY_CIDRS: {
        /* Defaults only: comma-separated names or networks. */
        struct dk_strlist *l = dst;
        char *copy = dk_xstrdup(text), *save = NULL;
        dk_config_strlist_free(l);
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
        const char *bad = dk_config_convert(
            cfg, &config_keys[i], config_keys[i].def, buf, sizeof(buf));
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
        case KEY_DOMAIN:
            free(*(char **)dk_config_field(cfg, k));
            break;
        case KEY_NAMES:
        case KEY_CIDRS:
            dk_config_strlist_free(dk_config_field(cfg, k));
            break;
        case KEY_PAIRS:
            dk_config_pairs_free(dk_config_field(cfg, k));
            break;
        default:
            break;
        }
    }
    memset(cfg, 0, sizeof(*cfg));
}
