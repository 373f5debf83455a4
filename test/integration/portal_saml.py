"""portal_saml.py - signing in with SAML 2.0 against a real identity
provider on loopback: pysaml2's saml2.server.Server (Debian's
python3-pysaml2, signing with the xmlsec1 binary) behind a small
http.server, with its own key and certificate (openssl).  docketd's
portal.saml.idp_metadata is the IdP's metadata, written to a file; the
IdP reads docketd's metadata from /saml/metadata.  The IdP's SSO endpoint
takes the HTTP-Redirect AuthnRequest (its signature checked here against
the certificate in docketd's metadata) and answers the auto-submit form
of the POST binding, for a user and with the faults the test asks for;
the test's Browser posts that form to /saml/acs itself, without cookies
as a browser would (SameSite=Lax), and follows the 303.

Checked: a good sign-in, by the NameID and (on a second docketd) by an
attribute; an email not on the access list; a Norwegian browser's denied
page; unsigned; a signed Response with an unsigned assertion; signed by
another key; signed with SHA-1; expired; wrong audience; wrong
recipient; InResponseTo unknown, missing (unsolicited) and from another
browser (login CSRF); a replay; the hand-off token used twice; a
tampered assertion; a comment inside the signed address; a NameID that
is no address, no email attribute; an oversized and a non-base64
SAMLResponse; configurations that cannot work stop docketd with one
line.  None of the refusals leaves a session or a used assertion
behind, and each one's reason is in docketd's log."""

import base64
import http.server
import re
import subprocess
import sys, os
import threading
import urllib.parse
import urllib.request
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import (NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_UNSPECIFIED,
                        NameID)
from saml2.server import Server
from saml2.authn_context import PASSWORD
from saml2.xmldsig import (DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1,
                            SIG_RSA_SHA256)

keys = tempfile.mkdtemp(prefix="docket-saml.")
atexit.register(shutil.rmtree, keys, True)


def keypair(name):
    key, cert = (os.path.join(keys, name + ".key"),
                 os.path.join(keys, name + ".crt"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=" + name], check=True, capture_output=True)
    return key, cert


IDP_PORT = free_port()
IDP = "http://127.0.0.1:%d" % IDP_PORT
IDP_ID = IDP + "/idp/metadata"
idp_key, idp_cert = keypair("idp")
evil_key, evil_cert = keypair("evil")  # signs as the IdP, but is not it
sp_key, sp_cert = keypair("sp")


def idp_config(key, cert, sp_metadata=None, lifetime=5):
    c = {"entityid": IDP_ID,
         "service": {"idp": {
             "endpoints": {"single_sign_on_service": [
                 (IDP + "/sso", BINDING_HTTP_REDIRECT)]},
             "policy": {"default": {"lifetime": {"minutes": lifetime}}},
             "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
             # pysaml2 7.0 signs with SHA-1 unless told: the portal refuses
             # that (one check below).
             "signing_algorithm": SIG_RSA_SHA256,
             "digest_algorithm": DIGEST_SHA256,
             # The Redirect binding's signature is not in the XML: it is
             # checked by the handler below.
             "want_authn_requests_signed": False}},
         "key_file": key, "cert_file": cert,
         "xmlsec_binary": "/usr/bin/xmlsec1",
         "accepted_time_diff": 60}
    if sp_metadata:
        c["metadata"] = {"local": sp_metadata}
    conf = IdPConfig()
    conf.load(c)
    return conf


idp_md = os.path.join(keys, "idp-metadata.xml")
with open(idp_md, "w") as f:
    f.write(str(entity_descriptor(idp_config(idp_key, idp_cert))))

SAML = {"idp_metadata": idp_md, "sp_key_file": sp_key,
        "sp_cert_file": sp_cert}
p = Portal(portal={"languages": ["en", "nb", "nl"], "saml": SAML})
cl = p.cl
d = p.d
ACS = p.base + "/saml/acs"
SP_ID = p.base + "/saml/metadata"
# A second docketd on the same database, a portal of its own that reads
# the email from an attribute (the eduPerson/LDAP mail OID), not the NameID.
MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
D2_PORT = free_port()
BASE2 = "http://127.0.0.1:%d" % D2_PORT
d2 = p.start("d2", http={"listen": "127.0.0.1:%d" % D2_PORT},
             portal={"base_url": BASE2,
                     "saml": dict(SAML, email_attribute=MAIL)})
SP2_ID = BASE2 + "/saml/metadata"

ola = p.contact("ola@nordlys.example.no", "Ola", "Nordmann")
kari = p.contact("kari@nordlys.example.no", "Kari", "Lund")
p.invite(ola)
p.invite(kari)
stranger = p.contact("eve@fjord.example.no", "Eve", "Angrip")  # not listed

# ---- docketd's metadata, for the IdP -------------------------------------
r = p.browser().get("/saml/metadata")
eq(r.status, 200, "GET /saml/metadata")
eq(r.header("Content-Type"), "application/samlmetadata+xml",
   "it is SAML metadata")
md = r.text
ok('entityID="%s"' % SP_ID in md and 'Location="%s"' % ACS in md
   and 'AuthnRequestsSigned="true"' in md and 'WantAssertionsSigned="true"'
   in md and "HTTP-POST" in md, "entity ID, consumer, signing promises",
   md)
pem = open(sp_cert).read()
body = "".join(pem.split("-----")[2].split())
ok(body in md, "our certificate is in it")
sp_md = os.path.join(keys, "sp-metadata.xml")
with open(sp_md, "w") as f:
    f.write(md)
md2 = Browser(D2_PORT).get("/saml/metadata").text
ok('entityID="%s"' % SP2_ID in md2 and "nameid-format:unspecified" in md2
   and "nameid-format:emailAddress" in md,
   "the NameID format asked for: an address, or any with an attribute", md2)
sp2_md = os.path.join(keys, "sp2-metadata.xml")
with open(sp2_md, "w") as f:
    f.write(md2)
# Another service provider the IdP also serves: its assertions name it.
OTHER_SP = "http://127.0.0.1:1/other/metadata"
other_md = os.path.join(keys, "other-metadata.xml")
with open(other_md, "w") as f:
    f.write(md.replace(SP_ID, OTHER_SP))

servers = {
    "idp": Server(config=idp_config(idp_key, idp_cert, [sp_md, sp2_md, other_md])),
    "evil": Server(config=idp_config(evil_key, evil_cert, [sp_md, sp2_md, other_md])),
    "expired": Server(config=idp_config(idp_key, idp_cert, [sp_md, sp2_md, other_md],
                                        lifetime=-10)),
}
sp_public = x509.load_pem_x509_certificate(pem.encode()).public_key()
SIGALG_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


class IdP:
    """What the next answer is: the user and the faults."""
    lock = threading.Lock()
    answer = {}
    requests = []  # the AuthnRequests' IDs, as the IdP saw them
    errors = []


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        try:
            self.sso()
        except Exception as e:  # a failed check is a test failure, below
            IdP.errors.append(repr(e))
            self.send_response(500)
            self.end_headers()

    def sso(self):
        url = urllib.parse.urlsplit(self.path)
        assert url.path == "/sso", url.path
        # The Redirect binding's signature: over the query's own bytes,
        # SAMLRequest, RelayState, SigAlg in that order (bindings 3.4.4.1).
        raw = dict(kv.split("=", 1) for kv in url.query.split("&"))
        q = {k: urllib.parse.unquote_plus(v) for k, v in raw.items()}
        assert q.get("SigAlg") == SIGALG_SHA256, q.get("SigAlg")
        signed = "&".join("%s=%s" % (k, raw[k]) for k in
                          ("SAMLRequest", "RelayState", "SigAlg") if k in raw)
        sp_public.verify(base64.b64decode(q["Signature"]), signed.encode(),
                         padding.PKCS1v15(), hashes.SHA256())
        idp = servers["idp"]
        req = idp.parse_authn_request(q["SAMLRequest"], BINDING_HTTP_REDIRECT)
        msg = req.message
        sp = msg.issuer.text
        acs = sp.replace("/saml/metadata", "/saml/acs")
        assert sp in (SP_ID, SP2_ID), sp
        assert msg.assertion_consumer_service_url == acs
        assert msg.protocol_binding == BINDING_HTTP_POST
        with IdP.lock:
            a = dict(IdP.answer)
            IdP.requests.append(msg.id)
        server = servers[a.get("server", "idp")]
        email = a["email"]
        name_id = a.get("name_id", email)
        response = server.create_authn_response(
            a.get("identity", {"mail": [email]}),
            a.get("in_response_to", msg.id),
            a.get("destination", acs),
            a.get("audience", sp),
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS
                           if "@" in name_id else NAMEID_FORMAT_UNSPECIFIED,
                           text=name_id),
            authn={"class_ref": PASSWORD, "authn_auth": IDP_ID},
            sign_assertion=a.get("sign_assertion", True),
            sign_response=a.get("sign_response", False),
            sign_alg=a.get("sign_alg"), digest_alg=a.get("digest_alg"))
        info = server.apply_binding(BINDING_HTTP_POST, str(response), acs,
                                    relay_state="", response=True)
        page = info["data"].encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", IDP_PORT), Handler)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
atexit.register(httpd.shutdown)


def start(b, **answer):
    """b starts a sign-in at /saml/login and the IdP answers as told: the
    form's SAMLResponse (base64), or None.  The requests of earlier
    checks that were never answered are forgotten first: they count
    against the address (tested on their own below)."""
    cl.sql("DELETE FROM saml_request WHERE expires_at < now() + interval '9 minutes 30 seconds'")
    r = b.post("/saml/login", {}, csrf=csrf_of(b.get("/login").text))
    loc = r.header("Location") or ""
    if not ok(r.status == 303 and loc.startswith(IDP + "/sso?SAMLRequest="),
              "/saml/login sends the browser to the IdP",
              (r.status, r.headers, r.text[:300])):
        return None
    with IdP.lock:
        IdP.answer = answer
    try:
        page = urllib.request.urlopen(loc, timeout=30).read().decode()
    except OSError as e:
        ok(False, "the IdP answers", (e, IdP.errors))
        return None
    action = re.search(r'<form[^>]*action="([^"]*)"', page)
    value = re.search(r'name="SAMLResponse"\s+value="([^"]*)"', page)
    ok(action and value and
       action.group(1) == "http://127.0.0.1:%d/saml/acs" % b.port,
       "the IdP's form posts to our consumer", page[:500])
    return value.group(1) if value else None


def post(b, saml_response):
    """The IdP's form, sent from its page: no cookie comes with it."""
    return b.post("/saml/acs", {"SAMLResponse": saml_response}, csrf=False,
                  origin=IDP, cookies=False)


def sessions():
    return cl.sql1("SELECT count(*) FROM session WHERE contact_id IS NOT NULL")


def log_count(text):
    return (d.log_text() + d2.log_text()).count(text)


def refused(b, r, reason, what, status=403):
    """r is the refusal (status), reason in the log, and no session."""
    eq(r.status, status, what + ": refused with %d" % status)
    ok(wait_for(lambda: log_count(reason) > refused.seen.get(reason, 0), 5,
                reason), what + ": logged (%s)" % reason,
       d.log_text()[-1500:])
    refused.seen[reason] = log_count(reason)
    ok(not any("dk_session" in k for k in b.cookies),
       what + ": no session cookie")


refused.seen = {}


def sign_in(b, saml_response):
    """POST, then the 303's GET in b; the GET's answer."""
    r = post(b, saml_response)
    loc = r.header("Location") or ""
    if not ok(r.status == 303 and loc.startswith("/saml/acs?t="),
              "the consumer hands over to a GET", (r.status, r.text[:500])):
        return r
    return b.get(loc)


# ---- a good sign-in ---------------------------------------------------------
before = sessions()
b = p.browser()
resp = start(b, email=ola)
first = resp
r = post(b, resp)
handoff = r.header("Location") or ""
eq(r.status, 303, "the good assertion is accepted")
ok(not r.all("Set-Cookie"), "the cross-site POST sets no cookie")
twin = p.browser()
twin.cookies = dict(b.cookies)  # the same dk_pre, for the second use below
r = b.get(handoff)
eq((r.status, r.header("Location")), (303, "/tickets"),
   "the hand-off signs in and goes to the list")
r = b.get("/tickets")
ok(r.status == 200 and "Ola" in r.text, "logged in as Ola", r.text[:500])
eq(int(sessions()), int(before) + 1, "one new session")
eq(cl.sql1("SELECT count(*) FROM saml_request"), "0",
   "the request was consumed")
ok(log_count("contact %s signed in by SAML" % cl.sql1(
    "SELECT id FROM contact WHERE email = '%s'" % ola)) == 1,
   "the sign-in is logged")

# The hand-off token is single-use, also with the right dk_pre.
refused(twin, twin.get(handoff), "no such hand-off",
        "the hand-off token used twice")
eq(int(sessions()), int(before) + 1, "and made no second session")

# ---- the same response again: a replay ---------------------------------------
b2 = p.browser()
b2.get("/login")
n = sessions()
refused(b2, post(b2, first), "the assertion is a replay",
        "the same response posted again")
eq(sessions(), n, "the replay made no session")

# ---- who may sign in ---------------------------------------------------------
b = p.browser()
refused(b, sign_in(b, start(b, email=stranger)),
        "the email is not an allowed contact", "an email not on the list")
nb = p.browser(language="nb")
r = sign_in(nb, start(nb, email=stranger))
refused(nb, r, "the email is not an allowed contact",
        "a Norwegian browser, not on the list")
ok('lang="nb"' in r.text and "Ingen tilgang" in r.text
   and "Access denied" not in r.text, "the denied page is in Norwegian",
   r.text[:800])


# ---- forged, altered and misdirected assertions ------------------------------
def bad(reason, what, status=403, **answer):
    b = p.browser()
    n_s, n_a = sessions(), cl.sql1("SELECT count(*) FROM saml_assertion")
    resp = start(b, **answer)
    if resp is None:
        return
    refused(b, post(b, resp), reason, what, status)
    eq((sessions(), cl.sql1("SELECT count(*) FROM saml_assertion")),
       (n_s, n_a), what + ": nothing changed")


bad("Signature element not found", "an unsigned Response and assertion",
    email=ola, sign_assertion=False)
bad("the assertion is not signed", "a signed Response, its assertion not",
    email=ola, sign_assertion=False, sign_response=True)
bad("lasso refused the Response", "signed by another key", email=ola, server="evil")
bad("the assertion is signed with SHA-1", "signed with RSA-SHA1", email=ola,
    sign_alg=SIG_RSA_SHA1, digest_alg=DIGEST_SHA1)
bad("the assertion has expired", "an expired assertion (NotOnOrAfter past)",
    email=ola, server="expired")
bad("the assertion is for another audience", "another audience",
    email=ola, audience=OTHER_SP)
bad("the assertion is for another recipient", "another recipient",
    email=ola, destination=p.base + "/elsewhere")
bad("an answer to no waiting request", "InResponseTo unknown",
    email=ola, in_response_to="_0123456789abcdef0123456789abcdef")
bad("unsolicited", "no InResponseTo (unsolicited)", email=ola,
    in_response_to=None)

# A good response for Ola, altered to name Kari after it was signed.
b = p.browser()
resp = start(b, email=ola)
xml = base64.b64decode(resp).replace(ola.encode(), kari.encode())
ok(kari.encode() in xml, "the email was changed")
refused(b, post(b, base64.b64encode(xml).decode()),
        "lasso refused the Response",
        "a tampered assertion (email changed after signing)")
r = b.get("/tickets")
ok(r.status == 303 and r.header("Location") == "/login",
   "the tampering browser is not logged in")

# Both signatures, but the Response altered outside the assertion.
b = p.browser()
resp = start(b, email=ola, sign_response=True)
xml = base64.b64decode(resp)
xml = re.sub(rb'Destination="[^"]*"', b'Destination="%s/x"' % p.base.encode(),
             xml, count=1)
refused(b, post(b, base64.b64encode(xml).decode()),
        "lasso refused the Response", "a signed Response altered after signing")

# ---- login CSRF: an answer for browser A posted from browser B --------------
a = p.browser()
resp = start(a, email=ola)
victim = p.browser()
victim.get("/login")  # the victim has a dk_pre of its own
r = sign_in(victim, resp)
refused(victim, r, "another browser started this sign-in",
        "an answer to browser A, sent on by browser B")
r = victim.get("/tickets")
ok(r.status == 303, "browser B is not logged in")
# ...and one with no dk_pre at all.
a = p.browser()
resp = start(a, email=ola)
bare = p.browser()
r = post(bare, resp)
r = bare.get(r.header("Location") or "/saml/acs?t=x", cookies=False)
refused(bare, r, "the browser did not start this sign-in",
        "the hand-off without the browser's cookie")

# ---- what lasso never parses ----------------------------------------------------
b = p.browser()
start(b, email=ola)
refused(b, post(b, "A" * (64 * 1024 + 4)),
        "SAMLResponse missing, over 64 KiB or not base64",
        "an oversized SAMLResponse", status=400)
nb = p.browser(language="nb")
r = post(nb, "A" * (64 * 1024 + 4))
ok(r.status == 400 and "Svaret fra påloggingen kunne ikke leses" in r.text,
   "and in Norwegian", r.text[:800])
refused.seen["SAMLResponse missing, over 64 KiB or not base64"] = log_count(
    "SAMLResponse missing, over 64 KiB or not base64")
refused(b, post(b, "<samlp:Response/>"),
        "SAMLResponse missing, over 64 KiB or not base64",
        "a SAMLResponse that is not base64", status=400)
refused(b, post(b, base64.b64encode(b"<not xml").decode()),
        "lasso refused the Response", "base64 of something that is not XML")

# ---- the email in an attribute (d2), and what is not an email -------------
b = Browser(D2_PORT)
r = sign_in(b, start(b, email=kari, name_id="u-4711"))
eq((r.status, r.header("Location")), (303, "/tickets"),
   "with email_attribute, the attribute names the contact")
r = b.get("/tickets")
ok(r.status == 200 and "Kari" in r.text, "logged in as Kari", r.text[:500])
b = Browser(D2_PORT)
refused(b, post(b, start(b, email=kari, name_id="u-4711", identity={})),
        "the assertion has no email attribute", "no email attribute")
b = p.browser()
refused(b, post(b, start(b, email=kari, name_id="u-4711")),
        "the NameID is not an email address", "a NameID that is no address")


# A comment inside the signed address (exclusive canonicalization drops
# comments, so the signature still holds): the whole text counts, not
# the part before the comment.
def commented(port, what):
    b = Browser(port)
    resp = start(b, email=ola + ".evil.example")
    xml = base64.b64decode(resp).replace(
        ola.encode() + b".evil", ola.encode() + b"<!---->.evil")
    ok(xml.count(b"<!---->") >= 2, what + ": comments inserted")
    n = sessions()
    refused(b, sign_in(b, base64.b64encode(xml).decode()),
            "the email is not an allowed contact", what)
    eq(sessions(), n, what + ": no session")


commented(p.http_port, "a comment in the NameID's address")
commented(D2_PORT, "a comment in the attribute's address")

# ---- the login page, and a first visit -----------------------------------------
b = p.browser()
ok('action="/saml/login"' in b.get("/login").text, "the login page's SAML button")
b = p.browser()
r = b.get("/saml/login")
ok(r.status == 405, "a GET of /saml/login is not a sign-in (405)", r.status)
r = b.post("/saml/login", {}, csrf="0" * 32)
ok(r.status == 403, "/saml/login without the page's csrf is refused", r.status)
r = b.post("/saml/login", {}, csrf=csrf_of(b.get("/login").text),
           origin="https://evil.example")
ok(r.status == 403, "/saml/login from another site is refused", r.status)

# ---- a flood of sign-ins from one address is bounded, before any signing ---------
cl.sql("DELETE FROM saml_request")
def fresh_login():
    b = p.browser()
    return b.post("/saml/login", {}, csrf=csrf_of(b.get("/login").text)).status


statuses = [fresh_login() for _ in range(32)]
ok(statuses[:30] == [303] * 30 and statuses[30:] == [429, 429],
   "30 SAML requests may wait per address, then 429", statuses)
eq(cl.sql1("SELECT count(*) FROM saml_request"), "30",
   "the refused ones left no row")
ids = [r[0] for r in cl.sql("SELECT id FROM saml_request")]
ok(all(re.fullmatch(r"_[0-9a-f]{40}", i) for i in ids),
   "request IDs are ours: '_' and 160 random bits", ids[:3])
cl.sql("DELETE FROM saml_request")

# ---- a configuration that does not work stops docketd ---------------------------
not_md = os.path.join(keys, "not-metadata.xml")
with open(not_md, "w") as f:
    f.write("<html>not metadata</html>")
post_only = os.path.join(keys, "post-only.xml")
with open(post_only, "w") as f:
    f.write(str(entity_descriptor(idp_config(idp_key, idp_cert)))
            .replace(BINDING_HTTP_REDIRECT, BINDING_HTTP_POST))
for i, (saml, line) in enumerate([
        (dict(SAML, idp_metadata="/nonexistent/idp.xml"),
         "portal.saml.idp_metadata /nonexistent/idp.xml: cannot be read"),
        (dict(SAML, idp_metadata=not_md),
         "portal.saml.idp_metadata %s: not the metadata of one identity "
         "provider" % not_md),
        (dict(SAML, sp_key_file=sp_cert),
         "portal.saml.sp_key_file %s: not a PEM private key" % sp_cert),
        (dict(SAML, sp_cert_file=sp_key),
         "portal.saml.sp_cert_file %s: not a PEM certificate" % sp_key),
        (dict(SAML, idp_metadata=post_only),
         "portal.saml: cannot make a signed AuthnRequest (HTTP-Redirect)")]):
    name = "bad%d" % i
    try:
        p.start(name, http={"listen": "127.0.0.1:%d" % free_port()},
                portal={"saml": saml})
    except (RuntimeError, OSError, TimeoutError):
        pass  # it may die before or after it answers on its socket
    srv = [s for s in cl.servers if s.name == name]
    srv[0].checked = True  # it is meant to exit
    try:
        rc = srv[0].proc.wait(20)
    except subprocess.TimeoutExpired:
        rc = None
    text = open(os.path.join(cl.dir, name + ".log")).read()
    errors = [l for l in text.splitlines() if " error " in l]
    ok(rc not in (0, None) and len(errors) == 1 and line in errors[0]
       and "CRITICAL" not in text,
       "docketd refuses to start, with one line: " + line, (rc, text[-1500:]))

eq(IdP.errors, [], "the IdP found every AuthnRequest well signed and formed")
eq(cl.sql1("SELECT count(*) FROM session s JOIN contact c ON c.id = "
           "s.contact_id WHERE c.email NOT IN ('%s', '%s')" % (ola, kari)),
   "0", "nobody but Ola and Kari ever got a session")
eq(cl.sql1("SELECT count(*) FROM session s JOIN contact c ON c.id = "
           "s.contact_id WHERE c.email = '%s'" % kari), "1",
   "Kari only once, on d2")

done()
