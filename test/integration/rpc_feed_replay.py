"""rpc_feed_replay.py - a subscriber that resumes from far back (20 MB of
history, more than server.max_output_bytes) and does not read for a while
is not cut off: the feed's replay waits while its client has more than a
megabyte still to read, and every event arrives, in order, once."""
import sys, os, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

cl = Cluster()
cl.sql("INSERT INTO staff (username, name, email, roles) "
       "VALUES ('w', 'Writer', 'w@agency.example', '{content}'), "
       "('r', 'Reader', 'r@agency.example', '{content}')")
email = cl.add_contact()
t = cl.new_ticket(email, "History")
# 20,000 events of about a kilobyte each, as a long-running helpdesk has.
cl.sql("INSERT INTO event (type, action, ticket_id, staff_id, change, summary) "
       "SELECT 'ticket.changed', 'note_added', %d, (SELECT id FROM staff WHERE username = 'w'), "
       "'{}', jsonb_build_object('id', %d, 'pad', repeat('x', 1000)) "
       "FROM generate_series(1, 20000)" % (t, t))
d = cl.start_server("d1")
wait_for(lambda: cl.sql1("SELECT count(*) FROM event WHERE seq IS NULL") == "0",
         timeout=60, what="the history to be numbered")
final = int(cl.sql1("SELECT max(seq) FROM event"))
expected = [int(r[0]) for r in cl.sql(
    "SELECT seq FROM event WHERE for_staff_id IS NULL ORDER BY seq")]

c = d.client()
c.call("session.resume", token=cl.session("r"))
c.subscribe(since=0)
time.sleep(3)            # reads nothing meanwhile: the old replay queued it all
seqs = []
def caught_up():
    c.poll_pushes(0.05)
    for p in c.pushes:
        if p.get("method") == "event":
            seqs.append(p["params"]["seq"])
    c.pushes.clear()
    return c.closed or (seqs and seqs[-1] >= final)
wait_for(caught_up, timeout=60, what="the replay to reach seq %d" % final)
ok(not c.closed, "the slow reader was not cut off")
eq(len(seqs), len(expected), "every event of the history arrived")
ok(seqs == expected, "in order, once each")
ok("output limit" not in d.log_text(), "docketd never hit the output limit")
done()
