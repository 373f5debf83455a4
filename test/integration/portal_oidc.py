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

import json
import subprocess
import sys, os
import tempfile
import time
import urllib.parse
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *
from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

import shutil
tmp = tempfile.mkdtemp(prefix="docket-oidc-")
atexit.register(shutil.rmtree, tmp, True)
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


def begin(b, clean=True):
    """POST /oidc/login (the login page's button, with its csrf): the
    redirect to the provider, parsed.  With clean, the refused sign-ins
    of earlier checks are forgotten first: they count against the
    address (tested on their own below)."""
    if clean:
        cl.sql("DELETE FROM oidc_pending WHERE used_at IS NOT NULL")
    r = b.post("/oidc/login", {}, csrf=csrf_of(b.get("/login").text))
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
ok('action="/oidc/login"' in page.text and "Sign in with Google" in page.text,
   "the login page offers the provider's button", page.text[:600])
csp = page.header("Content-Security-Policy") or ""
ok("form-action 'self' %s;" % op.issuer in csp,
   "the CSP lets the button's POST lead on to the provider, and only there",
   csp)
r = b.get("/oidc/login")
ok(r.status == 405, "a GET of /oidc/login is not a sign-in (405)", r.status)
r = b.post("/oidc/login", {}, csrf="0" * 32)
ok(r.status == 403, "/oidc/login without the page's csrf is refused", r.status)
r = b.post("/oidc/login", {}, csrf=csrf_of(b.get("/login").text),
           origin="https://evil.example")
ok(r.status == 403, "/oidc/login from another site is refused", r.status)
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

# Sign-ins begun from one address are bounded: those not back, and those
# back and refused (each was a request to the provider), not those that
# worked (a school behind one NAT address).
def fresh_begin():
    b = p.browser()
    return b, b.post("/oidc/login", {}, csrf=csrf_of(b.get("/login").text))


cl.sql("DELETE FROM oidc_pending")
statuses = [fresh_begin()[1].status for _ in range(29)]
b, r = fresh_begin()
op.user, op.mode = ola, "wrong_nonce"
loc = r.header("Location")
refused(b, come_back(b, op.visit(loc)[1]), "the 30th, refused", "nonce")
statuses.append(fresh_begin()[1].status)
ok(statuses == [303] * 29 + [429],
   "29 waiting and one refused make 30: then 429", statuses)
cl.sql("DELETE FROM oidc_pending")
statuses = [fresh_begin()[1].status for _ in range(29)]
op.mode = "good"
b, r = fresh_begin()
signed_in(b, come_back(b, op.visit(r.header("Location"))[1]), ola,
          "the 30th sign-in works")
statuses += [fresh_begin()[1].status, fresh_begin()[1].status]
ok(statuses == [303] * 29 + [303, 429],
   "one that worked does not count", statuses)
cl.sql("DELETE FROM oidc_pending")

# Look-alike letters: PostgreSQL's lower() folds the Kelvin sign into "k".
b, r = sign_in("\u212aari@nordlys.example.no")
refused(b, r, "a verified email with a Kelvin sign for K",
        "other than printable ASCII")

# Microsoft Entra's way of saying the address is the tenant's.
b, r = sign_in(kari, "entra")
signed_in(b, r, kari, "Entra: xms_edov instead of email_verified")

# A burst of callbacks while the token endpoint is slow: at most 4
# requests at once (each holds a thread of the pool), the rest queued,
# every one answered.
op.user, op.mode = ola, "good"
pairs = []
for _ in range(7):
    b = p.browser()
    loc, _ = begin(b)
    pairs.append((b, op.visit(loc)[1]))
op.mode, op.most_in_flight = "slow", 0
import concurrent.futures
with concurrent.futures.ThreadPoolExecutor(7) as ex:
    results = list(ex.map(lambda bl: come_back(*bl), pairs))
ok(all(r.status == 303 and r.header("Location") == "/tickets"
       for r in results),
   "7 callbacks at once while the provider is slow: all signed in",
   [r.status for r in results])
ok(op.most_in_flight <= 4, "at most 4 token requests at once",
   op.most_in_flight)
op.mode = "good"

# A key too weak to believe: the provider rotates to 1024 bits.
time.sleep(5.5)
weak = __import__("authlib.jose", fromlist=["JsonWebKey"]).JsonWebKey \
    .generate_key("RSA", 1024, {"kid": "k-weak", "use": "sig",
                                "alg": "RS256"}, is_private=True)
old_keys, old_signing = op.keys, op.signing
op.keys, op.signing = [weak], weak
b, r = sign_in(ola)
# No usable key at all is the provider's fault: 503, as when it is down.
refused(b, r, "a token signed by a 1024-bit key", status=503)
op.keys, op.signing = old_keys, old_signing
wait_for(lambda: "0 RS256 signing keys" in p.d.log_text(), 10,
         "the log says the provider offered no usable key")
b, r = sign_in(ola)
signed_in(b, r, ola, "the keys from before are kept")

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

# A way in half set up stops docketd at start, with the reason.
for what, oidc, words in [
        ("an http issuer", {"issuer": "http://accounts.example",
                            "client_id": "x", "client_secret": "y"},
         "expected a URL starting with https://"),
        ("an issuer without a client_id", {"issuer": op.issuer,
                                           "client_secret": "y"},
         "client_id is needed with an issuer"),
        ("an issuer without a secret", {"issuer": op.issuer,
                                        "client_id": "x"},
         "client_secret is needed with an issuer"),
        ("a client_id without an issuer", {"client_id": "x"},
         "issuer is needed with a client_id")]:
    path = os.path.join(cl.dir, "bad-oidc.yaml")
    with open(path, "w") as f:
        json.dump({"portal": {"oidc": oidc}}, f)  # JSON is YAML
    r = subprocess.run([DOCKETD, "--config", path, "--check-config"],
                       capture_output=True, text=True, timeout=30)
    ok(r.returncode != 0 and words in r.stderr,
       "docketd refuses %s" % what, (r.returncode, r.stderr[-500:]))
done()
