"""portal_staff.py - what staff see of what contacts do in the portal
(SPEC sections 3 and 8): a portal reply is a message `in` with source
portal, pushed live to a subscribed terminal client; the owner is
notified (client_reply, pushed and emailed); a ticket waiting on the
contact goes back to In Progress; a reply to a ticket closed less than
mail.reopen_within ago reopens it, an older one is refused and changes
nothing; a new request from the support form is in Unassigned at once,
source portal, with its files; removing a contact from the access list
ends their portal session."""

import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *

p = Portal(mail={"reopen_within": "1h"})
cl = p.cl
cl.add_staff("carla", "content", "Carla Content")
cl.ctl("company", "add", "Nordlys skole")
ola = p.contact("ola@nordlys.example.no", "Ola", "Nordmann", "Nordlys skole")
b = p.register(ola)

carla = p.d.login(cl, "carla")
carla.subscribe()

def ticket_event(tid, pred=lambda e: True):
    return carla.wait_push(lambda m: m.get("method") == "event"
                           and m["params"].get("type", "").startswith("ticket.")
                           and m["params"]["ticket"]["id"] == tid
                           and pred(m["params"]))["params"]

# ---- a reply on a ticket waiting on the contact ----------------------------
tid = cl.new_ticket(ola, "Nytt banner på forsiden")
t = carla.call("tickets.claim", id=tid, version=1)
t = carla.call("tickets.set_stage", id=tid, stage="waiting_on_contact",
               version=t["version"])
carla.call("messages.send", ticket=tid, body="Hvilket bilde vil dere ha?")
page = b.get("/tickets/%d" % tid)
ok("Hvilket bilde vil dere ha?" in page.text and "Carla Content" in page.text,
   "the staff reply is in the portal's conversation, with its author")
mails_before = len(p.sink.to("carla@agency.example"))
r = b.post_multipart("/tickets/%d/reply" % tid, {"body": "Dette bildet."},
                     [("files", "banner.png", "image/png", b"\x89PNG banner"),
                      ("files", "tekst.txt", "text/plain", "Velkommen".encode())],
                     form_path="/tickets/%d" % tid)
eq((r.status, r.header("Location")), (303, "/tickets/%d" % tid),
   "the reply goes back to the ticket")
ev = ticket_event(tid, lambda e: e.get("action") == "message_received")
eq(ev["ticket"]["stage"], "in_progress",
   "the push shows the ticket back In Progress")
full = carla.call("tickets.get", id=tid)
msgs = [m for m in full["messages"] if m["direction"] == "in"]
ok(msgs and msgs[-1]["body"] == "Dette bildet." and
   msgs[-1].get("source") == "portal",
   "tickets.get: the reply is a message in with source portal",
   msgs[-1] if msgs else full)
names = sorted(a["filename"] for a in full.get("attachments", []))
eq(names, ["banner.png", "tekst.txt"], "tickets.get shows both files")
note = carla.wait_push(lambda m: m.get("method") == "event"
                       and m["params"].get("type") == "notification"
                       and m["params"]["notification"].get("kind") == "client_reply")
eq(note["params"]["notification"]["ticket"], tid,
   "the owner gets a client_reply notification, live")
wait_for(lambda: len(p.sink.to("carla@agency.example")) > mails_before,
         what="the client_reply email")
mail = p.sink.to("carla@agency.example")[-1]
ok("Dette bildet." in mail.get_body(("plain",)).get_content(),
   "and an email with the reply", mail["Subject"])

# ---- closed tickets ------------------------------------------------------------
t = carla.call("tickets.get", id=tid)
carla.call("tickets.close", id=tid, version=t["version"])
r = b.post_multipart("/tickets/%d/reply" % tid, {"body": "En ting til"}, [],
                     form_path="/tickets/%d" % tid)
eq(r.status, 303, "a reply to a ticket closed just now is taken")
ev = ticket_event(tid, lambda e: e.get("action") == "reopened")
eq(ev["ticket"]["stage"], "in_progress", "and reopens it (owner kept)")
t = carla.call("tickets.get", id=tid)
carla.call("tickets.close", id=tid, version=t["version"])
cl.sql("UPDATE ticket SET closed_at = now() - interval '2 hours' WHERE id = %d" % tid)
version = cl.sql1("SELECT version FROM ticket WHERE id = %d" % tid)
page = b.get("/tickets/%d" % tid)
ok('action="/tickets/%d/reply"' % tid not in page.text,
   "a ticket closed longer than reopen_within ago shows no reply form")
r = b.post_multipart("/tickets/%d/reply" % tid, {"body": "Too late"}, [],
                     form_path="/tickets/%d" % tid)
eq(r.status, 303, "a reply posted anyway is sent back to the ticket")
ok("closed too long ago" in b.get(r.header("Location")).text,
   "which says it was closed too long ago")
eq(cl.sql1("SELECT version FROM ticket WHERE id = %d" % tid), version,
   "and the ticket is unchanged")
eq(cl.sql1("SELECT count(*) FROM message WHERE body = 'Too late'"), "0",
   "nothing stored")

# ---- a new request from the support form -------------------------------------
r = b.post_multipart("/new", {"subject": "Oppdater kalenderen",
                              "description": "Juleavslutning 19. desember",
                              "priority": "high"},
                     [("files", "kalender.pdf", "application/pdf", b"%PDF-1.4 x")])
eq(r.status, 303, "the support form makes a request")
new_id = int(r.header("Location").rsplit("/", 1)[1])
ev = carla.wait_push(lambda m: m.get("method") == "event"
                     and m["params"].get("type") == "ticket.created"
                     and m["params"]["ticket"]["id"] == new_id)["params"]
eq((ev["ticket"]["stage"], ev["ticket"].get("owner")), ("new", None),
   "pushed to the terminal at once, new and unowned")
view = carla.call("tickets.view", view="unassigned", limit=50)
rows = view["tickets"] if isinstance(view, dict) else view
row = [t for t in rows if t["id"] == new_id]
ok(row and row[0].get("priority") == "high",
   "in Unassigned with its priority", row)
full = carla.call("tickets.get", id=new_id)
eq(full["source"], "portal", "source portal (the ticket screen shows it)")
eq([a["filename"] for a in full.get("attachments", [])], ["kalender.pdf"],
   "with its file")
ok(any(m["direction"] == "in" and "Juleavslutning" in m["body"]
       for m in full["messages"]),
   "and the description as the contact's first message")

# ---- a request taken by phone: its description comes first -------------------
phone = int(cl.ctl("ticket", "create", "--contact", ola, "--subject",
                   "Ny meny", "--source", "phone",
                   input="Ringte: menyen skal ha Foreldre først").strip())
carla.call("messages.send", ticket=phone, body="Vi ordner det i dag.")
page = b.get("/tickets/%d" % phone).text
ok(page.find("Foreldre først") != -1 and
   page.find("Foreldre først") < page.find("Vi ordner det i dag."),
   "a staff-entered request shows its description before the replies")
page = b.get("/tickets/%d" % new_id).text
eq(page.count("Juleavslutning 19. desember"), 1,
   "a portal request's description is shown once (as its first message)")

# ---- a long history: the 100 most recent, and a way to the rest -----------------
cl.sql("SELECT ticket_create(c.id, 'Eldre sak ' || g, '', 'low', 'phone', NULL) "
       "FROM contact c, generate_series(1, 105) g WHERE c.email = '%s'" % ola)
page = b.get("/tickets?status=all").text
eq(page.count('<td data-label="ID">'), 100, "the list shows the 100 most recent")
ok("find older ones" in page, "and says how to find the others")
ok("Eldre sak 7<" in b.get("/tickets?status=all&q=Eldre+sak+7").text,
   "which a search finds")

# ---- leaving the access list -------------------------------------------------------
eq(b.get("/tickets").status, 200, "logged in before")
cl.ctl("list", "remove-member", "Authorized Portal Users", ola)
# docketctl ends the sessions in the database; this docketd forgets what
# it remembered of them when session_end()'s NOTIFY arrives.
ok(wait_for(lambda: b.get("/tickets").status == 303, 10, "the session to end"),
   "removed from the list: the session is over")
r = p.browser().post("/login", {"email": ola, "password": "portal-pass-1"})
ok(r.status == 200 and "Wrong email or password" in r.text,
   "and the password no longer logs in")

done()
