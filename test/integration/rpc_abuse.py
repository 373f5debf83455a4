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

# --- No limits before login: caps, a per-address cap, a deadline ------------
import http.client
hport = free_port()
d2 = cl.start_server("d2", http={"listen": "127.0.0.1:%d" % hport},
                     server={"max_unauthenticated": 12,
                             "max_unauthenticated_per_address": 4,
                             "login_deadline": "1h"})

def tcp_from(addr):
    """A TCP connection to d2 from a loopback address of our choosing."""
    s = socket.socket()
    s.settimeout(10)
    s.bind((addr, 0))
    s.connect(("127.0.0.1", d2.port))
    return s

def closed_by_server(s, within=10.0):
    """True once the server has closed s (EOF), False if it stays open."""
    s.settimeout(within)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True

def still_open(s):
    s.settimeout(0.3)
    try:
        return s.recv(1) != b""
    except socket.timeout:
        return True
    except OSError:
        return False

held = [tcp_from("127.0.0.2") for _ in range(4)]
extra = tcp_from("127.0.0.2")
ok(closed_by_server(extra), "the 5th connection not logged in from one address is closed at once")
ok(all(still_open(s) for s in held), "  ...the first 4 stay")
others = [tcp_from("127.0.0.%d" % a) for a in (3, 4) for _ in range(4)]
ok(all(still_open(s) for s in others), "other addresses have caps of their own")
over = tcp_from("127.0.0.5")
ok(closed_by_server(over), "past server.max_unauthenticated (12) any further one is closed")
u = d2.client()   # the Unix socket is never counted
eq(u.call("server.info")["instance"], "d2", "the Unix socket answers while TCP is full")
u.call("session.resume", token=cl.session("kari"))
eq(u.call("tickets.counts")["closed"], 0, "  ...and logs in")

def admitted(addr):
    """A new connection from addr that the server keeps, or None."""
    s = tcp_from(addr)
    if still_open(s):
        return s
    s.close()
    return None

held[0].close()
c2 = wait_for(lambda: admitted("127.0.0.6"), what="room after a close")
ok(c2 is not None, "a closed one makes room for a new one")
# Everything not logged in is closed at the deadline, made 2 s by a
# reload (so that nothing above depended on being quick).
import json, signal
with open(d2.config_path) as f:
    conf = json.load(f)
conf["server"]["login_deadline"] = "2s"
with open(d2.config_path, "w") as f:
    json.dump(conf, f)
d2.proc.send_signal(signal.SIGHUP)
wait_for(lambda: "reload: configuration reloaded" in d2.log_text(), what="the reload")
ok(all(closed_by_server(s, 15) for s in held[1:] + others + [c2]),
   "connections that do not log in are closed at server.login_deadline")
ok(u.call("server.info") is not None, "  ...a logged-in one never is")
# A connection that has logged in no longer counts against its address.
mine = [tcp_from("127.0.0.7") for _ in range(4)]
lc = Client(("127.0.0.1", d2.port))
lc.sock.close()
lc.sock = mine[0]
lc.call("session.resume", token=cl.session("kari"))
fifth = admitted("127.0.0.7")
ok(fifth is not None, "a connection that logged in leaves room for another from its address")
hc = http.client.HTTPConnection("127.0.0.1", hport, timeout=10)
hc.request("GET", "/metrics")
text = hc.getresponse().read().decode()
def counter(reason):
    for line in text.splitlines():
        if line.startswith('docket_connections_refused_total{reason="%s"}' % reason):
            return int(line.split()[-1])
    return None
ok(counter("per_address") >= 1 and counter("max_unauthenticated") >= 1 and
   counter("login_deadline") >= 9, "/metrics counts each refusal by reason",
   [l for l in text.splitlines() if "refused" in l])
ok("refusing connections from" in d2.log_text(), "refusals are logged")
u.close()

done()
