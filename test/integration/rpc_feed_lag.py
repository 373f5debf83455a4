"""rpc_feed_lag.py - resuming on an instance whose feed reader is behind
(SPEC section 6): a subscriber takes events from one docketd, then resumes
with `since` on another that has read less of the feed.  It must get every
later event exactly once and no resync, since `since` is a seq the feed
gave out.  A `since` past the newest seq in the database is another
history and is answered with resync.

The lagging instance is made by stopping it (SIGSTOP) while the other one
sequences and delivers; its requests queue in the socket and it reads
them when continued, racing its own feed reader."""
import sys, os, signal, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

ROUNDS = int(os.environ.get("DOCKET_FEED_LAG_ROUNDS", "5"))

cl = Cluster()
cl.add_staff("anna", "content", password=None)
cl.add_staff("sub", "content", password=None)
email = cl.add_contact()
tid = cl.new_ticket(email, "Lag")

# The sequencer is whoever takes the advisory lock first: start the
# delivering instance first and wait until it holds it, so stopping the
# other one never stops the numbering.
fast = cl.start_server("fast")
wait_for(lambda: "this instance is the feed sequencer" in fast.log_text(),
         what="fast to become the sequencer")
slow = cl.start_server("slow")
writer = fast.login(cl, "anna")
sub_token = cl.session("sub")
written = 0


def write(n):
    """n events through fast; returns the newest seq once numbered."""
    global written
    for _ in range(n):
        written += 1
        writer.call("notes.add", ticket=tid, body="note %d" % written)
    wait_for(lambda: cl.sql1("SELECT count(*) FROM event WHERE seq IS NULL") == "0",
             what="the sequencer to number everything")
    return int(cl.sql1("SELECT max(seq) FROM event"))


def events_of(c):
    return [p["params"]["seq"] for p in c.pushes
            if p.get("method") == "event" and "seq" in p.get("params", {})]


# A subscriber on fast, from the start.
watcher = fast.client()
watcher.call("session.resume", token=sub_token)
start = watcher.subscribe()["seq"]

for rnd in range(ROUNDS):
    # slow stops reading the feed; fast numbers and delivers a few events.
    slow.proc.send_signal(signal.SIGSTOP)
    newest = write(5)
    watcher.wait_push(lambda p: p.get("params", {}).get("seq") == newest)
    last = events_of(watcher)[-1]
    eq(last, newest, "round %d: the subscriber took every event from fast" % rnd)

    # Resume on slow while it is stopped: both requests wait in its socket
    # and it reads them when continued, before or after its own reader.
    c = slow.client()
    c.request("session.resume", {"token": sub_token}, id=1)
    c.request("events.subscribe", {"since": last}, id=2)
    slow.proc.send_signal(signal.SIGCONT)
    r1 = c.read_reply()
    r2 = c.read_reply()
    ok(r1 is not None and "result" in r1, "round %d: resumed on slow" % rnd, r1)
    ok(r2 is not None and "result" in r2 and not r2["result"].get("resync"),
       "round %d: resuming from a seq the feed gave out is no resync" % rnd, r2)

    final = write(5)
    c.wait_push(lambda p: p.get("params", {}).get("seq") == final)
    c.poll_pushes(0.2)   # anything extra that would follow
    eq(events_of(c), list(range(last + 1, final + 1)),
       "round %d: slow delivers (%d, %d] exactly once, in order" % (rnd, last, final))
    c.close()

    # The watcher on fast goes on taking events for the next round.
    watcher.wait_push(lambda p: p.get("params", {}).get("seq") == final)

# A since newer than the newest seq in the database is another history.
for srv in (fast, slow):
    newest = int(cl.sql1("SELECT max(seq) FROM event"))
    c = srv.client()
    c.call("session.resume", token=sub_token)
    r = c.subscribe(since=newest + 1000)
    ok(r.get("resync") is True and r["seq"] == newest,
       "%s: a since past the table's newest seq is answered with resync" % srv.name, r)
    after = write(1)
    c.wait_push(lambda p: p.get("params", {}).get("seq") == after)
    c.poll_pushes(0.1)
    eq(events_of(c), [after], "%s: after a resync only newer events arrive" % srv.name)
    c.close()

# A since the feed gave out, equal to the newest: no resync, nothing replayed.
newest = int(cl.sql1("SELECT max(seq) FROM event"))
c = slow.client()
c.call("session.resume", token=sub_token)
r = c.subscribe(since=newest)
ok(not r.get("resync") and r["seq"] == newest, "since = newest: no resync", r)
c.poll_pushes(0.2)
eq(events_of(c), [], "since = newest: nothing replayed")
c.close()
watcher.close()
done()
