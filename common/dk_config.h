/*
 * dk_config.h - the one YAML configuration file shared by docketd,
 * docketctl and docket (SPEC section 10).  Every key has a default; the
 * loader reports every bad key as "FILE:LINE:COLUMN: key.path: problem".
 */
#ifndef DK_CONFIG_H
#define DK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "dk_diag.h"

struct dk_strlist {
    size_t n;
    char **v; /* owned */
};

/* A mapping of names to values (client.keys), with where each was. */
struct dk_pairs {
    size_t n;
    char **key;   /* owned */
    char **value; /* owned */
    unsigned *line, *column;
};

enum dk_client_colors { DK_COLORS_DEFAULT, DK_COLORS_MONO };
enum dk_unknown_senders { DK_SENDERS_REJECT, DK_SENDERS_CREATE };
/* mail.require_auth: in the order of auth_choices[] in dk_config.c */
enum dk_require_auth { DK_AUTH_NONE, DK_AUTH_SPF, DK_AUTH_DKIM, DK_AUTH_DMARC };
/* mail.starttls: when the sender upgrades an smtp:// connection. */
enum dk_starttls {
    DK_STARTTLS_AUTO,    /* never to this host (loopback), else TRY */
    DK_STARTTLS_TRY,     /* when offered, with the certificate verified */
    DK_STARTTLS_REQUIRE, /* always; a relay without it fails the send */
    DK_STARTTLS_NEVER,   /* plain, whatever is offered */
};

enum dk_portal_access { DK_ACCESS_LIST, DK_ACCESS_SELF_REGISTRATION };
enum dk_portal_visibility { DK_VISIBILITY_OWN, DK_VISIBILITY_COMPANY };
/* The portal's languages, each with its catalogue (po/LANG.po), in the
 * order of enum dk_language; NULL-terminated. */
extern const char *const dk_languages[];
enum dk_language { DK_LANG_EN, DK_LANG_NB, DK_LANG_NL, DK_LANG_COUNT };

/* All strings are owned by the struct and freed by dk_config_cleanup(). */
struct dk_config {
    struct {
        char *conninfo;
        int pool_size;
    } database;
    struct {
        char *socket; /* "" disables the Unix socket */
        char *listen; /* "" disables TCP */
        size_t max_line_bytes;
        size_t max_output_bytes;
        char *instance;
        int socket_mode;    /* permission bits of the Unix socket */
        char *socket_group; /* "" leaves the group alone */
        /* The Unix user sshd runs "docket --ssh-key" as: the one peer
         * allowed session.ssh; "" turns SSH-key logins off. */
        char *ssh_gateway_user;
        int max_unauthenticated;
        int max_unauthenticated_per_address;
        long long login_deadline; /* seconds */
    } server;
    struct {
        long long idle_timeout;   /* seconds */
        int max_login_failures;   /* per (account, address) */
        long long login_lockout;  /* seconds */
        int max_account_failures; /* per account, from every address */
        int max_address_failures; /* per address (IPv6 /64), every account */
        long long presence_lapse; /* seconds: an unrefreshed marker goes */
    } session;
    struct {
        char *smtp_url;
        char *from;
        bool send;               /* deliver the outbox from this server */
        int max_attempts;        /* then the row is marked failed */
        long long retry_backoff; /* seconds before the 2nd try; doubles */
        int unknown_senders;     /* mail-in: enum dk_unknown_senders */
        int require_auth;        /* mail-in: enum dk_require_auth */
        int starttls;            /* enum dk_starttls */
        long long reopen_within; /* seconds: a reply reopens a ticket
                                    closed less long ago */
        char *message_id_domain; /* "": the domain of from (use
                                    dk_mail_id_domain()) */
    } mail;
    struct {
        char *listen;                /* "" disables HTTP */
        struct dk_strlist ops_allow; /* networks that may read /healthz... */
        int max_connections;         /* open HTTP connections */
        int max_connections_per_address; /* of one address (IPv6 by /64) */
    } http;
    struct {
        int level; /* enum dk_log_level */
    } log;
    struct {
        bool enabled;
        char *base_url;
        char *title;
        char *ticket_label;
        int access; /* enum dk_portal_access */
        char *access_list;
        int visibility; /* enum dk_portal_visibility */
        bool show_stage_names;
        struct dk_strlist pipelines;
        struct dk_strlist languages; /* of dk_languages, checked */
        int default_language;        /* enum dk_language, in languages */
        struct {
            bool enabled;
            char *menu_text;
            char *header_text;
        } support_form;
        char *consent_text;
        long long idle_timeout; /* seconds */
        struct {
            char *jwt_secret;
            char *jwt_public_key_file;
            char *jwt_audience;
            char *jwt_issuer;
        } sso;
        struct {
            char *issuer; /* "" turns OpenID Connect off */
            char *client_id;
            char *client_secret;
            char *ca_file; /* PEM CAs for the provider, "" the system's */
            char *button_text;
        } oidc;
        struct {
            char *idp_metadata;    /* a file; "" turns SAML off */
            char *sp_key_file;     /* PEM: the service provider's own key */
            char *sp_cert_file;    /* PEM: its certificate, in its metadata */
            char *email_attribute; /* "" the NameID */
            char *button_text;
        } saml;
        size_t max_upload_bytes; /* per file */
        char *stylesheet;        /* a CSS file replacing the built-in one */
        char *logo;              /* an image file shown in the header */
    } portal;
    struct {
        int default_view;     /* enum dk_view (dk_views.h) */
        char *date_format;    /* strftime(3) */
        int colors;           /* enum dk_client_colors */
        struct dk_pairs keys; /* action name -> key(s) */
        bool mouse;           /* clicks and the wheel (off: the terminal's
                                 own selection keeps working) */
    } client;
};

/* The view names of client.default_view, in tab order. */

/* Fill cfg with every default.  Pair with dk_config_cleanup(). */
void dk_config_defaults(struct dk_config *cfg);

/*
 * Load path over the defaults into cfg.  Returns 0; or DK_EINVAL with one
 * line in diag per problem (all of them, not only the first) and cfg left
 * holding defaults; or DK_EFAIL when the file cannot be read.  Either way
 * cfg must later go to dk_config_cleanup().
 */
int dk_config_load(struct dk_config *cfg, const char *path,
                   struct dk_diag *diag);

/* Same, from a buffer; name is used in the messages. */
int dk_config_load_buffer(struct dk_config *cfg, const char *name,
                          const char *data, size_t len, struct dk_diag *diag);

void dk_config_cleanup(struct dk_config *cfg);

#endif
