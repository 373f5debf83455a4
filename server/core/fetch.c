/*
 * fetch.c - an HTTPS request on libuv's thread pool (fetch.h).  Each is
 * one curl_easy_perform() in a worker, as the outbox's SMTP sends are:
 * the provider may be slow or far away, and the loop must not wait.
 * Only https, no redirects (a provider's endpoints are where its
 * discovery document says), a bounded answer and a bounded time.
 */
#include "fetch.h"
#include "dk_buf.h"
#include "dk_mem.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT 5L
#define TOTAL_TIMEOUT   10L

struct fetch {
    uv_work_t work;
    CURL *easy;
    struct curl_slist *headers;
    char *url, *form, *user, *password, *ca_file;
    struct dk_buf body; /* bounded by max_body */
    CURLcode rc;
    long status;
    char err[CURL_ERROR_SIZE];
    fetch_done_fn done;
    void *arg;
};

static size_t write_cb(char *data, size_t size, size_t n, void *arg)
{
    struct fetch *f = arg;

    /* Past the bound: a short count makes curl stop with an error. */
    return dk_buf_add(&f->body, data, size * n) ? size * n : 0;
}

static void fetch_free(struct fetch *f)
{
    if (f->easy)
        curl_easy_cleanup(f->easy);
    curl_slist_free_all(f->headers);
    free(f->url);
    /* A token request's body holds the code, the PKCE verifier and
     * perhaps the client secret. */
    if (f->form) {
        memset(f->form, 0, strlen(f->form));
        free(f->form);
    }
    free(f->user);
    if (f->password) {
        memset(f->password, 0, strlen(f->password));
        free(f->password);
    }
    free(f->ca_file);
    dk_buf_free(&f->body);
    free(f);
}

static void perform(uv_work_t *w)
{
    struct fetch *f = w->data;

    f->rc = curl_easy_perform(f->easy);
    if (f->rc == CURLE_OK)
        curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->status);
}

static void performed(uv_work_t *w, int status)
{
    struct fetch *f = w->data;
    struct fetch_result r = {0, "", 0, NULL};

    if (status != 0) {
        r.error = "cancelled";
    } else if (f->rc != CURLE_OK) {
        r.error = f->err[0] ? f->err : curl_easy_strerror(f->rc);
    } else {
        r.status = f->status;
        r.body = f->body.data ? f->body.data : "";
        r.len = f->body.len;
    }
    f->done(f->arg, &r);
    fetch_free(f);
}

int fetch_start(uv_loop_t *loop, const struct fetch_options *o,
                fetch_done_fn done, void *arg)
{
    struct fetch *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    dk_buf_init(&f->body, o->max_body);
    f->done = done;
    f->arg = arg;
    f->work.data = f;
    f->url = strdup(o->url);
    f->form = o->form ? strdup(o->form) : NULL;
    f->user = o->user ? strdup(o->user) : NULL;
    f->password = o->password ? strdup(o->password) : NULL;
    f->ca_file = o->ca_file && o->ca_file[0] ? strdup(o->ca_file) : NULL;
    f->easy = curl_easy_init();
    f->headers = curl_slist_append(NULL, "Accept: application/json");
    if (!f->url || (o->form && !f->form) || (o->user && !f->user) ||
        (o->password && !f->password) ||
        (o->ca_file && o->ca_file[0] && !f->ca_file) || !f->easy ||
        !f->headers) {
        fetch_free(f);
        return -1;
    }
    curl_easy_setopt(f->easy, CURLOPT_URL, f->url);
    curl_easy_setopt(f->easy, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(f->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
    curl_easy_setopt(f->easy, CURLOPT_TIMEOUT, TOTAL_TIMEOUT);
    curl_easy_setopt(f->easy, CURLOPT_ERRORBUFFER, f->err);
    curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(f->easy, CURLOPT_USERAGENT, "docketd");
    /* Certificates are always checked (curl's default); ca_file only
     * says which CAs. */
    if (f->ca_file)
        curl_easy_setopt(f->easy, CURLOPT_CAINFO, f->ca_file);
    if (f->form) {
        curl_easy_setopt(f->easy, CURLOPT_POSTFIELDS, f->form);
        curl_easy_setopt(f->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(f->form));
    }
    if (f->user) {
        curl_easy_setopt(f->easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(f->easy, CURLOPT_USERNAME, f->user);
        curl_easy_setopt(f->easy, CURLOPT_PASSWORD,
                         f->password ? f->password : "");
    }
    if (uv_queue_work(loop, &f->work, perform, performed) < 0) {
        fetch_free(f);
        return -1;
    }
    return 0;
}
