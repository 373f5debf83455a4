/*
 * main.c - docket: options, where the server is, the password when one
 * is needed (asked before the screen is taken over), then either a
 * command for scripts (cli.c, no terminal) or the terminal and the loop.
 * endwin() runs on every way out.
 */
#include "app.h"
#include "cli.h"
#include "dk_addr.h"
#include "dk_config.h"
#include "dk_mem.h"
#include "keymap.h"

#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#ifndef DOCKET_VERSION
#define DOCKET_VERSION "0.1.0"
#endif

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: docket [OPTIONS] [COMMAND [--json]]\n"
            "OPTIONS: [--config FILE] [--server unix:PATH|HOST:PORT] "
            "[--user NAME | --ssh-key SHA256:...]\n"
            "  --config FILE   read server.socket / server.listen from FILE\n"
            "                  (default $XDG_CONFIG_HOME/docket/config.yaml, "
            "then $DOCKET_CONFIG,\n"
            "                  then /etc/docket/config.yaml)\n"
            "  --server SPEC   the server: unix:/run/docket/docket.sock or "
            "host:7878\n"
            "  --user NAME     log in as NAME with a password "
            "($DOCKET_PASSWORD, or asked);\n"
            "                  without it, the Unix socket logs you in by "
            "your Unix user\n"
            "  --ssh-key SHA256:...\n"
            "                  log in as the staff member with this SSH key "
            "(the forced\n"
            "                  command sshd runs; see docketctl "
            "ssh-authorized-keys)\n"
            "  --help          print this and exit\n"
            "  --version       print the version and exit\n"
            "  --json          a command's output as the server's JSON\n"
            "  --since SEQ     watch: replay the changes after SEQ first\n"
            "Without a command, the terminal client starts.\n");
    cli_usage(fp);
    fprintf(fp, "VIEW is one of my-open, unassigned, waiting-on-graphics, "
                "my-graphics, open,\n"
                "closed.  Press ? inside docket for the keys; see "
                "docket(1).\n");
}

static char *ask_password(const char *user)
{
    struct termios old, quiet;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool tty = tcgetattr(STDIN_FILENO, &old) == 0;

    fprintf(stderr, "Password for %s: ", user);
    fflush(stderr);
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    n = getline(&line, &cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (n <= 0) {
        free(line);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    return line;
}

/*
 * Load a configuration file into cfg: the server to use (its socket, else
 * its TCP address) and the client's settings.  Returns 0; or 1 after
 * printing every problem when the file exists but is wrong.
 */
static int load_config(const char *path, struct dk_config *cfg, char **server)
{
    struct dk_diag diag;
    int rc;

    dk_diag_init(&diag);
    rc = dk_config_load(cfg, path, &diag);
    for (size_t i = 0; i < diag.n; i++)
        fprintf(stderr, "docket: %s\n", diag.lines[i]);
    dk_diag_cleanup(&diag);
    if (rc != 0)
        return 1;
    if (cfg->server.socket[0])
        *server = dk_xasprintf("unix:%s", cfg->server.socket);
    else if (cfg->server.listen[0])
        *server = dk_xstrdup(cfg->server.listen);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"server", required_argument, NULL, 's'},
        {"user", required_argument, NULL, 'u'},
        {"ssh-key", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"json", no_argument, NULL, 'j'},
        {"since", required_argument, NULL, 'S'},
        {0}};
    static struct app a;
    static struct dk_config cfg;
    const char *config = NULL, *server = NULL;
    char *found = NULL, xdg[4096];
    struct cli_opts co = {.since = -1};
    bool command;
    int opt;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":c:s:u:hj", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config = optarg;
            break;
        case 's':
            server = optarg;
            break;
        case 'u':
            a.user = optarg;
            break;
        case 'k':
            a.ssh_key = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("docket %s\n", DOCKET_VERSION);
            return 0;
        case 'j':
            co.json = true;
            break;
        case 'S': {
            char *end;
            co.since = strtoll(optarg, &end, 10);
            if (!*optarg || *end || co.since < 0) {
                fprintf(stderr, "docket: --since takes a seq (0 or more)\n");
                return 2;
            }
            break;
        }
        case ':':
            fprintf(stderr, "docket: option \"%s\" needs a value\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "docket: unknown option \"%s\"\n",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    /* Options may come anywhere (getopt moves the words that are not
     * options to the end): the first of those is the command. */
    command = optind < argc;
    if (command && !cli_is_command(argv[optind])) {
        fprintf(stderr, "docket: unknown command \"%s\"\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (!command && (co.json || co.since >= 0)) {
        fprintf(stderr, "docket: --json and --since go with a command\n");
        return 2;
    }
    if (a.ssh_key) {
        /* Run by sshd as the forced command: without -t there is no
         * terminal, and whatever command the person asked for is not
         * run (SSH_ORIGINAL_COMMAND is ignored). */
        if (!command && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
            fprintf(stderr, "docket: needs a terminal: use ssh -t\n");
            return 2;
        }
        if (a.user) {
            fprintf(stderr, "docket: --ssh-key and --user contradict\n");
            return 2;
        }
        if (strncmp(a.ssh_key, "SHA256:", 7) != 0 ||
            strlen(a.ssh_key) != 7 + 43) {
            fprintf(stderr, "docket: --ssh-key takes SHA256: and 43 "
                            "characters, as ssh-keygen -l prints\n");
            return 2;
        }
    }
    /* The configuration: --config, else the user's, else the system's. */
    if (!config) {
        const char *home = getenv("XDG_CONFIG_HOME");
        if (home && *home)
            snprintf(xdg, sizeof(xdg), "%s/docket/config.yaml", home);
        else
            snprintf(xdg, sizeof(xdg), "%s/.config/docket/config.yaml",
                     getenv("HOME") ? getenv("HOME") : "");
        if (access(xdg, R_OK) == 0)
            config = xdg;
        else if (getenv("DOCKET_CONFIG") && *getenv("DOCKET_CONFIG"))
            config = getenv("DOCKET_CONFIG");
        else if (access("/etc/docket/config.yaml", R_OK) == 0)
            config = "/etc/docket/config.yaml";
    }
    if (config) {
        struct dk_diag diag;
        if (load_config(config, &cfg, &found) != 0) {
            dk_config_cleanup(&cfg);
            return 1;
        }
        dk_diag_init(&diag);
        keymap_defaults(a.keymap);
        if (keymap_apply(a.keymap, &cfg.client.keys, config, &diag) > 0) {
            for (size_t i = 0; i < diag.n; i++)
                fprintf(stderr, "docket: %s\n", diag.lines[i]);
            dk_diag_cleanup(&diag);
            dk_config_cleanup(&cfg);
            return 1;
        }
        dk_diag_cleanup(&diag);
    } else {
        dk_config_defaults(&cfg);
        keymap_defaults(a.keymap);
    }
    a.default_view = cfg.client.default_view;
    a.mono = cfg.client.colors == DK_COLORS_MONO;
    a.mouse = cfg.client.mouse;
    a.date_format = cfg.client.date_format;
    if (!server)
        server = found ? found : "unix:/run/docket/docket.sock";
    a.server = dk_xstrdup(server);
    /* Each server of the list, before the password prompt: a typo should
     * not cost one. */
    for (const char *p = server;; p++) {
        size_t len = strcspn(p, ",");
        char *one = dk_xstrndup(p, len), err[300];
        struct sockaddr_storage sa;
        int rc = 0;
        if (!*one || (strncmp(one, "unix:", 5) != 0 && one[0] != '/'))
            rc = dk_addr_resolve(one, false, &sa, err, sizeof(err));
        free(one);
        if (rc != 0) {
            fprintf(stderr, "docket: --server: %s\n", err);
            return 2;
        }
        p += len;
        if (!*p)
            break;
    }
    /* The key is vouched for only on the Unix socket. */
    if (a.ssh_key && strncmp(server, "unix:", 5) != 0 && server[0] != '/') {
        fprintf(stderr,
                "docket: --ssh-key needs the server's Unix socket, "
                "not \"%s\"\n",
                server);
        return 2;
    }
    /* Over TCP, or as another user, log in with a password (never with
     * --ssh-key: that is session.ssh). */
    if (!a.ssh_key &&
        (a.user || !(strncmp(server, "unix:", 5) == 0 || server[0] == '/'))) {
        if (!a.user)
            a.user = getenv("USER");
        if (!a.user) {
            fprintf(stderr, "docket: over TCP, say who you are: --user NAME\n");
            return 2;
        }
        if (getenv("DOCKET_PASSWORD")) {
            a.password = dk_xstrdup(getenv("DOCKET_PASSWORD"));
        } else if (command && (!isatty(STDIN_FILENO) ||
                               cli_reads_stdin(argc - optind, argv + optind))) {
            /* A script has nobody to ask, and a body on stdin is not a
             * password. */
            fprintf(stderr,
                    "docket: no password for %s: set "
                    "$DOCKET_PASSWORD\n",
                    a.user);
            return 2;
        } else if (!(a.password = ask_password(a.user))) {
            return 1;
        }
    }

    setlocale(LC_ALL, "");
    /* Names and subjects are UTF-8 whatever the environment says. */
    if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
        setlocale(LC_ALL, "C.UTF-8");
    if (command) {
        int rc;
        co.server = server;
        co.user = a.user;
        co.password = a.password;
        co.ssh_key = a.ssh_key;
        rc = cli_run(&co, argc - optind, argv + optind);
        free(found);
        free(a.server);
        free(a.password);
        dk_config_cleanup(&cfg);
        return rc;
    }
    /* The screens need a terminal to read keys from and draw on; without
     * one (ssh without -t, a cron job, stdin from a file) ncurses would
     * draw garbage and the key reader cannot poll what stdin is. */
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "docket: needs a terminal: use ssh -t, or a command "
                        "for scripts (docket --help)\n");
        free(found);
        free(a.server);
        free(a.password);
        dk_config_cleanup(&cfg);
        return 2;
    }
    if (!getenv("TERM") || !*getenv("TERM") ||
        !strcmp(getenv("TERM"), "dumb")) {
        fprintf(stderr,
                "docket: the terminal \"%s\" cannot show docket's "
                "screens: set TERM (e.g. xterm-256color), or use a "
                "command for scripts (docket --help)\n",
                getenv("TERM") ? getenv("TERM") : "");
        free(found);
        free(a.server);
        free(a.password);
        dk_config_cleanup(&cfg);
        return 2;
    }
    a.loop = uv_default_loop();
    set_escdelay(25);
    if (!initscr()) {
        fprintf(stderr, "docket: could not start the terminal\n");
        return 1;
    }
    cbreak();
    /* Ctrl-S sends a draft: the terminal must not take it for XOFF. */
    {
        struct termios t;
        if (tcgetattr(STDIN_FILENO, &t) == 0) {
            t.c_iflag &= ~(tcflag_t)(IXON | IXOFF);
            tcsetattr(STDIN_FILENO, TCSANOW, &t);
        }
    }
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    /* Only when asked: a program that takes the mouse takes the
     * terminal's own select-and-copy (Shift gives it back). */
    if (a.mouse) {
        mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
        mouseinterval(0);
    }
    if (app_run(&a) != 0) {
        endwin();
        fprintf(stderr, "docket: \"%s\" is not unix:PATH or HOST:PORT\n",
                server);
        return 2;
    }
    endwin();
    app_cleanup(&a);
    uv_loop_close(a.loop);
    /* Refused at login, or at a re-login later (an SSH key removed, a
     * member disabled): say why on the way out. */
    if (a.conn == CS_OFFLINE && a.quit && (!a.me[0] || a.refused) &&
        a.message[0]) {
        fprintf(stderr, "docket: %s\n", a.message);
        free(found);
        free(a.server);
        free(a.password);
        dk_config_cleanup(&cfg);
        return 1;
    }
    free(found);
    free(a.server);
    free(a.password);
    dk_config_cleanup(&cfg);
    return 0;
}
