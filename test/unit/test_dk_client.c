/*
 * test_dk_client.c - the client library against a scripted server on a
 * real Unix socket and loop: replies reach their calls, pushes the push
 * callback, and the raw-line hook sees notifications only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dk_client.h"

/* What the scripted server writes once the client's request has come:
 * in two writes a little apart, split inside the first line; the line
 * that is only the notification prefix is no notification. */
static const char script[] =
    "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"seq\":1}}\n"
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"method\":\"not a push\"}}\n"
    "{\"jsonrpc\":\"2.0\",\"method\":\n"
    "{\"jsonrpc\":\"2.0\",\"method\":\"presence\",\"params\":{\"seq\":2}}\n"
    "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"seq\":3}}\n";
#define SPLIT 20 /* bytes of the first write */

struct fixture {
    uv_loop_t loop;
    uv_pipe_t server, peer;
    uv_timer_t pause;
    char dir[64], path[108];
    struct dk_client *cl;
    bool take_events;  /* the hook takes "event" lines */
    int lines, pushes; /* seen by the hook, by the push callback */
    long long push_seq[4];
    bool replied;
    char request[512];
    size_t request_len;
};

/* The script is out: hang up, which the client hears after every line. */
/* The script is out: hang up, which the client hears after every line. */
static void peer_written_cb(uv_write_t *w, int status)
{
    assert_int_equal(status, 0);
    uv_close((uv_handle_t *)w->handle, NULL);
    free(w);
}

static void first_written_cb(uv_write_t *w, int status)
{
    assert_int_equal(status, 0);
    free(w);
}

static void peer_write(struct fixture *f, const char *data, size_t len,
                       uv_write_cb cb)
{
    uv_write_t *w = malloc(sizeof(*w));
    uv_buf_t out = uv_buf_init((char *)data, (unsigned)len);

    assert_non_null(w);
    assert_int_equal(uv_write(w, (uv_stream_t *)&f->peer, &out, 1, cb), 0);
}

/* The rest of the script, after the client has read the first part. */
static void pause_cb(uv_timer_t *t)
{
    struct fixture *f = t->data;

    peer_write(f, script + SPLIT, sizeof(script) - 1 - SPLIT, peer_written_cb);
    uv_close((uv_handle_t *)t, NULL);
}

static void peer_alloc_cb(uv_handle_t *h, size_t n, uv_buf_t *buf)
{
    struct fixture *f = h->data;

    (void)n;
    *buf = uv_buf_init(f->request + f->request_len,
                       (unsigned)(sizeof(f->request) - 1 - f->request_len));
}

/* The client's one request has come: answer with the script. */
static void peer_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct fixture *f = s->data;

    (void)buf;
    if (n <= 0)
        return;
    f->request_len += (size_t)n;
    if (!memchr(f->request, '\n', f->request_len))
        return;
    uv_read_stop(s);
    peer_write(f, script, SPLIT, first_written_cb);
    uv_timer_init(&f->loop, &f->pause);
    f->pause.data = f;
    uv_timer_start(&f->pause, pause_cb, 20, 0);
}

static void connection_cb(uv_stream_t *server, int status)
{
    struct fixture *f = server->data;

    assert_int_equal(status, 0);
    uv_pipe_init(&f->loop, &f->peer, 0);
    f->peer.data = f;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&f->peer), 0);
    uv_read_start((uv_stream_t *)&f->peer, peer_alloc_cb, peer_read_cb);
}

static bool line_cb(struct dk_client *cl, const char *line, size_t len,
                    void *arg)
{
    struct fixture *f = arg;

    (void)cl;
    f->lines++;
    /* Replies are never offered: this one would carry an id. */
    assert_null(memmem(line, len, "\"id\"", 4));
    assert_true(line[len] == '\n');
    return f->take_events && memmem(line, len, "\"event\"", 7) != NULL;
}

static void push_cb(struct dk_client *cl, const char *method, json_t *params,
                    void *arg)
{
    struct fixture *f = arg;

    (void)cl;
    (void)method;
    f->push_seq[f->pushes++] =
        json_integer_value(json_object_get(params, "seq"));
}

static void reply_cb(struct dk_client *cl, json_t *result, json_t *error,
                     void *arg)
{
    struct fixture *f = arg;

    assert_null(error);
    assert_string_equal(json_string_value(json_object_get(result, "method")),
                        "not a push");
    (void)cl;
    f->replied = true;
}

static void state_cb(struct dk_client *cl, enum dk_client_state state,
                     const char *why, void *arg)
{
    struct fixture *f = arg;

    (void)why;
    if (state == DK_CLIENT_UP) {
        assert_int_equal(dk_client_call(cl, "ping", NULL, reply_cb, f), 0);
    } else if (state == DK_CLIENT_DOWN) {
        uv_close((uv_handle_t *)&f->server, NULL);
    }
}

/* Run the script through a client, with or without the hook. */
static void run(struct fixture *f, bool hook, bool take_events)
{
    char server[128];

    memset(f, 0, sizeof(*f));
    f->take_events = take_events;
    snprintf(f->dir, sizeof(f->dir), "%s/dk-client-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/s", f->dir);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    uv_pipe_init(&f->loop, &f->server, 0);
    f->server.data = f;
    assert_int_equal(uv_pipe_bind(&f->server, f->path), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&f->server, 4, connection_cb), 0);
    snprintf(server, sizeof(server), "unix:%s", f->path);
    f->cl = dk_client_new(&f->loop, server, push_cb, state_cb, f);
    assert_non_null(f->cl);
    if (hook)
        dk_client_set_line_cb(f->cl, line_cb);
    dk_client_connect(f->cl);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    /* Down, and the server closed: free the client outside its callbacks
     * and let its handle close. */
    dk_client_free(f->cl);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    unlink(f->path);
    rmdir(f->dir);
    assert_true(f->replied);
    assert_int_equal(uv_loop_close(&f->loop), 0);
}

static void test_dk_client__without_a_hook_every_push_is_parsed(void **state)
{
    struct fixture f;

    (void)state;
    run(&f, false, false);
    assert_int_equal(f.lines, 0);
    assert_int_equal(f.pushes, 3);
    assert_int_equal(f.push_seq[0], 1);
    assert_int_equal(f.push_seq[1], 2);
    assert_int_equal(f.push_seq[2], 3);
}

static void test_dk_client__the_hook_takes_what_it_says(void **state)
{
    struct fixture f;

    (void)state;
    /* It takes the events; the presence push is still parsed; the reply
     * in between still reaches its call, and was never offered. */
    run(&f, true, true);
    assert_int_equal(f.lines, 3);
    assert_int_equal(f.pushes, 1);
    assert_int_equal(f.push_seq[0], 2);
}

static void test_dk_client__a_hook_that_declines_changes_nothing(void **state)
{
    struct fixture f;

    (void)state;
    run(&f, true, false);
    assert_int_equal(f.lines, 3);
    assert_int_equal(f.pushes, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dk_client__without_a_hook_every_push_is_parsed),
        cmocka_unit_test(test_dk_client__the_hook_takes_what_it_says),
        cmocka_unit_test(test_dk_client__a_hook_that_declines_changes_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
