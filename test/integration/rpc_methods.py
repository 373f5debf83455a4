"""rpc_methods.py - every method of SPEC section 6 succeeds as specified,
and every error code is produced where it should be: 4001, 4003, 4004,
4009, 4010, 4022, 4029 and 5003."""
import sys, os, pwd, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

me = pwd.getpwuid(os.geteuid()).pw_name
cl = Cluster()
cl.ctl("staff", "add", "carla", "--name", "Carla Content", "--email", "carla@agency.example",
       "--role", "content", "--unix-user", me, "--password-stdin", input="docket-pass-1\n")
cl.add_staff("dora", "content")
cl.add_staff("gus", "graphics")
cl.add_staff("ada", "admin")
cl.add_staff("cora", "coordinator")
cl.ctl("company", "add", "Oakwood Academy", "--website", "https://oakwood.example.org")
cl.ctl("contact", "add", "priya@oakwood.example.org", "--first", "Priya", "--last", "Raman",
       "--title", "Communications", "--phone", "+1 503 555 0189", "--company", "Oakwood Academy")
# The lockout window and the idle timeout are long enough for any machine
# (memcheck takes seconds a hash); each is shortened by a reload when the
# test wants it to pass.
d = cl.start_server("d1", session={"max_login_failures": 3, "login_lockout": "1h",
                                   "idle_timeout": "10m"})

# --- sessions ---------------------------------------------------------------
c = d.client()
eq(c.call("server.info"), {"version": "0.1.0", "instance": "d1"}, "server.info needs no login")
r = c.call("session.peer")
eq(r["staff"]["username"], "carla", "session.peer maps the Unix user %s to carla" % me)
ok(len(r["token"]) == 43, "a 256-bit token, base64url")
token = r["token"]
# Before the slow part below (Argon2id logins; very slow under valgrind),
# well inside idle_timeout.
eq(d.client().call("session.resume", token=token)["staff"]["username"], "carla",
   "session.resume with the token from another connection")
tcp = d.client(tcp=True)
eq(tcp.error("session.peer").code, 4003, "session.peer over TCP: 4003")
e = tcp.error("session.login", username="carla", password="wrong-password")
eq((e.code, e.message), (4003, "wrong username or password"), "wrong password: 4003")
# Failures count per (account, address): another name's does not lock
# carla (SPEC section 12).
tcp.error("session.login", username="nobody", password="wrong-password")
tcp.error("session.login", username="carla", password="wrong-too")
e = tcp.error("session.login", username="carla", password="wrong-again")
eq(e.code, 4003, "a third failure for one account from one address")
e = tcp.error("session.login", username="carla", password="docket-pass-1")
eq(e.code, 4029, "then 4029, even with the right password, for a while")
ok("try again in" in e.message, "  ...and the message says when")
d.reload(session={"login_lockout": "1s"})
time.sleep(1.1)   # the failures are now older than the window
r = tcp.call("session.login", username="carla", password="docket-pass-1")
eq(r["staff"]["name"], "Carla Content", "after the lockout, login works")
eq(c.error("session.resume", token="x" * 43).code, 4010, "an unknown token: 4010")
eq(c.call("staff.list"), [
    {"username": "ada", "name": "Ada", "roles": ["admin"]},
    {"username": "carla", "name": "Carla Content", "roles": ["content"]},
    {"username": "cora", "name": "Cora", "roles": ["coordinator"]},
    {"username": "dora", "name": "Dora", "roles": ["content"]},
    {"username": "gus", "name": "Gus", "roles": ["graphics"]}], "staff.list")
eq(c.call("pipelines.list"), [
    {"id": "support", "name": "Customer Support", "default_stage": "new", "stages": [
        {"id": "new", "name": "New", "closed": False},
        {"id": "in_progress", "name": "In Progress", "closed": False},
        {"id": "waiting_on_contact", "name": "Waiting on contact", "closed": False},
        {"id": "closed", "name": "Closed", "closed": True}]},
    {"id": "graphics", "name": "Graphic Support", "default_stage": "waiting_on_graphics",
     "stages": [
        {"id": "waiting_on_graphics", "name": "Waiting on Graphics", "closed": False},
        {"id": "graphics_in_progress", "name": "Graphics in progress", "closed": False},
        {"id": "graphics_complete", "name": "Graphics Complete", "closed": False}]}],
   "pipelines.list: the seeded pipelines and stages, in order, which is closed")
lo = d.client()
lo.call("session.resume", token=token)
eq(lo.call("session.logout"), {}, "session.logout")
eq(lo.error("tickets.counts").code, 4001, "after logout: 4001")
eq(d.client().error("session.resume", token=token).code, 4010, "a logged-out token is gone: 4010")
# c resumed nothing but holds the same session (session.peer made it):
# a logout ends it on every connection that uses it, on every docketd.
wait_for(lambda: "session logged out elsewhere" in d.log_text(), what="the logout to reach c")
eq(c.error("tickets.counts").code, 4001, "  ...and on the other connection using that session")
c = d.login(cl, "carla")

dora = d.login(cl, "dora")
gus = d.login(cl, "gus")
ada = d.login(cl, "ada")
cora = d.login(cl, "cora")
carla = c

# --- tickets.create, view, counts, get ---------------------------------------
s = cora.call("tickets.create", subject="Update the bus schedule", description="Route 3 changes.",
              contact_email="PRIYA@oakwood.example.org", priority="high", source="email")
tid = s["id"]
eq((s["stage"], s["priority"], s["owner"], s["contact"]["name"], s["company"]["name"], s["version"]),
   ("new", "high", None, "Priya Raman", "Oakwood Academy", 1), "tickets.create returns the summary")
ok(s["due_at"] is not None and s["created_at"].endswith("Z"), "times are RFC 3339 UTC; high has a due time")
eq(set(s), {"id", "subject", "priority", "pipeline", "stage", "owner", "graphics_owner", "contact",
            "company", "created_at", "updated_at", "last_activity_at", "due_at", "version"},
   "a summary has exactly the fields of SPEC section 6")
eq(cora.error("tickets.create", subject="x", contact_email="nobody@example.org").code, 4004,
   "create for an unknown contact: 4004")
eq(cora.error("tickets.create", subject="x", contact_email="priya@oakwood.example.org",
              priority="urgent").code, -32602, "create with a bad priority: -32602")
eq(gus.error("tickets.create", subject="x", contact_email="priya@oakwood.example.org").code, 4003,
   "graphics may not create tickets: 4003")
more = [cora.call("tickets.create", subject="Ticket %d" % i, contact_email="priya@oakwood.example.org",
                  priority=["low", "medium", "high"][i % 3])["id"] for i in range(7)]

page1 = carla.call("tickets.view", view="unassigned", limit=3)
page2 = carla.call("tickets.view", view="unassigned", limit=3, after=page1["next"])
page3 = carla.call("tickets.view", view="unassigned", limit=3, after=page2["next"])
allids = [t["id"] for p in (page1, page2, page3) for t in p["tickets"]]
eq(sorted(allids), sorted([tid] + more), "keyset pages cover the view exactly once")
eq(page3["next"], None, "the last page has next = null")
order = [(t["priority"], t["created_at"], t["id"]) for p in (page1, page2, page3) for t in p["tickets"]]
rank = {"high": 0, "medium": 1, "low": 2}
eq(order, sorted(order, key=lambda x: (rank[x[0]], x[1], x[2])), "priority high→low, then oldest, then id")
eq([t["id"] for t in carla.call("tickets.view", view="unassigned", query="bus")["tickets"]], [tid],
   "query searches the subject")
eq(len(carla.call("tickets.view", view="unassigned", query="oakwood")["tickets"]), 8,
   "query searches the company")
eq(len(carla.call("tickets.view", view="unassigned", query="priya")["tickets"]), 8,
   "query searches the contact")
eq(carla.call("tickets.counts"), {"my_open": 0, "unassigned": 8, "waiting_on_graphics": 0,
                                  "my_graphics": 0, "open": 8, "closed": 0}, "tickets.counts")
full = carla.call("tickets.get", id=tid)
eq((full["description"], full["contact"]["phone"], full["company"]["website"]),
   ("Route 3 changes.", "+1 503 555 0189", "https://oakwood.example.org"), "tickets.get: the full ticket")
for k in ("attachments", "messages", "notes", "tasks", "events"):
    ok(isinstance(full[k], list), "tickets.get has " + k)
eq(carla.error("tickets.get", id=999999).code, 4004, "tickets.get on nothing: 4004")

# --- claim and friends ---------------------------------------------------------
s = carla.call("tickets.claim", id=tid)
eq((s["owner"], s["stage"], s["version"]), ("carla", "in_progress", 2), "tickets.claim")
eq(carla.call("tickets.claim", id=tid)["version"], 2, "claiming your own again changes nothing")
e = dora.error("tickets.claim", id=tid)
eq((e.code, e.data["owner"], e.data["ticket"]["owner"]), (4009, "carla", "carla"),
   "claiming someone's ticket: 4009 naming the owner, with the ticket")
e = carla.error("tickets.set_priority", id=tid, priority="low", version=1)
eq((e.code, e.data["ticket"]["version"]), (4009, 2), "a stale version: 4009 with the current ticket")
eq(carla.call("tickets.get", id=tid)["priority"], "high", "  ...and nothing changed")
eq(dora.error("tickets.unclaim", id=tid).code, 4003, "unclaiming someone else's: 4003")
eq(dora.error("tickets.assign", id=tid, owner="dora").code, 4003, "a non-admin assigning: 4003")
s = ada.call("tickets.assign", id=tid, owner="dora")
eq(s["owner"], "dora", "an admin assigns to someone else")
eq(dora.call("notifications.list", unread=True)[0]["kind"], "assigned", "  ...who is notified")
eq(ada.error("tickets.assign", id=tid, owner="gus").code, -32602, "assigning to a non-content person: -32602")
eq(ada.error("tickets.assign", id=tid, owner="ghost").code, 4004, "assigning to nobody known: 4004")
eq(ada.error("tickets.assign", id=tid).code, -32602, "assign needs owner (null for none)")
s = ada.call("tickets.assign", id=tid, owner=None)
eq((s["owner"], s["stage"]), (None, "new"), "assign to null: back to unassigned")
s = dora.call("tickets.claim", id=tid)
s = dora.call("tickets.set_priority", id=tid, priority="low", version=s["version"])
eq((s["priority"], s["due_at"]), ("low", None), "tickets.set_priority (low has no due time)")
s = dora.call("tickets.set_stage", id=tid, stage="waiting_on_contact")
eq(s["stage"], "waiting_on_contact", "tickets.set_stage")
eq(dora.error("tickets.set_stage", id=tid, stage="graphics_complete").code, -32602,
   "a stage of another pipeline: -32602")
eq(dora.error("tickets.graphics_claim", id=tid).code, 4003, "content may not graphics-claim: 4003")
eq(gus.error("tickets.graphics_claim", id=tid).code, 4022,
   "graphics claim on a ticket not waiting on graphics: 4022")
eq(dora.error("tickets.move", id=tid, pipeline="support", stage="closed").code, 4022,
   "moving to Closed is refused: tickets.close tells the client")
eq(dora.error("tickets.move", id=tid, pipeline="graphics", stage="graphics_in_progress").code,
   4003, "content may not move to graphics in progress (tickets.graphics_claim is graphics'): 4003")
eq(ada.error("tickets.move", id=tid, pipeline="graphics", stage="graphics_in_progress").code,
   4022, "an admin moving to graphics in progress with no graphics owner is refused: 4022")
eq(gus.error("tickets.move", id=tid, pipeline="graphics").code, 4003,
   "graphics may not move tickets (content's job)")
s = dora.call("tickets.move", id=tid, pipeline="graphics")
eq((s["pipeline"], s["stage"]), ("graphics", "waiting_on_graphics"), "tickets.move to a pipeline's default stage")
eq(dora.error("tickets.unclaim", id=tid).code, 4022, "unclaim while with graphics: 4022")
eq(dora.error("tickets.move", id=tid, pipeline="nowhere").code, -32602, "move to no pipeline: -32602")
s = gus.call("tickets.graphics_claim", id=tid)
eq(gus.call("tickets.graphics_unclaim", id=tid)["stage"], "waiting_on_graphics", "tickets.graphics_unclaim")
gus.call("tickets.graphics_claim", id=tid)
eq(gus.call("tickets.graphics_complete", id=tid)["stage"], "graphics_complete", "tickets.graphics_complete")
eq(gus.error("tickets.graphics_complete", id=tid).code, 4022, "completing twice: 4022")
s = dora.call("tickets.move", id=tid, pipeline="support", stage="in_progress")
eq((s["pipeline"], s["stage"]), ("support", "in_progress"), "tickets.move to a named stage")
s = dora.call("tickets.close", id=tid)
eq(s["stage"], "closed", "tickets.close")
eq(dora.error("tickets.close", id=tid).code, 4022, "closing a closed ticket: 4022")
s = dora.call("tickets.reopen", id=tid)
eq((s["stage"], s["owner"]), ("in_progress", "dora"), "tickets.reopen (owner kept: In Progress)")
eq(dora.error("tickets.reopen", id=tid).code, 4022, "reopening an open ticket: 4022")
dora.call("tickets.unclaim", id=tid)
dora.call("tickets.close", id=tid)
eq(dora.error("tickets.move", id=tid, pipeline="support", stage="new").code, 4022,
   "a closed ticket is not moved: it is reopened")
eq(dora.call("tickets.reopen", id=tid)["stage"], "new", "reopen without owner: New")

# --- notes, messages, tasks, notifications, attachments ---------------------
n = dora.call("notes.add", ticket=tid, body="@gus @gus. @ada and an email a@b.example, @nobody")
eq(n["mentions"], ["ada", "gus"], "notes.add: mentions once each, emails and unknown names left alone")
eq(dora.error("notes.add", ticket=tid, body="   ").code, -32602, "an empty note: -32602")
m = dora.call("messages.send", ticket=tid, body="Done!")
eq(cl.sql("SELECT direction, message_id LIKE '<ticket-%%@example.com>' FROM message WHERE id = %d" % m["id"]),
   [["out", "t"]], "messages.send stores the reply with a Message-ID in mail.from's domain")
eq(gus.error("messages.send", ticket=tid, body="x").code, 4003, "graphics may not reply to clients: 4003")
t = dora.call("tasks.add", ticket=tid, title="Take the notice down", due_at="2030-01-02T10:00:00Z",
              remind_at="2030-01-02T08:00:00+00:00")
eq((t["title"], t["due_at"], t["remind_at"], t["staff"]), ("Take the notice down",
   "2030-01-02T10:00:00Z", "2030-01-02T08:00:00Z", "dora"), "tasks.add")
eq([x["id"] for x in dora.call("tasks.mine")], [t["id"]], "tasks.mine")
eq(gus.error("tasks.done", id=t["id"]).code, 4003, "someone else's task: 4003")
ok(dora.call("tasks.done", id=t["id"])["done_at"] is not None, "tasks.done")
eq(dora.call("tasks.mine"), [], "done tasks leave tasks.mine")
eq(dora.error("tasks.done", id=999999).code, 4004, "tasks.done on nothing: 4004")
notes = gus.call("notifications.list", unread=True)
eq([x["kind"] for x in notes], ["mention"], "notifications.list (unread)")
r = gus.call("notifications.read", id=notes[0]["id"])
ok(r["read_at"] is not None, "notifications.read")
eq(gus.call("notifications.list", unread=True), [], "read ones leave the unread list")
eq(len(gus.call("notifications.list")), 1, "  ...but stay in the full list")
eq(dora.error("notifications.read", id=notes[0]["id"]).code, 4004, "someone else's notification: 4004")
cl.sql("INSERT INTO attachment (ticket_id, filename, content_type, size, sha256, content) "
       "SELECT %d, 'menu.txt', 'text/plain', 5, sha256('hello'::bytea), 'hello'::bytea" % tid)
a = dora.call("tickets.get", id=tid)["attachments"][0]
eq((a["filename"], a["size"]), ("menu.txt", 5), "tickets.get lists attachments")
g = dora.call("attachments.get", id=a["id"])
eq((g["content_base64"], g["sha256"][:8]), ("aGVsbG8=", "2cf24dba"), "attachments.get")
eq(dora.error("attachments.get", id=999999).code, 4004, "attachments.get on nothing: 4004")

# --- idle timeout, disabled staff, database down -----------------------------
d.reload(session={"idle_timeout": "10s"})
idle = d.login(cl, "dora")
time.sleep(10.5)
e = idle.error("tickets.counts")
eq(e.code, 4010, "after session.idle_timeout without a request: 4010")
eq(idle.error("tickets.counts").code, 4001, "  ...then not logged in")
cl.ctl("staff", "disable", "gus")
wait_for(lambda: "disabled" in d.log_text(), what="disable to reach docketd")
eq(gus.error("tickets.counts").code, 4001, "a disabled member's live session ends")
cora_c = d.login(cl, "cora")
cora_c.call("tickets.counts")
cl.ctl("staff", "set", "cora", "--role", "content")
wait_for(lambda: d.log_text().count("disabled or changed") >= 2,
         what="the role change to reach docketd")
eq(cora_c.error("tickets.counts").code, 4001,
   "a member whose roles change signs in again (no rights kept from before)")

live = d.login(cl, "ada")
cl.pg_stop()
t0 = time.time()
e = live.error("tickets.counts")
eq(e.code, 5003, "database down: 5003")
ok(time.time() - t0 < 3, "  ...quickly (%.2fs)" % (time.time() - t0))
ok(d.proc.poll() is None, "docketd is still running")
cl.pg_start()
def back():
    try:
        live.call("tickets.counts")
        return True
    except RpcError as e:
        return e.code != 5003 and e
ok(wait_for(back, timeout=20, what="docketd to reconnect") is True, "docketd reconnects by itself")
done()
