/*
 * limiter.c - keys and queries of the login limiter (limiter.h).
 */
#include "limiter.h"
#include "db.h"
#include "dk_config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

const char *limiter_address(const char *peer, bool is_unix, char *buf,
                            size_t size)
{
    const char *colon = strrchr(peer, ':');
    char host[INET6_ADDRSTRLEN + 2];
    unsigned char a[16];
    size_t n;

    if (is_unix || !colon)
        return NULL;
    n = (size_t)(colon - peer);
    if (n >= sizeof(host))
        return NULL;
    memcpy(host, peer, n);
    host[n] = '\0';
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    if (inet_pton(AF_INET, host, a) == 1)
        return inet_ntop(AF_INET, a, buf, (socklen_t)size);
    if (inet_pton(AF_INET6, host, a) != 1)
        return NULL;
    /* ::ffff:a.b.c.d is an IPv4 peer on a dual-stack socket. */
    if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
        return inet_ntop(AF_INET, a + 12, buf, (socklen_t)size);
    /* One IPv6 subscriber usually has a whole /64: count them as one. */
    memset(a + 8, 0, 8);
    if (!inet_ntop(AF_INET6, a, buf, (socklen_t)size) || strlen(buf) + 4 > size)
        return NULL;
    strcat(buf, "/64");
    return buf;
}

/* login_begin() with the account given by the SQL expression account_sql
 * over $1. */
static struct db_query *begin(const struct dk_config *cfg,
                              const char *account_sql, const char *account,
                              const char *address)
{
    char sql[256];
    struct db_query *q;

    snprintf(sql, sizeof(sql),
             "SELECT attempt, wait_s FROM login_begin(%s, $2, $3::int, "
             "$4::int, $5::int, make_interval(secs => $6::bigint))",
             account_sql);
    q = db_query_new(sql, 6);
    db_param(q, 0, account);
    db_param(q, 1, address);
    db_param_ll(q, 2, cfg->session.max_login_failures);
    db_param_ll(q, 3, cfg->session.max_account_failures);
    db_param_ll(q, 4, cfg->session.max_address_failures);
    db_param_ll(q, 5, cfg->session.login_lockout);
    return q;
}

struct db_query *limiter_begin(const struct dk_config *cfg, const char *account,
                               const char *address)
{
    return begin(cfg, "$1", account, address);
}

struct db_query *limiter_begin_contact(const struct dk_config *cfg,
                                       const char *email, const char *address)
{
    /* Lower-cased by the database, as portal_login_find() compares: every
     * spelling that reaches the contact counts against one account (a C
     * fold of A-Z alone misses the rest of Unicode: K, U+212A, is k). */
    return begin(cfg, "'contact:' || lower($1)", email, address);
}

struct db_query *limiter_end(long long attempt, bool ok)
{
    struct db_query *q = db_query_new("SELECT login_end($1, $2)", 2);

    db_param_ll(q, 0, attempt);
    db_param_bool(q, 1, ok);
    return q;
}

struct db_query *limiter_resume_wait(const struct dk_config *cfg,
                                     const char *address)
{
    struct db_query *q = db_query_new("SELECT login_resume_wait($1, $2::int, "
                                      "make_interval(secs => $3::bigint))",
                                      3);

    db_param(q, 0, address);
    db_param_ll(q, 1, cfg->session.max_address_failures);
    db_param_ll(q, 2, cfg->session.login_lockout);
    return q;
}

struct db_query *limiter_failed(const char *account, const char *address)
{
    struct db_query *q = db_query_new("SELECT login_failed($1, $2)", 2);

    db_param(q, 0, account);
    db_param(q, 1, address);
    return q;
}

struct db_query *limiter_sweep(void)
{
    /* session.login_lockout is at most a day (dk_config.c). */
    return db_query_new("SELECT login_sweep(interval '1 day')", 0);
}
