/*
 * auth.c - the principals of auth.h: adopted, checked on each request,
 * forgotten, and ended when a member is disabled or a session logged out
 * on any docketd.  The logins themselves are login.c's.
 */
#include "auth.h"
#include "auth_int.h"
#include "core.h"
#include "db.h"
#include "dk_config.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "limiter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_MS 60000 /* old login attempts go, once a minute */

void auth_ignore_done(struct db_query *q, PGresult *res, void *arg)
{
    if (res && !db_ok(res))
        dk_log(DK_LOG_WARN, "%s: %s", (const char *)arg,
               PQresultErrorMessage(res));
}

static void sweep_cb(uv_timer_t *t)
{
    struct auth *a = t->data;

    db_submit(a->core->db, limiter_sweep(), auth_ignore_done,
              "could not sweep old login attempts");
}

struct auth *auth_new(struct core *core)
{
    struct auth *a = dk_xcalloc(1, sizeof(*a));

    a->core = core;
    /* Made at start-up, where blocking is allowed: a first login must
     * not hash on the loop. */
    if (dk_pass_hash("not a password", a->dummy_hash) != 0) {
        dk_log(DK_LOG_ERROR, "could not make the dummy password hash");
        abort();
    }
    uv_timer_init(core->loop, &a->sweep);
    a->sweep.data = a;
    uv_timer_start(&a->sweep, sweep_cb, SWEEP_MS, SWEEP_MS);
    uv_unref((uv_handle_t *)&a->sweep);
    return a;
}

void auth_free(struct auth *a)
{
    free(a);
}

/* ---- principals -------------------------------------------------------- */

void auth_adopt(struct auth *a, struct principal *p,
                const struct auth_result *r)
{
    p->staff_id = r->staff_id;
    p->session_id = r->session_id;
    p->roles = r->roles;
    snprintf(p->username, sizeof(p->username), "%s", r->username);
    p->last_request_ms = p->last_touch_ms = core_now_ms(a->core);
    if (p->listed)
        return;
    p->listed = true;
    p->prev = NULL;
    p->next = a->live;
    if (a->live)
        a->live->prev = p;
    a->live = p;
    a->nlive++;
}

void auth_forget(struct auth *a, struct principal *p)
{
    if (p->listed) {
        if (p->prev)
            p->prev->next = p->next;
        else
            a->live = p->next;
        if (p->next)
            p->next->prev = p->prev;
        p->prev = p->next = NULL;
        p->listed = false;
        a->nlive--;
    }
    p->staff_id = p->session_id = 0;
    p->roles = 0;
    p->username[0] = '\0';
}

void auth_end_staff(struct auth *a, long long staff_id, const char *why)
{
    for (struct principal *p = a->live, *next; p; p = next) {
        next = p->next;
        if (p->staff_id != staff_id)
            continue;
        auth_forget(a, p);
        if (p->ended)
            p->ended(p, why);
    }
}

void auth_end_session(struct auth *a, long long session_id, const char *why)
{
    for (struct principal *p = a->live, *next; p; p = next) {
        next = p->next;
        if (p->session_id != session_id)
            continue;
        auth_forget(a, p);
        if (p->ended)
            p->ended(p, why);
    }
}

size_t auth_count(const struct auth *a)
{
    return a->nlive;
}

bool auth_idle(const struct auth *a, const struct principal *p)
{
    return core_now_ms(a->core) - p->last_request_ms >
           (uint64_t)a->core->cfg->session.idle_timeout * 1000;
}

enum dk_outcome auth_check(struct auth *a, struct principal *p)
{
    uint64_t now = core_now_ms(a->core);
    struct db_query *q;

    if (!p->staff_id)
        return DK_OUT_NOT_LOGGED_IN;
    if (auth_idle(a, p)) {
        auth_forget(a, p);
        return DK_OUT_EXPIRED;
    }
    p->last_request_ms = now;
    /* last_seen_at only decides whether session.resume may still work, so
     * once a minute is plenty and costs no write per request. */
    if (!p->session_id || now - p->last_touch_ms < 60000)
        return DK_OUT_OK;
    p->last_touch_ms = now;
    q = db_query_new("UPDATE session SET last_seen_at = now() WHERE id = $1",
                     1);
    db_param_ll(q, 0, p->session_id);
    db_submit(a->core->db, q, auth_ignore_done,
              "could not record session activity");
    return DK_OUT_OK;
}
