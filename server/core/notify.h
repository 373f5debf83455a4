/*
 * notify.h - telling systemd how docketd is (sd_notify(3)): READY=1 once
 * it listens and the database is connected, RELOADING=1 and STOPPING=1,
 * a STATUS= line, and watchdog pings while the loop turns.  Without
 * $NOTIFY_SOCKET (not under systemd) every call does nothing.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

struct core;
struct notify;

struct notify *notify_new(struct core *core);
/* Something READY=1 waits for may have happened: say it once both have. */
void notify_check_ready(struct notify *n);
void notify_reloading(struct notify *n);
void notify_reloaded(struct notify *n);
void notify_stopping(struct notify *n);
/* After the loop has closed every handle. */
void notify_free(struct notify *n);

#endif
