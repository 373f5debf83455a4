"""screen_navigation.py - the screens as a stack, walked as a person
would: q goes back where they came from (help to the screen it was opened
on; a ticket opened from the notifications to them, then to the list), a
view key goes straight to the list, the composer over a ticket keeps its
draft until it is discarded, Esc cancels a prompt; and docket exits 0 on Q
from a ticket and on SIGTERM with a draft open (in the sanitizer build,
so without a leak or an error)."""
import sys, os, pwd, re, signal, subprocess
sys.path.insert(0, os.path.dirname(__file__))
from term import *

me = pwd.getpwuid(os.geteuid()).pw_name
cl = Cluster()
cl.ctl("staff", "add", "carla", "--name", "Carla Content", "--email", "carla@agency.example",
       "--role", "content", "--unix-user", me)
cl.add_staff("gus", "graphics", "Gus Graphics", password=None)
email = cl.add_contact("ola@nordlys.example.no")
t1 = cl.new_ticket(email, "Winter concert banner")
t2 = cl.new_ticket(email, "Spring fair poster")
d = cl.start_server("d1")

LIST = r"#\s+Pri\s+Subject"
NOTIFICATIONS = r"Notifications\s+\(Enter opens"
t = Term("nav", ["--server", "unix:" + d.sock], env={"XDG_STATE_HOME": cl.dir})
t.sees(r"carla · .* · live", "logged in")
t.keys("5")
rows = lambda s: re.findall(r"(?m)^(\d+) .*(?:%s|%s)" % (cut("Winter concert"), cut("Spring fair")), s)
screen = t.until(lambda s: len(rows(s)) == 2, "Open lists both tickets")
first = int(rows(screen)[0]) if screen else t1

# --- help over a ticket, and back --------------------------------------------
t.keys("Enter")
t.sees(r"#%d  " % first, "Enter opens the ticket under the cursor")
t.keys("?")
t.sees(r"Keys\s+\(q to go back\)", "? opens help over the ticket")
t.keys("q")
t.sees(r"#%d  .*\n(.*\n)*.*About this ticket" % first, "q from help goes back to the ticket")
t.keys("q")
t.sees(LIST, "q from the ticket goes back to the list")

# --- a ticket opened from the notifications goes back to them ----------------
g = d.login(cl, "gus")
g.call("notes.add", ticket=t2, body="@carla the poster is ready for a look")
t.sees(r"@ gus mentioned you on #%d" % t2, "the mention arrives")
t.keys("Enter")
t.sees(r"#%d  " % first, "a ticket is open")
t.keys("N")
t.sees(r"#%d\s+gus\s+mentioned you" % t2, "N over the ticket lists the notifications")
t.keys("Enter")
t.sees(r"#%d  Spring fair poster" % t2, "Enter opens the notification's ticket")
t.seek(r"the poster is ready for a look", "  ...with gus's note")
t.keys("q")
t.sees(NOTIFICATIONS, "q goes back to the notifications")
t.keys("q")
t.sees(LIST, "q from the notifications goes to the list")

# --- a view key from a ticket --------------------------------------------------
t.keys("Enter")
t.sees(r"About this ticket", "a ticket is open")
t.keys("2")
t.sees(LIST, "2 on a ticket goes straight to the list")
t.gone(r"About this ticket", "  ...and the ticket is closed")
t.keys("5")
t.sees(r"%d .*%s" % (t1, cut("Winter concert")), "back in Open")

# --- the composer over a ticket, and a prompt ----------------------------------
t.keys("Enter")
t.sees(r"#%d  " % first, "the ticket again")
t.keys("n")
t.sees(r"Internal note on #%d" % first, "n opens the composer over the ticket")
t.type("Kept while I think")
t.sees(r"Kept while I think", "the draft is typed")
t.keys("Escape")
t.sees(r"Discard this draft\? y/n", "Esc with a draft asks first")
t.keys("n")
t.gone(r"Discard this draft", "n keeps it")
t.sees(r"Internal note on #%d(.*\n)+.*Kept while I think" % first, "  ...in the composer")
t.keys("Escape")
t.sees(r"Discard this draft\? y/n", "Esc asks again")
t.keys("y")
t.sees(r"Draft discarded", "y discards it")
t.sees(r"About this ticket", "  ...and the ticket shows again")
t.keys("p")
t.sees(r"Priority: h high", "p asks on the prompt line")
t.keys("Escape")
t.gone(r"Priority: h high", "Esc cancels the prompt")

# --- ways out ------------------------------------------------------------------
t.keys("r")
t.sees(r"Reply to the client on #%d" % first, "r opens a reply")
t.type("An unsent reply")
t.sees(r"An unsent reply", "  ...typed, not sent")
shell = tmux("list-panes", "-t", "nav", "-F", "#{pane_pid}").strip()
pid = int(subprocess.run(["pgrep", "-P", shell], capture_output=True,
                         text=True).stdout.split()[0])
os.kill(pid, signal.SIGTERM)
t.sees(r"docket exited 0", "SIGTERM with a draft open: docket exits 0")

q = Term("quit", ["--server", "unix:" + d.sock])
q.sees(r"carla · .* · live", "logged in again")
q.keys("5")
q.sees(r"%d .*%s" % (t1, cut("Winter concert")), "Open")
q.keys("Enter")
q.sees(r"About this ticket", "a ticket is open")
q.keys("Q")
q.sees(r"docket exited 0", "Q on a ticket quits with 0")
done()
