"""portal_events.py - GET /events, the portal's live stream (SPEC section
8, docs/portal.md), read by a raw SSE client: a contact hears the changes
to the tickets they may see (their own, and with company visibility their
school's) and nothing else: no other school's ticket, no note or
note-only change, no staff username, no version or change record.  A
staff reply arrives with its author's name, body and files; a claim
changes the status as the portal shows it; presence says who is
replying, by name.  A stream resumes by Last-Event-ID, also across a
docketd restart with the change made meanwhile on another instance; it
ends with the contact's sessions; every bad way in changes nothing."""

import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *

# A small cap per address, to see streams give way to a page.
CAP = 12
p = Portal(portal={"visibility": "company", "show_stage_names": True,
                   "pipelines": ["support"]},
           http={"max_connections_per_address": CAP})
cl = p.cl
cl.add_staff("carla", "content", "Carla Content")
cl.add_staff("anna", "content", "Anna Berg")
cl.ctl("company", "add", "Nordlys skole")
cl.ctl("company", "add", "Fjord skole")
ola = p.contact("ola@nordlys.example.no", "Ola", "Nordmann", "Nordlys skole")
kari = p.contact("kari@nordlys.example.no", "Kari", "Lund", "Nordlys skole")
eve = p.contact("eve@fjord.example.no", "Eve", "Fjell", "Fjord skole")
b_ola = p.register(ola)
b_eve = p.register(eve)

carla = p.d.login(cl, "carla")
anna = p.d.login(cl, "anna")

t_ola = cl.new_ticket(ola, "Nytt banner")
t_eve = cl.new_ticket(eve, "Fjord calendar")


def version(t):
    return carla.call("tickets.get", id=t)["version"]


# ---- who may listen -----------------------------------------------------
anon = EventStream(p.browser())
eq(anon.status, 403, "a visitor without a session is refused (403, not a redirect)")
r = p.browser().get("/events")
ok(r.header("Location") is None, "no redirect to the login for a stream")

s = EventStream.live(b_ola)
eq(s.status, 200, "a logged-in contact's stream is answered 200")
ok((s.header("Content-Type") or "").startswith("text/event-stream"),
   "it is text/event-stream", s.header("Content-Type"))
eq(s.header("Cache-Control"), "no-store", "never cached")
ok("default-src 'self'" in (s.header("Content-Security-Policy") or ""),
   "with the portal's headers")
wait_for(lambda: b"retry:" in s.raw, 5, "the retry hint")

# ---- what a contact hears ------------------------------------------------
carla.call("messages.send", ticket=t_ola, body="Vi lager et forslag.\nHilsen Carla")
e = s.wait(lambda d: d["id"] == t_ola and "message" in d, "the staff reply")
m = e["data"]["message"]
reply_seq = int(e["id"])
eq(m["author"], "Carla Content", "the reply's author by display name")
eq(m["body"], "Vi lager et forslag.\nHilsen Carla", "its body, line break and all")
eq(m["direction"], "out", "from the helpdesk")
ok(e["data"]["mine"], "the contact's own ticket is mine")
eq(e["data"]["subject"], "Nytt banner", "the subject")
eq(e["data"]["status"], "New", "the status as the portal shows it (stage names on)")
ok(e["id"] and e["id"].isdigit(), "the event carries the feed's seq as its id")
ok(re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$", e["data"]["last_activity_text"]),
   "last activity written as the pages write it", e["data"])

carla.call("notes.add", ticket=t_ola, body="INTERNAL-NOTE-TEXT bruk blå logo")
carla.call("tickets.claim", id=t_ola, version=version(t_ola))
e = s.wait(lambda d: d["id"] == t_ola and d["status"] == "In Progress",
           "the claim's new status")
carla.call("messages.send", ticket=t_eve, body="FJORD-ONLY reply")
t_kari = cl.new_ticket(kari, "Kalenderen er feil")
e = s.wait(lambda d: d["id"] == t_kari, "a school colleague's new ticket")
ok(not e["data"]["mine"], "a colleague's ticket is not mine")
eq(e["data"]["contact"], "Kari Lund", "with who asked, as the company list shows")
# Changes are pushed in feed order: Eve's reply came before Kari's ticket.
raw = s.raw.decode()
ok("INTERNAL-NOTE-TEXT" not in raw, "a note never reaches the stream")
ok("FJORD-ONLY" not in raw and "Fjord calendar" not in raw,
   "another school's ticket never reaches the stream")
ok('"carla"' not in raw and '"anna"' not in raw,
   "no staff username in the stream")
ok('"version"' not in raw and '"change"' not in raw and '"owner"' not in raw,
   "no version, change record or owner in the stream")
notes = [ev for ev in s.of() if ev["data"]["id"] == t_ola
         and int(ev["id"]) > reply_seq and "message" not in ev["data"]
         and ev["data"]["status"] == "New"]
ok(not notes, "the note-only change sent nothing", notes)

es = EventStream.live(b_eve)
carla.call("messages.send", ticket=t_ola, body="NORDLYS-ONLY second reply")
carla.call("messages.send", ticket=t_eve, body="for Eve")
es.wait(lambda d: d["id"] == t_eve and d.get("message", {}).get("body") == "for Eve",
        "Eve hears her own ticket")
ok(b"NORDLYS-ONLY" not in es.raw and b"Nytt banner" not in es.raw,
   "and nothing of Nordlys's")
es.close()

# A reply with a file: the file is named with its download link's id.
b_ola.post_multipart("/tickets/%d/reply" % t_ola, {"body": "Her er logoen"},
                     [("files", "logo.png", "image/png", b"\x89PNG fake")],
                     form_path="/tickets/%d" % t_ola)
e = s.wait(lambda d: d.get("message", {}).get("body") == "Her er logoen",
           "the contact's own reply, from the portal")
eq(e["data"]["message"]["direction"], "in", "a contact's message is in")
eq([f["filename"] for f in e["data"]["message"]["files"]], ["logo.png"],
   "its file")
r = b_ola.get("/attachments/%d" % e["data"]["message"]["files"][0]["id"])
eq(r.status, 200, "the file's id is its download")

# ---- the detail page's stream: one ticket, and who is replying ----------
d = EventStream.live(b_ola, "/events?ticket=%d" % t_ola)
eq(d.status, 200, "the stream of one of the contact's tickets")
for bad, what in (("/events?ticket=%d" % t_eve, "another school's ticket"),
                  ("/events?ticket=999999", "a ticket that does not exist"),
                  ("/events?ticket=abc", "a ticket that is not a number"),
                  ("/events?ticket=-1", "a negative ticket")):
    x = EventStream(b_ola, bad)
    eq(x.status, 404, "the stream of %s: 404" % what)
anna.call("presence.set", ticket=t_ola, state="replying")
e = d.wait(lambda d: d["replying"], "Anna is replying", kind="presence")
eq(e["data"]["name"], "Anna Berg", "named by display name")
anna.call("presence.set", ticket=t_ola, state="viewing")
d.wait(lambda d: not d["replying"], "Anna stopped replying", kind="presence")
anna.call("presence.set", ticket=t_eve, state="replying")
carla.call("messages.send", ticket=t_kari, body="to Kari")
carla.call("messages.send", ticket=t_ola, body="marker for the detail page")
d.wait(lambda d: d.get("message", {}).get("body") == "marker for the detail page",
       "the detail page hears its ticket")
ok(not [ev for ev in d.of() if ev["data"]["id"] != t_ola],
   "and no other ticket")
ok(b"anna" not in d.raw, "no username in presence")
eq(len(d.of("presence")), 2, "nobody's presence on another ticket")
d.close()

# ---- resuming -----------------------------------------------------------
# The list's stream may be behind the detail page's: the mark is the
# marker's own event, once the list has it too.
s.wait(lambda d: d.get("message", {}).get("body") == "marker for the detail page",
       "the list hears the marker too")
mark = s.of()[-1]["id"]
carla.call("messages.send", ticket=t_ola, body="after the mark 1")
carla.call("messages.send", ticket=t_ola, body="after the mark 2")
s.wait(lambda d: d.get("message", {}).get("body") == "after the mark 2", "live")
r2 = EventStream(b_ola, "/events", last_event_id=mark)
r2.wait(lambda d: d.get("message", {}).get("body") == "after the mark 2",
        "a stream resumed by Last-Event-ID replays what came after it")
bodies = [ev["data"].get("message", {}).get("body") for ev in r2.of()]
eq(bodies[:2], ["after the mark 1", "after the mark 2"],
   "in order, from just after the mark")
ids = [int(ev["id"]) for ev in r2.of()]
ok(ids == sorted(ids) and len(set(ids)) == len(ids) and ids[0] > int(mark),
   "ids increasing, none repeated, none at or before the mark", ids)
r2.close()

# since= (the page's own mark) works the same; a bad one is ignored.
r3 = EventStream(b_ola, "/events?since=%s" % mark)
r3.wait(lambda d: d.get("message", {}).get("body") == "after the mark 1",
        "since= replays too")
r3.close()
for bad in ("abc", "-5", "1e9", "9" * 30, ""):
    x = EventStream(b_ola, "/events", last_event_id=bad)
    eq(x.status, 200, "Last-Event-ID %r: a stream from now" % bad)
    carla.call("messages.send", ticket=t_ola, body="after bad %r" % bad)
    x.wait(lambda d, b=bad: d.get("message", {}).get("body") == "after bad %r" % b,
           "live after a bad Last-Event-ID %r" % bad)
    ok(not [ev for ev in x.of()
            if ev["data"].get("message", {}).get("body") == "after the mark 1"],
       "no replay for Last-Event-ID %r" % bad)
    x.close()
far = EventStream(b_ola, "/events", last_event_id=10 ** 12)
far.wait(lambda d: True, "a seq from nowhere: told to reload", kind="reload")
far.close()

# Across a restart, with the change made while this docketd was down.
mark = s.of()[-1]["id"]
s.close()
p.d.stop()
d2 = p.cl.start_server("d2", mail={"send": False})
carla2 = d2.login(cl, "carla")
carla2.call("messages.send", ticket=t_ola, body="made while d1 was down")
p.d = p.start("d1")
back = EventStream.live(b_ola, "/events", last_event_id=mark)
back.wait(lambda d: d.get("message", {}).get("body") == "made while d1 was down",
          "after the restart, the change made meanwhile arrives", timeout=20)
carla = p.d.login(cl, "carla")
carla.call("messages.send", ticket=t_ola, body="after the restart")
back.wait(lambda d: d.get("message", {}).get("body") == "after the restart",
          "and the stream is live again")

# A resume hears a change only if the contact may see its ticket now: one
# handed to graphics (a pipeline this portal does not show) since, no.
mark = back.of()[-1]["id"]
back.close()
carla.call("messages.send", ticket=t_kari, body="SECRET-AFTER-MOVE")
carla.call("tickets.hand_to_graphics", id=t_kari,
           version=carla.call("tickets.get", id=t_kari)["version"])
carla.call("messages.send", ticket=t_ola, body="after the move")
back = EventStream.live(b_ola, "/events", last_event_id=mark)
back.wait(lambda d: d.get("message", {}).get("body") == "after the move",
          "a resume after the ticket moved away")
ok(b"SECRET-AFTER-MOVE" not in back.raw,
   "the moved ticket's reply is not replayed to who may no longer see it")

# A stream coming back is not the contact at work: it leaves the session's
# last activity alone, so an unattended tab still idles out.
cl.sql("UPDATE session SET last_seen_at = now() - interval '5 minutes' "
       "WHERE contact_id = (SELECT id FROM contact WHERE email = '%s')" % ola)
# docketd takes a checked session on trust for 5 s: this notice (what
# session_end() sends) makes it look the session up in the database.
cl.sql("SELECT pg_notify('docket_contact', id::text) FROM contact WHERE email = '%s'" % ola)
time.sleep(0.5)  # the notice's way to docketd; nothing to wait on from here
before = cl.sql("SELECT id, last_seen_at FROM session WHERE contact_id = "
                "(SELECT id FROM contact WHERE email = '%s') ORDER BY id" % ola)
x = EventStream.live(b_ola)
x.close()
eq(cl.sql("SELECT id, last_seen_at FROM session WHERE contact_id = "
          "(SELECT id FROM contact WHERE email = '%s') ORDER BY id" % ola), before,
   "opening a stream does not count as activity")
cl.sql("SELECT pg_notify('docket_contact', id::text) FROM contact WHERE email = '%s'" % ola)
time.sleep(0.5)
b_ola.get("/tickets")
ok(cl.sql("SELECT id, last_seen_at FROM session WHERE contact_id = "
          "(SELECT id FROM contact WHERE email = '%s') ORDER BY id" % ola) != before,
   "a page does")

# ---- limits and endings --------------------------------------------------
many = [EventStream(b_ola) for _ in range(8)]
back.wait_closed("a contact's ninth stream ends the oldest")
ok(not any(x.closed for x in many), "the newest eight stay")
# Streams fill the address's connections: a page still gets in, and the
# oldest stream gives way (a browser's EventSource comes back by itself).
more = [EventStream.live(b_eve) for _ in range(CAP - len(many))]
r = b_ola.get("/tickets")
eq(r.status, 200, "with %d streams from one address, a page is still served" % CAP)
many[0].wait_closed("the oldest stream gave way to it")
ok(not any(x.closed for x in many[1:] + more), "and only that one",
   [x.closed for x in many + more])
for x in more:
    x.close()

# A client that stops reading is dropped once 4 MiB wait for it, and
# those who read hear everything.
slow = socket.create_connection(("127.0.0.1", p.http_port))
slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
slow.sendall(("GET /events HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n\r\n" % "; ".join(
    "%s=%s" % kv for kv in b_ola.cookies.items())).encode())
reader = many[-1]
big = "x" * 80000
for i in range(120):
    carla.call("messages.send", ticket=t_ola, body="big %d %s" % (i, big))
wait_for(lambda: "reads too slowly; dropped" in p.d.log_text(), 30,
         "the slow reader dropped")
reader.wait(lambda d: d.get("message", {}).get("body", "").startswith("big 119 "),
            "a reader that reads hears all of it", timeout=30)
got = [ev["data"]["message"]["body"].split(" ")[1] for ev in reader.of()
       if ev["data"].get("message", {}).get("body", "").startswith("big ")]
eq(got, [str(i) for i in range(120)], "every one, in order")
slow.close()

r = b_ola.request("HEAD", "/events")
eq((r.status, r.body), (200, b""), "HEAD /events: 200, no body")
b_ola.post("/logout", {}, csrf=csrf_of(b_ola.get("/tickets").text))
for x in many:
    x.wait_closed("logout ends every stream of the contact")
x = EventStream(b_ola)
eq(x.status, 403, "and a new one is refused")

done()
