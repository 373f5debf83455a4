"""portal_attack.py - attacks on the portal that once worked, one check
each, against a real docketd: a JWT whose nbf is not an integer (it was
ignored), the login limiter's account folded by the database's lower()
(an A-Z fold let K, U+212A, make a new account for every 'k' of an
address), and the budget for large bodies (anyone, logged in or not,
could make the server hold 50 MiB on each of 256 connections)."""

import base64
import hashlib
import hmac
import json
import socket
import subprocess
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *

SECRET = "jwt-test-secret-0123456789abcdef"
p = Portal(portal={"sso": {"jwt_secret": SECRET}})
cl = p.cl
kari = p.contact("kari@nordlys.example.no", "Kari", "Lund")
p.register(kari)

# ---- JWT NumericDates ---------------------------------------------------


def b64(x):
    return base64.urlsafe_b64encode(x).rstrip(b"=").decode()


def jwt(claims):
    s = (b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." +
         b64(json.dumps(claims).encode()))
    return s + "." + b64(hmac.new(SECRET.encode(), s.encode(),
                                  hashlib.sha256).digest())


def sso(claims):
    return p.browser().get("/sso?jwt=" + jwt(claims)).status


now = int(time.time())
eq(sso({"email": kari, "exp": now + 300}), 303, "a good token signs in")
eq(sso({"email": kari, "exp": now + 300, "nbf": str(now + 3600)}), 403,
   "an nbf as a string is refused, not ignored")
eq(sso({"email": kari, "exp": now + 300, "nbf": now + 3600.5}), 403,
   "an nbf with a fraction an hour ahead is not valid yet")
eq(sso({"email": kari, "exp": now + 300, "nbf": None}), 403,
   "an nbf of null is refused")
eq(sso({"email": kari, "exp": now + 300.5, "nbf": now - 10.5}), 303,
   "NumericDates with fractions are dates (RFC 7519)")
eq(sso({"email": kari, "exp": str(now + 300)}), 403,
   "an exp as a string is refused")
eq(sso({"email": kari, "exp": now - 3600.5}), 403,
   "an exp with a fraction an hour ago has expired")

# ---- the login limiter and Unicode case -----------------------------------
# The test cluster is --no-locale, where lower() folds A-Z only; a
# database with a UTF-8 ctype (what most installations have) folds
# K (KELVIN SIGN) to k, so the contact table takes "\u212aari@..." as
# kari's address.  A second docketd serves the portal from such a
# database.
utf8_db = "docket_utf8"
have_utf8 = True
try:
    cl.sql("CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' "
           "LC_COLLATE 'C.utf8' LC_CTYPE 'C.utf8'" % utf8_db)
except subprocess.CalledProcessError:
    have_utf8 = False
if have_utf8:
    main_conninfo = cl.conninfo
    pw_hash = cl.sql1("SELECT password_hash FROM contact WHERE email = '%s'"
                      % kari)
    cl.conninfo = re.sub(r"dbname=\S+", "dbname=" + utf8_db, main_conninfo)
    if cl.conninfo == main_conninfo:
        cl.conninfo = main_conninfo + " dbname=" + utf8_db
    cl.ctl("migrate")
    eq(cl.sql1("SELECT lower(U&'\\212A')"), "k",
       "the UTF-8 database folds KELVIN SIGN to k")
    cl.sql("INSERT INTO contact (email, first_name, last_name, "
           "password_hash, registered_at) VALUES ('%s', 'Kari', 'Lund', "
           "'%s', now())" % (kari, pw_hash))
    port2 = free_port()
    p.start("d2", database={"conninfo": cl.conninfo},
            http={"listen": "127.0.0.1:%d" % port2},
            portal={"access": "self_registration"},
            session={"max_login_failures": 3})

    def login(addr, password):
        b = Browser(port2, origin=p.base)
        return b.post("/login", {"email": addr, "password": password}).status

    for i in range(3):
        eq(login(kari, "wrong-password-%d" % i), 200,
           "wrong password %d for kari" % (i + 1))
    eq(login(kari, "portal-pass-1"), 429, "then kari's account waits")
    kelvin = kari.replace("k", "\u212a", 1)
    eq(login(kelvin, "portal-pass-1"), 429,
       "and a KELVIN SIGN for the k is the same account: it waits too")
    eq(login("KARI@NORDLYS.EXAMPLE.NO", "portal-pass-1"), 429,
       "as does any capitalisation")
    eq(cl.sql1("SELECT count(DISTINCT account) FROM login_attempt"), "1",
       "every spelling counted against one account")
    cl.conninfo = main_conninfo
else:
    print("ok - # SKIP no C.utf8 locale: the Unicode fold is not checked")

# ---- the budget for large bodies --------------------------------------------
# Three connections from one address each announce a 50 MiB upload to
# /new without logging in; two fit the address's 128 MiB, the third is
# 503 before a byte of its body is read.


def announce(length):
    s = socket.create_connection(("127.0.0.1", p.http_port))
    s.settimeout(20)
    s.sendall(("POST /new HTTP/1.1\r\nHost: x\r\nContent-Type: "
               "multipart/form-data; boundary=b\r\nContent-Length: %d\r\n"
               "Expect: 100-continue\r\n\r\n" % length).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    return s, head


big = 50 * 1024 * 1024
held = []
for i in range(2):
    s, head = announce(big)
    held.append(s)
    ok(head.startswith(b"HTTP/1.1 100"), "upload %d of 50 MiB may begin"
       % (i + 1), head[:200])
s, head = announce(big)
ok(head.startswith(b"HTTP/1.1 503"),
   "a third from the same address is 503 before its body", head[:200])
s.close()
held.pop().close()
time.sleep(0.5)
s, head = announce(big)
ok(head.startswith(b"HTTP/1.1 100"),
   "once one has gone, there is room again", head[:200])
s.close()
for s in held:
    s.close()
r = p.browser().get("/login")
eq(r.status, 200, "the portal answers as before")

done()
