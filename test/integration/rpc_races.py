"""rpc_races.py - 40 connections claim one ticket at the same moment,
round after round: exactly one wins, every other gets 4009 naming the
winner, and the ticket's owner is the winner.  The same for the graphics
claim, and across two docketd instances."""
import sys, os, json, threading
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

N = 40
ROUNDS = int(os.environ.get("DOCKET_RACE_ROUNDS", "15"))
cl = Cluster()
cl.sql("INSERT INTO staff (username, name, email, roles) "
       "SELECT 'c' || g, 'Content ' || g, 'c' || g || '@agency.example', '{content}' "
       "FROM generate_series(1, %d) g" % N)
cl.sql("INSERT INTO staff (username, name, email, roles) "
       "SELECT 'g' || g, 'Graphics ' || g, 'g' || g || '@agency.example', '{graphics}' "
       "FROM generate_series(1, %d) g" % N)
email = cl.add_contact()
d1 = cl.start_server("d1")
d2 = cl.start_server("d2")
content = [(d1 if i % 2 else d2).login(cl, "c%d" % (i + 1)) for i in range(N)]
graphics = [(d1 if i % 2 else d2).login(cl, "g%d" % (i + 1)) for i in range(N)]

def race(clients, method, tid):
    """Send the same request on every connection, as close together as
    sockets allow, then read every answer."""
    gate = threading.Barrier(len(clients))
    replies = [None] * len(clients)
    def go(i):
        c = clients[i]
        line = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                           "params": {"id": tid}}).encode() + b"\n"
        gate.wait()
        c.send_raw(line)
        replies[i] = c.read_reply()
    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(clients))]
    for t in threads: t.start()
    for t in threads: t.join()
    return replies

def check(replies, who, what, field):
    wins = [r["result"] for r in replies if "result" in r]
    losses = [r["error"] for r in replies if "error" in r]
    if len(wins) != 1:
        return "round has %d winners" % len(wins)
    winner = wins[0][field]
    if any(e["code"] != 4009 or e["data"]["owner"] != winner for e in losses):
        return "a loser did not get 4009 naming %s: %r" % (winner, losses[:2])
    db = cl.sql1("SELECT staff_username(%s) FROM ticket WHERE id = %d" % (who, wins[0]["id"]))
    if db != winner:
        return "database says %s, winner was %s" % (db, winner)
    return None

problems = []
for r in range(ROUNDS):
    tid = cl.new_ticket(email, "Race %d" % r)
    p = check(race(content, "tickets.claim", tid), "owner_id", "claim", "owner")
    if p: problems.append(p)
eq(problems, [], "%d claim races of %d connections: exactly one winner each, the rest 4009 naming it"
   % (ROUNDS, N))

problems = []
for r in range(ROUNDS):
    tid = cl.new_ticket(email, "Graphics race %d" % r)
    content[0].call("tickets.hand_to_graphics", id=tid)
    p = check(race(graphics, "tickets.graphics_claim", tid), "graphics_owner_id",
              "graphics claim", "graphics_owner")
    if p: problems.append(p)
eq(problems, [], "%d graphics-claim races of %d connections: exactly one winner each" % (ROUNDS, N))
eq(cl.sql1("SELECT count(*) FROM event WHERE action IN ('claimed', 'graphics_claimed')"),
   str(2 * ROUNDS), "one claim event per round: losers wrote nothing")
done()
