/*
 * metrics.h - counters of this docketd (requests, errors and latency by
 * method, connections, mail) and their Prometheus text rendering for
 * GET /metrics, together with gauges read from the server and database.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct srv;
struct metrics;

/* What /metrics reads from the database at scrape time. */
struct metrics_db {
    bool ok; /* false: the query failed; these are left out */
    long long outbox_pending, outbox_failed, outbox_retrying;
    double outbox_oldest_due_s;
    long long feed_unsequenced;
    double feed_oldest_unsequenced_s;
};

/* The query that fills struct metrics_db: one row of METRICS_DB_COLS. */
#define METRICS_DB_COLS 6
extern const char metrics_db_sql[];
void metrics_db_parse(struct metrics_db *st,
                      const char *const cols[METRICS_DB_COLS]);

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* A request was answered: method NULL for one that could not be parsed,
 * code 0 for a result, elapsed in nanoseconds. */
void metrics_request(struct metrics *m, const char *method, int code,
                     uint64_t elapsed_ns);
void metrics_accepted(struct metrics *m);
/* An email was sent, or given up on. */
void metrics_mail(struct metrics *m, bool sent);

/* The whole exposition, malloc'ed; st may be NULL (database not asked). */
char *metrics_render(const struct metrics *m, const struct srv *srv,
                     const struct metrics_db *st, size_t *len);

#endif
