"""screen_delivery.py - a staff reply's email as the conversation shows it:
"queued" until the relay takes it; when it fails for good (here a delivery
report, outbox_bounced()) the open ticket refreshes by itself and says
"✗ not delivered" with the mail server's words in the error colour, the
timeline has the message_failed event, the author's status line says so
and the notification list names it."""
import sys, os, pwd, re
sys.path.insert(0, os.path.dirname(__file__))
from term import *

me = pwd.getpwuid(os.geteuid()).pw_name
cl = Cluster()
cl.ctl("staff", "add", "carla", "--name", "Carla Content", "--email", "carla@agency.example",
       "--role", "content", "--unix-user", me)
cl.ctl("contact", "add", "oystein@nordlys.example.no", "--first", "Øystein", "--last", "Brå")
tid = cl.new_ticket("oystein@nordlys.example.no", "Nytt banner på forsiden")
# mail.send is off in the harness: the reply stays queued until the report.
cl.sql("SELECT message_send((SELECT id FROM staff WHERE username = 'carla'), %d, "
       "'Hei Øystein, banneret er oppe.', 'agency.example')" % tid)
msgid = cl.sql1("SELECT message_id FROM message WHERE ticket_id = %d AND direction = 'out'" % tid)
d = cl.start_server("d1")

t = Term("carla", ["--server", "unix:" + d.sock])
t.sees(r"carla · unix:.* · live", "logged in")
t.keys("5")
t.sees(r"%d .*%s" % (tid, cut("Nytt banner")), "the ticket is listed")
t.keys("Enter")
t.sees(r"About this ticket", "the ticket is open")
t.seek(r"Conversation", "  ...its conversation (below the fold at 80x24)")
t.seek(r"▶ carla, .* · queued", "a reply not yet delivered says queued")
ok(not re.search(r"not delivered", t.screen()), "  ...and nothing about a failure")

eq(cl.sql1("SELECT outbox_bounced('%s', '550 5.1.1 <oystein@nordlys.example.no>: "
           "user unknown')" % msgid), str(tid), "a delivery report marks it failed")
# (First, before a key: any key clears the status line's message.)
t.sees(r"Your reply on #%d was not delivered" % tid, "the status line tells its author")
t.seek(r"✗ not delivered: 550 5\.1\.1 <oystein@nordlys\.example\.no>: user unknown",
       "the open ticket refreshes by itself: not delivered, in the server's words",
       flat=True)
ok("queued" not in t.screen(), "  ...no longer queued")
coloured = tmux("capture-pane", "-p", "-e", "-t", t.name)
ok(re.search(r"\x1b\[[0-9;]*41[0-9;]*m[^\n]*✗ not delivered", coloured),
   "  ...in the error colour (red)", [l for l in coloured.splitlines() if "delivered" in l])
t.seek(r"message_failed\s+to oystein@nordlys\.example\.no: 550 5\.1\.1",
       "the timeline has the message_failed event, to whom and why", flat=True)
t.keys("N")
t.sees(r"#%d\s+your reply not delivered" % tid, "the notification list names it")
t.keys("q")
t.keys("Q")
done()
