"""rpc_abuse.py - attacks on docketd, each bounded in count and time and
sent only to this test's own docketd on loopback and its Unix socket
(issue "Hold under attack").  Each section is one class of attack and what
must hold against it: log injection, connections held before login,
parallel and evicting password guesses across instances, logout on every
connection, one large reply past the output cap, /healthz and /metrics
for http.ops_allow only, HTTP slowloris.

The other attack classes are tested where their code is: the workflow
rules per role in rpc_rules.py, a password change ending sessions in
rpc_passwd.py, other local users and the private PostgreSQL in
pg_access.sh, forged mail, checked senders and hostile attachment names in
ctl_mailin.sh, link tokens left in the outbox in rpc_mail.py and
ctl_contacts.sh."""
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
d2.reload(server={"login_deadline": "2s"})
ok(all(closed_by_server(s, 15) for s in held[1:] + others + [c2]),
   "connections that do not log in are closed at server.login_deadline")
ok(u.call("server.info") is not None, "  ...a logged-in one never is")
# A session that ends (a logout here; a disabled member or an expiry the
# same) leaves a connection that may log in again: the deadline runs from
# that end, not from the connection's start, which an old one is past.
d2.reload(server={"login_deadline": "3s"})
v = d2.client()
v.call("session.resume", token=cl.session("kari"))
time.sleep(3.5)
v.call("session.logout")
time.sleep(1.5)  # the deadline's sweep runs every second
eq(v.call("session.resume", token=cl.session("kari"))["staff"]["username"], "kari",
   "a connection whose session ended may log in again within the deadline")
v.call("session.logout")
ok(closed_by_server(v.sock, 15), "  ...and is closed at it if it does not")
d2.reload(server={"login_deadline": "2s"})
# Nor can a stream of requests keep a connection that never logs in: it
# reads no more once its deadline has passed, answered or not.
flood = tcp_from("127.0.0.8")
line = b'{"jsonrpc":"2.0","id":1,"method":"session.resume","params":{"token":"%s"}}\n' % (b"y" * 43)
flood.setblocking(False)
t0, answered, sent, buf = time.time(), 0, 0, b""
while time.time() - t0 < 30:
    if sent < 200000:
        try:
            flood.send(line * 200)
            sent += 200
        except BlockingIOError:
            pass
        except OSError:
            break
    try:
        chunk = flood.recv(65536)
        if not chunk:
            break
        answered += chunk.count(b"\n")
    except BlockingIOError:
        time.sleep(0.01)
    except OSError:
        break
ok(time.time() - t0 < 30 and answered < sent,
   "a connection that keeps sending requests is still closed at its deadline "
   "(%d of %d answered)" % (answered, sent))
flood.close()
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

# --- Login limits that cannot be raced or evicted, shared by instances ------
import threading
lim = {"max_login_failures": 3, "max_account_failures": 6,
       "max_address_failures": 8, "login_lockout": "5m"}
d3 = cl.start_server("d3", session=lim)
d4 = cl.start_server("d4", session=lim)
cl.add_staff("rita", "content", password="rita-pass-1")
cl.add_staff("otto", "content", password="otto-pass-1")

def login_from(srv, addr, user, password):
    """session.login over TCP from addr; the result or the RpcError."""
    s = socket.socket()
    s.settimeout(60)
    s.bind((addr, 0))
    s.connect(("127.0.0.1", srv.port))
    c = Client(("127.0.0.1", srv.port))
    c.sock.close()
    c.sock = s
    try:
        return c.call("session.login", username=user, password=password)
    except RpcError as e:
        return e
    finally:
        c.close()

# 40 guesses at once from one address, the right password last: the
# attempts are counted before any is hashed, so at most 3 are checked.
results = [None] * 40
def guess(i):
    results[i] = login_from(d3, "127.1.0.1", "rita",
                            "rita-pass-1" if i == 39 else "guess-%d" % i)
threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
for t in threads:
    t.start()
    time.sleep(0.002)   # in order, but all in flight together
for t in threads:
    t.join()
codes = [r.code if isinstance(r, RpcError) else "token" for r in results]
ok(codes.count(4003) <= 3 and "token" not in codes,
   "40 parallel guesses: at most max_login_failures (3) are checked, none logs in",
   codes)
eq(codes.count(4029) + codes.count(4003), 40, "  ...every other one is refused with 4029")
r = login_from(d3, "127.1.0.1", "rita", "rita-pass-1")
eq(getattr(r, "code", None), 4029, "then the right password is refused from that address")
r = login_from(d4, "127.1.0.1", "rita", "rita-pass-1")
eq(getattr(r, "code", None), 4029, "  ...on the other instance too (counted in PostgreSQL)")
r = login_from(d3, "127.1.0.2", "rita", "rita-pass-1")
ok(isinstance(r, dict) and r["staff"]["username"] == "rita",
   "the same account from another address still logs in (per account and address first)")

# Per account, over every address: 6 failures lock it everywhere.
for i in range(3):
    login_from(d3, "127.1.1.%d" % (i + 1), "otto", "wrong")
    login_from(d4, "127.1.1.%d" % (i + 1), "otto", "wrong")
r = login_from(d3, "127.1.1.99", "otto", "otto-pass-1")
eq(getattr(r, "code", None), 4029, "max_account_failures (6) from several addresses lock the account")

# Evicting the lockout: hundreds of failed resumes from other addresses
# (no hashing) fill nothing that could push the count out.
for i in range(300):
    c = socket.socket()
    c.bind(("127.2.%d.%d" % (i // 200, i % 200 + 1), 0))
    c.connect(("127.0.0.1", d3.port))
    c.sendall(b'{"jsonrpc":"2.0","id":1,"method":"session.resume","params":{"token":"%s"}}\n'
              % (b"x" * 43))
    c.recv(4096)
    c.close()
r = login_from(d3, "127.1.1.99", "otto", "otto-pass-1")
eq(getattr(r, "code", None), 4029, "300 failed resumes from 300 addresses evict no lockout")

# Per address, over every account: 8 failures from one address lock it.
for i in range(8):
    login_from(d3, "127.1.2.1", "nobody%d" % i, "wrong")
cl.add_staff("vera", "content", password="vera-pass-1")
r = login_from(d3, "127.1.2.1", "vera", "vera-pass-1")
eq(getattr(r, "code", None), 4029, "max_address_failures (8) over many names lock the address")
r = login_from(d3, "127.1.2.2", "vera", "vera-pass-1")
ok(isinstance(r, dict), "  ...not its neighbour")

# The Unix socket has no per-address limit: the same failures there lock
# the account pair only, never everyone on the host.
for i in range(8):
    c = d3.client()
    c.error("session.login", username="socketguess%d" % i, password="wrong")
    c.close()
c = d3.client()
r = c.call("session.login", username="vera", password="vera-pass-1")
eq(r["staff"]["username"], "vera", "failures on the Unix socket lock no one else on the host")

# A member disabled while their password is being checked gets no session:
# the session row is held back behind a lock until the disable commits.
import subprocess
cl.add_staff("zed", "content", password="zed-pass-1")
holder = subprocess.Popen(
    ["psql", cl.conninfo, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c",
     "BEGIN; LOCK TABLE session IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); "
     "UPDATE staff SET active = false WHERE username = 'zed'; COMMIT;"],
    stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
wait_for(lambda: cl.sql1("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                         "WHERE c.relname = 'session' AND l.mode = 'AccessExclusiveLock' "
                         "AND l.granted") == "1", what="the lock on session")
r = login_from(d3, "127.1.3.1", "zed", "zed-pass-1")
holder.wait()
eq(getattr(r, "code", None), 4003, "a member disabled during their login gets no session")
eq(cl.sql1("SELECT count(*) FROM session s JOIN staff st ON st.id = s.staff_id "
           "WHERE st.username = 'zed'"), "0", "  ...and no session row")

# --- Logout ends the session everywhere it is used, on every instance -------
a = d3.client()
tok = a.call("session.login", username="vera", password="vera-pass-1")["token"]
b = d4.client()
b.call("session.resume", token=tok)
b.call("tickets.counts")
a.call("session.logout")
wait_for(lambda: "session logged out elsewhere" in d4.log_text(),
         what="the logout to reach the other instance")
eq(b.error("tickets.counts").code, 4001, "a logout ends the session on another instance's connection")
eq(d4.client().error("session.resume", token=tok).code, 4010, "  ...and its token is gone")

# --- One large reply cannot escape the output cap ---------------------------
d6 = cl.start_server("d6", server={"max_output_bytes": "1048576"})
email6 = cl.add_contact("big@school.example")
t6 = cl.new_ticket(email6, "Big file")
size = 3 * 1024 * 1024 + 123
aid = cl.sql1("INSERT INTO attachment (ticket_id, filename, content_type, size, sha256, content) "
              "SELECT %d, 'big.bin', 'application/octet-stream', length(b), sha256(b), b "
              "FROM (SELECT decode(repeat(md5(g::text), %d), 'hex') AS b "
              "      FROM generate_series(1, 1) g) x RETURNING id" % (t6, size // 16 + 1))
size, sha = cl.sql("SELECT size, encode(sha256, 'hex') FROM attachment WHERE id = %s" % aid)[0]
size = int(size)
reader = d6.login(cl, "kari")
import base64, hashlib
got, off = b"", 0
while True:
    r = reader.call("attachments.get", id=int(aid), offset=off)
    piece = base64.b64decode(r["content_base64"])
    if not piece:
        break
    ok(len(piece) <= 512 * 1024 and r["offset"] == off, "a piece of at most 512 KiB at %d" % off) \
        if off == 0 else None
    got += piece
    off += len(piece)
eq((len(got), hashlib.sha256(got).hexdigest()), (size, sha),
   "a 3 MiB attachment read piece by piece is whole and its sha256 matches")
eq(reader.error("attachments.get", id=int(aid), length=512 * 1024 + 1).code, -32602,
   "a piece larger than 512 KiB is refused")
# Clients that ask again and again without reading are cut off at the cap,
# each costing at most it: docketd's memory does not grow with them.
def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
before = rss_kb(d6.proc.pid)
hogs = []
for i in range(6):
    h = d6.login(cl, "kari")
    h.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    for j in range(40):
        h.request("attachments.get", {"id": int(aid)})
    hogs.append(h)
wait_for(lambda: d6.log_text().count("output limit") >= 6, what="six readers cut off")
grown = rss_kb(d6.proc.pid) - before
ok(grown < 6 * 4 * 1024, "six clients asking for 40 pieces each and reading nothing: "
   "RSS grew %d KiB (cut off at the 1 MiB cap each)" % grown)
eq(reader.call("server.info")["instance"], "d6", "the server goes on serving others")
for h in hogs:
    h.close()

# --- HTTP: /healthz and /metrics for http.ops_allow only; slowloris ----------
hp = free_port()
# (The caps as small as they were built: 300 slow clients must make the
# oldest give way, and one address must pass its cap.)
d5 = cl.start_server("d5", http={"listen": "127.0.0.1:%d" % hp,
                                 "ops_allow": ["127.0.0.1/32", "::1/128"],
                                 "max_connections": 256,
                                 "max_connections_per_address": 32})

def http_from(addr, path, timeout=10):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((addr, 0))
    s.connect(("127.0.0.1", hp))
    # Connection: close, as the answer is read to the end.
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
               % path).encode())
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    s.close()
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None

eq(http_from("127.0.0.1", "/healthz"), 200, "/healthz answers an address of http.ops_allow")
eq(http_from("127.0.0.3", "/healthz"), 403, "  ...and not another one")
eq(http_from("127.0.0.3", "/metrics"), 403, "/metrics likewise")
d5.reload(http={"ops_allow": ["127.0.0.0/8"]})
eq(http_from("127.0.0.3", "/healthz"), 200, "http.ops_allow changes on reload")

# Slow clients from many addresses holding every place: health checks
# still get in (the oldest slow one gives way), and one address is capped.
def slow_from(addr):
    s = socket.socket()
    s.settimeout(5)
    s.bind((addr, 0))
    s.connect(("127.0.0.1", hp))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")   # and never the end
    return s

slow = [slow_from("127.6.%d.%d" % (i // 100, i % 100 + 1)) for i in range(300)]
probes = [http_from("127.0.0.1", "/healthz") for _ in range(5)]
eq(probes, [200] * 5, "300 slow requests from 300 addresses: health checks still answered")
def closed_now(s):
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True

one = [slow_from("127.7.0.1") for _ in range(40)]
wait_for(lambda: sum(1 for s in one[32:] if closed_now(s)) == 8,
         what="the connections past 32 from one address to be closed")
cut = sum(1 for s in one if closed_now(s))
eq(cut, 8, "one address holds at most 32 connections (the 8 past them are closed)")
eq(http_from("127.0.0.1", "/healthz"), 200, "  ...and health checks go on")
for s in slow + one:
    s.close()

done()
