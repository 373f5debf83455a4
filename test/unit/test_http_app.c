/*
 * test_http_app.c - the HTTP layer with an application (http_set_app), as
 * the portal will use it, over real sockets on a real loop: a body echoed,
 * pipelined requests answered in order, 100 Continue, a body refused by
 * body_chunk (its data freed, handle never called), a body over the
 * limit, a 20 MiB response and its HEAD, an exchange held while its
 * client goes (gone, then http_respond() only frees), and one held over
 * http_close() (answered after the close, freed; no leak under ASan).
 *
 * The client is a thread with blocking sockets; the loop runs in the main
 * thread and talks to it through two atomic counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core.h"
#include "dk_buf.h"
#include "http.h"

#define BIG (20 * 1024 * 1024)

static struct {
    int port;
    struct http *http;
    uv_timer_t timer;
    int handled, chunk_freed, held_freed;
    struct http_exchange *held;
    atomic_int holding; /* /hold requests handed to the app */
    bool closed;
    atomic_int step;    /* the client's: what the loop should do next */
    atomic_int reached; /* the loop's: what it has done */
} t;

struct result {
    char what[80];
    bool ok;
};
static struct result results[64];
static int nresults;

static pthread_mutex_t results_lock = PTHREAD_MUTEX_INITIALIZER;

static void check(bool ok, const char *what)
{
    pthread_mutex_lock(&results_lock);
    snprintf(results[nresults].what, sizeof(results[0].what), "%s", what);
    results[nresults++].ok = ok;
    pthread_mutex_unlock(&results_lock);
}

/* ---- the application ----------------------------------------------------- */

static size_t app_body_limit(void *arg, const struct http_request *r)
{
    (void)arg;
    return strcmp(r->path, "/small") == 0 ? 10 : 1024 * 1024;
}

static void count_free(void *data)
{
    (*(int *)data)++;
}

static int app_body_chunk(void *arg, struct http_exchange *x,
                          const struct http_request *r, const char *data,
                          size_t len)
{
    (void)arg;
    (void)r;
    /* Set once per exchange: a second set does not free the first. */
    if (!http_exchange_data(x))
        http_exchange_set_data(x, &t.chunk_freed, count_free);
    return memchr(data, '!', len) ? 413 : 0;
}

static void app_handle(void *arg, struct http_exchange *x,
                       const struct http_request *r)
{
    struct dk_buf headers = DK_BUF_INIT(0), body = DK_BUF_INIT(0);

    (void)arg;
    t.handled++;
    if (strcmp(r->path, "/hold") == 0) {
        http_exchange_set_data(x, &t.held_freed, count_free);
        t.held = x;
        atomic_fetch_add(&t.holding, 1);
        return;
    }
    if (strcmp(r->path, "/big") == 0) {
        dk_buf_reserve(&body, BIG);
        memset(dk_buf_tail(&body), 'z', BIG);
        dk_buf_commit(&body, BIG);
    } else {
        dk_buf_printf(&body, "%s?%s %s cookie=%s", r->path, r->query, r->body,
                      r->cookie ? r->cookie : "-");
    }
    dk_buf_adds(&headers, "X-Test: 1\r\n");
    http_respond(x, 200, "text/plain", &headers, &body);
}

/* The client's steps, done on the loop. */
static void timer_cb(uv_timer_t *timer)
{
    int step = atomic_load(&t.step);

    (void)timer;
    if (step == 1 && t.held && http_exchange_gone(t.held)) {
        /* The client went: answering only frees. */
        http_respond(t.held, 200, "text/plain", NULL, NULL);
        t.held = NULL;
        atomic_store(&t.reached, 1);
    } else if (step == 2 && t.held && !t.closed) {
        http_close(t.http);
        t.closed = true;
        check(http_exchange_gone(t.held),
              "http_close(): a held exchange is gone");
    } else if (step == 2 && t.closed && t.held) {
        struct dk_buf body = DK_BUF_INIT(0);
        dk_buf_adds(&body, "late");
        http_respond(t.held, 200, "text/plain", NULL, &body);
        check(body.len == 0, "http_respond() takes the body even when gone");
        t.held = NULL;
        uv_close((uv_handle_t *)&t.timer, NULL);
        atomic_store(&t.reached, 2);
    }
}

/* ---- the client ---------------------------------------------------------- */

static int dial(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    struct timeval tv = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_port = htons((uint16_t)t.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void say(int fd, const char *s)
{
    size_t n = strlen(s);
    if (write(fd, s, n) != (ssize_t)n)
        check(false, "write");
}

/* Read one response: its status, headers into head, body into body. */
static int response(int fd, struct dk_buf *in, char *head, size_t headsize,
                    struct dk_buf *body, bool is_head)
{
    char tmp[65536], *end;
    size_t clen = 0, hlen;
    const char *cl;
    int status;
    ssize_t n;

    while (!in->data || !(end = strstr(in->data, "\r\n\r\n"))) {
        if ((n = read(fd, tmp, sizeof(tmp))) <= 0)
            return -1;
        dk_buf_add(in, tmp, (size_t)n);
    }
    hlen = (size_t)(end - in->data) + 4;
    snprintf(head, headsize, "%.*s", (int)hlen, in->data);
    status = atoi(in->data + 9);
    if (!is_head && (cl = strstr(head, "Content-Length: ")))
        clen = strtoul(cl + 16, NULL, 10);
    dk_buf_consume(in, hlen);
    while (in->len < clen) {
        if ((n = read(fd, tmp, sizeof(tmp))) <= 0)
            return -1;
        dk_buf_add(in, tmp, (size_t)n);
    }
    dk_buf_reset(body, false);
    dk_buf_add(body, in->data, clen);
    dk_buf_consume(in, clen);
    return status;
}

static bool closed_by_server(int fd)
{
    char ch;
    return read(fd, &ch, 1) <= 0;
}

static void wait_reached(int n)
{
    for (int i = 0; i < 1000 && atomic_load(&t.reached) < n; i++)
        usleep(10000);
}

static void *client(void *arg)
{
    struct dk_buf in = DK_BUF_INIT(0), body = DK_BUF_INIT(0);
    char head[4096];
    int fd, st, st2;

    (void)arg;
    fd = dial();
    say(fd, "POST /echo?a=1 HTTP/1.1\r\nHost: h\r\nCookie: x=1\r\n"
            "Cookie: y=2\r\nContent-Length: 5\r\n\r\nhello");
    st = response(fd, &in, head, sizeof(head), &body, false);
    check(st == 200 && strstr(head, "X-Test: 1\r\n") &&
              strstr(head, "Connection: keep-alive\r\n") && body.data &&
              strcmp(body.data, "/echo?a=1 hello cookie=x=1; y=2") == 0,
          "POST: path, query, body and the joined cookies reach the app");
    say(fd, "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
            "GET /echo?b HTTP/1.1\r\n\r\n");
    st = response(fd, &in, head, sizeof(head), &body, false);
    check(st == 200 && strcmp(body.data, "/echo? abc cookie=-") == 0,
          "pipelined: the POST answered first");
    st = response(fd, &in, head, sizeof(head), &body, false);
    check(st == 200 && strcmp(body.data, "/echo?b  cookie=-") == 0,
          "pipelined: then the GET");

    say(fd, "POST /up HTTP/1.1\r\nExpect: 100-continue\r\n"
            "Content-Length: 4\r\n\r\n");
    st = response(fd, &in, head, sizeof(head), &body, false);
    check(st == 100, "Expect: 100-continue within the limit: 100 first");
    say(fd, "wxyz");
    st = response(fd, &in, head, sizeof(head), &body, false);
    check(st == 200 && strcmp(body.data, "/up? wxyz cookie=-") == 0,
          "  ...then the answer to the body");

    say(fd, "GET /big HTTP/1.1\r\n\r\n");
    st = response(fd, &in, head, sizeof(head), &body, false);
    check(st == 200 && body.len == BIG && body.data[BIG - 1] == 'z',
          "a 20 MiB response arrives whole");
    say(fd, "HEAD /big HTTP/1.1\r\n\r\n");
    st = response(fd, &in, head, sizeof(head), &body, true);
    check(st == 200 && strstr(head, "Content-Length: 20971520\r\n"),
          "HEAD: the length of the body, not the body");
    say(fd, "GET /echo HTTP/1.1\r\n\r\n");
    st = response(fd, &in, head, sizeof(head), &body, false);
    check(st == 200 && body.len > 0, "  ...and the connection goes on");
    close(fd);

    fd = dial();
    dk_buf_reset(&in, false);
    say(fd, "POST /up HTTP/1.1\r\nContent-Length: 6\r\n\r\nab!def");
    st = response(fd, &in, head, sizeof(head), &body, false);
    check(st == 413 && strstr(head, "Connection: close\r\n") &&
              closed_by_server(fd),
          "a body the app's body_chunk refuses: its status, then close");
    close(fd);

    fd = dial();
    dk_buf_reset(&in, false);
    say(fd, "POST /small HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
    st = response(fd, &in, head, sizeof(head), &body, false);
    check(st == 413, "a Content-Length over the app's limit: 413 at once");
    close(fd);

    /* Held while the client goes (a reset: a half close would still be
     * answered). */
    fd = dial();
    say(fd, "GET /hold HTTP/1.1\r\n\r\n");
    for (int i = 0; i < 500 && atomic_load(&t.holding) < 1; i++)
        usleep(10000);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0},
               sizeof(struct linger));
    close(fd);
    atomic_store(&t.step, 1);
    wait_reached(1);

    /* Held over http_close(). */
    fd = dial();
    dk_buf_reset(&in, false);
    say(fd, "GET /hold HTTP/1.1\r\n\r\n");
    for (int i = 0; i < 500 && atomic_load(&t.holding) < 2; i++)
        usleep(10000);
    atomic_store(&t.step, 2);
    st2 = response(fd, &in, head, sizeof(head), &body, false);
    check(st2 == -1, "http_close(): the held exchange's client is closed");
    wait_reached(2);
    close(fd);
    dk_buf_free(&in);
    dk_buf_free(&body);
    return NULL;
}

static int free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    getsockname(fd, (struct sockaddr *)&sa, &len);
    port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static void test_http__an_application_over_real_sockets(void **state)
{
    static struct dk_config cfg;
    uv_loop_t loop;
    struct core core = {0};
    const struct http_app app = {app_body_limit, app_body_chunk, app_handle,
                                 NULL, NULL};
    char addr[64];
    pthread_t th;

    (void)state;
    assert_int_equal(uv_loop_init(&loop), 0);
    core.loop = &loop;
    dk_config_defaults(&cfg); /* the connection caps */
    core.cfg = &cfg;
    t.port = free_port();
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", t.port);
    t.http = http_new(&core);
    http_set_app(t.http, &app);
    assert_int_equal(http_listen(t.http, addr), 0);
    uv_timer_init(&loop, &t.timer);
    uv_timer_start(&t.timer, timer_cb, 10, 10);
    assert_int_equal(pthread_create(&th, NULL, client, NULL), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    pthread_join(th, NULL);
    http_free(t.http);
    dk_config_cleanup(&cfg);
    assert_int_equal(uv_loop_close(&loop), 0);

    for (int i = 0; i < nresults; i++) {
        if (!results[i].ok)
            fprintf(stderr, "failed: %s\n", results[i].what);
    }
    for (int i = 0; i < nresults; i++)
        assert_true(results[i].ok);
    assert_int_equal(nresults, 13);
    /* Four bodies: three answered, one refused; each one's data freed. */
    assert_int_equal(t.chunk_freed, 4);
    assert_int_equal(t.held_freed, 2);
    assert_int_equal(t.handled, 9); /* never for a refused body */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http__an_application_over_real_sockets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
