/*
 * fetch.h - one HTTPS request to another server (an identity provider's
 * discovery document, keys, token endpoint), made by libcurl on libuv's
 * thread pool so that the loop never waits on DNS or the network.
 */
#ifndef FETCH_H
#define FETCH_H

#include <stddef.h>
#include <uv.h>

struct fetch_result {
    long status;      /* the HTTP status, 0 when there was no answer */
    const char *body; /* NUL-terminated; "" when none */
    size_t len;
    const char *error; /* why there was no answer (curl's words), or NULL */
};

struct fetch_options {
    const char *url;  /* https:// only */
    const char *form; /* a POST's urlencoded body, or NULL for GET */
    const char *user; /* HTTP Basic user and password, or NULL */
    const char *password;
    const char *ca_file; /* PEM CAs to trust, or NULL/"" for the system's */
    size_t max_body;     /* an answer longer is an error */
};

typedef void (*fetch_done_fn)(void *arg, const struct fetch_result *r);

/* Start the request; done(arg, result) runs later on the loop, exactly
 * once (result and its body live until done returns).  -1 when it could
 * not even start (done does not run). */
int fetch_start(uv_loop_t *loop, const struct fetch_options *o,
                fetch_done_fn done, void *arg);

#endif
