/*
 * outbox.h - the SMTP sender: delivers the outbox table's rows to
 * mail.smtp_url from the server's loop, each row once across every server
 * sharing the database.
 */
#ifndef OUTBOX_H
#define OUTBOX_H

struct core;
struct outbox;

/* Start looking for due rows (every second, and when nudged). */
struct outbox *outbox_new(struct core *core);
/* Email was queued (NOTIFY docket_mail, or a send's own outcome): look
 * soon. */
void outbox_nudge(struct outbox *o);
/* core->cfg->mail changed (a reload): pick up the new sender settings. */
void outbox_reconfigure(struct outbox *o);
/* Stop: sends in flight are cut short and their rows handed back (due
 * again at once); closed_cb runs once the outbox's queries are answered,
 * so the pool may close after it. */
void outbox_close(struct outbox *o, void (*closed_cb)(void *arg), void *arg);
void outbox_free(struct outbox *o);

#endif
