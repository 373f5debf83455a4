/*
 * dk_log.c - stderr logging, one line per call: "PROG LEVEL message" on a
 * terminal or in a file, "<N>message" when stderr is the journal, whose
 * N (a syslog priority) journald keeps as the entry's PRIORITY.
 */
#include "dk_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int dk_log_level = DK_LOG_INFO;
static const char *log_prog = "docket";
static bool log_journal;
static FILE *log_stream; /* NULL: stderr */

static const char *const level_names[] = {"error", "warn", "info", "debug"};
/* syslog(3) priorities: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
static const int level_prios[] = {3, 4, 6, 7};

void dk_log_init(const char *prog, int level)
{
    log_prog = prog;
    dk_log_level = level;
}

const char *dk_log_level_name(int level)
{
    if (level < DK_LOG_ERROR || level > DK_LOG_DEBUG)
        return NULL;
    return level_names[level];
}

bool dk_log_stderr_is_journal(void)
{
    /* systemd sets JOURNAL_STREAM=DEV:INODE for the stream it connected;
     * compare, since a child may have had stderr redirected since. */
    const char *env = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
        return false;
    if (fstat(2, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

void dk_log_set_journal(bool on)
{
    log_journal = on;
}

void dk_log_set_stream(FILE *fp)
{
    log_stream = fp;
}

void dk_log_escape(char *out, size_t size, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    if (size == 0)
        return;
    for (; *s && n + 5 < size; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\n' || ch == '\r' || ch == '\t') {
            out[n++] = '\\';
            out[n++] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
        } else if (ch < 0x20 || ch == 0x7f) {
            /* A line of ours is one line: nothing a client sends can
             * start another, move the cursor or ring a terminal. */
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[ch >> 4];
            out[n++] = hex[ch & 15];
        } else {
            out[n++] = (char)ch;
        }
    }
    out[n] = '\0';
}

void dk__log(int level, const char *fmt, ...)
{
    FILE *fp = log_stream ? log_stream : stderr;
    char line[2048], safe[2048 * 4];
    va_list ap;

    if (level < DK_LOG_ERROR || level > DK_LOG_DEBUG)
        level = DK_LOG_ERROR;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    dk_log_escape(safe, sizeof(safe), line);
    /* One fprintf so concurrent writers do not interleave within a line. */
    if (log_journal)
        fprintf(fp, "<%d>%s\n", level_prios[level], safe);
    else
        fprintf(fp, "%s %s %s\n", log_prog, level_names[level], safe);
}
