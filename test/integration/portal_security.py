"""portal_security.py - SPEC section 8's security list, one check each,
over raw HTTP against a real docketd serving the portal: 404 across
contacts and companies, CSRF, the session cookie's flags, fixation,
one-time links, no enumeration, the login limiter under 50 parallel
requests, upload limits, hostile file names and downloads, escaping,
JWT single sign-on refusals, security headers, /metrics for ops only."""

import base64
import concurrent.futures
import hashlib
import hmac
import json
import subprocess
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *

SECRET = "jwt-test-secret-0123456789abcdef"
p = Portal(portal={"visibility": "company", "sso": {"jwt_secret": SECRET,
                                                    "jwt_audience": "docket",
                                                    "jwt_issuer": "agency"}})
cl = p.cl
cl.add_staff("carla", "content", "Carla Content")
cl.ctl("company", "add", "Nordlys skole")
cl.ctl("company", "add", "Fjord skole")
ola = p.contact("ola@nordlys.example.no", "Ola", "Nordmann", "Nordlys skole")
kari = p.contact("kari@nordlys.example.no", "Kari", "Lund", "Nordlys skole")
eve = p.contact("eve@fjord.example.no", "Eve", "Angrip", "Fjord skole")

b_ola = p.register(ola)
b_kari = p.register(kari)
b_eve = p.register(eve)

t_ola = cl.new_ticket(ola, "Nytt banner")
t_eve = cl.new_ticket(eve, "Eve's own")
# A message with a file on Ola's ticket, and a note nobody outside sees.
cl.sql("INSERT INTO message (ticket_id, direction, author_contact_id, body) "
       "SELECT %d, 'in', id, 'Her er logoen' FROM contact WHERE email = '%s'"
       % (t_ola, ola))
att = int(cl.sql1(
    "INSERT INTO attachment (ticket_id, message_id, filename, content_type, "
    "size, sha256, content) SELECT %d, max(id), 'logo.png', 'image/png', 4, "
    "sha256('\\x89504e47'::bytea), '\\x89504e47'::bytea FROM message "
    "WHERE ticket_id = %d RETURNING id" % (t_ola, t_ola)))
cl.sql("INSERT INTO note (ticket_id, author_id, body) SELECT %d, id, "
       "'INTERNAL: the client is difficult' FROM staff" % t_ola)

# ---- 404 across contacts and companies --------------------------------
missing = 999999
for path in ["/tickets/%d" % t_ola, "/attachments/%d" % att]:
    r_eve = b_eve.get(path)
    r_missing = b_eve.get(path.rsplit("/", 1)[0] + "/%d" % missing)
    eq(r_eve.status, 404, "another school's %s is 404" % path)
    eq(r_eve.text, r_missing.text,
       "%s reads exactly like one that does not exist" % path)
r = b_eve.post_multipart("/tickets/%d/reply" % t_ola, {"body": "injected"},
                         [], form_path="/tickets/%d" % t_eve)
eq(r.status, 404, "a reply to another school's ticket is 404")
eq(cl.sql1("SELECT count(*) FROM message WHERE body = 'injected'"), "0",
   "and stores nothing")
# Kari is in Ola's school: company visibility shows her Ola's ticket...
eq(b_kari.get("/tickets/%d" % t_ola).status, 200,
   "company visibility: a colleague sees the school's ticket")
mine = b_kari.get("/tickets?view=mine&status=all")
company = b_kari.get("/tickets?view=company&status=all")
ok("Nytt banner" not in mine.text and "Nytt banner" in company.text,
   "Owned by me hides it, Organization tickets shows it")
# ...but never the note.
page = b_ola.get("/tickets/%d" % t_ola)
ok("INTERNAL" not in page.text and "Her er logoen" in page.text,
   "the conversation is shown, the note never")

# A second docketd with visibility own on the same database.
own_port = free_port()
d_own = p.start("d2", http={"listen": "127.0.0.1:%d" % own_port},
                portal={"visibility": "own",
                        "base_url": "http://127.0.0.1:%d" % own_port})
b_kari_own = Browser(own_port)
b_kari_own.cookies = dict(b_kari.cookies)
eq(b_kari_own.get("/tickets/%d" % t_ola).status, 404,
   "visibility own: a colleague's ticket is 404, on another instance too")

# ---- CSRF ---------------------------------------------------------------
before = cl.sql1("SELECT count(*) FROM message")
r = b_ola.post_multipart("/tickets/%d/reply" % t_ola, {"body": "no csrf"},
                         [], csrf=None)
eq(r.status, 403, "a POST without its csrf field is 403")
r = b_ola.post_multipart("/tickets/%d/reply" % t_ola, {"body": "foreign"},
                         [], csrf=csrf_of(b_kari.get("/tickets").text))
eq(r.status, 403, "a POST with another session's csrf is 403")
r = b_ola.post("/tickets/%d/reply" % t_ola, {"body": "cross-site"},
               csrf=csrf_of(b_ola.get("/tickets").text),
               origin="https://evil.example")
eq(r.status, 403, "a POST from a foreign Origin is 403")
eq(cl.sql1("SELECT count(*) FROM message"), before, "none of them stored")
anon = p.browser()
r = anon.post("/login", {"email": ola, "password": "portal-pass-1"},
              csrf=None)
eq(r.status, 403, "the login form needs its csrf field too")

# ---- the session cookie -------------------------------------------------
fresh = p.browser()
fresh.get("/login")
r = fresh.post("/login", {"email": ola, "password": "portal-pass-1"})
cookie = [v for v in r.all("Set-Cookie") if v.startswith("dk_session=")]
ok(len(cookie) == 1, "login sets dk_session", r.headers)
flags = [f.strip() for f in cookie[0].split(";")]
token = flags[0].split("=", 1)[1]
ok(len(token) == 43 and "HttpOnly" in flags and "SameSite=Lax" in flags
   and "Path=/" in flags and "Secure" not in flags,
   "dk_session: 256-bit, HttpOnly, SameSite=Lax, Path=/ (no Secure on http)",
   cookie)
stored = cl.sql1("SELECT count(*) FROM session WHERE token_hash = "
                 "sha256(convert_to('%s', 'UTF8'))" % token)
eq(stored, "1", "only the token's hash is stored")
eq(cl.sql1("SELECT count(*) FROM session WHERE encode(token_hash, 'escape') "
           "LIKE '%%%s%%'" % token[:20]), "0", "never the token itself")

# Fixation: a session value planted before login is not adopted.
planted = p.browser()
planted.cookies["dk_session"] = "A" * 43
planted.get("/login")
r = planted.post("/login", {"email": ola, "password": "portal-pass-1"})
ok(planted.cookies.get("dk_session") not in (None, "A" * 43),
   "a new session value at login, whatever the visitor brought")

# Logout ends the session on every instance.
victim = p.login(ola)
stolen = dict(victim.cookies)
r = victim.post("/logout", {}, csrf=csrf_of(victim.get("/tickets").text))
eq(r.status, 303, "logout")
thief = Browser(own_port)
thief.cookies = stolen
eq(thief.get("/tickets").status, 303, "the old cookie is dead on d2 as well")
eq(b_ola.get("/tickets").status, 303,
   "a logout ends every session of the contact, the other browser's too")
b_ola = p.login(ola)

# ---- one-time links -----------------------------------------------------
nils = p.contact("nils@nordlys.example.no", "Nils", "Berg", "Nordlys skole")
link = p.invite(nils)
path = link[len(p.base):]
b = p.browser()
page = b.get(path)
r = b.post(path, {"consent": "yes", "password": "nils-pass-123",
                  "password2": "nils-pass-123"}, csrf=csrf_of(page.text))
eq(r.status, 303, "the registration link works once")
b2 = p.browser()
eq(b2.get(path).status, 400, "and not twice")
link2 = p.invite(p.contact("siri@nordlys.example.no", "Siri", "Dal"))
cl.sql("UPDATE contact_token SET expires_at = now() - interval '1 second' "
       "WHERE contact_id = (SELECT id FROM contact WHERE email = "
       "'siri@nordlys.example.no')")
eq(p.browser().get(link2[len(p.base):]).status, 400, "an expired link is dead")
wait_for(lambda: cl.sql1("SELECT count(*) FROM outbox WHERE sent_at IS NULL "
                         "AND failed_at IS NULL") == "0", what="the outbox sent")
sent = [r_[0] for r_ in cl.sql("SELECT body FROM outbox WHERE kind IN "
                              "('portal_registration', 'password_reset')")]
ok(sent and all(re.search(r"token=[A-Za-z0-9_-]{43}", body) is None
                for body in sent),
   "sent registration and reset emails keep no token in the outbox", sent[:2])

# ---- no enumeration -------------------------------------------------------
def reset_answer(addr):
    b = p.browser()
    r = b.post("/reset", {"email": addr})
    return r.status, r.text
known = reset_answer(ola)
unknown = reset_answer("nobody@nowhere.example")
unregistered = reset_answer(p.contact("ukjent@nordlys.example.no"))
ok(known == unknown == unregistered,
   "reset answers the same for known, unknown and unregistered addresses")
def login_answer(addr):
    r = p.browser().post("/login", {"email": addr, "password": "wrong-pass-1"})
    # The page gives back what was typed, and each visitor's form has its
    # own csrf value: the rest must be the same.
    text = re.sub(r'name="csrf" value="[0-9a-f]+"', "", r.text)
    return r.status, text.replace(addr, "ADDRESS")
ok(login_answer(kari) == login_answer("nobody@nowhere.example")
   == login_answer("ukjent@nordlys.example.no"),
   "a failed login reads the same for every kind of address")

# ---- uploads ----------------------------------------------------------------
small_port = free_port()
small = p.start("d3", http={"listen": "127.0.0.1:%d" % small_port},
                portal={"max_upload_bytes": 4096,
                        "base_url": "http://127.0.0.1:%d" % small_port})
bs = Browser(small_port)
bs.cookies = dict(b_ola.cookies)
before = cl.sql1("SELECT count(*) FROM attachment")
r = bs.post_multipart("/tickets/%d/reply" % t_ola, {"body": "big"},
                      [("files", "big.bin", "application/octet-stream",
                        b"x" * 8192)], form_path="/tickets/%d" % t_ola)
eq(r.status, 413, "a file over max_upload_bytes is 413")
r = bs.post_multipart("/tickets/%d/reply" % t_ola, {"body": "many"},
                      [("files", "f%d.txt" % i, "text/plain", b"x")
                       for i in range(11)], form_path="/tickets/%d" % t_ola)
eq(r.status, 413, "eleven files are 413")
eq(cl.sql1("SELECT count(*) FROM attachment"), before, "nothing stored")
# A Content-Length over the total is refused before the body is sent.
import socket as _s
s = _s.create_connection(("127.0.0.1", p.http_port))
s.sendall(("POST /tickets/%d/reply HTTP/1.1\r\nHost: x\r\nContent-Type: "
           "multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n"
           % (t_ola, 200 * 1024 * 1024)).encode())
s.settimeout(10)
head = s.recv(200).decode("latin-1")
s.close()
ok(head.startswith("HTTP/1.1 413"), "a 200 MB Content-Length is 413 at once",
   head)
# A browser sends the body without waiting: the answer must still reach
# it, not a reset (the server reads and drops what follows for a while).
s = _s.create_connection(("127.0.0.1", p.http_port))
s.sendall(("POST /new HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/"
           "form-data; boundary=b\r\nContent-Length: %d\r\n\r\n"
           % (200 * 1024 * 1024)).encode())
s.settimeout(20)
try:
    for _ in range(16):
        s.sendall(b"y" * 65536)
    head = s.recv(200).decode("latin-1")
except OSError as e:
    head = "error: %r" % e
s.close()
ok(head.startswith("HTTP/1.1 413"),
   "a body sent at once after a refused length still gets its 413", head)

# ---- hostile names, downloads, escaping ------------------------------------
evil = "<img src=x onerror=alert(1)>\"'.png"
r = b_ola.post_multipart("/tickets/%d/reply" % t_ola,
                         {"body": "<script>alert('body')</script>"},
                         [("files", "../../etc/" + evil, "text/html",
                           b"<script>alert(1)</script>")],
                         form_path="/tickets/%d" % t_ola)
eq(r.status, 303, "a reply with a hostile file name is taken")
name, ctype = cl.sql("SELECT filename, content_type FROM attachment "
                     "ORDER BY id DESC LIMIT 1")[0]
ok("/" not in name and "<" not in name and '"' not in name,
   "the name is reduced to a safe base name", name)
ok("html" not in ctype, "the type is never text/html", ctype)
aid = int(cl.sql1("SELECT max(id) FROM attachment"))
page = b_ola.get("/tickets/%d" % t_ola)
ok("<script>alert" not in page.text and "&lt;script&gt;" in page.text,
   "the body is escaped on the page")
ok("<img" not in page.text and "logo.png" in page.text,
   "the file name is never markup on the page")
dl = b_ola.get("/attachments/%d" % aid)
cd = dl.header("Content-Disposition") or ""
ok(dl.status == 200 and cd.startswith("attachment;") and "filename*=UTF-8''" in cd,
   "a download is an attachment with filename*", cd)
eq(dl.header("X-Content-Type-Options"), "nosniff", "downloads are nosniff")
ok("html" not in (dl.header("Content-Type") or ""), "never served as HTML")
subj = "\"><script>alert('subject')</script>"
r = b_ola.post_multipart("/new", {"subject": subj, "description": "x",
                                  "priority": "medium"}, [])
eq(r.status, 303, "a new request with a hostile subject")
lst = b_ola.get("/tickets?status=all")
ok("<script>alert('subject')" not in lst.text, "the subject is escaped in the list")

# ---- headers ---------------------------------------------------------------
for path, b in [("/login", p.browser()), ("/tickets", b_ola)]:
    r = b.get(path)
    csp = r.header("Content-Security-Policy") or ""
    ok("default-src 'self'" in csp and "frame-ancestors 'none'" in csp,
       "%s has the CSP" % path, csp)
    eq(r.header("Referrer-Policy"), "same-origin", "%s Referrer-Policy" % path)
eq(b_ola.get("/tickets").header("Cache-Control"), "no-store",
   "logged-in pages are no-store")
r = p.browser().get("/login?next=//evil.example")
ok(r.header("Location") is None, "no open redirect from a query")

# ---- JWT single sign-on ---------------------------------------------------
def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
def jwt(claims, alg="HS256", key=SECRET.encode(), header=None):
    h = header or {"alg": alg, "typ": "JWT"}
    signing = b64(json.dumps(h).encode()) + "." + b64(json.dumps(claims).encode())
    if alg == "none":
        return signing + "."
    sig = hmac.new(key, signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64(sig)
now = int(time.time())
good = {"email": ola, "exp": now + 300, "aud": "docket", "iss": "agency"}
r = p.browser().get("/sso?jwt=" + jwt(good))
ok(r.status == 303 and any(v.startswith("dk_session=") for v in r.all("Set-Cookie")),
   "a good HS256 token signs the contact in", (r.status, r.text[:200]))
bad = {
    "alg none": jwt(good, alg="none"),
    "wrong key": jwt(good, key=b"another-secret"),
    "expired": jwt({**good, "exp": now - 3600}),
    "no exp": jwt({k: v for k, v in good.items() if k != "exp"}),
    "not yet valid": jwt({**good, "nbf": now + 3600}),
    "wrong audience": jwt({**good, "aud": "someone-else"}),
    "wrong issuer": jwt({**good, "iss": "evil"}),
    "unknown email": jwt({**good, "email": "nobody@nowhere.example"}),
    "RS256 header": jwt(good, header={"alg": "RS256", "typ": "JWT"}),
    "garbage": "not.a.token",
}
for what, tok in bad.items():
    r = p.browser().get("/sso?jwt=" + tok)
    ok(r.status == 403 and not any(v.startswith("dk_session=") and "Max-Age=0" not in v
                                   for v in r.all("Set-Cookie")),
       "SSO refuses %s with access denied" % what, (r.status, r.text[:200]))

# ---- rate limits under 50 parallel requests --------------------------------
def attempt(i):
    return p.browser().post("/login", {"email": kari,
                                       "password": "wrong-%d-pass" % i}).status
with concurrent.futures.ThreadPoolExecutor(50) as pool:
    statuses = list(pool.map(attempt, range(50)))
ok(statuses.count(429) >= 40, "50 parallel wrong passwords: the limiter "
   "refuses all but a few (429)", statuses)
r = p.browser().post("/login", {"email": kari, "password": "portal-pass-1"})
eq(r.status, 429, "and then the right password waits too")

# ---- ops endpoints ---------------------------------------------------------
eq(p.browser().get("/healthz").status, 200, "/healthz from loopback")
d_ops = p.start("d4", http={"listen": "127.0.0.1:%d" % free_port(),
                            "ops_allow": ["10.0.0.0/8"]})
ops_port = int(json.load(open(d_ops.config_path))["http"]["listen"]
               .rsplit(":", 1)[1])
eq(Browser(ops_port).get("/metrics").status, 403,
   "/metrics is refused to an address outside http.ops_allow")
eq(Browser(ops_port).get("/login").status, 200, "while the portal answers it")

done()
