"""screen_graphics_ssh.py - issue 17's "Done when", in one run: gus, a
graphics updater with nothing on the server but an SSH key (no Unix
account, no password), types `ssh -t GATEWAY@127.0.0.1 -p PORT` to a
real sshd, sees Waiting on Graphics with who is looking at what (lars has
the ticket open in another client), claims the ticket and completes it;
carla, the content updater who owns it, watches in another tmux window
and sees each stage change on her screen without a keypress.  Runs at
the size term.py gives (80x24, or 60x20 as screen_graphics_ssh_60x20).
Needs root and openssh-server (sshgw.py): else skipped (77)."""
import sys, os, pwd
sys.path.insert(0, os.path.dirname(__file__))
from term import *
import sshgw

sshgw.require()
me = pwd.getpwuid(os.geteuid()).pw_name
cl = Cluster()
cl.ctl("staff", "add", "carla", "--name", "Carla Content", "--email",
       "carla@agency.example", "--role", "content", "--unix-user", me)
cl.add_staff("lars", "content", name="Lars Content")
# gus: a graphics updater with a key and nothing else.
cl.ctl("staff", "add", "gus", "--name", "Gus Graphics", "--email",
       "gus@agency.example", "--role", "graphics")
gus_key, gus_fp = sshgw.new_key(cl, "gus")
cl.ctl("staff", "key", "add", "gus", "--label", "laptop",
       input=open(gus_key + ".pub").read())
email = cl.add_contact("ola@nordlys.example.no")
tid = cl.new_ticket(email, "Winter concert banner")
sshgw.make_gateway()
d = cl.start_server("d1", server=sshgw.server_options())
port = sshgw.start_sshd(cl, d)
eq(cl.sql1("SELECT count(*) FROM staff WHERE username = 'gus' AND "
           "(unix_user IS NOT NULL OR password_hash IS NOT NULL)"), "0",
   "gus has no Unix account and no password: only his key")

# carla, the owner, on the server's host (peer credentials).
carla = Term("carla", ["--server", "unix:" + d.sock])
carla.sees(r"carla · unix:.* · live", "carla logs in")
carla.keys("2")
carla.sees(r"%d .*Win" % tid, "carla's Unassigned lists the ticket")
carla.keys("c")
carla.sees(r"Claimed #%d" % tid, "carla claims it")
carla.keys("1")
carla.sees(r"%d .*Win.*In Prog" % tid, "carla's My Open lists it")
carla.keys("H")
carla.sees(r"Handed to graphics: #%d" % tid, "  ...and she hands it to graphics")
carla.sees(r"%d .*Win.*Wait" % tid, "carla's My Open: waiting on graphics")

# lars looks at it from another client.
lars = Term("lars", ["--server", "unix:" + d.sock, "--user", "lars"],
            env={"DOCKET_PASSWORD": "docket-pass-1"})
lars.sees(r"lars · unix:.* · live", "lars logs in")
lars.keys("3")
lars.sees(r"%d .*Win" % tid, "lars's Waiting on Graphics")
lars.keys("Enter")
lars.sees(r"#%d  Winter concert banner" % tid, "lars opens the ticket")

# gus, over ssh with his key.
gus = sshgw.SshTerm("gus", gus_key, port)
gus.sees(r"gus · unix:.* · live", "gus logs in with `ssh -t`, by his key alone",
         timeout=20)
eq(cl.sql1("SELECT s.ssh_fingerprint FROM session s JOIN staff st ON "
           "st.id = s.staff_id WHERE st.username = 'gus'"), gus_fp,
   "  ...his session is his key's")
gus.keys("3")
gus.sees(r"3 (Waiting on Graphics|Graphics|Gfx) 1", "gus's tab 3, Waiting on Graphics, counts 1")
gus.sees(r"%d .*Win.*lar?s?·v" % tid,
         "gus sees the ticket, marked: lars is viewing it")
gus.keys("c")
gus.sees(r"Claimed for graphics #%d" % tid, "gus claims it (the graphics claim)")
carla.sees(r"%d .*Win.*(Gfx work|Graphics in)" % tid,
           "carla's screen: Graphics in progress, without a keypress")
lars.sees(r"Stage\s+Graphics in progress", "lars's open ticket updates in place")
gus.keys("4")
gus.sees(r"%d .*Win" % tid, "gus's My Graphics has it")
gus.keys("D")
gus.sees(r"Graphics completed on #%d" % tid, "gus completes it")
carla.sees(r"%d .*Win.*(Gfx compl|Graphics Compl)" % tid,
           "carla's screen: Graphics Complete, live")
carla.sees(r"[1-9] unread", "  ...and her unread count says she was told")
lars.sees(r"Stage\s+Graphics Complete", "lars's ticket too")
eq(cl.sql1("SELECT stage || ' ' || coalesce((SELECT username FROM staff "
           "WHERE id = graphics_owner_id), '-') FROM ticket WHERE id = %d" % tid),
   "graphics_complete gus", "the database agrees: completed, by gus")
gus.keys("q")
gus.sees(r"ssh exited 0", "q leaves docket and ssh")
done()
