"""portal_oidc.py - signing in to the portal with OpenID Connect against
a real provider run here on loopback over TLS (its own CA, which
portal.oidc.ca_file names): discovery, JWKS and ID tokens signed with
Authlib's JOSE, the authorization code flow with PKCE checked by the
provider.  The good sign-in, each way an ID token can be wrong (nonce,
issuer, audience, azp, expiry, alg none, HS256 keyed with the client
secret or the public key, an unlisted key, a tampered payload, crit,
email not verified), a key rotation (refetched on the unknown kid), and
what a browser can try (an unknown, replayed or stale state, a state
begun in another browser, no cookie, the provider's error, a flood of
sign-ins from one address, the provider gone).  None of the refusals
leaves a session."""

import base64
import hashlib
import http.client
import http.server
import json
import secrets
import ssl
import subprocess
import sys, os
import threading
import time
import urllib.parse
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *
from authlib.jose import JsonWebKey, jwt

CLIENT_ID = "docket-portal"
CLIENT_SECRET = "s3cret~with+odd&chars"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Provider:
    """An OpenID provider: discovery, authorize (the person is whoever
    the test says is signed in there), token (PKCE and client secret
    checked, codes used once), JWKS.  mode changes the next ID tokens."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.ca_file, cert, key = self.make_certs()
        self.port = free_port()
        self.issuer = "https://127.0.0.1:%d" % self.port
        self.keys = [self.new_key("k1")]
        self.signing = self.keys[0]
        self.user = None        # the email signed in at the provider
        self.verified = True
        self.mode = "good"
        self.codes = {}
        self.jwks_fetches = 0
        self.token_requests = []
        op = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def send(self, status, body, ctype="application/json",
                     headers=()):
                data = body if isinstance(body, bytes) else body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(u.query))
                if u.path == "/.well-known/openid-configuration":
                    self.send(200, json.dumps(op.discovery()))
                elif u.path == "/jwks":
                    op.jwks_fetches += 1
                    self.send(200, json.dumps(
                        {"keys": [k.as_dict(is_private=False)
                                  for k in op.keys]}))
                elif u.path == "/authorize":
                    status, loc = op.authorize(q)
                    self.send(status, loc or "refused", "text/plain",
                              [("Location", loc)] if status == 302 else [])
                else:
                    self.send(404, "{}")

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(
                    self.rfile.read(n).decode()))
                status, body = op.token(form, self.headers)
                self.send(status, json.dumps(body))

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port),
                                                     Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()
        self.client_ctx = ssl.create_default_context(cafile=self.ca_file)

    def make_certs(self):
        d = os.path.join(self.tmp, "op-tls")
        os.makedirs(d, exist_ok=True)
        run = lambda *a: subprocess.run(a, check=True, capture_output=True)
        ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
        key, csr, cert = (os.path.join(d, n)
                          for n in ("op.key", "op.csr", "op.pem"))
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", ca_key, "-out", ca, "-days", "2",
            "-subj", "/CN=Docket test CA")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
            "-out", csr, "-subj", "/CN=127.0.0.1")
        ext = os.path.join(d, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
            "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
        return ca, cert, key

    def new_key(self, kid):
        return JsonWebKey.generate_key("RSA", 2048, {"kid": kid, "use": "sig",
                                                     "alg": "RS256"},
                                       is_private=True)

    def discovery(self):
        return {"issuer": self.issuer,
                "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported":
                    ["client_secret_basic", "client_secret_post"]}

    def authorize(self, q):
        self.last_authorize = q
        if (q.get("client_id") != CLIENT_ID or
                q.get("response_type") != "code" or
                q.get("code_challenge_method") != "S256" or
                not q.get("code_challenge") or not q.get("redirect_uri")):
            return 400, None
        redirect = q["redirect_uri"]
        if self.user is None:
            return 302, redirect + "?" + urllib.parse.urlencode(
                {"error": "access_denied", "state": q.get("state", "")})
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"challenge": q["code_challenge"],
                            "redirect_uri": redirect,
                            "nonce": q.get("nonce"), "email": self.user}
        return 302, redirect + "?" + urllib.parse.urlencode(
            {"code": code, "state": q.get("state", "")})

    def token(self, form, headers):
        self.token_requests.append(form)
        secret_ok = form.get("client_secret") == CLIENT_SECRET
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            u, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            secret_ok = (urllib.parse.unquote_plus(u) == CLIENT_ID and
                         urllib.parse.unquote_plus(pw) == CLIENT_SECRET)
        if not secret_ok or form.get("client_id") != CLIENT_ID:
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)
        if (not grant or form.get("grant_type") != "authorization_code" or
                form.get("redirect_uri") != grant["redirect_uri"]):
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != \
                grant["challenge"]:
            return 400, {"error": "invalid_grant",
                         "error_description": "PKCE"}
        if self.mode == "token_error":
            return 400, {"error": "invalid_grant"}
        return 200, {"access_token": "at-" + secrets.token_hex(8),
                     "token_type": "Bearer", "expires_in": 3600,
                     "id_token": self.id_token(grant)}

    def id_token(self, grant):
        now = int(time.time())
        m = self.mode
        claims = {"iss": self.issuer, "sub": "sub-" + grant["email"],
                  "aud": CLIENT_ID, "exp": now + 300, "iat": now,
                  "nonce": grant["nonce"], "email": grant["email"],
                  "email_verified": self.verified}
        header = {"alg": "RS256", "kid": self.signing.as_dict()["kid"]}
        key = self.signing
        if m == "wrong_nonce":
            claims["nonce"] = "x" * 43
        elif m == "no_nonce":
            del claims["nonce"]
        elif m == "wrong_iss":
            claims["iss"] = "https://evil.example"
        elif m == "wrong_aud":
            claims["aud"] = "someone-else"
        elif m == "aud_list_no_azp":
            claims["aud"] = [CLIENT_ID, "someone-else"]
        elif m == "aud_list_azp":
            claims["aud"] = [CLIENT_ID, "someone-else"]
            claims["azp"] = CLIENT_ID
        elif m == "wrong_azp":
            claims["azp"] = "someone-else"
        elif m == "expired":
            claims["exp"] = now - 3600
            claims["iat"] = now - 4000
        elif m == "future_iat":
            claims["iat"] = now + 3600
        elif m == "no_exp":
            del claims["exp"]
        elif m == "email_verified_string":
            claims["email_verified"] = "true"
        elif m == "no_email_verified":
            del claims["email_verified"]
        elif m == "no_email":
            del claims["email"]
        elif m == "unlisted_key":
            key = self.new_key("k-unlisted")
            header["kid"] = "k-unlisted"
        elif m == "listed_kid_other_key":
            key = self.new_key("k1")
        elif m == "crit":
            header["crit"] = ["exp"]
        if m == "alg_none":
            return (b64url(json.dumps({"alg": "none"}).encode()) + "." +
                    b64url(json.dumps(claims).encode()) + ".")
        if m in ("hs256_secret", "hs256_public"):
            secret = (CLIENT_SECRET.encode() if m == "hs256_secret" else
                      self.signing.as_pem(is_private=False))
            signing_input = (b64url(json.dumps(
                {"alg": "HS256", "kid": header["kid"]}).encode()) + "." +
                b64url(json.dumps(claims).encode()))
            import hmac
            sig = hmac.new(secret, signing_input.encode(),
                           hashlib.sha256).digest()
            return signing_input + "." + b64url(sig)
        if m == "crit":
            # Authlib refuses to make one: signed by hand (RS256 is
            # PKCS#1 v1.5 with SHA-256), a valid signature.
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import padding
            signing_input = (b64url(json.dumps(header).encode()) + "." +
                             b64url(json.dumps(claims).encode()))
            sig = key.get_private_key().sign(signing_input.encode(),
                                             padding.PKCS1v15(),
                                             hashes.SHA256())
            return signing_input + "." + b64url(sig)
        token = jwt.encode(header, claims, key).decode()
        if m == "tampered":
            h, p, s = token.split(".")
            claims["email"] = "kari@nordlys.example.no"
            token = h + "." + b64url(json.dumps(claims).encode()) + "." + s
        return token

    def rotate(self):
        """A new key, the old one gone from the JWKS."""
        self.signing = self.new_key("k%d" % (len(self.keys) + 1))
        self.keys = [self.signing]

    def visit(self, url):
        """What the browser does at the provider: follows the authorize
        URL, returns the redirect back (the Location)."""
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPSConnection(u.hostname, u.port,
                                           context=self.client_ctx,
                                           timeout=20)
        conn.request("GET", u.path + "?" + u.query)
        r = conn.getresponse()
        r.read()
        conn.close()
        return r.status, r.getheader("Location")

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


tmp = os.environ.get("TMPDIR", "/tmp")
os.makedirs(tmp, exist_ok=True)
tmp = __import__("tempfile").mkdtemp(prefix="oidc-", dir=tmp)
op = Provider(tmp)
p = Portal(portal={"languages": ["en", "nb"],
                   "oidc": {"issuer": op.issuer, "client_id": CLIENT_ID,
                            "client_secret": CLIENT_SECRET,
                            "ca_file": op.ca_file,
                            "button_text": "Sign in with Google"}})
cl = p.cl
cl.add_staff("carla", "content", "Carla Content")
cl.ctl("company", "add", "Nordlys skole")
ola = p.contact("ola@nordlys.example.no", "Ola", "Nordmann", "Nordlys skole")
kari = p.contact("kari@nordlys.example.no", "Kari", "Lund", "Nordlys skole")
stranger = p.contact("eve@fjord.example.no", "Eve", "Angrip")
cl.ctl("list", "add-member", "Authorized Portal Users", ola)
cl.ctl("list", "add-member", "Authorized Portal Users", kari)
wait_for(lambda: "RS256 signing key" in p.d.log_text(), 20,
         "docketd read the provider's keys at start-up")
ok(op.jwks_fetches == 1, "keys read once at start-up", op.jwks_fetches)


def begin(b):
    """GET /oidc/login: the redirect to the provider, parsed."""
    r = b.get("/oidc/login")
    loc = r.header("Location") or ""
    ok(r.status == 303 and loc.startswith(op.issuer + "/authorize?"),
       "/oidc/login sends the browser to the provider", (r.status, loc))
    return loc, dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))


def come_back(b, loc):
    """The provider's redirect back, followed by browser b."""
    u = urllib.parse.urlsplit(loc)
    ok(loc.startswith(p.base + "/oidc/callback?"), "back at the callback",
       loc)
    return b.get(u.path + "?" + u.query)


def sign_in(email, mode="good", b=None):
    b = b or p.browser()
    op.user, op.mode = email, mode
    loc, _ = begin(b)
    status, back = op.visit(loc)
    ok(status == 302, "the provider redirects back", status)
    return b, come_back(b, back)


NAMES = {ola: "Ola Nordmann", kari: "Kari Lund"}


def signed_in(b, r, email, what):
    ok(r.status == 303 and r.header("Location") == "/tickets", what,
       (r.status, r.header("Location"), r.text[:300]))
    page = b.get("/tickets")
    ok(page.status == 200 and NAMES[email] in page.text,
       "%s: the list is %s's" % (what, email), page.text[:300])


def refused(b, r, what, reason=None, status=403):
    ok(r.status == status, "%s: refused (%d)" % (what, status),
       (r.status, r.header("Location"), r.text[:300]))
    ok(not any(k.endswith("dk_session") for k in b.cookies),
       "%s: no session cookie" % what, b.cookies)
    t = b.get("/tickets")
    ok(t.status == 303 and (t.header("Location") or "").startswith("/login"),
       "%s: /tickets still asks for a login" % what, t.status)
    if reason:
        wait_for(lambda: reason in p.d.log_text(), 10,
                 "%s: the log says %r" % (what, reason))


# ---- the login page and the redirect --------------------------------------
b = p.browser()
page = b.get("/login")
ok('href="/oidc/login"' in page.text and "Sign in with Google" in page.text,
   "the login page offers the provider's button", page.text[:600])
loc, q = begin(b)
ok(q.get("client_id") == CLIENT_ID and q.get("response_type") == "code" and
   q.get("scope", "").split() == ["openid", "email", "profile"] and
   q.get("redirect_uri") == p.base + "/oidc/callback" and
   q.get("code_challenge_method") == "S256" and
   len(q.get("code_challenge", "")) == 43 and len(q.get("state", "")) >= 43 and
   len(q.get("nonce", "")) >= 43 and q.get("ui_locales") == "en",
   "the authorization request: code flow, PKCE S256, state, nonce", q)
_, q2 = begin(b)
ok(q2["state"] != q["state"] and q2["nonce"] != q["nonce"] and
   q2["code_challenge"] != q["code_challenge"],
   "every sign-in has its own state, nonce and verifier", (q, q2))
rows = cl.sql("SELECT count(*) FROM oidc_pending WHERE nonce = '%s'"
              % q["nonce"])
ok(rows[0][0] == "1", "the pending sign-in is in PostgreSQL", rows)
leaked = cl.sql("SELECT count(*) FROM oidc_pending WHERE position("
                "convert_to('%s', 'UTF8') IN state_hash) > 0 OR nonce = '%s'"
                % (q["state"], q["state"]))
ok(leaked[0][0] == "0", "the state is kept only as its hash", leaked)

# ---- a good sign-in ----------------------------------------------------------
b, r = sign_in(ola)
signed_in(b, r, ola, "Ola signs in with the provider")
tr = op.token_requests[-1]
ok(tr.get("grant_type") == "authorization_code" and tr.get("code_verifier")
   and tr.get("client_secret") == CLIENT_SECRET,
   "the code was exchanged with its verifier and the client secret "
   "(client_secret_post)", tr)
log = p.d.log_text()
ok("signed in by OIDC" in log, "the log says how the contact signed in")
ok(CLIENT_SECRET not in log and tr["code_verifier"] not in log,
   "neither the secret nor the verifier is logged")

# ---- what an ID token may get wrong -----------------------------------------
for mode, reason in [
        ("wrong_nonce", "nonce is not this sign-in's"),
        ("no_nonce", "nonce is not this sign-in's"),
        ("wrong_iss", "from another issuer"),
        ("wrong_aud", "for another client"),
        ("aud_list_no_azp", "for another client"),
        ("wrong_azp", "for another client"),
        ("expired", "has expired"),
        ("future_iat", "has expired, or its exp or iat"),
        ("no_exp", "has expired, or its exp or iat"),
        ("alg_none", "not signed with RS256"),
        ("hs256_secret", "not signed with RS256"),
        ("hs256_public", "not signed with RS256"),
        ("unlisted_key", "a key the provider does not list"),
        ("listed_kid_other_key", "signature does not verify"),
        ("tampered", "signature does not verify"),
        ("crit", "critical header"),
        ("email_verified_string", "not verified the email"),
        ("no_email_verified", "not verified the email"),
        ("no_email", "names no usable email"),
        ("token_error", "answered 400 invalid_grant")]:
    b, r = sign_in(ola, mode)
    refused(b, r, "ID token " + mode, reason)

op.verified = False
b, r = sign_in(ola)
refused(b, r, "email_verified false", "not verified the email")
op.verified = True

b, r = sign_in(ola, "aud_list_azp")
signed_in(b, r, ola, "several audiences with azp naming us")

# A contact who is not on the access list, and an address nobody has.
b, r = sign_in(stranger)
refused(b, r, "a contact not on the list", "not an allowed contact")
b, r = sign_in("nobody@nowhere.example")
refused(b, r, "an unknown address", "not an allowed contact")

# The same in Norwegian: the refusal in the browser's language.
b = p.browser(language="nb")
op.user, op.mode = stranger, "good"
loc, q = begin(b)
ok(q.get("ui_locales") == "nb", "a Norwegian browser asks for nb pages",
   q.get("ui_locales"))
r = come_back(b, op.visit(loc)[1])
ok(r.status == 403 and 'lang="nb"' in r.text and "Ingen tilgang" in r.text,
   "the refusal is in Norwegian", r.text[:400])

# ---- a key rotation ---------------------------------------------------------
time.sleep(5.5)  # past KEYS_MIN_AGE since the last fetch
before = op.jwks_fetches
op.rotate()
b, r = sign_in(kari)
signed_in(b, r, kari, "after a key rotation")
ok(op.jwks_fetches == before + 1, "the unknown kid fetched the keys once more",
   (before, op.jwks_fetches))
b, r = sign_in(kari)
signed_in(b, r, kari, "the next sign-in uses the new key at once")
ok(op.jwks_fetches == before + 1, "without fetching again", op.jwks_fetches)

# ---- what a browser can try ---------------------------------------------------
# An invented state, and none at all.
b = p.browser()
b.get("/login")
r = b.get("/oidc/callback?code=abc&state=" + "A" * 43)
refused(b, r, "an unknown state", "state is unknown, used or old")
r = b.get("/oidc/callback?code=abc")
refused(b, r, "no state", "no code or state")
r = b.get("/oidc/callback?state=abc&code=" + "x" * 3000)
refused(b, r, "an oversized code", "no code or state")

# A replayed callback: the state (and the code) work once.
b = p.browser()
op.user, op.mode = ola, "good"
loc, _ = begin(b)
back = op.visit(loc)[1]
signed_in(b, come_back(b, back), ola, "the first use of a callback")
b2 = p.browser()
b2.cookies = {k: v for k, v in b.cookies.items() if not k.endswith("session")}
b2.get("/login")
r = come_back(b2, back)
refused(b2, r, "the same callback again", "state is unknown, used or old")

# Login CSRF: Eve begins a sign-in for her own account and plants the
# callback in Ola's browser: the state is bound to her browser.
cl.ctl("list", "add-member", "Authorized Portal Users", stranger)
eve_b = p.browser()
op.user = stranger
loc, _ = begin(eve_b)
planted = op.visit(loc)[1]
victim = p.browser()
victim.get("/login")
r = come_back(victim, planted)
refused(victim, r, "a callback begun in another browser",
        "begun in another browser")

# A browser that lost its cookie (or never had one).
nocookie = p.browser()
op.user = ola
loc, _ = begin(nocookie)
back = op.visit(loc)[1]
nocookie.cookies = {}
r = come_back(nocookie, back)
refused(nocookie, r, "a callback without the pre-login cookie",
        "no pre-login cookie")

# A state older than its 10 minutes.
b = p.browser()
loc, _ = begin(b)
back = op.visit(loc)[1]
cl.sql("UPDATE oidc_pending SET created_at = now() - interval '11 minutes'")
r = come_back(b, back)
refused(b, r, "a state older than 10 minutes", "state is unknown, used or old")

# The person says no at the provider.
b = p.browser()
op.user = None
loc, _ = begin(b)
r = come_back(b, op.visit(loc)[1])
refused(b, r, "the provider's access_denied", "the provider answered "
        "access_denied")

# A flood of sign-ins from one address is bounded.
cl.sql("DELETE FROM oidc_pending")
statuses = [p.browser().get("/oidc/login").status for _ in range(32)]
ok(statuses[:30] == [303] * 30 and statuses[30:] == [429, 429],
   "30 sign-ins may wait per address, then 429", statuses)
cl.sql("DELETE FROM oidc_pending")

# The provider gone: the page says so, and nothing else changes.
b = p.browser()
op.user = ola
loc, _ = begin(b)
back = op.visit(loc)[1]
op.stop()
r = come_back(b, back)
ok(r.status == 503 and "cannot be reached" in r.text,
   "the provider unreachable: a clear 503", (r.status, r.text[:300]))
ok(p.d.proc.poll() is None, "docketd still runs")
done()
