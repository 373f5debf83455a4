/*
 * saml.c - signing in with the school's SAML 2.0 identity provider (the
 * portal is the service provider, lasso does the XML and the signatures).
 *
 * At start-up portal_saml_init() reads the IdP's metadata and our key and
 * certificate, writes our own metadata (entity ID base_url/saml/metadata,
 * one assertion consumer base_url/saml/acs with the POST binding, the
 * certificate) and gives it, the key and the IdP's metadata to one
 * LassoServer, kept for the process's life.
 *
 * A sign-in is three requests, all of them stateless in docketd (any
 * docketd of the database may serve each one):
 *
 *   GET /saml/login   a signed AuthnRequest (HTTP-Redirect binding); its ID
 *                     is stored with the hash of the browser's dk_pre
 *                     cookie for 10 minutes; 303 to the IdP.
 *   POST /saml/acs    the IdP's Response (POST binding), sent by a form of
 *                     the IdP's site: no Origin or csrf check and no cookie
 *                     (ours are SameSite=Lax).  Checked here (below), then
 *                     in one statement (saml_accept()): the assertion's ID
 *                     is recorded (a replay is refused) and the request it
 *                     answers is consumed.  The email waits under a fresh
 *                     one-time token; 303 to GET /saml/acs?t=TOKEN.
 *   GET /saml/acs?t=  a top-level navigation, so the browser's own cookies
 *                     come: the token is consumed, and the dk_pre it came
 *                     with must be the one the AuthnRequest was made for,
 *                     or an attacker could post their own assertion into a
 *                     victim's browser (login CSRF).  Then portal_sign_in().
 *
 * What lasso 2.8.1 checks by itself, read in its source (saml-2.0/login.c
 * lasso_saml20_login_process_response_status_and_assertion and
 * profile.c lasso_saml20_profile_process_any_response): the message is
 * XML without a DTD; the Response's Issuer is a provider it knows; a
 * signature on the Response, when there is one, verifies with that
 * provider's key and references the Response itself; the status is
 * Success; every assertion's Issuer is the Response's; an unsigned
 * Response needs signed assertions.  What it does not check, so this file
 * does: that the assertion is signed when the Response is (with hint
 * MAYBE it then takes an unsigned assertion; with FORCE it refuses a
 * Response that is not itself signed, which many IdPs never sign, so the
 * hint is MAYBE and the assertion's signature is verified here, always);
 * Audience, Recipient, Destination, NotBefore and NotOnOrAfter (nothing at
 * all: lasso_saml2_assertion_validate_conditions() exists but is not
 * called); InResponseTo (only against a request built by the same
 * LassoLogin object, which ours never is); replay (only within a
 * LassoSession, which we do not keep); SHA-1 (lasso 2.8.1 accepts it, and
 * does not export the setter of its floor, so the algorithms are read
 * here).  Lasso also turns all signature checks off when LASSO_FLAG in
 * the environment says "no-verify-signature": its flag is set back.
 * Lasso is CPU-only and runs on the loop; the Response is bounded at 64
 * KiB of base64 before it is parsed.
 */
#include "portal_int.h"
#include "core.h"
#include "db.h"
#include "dk_log.h"
#include "dk_mem.h"
#include "html.h"
#include "limiter.h"

#include <ctype.h>
#include <errno.h>
#include <lasso/debug.h>
#include <lasso/lasso.h>
#include <lasso/saml-2.0/saml2_helper.h>
#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_audience_restriction.h>
#include <lasso/xml/saml-2.0/saml2_conditions.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation_data.h>
#include <libxml/tree.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SKEW          60            /* seconds of clock difference */
#define REQUEST_TTL   "10 minutes"  /* an AuthnRequest's answer */
#define HANDOFF_TTL   "2 minutes"   /* the POST's 303 to the GET */
#define MAX_RESPONSE  (64 * 1024)   /* SAMLResponse, base64 */
#define MAX_FILE      (1024 * 1024) /* metadata, key, certificate */
#define MAX_ID        256           /* request and assertion IDs */
#define MAX_PENDING   30            /* requests waiting per address */
#define BEARER        "urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define FORMAT_EMAIL  "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
#define FORMAT_UNSPEC "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"

struct saml {
    LassoServer *server; /* owned: g_object_unref() in portal_saml_free() */
    char *idp;           /* owned: the IdP's entity ID */
    char *entity_id;     /* owned: base_url/saml/metadata */
    char *acs;           /* owned: base_url/saml/acs */
    char *metadata;      /* owned: our metadata, served as it is */
    size_t metadata_len;
};

/* ---- set-up ---------------------------------------------------------------
 */

static char *slurp(const char *what, const char *path)
{
    FILE *fp = fopen(path, "rb");
    struct dk_buf b = DK_BUF_INIT(MAX_FILE);
    size_t n, len;

    if (!fp) {
        dk_log(DK_LOG_ERROR, "portal.saml.%s %s: cannot be read: %s", what,
               path, strerror(errno));
        return NULL;
    }
    while (dk_buf_reserve(&b, 65536) &&
           (n = fread(dk_buf_tail(&b), 1, dk_buf_room(&b), fp)) > 0)
        dk_buf_commit(&b, n);
    if (ferror(fp) || !feof(fp)) {
        dk_log(DK_LOG_ERROR, "portal.saml.%s %s: cannot be read (over %d KiB?)",
               what, path, MAX_FILE / 1024);
        fclose(fp);
        dk_buf_free(&b);
        return NULL;
    }
    fclose(fp);
    dk_buf_addc(&b, '\0');
    return dk_buf_steal(&b, &len);
}

/* The base64 body of a PEM certificate, whitespace removed: what an
 * X509Certificate element holds.  NULL when pem is not one. */
static char *cert_base64(const char *pem)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    const char *s = strstr(pem, begin), *e;
    char *out, *o;

    if (!s || !(e = strstr(s, "-----END CERTIFICATE-----")))
        return NULL;
    s += sizeof(begin) - 1;
    out = o = dk_xmalloc((size_t)(e - s) + 1);
    for (; s < e; s++) {
        if (isspace((unsigned char)*s))
            continue;
        if (!isalnum((unsigned char)*s) && *s != '+' && *s != '/' &&
            *s != '=') {
            free(out);
            return NULL;
        }
        *o++ = *s;
    }
    *o = '\0';
    if (o == out) {
        free(out);
        return NULL;
    }
    return out;
}

/* Our metadata: what the IdP is given, and what lasso knows us by. */
static char *sp_metadata(const char *entity_id, const char *acs,
                         const char *cert, bool email_nameid, size_t *len)
{
    struct dk_buf b = DK_BUF_INIT(0);

    dk_buf_adds(&b,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<md:EntityDescriptor "
                "xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
                "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"");
    html_attr(&b, entity_id);
    dk_buf_adds(&b, "\">\n"
                    "  <md:SPSSODescriptor AuthnRequestsSigned=\"true\" "
                    "WantAssertionsSigned=\"true\" "
                    "protocolSupportEnumeration="
                    "\"urn:oasis:names:tc:SAML:2.0:protocol\">\n"
                    "    <md:KeyDescriptor use=\"signing\">\n"
                    "      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>");
    dk_buf_adds(&b, cert);
    dk_buf_printf(&b,
                  "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\n"
                  "    </md:KeyDescriptor>\n"
                  "    <md:NameIDFormat>%s</md:NameIDFormat>\n"
                  "    <md:AssertionConsumerService "
                  "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
                  "Location=\"",
                  email_nameid ? FORMAT_EMAIL : FORMAT_UNSPEC);
    html_attr(&b, acs);
    dk_buf_adds(&b, "\" index=\"0\" isDefault=\"true\"/>\n"
                    "  </md:SPSSODescriptor>\n"
                    "</md:EntityDescriptor>\n");
    return dk_buf_steal(&b, len);
}

/* Lasso's own messages are details of a refusal that is logged once,
 * with its reason, by the caller: debug.  (Lasso says CRITICAL of an
 * ordinary failure, such as metadata it cannot use.) */
static void lasso_log_cb(const gchar *domain, GLogLevelFlags level,
                         const gchar *message, gpointer data)
{
    (void)level;
    (void)data;
    dk_log(DK_LOG_DEBUG, "%s: %s", domain ? domain : "lasso", message);
}

/* The one provider lasso was given: its entity ID. */
static char *only_provider(LassoServer *server)
{
    GHashTableIter it;
    gpointer key;

    if (g_hash_table_size(server->providers) != 1)
        return NULL;
    g_hash_table_iter_init(&it, server->providers);
    if (!g_hash_table_iter_next(&it, &key, NULL))
        return NULL;
    return dk_xstrdup(key);
}

static void saml_free(struct saml *s)
{
    if (!s)
        return;
    if (s->server)
        g_object_unref(s->server);
    free(s->idp);
    free(s->entity_id);
    free(s->acs);
    free(s->metadata);
    free(s);
}

/* A request made and signed once, so that an IdP whose metadata names no
 * HTTP-Redirect SingleSignOnService fails at start-up, not at a click. */
static bool can_ask(struct portal *p, struct saml *s)
{
    LassoLogin *login = lasso_login_new(s->server);
    int rc;

    if (!login)
        return false;
    rc = lasso_login_init_authn_request(login, s->idp,
                                        LASSO_HTTP_METHOD_REDIRECT);
    if (rc == 0)
        rc = lasso_login_build_authn_request_msg(login);
    /* The login page's button posts to us, and we send the browser on to
     * the IdP: its CSP's form-action must allow that address. */
    if (rc == 0 && LASSO_PROFILE(login)->msg_url)
        portal_allow_form_target(p, LASSO_PROFILE(login)->msg_url);
    if (rc != 0)
        dk_log(DK_LOG_ERROR,
               "portal.saml: cannot make a signed AuthnRequest (HTTP-Redirect) "
               "for %s: %s",
               s->idp, lasso_strerror(rc));
    lasso_login_destroy(login);
    return rc == 0;
}

bool portal_saml_init(struct portal *p)
{
    static bool lasso_ready;
    const struct dk_config *cfg = p->core->cfg;
    const char *base = cfg->portal.base_url;
    size_t blen = strlen(base);
    struct saml *s;
    char *idp_md = NULL, *key = NULL, *cert = NULL, *b64 = NULL;
    int rc;
    bool ok = false;

    if (!cfg->portal.saml.idp_metadata[0])
        return true;
    if (!lasso_ready) {
        if ((rc = lasso_init()) != 0) {
            dk_log(DK_LOG_ERROR, "portal.saml: lasso_init failed: %s",
                   lasso_strerror(rc));
            return false;
        }
        /* Its messages use "Lasso", its g_return_if_fail()s "lasso". */
        g_log_set_handler("Lasso", G_LOG_LEVEL_MASK, lasso_log_cb, NULL);
        g_log_set_handler("lasso", G_LOG_LEVEL_MASK, lasso_log_cb, NULL);
        /* lasso_init() reads LASSO_FLAG from the environment, where
         * "no-verify-signature" would make every signature pass: not
         * here. */
        lasso_flag_verify_signature = TRUE;
        lasso_ready = true;
    }
    s = dk_xcalloc(1, sizeof(*s));
    while (blen && base[blen - 1] == '/')
        blen--;
    if (!blen) {
        dk_log(DK_LOG_ERROR, "portal.saml: needs portal.base_url");
        goto out;
    }
    s->entity_id = dk_xmalloc(blen + sizeof("/saml/metadata"));
    snprintf(s->entity_id, blen + sizeof("/saml/metadata"), "%.*s%s", (int)blen,
             base, "/saml/metadata");
    s->acs = dk_xmalloc(blen + sizeof("/saml/acs"));
    snprintf(s->acs, blen + sizeof("/saml/acs"), "%.*s%s", (int)blen, base,
             "/saml/acs");
    if (!(idp_md = slurp("idp_metadata", cfg->portal.saml.idp_metadata)) ||
        !(key = slurp("sp_key_file", cfg->portal.saml.sp_key_file)) ||
        !(cert = slurp("sp_cert_file", cfg->portal.saml.sp_cert_file)))
        goto out;
    if (!strstr(key, "PRIVATE KEY-----")) {
        dk_log(DK_LOG_ERROR,
               "portal.saml.sp_key_file %s: not a PEM private key",
               cfg->portal.saml.sp_key_file);
        goto out;
    }
    if (!(b64 = cert_base64(cert))) {
        dk_log(DK_LOG_ERROR,
               "portal.saml.sp_cert_file %s: not a PEM certificate",
               cfg->portal.saml.sp_cert_file);
        goto out;
    }
    s->metadata =
        sp_metadata(s->entity_id, s->acs, b64,
                    !cfg->portal.saml.email_attribute[0], &s->metadata_len);
    /* No certificate for lasso: it is in our metadata, which is where the
     * IdP reads it.  Lasso would only attach it to the XML signatures it
     * makes, and we make none (the Redirect binding signs the query);
     * and with a certificate lasso's key loader first tries its PEM text
     * as a file name, and xmlsec 1.2.37 leaks a BIO on every such failure,
     * that is on every /saml/login. */
    s->server = lasso_server_new_from_buffers(s->metadata, key, NULL, NULL);
    if (!s->server) {
        dk_log(DK_LOG_ERROR,
               "portal.saml: lasso refused our key or certificate (%s, %s)",
               cfg->portal.saml.sp_key_file, cfg->portal.saml.sp_cert_file);
        goto out;
    }
    s->server->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
    rc = lasso_server_add_provider_from_buffer(
        s->server, LASSO_PROVIDER_ROLE_IDP, idp_md, NULL, NULL);
    if (rc != 0 || !(s->idp = only_provider(s->server))) {
        dk_log(DK_LOG_ERROR,
               "portal.saml.idp_metadata %s: not the metadata of one identity "
               "provider: %s",
               cfg->portal.saml.idp_metadata,
               rc ? lasso_strerror(rc) : "it names none, or several");
        goto out;
    }
    if (!can_ask(p, s))
        goto out;
    dk_log(DK_LOG_INFO, "portal: SAML sign-in with %s as %s", s->idp,
           s->entity_id);
    p->saml = s;
    s = NULL;
    ok = true;
out:
    saml_free(s);
    free(b64);
    if (key) {
        sodium_memzero(key, strlen(key));
        free(key);
    }
    free(cert);
    free(idp_md);
    return ok;
}

void portal_saml_free(struct portal *p)
{
    saml_free(p->saml);
    p->saml = NULL;
}

/* ---- GET /saml/metadata ---------------------------------------------------
 */

void page_saml_metadata(struct preq *q)
{
    struct saml *s = q->p->saml;
    struct dk_buf body = DK_BUF_INIT(0);

    if (!s) {
        portal_not_found(q);
        return;
    }
    dk_buf_add(&body, s->metadata, s->metadata_len);
    portal_bytes(q, 200, "application/samlmetadata+xml",
                 "Cache-Control: public, max-age=3600\r\n", &body);
}

/* ---- GET /saml/login ------------------------------------------------------
 */

/* The request, stored: now signed, and the browser sent with it. */
static void request_stored(struct preq *q, PGresult *res)
{
    struct saml *s = q->p->saml;
    const char *id = q->page_data;
    struct dk_buf extra = DK_BUF_INIT(0);
    LassoLogin *login;
    LassoProfile *profile;
    LassoSamlp2AuthnRequest *req;
    LassoSamlp2RequestAbstract *abs;
    int rc;

    if (!db_ok(res)) {
        portal_sign_in_db_error(q, res);
        return;
    }
    if (!(login = lasso_login_new(s->server))) {
        portal_message(q, 500, T(q, "Something went wrong"),
                       T(q, "Out of memory."));
        return;
    }
    profile = LASSO_PROFILE(login);
    rc = lasso_login_init_authn_request(login, s->idp,
                                        LASSO_HTTP_METHOD_REDIRECT);
    if (rc == 0) {
        req = LASSO_SAMLP2_AUTHN_REQUEST(profile->request);
        abs = LASSO_SAMLP2_REQUEST_ABSTRACT(profile->request);
        /* The ID stored a moment ago, not lasso's. */
        g_free(abs->ID);
        abs->ID = g_strdup(id);
        /* The answer comes to our one consumer, by POST. */
        g_free(req->ProtocolBinding);
        req->ProtocolBinding = g_strdup(LASSO_SAML2_METADATA_BINDING_POST);
        g_free(req->AssertionConsumerServiceURL);
        req->AssertionConsumerServiceURL = g_strdup(s->acs);
        if (req->NameIDPolicy)
            req->NameIDPolicy->AllowCreate = TRUE;
        rc = lasso_login_build_authn_request_msg(login);
    }
    if (rc != 0 || !profile->msg_url ||
        strpbrk(profile->msg_url, "\r\n") != NULL) {
        dk_log(DK_LOG_ERROR, "portal: SAML AuthnRequest not made: %s",
               rc ? lasso_strerror(rc) : "no address");
        lasso_login_destroy(login);
        portal_message(q, 500, T(q, "Something went wrong"),
                       T(q, "The helpdesk could not do that. Please try "
                            "again."));
        return;
    }
    /* The IdP's address is the configuration's, the rest base64 and
     * percent-encoding (checked above). */
    dk_buf_printf(&extra, "Location: %s\r\nCache-Control: no-store\r\n",
                  profile->msg_url);
    lasso_login_destroy(login);
    portal_bytes(q, 303, "text/plain; charset=utf-8",
                 extra.data ? extra.data : "", NULL);
    dk_buf_free(&extra);
}

void page_saml_login(struct preq *q)
{
    unsigned char raw[20];
    char *id, hex[DK_TOKEN_HASH_LEN * 2 + 1], addr[64];
    struct db_query *dq;

    if (!q->p->saml) {
        portal_not_found(q);
        return;
    }
    if (q->logged_in) {
        portal_redirect(q, "/tickets", 0);
        return;
    }
    /* Our own request ID ("_" and 40 hex digits: an xsd:ID never starts
     * with a digit), stored before anything is signed, so that a refused
     * request costs no signature. */
    if (!(id = malloc(2 + sizeof(raw) * 2))) {
        portal_message(q, 500, T(q, "Something went wrong"),
                       T(q, "Out of memory."));
        return;
    }
    randombytes_buf(raw, sizeof(raw));
    id[0] = '_';
    sodium_bin2hex(id + 1, 1 + sizeof(raw) * 2, raw, sizeof(raw));
    q->page_data = id;
    q->page_free = free;
    /* visitor_known() has given a visitor who had none a new dk_pre, set
     * by this very answer: the browser comes back with it. */
    portal_token_hash_hex(q->pre, hex);
    dq = db_query_new("SELECT saml_request_new($1, decode($2, 'hex'), $3, "
                      "$4, $5::integer)",
                      5);
    db_param(dq, 0, id);
    db_param(dq, 1, hex);
    db_param(dq, 2, REQUEST_TTL);
    db_param(dq, 3, limiter_address(q->r->peer, false, addr, sizeof(addr)));
    db_param_ll(dq, 4, MAX_PENDING);
    portal_query(q, dq, request_stored);
}

/* ---- POST /saml/acs: the IdP's answer ------------------------------------
 */

/* An xs:dateTime in UTC, as SAML requires ("2026-12-03T10:15:00Z",
 * perhaps with a fraction of a second): false for anything else. */
static bool saml_time(const char *v, time_t *out)
{
    struct tm tm = {0};
    int n = 0;
    const char *p;

    if (!v ||
        sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
        n != 19)
        return false;
    p = v + n;
    if (*p == '.') {
        for (p++; isdigit((unsigned char)*p); p++)
            ;
    }
    if (strcmp(p, "Z") != 0 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
        tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = timegm(&tm);
    return *out != (time_t)-1;
}

/* Whether s looks like an email address: one @ with something either
 * side, no spaces or controls, at most 254 bytes. */
static bool email_like(const char *s)
{
    const char *at = s ? strchr(s, '@') : NULL;

    if (!at || at == s || !at[1] || strchr(at + 1, '@') || strlen(s) > 254)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '<' || *s == '>')
            return false;
    return true;
}

/* The text of an AttributeValue: all its text pieces in order (a comment
 * inside splits the text, and the signature covers the whole of it), or
 * NULL when it holds anything but text. */
static char *attribute_text(LassoSaml2AttributeValue *v)
{
    struct dk_buf b = DK_BUF_INIT(1024);
    size_t len;

    for (GList *it = v->any; it; it = it->next) {
        LassoMiscTextNode *t = it->data;
        if (!LASSO_IS_MISC_TEXT_NODE(t) || !t->text_child || !t->content) {
            dk_buf_free(&b);
            return NULL;
        }
        if (!dk_buf_adds(&b, t->content)) {
            dk_buf_free(&b);
            return NULL;
        }
    }
    dk_buf_addc(&b, '\0');
    return dk_buf_steal(&b, &len);
}

/* The email the assertion names: email_attribute's first value, or the
 * NameID when that is "". */
static char *assertion_email(const struct portal *p, LassoSaml2Assertion *a,
                             const char **why)
{
    const char *name = p->core->cfg->portal.saml.email_attribute;
    char *v;

    if (!name[0]) {
        LassoSaml2NameID *id = a->Subject ? a->Subject->NameID : NULL;
        if (!id || !email_like(id->content)) {
            *why = "the NameID is not an email address";
            return NULL;
        }
        return dk_xstrdup(id->content);
    }
    for (GList *s = a->AttributeStatement; s; s = s->next) {
        LassoSaml2AttributeStatement *st = s->data;
        if (!LASSO_IS_SAML2_ATTRIBUTE_STATEMENT(st))
            continue;
        for (GList *at = st->Attribute; at; at = at->next) {
            LassoSaml2Attribute *attr = at->data;
            if (!LASSO_IS_SAML2_ATTRIBUTE(attr) || !attr->Name ||
                strcmp(attr->Name, name) != 0)
                continue;
            if (!attr->AttributeValue ||
                !LASSO_IS_SAML2_ATTRIBUTE_VALUE(attr->AttributeValue->data)) {
                *why = "the email attribute has no value";
                return NULL;
            }
            v = attribute_text(attr->AttributeValue->data);
            if (!v || !email_like(v)) {
                free(v);
                *why = "the email attribute's value is not an email address";
                return NULL;
            }
            return v;
        }
    }
    *why = "the assertion has no email attribute";
    return NULL;
}

/* The element child of n named name in the XML Signature namespace. */
static xmlNode *dsig_child(xmlNode *n, const char *name)
{
    static const char ns[] = "http://www.w3.org/2000/09/xmldsig#";

    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href &&
            !strcmp((const char *)c->ns->href, ns) &&
            !strcmp((const char *)c->name, name))
            return c;
    return NULL;
}

static bool one_of(xmlNode *n, const char *const *ok)
{
    xmlChar *alg = n ? xmlGetProp(n, BAD_CAST "Algorithm") : NULL;
    bool found = false;

    for (; alg && *ok && !found; ok++)
        found = !strcmp((const char *)alg, *ok);
    xmlFree(alg);
    return found;
}

/* Whether the assertion's signature (the one lasso verified: its direct
 * child) uses SHA-2.  Lasso 2.8.1 still takes SHA-1, and the setter of its
 * floor (lasso_set_min_signature_method) is not exported. */
static bool sha2_signed(LassoSaml2Assertion *a)
{
    static const char *const sig[] = {
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", NULL};
    static const char *const digest[] = {
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2001/04/xmldsig-more#sha384",
        "http://www.w3.org/2001/04/xmlenc#sha512", NULL};
    xmlNode *si = dsig_child(
        dsig_child(lasso_node_get_original_xmlnode(LASSO_NODE(a)), "Signature"),
        "SignedInfo");
    bool any = false;

    if (!si || !one_of(dsig_child(si, "SignatureMethod"), sig))
        return false;
    for (xmlNode *c = si->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE ||
            strcmp((const char *)c->name, "Reference") != 0)
            continue;
        if (!one_of(dsig_child(c, "DigestMethod"), digest))
            return false;
        any = true;
    }
    return any;
}

/* What the checks found, for saml_accept(). */
struct verdict {
    const char *request;   /* InResponseTo (borrowed from lasso) */
    const char *assertion; /* the assertion's ID (borrowed) */
    time_t expires;        /* the earliest NotOnOrAfter */
};

/* Conditions and SubjectConfirmation: NULL when they hold, else why not. */
static const char *check_assertion(const struct saml *s,
                                   LassoSamlp2Response *resp,
                                   LassoSaml2Assertion *a, time_t now,
                                   struct verdict *v)
{
    LassoSaml2Conditions *c = a->Conditions;
    LassoSaml2SubjectConfirmation *sc;
    LassoSaml2SubjectConfirmationData *d;
    time_t t;
    bool any = false;

    if (!a->ID || !a->ID[0] || strlen(a->ID) > MAX_ID)
        return "the assertion has no usable ID";
    v->assertion = a->ID;
    if (!LASSO_IS_SAML2_CONDITIONS(c))
        return "the assertion has no Conditions";
    /* Each AudienceRestriction must name us (lasso keeps one Audience of
     * each), and there must be one: an assertion for anyone is not ours. */
    for (GList *it = c->AudienceRestriction; it; it = it->next) {
        LassoSaml2AudienceRestriction *ar = it->data;
        if (!LASSO_IS_SAML2_AUDIENCE_RESTRICTION(ar) || !ar->Audience ||
            strcmp(ar->Audience, s->entity_id) != 0)
            return "the assertion is for another audience";
        any = true;
    }
    if (!any)
        return "the assertion names no audience";
    if (c->NotBefore && (!saml_time(c->NotBefore, &t) || now + SKEW < t))
        return "the assertion is not valid yet (Conditions NotBefore)";
    v->expires = 0;
    if (c->NotOnOrAfter) {
        if (!saml_time(c->NotOnOrAfter, &t) || now - SKEW >= t)
            return "the assertion has expired (Conditions NotOnOrAfter)";
        v->expires = t;
    }
    sc = a->Subject ? a->Subject->SubjectConfirmation : NULL;
    if (!LASSO_IS_SAML2_SUBJECT_CONFIRMATION(sc) || !sc->Method ||
        strcmp(sc->Method, BEARER) != 0)
        return "the subject is not confirmed by bearer";
    d = sc->SubjectConfirmationData;
    if (!LASSO_IS_SAML2_SUBJECT_CONFIRMATION_DATA(d))
        return "the subject confirmation has no data";
    if (!d->Recipient || strcmp(d->Recipient, s->acs) != 0)
        return "the assertion is for another recipient";
    /* The bearer's NotOnOrAfter is required (SAML profiles 4.1.4.2). */
    if (!d->NotOnOrAfter || !saml_time(d->NotOnOrAfter, &t) || now - SKEW >= t)
        return "the assertion has expired (SubjectConfirmationData "
               "NotOnOrAfter), or has none";
    if (!v->expires || t < v->expires)
        v->expires = t;
    if (d->NotBefore && (!saml_time(d->NotBefore, &t) || now + SKEW < t))
        return "the assertion is not valid yet (SubjectConfirmationData "
               "NotBefore)";
    /* Only answers to our own requests: an unsolicited one could have been
     * obtained anywhere, and cannot be tied to this browser. */
    if (!d->InResponseTo || !d->InResponseTo[0] ||
        strlen(d->InResponseTo) > MAX_ID)
        return "the assertion answers no request of ours (unsolicited)";
    v->request = d->InResponseTo;
    if (resp->parent.InResponseTo &&
        strcmp(resp->parent.InResponseTo, d->InResponseTo) != 0)
        return "the Response and its assertion answer different requests";
    if (resp->parent.Destination &&
        strcmp(resp->parent.Destination, s->acs) != 0)
        return "the Response is for another destination";
    /* Kept until it could no longer pass the checks above; an IdP's
     * NotOnOrAfter years away is cut to a day: the request it answers is
     * consumed anyway, so a replay after that fails there. */
    v->expires += SKEW;
    if (v->expires > now + 24 * 3600)
        v->expires = now + 24 * 3600;
    return NULL;
}

static bool base64_only(const char *v)
{
    for (; *v; v++)
        if (!isalnum((unsigned char)*v) && *v != '+' && *v != '/' &&
            *v != '=' && *v != '\r' && *v != '\n')
            return false;
    return true;
}

struct acs {
    char token[DK_TOKEN_LEN + 1];
};

static void acs_free(void *data)
{
    sodium_memzero(data, sizeof(struct acs));
    free(data);
}

static void accepted(struct preq *q, PGresult *res)
{
    struct acs *a = q->page_data;
    char path[sizeof("/saml/acs?t=") + DK_TOKEN_LEN];
    const char *v;

    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    v = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
    if (strcmp(v, "ok") != 0) {
        char why[64];
        snprintf(why, sizeof(why), "the assertion is %s",
                 !strcmp(v, "replayed") ? "a replay"
                                        : "an answer to no waiting request");
        portal_sign_in_denied(q, "SAML", why);
        return;
    }
    snprintf(path, sizeof(path), "/saml/acs?t=%s", a->token);
    portal_redirect(q, path, 0);
}

void page_saml_acs(struct preq *q)
{
    struct portal *p = q->p;
    struct saml *s = p->saml;
    const char *msg, *why = NULL;
    LassoLogin *login = NULL;
    LassoProfile *profile;
    LassoSamlp2Response *resp;
    LassoSaml2Assertion *a;
    LassoProvider *idp;
    struct verdict v = {0};
    struct acs *st;
    char *email = NULL;
    char hex[DK_TOKEN_HASH_LEN * 2 + 1], expires[32], lasso_why[160];
    struct db_query *dq;
    int rc;

    if (!s) {
        portal_not_found(q);
        return;
    }
    /* Bounded and plain base64 before lasso sees it: lasso would also
     * take XML or a query string, which the POST binding never is. */
    msg = portal_field(q, "SAMLResponse", MAX_RESPONSE);
    if (!msg || !*msg || !base64_only(msg)) {
        dk_log(DK_LOG_WARN,
               "portal: SAML sign-in refused from %s: SAMLResponse missing, "
               "over %d KiB or not base64",
               q->r->peer, MAX_RESPONSE / 1024);
        portal_message(q, 400, T(q, "Bad form"),
                       T(q, "The sign-in answer could not be read."));
        return;
    }
    if (!(login = lasso_login_new(s->server))) {
        portal_message(q, 500, T(q, "Something went wrong"),
                       T(q, "Out of memory."));
        return;
    }
    profile = LASSO_PROFILE(login);
    lasso_profile_set_signature_verify_hint(
        profile, LASSO_PROFILE_SIGNATURE_VERIFY_HINT_MAYBE);
    rc = lasso_login_process_authn_response_msg(login, (gchar *)msg);
    if (rc != 0) {
        snprintf(lasso_why, sizeof(lasso_why), "lasso refused the Response: %s",
                 lasso_strerror(rc));
        why = lasso_why;
        goto refuse;
    }
    resp = LASSO_IS_SAMLP2_RESPONSE(profile->response)
               ? LASSO_SAMLP2_RESPONSE(profile->response)
               : NULL;
    if (!resp || !resp->Assertion || resp->Assertion->next ||
        resp->EncryptedAssertion) {
        why = "the Response does not hold exactly one plain assertion";
        goto refuse;
    }
    a = resp->Assertion->data;
    if (!LASSO_IS_SAML2_ASSERTION(a) || !profile->remote_providerID ||
        strcmp(profile->remote_providerID, s->idp) != 0) {
        why = "the assertion is not from our identity provider";
        goto refuse;
    }
    /* The assertion itself must carry the IdP's signature, whether or not
     * the Response has one (lasso verified that one already). */
    idp = lasso_server_get_provider(s->server, s->idp);
    if (!idp || (rc = lasso_provider_verify_single_node_signature(
                     idp, LASSO_NODE(a), "ID")) != 0) {
        why = rc == LASSO_DS_ERROR_SIGNATURE_NOT_FOUND
                  ? "the assertion is not signed"
                  : "the assertion's signature does not verify";
        goto refuse;
    }
    if (!sha2_signed(a)) {
        why = "the assertion is signed with SHA-1 (or something unknown)";
        goto refuse;
    }
    if ((why = check_assertion(s, resp, a, time(NULL), &v)) != NULL)
        goto refuse;
    if (!(email = assertion_email(p, a, &why)))
        goto refuse;
    st = dk_xcalloc(1, sizeof(*st));
    dk_token_new(st->token);
    q->page_data = st;
    q->page_free = acs_free;
    portal_token_hash_hex(st->token, hex);
    snprintf(expires, sizeof(expires), "%lld", (long long)v.expires);
    dq = db_query_new("SELECT saml_accept($1, $2, $3, to_timestamp($4), $5, "
                      "decode($6, 'hex'), $7)",
                      7);
    db_param(dq, 0, v.request);
    db_param(dq, 1, s->idp);
    db_param(dq, 2, v.assertion);
    db_param(dq, 3, expires);
    db_param(dq, 4, email);
    db_param(dq, 5, hex);
    db_param(dq, 6, HANDOFF_TTL);
    free(email);
    lasso_login_destroy(login);
    portal_query(q, dq, accepted);
    return;
refuse:
    portal_sign_in_denied(q, "SAML", why);
    lasso_login_destroy(login);
}

/* ---- GET /saml/acs?t=TOKEN: the same browser ------------------------------
 */

static void handed_over(struct preq *q, PGresult *res)
{
    char *email;

    if (!db_ok(res)) {
        portal_db_error(q, res);
        return;
    }
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        portal_sign_in_denied(q, "SAML",
                              PQntuples(res) == 1 && !PQgetisnull(res, 0, 1)
                                  ? PQgetvalue(res, 0, 1)
                                  : "no hand-off");
        return;
    }
    /* portal_sign_in() replaces page_data, and res lives until we return:
     * a copy, for its query's parameter. */
    email = dk_xstrdup(PQgetvalue(res, 0, 0));
    portal_sign_in(q, email, "SAML");
    free(email);
}

void page_saml_acs_done(struct preq *q)
{
    const char *t = portal_arg(q, "t");
    char token_hex[DK_TOKEN_HASH_LEN * 2 + 1], pre[DK_TOKEN_HASH_LEN * 2 + 1];
    struct db_query *dq;

    if (!q->p->saml) {
        portal_not_found(q);
        return;
    }
    if (!t || strlen(t) != DK_TOKEN_LEN) {
        portal_sign_in_denied(q, "SAML", "no hand-off token");
        return;
    }
    /* A browser without the dk_pre it started with (new_pre: visitor_known
     * had to make one) cannot be the one the sign-in is for. */
    if (!q->pre[0] || q->new_pre) {
        portal_sign_in_denied(q, "SAML",
                              "the browser did not start this sign-in");
        return;
    }
    portal_token_hash_hex(t, token_hex);
    portal_token_hash_hex(q->pre, pre);
    dq = db_query_new("SELECT email, problem FROM "
                      "saml_handoff_take(decode($1, 'hex'), decode($2, 'hex'))",
                      2);
    db_param(dq, 0, token_hex);
    db_param(dq, 1, pre);
    portal_query(q, dq, handed_over);
}
