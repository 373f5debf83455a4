/*
 * dk_log.h - one line per event on stderr, below-level calls skipped before
 * any formatting is done.
 */
#ifndef DK_LOG_H
#define DK_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum dk_log_level {
    DK_LOG_ERROR = 0,
    DK_LOG_WARN = 1,
    DK_LOG_INFO = 2,
    DK_LOG_DEBUG = 3,
};

extern int dk_log_level;

/* prog is borrowed and must outlive logging (argv[0]'s basename is fine). */
void dk_log_init(const char *prog, int level);
/* "error", "warn", "info", "debug"; NULL for an out-of-range level. */
const char *dk_log_level_name(int level);

/* True when stderr is the stream systemd connected to the journal. */
bool dk_log_stderr_is_journal(void);
/* Write "<N>message" lines (syslog priority N) instead of "PROG LEVEL
 * message": journald then files each line at its own priority. */
void dk_log_set_journal(bool on);
/* s with newlines, tabs and other control characters written as \n, \t,
 * \xNN, cut to fit size: what every log line goes through. */
void dk_log_escape(char *out, size_t size, const char *s);
/* Log to fp instead of stderr (tests); NULL goes back to stderr. */
void dk_log_set_stream(FILE *fp);

#define dk_log(level, ...)                                                     \
    do {                                                                       \
        if ((level) <= dk_log_level)                                           \
            dk__log((level), __VA_ARGS__);                                     \
    } while (0)

void dk__log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
