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
#include <stdio.h>

struct core;
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

/* Counters for nmethods request methods, named by method_at(i) and
 * found by method_index(name) (-1 for none): the JSON-RPC table's. */
struct metrics *metrics_new(size_t nmethods, const char *(*method_at)(size_t),
                            int (*method_index)(const char *));
void metrics_free(struct metrics *m);

/* A request was answered: method NULL for one that could not be parsed,
 * code 0 for a result, elapsed in nanoseconds. */
void metrics_request(struct metrics *m, const char *method, int code,
                     uint64_t elapsed_ns);
void metrics_accepted(struct metrics *m);
/* An email was sent, or given up on. */
void metrics_mail(struct metrics *m, bool sent);

/* The whole exposition, malloc'ed; st may be NULL (database not asked). */
/* Gauges of a module above core (connections, sessions, ...): render
 * prints them at every scrape, with metrics_help() before each. */
void metrics_add_source(struct metrics *m, void (*render)(FILE *fp, void *arg),
                        void *arg);
void metrics_help(FILE *fp, const char *name, const char *type,
                  const char *text);
/* A label value, escaped as the format requires. */
void metrics_label(FILE *fp, const char *s);

char *metrics_render(const struct metrics *m, const struct core *core,
                     const struct metrics_db *st, size_t *len);

#endif
