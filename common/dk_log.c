/*
 * dk_log.c - stderr logging: "PROG LEVEL message", one line per call.
 */
#include "dk_log.h"

#include <stdarg.h>
#include <stdio.h>

int dk_log_level = DK_LOG_INFO;
static const char *log_prog = "docket";

static const char *const level_names[] = {"error", "warn", "info", "debug"};

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

void dk__log(int level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One fprintf so concurrent writers do not interleave within a line. */
    fprintf(stderr, "%s %s %s\n", log_prog, dk_log_level_name(level), line);
}
