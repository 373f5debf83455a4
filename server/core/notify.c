/*
 * notify.c - the sd_notify(3) side of docketd.  One timer does both the
 * watchdog (a ping from the loop proves the loop is turning, which is
 * what a hung docketd would stop doing) and STATUS= refreshes, sent only
 * when the text changed.
 */
#include "notify.h"
#include "db.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "core.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <uv.h>

#define STATUS_MS 2000

struct notify {
    struct core *core; /* borrowed */
    uv_timer_t timer;
    bool enabled; /* $NOTIFY_SOCKET is set */
    bool ready, stopping;
    char status[256];
};

static void send_status(struct notify *n, bool watchdog)
{
    struct core *core = n->core;
    char status[256];
    int up, size;
    size_t queued;

    db_stats(core->db, &up, &size, &queued);
    if (core->draining)
        snprintf(status, sizeof(status), "Draining: %zu clients left",
                 core->clients);
    else if (up == 0)
        snprintf(status, sizeof(status),
                 "Waiting for the database; %zu clients", core->clients);
    else
        snprintf(status, sizeof(status),
                 "%zu clients; database up (%d of %d connections, %zu "
                 "queued)",
                 core->clients, up, size, queued);
    if (strcmp(status, n->status) != 0) {
        snprintf(n->status, sizeof(n->status), "%s", status);
        sd_notifyf(0, "STATUS=%s%s", status, watchdog ? "\nWATCHDOG=1" : "");
    } else if (watchdog) {
        sd_notify(0, "WATCHDOG=1");
    }
}

static void timer_cb(uv_timer_t *t)
{
    struct notify *n = t->data;

    send_status(n, true);
}

struct notify *notify_new(struct core *core)
{
    struct notify *n = dk_xcalloc(1, sizeof(*n));
    uint64_t usec = 0, every = STATUS_MS;
    const char *sock = getenv("NOTIFY_SOCKET");

    n->core = core;
    n->enabled = sock && *sock;
    uv_timer_init(core->loop, &n->timer);
    n->timer.data = n;
    if (!n->enabled)
        return n;
    /* Ping at half the watchdog interval, as sd_watchdog_enabled(3)
     * advises, so one late loop turn is not fatal. */
    if (sd_watchdog_enabled(0, &usec) > 0 && usec / 2000 < every)
        every = usec / 2000 ? usec / 2000 : 1;
    if (usec)
        dk_log(DK_LOG_INFO, "systemd watchdog: pinging every %llu ms",
               (unsigned long long)every);
    uv_timer_start(&n->timer, timer_cb, every, every);
    return n;
}

void notify_check_ready(struct notify *n)
{
    int up, size;
    size_t queued;

    if (!n || n->ready || n->stopping)
        return;
    db_stats(n->core->db, &up, &size, &queued);
    if (!n->core->listening || up == 0)
        return;
    n->ready = true;
    dk_log(DK_LOG_INFO, "ready");
    if (n->enabled) {
        sd_notify(0, "READY=1");
        send_status(n, false);
    }
}

void notify_reloading(struct notify *n)
{
    if (n->enabled)
        sd_notify(0, "RELOADING=1\nSTATUS=Reloading the configuration");
}

void notify_reloaded(struct notify *n)
{
    if (!n->enabled)
        return;
    n->status[0] = '\0'; /* the next STATUS= is sent whatever it says */
    sd_notify(0, n->ready ? "READY=1" : "STATUS=Reloaded");
    if (n->ready)
        send_status(n, false);
}

void notify_stopping(struct notify *n)
{
    n->stopping = true;
    if (n->enabled) {
        sd_notify(0, "STOPPING=1");
        send_status(n, false);
    }
}

void notify_free(struct notify *n)
{
    free(n);
}
