"""rpc_pgbouncer.py - docketd through pgbouncer (Debian 12: 1.18).

Two docketd share the private PostgreSQL through a private pgbouncer in
session mode on a loopback port: logins, claims, prepared views, the live
feed and presence between clients of different instances, one sequencer
between them, and docketd following pgbouncer's restart.  Then a docketd
through a pgbouncer in transaction mode: it must say in its log that it
needs session pooling (its prepared statements, LISTEN and the feed's
advisory lock live in the session).
"""
import sys, os, threading, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

cl = Cluster()
PGUSER = cl.pg("dk_pg_user").strip()
with open(os.path.join(cl.pgdir, "sockdir")) as f:
    SOCKDIR = f.read().strip()
with open(os.path.join(cl.pgdir, "port")) as f:
    PGPORT = f.read().strip()


class Bouncer:
    """A pgbouncer of our own: its folder, a free loopback port, no Unix
    socket.  It refuses to run as root, so under root it runs as the
    database server's user (who may reach the server's private socket)."""

    def __init__(self, name, mode, extra=""):
        self.dir = os.path.join(cl.dir, name)
        os.makedirs(self.dir)
        self.port = free_port()
        self.ini = os.path.join(self.dir, "pgbouncer.ini")
        with open(os.path.join(self.dir, "users.txt"), "w") as f:
            f.write('"docket" ""\n')
        with open(self.ini, "w") as f:
            f.write("""[databases]
docket = host=%s port=%s dbname=docket user=docket application_name=%s
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s/users.txt
pool_mode = %s
default_pool_size = 20
max_client_conn = 100
logfile = %s/pgbouncer.log
pidfile =
%s
""" % (SOCKDIR, PGPORT, name, self.port, self.dir, mode, self.dir, extra))
        if os.getuid() == 0:
            subprocess.run(["chown", "-R", PGUSER, self.dir], check=True)
        self.proc = None
        self.start()
        atexit.register(self.stop)

    def start(self):
        cmd = ["pgbouncer", "-q", self.ini]
        if os.getuid() == 0:
            cmd = ["setpriv", "--reuid=" + PGUSER, "--regid=" + PGUSER,
                   "--init-groups"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("pgbouncer exited: " + self.log())
            r = subprocess.run(["psql", self.conninfo(), "-XAtqc", "SELECT 1"],
                               capture_output=True, text=True)
            return r.stdout.strip() == "1"
        wait_for(up, what="pgbouncer to accept connections")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def conninfo(self):
        return "host=127.0.0.1 port=%d dbname=docket user=docket" % self.port

    def log(self):
        try:
            with open(os.path.join(self.dir, "pgbouncer.log")) as f:
                return f.read()
        except OSError:
            return ""


cl.add_staff("kari", "content")
cl.add_staff("ola", "content")
email = cl.add_contact()
tid = cl.new_ticket(email, "Through the pooler")

pb = Bouncer("pgb-session", "session")
d1 = cl.start_server("d1", database={"conninfo": pb.conninfo()})
d2 = cl.start_server("d2", database={"conninfo": pb.conninfo()})
ok(True, "two docketd reach PostgreSQL through pgbouncer in session mode")
ok(pb.log().count("login attempt: db=docket user=docket") >= 2 * (4 + 2),
   "every pool of both (4 + feed + presence each) logged in to pgbouncer",
   pb.log()[-2000:])

# A real login: the password hash is checked in SQL, through the pooler.
k = d1.client()
r = k.call("session.login", username="kari", password="docket-pass-1")
eq(r["staff"]["username"], "kari", "session.login through pgbouncer")
o = d2.client()
o.call("session.login", username="ola", password="docket-pass-1")

# The live feed between clients of two instances: NOTIFY crosses them on
# pgbouncer's server sessions, which session mode keeps for each client.
o.subscribe()
s = k.call("tickets.claim", id=tid)
eq(s["owner"], "kari", "a claim through pgbouncer")
p = o.wait_push(lambda p: p["params"].get("action") == "claimed")
eq(p["params"]["ticket"]["id"], tid, "the claim on d1 reaches a subscriber on d2")
k.call("tickets.unclaim", id=tid)
o.wait_push(lambda p: p["params"].get("action") == "unclaimed")
seqs = [e["seq"] for e in o.events()]
eq(seqs, sorted(set(seqs)), "in seq order, once each")

# Prepared statements (the views) are prepared once per session and run
# again: each docketd connection keeps its server session.
for _ in range(5):
    v = k.call("tickets.view", view="open", limit=10)
ok(any(t["id"] == tid for t in v["tickets"]), "tickets.view, prepared, run again")

# Presence crosses instances on its own LISTEN session.
k.call("presence.set", ticket=tid, state="viewing")
p = o.wait_push(lambda p: p["params"].get("type") == "presence"
                and p["params"].get("user") == "kari")
eq(p["params"]["state"], "viewing", "presence from d1 reaches d2")

# One sequencer: the advisory lock is held by one server session.
logs = d1.log_text() + d2.log_text()
eq(logs.count("this instance is the feed sequencer"), 1,
   "exactly one instance numbers the feed")

# pgbouncer restarts: docketd's sessions end with it, and come back.
pb.stop()
e = k.error("tickets.claim", id=tid)
eq(e.code, 5003, "pgbouncer down: 5003")
pb.start()


def back(server, name):
    def up():
        try:
            c = server.client()
            c.call("session.login", username=name, password="docket-pass-1")
            return c
        except RpcError as e:
            if e.code == 5003:
                return None
            raise
    return wait_for(up, timeout=20, what=server.name + " back through pgbouncer")


k = back(d1, "kari")
o = back(d2, "ola")
o.subscribe(timeout=20)
k.call("tickets.claim", id=tid)
o.wait_push(lambda p: p["params"].get("action") == "claimed", timeout=20)
ok(True, "after pgbouncer's restart, the feed crosses instances again")

# Transaction mode: server sessions change hands at every transaction.
# A few server sessions, taken in turn: a statement prepared in one
# transaction is missing from the next one's session at once, instead of
# whenever the load happens to spread.
pt = Bouncer("pgb-transaction", "transaction",
             "server_round_robin = 1\nmin_pool_size = 3")
d3 = cl.start_server("d3", database={"conninfo": pt.conninfo(), "pool_size": 4})
wait_for(lambda: int(cl.sql1("SELECT count(*) FROM pg_stat_activity WHERE "
                             "application_name = 'pgb-transaction'")) >= 3,
         what="pgbouncer's server sessions")
errs = []


def viewer(name):
    try:
        c = d3.login(cl, name)
        for _ in range(10):
            try:
                c.call("tickets.view", view="open", limit=10)
                c.call("tickets.view", view="unassigned", limit=10)
            except RpcError as e:
                errs.append(e.code)
    except (OSError, ConnectionError, RpcError) as e:
        errs.append(repr(e))


threads = [threading.Thread(target=viewer, args=(n,)) for n in ("kari", "ola")]
for t in threads:
    t.start()
for t in threads:
    t.join()
ok(errs, "views fail through transaction pooling (%d errors)" % len(errs))
wait_for(lambda: "needs session pooling" in d3.log_text(), timeout=10,
         what="d3 to say it needs session pooling")
line = [l for l in d3.log_text().splitlines() if "needs session pooling" in l][0]
print("   " + line)
ok("pool_mode = transaction" in line,
   "in transaction mode docketd says why it breaks and what it needs", line)
eq(d3.proc.poll(), None, "and keeps running")
done()
