"""screen_narrow.py - the tab bar and the status line at the spec's 80x24
and at 60x20, the smallest size the client is for: every view's tab is
there with its count and the active one always says which it is (tab 6
used to fall off the end at 80 columns, so no tab looked active), and the
unread count stays on the status line (at 60 columns it used to go); help
scrolls to its end and no further."""
import sys, os, pwd, re
sys.path.insert(0, os.path.dirname(__file__))
from term import *

me = pwd.getpwuid(os.geteuid()).pw_name
cl = Cluster()
cl.ctl("staff", "add", "carla", "--name", "Carla Content", "--email", "carla@agency.example",
       "--role", "content", "--unix-user", me)
email = cl.add_contact("ola@nordlys.example.no")
for i in range(3):
    cl.new_ticket(email, "Request %d" % i)
cl.add_staff("gus", "graphics", "Gus Graphics", password=None)
cl.sql("UPDATE ticket SET owner_id = (SELECT id FROM staff WHERE username = 'carla'), "
       "stage = 'waiting_on_contact' WHERE subject = 'Request 0'")
cl.sql("UPDATE ticket SET owner_id = (SELECT id FROM staff WHERE username = 'carla'), "
       "graphics_owner_id = (SELECT id FROM staff WHERE username = 'gus'), "
       "pipeline = 'graphics', stage = 'graphics_in_progress' WHERE subject = 'Request 1'")
d = cl.start_server("d1")

t = Term("narrow", ["--server", "unix:" + d.sock], 80, 24, env={"XDG_STATE_HOME": cl.dir})
t.sees(r"carla · .* · live", "logged in at 80x24")
top = lambda: t.screen().splitlines()[0]
t.sees(r"1 Mine 2 .*2 Unassigned 1 .*6 Closed 0", "80 columns: all six tabs, short titles, counts")
t.keys("5")
t.sees(r"Request 0 .*Wait contact\s+carla ", "80 columns: Waiting on contact reads Wait contact")
t.sees(r"Request 1 .*Gfx working\s+carla/gus", "  ...a graphics ticket shows its owner and graphics owner")
t.keys("6")
t.sees(r"No tickets|#\s+Pri", "tab 6 opens")
ok(re.search(r"6 Closed 0", top()), "  ...and its tab is on the bar", top())
ok(re.search(r"0 unread · \? help", t.screen().splitlines()[-1]), "80 columns: unread and the help hint",
   t.screen().splitlines()[-1])

t.resize(60, 20)
t.until(lambda s: len(s.splitlines()[0].rstrip()) <= 60 and "6 Closed" in s.splitlines()[0],
        "60x20: the active tab keeps its title")
ok(re.search(r"1:2 .*2:1 .*6 Closed 0", top()), "  ...the others as number and count", top())
t.keys("2")
t.until(lambda s: "2 Unassigned 1" in s.splitlines()[0], "60x20: switching tabs moves the title")
last = lambda: t.screen().splitlines()[-1]
ok(re.search(r"\b0 unread\b", last()), "60x20: the unread count stays on the status line", last())
# Help at 60x20 scrolls to its end and no further.
t.keys("?")
t.sees(r"Keys\s+\(q to go back\)", "help opens at 60x20")
for _ in range(8):
    t.keys("PageDown")
end = t.until(lambda s: "In a note or reply" in s, "paging down reaches the end of help")
t.keys("PageDown")
t.keys("Down")
same = t.until(lambda s: "In a note or reply" in s, "  ...and stays there")
body = lambda s: [l for l in (s or "").splitlines()[2:-2] if l.strip()]
ok(end and same and body(end) == body(same) and len(body(same)) >= 10,
   "  ...no further: the screen stays full", (body(end)[:3], body(same)[:3]))
t.keys("q")
t.resize(40, 20)
t.keys("6")
t.until(lambda s: "6 Closed" in s.splitlines()[0], "40 columns: the tabs scroll so the active one shows")
t.keys("Q")

# client.mouse: a click on a tab shows it; on a row selects it, and a
# second click opens it; the wheel scrolls.  Sent as the terminal would
# (xterm's mouse report: ESC [ M, then button, column, row, each + 32).
conf = os.path.join(cl.dir, "mouse.yaml")
with open(conf, "w") as f:
    f.write("server: {socket: %s}\nclient: {mouse: true}\n" % d.sock)
m = Term("mouse", ["--config", conf], env={"XDG_STATE_HOME": cl.dir})
m.sees(r"carla · .* · live", "with client.mouse: logged in")
def click(col, row, button=0):
    for b in ([button, 3] if button < 64 else [button]):  # press, release
        tmux("send-keys", "-t", "mouse", "-H", "1b", "5b", "4d",
             "%02x" % (32 + b), "%02x" % (33 + col), "%02x" % (33 + row))
bar = m.screen().splitlines()[0]
# The Open tab: " 5 Open 3 ", or " 5:3 " at 60 columns.
col = re.search(r" 5[ :]", bar).start() + 1
click(col + 2, 0)
m.until(lambda s: len(re.findall(r"(?m)^\d+ .*Request \d", s)) == 3,
        "a click on the Open tab shows it")
rows = [i for i, l in enumerate(m.screen().splitlines()) if re.match(r"\d+ ", l)]
click(10, rows[1])
click(10, rows[1])
m.sees(r"About this ticket", "a click selects a row, a second click opens it")
m.keys("q")
m.sees(r"#\s+Pri\s+Subject", "back to the list")
click(10, rows[0], 65)  # the wheel, down
m.keys("Q")
done()
