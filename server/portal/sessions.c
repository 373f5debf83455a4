/*
 * sessions.c - what this docketd remembers of contacts' sessions: a
 * session checked in PostgreSQL (portal_session_get()) is taken on trust
 * for CACHE_MS, so that a contact browsing costs one query a page, not
 * two.  Whatever ends sessions ends them in the database and says so on
 * NOTIFY docket_contact (session_end()); every docketd then forgets that
 * contact's sessions at once.  A session can outlive its end on another
 * instance only by that notice's way there, or by CACHE_MS when the
 * notice is lost (the feed's connection was down: then everything is
 * forgotten when it comes back), or when access changes without
 * session_end() (the list edited by hand).
 */
#include "portal_int.h"
#include "core.h"
#include "dk_mem.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 4096 /* a power of two */
#define CACHE_PROBE 8
#define CACHE_MS    5000

struct cached {
    unsigned char hash[DK_TOKEN_HASH_LEN];
    bool used;
    uint64_t until_ms;
    struct contact who; /* strings owned */
};

struct session_cache {
    struct cached slot[CACHE_SLOTS];
};

static void contact_free(struct contact *c)
{
    free(c->email);
    free(c->first_name);
    free(c->last_name);
    free(c->company_name);
    memset(c, 0, sizeof(*c));
}

static void contact_copy(struct contact *to, const struct contact *from)
{
    *to = *from;
    to->email = dk_xstrdup(from->email ? from->email : "");
    to->first_name = dk_xstrdup(from->first_name ? from->first_name : "");
    to->last_name = dk_xstrdup(from->last_name ? from->last_name : "");
    to->company_name = dk_xstrdup(from->company_name ? from->company_name : "");
}

/* Where hash would be: its first bytes are random already. */
static size_t home(const unsigned char *hash)
{
    size_t h;

    memcpy(&h, hash, sizeof(h));
    return h & (CACHE_SLOTS - 1);
}

static void drop(struct cached *e)
{
    contact_free(&e->who);
    e->used = false;
}

bool portal_cache_get(struct portal *p, const unsigned char *hash,
                      struct contact *out)
{
    uint64_t now = core_now_ms(p->core);
    size_t h = home(hash);

    if (!p->cache)
        return false;
    for (size_t i = 0; i < CACHE_PROBE; i++) {
        struct cached *e = &p->cache->slot[(h + i) & (CACHE_SLOTS - 1)];
        if (!e->used || memcmp(e->hash, hash, DK_TOKEN_HASH_LEN) != 0)
            continue;
        if (now >= e->until_ms) {
            drop(e);
            return false;
        }
        contact_copy(out, &e->who);
        return true;
    }
    return false;
}

void portal_cache_put(struct portal *p, const unsigned char *hash,
                      const struct contact *who, uint64_t gen)
{
    uint64_t now = core_now_ms(p->core);
    size_t h = home(hash);
    struct cached *victim = NULL;

    if (gen != p->cache_gen)
        return;

    if (!p->cache)
        p->cache = dk_xcalloc(1, sizeof(*p->cache));
    for (size_t i = 0; i < CACHE_PROBE; i++) {
        struct cached *e = &p->cache->slot[(h + i) & (CACHE_SLOTS - 1)];
        if (!e->used || now >= e->until_ms ||
            !memcmp(e->hash, hash, DK_TOKEN_HASH_LEN)) {
            victim = e;
            break;
        }
        if (!victim || e->until_ms < victim->until_ms)
            victim = e;
    }
    if (victim->used)
        drop(victim);
    memcpy(victim->hash, hash, DK_TOKEN_HASH_LEN);
    contact_copy(&victim->who, who);
    victim->until_ms = now + CACHE_MS;
    victim->used = true;
}

void portal_cache_forget(struct portal *p, long long contact_id)
{
    /* A check still in flight was answered before this forgetting: what
     * it brings back must not be remembered (portal_cache_put's gen). */
    p->cache_gen++;
    if (!p->cache)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        struct cached *e = &p->cache->slot[i];
        if (e->used && (contact_id == 0 || e->who.id == contact_id))
            drop(e);
    }
}

void portal_cache_free(struct portal *p)
{
    portal_cache_forget(p, 0);
    free(p->cache);
    p->cache = NULL;
}
