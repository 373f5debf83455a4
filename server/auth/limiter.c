/*
 * limiter.c - the failed-login counts of limiter.h, in a fixed table.
 */
#include "limiter.h"
#include "dk_config.h"
#include "dk_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_SLOTS 1024

struct limit_slot {
    char key[96];
    int failures;
    uint64_t until_ms; /* refused until then */
    uint64_t last_ms;
};

struct limiter {
    const struct dk_config *cfg;
    struct limit_slot slots[LIMIT_SLOTS];
};

struct limiter *limiter_new(const struct dk_config *cfg)
{
    struct limiter *l = dk_xcalloc(1, sizeof(*l));

    l->cfg = cfg;
    return l;
}

void limiter_free(struct limiter *l)
{
    free(l);
}

static struct limit_slot *find(struct limiter *l, const char *key, bool create)
{
    struct limit_slot *oldest = &l->slots[0];

    for (int i = 0; i < LIMIT_SLOTS; i++) {
        if (strcmp(l->slots[i].key, key) == 0)
            return &l->slots[i];
        if (l->slots[i].last_ms < oldest->last_ms)
            oldest = &l->slots[i];
    }
    if (!create)
        return NULL;
    memset(oldest, 0, sizeof(*oldest));
    snprintf(oldest->key, sizeof(oldest->key), "%s", key);
    return oldest;
}

long limiter_wait(struct limiter *l, const char *key, uint64_t now_ms)
{
    struct limit_slot *s = find(l, key, false);

    if (!s || s->until_ms <= now_ms)
        return 0;
    return (long)((s->until_ms - now_ms + 999) / 1000);
}

void limiter_fail(struct limiter *l, const char *key, uint64_t now_ms)
{
    struct limit_slot *s = find(l, key, true);
    uint64_t window = (uint64_t)l->cfg->session.login_lockout * 1000;

    if (now_ms - s->last_ms > window)
        s->failures = 0; /* old failures are forgiven */
    s->last_ms = now_ms;
    if (++s->failures >= l->cfg->session.max_login_failures)
        s->until_ms = now_ms + window;
}

void limiter_clear(struct limiter *l, const char *key)
{
    struct limit_slot *s = find(l, key, false);

    if (s)
        memset(s, 0, sizeof(*s));
}
