"""rpc_handbook.py - the staff handbook end to end, over two docketd
instances sharing one database: a content updater on one, a graphics
updater on the other, every change pushed live to both (SPEC sections 3
and 6; issue 4's "done when")."""
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

cl = Cluster()
cl.add_staff("carla", "content", "Carla Content")
cl.add_staff("gus", "graphics", "Gus Graphics")
cl.ctl("company", "add", "Nordlys skole", "--website", "https://nordlys.example.no")
cl.ctl("contact", "add", "ola@nordlys.example.no", "--first", "Ola",
       "--last", "Nordmann", "--company", "Nordlys skole")
tid = int(cl.ctl("ticket", "create", "--contact", "ola@nordlys.example.no",
                 "--subject", "New banner for the winter concert",
                 "--priority", "high", input="Photos attached.").strip())

d1 = cl.start_server("d1")
d2 = cl.start_server("d2")
carla = d1.client(tcp=True)
r = carla.call("session.login", username="carla", password="docket-pass-1")
eq(r["staff"], {"username": "carla", "name": "Carla Content", "roles": ["content"]},
   "content updater logs in with a password over TCP")
eq(r["idle_timeout_s"], 1800, "login says the idle timeout")
gus = d2.client()
gus.call("session.login", username="gus", password="docket-pass-1")
carla.subscribe()
gus.subscribe()

def ids(c, view):
    return [t["id"] for t in c.call("tickets.view", view=view)["tickets"]]

def pushed(c, action):
    return c.wait_push(lambda p: p.get("method") == "event"
                       and p["params"].get("action") == action
                       and p["params"]["ticket"]["id"] == tid)["params"]

ok(tid in ids(carla, "unassigned"), "the new ticket is in Unassigned")
s = carla.call("tickets.claim", id=tid)
eq((s["owner"], s["stage"], s["version"]), ("carla", "in_progress", 2), "claim: owner and In Progress")
for c, who in ((carla, "carla's instance"), (gus, "the other instance")):
    e = pushed(c, "claimed")
    eq(e["change"], {"owner": [None, "carla"], "stage": ["new", "in_progress"]},
       "claim pushed live to " + who)
ok(tid in ids(carla, "my_open") and tid not in ids(carla, "unassigned"),
   "claimed: in My Open Tickets, not Unassigned")

s = carla.call("tickets.unclaim", id=tid)
eq((s["owner"], s["stage"]), (None, "new"), "unclaim: back to New")
pushed(gus, "unclaimed")
ok(tid in ids(gus, "unassigned"), "unclaimed: back in Unassigned")
s = carla.call("tickets.claim", id=tid, version=s["version"])
eq(s["owner"], "carla", "claimed again, with the version seen")

n = carla.call("notes.add", ticket=tid, body="@gus could you make a 1920×600 banner? @nobody")
eq(n["mentions"], ["gus"], "note: @gus tagged, unknown @nobody left as text")
note = gus.wait_push(lambda p: p["params"].get("type") == "notification")["params"]
eq((note["notification"]["kind"], note["notification"]["by"], note["notification"]["ticket"]),
   ("mention", "carla", tid), "the graphics updater receives the mention push")
carla.poll_pushes(0.3)
ok(not [p for p in carla.events() if p["type"] == "notification"],
   "the mention goes only to the person tagged")

s = carla.call("tickets.hand_to_graphics", id=tid)
eq((s["pipeline"], s["stage"], s["owner"]), ("graphics", "waiting_on_graphics", "carla"),
   "hand to graphics: Waiting on Graphics, owner kept")
pushed(gus, "handed_to_graphics")
ok(tid in ids(carla, "my_open"), "still in the owner's My Open Tickets")
ok(tid in ids(gus, "waiting_on_graphics"), "now in Waiting on Graphics")

e = gus.error("tickets.claim", id=tid)
eq(e.code, 4003, "a graphics updater cannot claim as content (4003)")
s = gus.call("tickets.graphics_claim", id=tid)
eq((s["graphics_owner"], s["stage"]), ("gus", "graphics_in_progress"), "graphics claim")
pushed(carla, "graphics_claimed")
ok(tid in ids(gus, "my_graphics"), "in the graphics updater's My Graphics")

s = gus.call("tickets.graphics_complete", id=tid)
eq(s["stage"], "graphics_complete", "graphics complete")
pushed(carla, "graphics_completed")
done_note = carla.wait_push(lambda p: p["params"].get("type") == "notification")["params"]
eq(done_note["notification"]["kind"], "graphics_complete", "the owner is notified")
eq(cl.sql("SELECT kind, to_addr FROM outbox WHERE kind = 'graphics_complete'"),
   [["graphics_complete", "carla@agency.example"]], "outbox: email to the owner")

m = carla.call("messages.send", ticket=tid, body="Hi Ola, the new banner is live!")
ok(isinstance(m["id"], int), "reply to the client")
s = carla.call("tickets.close", id=tid)
eq((s["pipeline"], s["stage"]), ("support", "closed"), "close: back to Customer Support, Closed")
pushed(gus, "closed")
eq(cl.sql("SELECT kind, to_addr FROM outbox WHERE kind IN ('reply', 'closed') ORDER BY id"),
   [["reply", "ola@nordlys.example.no"], ["closed", "ola@nordlys.example.no"]],
   "outbox: the reply and the completion email to the contact")
ok(tid in ids(carla, "closed") and tid not in ids(carla, "my_open"), "in Closed, out of My Open")

full = carla.call("tickets.get", id=tid)
eq([e["action"] for e in full["events"]],
   ["created", "claimed", "unclaimed", "claimed", "note_added", "handed_to_graphics",
    "graphics_claimed", "graphics_completed", "message_sent", "closed"],
   "the timeline tells the whole story")
eq(full["company"]["website"], "https://nordlys.example.no", "ticket shows the school's website")
eq(full["contact"]["email"], "ola@nordlys.example.no", "ticket shows the contact card")

# Both clients saw the same changes in the same order.
a = [(e["seq"], e.get("action")) for e in carla.events() if e["type"] != "notification"]
b = [(e["seq"], e.get("action")) for e in gus.events() if e["type"] != "notification"]
eq(a, b, "both instances pushed the same ticket events in the same order")
ok(all(x[0] < y[0] for x, y in zip(a, a[1:])), "seqs strictly increase")
done()
