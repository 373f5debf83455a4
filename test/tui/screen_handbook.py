"""screen_handbook.py - the handbook cycle in two real docket clients at
once, a content updater (peer login on the Unix socket) and a graphics
updater (password login), each seeing the other's changes without a
keypress: claim, a refused claim naming the winner, a note whose @mention
raises the other's notification, hand to graphics, graphics claim and
complete, close."""
import sys, os, pwd
sys.path.insert(0, os.path.dirname(__file__))
from term import *

me = pwd.getpwuid(os.geteuid()).pw_name
cl = Cluster()
cl.ctl("staff", "add", "carla", "--name", "Carla Content", "--email", "carla@agency.example",
       "--role", "content", "--unix-user", me)
cl.add_staff("gus", "graphics", "Gus Graphics")
cl.add_staff("dora", "content", "Dora Content")
cl.ctl("company", "add", "Nordlys skole", "--website", "https://nordlys.example.no")
cl.ctl("contact", "add", "ola@nordlys.example.no", "--first", "Ola", "--last", "Nordmann",
       "--company", "Nordlys skole")
tid = cl.new_ticket("ola@nordlys.example.no", "Winter concert banner")
d = cl.start_server("d1")

carla = Term("carla", ["--server", "unix:" + d.sock])
gus = Term("gus", ["--server", "unix:" + d.sock, "--user", "gus"],
           env={"DOCKET_PASSWORD": "docket-pass-1"})
dora = Term("dora", ["--server", "127.0.0.1:%d" % d.port, "--user", "dora"],
            env={"DOCKET_PASSWORD": "docket-pass-1"})
carla.sees(r"carla · unix:.* · live", "content updater logged in by peer credentials")
gus.sees(r"gus · unix:.* · live", "graphics updater logged in with a password")
dora.sees(r"dora · 127\.0\.0\.1:\d+ · live", "a third person over TCP")

carla.keys("2")
carla.sees(r"%d .*%s.*New" % (tid, cut("Winter concert banner")), "Unassigned lists the new ticket")
dora.keys("5")
dora.sees(r"%d .*%s" % (tid, cut("Winter concert banner")), "dora sees it in Open")
gus.keys("5")
carla.keys("c")
carla.sees(r"Claimed #%d" % tid, "c claims; the status line says so")
carla.gone(r"%d .*%s" % (tid, cut("Winter concert banner")), "the ticket leaves carla's Unassigned")
gus.sees(r"%d .*%s.*In Progress.*carla" % (tid, cut("Winter concert banner")),
         "gus's Open view shows carla as owner without a keypress")
# (At 60 columns a tab other than the active one is its number and count.)
carla.sees(r"1 (My Open|Mine) 1 | 1:1 ", "carla's My Open count went up")

dora.sees(r"%d .*carla" % tid, "dora's list updated too")
dora.keys("c")
dora.sees(r"Already claimed by Carla Content", "a refused claim names the winner, not a code")

carla.keys("1", "Enter")
carla.sees(r"#%d  Winter concert banner" % tid, "Enter opens the ticket")
carla.sees(r"Ola Nordmann", "the contact card")
carla.seek(r"Nordlys skole · https://nordlys.example.no", "the school with its website")
carla.keys("n")
carla.sees(r"Internal note on #%d" % tid, "n opens the note composer")
carla.type("Hi @gu")
carla.keys("Tab")
carla.sees(r"Hi @gus\b", "Tab completes @gus")
carla.type("could you make a 1920×600 banner?")
carla.keys("C-s")
carla.sees(r"Note added; 1 tagged", "Ctrl-S sends; one person tagged")
gus.sees(r"@ carla mentioned you on #%d" % tid, "gus gets the mention at once")
gus.sees(r"1 unread", "gus's unread count")
carla.seek(r"could you make a 1920×600 banner\?", "the note shows in carla's open ticket")

carla.keys("H")
carla.sees(r"Handed to graphics: #%d" % tid, "H hands it to graphics")
gus.keys("3")
gus.sees(r"%d .*%s.*(Waiting on Graphics|Wait gfx)" % (tid, cut("Winter concert banner")), "it is waiting in gus's Graphics tab")
gus.keys("c")
gus.sees(r"Claimed for graphics #%d" % tid, "c on a graphics ticket is the graphics claim")
carla.seek(r"Graphics\s+gus", "carla's open ticket updates in place: graphics owner gus")
gus.keys("4")
gus.sees(r"%d .*(Graphics in progress|Gfx working)" % tid, "in gus's My Graphics")
gus.keys("D")
gus.sees(r"Graphics completed on #%d" % tid, "D completes the graphics")
carla.sees(r"Graphics complete on #%d by gus" % tid, "carla is notified at once")

gus.keys("N")
gus.sees(r"#%d\s+carla\s+mentioned you" % tid, "N lists gus's notifications")
gus.keys("Enter")
gus.sees(r"#%d  Winter concert banner" % tid, "Enter opens the notification's ticket")

carla.keys("x")
carla.sees(r"Closed #%d" % tid, "x closes")
gus.keys("q", "5")
gus.gone(r"%d .*%s" % (tid, cut("Winter concert banner")), "the closed ticket leaves gus's Open view")
gus.keys("6")
gus.sees(r"%d .*%s.*Closed" % (tid, cut("Winter concert banner")), "and shows in Closed")
eq(cl.sql1("SELECT string_agg(action, ',' ORDER BY id) FROM event WHERE ticket_id = %d "
           "AND type <> 'notification'" % tid),
   "created,claimed,note_added,handed_to_graphics,graphics_claimed,graphics_completed,closed",
   "the timeline in the database is the handbook's")
carla.keys("Q")
carla.sees(r"docket exited 0", "Q quits cleanly")
done()
