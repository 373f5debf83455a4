/*
 * cli.c - docket's commands for scripts (cli.h): one table of commands,
 * each a handler that makes its calls one after the other.  The client
 * library is asynchronous; cli_call() runs the loop until its reply is
 * in, which is all a command that does one thing at a time needs.  No
 * curses here, so these paths work without a terminal.
 */
#include "cli.h"
#include "dk_client.h"
#include "dk_mem.h"
#include "dk_views.h"
#include "text.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

struct cli {
    const struct cli_opts *o; /* borrowed */
    uv_loop_t loop;
    struct dk_client *cl; /* owned: dk_client_free() in cli_run() */
    enum dk_client_state state;
    char why[256]; /* why the connection went down */
    bool replied;
    json_t *result, *error; /* the last call's reply; owned */
    /* watch */
    bool watching, out_closed;
    long long seq; /* the last seq printed */
    uv_poll_t out_poll;
    bool polling;
    uv_timer_t timer;
    bool timer_fired;
};

struct cli_cmd {
    const char *name;
    int nargs;          /* arguments after the name */
    const char *method; /* for the ticket actions: the RPC method */
    int (*run)(struct cli *c, const struct cli_cmd *cmd, char **args);
    const char *usage;
};

/* ---- the connection ------------------------------------------------------ */

static void on_state(struct dk_client *cl, enum dk_client_state st,
                     const char *why, void *arg)
{
    struct cli *c = arg;

    c->state = st;
    if (st == DK_CLIENT_DOWN)
        snprintf(c->why, sizeof(c->why), "%s", why ? why : "closed");
}

static void on_reply(struct dk_client *cl, json_t *result, json_t *error,
                     void *arg)
{
    struct cli *c = arg;

    c->result = json_incref(result);
    c->error = json_incref(error);
    c->replied = true;
}

/*
 * Call method and wait for its answer: 0 with c->result, or -1 with
 * c->error (code 0 when the connection was lost).  params is stolen.
 */
static int cli_call(struct cli *c, const char *method, json_t *params)
{
    json_decref(c->result);
    json_decref(c->error);
    c->result = c->error = NULL;
    c->replied = false;
    if (dk_client_call(c->cl, method, params, on_reply, c) != 0) {
        c->error = json_pack("{s:i, s:s}", "code", 0, "message",
                             c->why[0] ? c->why : "not connected");
        return -1;
    }
    while (!c->replied)
        uv_run(&c->loop, UV_RUN_ONCE);
    return c->error ? -1 : 0;
}

static long long error_code(const struct cli *c)
{
    return json_integer_value(json_object_get(c->error, "code"));
}

static const char *error_message(const struct cli *c)
{
    const char *msg = json_string_value(json_object_get(c->error, "message"));

    return msg ? msg : "refused";
}

/*
 * Report c->error on stderr and return its exit code: a conflict names
 * whoever holds the ticket (username and name), for the person reading
 * the script's output.
 */
static int fail(struct cli *c)
{
    json_t *data = json_object_get(c->error, "data");
    const char *who = json_string_value(json_object_get(data, "owner"));
    char *msg, *owner, *name = NULL;

    if (error_code(c) != 4009) {
        if (error_code(c) == 0)
            fprintf(stderr, "docket: lost the server: %s\n", error_message(c));
        else
            fprintf(stderr, "docket: %s\n", error_message(c));
        return CLI_ERROR;
    }
    /* Copies: the next call replaces c->error. */
    msg = dk_xstrdup(error_message(c));
    owner = who ? dk_xstrdup(who) : NULL;
    if (owner && cli_call(c, "staff.list", json_object()) == 0) {
        size_t i;
        json_t *s;
        json_array_foreach(c->result, i, s)
        {
            const char *u = json_string_value(json_object_get(s, "username"));
            const char *n = json_string_value(json_object_get(s, "name"));
            if (u && n && strcmp(u, owner) == 0)
                name = dk_xstrdup(n);
        }
    }
    if (owner && !strstr(msg, owner))
        fprintf(stderr, "docket: %s (held by %s", msg, owner);
    else
        fprintf(stderr, "docket: %s", msg);
    if (owner && !strstr(msg, owner))
        fprintf(stderr, "%s%s)\n", name ? ", " : "", name ? name : "");
    else
        fprintf(stderr, "%s%s%s\n", name ? " (" : "", name ? name : "",
                name ? ")" : "");
    free(name);
    free(owner);
    free(msg);
    return CLI_CONFLICT;
}

/*
 * Connect and log in as the TUI does (conn.c): the SSH key sshd verified,
 * else peer credentials on the Unix socket, else the password.  Returns
 * 0; CLI_ERROR after saying why when the server refused us for good; -1
 * after saying why when trying again later may work.
 */
static int connect_login(struct cli *c, bool quiet)
{
    const struct cli_opts *o = c->o;
    json_t *p;
    const char *method;

    c->why[0] = '\0';
    dk_client_connect(c->cl);
    while (c->state == DK_CLIENT_CONNECTING)
        uv_run(&c->loop, UV_RUN_ONCE);
    if (c->state != DK_CLIENT_UP) {
        if (!quiet)
            fprintf(stderr, "docket: could not connect to %s: %s\n", o->server,
                    c->why);
        return -1;
    }
    if (o->ssh_key) {
        method = "session.ssh";
        p = json_pack("{s:s}", "fingerprint", o->ssh_key);
    } else if (dk_client_is_unix(c->cl) && !o->password) {
        method = "session.peer";
        p = json_object();
    } else {
        method = "session.login";
        p = json_pack("{s:s, s:s}", "username", o->user ? o->user : "",
                      "password", o->password ? o->password : "");
    }
    if (cli_call(c, method, p) == 0)
        return 0;
    if (error_code(c) == 4003 || error_code(c) == 4029) {
        fprintf(stderr, "docket: %s\n", error_message(c));
        return CLI_ERROR;
    }
    if (!quiet)
        fprintf(stderr, "docket: could not log in: %s\n", error_message(c));
    if (c->state == DK_CLIENT_UP)
        dk_client_disconnect(c->cl, "could not log in");
    return -1;
}

/* ---- output -------------------------------------------------------------- */

static const char *str(json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s && *s ? s : dflt;
}

static void print_json(json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);

    if (text)
        printf("%s\n", text);
    free(text);
}

static int out_width(void)
{
    struct winsize ws;

    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
        ws.ws_col >= 40)
        return ws.ws_col;
    return 80;
}

enum { COL_ID, COL_PRIO, COL_STAGE, COL_OWNER, COL_SUBJECT, COL_CONTACT, NCOL };

static void row_cells(json_t *t, char id[32], const char *cell[NCOL])
{
    snprintf(id, 32, "%lld",
             (long long)json_integer_value(json_object_get(t, "id")));
    cell[COL_ID] = id;
    cell[COL_PRIO] = str(t, "priority", "-");
    cell[COL_STAGE] = str(t, "stage", "-");
    cell[COL_OWNER] = str(t, "owner", "-");
    cell[COL_SUBJECT] = str(t, "subject", "");
    cell[COL_CONTACT] = str(json_object_get(t, "contact"), "name",
                            str(json_object_get(t, "contact"), "email", "-"));
}

/*
 * An aligned table of summaries: the short columns as wide as their
 * widest cell, subject and contact sharing what is left of the width
 * (the contact at most a third), the header first when header is set.
 */
static void print_table(json_t *tickets, bool header)
{
    static const char *const heads[NCOL] = {"ID",    "PRIORITY", "STAGE",
                                            "OWNER", "SUBJECT",  "CONTACT"};
    int w[NCOL], rest, total = out_width();
    char id[32], buf[1024];
    const char *cell[NCOL];
    size_t i;
    json_t *t;

    for (int k = 0; k < NCOL; k++)
        w[k] = header ? text_width(heads[k]) : 0;
    json_array_foreach(tickets, i, t)
    {
        row_cells(t, id, cell);
        for (int k = 0; k < NCOL; k++)
            if (text_width(cell[k]) > w[k])
                w[k] = text_width(cell[k]);
    }
    if (w[COL_OWNER] > 12)
        w[COL_OWNER] = 12;
    if (w[COL_STAGE] > 20)
        w[COL_STAGE] = 20;
    rest = total - (w[COL_ID] + w[COL_PRIO] + w[COL_STAGE] + w[COL_OWNER]) -
           NCOL + 1;
    if (w[COL_SUBJECT] + 1 + w[COL_CONTACT] > rest) {
        if (w[COL_CONTACT] > rest / 3)
            w[COL_CONTACT] = rest / 3;
        if (w[COL_SUBJECT] > rest - 1 - w[COL_CONTACT])
            w[COL_SUBJECT] = rest - 1 - w[COL_CONTACT];
    }
    for (int k = 0; k < NCOL; k++)
        if (w[k] < 1)
            w[k] = 1;
    for (long r = header ? -1 : 0; r < (long)json_array_size(tickets); r++) {
        if (r < 0)
            memcpy(cell, heads, sizeof(cell));
        else
            row_cells(json_array_get(tickets, (size_t)r), id, cell);
        for (int k = 0; k < NCOL; k++) {
            text_fit(buf, sizeof(buf), cell[k], w[k], k < NCOL - 1);
            /* The trailing spaces of the last column are left off. */
            fputs(buf, stdout);
            fputc(k < NCOL - 1 ? ' ' : '\n', stdout);
        }
    }
}

/* Print body indented by four spaces, a line at a time. */
static void print_body(const char *body)
{
    const char *p = body ? body : "";

    while (*p) {
        size_t n = strcspn(p, "\n");
        printf("    %.*s\n", (int)n, p);
        p += n;
        if (*p)
            p++;
    }
}

/* ---- arguments ----------------------------------------------------------- */

/* A ticket number, or -1 after saying it is not one. */
static long long parse_id(const char *s)
{
    char *end;
    long long id;

    errno = 0;
    id = strtoll(s, &end, 10);
    if (s[0] == '#' || !*s || *end || errno || id <= 0) {
        fprintf(stderr, "docket: \"%s\" is not a ticket number\n", s);
        return -1;
    }
    return id;
}

/*
 * The body of a note or reply: stdin for "-", else the file of that
 * name.  Returns it (the caller frees), or NULL after saying why.
 */
static char *read_body(const char *from, int *rc)
{
    FILE *fp = strcmp(from, "-") == 0 ? stdin : fopen(from, "rb");
    char *body = NULL, chunk[65536];
    size_t len = 0, n;

    *rc = CLI_ERROR;
    if (!fp) {
        fprintf(stderr, "docket: could not open file \"%s\": %s\n", from,
                strerror(errno));
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        /* The server's line limit is far below this: refuse before it. */
        if (len + n > 16 * 1024 * 1024) {
            fprintf(stderr, "docket: the body is over 16 MiB\n");
            goto fail;
        }
        body = dk_xrealloc(body, len + n + 1);
        memcpy(body + len, chunk, n);
        len += n;
    }
    if (ferror(fp)) {
        fprintf(stderr, "docket: could not read \"%s\": %s\n", from,
                strerror(errno));
        goto fail;
    }
    /* Trailing newlines are the shell's (echo, heredocs), not the
     * writer's; a body of nothing but white space is no body. */
    while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
        len--;
    if (body)
        body[len] = '\0';
    if (!body || strspn(body, " \t\r\n") == len) {
        fprintf(stderr, "docket: the body is empty: nothing sent\n");
        *rc = CLI_USAGE;
        goto fail;
    }
    if (fp != stdin)
        fclose(fp);
    *rc = CLI_OK;
    return body;
fail:
    if (fp != stdin)
        fclose(fp);
    free(body);
    return NULL;
}

/* ---- the commands -------------------------------------------------------- */

static int cmd_view(struct cli *c, const struct cli_cmd *cmd, char **args)
{
    char *name = dk_xstrdup(args[0]);
    json_t *all = json_array(), *next = NULL;
    int view, rc = CLI_OK;

    for (char *p = name; *p; p++)
        if (*p == '-')
            *p = '_';
    view = dk_view_parse(name);
    free(name);
    if (view < 0) {
        fprintf(stderr, "docket: unknown view \"%s\" (one of %s)\n", args[0],
                dk_view_list);
        json_decref(all);
        return CLI_USAGE;
    }
    /* Every page: a script wants the whole view. */
    do {
        json_t *p =
            json_pack("{s:s, s:i}", "view", dk_view_names[view], "limit", 500);
        if (next)
            json_object_set_new(p, "after", next);
        if (cli_call(c, "tickets.view", p) != 0) {
            rc = fail(c);
            goto out;
        }
        json_array_extend(all, json_object_get(c->result, "tickets"));
        next = json_object_get(c->result, "next");
        next = json_is_string(next) ? json_incref(next) : NULL;
    } while (next);
    if (c->o->json)
        print_json(all);
    else
        print_table(all, true);
out:
    json_decref(all);
    return rc;
}

static void print_ticket(json_t *t)
{
    json_t *contact = json_object_get(t, "contact"), *x;
    size_t i;

    printf("#%lld  %s\n",
           (long long)json_integer_value(json_object_get(t, "id")),
           str(t, "subject", ""));
    printf("Priority: %s  Pipeline: %s  Stage: %s\n", str(t, "priority", "-"),
           str(t, "pipeline", "-"), str(t, "stage", "-"));
    printf("Owner: %s  Graphics: %s\n", str(t, "owner", "-"),
           str(t, "graphics_owner", "-"));
    printf("Contact: %s <%s>", str(contact, "name", "-"),
           str(contact, "email", "-"));
    if (json_is_object(json_object_get(t, "company")))
        printf("  Company: %s",
               str(json_object_get(t, "company"), "name", "-"));
    printf("\nCreated: %s  Updated: %s", str(t, "created_at", "-"),
           str(t, "updated_at", "-"));
    if (str(t, "due_at", NULL))
        printf("  Due: %s", str(t, "due_at", "-"));
    if (str(t, "closed_at", NULL))
        printf("  Closed: %s", str(t, "closed_at", "-"));
    printf("\n\nDescription:\n");
    print_body(str(t, "description", "(none)"));
    printf("\nConversation:\n");
    if (json_array_size(json_object_get(t, "messages")) == 0)
        printf("    (none)\n");
    json_array_foreach(json_object_get(t, "messages"), i, x)
    {
        printf("  %s  %s (%s, %s", str(x, "created_at", "-"),
               str(x, "author", "-"), str(x, "direction", "-"),
               str(x, "source", "-"));
        if (str(x, "delivery", NULL))
            printf(", %s", str(x, "delivery", "-"));
        printf(")\n");
        print_body(str(x, "body", ""));
    }
    printf("\nNotes:\n");
    if (json_array_size(json_object_get(t, "notes")) == 0)
        printf("    (none)\n");
    json_array_foreach(json_object_get(t, "notes"), i, x)
    {
        printf("  %s  %s\n", str(x, "created_at", "-"), str(x, "author", "-"));
        print_body(str(x, "body", ""));
    }
}

static int cmd_show(struct cli *c, const struct cli_cmd *cmd, char **args)
{
    long long id = parse_id(args[0]);

    if (id < 0)
        return CLI_USAGE;
    if (cli_call(c, "tickets.get", json_pack("{s:I}", "id", (json_int_t)id)))
        return fail(c);
    if (c->o->json)
        print_json(c->result);
    else
        print_ticket(c->result);
    return CLI_OK;
}

/* claim, unclaim, close, reopen: cmd->method, then the new summary. */
static int cmd_action(struct cli *c, const struct cli_cmd *cmd, char **args)
{
    long long id = parse_id(args[0]);
    json_t *one;

    if (id < 0)
        return CLI_USAGE;
    if (cli_call(c, cmd->method, json_pack("{s:I}", "id", (json_int_t)id)))
        return fail(c);
    if (c->o->json) {
        print_json(c->result);
        return CLI_OK;
    }
    one = json_pack("[O]", c->result);
    print_table(one, false);
    json_decref(one);
    return CLI_OK;
}

/* note and reply: the body from stdin or a file. */
static int cmd_post(struct cli *c, const struct cli_cmd *cmd, char **args)
{
    long long id = parse_id(args[0]);
    char *body;
    int rc;
    json_t *p;

    if (id < 0)
        return CLI_USAGE;
    if (!(body = read_body(args[1], &rc)))
        return rc;
    p = json_pack("{s:I, s:s}", "ticket", (json_int_t)id, "body", body);
    free(body);
    if (!p) {
        fprintf(stderr, "docket: the body is not valid UTF-8\n");
        return CLI_USAGE;
    }
    if (cli_call(c, cmd->method, p) != 0)
        return fail(c);
    if (c->o->json) {
        print_json(c->result);
        return CLI_OK;
    }
    printf("%s %lld on #%lld", cmd->name,
           (long long)json_integer_value(json_object_get(c->result, "id")), id);
    if (json_array_size(json_object_get(c->result, "mentions")) > 0) {
        size_t i;
        json_t *m;
        printf(", mentioning");
        json_array_foreach(json_object_get(c->result, "mentions"), i, m)
        {
            printf(" %s", json_is_string(m) ? json_string_value(m)
                                            : str(m, "username", "?"));
        }
    }
    printf("\n");
    return CLI_OK;
}

/* ---- watch --------------------------------------------------------------- */

static void on_push(struct dk_client *cl, const char *method, json_t *params,
                    void *arg)
{
    struct cli *c = arg;
    json_t *seq = json_object_get(params, "seq");
    char *line;

    if (!c->watching || c->out_closed || strcmp(method, "event") != 0)
        return;
    /* Presence comes and goes without a seq: it is no change, and a
     * resumed watch could not place it. */
    if (!json_is_integer(seq) ||
        strcmp(str(params, "type", ""), "presence") == 0)
        return;
    if (json_integer_value(seq) <= c->seq)
        return; /* replayed twice after a reconnect */
    line = json_dumps(params, JSON_COMPACT);
    if (!line)
        return;
    /* SIGPIPE is ignored: a closed pipe (| head) is EPIPE here. */
    if (fputs(line, stdout) < 0 || fputc('\n', stdout) < 0 ||
        fflush(stdout) != 0) {
        c->out_closed = true;
    } else {
        c->seq = json_integer_value(seq);
    }
    free(line);
}

/* The reader of our stdout went away (| head -n 3 has its lines): end
 * now, not at the next event, which may be hours away. */
static void out_poll_cb(uv_poll_t *h, int status, int events)
{
    struct cli *c = h->data;

    if (status < 0 || (events & UV_DISCONNECT)) {
        c->out_closed = true;
        uv_poll_stop(h);
    }
}

static void timer_cb(uv_timer_t *t)
{
    struct cli *c = t->data;

    c->timer_fired = true;
}

static int cmd_watch(struct cli *c, const struct cli_cmd *cmd, char **args)
{
    bool placed = c->o->since >= 0, quiet = false;
    uint64_t backoff = 0;
    struct stat sb;
    int rc;

    c->seq = placed ? c->o->since : 0;
    c->watching = true;
    /* Only a pipe or a socket has a reader that can go away; epoll
     * refuses files, and a terminal closes with the session. */
    if (fstat(STDOUT_FILENO, &sb) == 0 &&
        (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)) &&
        uv_poll_init(&c->loop, &c->out_poll, STDOUT_FILENO) == 0) {
        /* uv_poll_init() made stdout non-blocking; the poll only waits
         * for an error, and a pipe that is full for a moment must make
         * us wait, not drop lines (the shell shares the flag, too). */
        int fl = fcntl(STDOUT_FILENO, F_GETFL);
        if (fl >= 0)
            fcntl(STDOUT_FILENO, F_SETFL, fl & ~O_NONBLOCK);
        c->polling = true;
        c->out_poll.data = c;
        uv_poll_start(&c->out_poll, UV_DISCONNECT, out_poll_cb);
    }
    for (;;) {
        rc = connect_login(c, quiet);
        if (rc == CLI_ERROR)
            return rc;
        if (rc == 0) {
            json_t *p = json_object();
            if (placed)
                json_object_set_new(p, "since", json_integer(c->seq));
            if (cli_call(c, "events.subscribe", p) == 0) {
                /* Without --since, from now on; after a resync (the
                 * database's history is not the one we saw), from its
                 * seq too. */
                if (!placed ||
                    json_is_true(json_object_get(c->result, "resync")))
                    c->seq =
                        json_integer_value(json_object_get(c->result, "seq"));
                placed = true;
                backoff = 0;
                quiet = false;
                while (c->state == DK_CLIENT_UP && !c->out_closed)
                    uv_run(&c->loop, UV_RUN_ONCE);
            } else if (error_code(c) != 0 && error_code(c) != 5003) {
                return fail(c);
            }
        }
        if (c->out_closed)
            return CLI_OK;
        if (c->state != DK_CLIENT_DOWN)
            dk_client_disconnect(c->cl, "resubscribing");
        backoff = backoff ? backoff * 2 : 500;
        if (backoff > 15000)
            backoff = 15000;
        if (!quiet)
            fprintf(stderr,
                    "docket: lost the server (%s); retrying from seq "
                    "%lld\n",
                    c->why, c->seq);
        quiet = true; /* once per outage, not once per try */
        c->timer_fired = false;
        uv_timer_start(&c->timer, timer_cb, backoff, 0);
        while (!c->timer_fired && !c->out_closed)
            uv_run(&c->loop, UV_RUN_ONCE);
        uv_timer_stop(&c->timer);
        if (c->out_closed)
            return CLI_OK;
    }
}

/* ---- the table ----------------------------------------------------------- */

static const struct cli_cmd commands[] = {
    {"view", 1, NULL, cmd_view, "view VIEW [--json]"},
    {"show", 1, NULL, cmd_show, "show ID [--json]"},
    {"claim", 1, "tickets.claim", cmd_action, "claim ID [--json]"},
    {"unclaim", 1, "tickets.unclaim", cmd_action, "unclaim ID [--json]"},
    {"close", 1, "tickets.close", cmd_action, "close ID [--json]"},
    {"reopen", 1, "tickets.reopen", cmd_action, "reopen ID [--json]"},
    {"note", 2, "notes.add", cmd_post, "note ID -|FILE [--json]"},
    {"reply", 2, "messages.send", cmd_post, "reply ID -|FILE [--json]"},
    {"watch", 0, NULL, cmd_watch, "watch [--since SEQ]"},
};

static const struct cli_cmd *find(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

bool cli_is_command(const char *name)
{
    return find(name) != NULL;
}

bool cli_reads_stdin(int argc, char **argv)
{
    const struct cli_cmd *cmd = argc > 0 ? find(argv[0]) : NULL;

    return cmd && cmd->run == cmd_post && argc > 2 && strcmp(argv[2], "-") == 0;
}

void cli_usage(FILE *fp)
{
    fprintf(fp, "commands, for scripts (exit 0 ok, 1 error, 2 usage, "
                "3 conflict):\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(fp, "  docket [OPTIONS] %s\n", commands[i].usage);
}

int cli_run(const struct cli_opts *o, int argc, char **argv)
{
    const struct cli_cmd *cmd = find(argv[0]);
    struct cli c = {.o = o};
    int rc;

    assert(cmd);
    if (argc - 1 != cmd->nargs) {
        fprintf(stderr, "docket: %s takes %d argument%s\nusage: docket %s\n",
                cmd->name, cmd->nargs, cmd->nargs == 1 ? "" : "s", cmd->usage);
        return CLI_USAGE;
    }
    if (o->since >= 0 && cmd->run != cmd_watch) {
        fprintf(stderr, "docket: --since is for watch\n");
        return CLI_USAGE;
    }
    /* A closed stdout must be an error we see (EPIPE), not a signal. */
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&c.loop);
    uv_timer_init(&c.loop, &c.timer);
    c.timer.data = &c;
    c.cl = dk_client_new(&c.loop, o->server, on_push, on_state, &c);
    if (!c.cl) {
        fprintf(stderr, "docket: \"%s\" is not unix:PATH or HOST:PORT\n",
                o->server);
        rc = CLI_USAGE;
    } else if (cmd->run == cmd_watch) {
        rc = cmd->run(&c, cmd, argv + 1);
    } else if ((rc = connect_login(&c, false)) == 0) {
        rc = cmd->run(&c, cmd, argv + 1);
    } else {
        rc = CLI_ERROR;
    }
    if (fflush(stdout) != 0 && !c.watching && rc == CLI_OK) {
        fprintf(stderr, "docket: could not write the output: %s\n",
                strerror(errno));
        rc = CLI_ERROR;
    }
    json_decref(c.result);
    json_decref(c.error);
    dk_client_free(c.cl);
    if (c.polling)
        uv_close((uv_handle_t *)&c.out_poll, NULL);
    uv_close((uv_handle_t *)&c.timer, NULL);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    uv_loop_close(&c.loop);
    return rc;
}
