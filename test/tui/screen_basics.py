"""screen_basics.py - the help screen lists every bound key (read from
keys.def, the same list the client is built from), resizing relayouts at
once, UTF-8 names and subjects (Norwegian, Dutch, CJK, emoji) keep the
columns aligned, and after docketd restarts the client reconnects, resumes
and shows what changed meanwhile without a keypress; given two servers, it
moves to the second when the first drains."""
import sys, os, pwd, re
sys.path.insert(0, os.path.dirname(__file__))
from term import *

me = pwd.getpwuid(os.geteuid()).pw_name
cl = Cluster()
cl.ctl("staff", "add", "carla", "--name", "Carla Content", "--email", "carla@agency.example",
       "--role", "content", "--unix-user", me)
for email, first, last, subject in (
        ("oystein@nordlys.example.no", "Øystein", "Brå", "Nytt banner på forsiden"),
        ("ijsbrand@ijssel.example.nl", "Ĳsbrand", "de Jong", "Nieuwe foto’s voor de site"),
        ("wang@school.example.cn", "王", "小明", "更新学校日历 (calendar)"),
        ("zoe@lakeview.example.org", "Zoë", "Fischer", "🎉 Party photos for Sports Day")):
    cl.ctl("contact", "add", email, "--first", first, "--last", last)
    cl.new_ticket(email, subject)
d = cl.start_server("d1", session={"idle_timeout": "10s"})
editor = os.path.join(cl.dir, "fake-editor")
with open(editor, "w") as f:
    # Stands in for the person at the editor: adds a line and saves.
    f.write("#!/bin/sh\nprintf 'Written in the editor\\n' >> \"$1\"\n")
os.chmod(editor, 0o755)

# --- $EDITOR on a draft, and the idle lock ------------------------------------
e = Term("editor", ["--server", "unix:" + d.sock],
         env={"EDITOR": editor, "VISUAL": "", "XDG_STATE_HOME": cl.dir})
e.sees(r"carla · .* · live", "logged in (editor)")
e.keys("5")
e.wait(cut("Party photos"))
e.keys("Enter")
e.sees(r"About this ticket", "a ticket is open")
e.keys("n")
e.type("Typed here. ")
e.keys("C-e")
e.sees(r"Typed here. Written in the editor", "Ctrl-E: the editor's text comes back into the draft")
ok(any(n.startswith("draft-") for n in os.listdir(os.path.join(cl.dir, "docket"))),
   "  ...kept in a draft file under $XDG_STATE_HOME/docket while unsent")
e.keys("C-s")
e.sees(r"Note added", "the edited note is sent")
e.seek(r"Typed here. Written in the editor", "  ...and shows on the ticket")
ok(not any(n.startswith("draft-") for n in os.listdir(os.path.join(cl.dir, "docket"))),
   "  ...and its draft file is gone")
e.sees(r"Locked after 0 minutes without a key", "idle past session.idle_timeout: the screen locks",
       timeout=20)
e.keys("Enter")
e.sees(r"Welcome back, Carla Content", "Enter signs in again by peer credentials")
e.seek(r"About this ticket", "  ...back where it was")
e.keys("Q")

# --- help is the keymap ------------------------------------------------------
t = Term("help", ["--server", "unix:" + d.sock])
t.sees(r"carla · .* · live", "logged in")
t.keys("?")
t.sees(r"Keys\s+\(q to go back\)", "? opens help")
helps = re.findall(r'ACTION\(\w+, "([^"]+)"',
                   open(os.path.join(SOURCE, "tui", "keys.def")).read())
# Help is longer than 24 (or 20) rows: read it a page at a time to its
# end (PgDn scrolls 10 lines, less than a page, so a description that
# wraps is whole on some page), each page read as one line.
pages = [t.wait(r"Keys\s+\(q to go back\)")]
while "Esc cancels." not in re.sub(r" *\n *", " ", pages[-1]) and len(pages) < 12:
    t.keys("PageDown")
    t.until(lambda s: s != pages[-1], "  ...PageDown scrolls help", timeout=3)
    pages.append(t.screen())
flat = " ".join(re.sub(r" *\n *", " ", p) for p in pages)
ok(all(h in flat for h in helps),
   "help lists every action of keys.def (%d), wrapped, not cut" % len(helps),
   [h for h in helps if h not in flat])
screen = "\n".join(pages)
ok(re.search(r"^\s+c\s+claim", screen, re.M) and re.search(r"^\s+j Down\s+next line", screen, re.M),
   "help shows each action's keys")
t.keys("q")
t.sees(r"#\s+Pri\s+Subject", "q goes back to the list")

# --- configuration: rebinding shows in help; mistakes name file and line ---
conf = os.path.join(cl.dir, "client.yaml")
with open(conf, "w") as f:
    f.write("server:\n  socket: %s\nclient:\n  default_view: unassigned\n"
            "  keys: {claim: C, help: \"? F1x\"}\n" % d.sock)
bad = Term("bad", ["--config", conf])
bad.sees_flat(r'docket: %s:5:20: client.keys.help: "F1x" is not a key' % re.escape(conf),
         "a bad key binding is refused with file, line and column")
bad.sees(r"docket exited 1", "  ...and docket exits 1 before taking the screen")
with open(conf, "w") as f:
    f.write("server:\n  socket: %s\nclient:\n  default_view: unassigned\n"
            "  keys: {claim: C}\n" % d.sock)
k = Term("keys", ["--config", conf])
k.sees(r"\[?2 Unassigned 4", "client.default_view opens Unassigned")
k.keys("?")
rebound = k.seek(r"(?m)^\s+C\s+claim", "help shows the rebound key") or ""
ok(not re.search(r"^\s+c\s+claim", rebound, re.M), "  ...and not the old one")
k.keys("Q")

# --- resize ------------------------------------------------------------------
t.resize(130, 40)
t.sees(r"1 My Open Tickets 0", "wider: full view titles")
t.resize(80, 24)
t.sees(r"1 Mine 0 .*6 Closed", "narrower: shorter titles, so that all six tabs fit")
ok(all(display_width(l) <= 80 for l in t.screen().splitlines()), "nothing drawn past 80 columns")

# --- UTF-8 columns -------------------------------------------------------------
t.keys("5")
t.sees(r"Party photos", "the emoji subject is listed")
# Whole rows only: up to the owner (none) and the age or due, the last column.
whole = lambda s: [l for l in s.splitlines()
                   if re.match(r"\d{4} .* New +— +((due|late) )?(\d+[mhdw]|-) *$", l)]
rows = whole(t.until(lambda s: len(whole(s)) == 4, "four tickets in Open") or "")
cols = sorted({display_width(l[:l.index(" New ")]) for l in rows})
eq(len(cols), 1, "the Stage column starts at the same screen column on every row (%s)" % cols)
ok(any("Øystein Brå" in l for l in rows) and any("王 小明" in l for l in rows) and
   any("Ĳsbrand" in l for l in rows), "names in Norwegian, Dutch and Chinese are shown")
ok(all(display_width(l) <= 80 for l in rows), "wide characters are cut to the column, not past it")

# --- losing the server ---------------------------------------------------------
# (Back at the test's size: at 60 columns the banner wraps.)
t.resize(COLS, ROWS)
t.keys("2")
t.sees(r"2 Unassigned 4", "Unassigned before the restart")
d.stop()
t.sees_flat(r"Disconnected from unix:.* — offline, retry in \d+s\. Your work is kept\.",
            "a banner says the server is gone and when it retries")
t.sees(r"offline, retry in \d+s", "the status line says offline")
new = cl.new_ticket("zoe@lakeview.example.org", "Made while the server was down")
d = cl.start_server("d1")
t.sees(r"carla · .* · live", "reconnected and resumed by itself", timeout=30)
t.sees(cut("Made while the"), "the change made meanwhile shows up without a keypress")
t.sees(r"2 Unassigned 5", "counts caught up")
ok(d.proc.poll() is None, "the restarted server runs")
ok("session.resume" in d.log_text(), "the client resumed its session by token")
t.keys("Q")

# --- several instances: a drained server sends the client to the next ----------
d2 = cl.start_server("d2")
two = Term("two", ["--server", "unix:%s,unix:%s" % (d.sock, d2.sock)])
two.sees(r"carla · %s · live" % addr("unix:" + d.sock), "connected to the first of two servers")
two.keys("2")
two.sees(r"2 Unassigned 5", "Unassigned on the first server")
d.stop()
two.sees(r"carla · %s · live" % addr("unix:" + d2.sock),
         "when the first drains, the client resumes on the second", timeout=15)
cl.new_ticket("zoe@lakeview.example.org", "Made after the failover")
two.sees(cut("Made after the failover"), "and stays live there")
two.sees(r"2 Unassigned 6", "counts follow")
ok("session.resume" in d2.log_text(), "the session was resumed by token on the second")
two.keys("Q")
done()
