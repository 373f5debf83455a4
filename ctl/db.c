/*
 * db.c - docketctl's helpers: the one database connection, error
 * reporting, option parsing and reading secrets from stdin.
 */
#include "ctl.h"
#include "dk_mem.h"
#include "dk_pgenc.h"
#include "dk_text.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int ctl_fail(struct ctl *c, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "docketctl: %s%s", c->cmd ? c->cmd : "",
            c->cmd ? ": " : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

/* libpq messages end in a newline and may span lines; keep the first. */
static const char *first_line(const char *msg, char *buf, size_t size)
{
    size_t n = strcspn(msg, "\n");

    if (n >= size)
        n = size - 1;
    memcpy(buf, msg, n);
    buf[n] = '\0';
    return buf;
}

PGconn *ctl_db(struct ctl *c)
{
    const char *values[] = {c->cfg.database.conninfo, DK_PGENC_CLIENT, NULL};
    char line[512];

    if (c->pg)
        return c->pg;
    c->pg = PQconnectdbParams(dk_pgenc_keywords, values, 1);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        ctl_fail(c, "could not connect to database: %s",
                 first_line(PQerrorMessage(c->pg), line, sizeof(line)));
        PQfinish(c->pg);
        c->pg = NULL;
        return NULL;
    }
    if (dk_pgenc_why(PQparameterStatus(c->pg, "server_encoding"),
                     PQparameterStatus(c->pg, "client_encoding"), line,
                     sizeof(line))) {
        ctl_fail(c, "%s", line);
        PQfinish(c->pg);
        c->pg = NULL;
        return NULL;
    }
    /* Quiet NOTICEs such as "extension already exists". */
    PQclear(PQexec(c->pg, "SET client_min_messages = warning"));
    return c->pg;
}

PGresult *ctl_exec(struct ctl *c, const char *sql, int nparams,
                   const char *const *params, char state[6],
                   char constraint[64])
{
    PGconn *pg = ctl_db(c);
    PGresult *res;
    ExecStatusType st;
    const char *s;
    char line[512];

    if (state)
        state[0] = '\0';
    if (constraint)
        constraint[0] = '\0';
    if (!pg)
        return NULL;
    res = nparams ? PQexecParams(pg, sql, nparams, NULL, params, NULL, NULL, 0)
                  : PQexec(pg, sql);
    st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    if (state) {
        s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        snprintf(state, 6, "%s", s ? s : "");
        if (constraint) {
            s = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
            snprintf(constraint, 64, "%s", s ? s : "");
        }
    } else {
        ctl_fail(c, "database error: %s",
                 first_line(PQresultErrorMessage(res), line, sizeof(line)));
    }
    PQclear(res);
    return NULL;
}

static int simple(struct ctl *c, const char *sql)
{
    PGresult *res = ctl_exec(c, sql, 0, NULL, NULL, NULL);

    if (!res)
        return 1;
    PQclear(res);
    return 0;
}

int ctl_begin(struct ctl *c)
{
    return simple(c, "BEGIN");
}

int ctl_commit(struct ctl *c)
{
    return simple(c, "COMMIT");
}

void ctl_rollback(struct ctl *c)
{
    if (c->pg)
        PQclear(PQexec(c->pg, "ROLLBACK"));
}

int ctl_getopt(struct ctl *c, int argc, char **argv, const char *usage,
               const struct option *longopts, char **pos, int npos_max,
               int (*handle)(struct ctl *c, int opt, const char *val,
                             void *arg),
               void *arg)
{
    static const struct option none[] = {{0}};
    int npos = 0, opt;

    if (!longopts)
        longopts = none;
    opterr = 0;
    optind = 0; /* glibc: reinitialise fully */
    /* Leading '-': positionals come back as option 1, in order. */
    for (;;) {
        int prev = optind ? optind : 1, longindex = -1;
        if ((opt = getopt_long(argc, argv, "-:h", longopts, &longindex)) == -1)
            break;
        /* getopt_long takes "--pass" for "--password-stdin"; we do not:
         * an abbreviation is too easily a different option's mistake. */
        if (longindex >= 0 && opt != '?' && opt != ':') {
            const char *name = longopts[longindex].name;
            const char *text = argv[prev] + 2;
            size_t n = strlen(name);
            if (strncmp(text, name, n) != 0 ||
                (text[n] != '\0' && text[n] != '=')) {
                ctl_fail(c, "unknown option \"%.*s\"\nusage: %s",
                         (int)strcspn(argv[prev], "="), argv[prev], usage);
                return -1;
            }
        }
        if (opt == 1) {
            if (npos >= npos_max) {
                ctl_fail(c, "unexpected argument \"%s\"\nusage: %s", optarg,
                         usage);
                return -1;
            }
            pos[npos++] = optarg;
        } else if (opt == 'h') {
            printf("usage: %s\n", usage);
            exit(0);
        } else if (opt == ':') {
            ctl_fail(c, "option \"%s\" needs a value\nusage: %s",
                     argv[optind - 1], usage);
            return -1;
        } else if (opt == '?') {
            if (optopt)
                ctl_fail(c, "unknown option \"-%c\"\nusage: %s", optopt, usage);
            else
                ctl_fail(c, "unknown option \"%s\"\nusage: %s",
                         argv[optind - 1], usage);
            return -1;
        } else if (handle && handle(c, opt, optarg, arg) != 0) {
            return -1;
        }
    }
    return npos;
}

static char *read_line(FILE *fp)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, fp);

    if (n < 0) {
        free(line);
        return NULL;
    }
    if (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    if (n > 0 && line[n - 1] == '\r')
        line[--n] = '\0';
    return line;
}

static char *prompt_noecho(const char *prompt)
{
    struct termios old, quiet;
    char *line;

    fputs(prompt, stderr);
    fflush(stderr);
    if (tcgetattr(STDIN_FILENO, &old) != 0)
        return read_line(stdin);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    line = read_line(stdin);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    return line;
}

char *ctl_read_password(struct ctl *c, bool prompt)
{
    char *pw, *again;

    if (prompt && isatty(STDIN_FILENO)) {
        pw = prompt_noecho("New password: ");
        again = pw ? prompt_noecho("Again: ") : NULL;
        if (!pw || !again || strcmp(pw, again) != 0) {
            free(pw);
            free(again);
            ctl_fail(c, "passwords do not match");
            return NULL;
        }
        free(again);
    } else {
        pw = read_line(stdin);
    }
    if (!pw || !*pw) {
        free(pw);
        ctl_fail(c, "no password on standard input");
        return NULL;
    }
    if (strlen(pw) < 8 || strlen(pw) > 1024 || !dk_utf8_valid(pw, strlen(pw))) {
        free(pw);
        ctl_fail(c, "password must be 8 to 1024 characters of UTF-8 text");
        return NULL;
    }
    return pw;
}

char *ctl_read_stdin(struct ctl *c, const char *what, size_t max)
{
    size_t len = 0, cap = 4096, n;
    char *buf = dk_xmalloc(cap);

    while ((n = fread(buf + len, 1, cap - len - 1, stdin)) > 0) {
        len += n;
        if (len > max) {
            free(buf);
            ctl_fail(c, "%s is longer than %zu bytes", what, max);
            return NULL;
        }
        if (cap - len - 1 == 0) {
            cap *= 2;
            buf = dk_xrealloc(buf, cap);
        }
    }
    if (ferror(stdin)) {
        free(buf);
        ctl_fail(c, "could not read %s from standard input: %s", what,
                 strerror(errno));
        return NULL;
    }
    buf[len] = '\0';
    if (strlen(buf) != len || !dk_utf8_valid(buf, len)) {
        free(buf);
        ctl_fail(c, "%s is not UTF-8 text", what);
        return NULL;
    }
    return buf;
}

/* Characters in a UTF-8 string: what a terminal column count needs. */
static size_t utf8_width(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

int ctl_print_query(struct ctl *c, const char *const *headers, const char *sql,
                    int nparams, const char *const *params)
{
    PGresult *res = ctl_exec(c, sql, nparams, params, NULL, NULL);
    int rows, cols;
    size_t *width;

    if (!res)
        return 1;
    rows = PQntuples(res);
    cols = PQnfields(res);
    width = dk_xcalloc((size_t)cols, sizeof(*width));
    for (int j = 0; j < cols; j++) {
        width[j] = utf8_width(headers[j]);
        for (int i = 0; i < rows; i++) {
            size_t w = utf8_width(PQgetvalue(res, i, j));
            if (w > width[j])
                width[j] = w;
        }
    }
    for (int i = -1; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            const char *v = i < 0 ? headers[j] : PQgetvalue(res, i, j);
            if (j == cols - 1)
                printf("%s\n", v);
            else
                printf("%s%*s  ", v, (int)(width[j] - utf8_width(v)), "");
        }
    }
    free(width);
    PQclear(res);
    return 0;
}
