/*
 * app.c - the docket client's loop: terminal input, signals and one timer
 * in one libuv loop (the connection's socket is in it too, conn.c), the
 * keys that mean the same on every screen, and the idle lock.  Keys go to
 * the prompt first, then to the top screen, then here; the prepare
 * handle draws once per loop turn when something changed.
 */
#include "app.h"
#include "model.h"
#include "draw.h"
#include "screens.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ---- keys ---------------------------------------------------------------- */

_Static_assert(ACT_VIEW_6 - ACT_VIEW_1 + 1 == DK_NVIEWS,
               "keys.def has a VIEW_n action for each view of dk_views.h");

static void show_view(struct app *a, int view)
{
    a->current = view;
    list_clear_filter(a);
    app_home(a);
}

static void global_action(struct app *a, enum action act)
{
    switch (act) {
    case ACT_QUIT:
        a->quit = true;
        break;
    case ACT_HELP:
        app_push(a, &screen_help, 0);
        break;
    case ACT_NOTIFICATIONS:
        app_push(a, &screen_notifications, 0);
        break;
    case ACT_REFRESH:
        for (int v = 0; v < DK_NVIEWS; v++) {
            free(a->store.views[v].query);
            a->store.views[v].query = NULL;
        }
        list_clear_filter(a);
        conn_load_everything(a);
        draw_message(a, false, "Reloaded");
        break;
    case ACT_SEARCH:
        app_home(a);
        list_search(a);
        break;
    case ACT_NEXT_VIEW:
    case ACT_PREV_VIEW:
        show_view(a, (a->current + (act == ACT_NEXT_VIEW ? 1 : DK_NVIEWS - 1)) %
                         DK_NVIEWS);
        break;
    default:
        if (act >= ACT_VIEW_1 && act <= ACT_VIEW_6)
            show_view(a, act - ACT_VIEW_1);
        break;
    }
}

static void password_given(struct app *a, const char *password)
{
    if (password)
        conn_unlock(a, password);
}

static bool is_enter(wint_t ch, bool is_key)
{
    return (!is_key && (ch == '\n' || ch == '\r')) ||
           (is_key && ch == KEY_ENTER);
}

/*
 * client.mouse: a click on a tab shows its view; one below goes to the
 * screen (a list selects the row, and opens it on a second click); the
 * wheel moves as three Up or Down keys would.
 */
static void handle_mouse(struct app *a)
{
    const struct screen_ops *top = screen_top(&a->screens);
    MEVENT ev;
    enum action wheel = ACT_NONE;

    if (getmouse(&ev) != OK || a->locked || a->prompt.active)
        return;
    if (ev.bstate & BUTTON4_PRESSED)
        wheel = ACT_UP;
    else if (ev.bstate & BUTTON5_PRESSED)
        wheel = ACT_DOWN;
    if (wheel != ACT_NONE) {
        for (int i = 0; i < 3 && top->action; i++)
            top->action(a, wheel);
    } else if (ev.y == 0) {
        for (int v = 0; v < DK_NVIEWS; v++)
            if (a->tab_w[v] && ev.x >= a->tab_x[v] &&
                ev.x < a->tab_x[v] + a->tab_w[v])
                global_action(a, (enum action)(ACT_VIEW_1 + v));
    } else if (top->mouse) {
        top->mouse(a, ev.y, ev.x);
    }
    app_dirty(a);
}

static void handle_key(struct app *a, wint_t ch, bool is_key)
{
    const struct screen_ops *top = screen_top(&a->screens);
    enum action act = ACT_NONE;

    a->last_key_ms = uv_now(a->loop);
    if (a->locked && !a->prompt.active) {
        if (is_enter(ch, is_key) && !conn_needs_password(a)) {
            conn_unlock(a, NULL);
        } else if (is_enter(ch, is_key)) {
            prompt_open(a, "Password: ", NULL, password_given, NULL);
            a->prompt.secret = true;
        } else if (!is_key && ch == 'Q') {
            a->quit = true;
        }
        return;
    }
    if (a->prompt.active) {
        prompt_key(a, ch, is_key);
        return;
    }
    if (is_key && ch == KEY_MOUSE) {
        handle_mouse(a);
        return;
    }
    if (top->key && top->key(a, ch, is_key))
        return;
    if (is_key && ch == KEY_RESIZE) {
        app_dirty(a);
        return;
    }
    if (ch < KEYMAP_SIZE)
        act = (enum action)a->keymap[ch];
    if (act == ACT_NONE)
        return;
    a->message[0] = '\0';
    if (!top->action || !top->action(a, act))
        global_action(a, act);
    app_dirty(a);
}

static void stdin_cb(uv_poll_t *h, int status, int events)
{
    struct app *a = h->data;
    wint_t ch;
    int rc;

    while ((rc = get_wch(&ch)) != ERR)
        handle_key(a, ch, rc == KEY_CODE_YES);
    if (a->quit)
        uv_stop(a->loop);
}

/* ---- the loop ------------------------------------------------------------ */

static void timer_cb(uv_timer_t *t)
{
    struct app *a = t->data;

    conn_tick(a);
    /* Not while an editor has the terminal: its keys do not reach us. */
    if (!a->locked && a->idle_s > 0 && a->conn == CS_LIVE && !a->input_paused &&
        uv_now(a->loop) - a->last_key_ms > (uint64_t)a->idle_s * 1000) {
        a->locked = true;
        a->prompt.active = false;
        app_dirty(a);
    }
}

/* Before the loop waits: follow app_pause_input(), then draw. */
static void prepare_cb(uv_prepare_t *h)
{
    struct app *a = h->data;

    if (a->input_paused && !a->input_stopped)
        uv_poll_stop(&a->stdin_poll);
    else if (!a->input_paused && a->input_stopped)
        uv_poll_start(&a->stdin_poll, UV_READABLE, stdin_cb);
    a->input_stopped = a->input_paused;
    if (!a->dirty)
        return;
    a->dirty = false;
    draw_frame(a);
}

static void winch_cb(uv_signal_t *h, int signum)
{
    struct app *a = h->data;
    struct winsize ws;

    /* Ask the terminal its size: ncurses' own SIGWINCH handler is not
     * installed while libuv owns the signal. */
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
        resizeterm(ws.ws_row, ws.ws_col);
    app_dirty(a);
}

static void quit_cb(uv_signal_t *h, int signum)
{
    struct app *a = h->data;

    a->quit = true;
    uv_stop(a->loop);
}

static void signal_start(struct app *a, uv_signal_t *h, uv_signal_cb cb,
                         int signum)
{
    uv_signal_init(a->loop, h);
    h->data = a;
    uv_signal_start(h, cb, signum);
}

int app_run(struct app *a)
{
    draw_init(a);
    a->current = a->default_view;
    if (conn_start(a) != 0)
        return -1;
    app_push(a, &screen_list, 0);
    /* main() made sure stdin is a terminal, which epoll can watch. */
    if (uv_poll_init(a->loop, &a->stdin_poll, STDIN_FILENO) != 0)
        return -1;
    a->stdin_poll.data = a;
    a->last_key_ms = uv_now(a->loop);
    uv_poll_start(&a->stdin_poll, UV_READABLE, stdin_cb);
    signal_start(a, &a->sigwinch, winch_cb, SIGWINCH);
    signal_start(a, &a->sigterm, quit_cb, SIGTERM);
    signal_start(a, &a->sighup, quit_cb, SIGHUP);
    uv_timer_init(a->loop, &a->timer);
    a->timer.data = a;
    uv_timer_start(&a->timer, timer_cb, 100, 100);
    uv_prepare_init(a->loop, &a->prepare);
    a->prepare.data = a;
    uv_prepare_start(&a->prepare, prepare_cb);
    a->dirty = true;
    uv_run(a->loop, UV_RUN_DEFAULT);
    return 0;
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void app_cleanup(struct app *a)
{
    /* Calls still out (a tick's count, a load) are answered as failed
     * while the screens they belong to are whole, so each frees what it
     * holds; dk_client_free() would drop them unanswered.  What that does
     * to the connection state and the message is undone: main() says why
     * docket ended from them. */
    enum conn_state conn = a->conn;
    bool error = a->message_error;
    char message[sizeof(a->message)];

    memcpy(message, a->message, sizeof(message));
    dk_client_disconnect(a->client, "closing");
    a->conn = conn;
    a->message_error = error;
    memcpy(a->message, message, sizeof(message));
    screen_close_all(&a->screens, a);
    dk_client_free(a->client);
    uv_walk(a->loop, close_walk_cb, NULL);
    uv_run(a->loop, UV_RUN_DEFAULT);
    store_cleanup(&a->store);
    model_set_pipelines(NULL);
    composer_cleanup();
    free(a->token);
}
