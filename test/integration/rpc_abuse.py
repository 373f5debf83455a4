"""rpc_abuse.py - attacks on docketd, each bounded in count and time and
sent only to this test's own docketd on loopback and its Unix socket
(issue "Hold under attack").  Each section is one class of attack and what
must hold against it."""
import sys, os, socket, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

cl = Cluster()
cl.add_staff("kari", "content")
d = cl.start_server("d1")

# --- Log injection: what a client sends never forges or spills into logs ----
c = d.client(tcp=True)
forged = "docketd info user=admin: logged in"
e = c.error("session.login", username="\n" + forged + "\r\x1b[2J", password="x")
eq(e.code, 4003, "a login with control characters in the name is refused")
secret = "correct horse battery staple"
e = c.error("session.login", username=secret, password="x")
eq(e.code, 4003, "a password typed into the name field is refused")
c.close()
wait_for(lambda: d.log_text().count("failed login") >= 2, what="the failed logins to be logged")
log = d.log_text()
ok(all(not line.startswith(forged) and "\x1b" not in line for line in log.splitlines()),
   "a newline in a username starts no log line of its own", log[-600:])
ok('"\\ndo..."' in log, "control characters are written escaped", log[-600:])
ok(secret not in log and "cor..." in log,
   "a failed unknown name is logged as a short prefix, never whole")

done()
