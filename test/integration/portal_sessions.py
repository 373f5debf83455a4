"""portal_sessions.py - a contact's session as the server keeps it: the
idle timeout enforced by the server (portal.idle_timeout), Secure cookies
behind an https base URL, a password change that ends every other
session and cancels unused links, the lock-out of the login limiter
counting the address however it is capitalised, self-registration with
its emailed confirmation, and RS256 single sign-on (with the HS256 token
signed by the public key refused)."""

import base64, hashlib, hmac, json, subprocess
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *

p = Portal(portal={"idle_timeout": "10m"})
cl = p.cl
ola = p.contact("ola@school.example.no")
b = p.register(ola)

# ---- idle timeout ------------------------------------------------------------
eq(b.get("/tickets").status, 200, "a fresh session works")
cl.sql("UPDATE session SET last_seen_at = now() - interval '11 minutes' "
       "WHERE contact_id IS NOT NULL")
# A session checked lately is taken on trust for a few seconds
# (server/portal/sessions.c): the timeout shows once that has passed.
r = wait_for(lambda: (lambda r: r if r.status == 303 else None)(b.get("/tickets")),
             15, "the idle session to end")
eq((r.status, r.header("Location")), (303, "/login"),
   "idle past portal.idle_timeout: sent to the login page")
ok(any(v.startswith("dk_session=;") for v in r.all("Set-Cookie")),
   "and the cookie is cleared")
eq(cl.sql1("SELECT count(*) FROM session WHERE contact_id IS NOT NULL"), "0",
   "the session row is gone")

# ---- Secure behind https ---------------------------------------------------------
sport = free_port()
p.start("d2", http={"listen": "127.0.0.1:%d" % sport},
        portal={"base_url": "https://support.agency.example"})
bs = Browser(sport, origin="https://support.agency.example")
r = bs.post("/login", {"email": ola, "password": "portal-pass-1"})
cookie = [v for v in r.all("Set-Cookie") if v.startswith("__Host-dk_session=")]
ok(r.status == 303 and cookie and "Secure" in cookie[0],
   "with an https base_url the session cookie is __Host-dk_session, Secure",
   r.headers)
eq(bs.get("/tickets").status, 200, "and it is read back under that name")
planted = Browser(sport, origin="https://support.agency.example")
planted.cookies["dk_session"] = bs.cookies["__Host-dk_session"]
eq(planted.get("/tickets").status, 303,
   "a plain dk_session (as a subdomain could set) is not taken")
r = Browser(sport).post("/login", {"email": ola, "password": "portal-pass-1"})
eq(r.status, 403, "and a form from the plain http origin is refused")

# ---- a password change ends the others -----------------------------------------------
other = p.login(ola)
before = len(p.sink.to(ola))
r = p.browser().post("/reset", {"email": ola.upper()})
eq(r.status, 200, "reset asked with the address in capitals")
link = p.sink.link(ola, "/reset/confirm", after=before)
path = link[len(p.base):]
nb = p.browser()
page = nb.get(path)
r = nb.post(path, {"password": "new-pass-456", "password2": "new-pass-456"},
            csrf=csrf_of(page.text))
eq((r.status, r.header("Location")), (303, "/tickets"),
   "the new password logs the contact in")
eq(nb.get("/tickets").status, 200, "in the browser that changed it")
eq(other.get("/tickets").status, 303, "and ends the session of the other one")
eq(nb.get(path).status, 400, "the reset link is used up")
r = p.browser().post("/login", {"email": ola, "password": "portal-pass-1"})
ok("Wrong email or password" in r.text, "the old password no longer works")
p.login(ola, "new-pass-456")

# ---- the limiter sees one account however it is written -----------------------------
for i in range(5):
    addr = ola.upper() if i % 2 else ola
    p.browser().post("/login", {"email": addr, "password": "wrong-%d-pass" % i})
r = p.browser().post("/login", {"email": "Ola@School.Example.No",
                                "password": "new-pass-456"})
eq(r.status, 429, "five failures in any capitalisation lock the account "
   "for this address")

# ---- self-registration ------------------------------------------------------------
rport = free_port()
p.start("d3", http={"listen": "127.0.0.1:%d" % rport},
        portal={"access": "self_registration",
                "base_url": "http://127.0.0.1:%d" % rport})
br = Browser(rport)
new = "nina@newschool.example.no"
r = br.post("/signup", {"email": new, "first": "Nina", "last": "Ny",
                        "consent": "yes", "password": "nina-pass-1",
                        "password2": "nina-pass-1"})
eq(r.status, 200, "sign-up answers with its check-your-email page")
link = p.sink.link(new, "/signup/confirm")
r = Browser(rport).post("/login", {"email": new, "password": "nina-pass-1"})
ok("Wrong email or password" in r.text, "the account does not work before "
   "the address is confirmed")
path = link.split("127.0.0.1:%d" % rport, 1)[1]
r = br.get(path)
eq((r.status, r.header("Location")), (303, "/tickets"),
   "the confirmation link logs the new contact in")
eq(br.get("/tickets").status, 200, "to their (empty) list")
eq(Browser(rport).get(path).status, 400, "the link works once")
r = Browser(rport).post("/login", {"email": new, "password": "nina-pass-1"})
eq(r.status, 303, "and the password works from now on")

# ---- RS256 single sign-on ------------------------------------------------------------
key = os.path.join(cl.dir, "sso.pem")
pub = os.path.join(cl.dir, "sso.pub.pem")
subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                "rsa_keygen_bits:2048", "-out", key], check=True,
               capture_output=True)
subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub],
               check=True, capture_output=True)
jport = free_port()
p.start("d4", http={"listen": "127.0.0.1:%d" % jport},
        portal={"base_url": "http://127.0.0.1:%d" % jport,
                "sso": {"jwt_public_key_file": pub}})
def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
def signing_input(alg, claims):
    return (b64(json.dumps({"alg": alg, "typ": "JWT"}).encode()) + "." +
            b64(json.dumps(claims).encode()))
claims = {"email": ola, "exp": int(time.time()) + 300}
si = signing_input("RS256", claims)
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                     input=si.encode(), capture_output=True, check=True).stdout
r = Browser(jport).get("/sso?jwt=" + si + "." + b64(sig))
ok(r.status == 303 and any(v.startswith("dk_session=")
                           for v in r.all("Set-Cookie")),
   "an RS256 token signed with the private key signs the contact in",
   (r.status, r.text[:200]))
si = signing_input("HS256", claims)
forged = hmac.new(open(pub, "rb").read(), si.encode(), hashlib.sha256).digest()
r = Browser(jport).get("/sso?jwt=" + si + "." + b64(forged))
eq(r.status, 403, "an HS256 token keyed with the public key is refused")

# ---- no flooding an inbox through /reset -------------------------------------------
before = len(p.sink.to(ola))
answers = set()
for i in range(8):
    r = p.browser().post("/reset", {"email": ola})
    answers.add((r.status, r.text))
ok(len(answers) == 1 and next(iter(answers))[0] == 200 and
   "Check your email" in next(iter(answers))[1],
   "eight resets in a row all get the same answer", len(answers))
wait_for(lambda: cl.sql1("SELECT count(*) FROM outbox WHERE sent_at IS NULL "
                         "AND failed_at IS NULL") == "0", what="the outbox sent")
eq(int(cl.sql1("SELECT count(*) FROM outbox WHERE kind = 'password_reset' "
               "AND lower(to_addr) = lower('%s') AND created_at > now() - "
               "interval '1 hour'" % ola)), 5,
   "but at most 5 reset emails an hour go to one address")

done()
