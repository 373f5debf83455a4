/*
 * fuzz_client.c - libFuzzer harness for what docket does with a server
 * message: a pushed event's ticket, of any shape, applied to loaded views
 * (the list model), a presence push of any shape kept and drawn as a row's
 * marker and the ticket's line, and any text measured, cut and wrapped
 * for the screen.  Nothing may crash, loop or read out of bounds.
 */
#include <jansson.h>
#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "store.h"
#include "text.h"

static void count_line(void *arg, const char *text, size_t len)
{
    (*(size_t *)arg) += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    char *s, out[256];
    json_t *msg, *t, *rows;
    size_t total = 0;

    if (!ready) {
        setlocale(LC_ALL, "C.UTF-8");
        ready = 1;
    }
    s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    text_width(s);
    text_fit(out, sizeof(out), s, (int)(size % 97), (int)(size & 1));
    text_wrap(s, 1 + (int)(size % 40), count_line, &total);
    msg = json_loads(s, JSON_DECODE_ANY, NULL);
    free(s);
    if (!msg)
        return 0;
    /* The server's event: {"params": {"ticket": summary}}, or a bare one. */
    t = json_object_get(json_object_get(msg, "params"), "ticket");
    if (!t)
        t = msg;
    rows = json_array();
    for (int v = 0; v < DK_NVIEWS; v++) {
        model_apply(rows, v % 2, (enum dk_view)v, t, "kari");
        model_matches(t, "ø");
        model_in_view((enum dk_view)v, t, NULL);
    }
    if (json_array_size(rows))
        model_cmp(json_array_get(rows, 0), t);
    /* Markers stay across inputs, as in a long session (bounded). */
    {
        static struct store st;
        json_t *p = json_object_get(msg, "params");
        long long id;

        store_presence_push(&st, p ? p : msg);
        id = json_integer_value(json_object_get(p ? p : msg, "ticket"));
        store_presence_line(&st, id, "kari", out, sizeof(out));
        store_presence_short(&st, id, "kari", (int)(size % 30), out,
                             sizeof(out));
        text_width(out);
    }
    json_decref(rows);
    json_decref(msg);
    return 0;
}
