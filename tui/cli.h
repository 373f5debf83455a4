/*
 * cli.h - docket's commands for scripts (docket view, show, claim, note,
 * watch...): one request or the feed, output on stdout as text or JSON,
 * and exit codes a shell can test.  No terminal and no curses: main.c
 * resolves the options, the server and the password, then hands over.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Exit codes, for the shell. */
enum {
    CLI_OK = 0,
    CLI_ERROR = 1,    /* the server refused, not found, connection lost */
    CLI_USAGE = 2,    /* a wrong command line, or an empty body */
    CLI_CONFLICT = 3, /* someone else holds the ticket (named on stderr) */
};

/* What main.c worked out; every pointer borrowed. */
struct cli_opts {
    const char *server;   /* "unix:PATH" or "HOST:PORT", commas allowed */
    const char *user;     /* for session.login; NULL with peer or key */
    const char *password; /* NULL: peer credentials (or the SSH key) */
    const char *ssh_key;  /* "SHA256:..." for session.ssh, or NULL */
    bool json;            /* --json */
    long long since;      /* --since SEQ, or -1 */
};

/* Whether name is one of the commands (main.c dispatches on it). */
bool cli_is_command(const char *name);

/*
 * Whether the command reads its body from stdin (note/reply ID -), so
 * that main.c does not also ask for a password there.
 */
bool cli_reads_stdin(int argc, char **argv);

/*
 * Run the command argv[0] with its arguments argv[1..argc-1] (the global
 * options already taken out).  Returns the exit code (CLI_*).
 */
int cli_run(const struct cli_opts *o, int argc, char **argv);

/* The commands' lines for docket --help. */
void cli_usage(FILE *fp);

#endif
