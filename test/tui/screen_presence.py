"""screen_presence.py - presence in two real docket clients: a ticket one
of them opens is marked on the other's list rows (at 80, 60 and 120
columns) and on its ticket screen ("Also here"), replying shows as
replying, a second reply asks first, and the marker goes when the ticket
is closed and when the client is killed; on a second docketd with a short
lapse, a stopped client's marker lapses and comes back."""
import sys, os, pwd, re, signal, time
sys.path.insert(0, os.path.dirname(__file__))
from term import *

me = pwd.getpwuid(os.geteuid()).pw_name
cl = Cluster()
cl.ctl("staff", "add", "anna", "--name", "Anna Content", "--email",
       "anna@agency.example", "--role", "content", "--unix-user", me)
cl.add_staff("lars", "content", "Lars Content")
cl.add_contact("ola@nordlys.example.no")
other = cl.new_ticket("ola@nordlys.example.no", "Gym floor photos")
tid = cl.new_ticket("ola@nordlys.example.no", "Projector broken")
d = cl.start_server("d1")
# A marker on a list row: "anna·v" at 80 columns, the name cut to two
# ("an·v") at 60, where the subject keeps its first word.
MARK = lambda name: r"%s·v" % re.escape(name if not NARROW else name[:2])


def start_anna():
    t = Term("anna", ["--server", "unix:" + d.sock])
    t.sees(r"anna · unix:.* · live", "anna logged in")
    t.keys("5")
    t.sees(r"%d .*%s" % (tid, cut("Projector broken")), "anna's Open view lists the ticket")
    return t


anna = start_anna()
lars = Term("lars", ["--server", "unix:" + d.sock, "--user", "lars"],
            env={"DOCKET_PASSWORD": "docket-pass-1"})
lars.sees(r"lars · unix:.* · live", "lars logged in")
lars.keys("5")
lars.sees(r"%d .*%s" % (tid, cut("Projector broken")), "lars's Open view lists it")
ok("·v" not in lars.screen(), "nobody is marked yet")

# anna opens the ticket: lars's row says so, and only that row.
# The views' order is oldest first: the second row is the projector.
anna.keys("Down", "Enter")
anna.sees(r"#%d  Projector broken" % tid, "anna opens the ticket")
lars.sees(r"%d .*%s.*%s" % (tid, cut("Projector"), MARK("anna")),
          "lars's list row shows anna·v (an·v at 60 columns)")
ok(not re.search(r"%d .*anna" % other, lars.screen()),
   "  ...not on the other ticket's row")
ok("Also here" not in anna.screen(), "anna does not see herself")

lars.resize(60, 20)
lars.sees(r"%d .*Projec… an·v" % tid,
          "the marker at 60x20, the name cut before the subject is")
lars.resize(120, 30)
lars.sees(r"%d .*Projector broken.*anna viewing" % tid,
          "the long form at 120 columns")
lars.resize(80, 24)
lars.sees(r"%d .*anna·v" % tid, "back at 80 columns")

# lars opens it too: each sees the other under the title.
lars.keys("Down", "Enter")
lars.sees(r"Also here: anna \(viewing\)", "lars's ticket screen: Also here: anna")
anna.sees(r"Also here: lars \(viewing\)", "anna's: Also here: lars")

# anna writes a reply: replying.
anna.keys("r")
anna.sees(r"Reply to the client on #%d" % tid, "anna opens the reply composer")
lars.sees(r"Also here: anna \(replying\)", "lars sees anna replying")
lars.keys("r")
lars.sees(r"Anna Content is replying to the client\. Reply anyway\? y/n",
          "lars's reply asks first")
lars.keys("n")
lars.gone(r"Reply anyway", "n: no")
ok("Reply to the client on" not in lars.screen(), "  ...and no composer")
lars.keys("r")
lars.sees(r"Reply anyway\? y/n", "asked again")
lars.keys("y")
lars.sees(r"Reply to the client on #%d" % tid, "y: the composer opens")
anna.sees(r"Also here: lars \(replying\)",
          "anna, writing, sees lars start replying (under the composer's title)")
lars.keys("Escape")
lars.gone(r"Reply to the client on", "lars cancels the empty reply")
anna.sees(r"Also here: lars \(viewing\)", "lars is back to viewing")
anna.keys("Escape")
anna.gone(r"Reply to the client on", "anna cancels too")
lars.sees(r"Also here: anna \(viewing\)", "anna is back to viewing")

# anna closes the ticket: her marker goes.
anna.keys("q")
anna.sees(r"%d .*%s" % (tid, cut("Projector")), "anna is back on the list")
lars.gone(r"Also here", "lars: nobody else here")
anna.sees(r"%d .*%s.*%s" % (tid, cut("Projector"), MARK("lars")), "anna's row shows lars·v")



def docket_pid(term):
    """The docket process in term's pane (a child of the pane's shell)."""
    pane = tmux("list-panes", "-t", term.name, "-F", "#{pane_pid}").strip()
    for k in open("/proc/%s/task/%s/children" % (pane, pane)).read().split():
        if os.path.basename(os.readlink("/proc/%s/exe" % k)) == "docket":
            return int(k)
    raise RuntimeError("no docket in " + term.name)


# lars's client is killed: his marker goes (the connection closes).
os.kill(docket_pid(lars), signal.SIGKILL)
# The shell's line lands where docket left the cursor and may wrap
# anywhere: read the screen with its line breaks taken out.
lars.until(lambda s: "docketexited" in re.sub(r"\s", "", s), "lars's docket is killed")
anna.gone(MARK("lars"), "the killed client's marker goes", timeout=40)

# Another docketd on the database, with a short lapse: lars on it, anna on
# d1.  A client that stops (SIGSTOP: its connection stays open, nothing is
# refreshed) has its marker lapse; it comes back when the client goes on.
LAPSE = 3
d2 = cl.start_server("d2", session={"presence_lapse": "%ds" % LAPSE})
lars2 = Term("lars2", ["--server", "unix:" + d2.sock, "--user", "lars"],
             env={"DOCKET_PASSWORD": "docket-pass-1"})
lars2.sees(r"lars · %s · live" % addr("unix:" + d2.sock), "lars logs in on d2")
lars2.keys("5")
lars2.sees(r"%d .*%s" % (tid, cut("Projector")), "lars's list on d2")
lars2.keys("Down", "Enter")
lars2.sees(r"#%d  Projector broken" % tid, "lars opens the ticket on d2")
anna.sees(r"%d .*%s.*%s" % (tid, cut("Projector"), MARK("lars")), "anna on d1 sees lars on d2")
# Refreshed (every lapse/3, as the server's lapse is short): it stays.
end = time.time() + LAPSE * 2.5
stayed = True
while time.time() < end:
    stayed = stayed and bool(re.search(MARK("lars"), anna.screen()))
    time.sleep(0.2)
ok(stayed, "lars's marker stays while his client refreshes (%.1fs)"
   % (LAPSE * 2.5))
pid = docket_pid(lars2)
os.kill(pid, signal.SIGSTOP)
anna.gone(MARK("lars"), "a stopped client's marker lapses", timeout=LAPSE + 6)
os.kill(pid, signal.SIGCONT)
anna.sees(r"%d .*%s.*%s" % (tid, cut("Projector"), MARK("lars")), "...and comes back when it goes on",
          timeout=15)
lars2.keys("q")
anna.gone(MARK("lars"), "lars closes the ticket")
lars2.keys("Q")
anna.keys("Q")
done()
