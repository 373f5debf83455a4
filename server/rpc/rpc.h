/*
 * rpc.h - JSON-RPC methods: the dispatch table (name, roles, parameters,
 * handler), parameter checks, and turning database results and SQLSTATEs
 * into replies.  Each family of methods lives in its own rpc_*.c.
 */
#ifndef RPC_H
#define RPC_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

struct conn;
struct db_query;

/* Dispatch c->req; the handler answers now or when its query completes. */
void rpc_dispatch(struct conn *c);

/*
 * Parameter checks.  Each returns true with *out set (left alone when an
 * optional parameter is absent), or answers -32602 naming the parameter
 * and returns false; the handler then returns at once.
 */
bool rpc_param_id(struct conn *c, json_t *params, const char *name,
                  bool required, long long *out);
bool rpc_param_int(struct conn *c, json_t *params, const char *name,
                   long long min, long long max, long long *out);
bool rpc_param_str(struct conn *c, json_t *params, const char *name,
                   bool required, size_t max, const char **out);
/* A string or null (out NULL); absent leaves *present false. */
bool rpc_param_str_or_null(struct conn *c, json_t *params, const char *name,
                           size_t max, const char **out, bool *present);
bool rpc_param_bool(struct conn *c, json_t *params, const char *name,
                    bool *out);

/*
 * Run q and answer with its first column of its first row, which is JSON
 * text (a jsonb value); "null" when there is no row.  Errors are mapped by
 * rpc_reply_db_error().  Holds a reference on c while q is in flight.
 */
void rpc_query_json(struct conn *c, struct db_query *q);
/* Same for a write: on success the change feed is told at once. */
void rpc_write_json(struct conn *c, struct db_query *q);

/* Answer with the error a failed result (or NULL: connection lost) means. */
void rpc_reply_db_error(struct conn *c, const PGresult *res);

/* Submit q for c with cb; answers 5003 itself when the pool is down.
 * cb must conn_unref(c) when done; nothing is answered for it. */
void rpc_submit(struct conn *c, struct db_query *q,
                void (*cb)(struct db_query *q, PGresult *res, void *arg));

/* Handlers, by family. */
void rpc_session_login(struct conn *c, json_t *params);
void rpc_session_peer(struct conn *c, json_t *params);
void rpc_session_resume(struct conn *c, json_t *params);
void rpc_session_ssh(struct conn *c, json_t *params);
void rpc_session_logout(struct conn *c, json_t *params);
/* Forget the session on c: it is nobody, and hears no more of the feed. */
void rpc_session_end(struct conn *c);
/* auth/ ended c's session (struct principal's ended callback). */
struct principal;
void rpc_session_ended(struct principal *p, const char *why);

void rpc_tickets_view(struct conn *c, json_t *params);
void rpc_tickets_counts(struct conn *c, json_t *params);
void rpc_tickets_get(struct conn *c, json_t *params);
void rpc_tickets_create(struct conn *c, json_t *params);
void rpc_tickets_write(struct conn *c, json_t *params); /* claim, close... */
void rpc_attachments_get(struct conn *c, json_t *params);

void rpc_notes_add(struct conn *c, json_t *params);
void rpc_messages_send(struct conn *c, json_t *params);
void rpc_tasks_add(struct conn *c, json_t *params);
void rpc_tasks_done(struct conn *c, json_t *params);
void rpc_tasks_mine(struct conn *c, json_t *params);
void rpc_notifications_list(struct conn *c, json_t *params);
void rpc_notifications_read(struct conn *c, json_t *params);
void rpc_staff_list(struct conn *c, json_t *params);
void rpc_pipelines_list(struct conn *c, json_t *params);
void rpc_uploads_begin(struct conn *c, json_t *params);
void rpc_uploads_append(struct conn *c, json_t *params);
void rpc_server_info(struct conn *c, json_t *params);
void rpc_events_subscribe(struct conn *c, json_t *params);
void rpc_presence_set(struct conn *c, json_t *params);
/* Send the presence markers the rate limit held back (the sweep). */
void rpc_presence_flush(struct conn *c);
/* The session or the connection ended: clear c's markers everywhere. */
void rpc_presence_clear(struct conn *c);

/* The method being run (for handlers shared by several methods). */
const char *rpc_method_name(const struct conn *c);

/* The method table, for metrics: its size, the name at i (NULL past the
 * end), and the index of a name (-1 if no method has it). */
size_t rpc_method_count(void);
const char *rpc_method_at(size_t i);
int rpc_method_index(const char *name);

#endif
