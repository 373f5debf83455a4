/*
 * load.c - docketd load generator: many JSON-RPC connections on one libuv
 * loop, speaking through the same client library as docket.  Each mode
 * measures one figure of SPEC section 13 and prints one line of results:
 *
 *   load claims  SERVER TOKENS SECONDS   writes/s: each connection claims
 *                                        and unclaims its own ticket
 *   load fanout  SERVER TOKENS WRITES    a change reaching every subscriber:
 *                                        p50/p99/max after the writer's ack;
 *                                        the subscribers are spread over one
 *                                        process per core (see fanout_fork)
 *                                        and time a push when it is read
 *                                        (see fanout_line)
 *   load idle    SERVER TOKENS PID       RSS of docketd (PID) with every
 *                                        connection logged in and idle
 *   load views   SERVER TOKENS N         tickets.view latency per view
 *
 * TOKENS is a file of "token ticket-id" lines, one per connection: the
 * sessions are made in SQL beforehand (logins would measure Argon2id).
 */
#include "dk_client.h"
#include "dk_mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct bconn {
    struct dk_client *cl;
    struct bench *b;
    char token[128];
    long long ticket;
    int version;
    bool ready, claimed;
    bool writer;       /* fanout: the one connection that writes */
    long long seen;    /* fanout: events received */
    long long scanned; /* fanout: pushes read without parsing */
    int index;         /* fanout: which subscriber, to stagger samples */
};

struct bench {
    uv_loop_t *loop;
    const char *mode;
    struct bconn *c;
    int n, ready, stopped;
    int connecting, next_connect; /* connects are paced: see connect_more */
    uint64_t start, deadline;
    long long writes, errors;
    /* fanout */
    int writes_wanted, writes_done;
    struct fanout_shm *shm; /* shared with the other receiving processes */
    struct recv *recv;      /* this process's deliveries, in shm */
    size_t nrecv, caprecv;
    int subs;               /* subscribers in this process */
    bool scanning;          /* pushes are scanned, not parsed (fanout_line) */
    struct sample *samples; /* scanned lines kept to check after the run */
    size_t nsamples, capsamples;
    uv_timer_t deadline_timer; /* a run that stalls fails, not hangs */
    long long ticket;          /* the writer's ticket */
    uv_timer_t wait_timer;     /* the writer waits for every process */
    /* views */
    int view, reps, rep, warm;
    double *view_ms;
    uv_timer_t timer;
};

#define VIEW_WARMUP 10 /* calls of each view before those measured */

static const char *const views[] = {
    "my_open",     "unassigned", "waiting_on_graphics",
    "my_graphics", "open",       "closed"};

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    return a < b ? -1 : a > b;
}

static double pct(double *v, size_t n, double p)
{
    size_t i;

    if (n == 0)
        return 0;
    i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static void stop(struct bench *b)
{
    uv_stop(b->loop);
}

/* ---- claims ------------------------------------------------------------ */

static void claim_next(struct bconn *c);

static void claim_done(struct dk_client *cl, json_t *result, json_t *error,
                       void *arg)
{
    struct bconn *c = arg;
    struct bench *b = c->b;

    if (error) {
        b->errors++;
    } else {
        b->writes++;
        c->claimed = !c->claimed;
    }
    if (uv_now(b->loop) < b->deadline)
        claim_next(c);
    else if (++b->stopped == b->n) /* every connection has stopped */
        stop(b);
}

static void claim_next(struct bconn *c)
{
    dk_client_call(c->cl, c->claimed ? "tickets.unclaim" : "tickets.claim",
                   json_pack("{s:I}", "id", (json_int_t)c->ticket), claim_done,
                   c);
}

/* ---- fanout ------------------------------------------------------------- */

/*
 * A thousand clients are a thousand processes on as many machines; in one
 * process on one loop, reading and parsing a thousand pushes one after
 * another is what the last of them waits for (about 10 ms here, five times
 * what docketd takes to write them).  So the subscribers are spread over
 * one process per core, forked before any connection is made; each records
 * (write, time received) in shared memory, the writer's process records
 * when each write's answer came, and the latencies are worked out at the
 * end from the one monotonic clock they share.
 */
struct recv {
    uint32_t version;
    uint64_t ns;
};

struct fanout_shm {
    atomic_int ready; /* processes whose subscribers are all subscribed */
    int procs;
    uint64_t *ack_ns; /* per write (by version): when its answer came */
    struct recv *recv[64];
    size_t cap[64], n[64];
};

static void fanout_write(struct bench *b);

static void fanout_written(struct dk_client *cl, json_t *result, json_t *error,
                           void *arg)
{
    struct bench *b = arg;
    long long v = json_integer_value(json_object_get(result, "version"));

    if (error || v <= 0 || v >= b->writes_wanted + 2) {
        b->errors++;
        return;
    }
    b->shm->ack_ns[v] = uv_hrtime();
}

/* One write every 20 ms: a busy team, not a flood. */
static void fanout_tick(uv_timer_t *t)
{
    struct bench *b = t->data;

    if (b->writes_done >= b->writes_wanted) {
        uv_timer_stop(t);
        return;
    }
    fanout_write(b);
}

static void fanout_write(struct bench *b)
{
    struct bconn *w = &b->c[0];

    b->writes_done++;
    dk_client_call(w->cl, w->claimed ? "tickets.unclaim" : "tickets.claim",
                   json_pack("{s:I}", "id", (json_int_t)w->ticket),
                   fanout_written, b);
    w->claimed = !w->claimed;
}

static void fanout_record(struct bconn *c, long long id, long long v,
                          uint64_t now)
{
    struct bench *b = c->b;

    if (id != b->ticket || v <= 1 || v >= b->writes_wanted + 2 ||
        b->nrecv == b->caprecv)
        return;
    b->recv[b->nrecv].version = (uint32_t)v;
    b->recv[b->nrecv].ns = now;
    b->nrecv++;
    if (++c->seen == b->writes_wanted &&
        b->nrecv == (size_t)b->writes_wanted * (size_t)b->subs)
        stop(b);
}

static void fanout_push(struct bconn *c, json_t *params)
{
    json_t *t = json_object_get(params, "ticket");
    long long id = json_integer_value(json_object_get(t, "id"));

    /* With the scan on, a push of the measured ticket that comes here is
     * one the scan could not read: it would be timed after its parse,
     * the old way, without saying so. */
    if (c->b->scanning && id == c->b->ticket) {
        fprintf(stderr, "load: a push the scan could not read\n");
        c->b->errors++;
        stop(c->b);
        return;
    }
    fanout_record(c, id, json_integer_value(json_object_get(t, "version")),
                  uv_hrtime());
}

/* A number where p points, before end; false if there is none. */
static bool scan_number(const char *p, const char *end, long long *v)
{
    char *q;

    if (p >= end || !isdigit((unsigned char)*p))
        return false;
    *v = strtoll(p, &q, 10); /* stops at the line's '\n' at the latest */
    return q <= end;
}

/*
 * The ticket's id and version in an event's line as docketd writes it,
 * jsonb's text: "ticket": {"id": N, ...} is the last key of params (jsonb
 * orders keys by length, then bytes), so its last occurrence is the one,
 * and its "version" the only key of that name after it.  No string can
 * hold either needle: jsonb writes a quote in a string as \".  False when
 * the line is not of that shape.
 */
static bool scan_event(const char *line, size_t len, long long *id,
                       long long *version)
{
    static const char ev[] = "\"event\",\"params\":",
                      tk[] = "\"ticket\": {\"id\": ", vk[] = "\"version\": ";
    const char *end = line + len, *p, *t = NULL;

    if (!(p = memmem(line, len, ev, sizeof(ev) - 1)))
        return false;
    while ((p = memmem(p, (size_t)(end - p), tk, sizeof(tk) - 1))) {
        t = p;
        p += sizeof(tk) - 1;
    }
    if (!t || !scan_number(t + sizeof(tk) - 1, end, id))
        return false;
    p = memmem(t, (size_t)(end - t), vk, sizeof(vk) - 1);
    return p && scan_number(p + sizeof(vk) - 1, end, version);
}

/* A scanned line kept whole, with what the scan read from it. */
struct sample {
    char *line;
    size_t len;
    long long id, version;
};

/* After the run: each kept line, parsed, says what its scan said. */
static void fanout_check_samples(struct bench *b)
{
    for (size_t i = 0; i < b->nsamples; i++) {
        struct sample *m = &b->samples[i];
        json_t *msg = json_loadb(m->line, m->len, 0, NULL);
        json_t *t = json_object_get(json_object_get(msg, "params"), "ticket");
        if (json_integer_value(json_object_get(t, "id")) != m->id ||
            json_integer_value(json_object_get(t, "version")) != m->version) {
            fprintf(stderr, "load: a push scanned wrong: %.*s\n", (int)m->len,
                    m->line);
            b->errors++;
        }
        json_decref(msg);
        free(m->line);
    }
    free(b->samples);
    b->samples = NULL;
    b->nsamples = 0;
}

/*
 * A subscriber's push, timed when its line is read.  Each of the thousand
 * clients would parse its pushes on its own machine; here they share the
 * server's two cores, and a jansson parse of a 630-byte push costs about
 * 9 us (json_loadb in a loop, this machine, 2026-12-04), so parsing them
 * all is 9 ms of the clients' CPU a write, about 4.5 ms in each of two
 * receiving processes, ahead of the last push.  So a push is read, timed
 * and scanned for the two numbers; every 64th (staggered over the
 * subscribers) is kept and parsed after the run, and must agree
 * (DOCKET_BENCH_PARSE=1 parses every one, as docket does).
 */
static bool fanout_line(struct dk_client *cl, const char *line, size_t len,
                        void *arg)
{
    struct bconn *c = arg;
    struct bench *b = c->b;
    uint64_t now = uv_hrtime();
    long long id, v;

    (void)cl;
    if (c->writer) /* its own pushes are not measured: not parsed either */
        return true;
    if (!scan_event(line, len, &id, &v))
        return false;
    if ((++c->scanned + c->index) % 64 == 0 && b->nsamples < b->capsamples) {
        struct sample *m = &b->samples[b->nsamples++];
        m->line = dk_xmalloc(len);
        memcpy(m->line, line, len);
        m->len = len;
        m->id = id;
        m->version = v;
    }
    fanout_record(c, id, v, now);
    return true;
}

/* Every push should long have come: fail the run rather than wait. */
static void fanout_deadline(uv_timer_t *t)
{
    struct bench *b = t->data;

    fprintf(stderr, "load: fanout: %zu of %zu pushes in this process\n",
            b->nrecv, (size_t)b->writes_wanted * (size_t)b->subs);
    b->errors++;
    stop(b);
}

/* The writer starts once every process's subscribers are subscribed. */
static void fanout_wait(uv_timer_t *t)
{
    struct bench *b = t->data;

    if (atomic_load(&b->shm->ready) < b->shm->procs)
        return;
    uv_timer_stop(t);
    uv_timer_init(b->loop, &b->timer);
    b->timer.data = b;
    uv_timer_start(&b->timer, fanout_tick, 100, 20);
}

/*
 * Split the connections over procs processes: this one keeps the writer
 * (connection 0) and every procs-th subscriber, each child its share.
 * Returns the index of this process (0: the writer's).
 */
static int fanout_fork(struct bench *b, int procs)
{
    size_t subs = (size_t)b->n - 1, per = subs / (size_t)procs + 1;
    size_t bytes =
        sizeof(struct fanout_shm) +
        ((size_t)b->writes_wanted + 2) * sizeof(uint64_t) +
        (size_t)procs * per * (size_t)b->writes_wanted * sizeof(struct recv);
    struct fanout_shm *shm = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char *at;
    int k = 0, kept = 0;

    if (shm == MAP_FAILED) {
        fprintf(stderr, "load: mmap: %s\n", strerror(errno));
        exit(1);
    }
    shm->procs = procs;
    at = (char *)(shm + 1);
    shm->ack_ns = (uint64_t *)at;
    at += ((size_t)b->writes_wanted + 2) * sizeof(uint64_t);
    for (int p = 0; p < procs; p++) {
        shm->recv[p] = (struct recv *)at;
        shm->cap[p] = per * (size_t)b->writes_wanted;
        at += shm->cap[p] * sizeof(struct recv);
    }
    b->shm = shm;
    b->ticket = b->c[0].ticket;
    fflush(stdout);
    for (int p = 1; p < procs; p++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "load: fork: %s\n", strerror(errno));
            exit(1);
        }
        if (pid == 0) {
            k = p;
            break;
        }
    }
    /* Keep this process's share; the writer stays first, in process 0. */
    for (int i = 0; i < b->n; i++)
        if ((i == 0 && k == 0) || (i > 0 && (i - 1) % procs == k))
            b->c[kept++] = b->c[i];
    b->c[0].writer = k == 0;
    b->n = kept;
    b->subs = k == 0 ? kept - 1 : kept;
    b->recv = shm->recv[k];
    b->caprecv = shm->cap[k];
    return k;
}

/* In process 0, after the others have ended: the latencies, sorted; and
 * for each write when its first and its last push arrived (sorted, one
 * per write), which tells docketd's share from the receivers'. */
static double *fanout_latencies(struct bench *b, size_t *n, double **first,
                                double **last, size_t *heard)
{
    struct fanout_shm *shm = b->shm;
    size_t total = 0, m = 0, writes = (size_t)b->writes_wanted + 2;
    double *ms, *lo = dk_xcalloc(writes, sizeof(double)),
                *hi = dk_xcalloc(writes, sizeof(double));

    for (size_t v = 0; v < writes; v++)
        lo[v] = -1;
    for (int p = 0; p < shm->procs; p++)
        total += shm->n[p];
    ms = dk_xcalloc(total ? total : 1, sizeof(double));
    for (int p = 0; p < shm->procs; p++)
        for (size_t i = 0; i < shm->n[p]; i++) {
            const struct recv *r = &shm->recv[p][i];
            uint64_t ack = shm->ack_ns[r->version];
            /* The push may overtake the writer's own answer: count 0. */
            double x = ack && r->ns > ack ? (double)(r->ns - ack) / 1e6 : 0.0;
            ms[m++] = x;
            if (lo[r->version] < 0 || x < lo[r->version])
                lo[r->version] = x;
            if (x > hi[r->version])
                hi[r->version] = x;
        }
    qsort(ms, m, sizeof(double), cmp_double);
    /* Versions 2 .. writes+1 are the writes; one nobody heard is left
     * out (the deliveries' count shows it). */
    *heard = 0;
    for (size_t v = 2; v < writes; v++)
        if (lo[v] >= 0) {
            lo[*heard] = lo[v];
            hi[(*heard)++] = hi[v];
        }
    qsort(lo, *heard, sizeof(double), cmp_double);
    qsort(hi, *heard, sizeof(double), cmp_double);
    *n = m;
    *first = lo;
    *last = hi;
    return ms;
}

/* ---- views ----------------------------------------------------------------
 */

static void view_next(struct bench *b);

static void view_done(struct dk_client *cl, json_t *result, json_t *error,
                      void *arg)
{
    struct bench *b = arg;

    if (error)
        b->errors++;
    /* The first few of each view are not counted: they prepare the
     * statement on the pool's connections, which a server that has run
     * for a while has long done (the portal's bench does the same). */
    if (b->warm < VIEW_WARMUP) {
        b->warm++;
        view_next(b);
        return;
    }
    b->view_ms[b->rep++] = (double)(uv_hrtime() - b->start) / 1e6;
    if (b->rep < b->reps) {
        view_next(b);
        return;
    }
    qsort(b->view_ms, (size_t)b->reps, sizeof(double), cmp_double);
    printf("view %-20s n=%d p50=%.2fms p99=%.2fms max=%.2fms rows=%zu\n",
           views[b->view], b->reps, pct(b->view_ms, (size_t)b->reps, 0.5),
           pct(b->view_ms, (size_t)b->reps, 0.99), b->view_ms[b->reps - 1],
           json_array_size(json_object_get(result, "tickets")));
    fflush(stdout);
    if (++b->view == 6) {
        stop(b);
        return;
    }
    b->rep = 0;
    b->warm = 0;
    view_next(b);
}

static void view_next(struct bench *b)
{
    b->start = uv_hrtime();
    dk_client_call(b->c[0].cl, "tickets.view",
                   json_pack("{s:s, s:i}", "view", views[b->view], "limit", 50),
                   view_done, b);
}

/* ---- set-up ---------------------------------------------------------------
 */

static void all_ready(struct bench *b)
{
    if (strcmp(b->mode, "claims") == 0) {
        b->deadline = uv_now(b->loop) + b->deadline;
        b->start = uv_hrtime();
        for (int i = 0; i < b->n; i++)
            claim_next(&b->c[i]);
    } else if (strcmp(b->mode, "fanout") == 0) {
        atomic_fetch_add(&b->shm->ready, 1);
        if (b->c[0].writer) {
            uv_timer_init(b->loop, &b->wait_timer);
            b->wait_timer.data = b;
            uv_timer_start(&b->wait_timer, fanout_wait, 10, 10);
        }
    } else if (strcmp(b->mode, "views") == 0) {
        view_next(b);
    } else {
        stop(b); /* idle: measured once everyone is in */
    }
}

static void subscribed(struct dk_client *cl, json_t *result, json_t *error,
                       void *arg)
{
    struct bconn *c = arg;

    if (error) {
        fprintf(stderr, "load: subscribe failed\n");
        exit(1);
    }
    if (++c->b->ready == c->b->n)
        all_ready(c->b);
}

static void resumed(struct dk_client *cl, json_t *result, json_t *error,
                    void *arg)
{
    struct bconn *c = arg;

    if (error) {
        fprintf(stderr, "load: session.resume failed: %s\n",
                json_string_value(json_object_get(error, "message")));
        exit(1);
    }
    if (strcmp(c->b->mode, "fanout") == 0 || strcmp(c->b->mode, "idle") == 0)
        dk_client_call(cl, "events.subscribe", json_object(), subscribed, c);
    else
        subscribed(cl, json_object(), NULL, c);
}

/*
 * Connect at most 128 at a time: thousands of simultaneous connects
 * overflow the server's listen backlog (EAGAIN on a Unix socket), which
 * measures the kernel, not docketd.
 */
static void connect_more(struct bench *b)
{
    while (b->connecting < 128 && b->next_connect < b->n) {
        b->connecting++;
        dk_client_connect(b->c[b->next_connect++].cl);
    }
}

static void retry_cb(uv_timer_t *t)
{
    struct bconn *c = t->data;

    uv_close((uv_handle_t *)t, (uv_close_cb)free);
    c->b->connecting++;
    dk_client_connect(c->cl);
}

static void on_state(struct dk_client *cl, enum dk_client_state st,
                     const char *why, void *arg)
{
    struct bconn *c = arg;
    struct bench *b = c->b;

    if (st == DK_CLIENT_UP) {
        b->connecting--;
        c->ready = true;
        connect_more(b);
        dk_client_call(cl, "session.resume",
                       json_pack("{s:s}", "token", c->token), resumed, c);
    } else if (st == DK_CLIENT_DOWN && !c->ready) {
        /* The backlog was full: try this one again shortly. */
        uv_timer_t *t = dk_xmalloc(sizeof(*t));
        b->connecting--;
        uv_timer_init(b->loop, t);
        t->data = c;
        uv_timer_start(t, retry_cb, 20, 0);
    } else if (st == DK_CLIENT_DOWN) {
        fprintf(stderr, "load: connection lost: %s\n", why ? why : "?");
    }
}

static void on_push(struct dk_client *cl, const char *method, json_t *params,
                    void *arg)
{
    struct bconn *c = arg;

    if (strcmp(method, "event") == 0 && strcmp(c->b->mode, "fanout") == 0 &&
        !c->writer)
        fanout_push(c, params);
}

static long rss_kb(long pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *fp;

    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    if (!(fp = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof(line), fp))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(fp);
    return kb;
}

int main(int argc, char **argv)
{
    struct bench b = {0};
    struct rlimit rl;
    char line[256];
    FILE *fp;
    long arg;
    int proc = 0; /* fanout: which of its processes this is */

    if (argc != 5) {
        fprintf(stderr, "usage: load claims|fanout|idle|views SERVER TOKENS "
                        "SECONDS|WRITES|PID|N\n");
        return 2;
    }
    b.mode = argv[1];
    arg = atol(argv[4]);
    /* Thousands of connections need thousands of descriptors. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (!(fp = fopen(argv[3], "r"))) {
        fprintf(stderr, "load: %s: %s\n", argv[3], strerror(errno));
        return 1;
    }
    while (fgets(line, sizeof(line), fp)) {
        struct bconn *c;
        b.c = dk_xrealloc(b.c, (size_t)(b.n + 1) * sizeof(*b.c));
        c = &b.c[b.n++];
        memset(c, 0, sizeof(*c));
        c->b = &b;
        if (sscanf(line, "%127s %lld", c->token, &c->ticket) < 1)
            b.n--;
    }
    fclose(fp);
    if (strcmp(b.mode, "fanout") == 0) {
        /* One process per core, or DOCKET_BENCH_PROCS of them. */
        const char *procs = getenv("DOCKET_BENCH_PROCS");
        long cores = procs ? atol(procs) : sysconf(_SC_NPROCESSORS_ONLN);
        b.writes_wanted = (int)arg;
        if (b.n < 2) {
            fprintf(stderr, "load: fanout needs a writer and subscribers\n");
            return 2;
        }
        if (cores > b.n - 1)
            cores = b.n - 1;
        const char *parse = getenv("DOCKET_BENCH_PARSE");
        proc = fanout_fork(&b, cores < 1 ? 1 : cores > 64 ? 64 : (int)cores);
        b.scanning = !(parse && strcmp(parse, "1") == 0);
        b.capsamples = b.caprecv / 64 + (size_t)b.n;
        b.samples = dk_xcalloc(b.capsamples, sizeof(*b.samples));
    }
    /* After the fork: each process its own loop (an epoll set is not
     * to be shared). */
    b.loop = uv_default_loop();
    for (int i = 0; i < b.n; i++) {
        b.c[i].cl = dk_client_new(b.loop, argv[2], on_push, on_state, &b.c[i]);
        if (!b.c[i].cl) {
            fprintf(stderr, "load: bad server %s\n", argv[2]);
            return 2;
        }
        b.c[i].index = i;
        if (b.scanning)
            dk_client_set_line_cb(b.c[i].cl, fanout_line);
    }
    connect_more(&b);
    if (strcmp(b.mode, "fanout") == 0) {
        /* A minute to connect and subscribe, then the writes' 20 ms each
         * twice over. */
        uv_timer_init(b.loop, &b.deadline_timer);
        b.deadline_timer.data = &b;
        uv_timer_start(&b.deadline_timer, fanout_deadline,
                       60000 + 40 * (uint64_t)b.writes_wanted, 0);
    }
    if (strcmp(b.mode, "claims") == 0) {
        b.deadline = (uint64_t)arg * 1000; /* made absolute when all ready */
    } else if (strcmp(b.mode, "views") == 0) {
        b.reps = (int)arg;
        b.view_ms = dk_xcalloc((size_t)arg, sizeof(double));
    }
    uv_run(b.loop, UV_RUN_DEFAULT);

    if (strcmp(b.mode, "claims") == 0) {
        double secs = (double)(uv_hrtime() - b.start) / 1e9;
        printf("claims connections=%d writes=%lld errors=%lld seconds=%.2f "
               "writes_per_s=%.0f\n",
               b.n, b.writes, b.errors, secs, (double)b.writes / secs);
    } else if (strcmp(b.mode, "fanout") == 0) {
        size_t n, subs = 0, w;
        double *ms, *first, *last;
        int status, failed = 0;

        fanout_check_samples(&b);
        b.shm->n[proc] = b.nrecv;
        if (proc > 0)
            _exit(b.errors ? 1 : 0);
        while (wait(&status) > 0)
            failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        for (int p = 0; p < b.shm->procs; p++)
            subs += b.shm->n[p];
        ms = fanout_latencies(&b, &n, &first, &last, &w);
        printf("fanout subscribers=%zu writes=%d deliveries=%zu processes=%d "
               "p50=%.2fms p99=%.2fms max=%.2fms first_p50=%.2fms "
               "last_p50=%.2fms errors=%lld\n",
               subs / (size_t)(b.writes_wanted ? b.writes_wanted : 1),
               b.writes_wanted, n, b.shm->procs, pct(ms, n, 0.5),
               pct(ms, n, 0.99), n ? ms[n - 1] : 0.0, pct(first, w, 0.5),
               pct(last, w, 0.5), b.errors + failed);
        b.errors += failed;
    } else if (strcmp(b.mode, "idle") == 0) {
        printf("idle connections=%d docketd_rss_kb=%ld\n", b.n, rss_kb(arg));
    }
    fflush(stdout);
    /* The process ends here; the kernel closes the connections. */
    _exit(b.errors ? 1 : 0);
}
