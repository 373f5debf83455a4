"""rpc_failover.py - a PostgreSQL failover under writers and subscribers.

A primary and a streaming standby (pg_basebackup -R), both private, with
synchronous replication; docketd's conninfo names both hosts with
target_session_attrs=read-write.  Writers keep writing while the primary
is stopped and the standby promoted, three times: an immediate stop; the
old primary rebuilt as the new one's standby and a fast stop; the same
again with the old primary left running, fenced read-only.  Afterwards:
every write answered OK is on the new primary, every failed one got 5003,
every subscriber's feed equals the new primary's events table in seq order
with no gap and no duplicate, and docketd is the same process, serving.
"""
import sys, os, random, threading, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import *
import harness_pg

WRITERS = 4
SUBSCRIBERS = 3
rnd = random.Random(int(os.environ.get("DOCKET_FAILOVER_SEED", "1818")))

cl = Cluster()
a, b = harness_pg.pair(cl)
ok(b.in_recovery(), "node b is a streaming standby of node a")

cl.sql("INSERT INTO staff (username, name, email, roles) "
       "SELECT 'w' || g, 'Writer ' || g, 'w' || g || '@agency.example', '{content}' "
       "FROM generate_series(1, %d) g" % WRITERS)
cl.sql("INSERT INTO staff (username, name, email, roles) "
       "SELECT 's' || g, 'Subscriber ' || g, 's' || g || '@agency.example', '{content}' "
       "FROM generate_series(1, %d) g" % (SUBSCRIBERS + 1))
email = cl.add_contact()
tickets = [cl.new_ticket(email, "Failover %d" % i) for i in range(WRITERS)]
tokens = {"w%d" % (i + 1): cl.session("w%d" % (i + 1)) for i in range(WRITERS)}
tokens.update({"s%d" % (i + 1): cl.session("s%d" % (i + 1))
               for i in range(SUBSCRIBERS + 1)})

d = cl.start_server("d1", database={"conninfo": harness_pg.multi(a, b),
                                   "pool_size": 4})
pid = d.proc.pid

lock = threading.Lock()
acked_notes, acked_claims = [], []
failures = []          # error codes of writes that failed
unexpected = []        # anything a failover must not cause
writing = True


def login(name):
    c = d.client()
    deadline = time.time() + 30
    while True:
        try:
            c.call("session.resume", token=tokens[name])
            return c
        except RpcError as e:
            if e.code != 5003 or time.time() > deadline:
                raise
            time.sleep(0.02)


def writer(i):
    """A note, a claim, an unclaim, in turn, on its own ticket."""
    name, tid = "w%d" % (i + 1), tickets[i]
    c, n = login(name), 0
    while writing:
        op = n % 3
        n += 1
        try:
            if op == 0:
                body = "%s note %d" % (name, n)
                r = c.call("notes.add", ticket=tid, body=body)
                with lock:
                    acked_notes.append((r["id"], body))
            else:
                r = c.call("tickets.claim" if op == 1 else "tickets.unclaim", id=tid)
                with lock:
                    acked_claims.append((tid, r["version"], r["owner"]))
        except RpcError as e:
            with lock:
                failures.append(e.code)
                if e.code != 5003:
                    unexpected.append("%s: %s" % (name, e))
            time.sleep(0.01)
        except (OSError, ConnectionError, ValueError) as e:
            with lock:
                unexpected.append("%s: connection: %r" % (name, e))
            c = login(name)


class Subscriber:
    """Hears the feed on one connection; a resumer drops it now and then
    and comes back with since, outage or not."""

    def __init__(self, name, resumer):
        self.name, self.resumer = name, resumer
        self.seqs, self.last, self.start, self.resumes = [], None, None, 0
        self.c = None

    def connect(self):
        c = login(self.name)
        r = c.subscribe(since=self.last, timeout=30)
        if r.get("resync"):
            unexpected.append("%s: resync from %s" % (self.name, self.last))
        if self.last is None:
            self.last = self.start = r["seq"]
        self.c = c

    def take(self):
        for p in self.c.pushes:
            if p.get("method") == "event" and "seq" in p["params"]:
                self.seqs.append(p["params"]["seq"])
                self.last = p["params"]["seq"]
        self.c.pushes.clear()

    def run(self):
        while writing:
            try:
                until = time.time() + rnd.uniform(0.05, 0.4)
                while writing and (not self.resumer or time.time() < until):
                    self.c.poll_pushes(0.05)
                    self.take()
                    if self.c.closed:
                        unexpected.append(self.name + ": connection closed")
                        break
                if self.resumer and writing:
                    self.c.close()
                    self.resumes += 1
                    self.connect()
            except (OSError, ConnectionError, RpcError, ValueError) as e:
                if not (isinstance(e, RpcError) and e.code == 5003):
                    unexpected.append("%s: %r" % (self.name, e))
                time.sleep(0.05)
                try:
                    self.connect()
                except (OSError, ConnectionError, RpcError):
                    pass

    def catch_up(self, final):
        wait_for(lambda: (self.c.poll_pushes(0.05), self.take(),
                          self.last >= final)[2],
                 # 60 s: the late subscriber replays the whole history
                 # (15,000 events); in one fresh-clone run under the full
                 # suite it had not within 20 s (not reproduced since).
                 timeout=60, what=self.name + " to catch up to " + str(final))


subs = [Subscriber("s%d" % (i + 1), resumer=(i == SUBSCRIBERS - 1))
        for i in range(SUBSCRIBERS)]
for s in subs:
    s.connect()
# Daemons: a failed wait must not leave the script waiting for them.
threads = [threading.Thread(target=s.run, daemon=True) for s in subs]
threads += [threading.Thread(target=writer, args=(i,), daemon=True)
            for i in range(WRITERS)]
for t in threads:
    t.start()


def acks():
    with lock:
        return len(acked_notes) + len(acked_claims)


def failover(old, new, mode):
    """Stop old (the primary) while the writers write, promote new.  Mode
    "fence" leaves old running, read-only (default_transaction_read_only,
    as a fencing script would): its sessions stay open, and docketd must
    leave them by itself."""
    before = acks()
    wait_for(lambda: acks() > before + 50, what="writes before the stop")
    if mode == "fence":
        old.sql1("ALTER SYSTEM SET default_transaction_read_only = on")
        old.sql1("SELECT pg_reload_conf()")
    else:
        old.ctl("-m", mode, "-w", "stop")
    stopped = time.time()
    time.sleep(0.3)
    new.ctl("-w", "promote")
    ok(not new.in_recovery(), "%s of the primary, standby promoted"
       % ("fencing" if mode == "fence" else mode + " stop"))
    cl.conninfo = new.conninfo()
    promoted = acks()
    wait_for(lambda: acks() > promoted, timeout=30, what="a write on the new primary")
    resumed = time.time()
    wait_for(lambda: acks() > promoted + 50, timeout=30,
             what="writes on the new primary")
    ok(True, "writes go on after the %s failover (%d answered OK so far, "
       "%.1f s without)" % (mode, acks(), resumed - stopped))


t0 = time.time()
failover(a, b, "immediate")
# The old primary comes back as the new one's standby: a fresh copy (a
# crashed primary may hold WAL the standby never had; pg_rewind would do).
a.standby_of(b, "node_a")
failover(b, a, "fast")
b.standby_of(a, "node_b")
failover(a, b, "fence")
wait_for(lambda: a.sql1("SELECT count(*) FROM pg_stat_activity WHERE "
                        "backend_type = 'client backend' AND "
                        "pid <> pg_backend_pid()") == "0",
         timeout=20, what="docketd to leave the fenced server")
ok(True, "docketd left the read-only old primary by itself")
writing = False
for t in threads:
    t.join()
elapsed = time.time() - t0

eq(unexpected, [], "nothing but 5003 went wrong for writers and subscribers")
ok(failures and set(failures) == {5003},
   "writes that failed got 5003 (%d of them, %d answered OK, %.1f s)"
   % (len(failures), acks(), elapsed))
eq(d.proc.poll(), None, "docketd never exited")
eq(d.proc.pid, pid, "the same docketd process throughout")

notes = {(int(r[0]), r[1]) for r in cl.sql("SELECT id, body FROM note")}
eq([n for n in acked_notes if n not in notes], [],
   "every note answered OK is on the new primary (%d)" % len(acked_notes))
versions = {(int(r[0]), int(r[1]), r[2] or None) for r in cl.sql(
    "SELECT ticket_id, summary->>'version', summary->>'owner' FROM event "
    "WHERE summary IS NOT NULL")}
eq([c for c in acked_claims if c not in versions], [],
   "every claim and unclaim answered OK is in the new primary's events (%d)"
   % len(acked_claims))
for tid in tickets:
    top = max([v for (t, v, o) in acked_claims if t == tid] or [0])
    ok(int(cl.sql1("SELECT version FROM ticket WHERE id = %d" % tid)) >= top,
       "ticket %d is at or past the last version answered (%d)" % (tid, top))

wait_for(lambda: cl.sql1("SELECT count(*) FROM event WHERE seq IS NULL") == "0",
         what="the sequencer to number everything on the new primary")
eq(cl.sql1("SELECT count(*) = count(DISTINCT seq) AND max(seq) = count(*) FROM event"),
   "t", "the new primary's seqs are 1..N, no hole and no duplicate")
final = int(cl.sql1("SELECT max(seq) FROM event"))

# One more subscriber, from the very start, replays the whole history
# from the new primary.
late = Subscriber("s%d" % (SUBSCRIBERS + 1), resumer=False)
late.last = 0
late.connect()
late.start = 0
for s in subs + [late]:
    s.catch_up(final)
    expected = [int(r[0]) for r in cl.sql(
        "SELECT seq FROM event WHERE seq > %d AND (for_staff_id IS NULL OR "
        "for_staff_id = (SELECT id FROM staff WHERE username = '%s')) "
        "ORDER BY seq" % (s.start, s.name))]
    dup = len(s.seqs) - len(set(s.seqs))
    ok(s.seqs == expected,
       "%s (%d resumes): %d events, the new primary's table in order, no gap, "
       "no duplicate" % (s.name, s.resumes, len(s.seqs)),
       "got %d (%d duplicates), expected %d; first difference at %s" % (
           len(s.seqs), dup, len(expected),
           next((i for i, (x, y) in enumerate(zip(s.seqs, expected)) if x != y),
                "the end")))

c = login("w1")
eq(c.call("server.info")["instance"], "d1", "docketd answers after the failovers")
c.call("notes.add", ticket=tickets[0], body="after the failovers")
subs[0].c.wait_push(lambda p: p["params"].get("action") == "note_added"
                    and p["params"].get("seq", 0) > final)
ok(True, "the feed is live on the new primary")
log = d.log_text()
ok("database connection" in log and "lost" in log,
   "docketd logged the lost connections")
done()
