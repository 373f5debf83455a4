/*
 * core.h - what the layers above core/ are given: the loop, the
 * configuration and the core services of one docketd (database pool,
 * change feed and its hub, presence, outbox, metrics, systemd
 * notification).
 * main.c builds it; nothing in core/ knows who uses it.
 */
#ifndef CORE_H
#define CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "dk_config.h"

struct db;
struct feed;
struct hub;
struct metrics;
struct notify;
struct outbox;
struct presence;

struct core {
    uv_loop_t *loop;       /* borrowed: main()'s */
    struct dk_config *cfg; /* borrowed: main()'s; a reload changes it */
    const char *conninfo;  /* cfg's database.conninfo, its host resolved */
    struct db *db;
    struct feed *feed;
    struct hub *hub;
    struct outbox *outbox;
    struct presence *presence; /* who is on which ticket (presence.h) */
    struct metrics *metrics;
    struct notify *notify;
    char instance[64]; /* server.instance, or host:pid */
    time_t started;
    bool listening; /* every listener is up (systemd READY waits for it) */
    bool draining;  /* stopping: health checks say so */
    size_t clients; /* open client connections, kept by the transports */
};

/* Milliseconds of the loop's clock, for timeouts and rate limits. */
static inline uint64_t core_now_ms(const struct core *core)
{
    return uv_now(core->loop);
}

#endif
