"""rpc_feed.py - the change feed (SPEC section 6): several writers over
many connections and two docketd instances, while subscribers disconnect
and resume with `since` at random moments, and one instance restarts
half-way.  Afterwards every subscriber's sequence of seqs equals the events
table's (the ones meant for them), with no gap and no duplicate."""
import sys, os, random, threading, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

WRITERS = 6
WRITES = int(os.environ.get("DOCKET_FEED_WRITES", "200"))   # per writer
SUBSCRIBERS = 6
rnd = random.Random(4242)

cl = Cluster()
cl.sql("INSERT INTO staff (username, name, email, roles) "
       "SELECT 'w' || g, 'Writer ' || g, 'w' || g || '@agency.example', '{content}' "
       "FROM generate_series(1, %d) g" % WRITERS)
cl.sql("INSERT INTO staff (username, name, email, roles) "
       "SELECT 's' || g, 'Subscriber ' || g, 's' || g || '@agency.example', '{content}' "
       "FROM generate_series(1, %d) g" % SUBSCRIBERS)
email = cl.add_contact()
tickets = [cl.new_ticket(email, "Feed %d" % i) for i in range(WRITERS)]
servers = [cl.start_server("d1"), cl.start_server("d2")]
start_seq = None
lock = threading.Lock()
writing = True
errors = []

def any_server():
    """A server that is up (one may be restarting)."""
    for _ in range(200):
        s = rnd.choice(servers)
        if s.proc.poll() is None:
            try:
                s.client().close()
                return s
            except OSError:
                pass
        time.sleep(0.05)
    raise RuntimeError("no server up")

def writer(i):
    """Notes on its own ticket, mentioning a subscriber now and then, and
    claim/unclaim cycles: each an event (or two) in the feed."""
    name, tid = "w%d" % (i + 1), tickets[i]
    c, n = None, 0
    while n < WRITES:
        try:
            if c is None:
                c = any_server().login(cl, name)
            if n % 3 == 0:
                body = "note %d @s%d" % (n, rnd.randint(1, SUBSCRIBERS))
                c.call("notes.add", ticket=tid, body=body)
            elif n % 3 == 1:
                c.call("tickets.claim", id=tid)
            else:
                c.call("tickets.unclaim", id=tid)
            n += 1
        except (OSError, ConnectionError, RpcError) as e:
            if isinstance(e, RpcError) and e.code not in (5003,):
                errors.append("%s: %s" % (name, e))
                n += 1
            c = None   # the server went away: reconnect elsewhere

class Subscriber:
    def __init__(self, i):
        self.name = "s%d" % (i + 1)
        self.seqs = []
        self.last = None
        self.resumes = 0
        # Made up front: a resume then waits for no psql login, so it
        # races the lagging instance's feed reader as a real client does.
        self.token = cl.session(self.name)

    def session(self):
        s = any_server()
        c = s.client()
        c.call("session.resume", token=self.token)
        r = c.subscribe(since=self.last)
        if self.last is not None and r.get("resync"):
            # Every since sent is a seq the feed gave out: never a resync.
            errors.append("%s: resync on %s from seq %d" % (self.name, s.name, self.last))
        if self.last is None:
            self.last = r["seq"]
            self.start = r["seq"]
        return c

    def take(self, c):
        for p in c.pushes:
            if p.get("method") != "event":
                continue
            seq = p["params"]["seq"]
            self.seqs.append(seq)
            self.last = seq
        c.pushes.clear()

    def run(self):
        while writing:
            try:
                c = self.session()
                until = time.time() + rnd.uniform(0.02, 0.3)
                while time.time() < until and writing:
                    c.poll_pushes(0.05)
                    self.take(c)
                c.poll_pushes(0.01)
                self.take(c)
                c.close()          # drop at a random moment
                self.resumes += 1
            except (OSError, ConnectionError, RpcError, ValueError):
                time.sleep(0.05)

subs = [Subscriber(i) for i in range(SUBSCRIBERS)]
for s in subs:       # everyone starts subscribed before the first write
    s.session().close()
threads = [threading.Thread(target=s.run) for s in subs]
threads += [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
for t in threads: t.start()

# Restart one instance while all this goes on.
time.sleep(1.0)
rc = servers[0].stop()
eq(rc, 0, "d1 drains and exits 0 on SIGTERM mid-traffic")
servers[0] = cl.start_server("d1")

for t in threads[SUBSCRIBERS:]: t.join()
writing = False
for t in threads[:SUBSCRIBERS]: t.join()
eq(errors, [], "every write was accepted, and no resume was answered with resync")

# Catch every subscriber up to the end of the feed, then compare.
wait_for(lambda: cl.sql1("SELECT count(*) FROM event WHERE seq IS NULL") == "0",
         what="the sequencer to number everything")
for s in subs:
    # The newest event meant for s: the feed's last may be a notification
    # for someone else, which s never hears.
    final = int(cl.sql1(
        "SELECT max(seq) FROM event WHERE for_staff_id IS NULL OR for_staff_id = "
        "(SELECT id FROM staff WHERE username = '%s')" % s.name))
    c = s.session()
    wait_for(lambda: (c.poll_pushes(0.05), s.take(c), s.last is not None and s.last >= final)[2],
             timeout=20, what=s.name + " to catch up")
    c.close()
    expected = [int(r[0]) for r in cl.sql(
        "SELECT seq FROM event WHERE seq > %d AND (for_staff_id IS NULL OR for_staff_id = "
        "(SELECT id FROM staff WHERE username = '%s')) ORDER BY seq" % (s.start, s.name))]
    dup = len(s.seqs) - len(set(s.seqs))
    ok(s.seqs == expected,
       "%s (%d resumes): %d events, exactly the table's, in order, no gap, no duplicate"
       % (s.name, s.resumes, len(s.seqs)),
       "got %d (%d duplicates), expected %d; first difference at %s" % (
           len(s.seqs), dup, len(expected),
           next((i for i, (a, b) in enumerate(zip(s.seqs, expected)) if a != b), "the end")))
total = int(cl.sql1("SELECT count(*) FROM event WHERE type <> 'notification'"))
ok(total >= WRITERS * WRITES, "the writers made %d ticket events" % total)
eq(cl.sql1("SELECT count(*) = count(DISTINCT seq) AND max(seq) = count(*) FROM event"), "t",
   "seqs are 1..N with no hole (nothing was rolled back)")

# A row restored from another cluster's pg_dump keeps that cluster's xid,
# which may be past any this cluster has given out: it is numbered all
# the same, and pushed.
watcher = servers[0].login(cl, subs[0].name)
watcher.subscribe()
rid = cl.sql1("INSERT INTO event (xid, type, action, ticket_id, summary) "
              "SELECT (pg_current_xact_id()::text::bigint + 100000000)::text::xid8,"
              "       'ticket.changed', 'note_added', t.id, ticket_summary(t) "
              "  FROM ticket t ORDER BY t.id LIMIT 1 RETURNING id")
wait_for(lambda: cl.sql1("SELECT seq FROM event WHERE id = %s" % rid) is not None,
         what="the restored row to be numbered")
seq = int(cl.sql1("SELECT seq FROM event WHERE id = %s" % rid))
watcher.wait_push(lambda p: p.get("method") == "event" and
                  p["params"]["seq"] == seq, timeout=10)
ok(True, "a row with a foreign xid is numbered (%d) and pushed" % seq)
done()
