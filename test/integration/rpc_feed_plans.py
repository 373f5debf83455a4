"""rpc_feed_plans.py - the feed's statements keep a sane plan while the event
table grows from nearly empty (server/core/feed.c: grown(); db_replan()).

A session keeps the generic plan of a prepared statement, and of each
statement in a PL/pgSQL function, with the table sizes the planner believed
when it made it, until an ANALYZE of the table makes it again.  Made while
event held a handful of rows, the sequencer's plan walked the whole table
for every row of every batch once it had thousands: on the benchmark's
fresh database one numbering statement took 25 s, every push waited behind
it, and claims halved, for up to a minute (autovacuum's naptime).

Here autovacuum is off for event, so nothing but docketd can make the plans
again; event is analysed at seven rows, docketd runs long enough for its
plans to be generic, and then 20,000 events arrive over a few seconds, in
transactions of 500.  What the sequencer read is counted in PostgreSQL's
statistics (index entries read on event), not timed: with plans made for
seven rows it read about 150 entries for each event numbered; made again
each time the table doubles, under 40."""
import sys, os, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

EVENTS = 20000
PER_TX = 500
# Index entries of event read per event numbered.  Each event is found in
# event_unsequenced, updated by its primary key, and counted among those
# waiting while it waits (a few batches): under 40, with plans made again
# at each doubling (between two, a plan is up to 2 x stale).  The plans made for
# seven rows read about 150.
MAX_READ_PER_EVENT = 80

cl = Cluster()
staff = cl.add_staff("anna", "content", password=None)
email = cl.add_contact()
tid = cl.new_ticket(email, "Plans")
anna = cl.sql1("SELECT id FROM staff WHERE username = 'anna'")
for _ in range(3):
    cl.sql("SELECT ticket_claim(%s, %s, NULL), ticket_unclaim(%s, %s, NULL)" % (anna, tid, anna, tid))
cl.sql("ALTER TABLE event SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)")
cl.sql("ANALYZE event")
ok(int(cl.sql1("SELECT reltuples FROM pg_class WHERE relname = 'event'")) < 10,
   "the planner believes event has a handful of rows")

d = cl.start_server("d1", log={"level": "debug"})
wait_for(lambda: "this instance is the feed sequencer" in d.log_text(),
         what="docketd to become the sequencer")
# The sequencer runs every 100 ms: after five runs its plan is generic,
# made now, for seven rows.
time.sleep(2)


def index_reads():
    return int(cl.sql1("SELECT coalesce(sum(idx_tup_read), 0) + "
                       "  (SELECT coalesce(seq_tup_read, 0) FROM pg_stat_user_tables "
                       "    WHERE relname = 'event') "
                       "FROM pg_stat_user_indexes WHERE relname = 'event'"))


def numbered():
    return cl.sql1("SELECT count(*) FROM event WHERE seq IS NULL") == "0"


wait_for(numbered, what="the first events to be numbered")
time.sleep(1.5)  # each backend's statistics reach the views within a second
before = index_reads()
for _ in range(EVENTS // PER_TX):
    cl.sql("SELECT count(ticket_claim(%s, %s, NULL)) + count(ticket_unclaim(%s, %s, NULL)) "
           "FROM generate_series(1, %d)" % (anna, tid, anna, tid, PER_TX // 2))
wait_for(numbered, timeout=300, what="all %d events to be numbered" % EVENTS)
time.sleep(2)
reads = index_reads() - before
ok(reads < MAX_READ_PER_EVENT * EVENTS,
   "the sequencer read %.1f index entries of event per event it numbered "
   "(at most %d)" % (reads / EVENTS, MAX_READ_PER_EVENT))
eq(cl.sql1("SELECT count(DISTINCT seq) = count(*) AND max(seq) = count(*) FROM event"), "t",
   "every event has its own seq, 1 to the last, none skipped")
replans = d.log_text().count("sessions plan again")
ok(3 <= replans <= 20, "the sessions planned again as event doubled, not on every "
   "batch (%d times on the way to %d events)" % (replans, EVENTS))
ok("exited" not in d.log_text(), "docketd kept running")
done()
