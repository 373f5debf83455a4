/*
 * cmd_sshkey.c - docketctl staff key add | list | remove, and
 * ssh-authorized-keys, which sshd runs as its AuthorizedKeysCommand: SSH
 * public keys as staff identities behind one gateway account (gitolite's
 * model).  Keys are parsed and fingerprinted by libssh; what sshd is told
 * comes from the database's canonical copy, never from the caller's text,
 * so no option or second line can be smuggled into its answer.
 */
#include "ctl.h"
#include "dk_mem.h"
#include "dk_text.h"

#include <getopt.h>
#include <libssh/libssh.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY_LINE_MAX 16384 /* an RSA-16384 key line is about 2.8 KB */
#define RSA_MIN_BITS 2048

/* The key types a staff member may log in with.  DSA (1024 bits, SHA-1)
 * and certificates are refused by name before anything is parsed. */
static const char *const key_types[] = {
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
};

static bool key_type_known(const char *type)
{
    for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
        if (!strcmp(type, key_types[i]))
            return true;
    return false;
}

static bool base64_chars(const char *s)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789+/");

    return n >= 16 && strspn(s + n, "=") <= 2 && s[n + strspn(s + n, "=")] == 0;
}

/* One SSH wire-format string at *p (uint32 length, bytes); false past end. */
static bool wire_string(const unsigned char **p, const unsigned char *end,
                        const unsigned char **out, size_t *len)
{
    uint32_t n;

    if (end - *p < 4)
        return false;
    n = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 |
        (uint32_t)(*p)[2] << 8 | (*p)[3];
    *p += 4;
    if ((size_t)(end - *p) < n)
        return false;
    *out = *p;
    *len = n;
    *p += n;
    return true;
}

/*
 * What the blob itself says: its type name (must equal the one the line
 * gives, which libssh does not check) and, for RSA, the modulus size in
 * bits (libssh 0.10 has no public call for it).  Returns false if the
 * blob is not even wire format.
 */
static bool blob_facts(const char *b64, char *type, size_t typesize, int *bits)
{
    size_t cap = strlen(b64), len, n;
    unsigned char *blob = dk_xmalloc(cap + 1);
    const unsigned char *p = blob, *s, *end;
    bool ok = false;

    *bits = 0;
    if (sodium_base642bin(blob, cap, b64, cap, NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        goto out;
    end = blob + len;
    if (!wire_string(&p, end, &s, &n) || n == 0 || n >= typesize)
        goto out;
    memcpy(type, s, n);
    type[n] = '\0';
    if (!strcmp(type, "ssh-rsa")) {
        const unsigned char *e, *m;
        size_t elen, mlen;
        if (!wire_string(&p, end, &e, &elen) ||
            !wire_string(&p, end, &m, &mlen))
            goto out;
        while (mlen > 0 && *m == 0) { /* mpint's sign byte */
            m++;
            mlen--;
        }
        if (mlen > 0) {
            *bits = (int)(mlen * 8);
            for (unsigned char top = *m; !(top & 0x80); top <<= 1)
                (*bits)--;
        }
    }
    ok = true;
out:
    free(blob);
    return ok;
}

struct ssh_pub {
    char type[64];
    char *key;            /* owned: canonical base64, libssh's export */
    char fingerprint[64]; /* SHA256:... as OpenSSH prints it */
};

static void ssh_pub_cleanup(struct ssh_pub *k)
{
    free(k->key);
    k->key = NULL;
}

/*
 * Parse TYPE and base64 BLOB into out with libssh, refusing what is not
 * allowed.  Returns NULL, or what is wrong (static text or built in msg).
 */
static const char *ssh_pub_parse(struct ssh_pub *out, const char *type,
                                 const char *b64, char *msg, size_t msgsize)
{
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    char blob_type[64], *s = NULL;
    const char *why = NULL;
    int bits;

    memset(out, 0, sizeof(*out));
    if (!strcmp(type, "ssh-dss"))
        return "DSA keys (ssh-dss) are weak and not accepted: use ssh-ed25519";
    if (strstr(type, "-cert-v01@openssh.com"))
        return "certificates are not accepted: give the plain public key";
    if (!key_type_known(type)) {
        snprintf(msg, msgsize,
                 "\"%.64s\" is not a key type Docket accepts (ssh-ed25519, "
                 "ecdsa-sha2-nistp256/384/521, ssh-rsa of %d bits or more, "
                 "sk-ssh-ed25519@openssh.com)",
                 type, RSA_MIN_BITS);
        return msg;
    }
    if (!base64_chars(b64) || strlen(b64) > KEY_LINE_MAX ||
        !blob_facts(b64, blob_type, sizeof(blob_type), &bits))
        return "the key is not base64 of an SSH public key";
    if (strcmp(blob_type, type) != 0) {
        snprintf(msg, msgsize, "the key says it is %.64s, not %s", blob_type,
                 type);
        return msg;
    }
    if (!strcmp(type, "ssh-rsa") && bits < RSA_MIN_BITS) {
        snprintf(msg, msgsize,
                 "an RSA key of %d bits is too short: %d bits at least "
                 "(better: ssh-ed25519)",
                 bits, RSA_MIN_BITS);
        return msg;
    }
    if (ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(type), &key) !=
        SSH_OK)
        return "the key is not a valid SSH public key";
    if (ssh_pki_export_pubkey_base64(key, &s) != SSH_OK || !s) {
        why = "could not re-encode the key";
        goto out;
    }
    out->key = dk_xstrdup(s);
    ssh_string_free_char(s);
    s = NULL;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) !=
            0 ||
        !(s = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
                                       hlen))) {
        why = "could not fingerprint the key";
        goto out;
    }
    /* OpenSSH's form: "SHA256:" and 43 characters of unpadded base64. */
    s[strcspn(s, "=")] = '\0';
    if (strncmp(s, "SHA256:", 7) != 0 || strlen(s) != 7 + 43) {
        why = "libssh gave a fingerprint in an unexpected form";
        goto out;
    }
    snprintf(out->fingerprint, sizeof(out->fingerprint), "%s", s);
    snprintf(out->type, sizeof(out->type), "%s", type);
out:
    if (s)
        ssh_string_free_char(s);
    if (hash)
        ssh_clean_pubkey_hash(&hash);
    ssh_key_free(key);
    if (why)
        ssh_pub_cleanup(out);
    return why;
}

static bool fingerprint_valid(const char *s)
{
    return strncmp(s, "SHA256:", 7) == 0 && strlen(s) == 7 + 43 &&
           strspn(s + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789+/") == 43;
}

/* Text a label may be: UTF-8 without control characters, 200 at most. */
static bool label_valid(const char *s)
{
    if (strlen(s) > 200 || !dk_utf8_valid(s, strlen(s)))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* ---- staff key add ----------------------------------------------------- */

static int label_opt(struct ctl *c, int opt, const char *val, void *arg)
{
    *(const char **)arg = val;
    return 0;
}

/*
 * The one line on stdin: "TYPE BASE64 [COMMENT]", as in a .pub file.
 * Splits it in place; returns NULL, or what is wrong.
 */
static const char *split_key_line(char *line, char **type, char **b64,
                                  char **comment)
{
    size_t n = strlen(line);

    /* One trailing newline is the line's end; any other is a second line
     * (a second key, or an attempt to add one unseen). */
    if (n && line[n - 1] == '\n')
        line[--n] = '\0';
    if (n && line[n - 1] == '\r')
        line[--n] = '\0';
    if (strpbrk(line, "\r\n"))
        return "give one key line on standard input, not several";
    *type = line + strspn(line, " \t");
    if (!**type)
        return "no key on standard input (give one line such as "
               "\"ssh-ed25519 AAAA... you@laptop\")";
    *b64 = *type + strcspn(*type, " \t");
    if (**b64)
        *(*b64)++ = '\0';
    *b64 += strspn(*b64, " \t");
    *comment = *b64 + strcspn(*b64, " \t");
    if (**comment)
        *(*comment)++ = '\0';
    *comment += strspn(*comment, " \t");
    dk_trim(*comment);
    /* authorized_keys options ("command=...", "restrict,") come first. */
    if (strpbrk(*type, "=,\"") && !key_type_known(*type))
        return "options before the key (such as command=) are not accepted: "
               "give the bare key as in a .pub file";
    if (!**b64 && key_type_known(*type))
        return "the line has a key type but no key";
    return NULL;
}

int ctl_staff_key_add(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"label", required_argument, NULL, 'l'}, {0}};
    const char *label = NULL, *why, *params[5];
    char *pos[1], *line, *type, *b64, *comment, msg[256], state[6],
        constraint[64], id[24];
    struct ssh_pub k;
    PGresult *res;
    int n, rc = 1;

    n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 1, label_opt, &label);
    if (n < 0)
        return 2;
    if (n < 1)
        return ctl_fail(c, "missing USERNAME\nusage: %s", argv[0]);
    if (label && !label_valid(label))
        return ctl_fail(c, "--label must be text of at most 200 bytes, "
                           "without control characters");
    if (!(line = ctl_read_stdin(c, "the key", KEY_LINE_MAX)))
        return 1;
    if ((why = split_key_line(line, &type, &b64, &comment)) ||
        (why = ssh_pub_parse(&k, type, b64, msg, sizeof(msg)))) {
        free(line);
        return ctl_fail(c, "%s", why);
    }
    /* Without --label the key's comment names it, if it can be shown. */
    if (!label && *comment && label_valid(comment))
        label = comment;
    if (!ctl_db(c))
        goto out;
    params[0] = pos[0];
    res = ctl_exec(c, "SELECT id, active FROM staff WHERE username = $1", 1,
                   params, NULL, NULL);
    if (!res)
        goto out;
    if (PQntuples(res) == 0) {
        PQclear(res);
        ctl_fail(c, "no staff member \"%s\"", pos[0]);
        goto out;
    }
    snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
    if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
        fprintf(stderr,
                "docketctl: %s: note: \"%s\" is disabled; the key works once "
                "they are enabled again\n",
                c->cmd, pos[0]);
    PQclear(res);
    params[0] = id;
    params[1] = k.type;
    params[2] = k.key;
    params[3] = k.fingerprint;
    params[4] = label;
    res = ctl_exec(c,
                   "INSERT INTO staff_key (staff_id, type, key, fingerprint, "
                   "label) VALUES ($1, $2, $3, $4, $5)",
                   5, params, state, constraint);
    if (!res) {
        if (!strcmp(constraint, "staff_key_fingerprint_key")) {
            const char *fp[1] = {k.fingerprint};
            PGresult *who = ctl_exec(c,
                                     "SELECT st.username FROM staff_key k "
                                     "JOIN staff st ON st.id = k.staff_id "
                                     "WHERE k.fingerprint = $1",
                                     1, fp, NULL, NULL);
            ctl_fail(c,
                     "key %s is already registered to \"%s\": a key belongs "
                     "to one staff member",
                     k.fingerprint,
                     who && PQntuples(who) ? PQgetvalue(who, 0, 0) : "?");
            PQclear(who);
        } else {
            ctl_fail(c, "could not add the key (SQLSTATE %s)", state);
        }
        goto out;
    }
    PQclear(res);
    printf("%s\n", k.fingerprint);
    rc = 0;
out:
    ssh_pub_cleanup(&k);
    free(line);
    return rc;
}

/* ---- staff key list / remove ------------------------------------------- */

int ctl_staff_key_list(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{0}};
    static const char *const headers[] = {"USERNAME", "TYPE", "FINGERPRINT",
                                          "LABEL", "ADDED"};
    char *pos[1];
    const char *params[1];
    int n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 1, NULL, NULL);
    PGresult *res;

    if (n < 0)
        return 2;
    if (n == 1) {
        params[0] = pos[0];
        res = ctl_exec(c, "SELECT 1 FROM staff WHERE username = $1", 1, params,
                       NULL, NULL);
        if (!res)
            return 1;
        if (PQntuples(res) == 0) {
            PQclear(res);
            return ctl_fail(c, "no staff member \"%s\"", pos[0]);
        }
        PQclear(res);
    }
    params[0] = n == 1 ? pos[0] : NULL;
    return ctl_print_query(
        c, headers,
        "SELECT st.username, k.type, k.fingerprint, coalesce(k.label, '-'), "
        "to_char(k.created_at, 'YYYY-MM-DD HH24:MI') "
        "FROM staff_key k JOIN staff st ON st.id = k.staff_id "
        "WHERE $1::text IS NULL OR st.username = $1 "
        "ORDER BY st.username, k.created_at, k.id",
        1, params);
}

int ctl_staff_key_remove(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{0}};
    char *pos[1];
    const char *params[1];
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 1, NULL, NULL);

    if (n < 0)
        return 2;
    if (n < 1)
        return ctl_fail(c, "missing FINGERPRINT\nusage: %s", argv[0]);
    if (!fingerprint_valid(pos[0]))
        return ctl_fail(c,
                        "\"%s\" is not a fingerprint: SHA256: and 43 "
                        "characters, as docketctl staff key list shows",
                        pos[0]);
    params[0] = pos[0];
    /* The trigger staff_key_removed ends the key's sessions in the same
     * statement, on every docketd at commit (NOTIFY docket_session). */
    res = ctl_exec(c, "DELETE FROM staff_key WHERE fingerprint = $1", 1, params,
                   NULL, NULL);
    if (!res)
        return 1;
    if (strcmp(PQcmdTuples(res), "0") == 0) {
        PQclear(res);
        return ctl_fail(c, "no key %s", pos[0]);
    }
    PQclear(res);
    return 0;
}

/* ---- ssh-authorized-keys ----------------------------------------------- */

/* Safe inside the forced command's double quotes and as one word. */
static bool path_plain(const char *s)
{
    return *s &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789/._+-") == strlen(s);
}

/*
 * Where docket is installed, found from where this docketctl runs, so it
 * follows the prefix of the install (the package: /usr/sbin/docketctl and
 * /usr/bin/docket; a source install: /usr/local/...); the build tree has
 * both in one folder.  Absolute, so the gateway user's PATH does not
 * matter.  Returns false if it cannot be told.
 */
static bool docket_path(char *out, size_t size)
{
    char self[PATH_MAX - 16], *slash;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n <= 0)
        return false;
    self[n] = '\0';
    if (!(slash = strrchr(self, '/')))
        return false;
    *slash = '\0';
    if ((size_t)snprintf(out, size, "%s/docket", self) < size &&
        access(out, X_OK) == 0) /* the build tree */
        return true;
    if (!(slash = strrchr(self, '/')))
        return false;
    *slash = '\0';
    return (size_t)snprintf(out, size, "%s/bin/docket", self) < size &&
           access(out, X_OK) == 0;
}

int ctl_ssh_authorized_keys(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{0}};
    char *pos[3], docket[PATH_MAX], msg[256], config[PATH_MAX + 16];
    const char *params[3];
    struct ssh_pub k;
    PGresult *res;
    int n = ctl_getopt(c, argc, argv, argv[0], opts, pos, 3, NULL, NULL);

    if (n < 0)
        return 2;
    if (n != 3)
        return ctl_fail(
            c, "needs USER TYPE KEY (sshd's %%u %%t %%k)\nusage: %s", argv[0]);
    /* Any other account's keys are none of Docket's business: no answer,
     * and sshd goes on to its other ways (or refuses). */
    if (!c->cfg.server.ssh_gateway_user[0] ||
        strcmp(pos[0], c->cfg.server.ssh_gateway_user) != 0)
        return 0;
    /* A type or key we do not accept cannot be any member's: no answer.
     * sshd passes a key as one argument; spaces or newlines in it fail
     * here, before they could reach the line we print. */
    if (ssh_pub_parse(&k, pos[1], pos[2], msg, sizeof(msg)) != NULL)
        return 0;
    if (!docket_path(docket, sizeof(docket)) || !path_plain(docket)) {
        ssh_pub_cleanup(&k);
        return ctl_fail(c, "cannot tell where docket is installed (next to "
                           "docketctl, or in ../bin)");
    }
    /* The client reads the same configuration (its server.socket) unless
     * it is the default one it finds by itself. */
    config[0] = '\0';
    if (strcmp(c->config_path, "/etc/docket/config.yaml") != 0) {
        char abs[PATH_MAX];
        if (!realpath(c->config_path, abs) || !path_plain(abs)) {
            ssh_pub_cleanup(&k);
            return ctl_fail(c,
                            "the configuration's path \"%s\" cannot be "
                            "passed to docket",
                            c->config_path);
        }
        snprintf(config, sizeof(config), " --config %s", abs);
    }
    /* One indexed lookup (the fingerprint is unique); a database that
     * cannot be reached is an error, so sshd refuses: fail closed. */
    params[0] = k.fingerprint;
    params[1] = k.type;
    params[2] = k.key;
    res = ctl_exec(c,
                   "SELECT k.fingerprint, k.type, k.key FROM staff_key k "
                   "JOIN staff st ON st.id = k.staff_id "
                   "WHERE k.fingerprint = $1 AND k.type = $2 AND k.key = $3 "
                   "AND st.active",
                   3, params, NULL, NULL);
    ssh_pub_cleanup(&k);
    if (!res)
        return 1;
    /* Printed from the row the database checked: the fingerprint, type
     * and key match the constraints of staff_key, so the line is one line
     * with nothing but these options. */
    if (PQntuples(res) == 1 && fingerprint_valid(PQgetvalue(res, 0, 0)))
        printf("restrict,pty,command=\"%s%s --ssh-key %s\" %s %s\n", docket,
               config, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
               PQgetvalue(res, 0, 2));
    PQclear(res);
    if (fflush(stdout) != 0)
        return ctl_fail(c, "could not write the answer");
    return 0;
}
