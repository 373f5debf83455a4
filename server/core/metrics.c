/*
 * metrics.c - request, connection and mail counters kept in fixed arrays
 * (methods come from rpc.c's table, codes from dk_rpc's, so label
 * sets stay bounded whatever clients send), rendered in the Prometheus
 * text exposition format, version 0.0.4.  The methods are whoever
 * registered them (the JSON-RPC layer's table); gauges of the layers
 * above come from the sources they add.
 */
#include "metrics.h"
#include "core.h"
#include "db.h"
#include "dk_mem.h"
#include "dk_rpc.h"
#include "feed.h"
#include "presence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DOCKET_VERSION
#define DOCKET_VERSION "0.1.0"
#endif

/* Error codes are counted by dk_rpc_code_index(); others as "other". */
#define MAX_CODES 16

/* Upper bounds in seconds; the +Inf bucket is the count. */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct method_stats {
    unsigned long long requests;
    unsigned long long errors[MAX_CODES + 1]; /* [MAX_CODES]: other codes */
    unsigned long long le[NBUCKETS];          /* cumulative when rendered */
    double seconds;
};

#define MAX_SOURCES 8

struct metrics {
    size_t nmethods; /* the table's, then "(unknown)", "(invalid)" */
    const char *(*method_at)(size_t i);
    int (*method_index)(const char *name);
    struct method_stats *methods;
    unsigned long long accepted, mail_sent, mail_failed;
    struct {
        void (*render)(FILE *fp, void *arg);
        void *arg;
    } sources[MAX_SOURCES];
    size_t nsources;
};

/*
 * The outbox's "oldest due" is how long the oldest email never tried has
 * been due (not_before), not how long ago it was queued: workflow steps
 * are queued days before they are due, and a retry moves not_before on,
 * so retries are counted apart.  Pending rows come from the sender's
 * partial index; failed ones are few.
 */
const char metrics_db_sql[] =
    "SELECT count(*),"
    "       count(*) FILTER (WHERE attempts > 0),"
    "       coalesce(extract(epoch FROM now() - min(not_before)"
    "                FILTER (WHERE attempts = 0 AND not_before <= now())), 0),"
    "       (SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL),"
    "       (SELECT count(*) FROM event WHERE seq IS NULL),"
    "       (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)"
    "          FROM event WHERE seq IS NULL)"
    "  FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL";

void metrics_db_parse(struct metrics_db *st,
                      const char *const cols[METRICS_DB_COLS])
{
    st->ok = true;
    st->outbox_pending = atoll(cols[0]);
    st->outbox_retrying = atoll(cols[1]);
    st->outbox_oldest_due_s = atof(cols[2]);
    st->outbox_failed = atoll(cols[3]);
    st->feed_unsequenced = atoll(cols[4]);
    st->feed_oldest_unsequenced_s = atof(cols[5]);
}

struct metrics *metrics_new(size_t nmethods, const char *(*method_at)(size_t),
                            int (*method_index)(const char *))
{
    struct metrics *m = dk_xcalloc(1, sizeof(*m));

    /* A new code in dk_rpc.c needs room here: fail at start, not later. */
    if (dk_rpc_code_count() > MAX_CODES)
        abort();
    m->method_at = method_at;
    m->method_index = method_index;
    m->nmethods = nmethods + 2;
    m->methods = dk_xcalloc(m->nmethods, sizeof(*m->methods));
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    free(m->methods);
    free(m);
}

static const char *method_label(const struct metrics *m, size_t i)
{
    if (i + 2 == m->nmethods)
        return "(unknown)";
    if (i + 1 == m->nmethods)
        return "(invalid)";
    return m->method_at(i);
}

void metrics_request(struct metrics *m, const char *method, int code,
                     uint64_t elapsed_ns)
{
    int i = method ? m->method_index(method) : -1;
    struct method_stats *s;
    double secs = (double)elapsed_ns / 1e9;

    if (!method)
        s = &m->methods[m->nmethods - 1];
    else if (i < 0)
        s = &m->methods[m->nmethods - 2];
    else
        s = &m->methods[i];
    s->requests++;
    s->seconds += secs;
    for (size_t b = 0; b < NBUCKETS; b++)
        if (secs <= buckets[b]) {
            s->le[b]++;
            break;
        }
    if (code != 0) {
        int c = dk_rpc_code_index(code);
        s->errors[c < 0 || c >= MAX_CODES ? MAX_CODES : c]++;
    }
}

void metrics_accepted(struct metrics *m)
{
    m->accepted++;
}

void metrics_mail(struct metrics *m, bool sent)
{
    if (sent)
        m->mail_sent++;
    else
        m->mail_failed++;
}

void metrics_add_source(struct metrics *m, void (*render)(FILE *fp, void *arg),
                        void *arg)
{
    /* Sources are the modules docketd is built of: a fixed few. */
    if (m->nsources == MAX_SOURCES)
        abort();
    m->sources[m->nsources].render = render;
    m->sources[m->nsources].arg = arg;
    m->nsources++;
}

void metrics_help(FILE *fp, const char *name, const char *type,
                  const char *text)
{
    fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* A label value: \, " and newline escaped, as the format requires. */
void metrics_label(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(fp, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", fp);
        else
            fputc(*s, fp);
    }
}

static void render_requests(FILE *fp, const struct metrics *m)
{
    metrics_help(fp, "docket_requests_total", "counter",
                 "JSON-RPC requests answered, by method.");
    for (size_t i = 0; i < m->nmethods; i++)
        if (m->methods[i].requests)
            fprintf(fp, "docket_requests_total{method=\"%s\"} %llu\n",
                    method_label(m, i), m->methods[i].requests);
    metrics_help(
        fp, "docket_request_errors_total", "counter",
        "JSON-RPC requests answered with an error, by method and code.");
    for (size_t i = 0; i < m->nmethods; i++)
        for (size_t c = 0; c <= MAX_CODES; c++) {
            if (!m->methods[i].errors[c])
                continue;
            fprintf(fp, "docket_request_errors_total{method=\"%s\",code=\"",
                    method_label(m, i));
            if (c < MAX_CODES)
                fprintf(fp, "%d", dk_rpc_code_at(c));
            else
                fputs("other", fp);
            fprintf(fp, "\"} %llu\n", m->methods[i].errors[c]);
        }
    metrics_help(
        fp, "docket_request_duration_seconds", "histogram",
        "Time from a request's line read to its answer queued, by method.");
    for (size_t i = 0; i < m->nmethods; i++) {
        const struct method_stats *s = &m->methods[i];
        unsigned long long cum = 0;
        if (!s->requests)
            continue;
        for (size_t b = 0; b < NBUCKETS; b++) {
            cum += s->le[b];
            fprintf(fp,
                    "docket_request_duration_seconds_bucket{method=\"%s\","
                    "le=\"%g\"} %llu\n",
                    method_label(m, i), buckets[b], cum);
        }
        fprintf(fp,
                "docket_request_duration_seconds_bucket{method=\"%s\","
                "le=\"+Inf\"} %llu\n",
                method_label(m, i), s->requests);
        fprintf(fp, "docket_request_duration_seconds_sum{method=\"%s\"} %.6f\n",
                method_label(m, i), s->seconds);
        fprintf(fp,
                "docket_request_duration_seconds_count{method=\"%s\"} %llu\n",
                method_label(m, i), s->requests);
    }
}

static void render_server(FILE *fp, const struct metrics *m,
                          const struct core *core)
{
    int up, size;
    size_t queued;

    metrics_help(fp, "docket_build_info", "gauge",
                 "Always 1; the version and instance name as labels.");
    fprintf(fp, "docket_build_info{version=\"%s\",instance=\"", DOCKET_VERSION);
    metrics_label(fp, core->instance);
    fputs("\"} 1\n", fp);
    metrics_help(fp, "docket_start_time_seconds", "gauge",
                 "When this docketd started, in seconds since the Unix epoch.");
    fprintf(fp, "docket_start_time_seconds %lld\n", (long long)core->started);
    metrics_help(fp, "docket_connections_accepted_total", "counter",
                 "JSON-RPC connections accepted since start.");
    fprintf(fp, "docket_connections_accepted_total %llu\n", m->accepted);

    db_stats(core->db, &up, &size, &queued);
    metrics_help(fp, "docket_db_pool_size", "gauge",
                 "Connections the database pool keeps (database.pool_size).");
    fprintf(fp, "docket_db_pool_size %d\n", size);
    metrics_help(fp, "docket_db_connections_up", "gauge",
                 "Pool connections currently connected.");
    fprintf(fp, "docket_db_connections_up %d\n", up);
    metrics_help(fp, "docket_db_queries_queued", "gauge",
                 "Queries waiting for a free pool connection.");
    fprintf(fp, "docket_db_queries_queued %zu\n", queued);
    metrics_help(fp, "docket_feed_head", "gauge",
                 "Newest change-feed seq this instance has pushed to clients.");
    fprintf(fp, "docket_feed_head %lld\n", feed_head(core->feed));
    metrics_help(
        fp, "docket_feed_sequencer", "gauge",
        "1 if this instance numbers the feed (holds the advisory lock).");
    fprintf(fp, "docket_feed_sequencer %d\n", feed_is_sequencer(core->feed));
    if (core->presence) {
        metrics_help(fp, "docket_presence_markers", "gauge",
                     "Presence markers this instance holds, heard from every "
                     "instance.");
        fprintf(fp, "docket_presence_markers %zu\n",
                presence_count(core->presence));
        metrics_help(fp, "docket_presence_dropped_total", "counter",
                     "Presence markers not kept: the caps were reached.");
        fprintf(fp, "docket_presence_dropped_total %llu\n",
                presence_dropped(core->presence));
    }
    metrics_help(fp, "docket_mail_sent_total", "counter",
                 "Emails this instance delivered to the SMTP server.");
    fprintf(fp, "docket_mail_sent_total %llu\n", m->mail_sent);
    metrics_help(
        fp, "docket_mail_failed_total", "counter",
        "Emails this instance gave up on (permanent error or last retry).");
    fprintf(fp, "docket_mail_failed_total %llu\n", m->mail_failed);
}

static void render_db(FILE *fp, const struct metrics_db *st)
{
    metrics_help(fp, "docket_db_up", "gauge",
                 "1 if the database answered this scrape's query.");
    fprintf(fp, "docket_db_up %d\n", st && st->ok);
    if (!st || !st->ok)
        return;
    metrics_help(fp, "docket_feed_unsequenced_events", "gauge",
                 "Committed changes not yet numbered for the feed.");
    fprintf(fp, "docket_feed_unsequenced_events %lld\n", st->feed_unsequenced);
    metrics_help(fp, "docket_feed_oldest_unsequenced_seconds", "gauge",
                 "Age of the oldest change not yet numbered: the feed's lag.");
    fprintf(fp, "docket_feed_oldest_unsequenced_seconds %.3f\n",
            st->feed_oldest_unsequenced_s);
    metrics_help(
        fp, "docket_outbox_pending", "gauge",
        "Emails waiting to be sent, retries and scheduled ones included.");
    fprintf(fp, "docket_outbox_pending %lld\n", st->outbox_pending);
    metrics_help(fp, "docket_outbox_failed", "gauge",
                 "Emails given up on, in the outbox table (all instances).");
    fprintf(fp, "docket_outbox_failed %lld\n", st->outbox_failed);
    metrics_help(fp, "docket_outbox_retrying", "gauge",
                 "Emails waiting to be tried again after a failed attempt.");
    fprintf(fp, "docket_outbox_retrying %lld\n", st->outbox_retrying);
    metrics_help(fp, "docket_outbox_oldest_due_seconds", "gauge",
                 "How long the oldest email not yet tried has been due: the "
                 "sender's lag.");
    fprintf(fp, "docket_outbox_oldest_due_seconds %.3f\n",
            st->outbox_oldest_due_s);
}

char *metrics_render(const struct metrics *m, const struct core *core,
                     const struct metrics_db *st, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *fp = open_memstream(&buf, &size);

    if (!fp)
        return NULL;
    render_server(fp, m, core);
    for (size_t i = 0; i < m->nsources; i++)
        m->sources[i].render(fp, m->sources[i].arg);
    render_db(fp, st);
    render_requests(fp, m);
    if (fclose(fp) != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}
