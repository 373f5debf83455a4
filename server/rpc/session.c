/*
 * session.c - session.login, session.peer, session.ssh, session.resume and
 * session.logout over auth/, and what a connection does when its session
 * ends (it hears no more of the feed, and its presence markers clear).
 */
#include "auth.h"
#include "conn.h"
#include "core.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "hub.h"
#include "rpc.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What every end of c's session does (expired, logged out, or ended by
 * auth/): no more feed, no presence, and server.login_deadline runs again
 * from now.  The client is told and may log in again, as a new connection
 * may; counted from when it connected, the sweep would cut it off before
 * its next request (an hour-old connection is long past 10 s). */
static void session_gone(struct conn *c)
{
    rpc_presence_clear(c);
    hub_unsubscribe(c->rs->core->hub, &c->sub);
    c->connected_ms = core_now_ms(c->rs->core);
}

void rpc_session_end(struct conn *c)
{
    auth_forget(c->rs->auth, &c->who);
    session_gone(c);
}

void rpc_session_ended(struct principal *p, const char *why)
{
    struct conn *c = conn_of(p, who);

    conn_log(c, DK_LOG_INFO, "%s", why);
    session_gone(c);
}

/* ---- the caller of auth's functions: c, held until done -------------- */

static bool conn_gone(void *arg)
{
    return ((struct conn *)arg)->state == CONN_CLOSING;
}

static void reply_outcome(struct conn *c, const struct auth_result *r)
{
    conn_reply_error(c, dk_outcome_rpc_code(r->outcome),
                     r->message ? r->message : "error", NULL);
}

/* Answer {token, staff, idle_timeout_s} and make the session c's. */
static void logged_in(void *arg, const struct auth_result *r)
{
    struct conn *c = arg;
    char *json;

    if (c->state == CONN_CLOSING) {
        conn_unref(c);
        return;
    }
    if (r->outcome != DK_OUT_OK) {
        reply_outcome(c, r);
        conn_unref(c);
        return;
    }
    auth_adopt(c->rs->auth, &c->who, r);
    conn_log(c, DK_LOG_INFO, "logged in (%s)", rpc_method_name(c));
    json = dk_xasprintf(
        "{\"token\":\"%s\",\"staff\":%s,\"idle_timeout_s\":%lld}", r->token,
        r->staff_json, c->rs->core->cfg->session.idle_timeout);
    conn_reply_raw(c, json);
    free(json);
    conn_unref(c);
}

static struct auth_caller
caller(struct conn *c, void (*done)(void *, const struct auth_result *))
{
    struct auth_caller who = {done, conn_gone, c};

    conn_ref(c);
    return who;
}

void rpc_session_login(struct conn *c, json_t *params)
{
    const char *username = NULL, *password = NULL;

    if (!rpc_param_str(c, params, "username", true, 64, &username) ||
        !rpc_param_str(c, params, "password", true, 1024, &password))
        return;
    auth_login(c->rs->auth, username, password, c->peer, c->is_unix,
               caller(c, logged_in));
}

void rpc_session_peer(struct conn *c, json_t *params)
{
    if (!c->is_unix || !c->has_uid) {
        conn_reply_error(c, DK_RPC_FORBIDDEN,
                         "session.peer works only on the Unix socket", NULL);
        return;
    }
    auth_peer(c->rs->auth, c->peer_uid, caller(c, logged_in));
}

/* "SHA256:" and 43 characters of unpadded base64, as OpenSSH prints. */
static bool fingerprint_valid(const char *s)
{
    return strncmp(s, "SHA256:", 7) == 0 && strlen(s) == 7 + 43 &&
           strspn(s + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789+/") == 43;
}

void rpc_session_ssh(struct conn *c, json_t *params)
{
    const char *fingerprint = NULL;

    if (!rpc_param_str(c, params, "fingerprint", true, 64, &fingerprint))
        return;
    /* Only the gateway account sshd runs docket as can vouch for a key;
     * over TCP nobody can. */
    if (!c->is_unix || !c->has_uid) {
        conn_reply_error(c, DK_RPC_FORBIDDEN,
                         "session.ssh works only on the Unix socket", NULL);
        return;
    }
    if (!c->rs->core->cfg->server.ssh_gateway_user[0]) {
        conn_reply_error(c, DK_RPC_FORBIDDEN,
                         "SSH-key logins are off (server.ssh_gateway_user "
                         "is not set)",
                         NULL);
        return;
    }
    if (!fingerprint_valid(fingerprint)) {
        conn_reply_error(c, DK_RPC_BAD_PARAMS,
                         "fingerprint must be SHA256: and 43 characters of "
                         "base64, as ssh-keygen -l prints it",
                         NULL);
        return;
    }
    auth_ssh(c->rs->auth, c->peer_uid, fingerprint, caller(c, logged_in));
}

void rpc_session_resume(struct conn *c, json_t *params)
{
    const char *token = NULL;

    if (!rpc_param_str(c, params, "token", true, 128, &token))
        return;
    auth_resume(c->rs->auth, token, c->peer, c->is_unix, caller(c, logged_in));
}

static void logged_out(void *arg, const struct auth_result *r)
{
    struct conn *c = arg;

    if (c->state != CONN_CLOSING) {
        if (r->outcome != DK_OUT_OK) {
            reply_outcome(c, r);
        } else {
            conn_log(c, DK_LOG_INFO, "logged out");
            session_gone(c);
            conn_reply(c, json_object());
        }
    }
    conn_unref(c);
}

void rpc_session_logout(struct conn *c, json_t *params)
{
    auth_logout(c->rs->auth, &c->who, caller(c, logged_out));
}
