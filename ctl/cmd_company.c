/*
 * cmd_company.c - docketctl company add | list.
 */
#include "ctl.h"
#include "dk_text.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct company_opts {
    const char *website, *domain;
};

static int company_opt(struct ctl *c, int opt, const char *val, void *arg)
{
    struct company_opts *o = arg;

    if (opt == 'w')
        o->website = val;
    else if (opt == 'd')
        o->domain = val;
    return 0;
}

static bool website_valid(const char *s)
{
    const char *host;

    if (!strncmp(s, "https://", 8))
        host = s + 8;
    else if (!strncmp(s, "http://", 7))
        host = s + 7;
    else
        return false;
    if (!*host || *host == '/')
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return false;
    return true;
}

static bool domain_valid(const char *s)
{
    if (!*s || !strchr(s, '.'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '-'))
            return false;
    return true;
}

int ctl_company_add(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"website", required_argument, NULL, 'w'},
        {"domain", required_argument, NULL, 'd'},
        {0}};
    struct company_opts o = {0};
    char *pos[1], state[6], constraint[64], domain[256];
    const char *params[3];
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 1, company_opt, &o);

    if (n < 0)
        return 2;
    if (n < 1)
        return ctl_fail(c, "missing NAME\nusage: %s", argv[0]);
    dk_trim(pos[0]);
    if (!*pos[0] || strlen(pos[0]) > 200 ||
        !dk_utf8_valid(pos[0], strlen(pos[0])))
        return ctl_fail(c, "name must be 1 to 200 characters of UTF-8 text");
    if (o.website && !website_valid(o.website))
        return ctl_fail(c, "website \"%s\" is not an http:// or https:// URL",
                        o.website);
    if (o.domain && !domain_valid(o.domain))
        return ctl_fail(c, "domain \"%s\" is not a domain name", o.domain);
    /* Without --domain, the website's host is the company's domain. */
    if (!o.domain && o.website) {
        const char *h = strstr(o.website, "://") + 3;
        size_t len = strcspn(h, "/:?#");
        if (len < sizeof(domain)) {
            for (size_t i = 0; i < len; i++)
                domain[i] =
                    (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
            domain[len] = '\0';
            if (domain_valid(domain))
                o.domain = domain;
        }
    }
    params[0] = pos[0];
    params[1] = o.website;
    params[2] = o.domain;
    res = ctl_exec(c,
                   "INSERT INTO company (name, website, domain) "
                   "VALUES ($1, $2, $3)",
                   3, params, state, constraint);
    if (!res) {
        if (!strcmp(constraint, "company_name_key"))
            return ctl_fail(c, "company \"%s\" already exists", pos[0]);
        return ctl_fail(c, "could not add company \"%s\" (SQLSTATE %s)", pos[0],
                        state);
    }
    PQclear(res);
    return 0;
}

int ctl_company_list(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{0}};
    static const char *const headers[] = {"NAME", "WEBSITE", "DOMAIN",
                                          "CONTACTS"};
    char *pos[1];

    if (ctl_getopt(c, argc, argv, argv[0], opts, pos, 0, NULL, NULL) < 0)
        return 2;
    return ctl_print_query(c, headers,
                           "SELECT name, coalesce(website, '-'), "
                           "coalesce(domain, '-'), "
                           "(SELECT count(*) FROM contact t "
                           "  WHERE t.company_id = c.id) "
                           "FROM company c ORDER BY lower(name)",
                           0, NULL);
}
