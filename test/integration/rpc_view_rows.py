"""rpc_view_rows.py - tickets.view's rows are the ticket summaries that
summary_json() builds in SQL for events and answers, field for field,
though docketd writes them itself (server/rpc/tickets.c: PostgreSQL took
15 us a row to build them); and PostgreSQL keeps one plan for each view's
statement instead of planning it on every call.

The rows carry what a school's data really holds and an attacker would
try: quotes, backslashes, control characters, "</script>", letters outside
ASCII and an emoji, a company and none, a due date and none, an owner and
a graphics owner and none.  Each view, for a content updater and for a
graphics artist, is compared with summary_json() of the same tickets, and
paged one row at a time with its cursor.

The plans: with 20,000 tickets, auto_explain logs every plan docketd's
sessions run, 64 calls of each view.  A session makes five custom plans
of a statement (the caller's values folded in), then a generic one ($3
still in it), and keeps it if it costs no more; with LIMIT $2 alone the
open and closed views' generic plan looked dearer, and all 64 calls
were planned afresh."""
import sys, os, json, re
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

import subprocess


def pg_literal(text):
    return "'" + text.replace("'", "''") + "'"


def summary(t):
    """summary_json() of ticket t, parsed (not through cl.sql, whose
    splitlines() would split the text at U+2028)."""
    out = subprocess.run(["psql", cl.conninfo, "-XAtq", "-v", "ON_ERROR_STOP=1",
                          "-c", SUMMARY % t], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


cl = Cluster()
cl.add_staff("anna", "content", "Anna Berg")
cl.add_staff("gary", "graphics", "Gary Graphics")
cl.ctl("company", "add", "Nordlys skole")
plain = cl.add_contact("ola@nordlys.example.no")
odd = cl.add_contact("kari@example.no")

# Text no form would let through, written straight into the tables.
NASTY = 'Bl\u00e5 "banner" \\ </script> \t\u0001 \U0001f3a8'
cl.sql("UPDATE contact SET company_id = (SELECT id FROM company WHERE name = 'Nordlys skole'), "
       "first_name = '  \u00c5se', last_name = %s WHERE email = 'kari@example.no'"
       % pg_literal('\u00d8stby "\\" \n'))
cl.sql("UPDATE company SET name = %s WHERE name = 'Nordlys skole'"
       % pg_literal('Nordlys <skole> & "SFO" \\ \u2028'))

d = cl.start_server("d1")
anna = d.login(cl, "anna")
gary = d.login(cl, "gary")


def version(t):
    return anna.call("tickets.get", id=t)["version"]


mine = cl.new_ticket(odd, "Mine")
anna.call("tickets.claim", id=mine, version=version(mine))
unassigned = cl.new_ticket(plain, "Unassigned")
waiting = cl.new_ticket(odd, "Waiting")
anna.call("tickets.claim", id=waiting, version=version(waiting))
anna.call("tickets.hand_to_graphics", id=waiting, version=version(waiting))
drawing = cl.new_ticket(plain, "Drawing")
anna.call("tickets.claim", id=drawing, version=version(drawing))
anna.call("tickets.hand_to_graphics", id=drawing, version=version(drawing))
gary.call("tickets.graphics_claim", id=drawing, version=version(drawing))
closed = cl.new_ticket(odd, "Closed")
anna.call("tickets.close", id=closed, version=version(closed))
cl.sql("UPDATE ticket SET subject = %s || ' #' || id, "
       "due_at = CASE WHEN id %% 2 = 0 THEN now() + interval '3 days' END"
       % pg_literal(NASTY))

SUMMARY = ("SELECT summary_json(t, o.username, g.username, c, co)::text "
           "FROM ticket t JOIN contact c ON c.id = t.contact_id "
           "LEFT JOIN staff o ON o.id = t.owner_id "
           "LEFT JOIN staff g ON g.id = t.graphics_owner_id "
           "LEFT JOIN company co ON co.id = t.company_id WHERE t.id = %d")

# Handed to graphics, a ticket stays its owner's: my_open holds three.
expected = {"my_open": [mine, waiting, drawing], "unassigned": [unassigned],
            "waiting_on_graphics": [waiting], "my_graphics": [drawing],
            "open": None, "closed": [closed]}
for view, ids in expected.items():
    who = gary if view == "my_graphics" else anna
    rows = who.call("tickets.view", view=view, limit=500)["tickets"]
    if ids is not None:
        eq(sorted(r["id"] for r in rows), sorted(ids), "%s holds its tickets" % view)
    same = [r == summary(r["id"]) for r in rows]
    ok(rows and all(same), "%s: every row is summary_json() of its ticket (%d rows)"
       % (view, len(rows)))
    for r, s in zip(rows, same):
        if not s:
            print("   docketd:  %r\n   SQL:      %r" % (r, summary(r["id"])))

row = next(r for r in anna.call("tickets.view", view="my_open", limit=50)["tickets"])
eq(row["subject"], NASTY + " #%d" % mine, "the subject as it was written, byte for byte")
eq(row["company"]["name"], 'Nordlys <skole> & "SFO" \\ \u2028', "and the company's name")
eq(row["contact"]["name"], '\u00c5se \u00d8stby "\\" \n',
   "and the contact's, its spaces trimmed as in SQL (btrim: spaces only)")
eq(anna.call("tickets.view", view="unassigned", limit=50)["tickets"][0]["company"], None,
   "no company: null")

# One row a page, with the cursor: the same rows, in the same order.
whole = [r["id"] for r in anna.call("tickets.view", view="open", limit=500)["tickets"]]
paged, after = [], None
for _ in range(len(whole) + 2):
    page = anna.call("tickets.view", view="open", limit=1, **({"after": after} if after else {}))
    paged += [r["id"] for r in page["tickets"]]
    after = page["next"]
    if not after:
        break
eq(paged, whole, "paged one at a time: the same %d tickets in the same order" % len(whole))
ok(page["tickets"] == [] or len(paged) == len(whole), "the last page ends it")

# ---- plans -------------------------------------------------------------------
subprocess.run(["psql", cl.conninfo, "-Xq", "-v", "n=20000", "-f",
                os.path.join(os.environ["DOCKET_SOURCE_DIR"], "test/sql/load_tickets.sql")],
               check=True, capture_output=True)
cl.sql("VACUUM ANALYZE")
for s in ("session_preload_libraries = 'auto_explain'",
          "auto_explain.log_min_duration = 0", "auto_explain.log_nested_statements = off"):
    cl.sql("ALTER DATABASE docket SET " + s)
log = os.path.join(cl.pgdir, "data", "server.log")
d.stop()
start = os.path.getsize(log)
d = cl.start_server("d1")
# One connection: its calls go through the pool's sessions in turn, so
# each session sees its statement at least eight times.
bulk3 = d.login(cl, "bulk3")
bulk16 = d.login(cl, "bulk16")
pool = 4  # database.pool_size's default
CALLS = 16 * pool
for view in expected:
    who = bulk16 if view == "my_graphics" else bulk3
    for _ in range(CALLS):
        who.call("tickets.view", view=view, limit=50)
cl.sql("ALTER DATABASE docket RESET ALL")
with open(log, errors="replace") as f:
    f.seek(start)
    text = f.read()
FILTERS = {"my_open": "t.owner_id = $1 AND NOT t.closed",
           "unassigned": "t.owner_id IS NULL AND t.pipeline = 'support' AND NOT t.closed",
           "waiting_on_graphics": "t.pipeline = 'graphics' AND t.stage = 'waiting_on_graphics'",
           "my_graphics": "t.graphics_owner_id = $1 AND t.stage = 'graphics_in_progress'",
           "open": "NOT t.closed", "closed": "t.closed"}
plans = re.split(r"\n(?=\S.*LOG:  duration:)", text)
for view, where in FILTERS.items():
    mine = [p for p in plans if "> 0 AND %s AND $3::text IS NULL" % where in p]
    custom = [p for p in mine if "$3 IS NULL" not in p]
    # Five custom plans per session, then the generic one, kept.
    ok(len(mine) >= CALLS and len(custom) <= 5 * pool,
       "%s keeps its generic plan: %d custom plans in %d calls (at most %d)"
       % (view, len(custom), len(mine), 5 * pool))
done()
