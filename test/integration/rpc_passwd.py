"""rpc_passwd.py - `docketctl staff passwd` ends the member's sessions
everywhere: a live connection is logged out at once (on every docketd), a
saved token no longer resumes, the old password no longer logs in and the
new one does.  Someone else's session is left alone."""
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

cl = Cluster()
cl.add_staff("dora", "content", password="old-pass-1")
cl.add_staff("gus", "graphics")
d1 = cl.start_server("d1")
d2 = cl.start_server("d2")

# dora is logged in twice: by password over TCP on d1, and with the same
# token resumed on d2; her token is also kept, as docket keeps it to sign
# in again.  gus is logged in on d1 and must not notice anything.
live = d1.client(tcp=True)
token = live.call("session.login", username="dora", password="old-pass-1")["token"]
live.call("tickets.counts")
other = d2.client()
eq(other.call("session.resume", token=token)["staff"]["username"], "dora",
   "the token resumes on a second docketd")
other.call("tickets.counts")
gus = d1.login(cl, "gus")
gus.call("tickets.counts")


def code(client, method, **params):
    """The error code of a call, or "ok" when it succeeds."""
    try:
        client.call(method, **params)
        return "ok"
    except RpcError as e:
        return e.code

cl.ctl("staff", "passwd", "dora", "--password-stdin", input="new-pass-22\n")
eq(cl.sql1("SELECT count(*) FROM session s JOIN staff m ON m.id = s.staff_id "
           "WHERE m.username = 'dora'"), "0", "her session rows are deleted")
for srv in (d1, d2):
    try:
        wait_for(lambda: "disabled or changed" in srv.log_text(), timeout=10,
                 what="the password change to reach " + srv.name)
        reached = True
    except TimeoutError:
        reached = False
    ok(reached, "%s is told (NOTIFY docket_staff)" % srv.name)
eq(code(live, "tickets.counts"), 4001,
   "the live connection that logged in with the old password is logged out")
eq(code(other, "tickets.counts"), 4001,
   "  ...and so is the one on the other docketd")
eq(code(d1.client(), "session.resume", token=token), 4010,
   "the saved token no longer resumes")
eq(code(d2.client(tcp=True), "session.login", username="dora",
        password="old-pass-1"), 4003,
   "the old password no longer logs in")
eq(d2.client(tcp=True).call("session.login", username="dora",
                           password="new-pass-22")["staff"]["username"],
   "dora", "the new one does")
ok(isinstance(gus.call("tickets.counts"), dict),
   "someone else's session carries on")
done()
