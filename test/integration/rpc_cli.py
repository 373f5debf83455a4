"""rpc_cli.py - docket's commands for scripts (SPEC section 5), the real
binary against a real docketd: view (table and --json), show, claim and
a second claim by someone else (exit 3, the winner named on stderr),
unclaim, close, reopen, note and reply with the body on stdin (a mention
too), an empty body refused, a bad id, unknown commands and views, the
exit codes; `docket watch | head -n 3` seeing another client's claim and
exiting 0 once head has gone, `watch --since N` replaying, and a watch
resuming across a server restart without a gap or a repeat."""
import sys, os, json, pwd, subprocess, tempfile, time, http.client
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

DOCKET = os.environ["DOCKET"]
me = pwd.getpwuid(os.geteuid()).pw_name

cl = Cluster()
# carla logs in by peer credentials (the Unix user running the test),
# kari and lars with a password, as a script elsewhere would.
cl.ctl("staff", "add", "carla", "--name", "Carla Content", "--email",
       "carla@agency.example", "--role", "content", "--unix-user", me)
cl.add_staff("kari", "content", name="Kari Nordmann")
cl.add_staff("lars", "content", name="Lars Larsen")
email = cl.add_contact()
t1 = cl.new_ticket(email, "Update the lunch menu for the autumn term")
t2 = cl.new_ticket(email, "New banner")
t3 = cl.new_ticket(email, "Photos for Sports Day")
http_port = free_port()
d = cl.start_server("d1", http={"listen": "127.0.0.1:%d" % http_port})
home = tempfile.mkdtemp(prefix="docket-cli-home.", dir=cl.dir)

# No configuration of the person running the tests may leak in.
ENV = {k: v for k, v in os.environ.items()
       if k not in ("DOCKET_PASSWORD", "DOCKET_CONFIG", "XDG_CONFIG_HOME")}
ENV.update(HOME=home, LANG="C.UTF-8")


def docket(*args, input="", user=None, server=None):
    """Run docket with args; returns (exit code, stdout, stderr)."""
    env = dict(ENV)
    pre = ["--server", server or "unix:" + d.sock]
    if user:
        pre += ["--user", user]
        env["DOCKET_PASSWORD"] = "docket-pass-1"
    r = subprocess.run([DOCKET, *pre, *args], input=input, env=env,
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def subscribers():
    c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    c.request("GET", "/metrics")
    body = c.getresponse().read().decode()
    c.close()
    for line in body.splitlines():
        if line.startswith("docket_subscribers "):
            return int(float(line.split()[1]))
    return 0


kari = d.login(cl, "kari")

# ---- view ------------------------------------------------------------------
rc, out, err = docket("view", "unassigned")
lines = out.splitlines()
eq(rc, 0, "view unassigned exits 0")
ok(lines and lines[0].split() == ["ID", "PRIORITY", "STAGE", "OWNER",
                                  "SUBJECT", "CONTACT"],
   "the table starts with its header", out)
ok(all(len(l) <= 80 for l in lines), "every line fits 80 columns", out)
eq(sorted(int(l.split()[0]) for l in lines[1:]), sorted([t1, t2, t3]),
   "one row per unassigned ticket")
ok(any(l.startswith(str(t1)) and "Ola Nordmann" in l for l in lines),
   "a row shows the contact", out)
rc, out, err = docket("view", "unassigned", "--json")
try:
    js = json.loads(out)
except ValueError:
    js = None
ok(isinstance(js, list) and sorted(t["id"] for t in js) == sorted([t1, t2, t3]),
   "view --json prints the server's summaries as one array", out)
rc, out, err = docket("--json", "view", "my-open")
eq((rc, out.strip()), (0, "[]"), "my-open (with a dash) is my_open, empty")
rc, out, err = docket("view", "waiting_on_graphics")
eq(rc, 0, "view waiting_on_graphics (with underscores) exits 0")
rc, out, err = docket("view", "nonsense")
ok(rc == 2 and "unknown view" in err and "unassigned" in err,
   "an unknown view exits 2 and lists the views", (rc, err))
rc, out, err = docket("frobnicate", "1")
ok(rc == 2 and "unknown command" in err, "an unknown command exits 2", (rc, err))
rc, out, err = docket("show")
ok(rc == 2 and "usage: docket show ID" in err,
   "a missing argument exits 2 with the usage", (rc, err))
rc, out, err = docket("claim", "12abc")
ok(rc == 2 and "not a ticket number" in err, "a malformed id exits 2", (rc, err))
rc, out, err = docket("--since", "3", "view", "open")
eq(rc, 2, "--since with a command other than watch exits 2")

# ---- show ------------------------------------------------------------------
rc, out, err = docket("show", str(t1))
ok(rc == 0 and out.startswith("#%d  Update the lunch menu" % t1)
   and "Description:" in out and "Conversation:" in out and "Notes:" in out
   and "Ola Nordmann <%s>" % email in out,
   "show prints the header, description, conversation and notes", out)
rc, out, err = docket("show", str(t1), "--json")
try:
    js = json.loads(out)
except ValueError:
    js = {}
ok(rc == 0 and js.get("id") == t1 and "messages" in js and "notes" in js,
   "show --json prints the tickets.get object", out[:500])
rc, out, err = docket("show", "999999")
ok(rc == 1 and "does not exist" in err and out == "",
   "show of a ticket that does not exist exits 1, saying so", (rc, out, err))

# ---- claim, conflict, unclaim, close, reopen --------------------------------
rc, out, err = docket("claim", str(t1))
ok(rc == 0 and out.split()[:1] == [str(t1)] and " carla " in out
   and "in_progress" in out, "claim prints the new summary line", (rc, out, err))
rc, out, err = docket("claim", str(t1), user="kari")
ok(rc == 3 and "carla" in err and "Carla Content" in err and out == "",
   "a second claim by kari exits 3 and names carla on stderr", (rc, out, err))
rc, out, err = docket("claim", "999999", user="kari")
eq(rc, 1, "claiming a ticket that does not exist exits 1")
rc, out, err = docket("unclaim", str(t1), "--json")
try:
    js = json.loads(out)
except ValueError:
    js = {}
ok(rc == 0 and js.get("id") == t1 and js.get("owner") is None,
   "unclaim --json prints the summary with no owner", (rc, out, err))
rc, out, err = docket("close", str(t2))
ok(rc == 0 and str(t2) in out and kari.call("tickets.get", id=t2)["stage"] == "closed",
   "close closes the ticket", (rc, out, err))
rc, out, err = docket("reopen", str(t2))
ok(rc == 0 and kari.call("tickets.get", id=t2)["stage"] != "closed",
   "reopen opens it again", (rc, out, err))

# ---- notes and replies from stdin -------------------------------------------
rc, out, err = docket("note", str(t1), "-", input="Checked the menu, @kari please look\n")
notes = kari.call("tickets.get", id=t1)["notes"]
ok(rc == 0 and out.startswith("note ") and "mentioning kari" in out,
   "note from stdin answers with the note and its mention", (rc, out, err))
ok(notes and notes[-1]["body"] == "Checked the menu, @kari please look"
   and notes[-1]["mentions"] == ["kari"] and notes[-1]["author"] == "carla",
   "the note is on the ticket, by carla, mentioning kari", notes)
body_file = os.path.join(cl.dir, "reply.txt")
with open(body_file, "w") as f:
    f.write("Hello Ola,\n\nthe new menu is up.\n")
rc, out, err = docket("reply", str(t1), body_file, user="lars")
msgs = kari.call("tickets.get", id=t1)["messages"]
ok(rc == 0 and out.startswith("reply ") and msgs
   and msgs[-1]["body"] == "Hello Ola,\n\nthe new menu is up."
   and msgs[-1]["author"] == "lars",
   "reply from a file, with a password login, is on the ticket", (rc, out, err, msgs))
rc, out, err = docket("reply", str(t3), "-", input="Thanks, we got the photos.")
msgs = kari.call("tickets.get", id=t3)["messages"]
ok(rc == 0 and msgs and msgs[-1]["body"] == "Thanks, we got the photos.",
   "reply from stdin is on the ticket", (rc, out, err))
before = len(kari.call("tickets.get", id=t3)["notes"])
rc, out, err = docket("note", str(t3), "-", input=" \n\t\n")
ok(rc == 2 and "empty" in err
   and len(kari.call("tickets.get", id=t3)["notes"]) == before,
   "an empty body is refused (exit 2) and nothing is added", (rc, err))
rc, out, err = docket("note", "999999", "-", input="to nowhere")
eq(rc, 1, "a note on a ticket that does not exist exits 1")
r = subprocess.run([DOCKET, "--server", "unix:" + d.sock, "--user", "kari",
                    "view", "open"], env=ENV, input="", capture_output=True,
                   text=True, timeout=60)
ok(r.returncode == 2 and "DOCKET_PASSWORD" in r.stderr,
   "--user without $DOCKET_PASSWORD and no terminal exits 2, saying what to set",
   (r.returncode, r.stderr))
rc, out, err = docket("view", "open", user="kari", server="127.0.0.1:%d" % d.port)
eq(rc, 0, "over TCP with --user and $DOCKET_PASSWORD")

# ---- watch | head -n 3 -------------------------------------------------------
base = subscribers()
env = dict(ENV, DOCKET=DOCKET, SOCK="unix:" + d.sock)
p = subprocess.Popen(["sh", "-c", '"$DOCKET" --server "$SOCK" watch | head -n 3'],
                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     text=True)
wait_for(lambda: subscribers() > base, what="docket watch to subscribe")
kari.call("tickets.claim", id=t3)
kari.call("notes.add", ticket=t3, body="on it")
kari.call("tickets.set_priority", id=t3, priority="high")
try:
    out, err = p.communicate(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    out, err = p.communicate()
lines = out.splitlines()
try:
    evs = [json.loads(l) for l in lines]
except ValueError:
    evs = []
eq(p.returncode, 0, "docket watch | head -n 3 exits 0 once head has its lines")
eq(err, "", "and says nothing on stderr")
ok(len(evs) == 3 and evs[0]["seq"] < evs[1]["seq"] < evs[2]["seq"],
   "three JSON lines with increasing seq", out)
ok(any(e.get("action") == "claimed" and e.get("by") == "kari"
       and e["ticket"]["owner"] == "kari" for e in evs),
   "one of them is kari's claim", out)
wait_for(lambda: subscribers() == base, what="the watch to go away")
first = evs[0]["seq"] if evs else 0

# ---- watch --since replays --------------------------------------------------
p = subprocess.Popen(["sh", "-c", '"$DOCKET" --server "$SOCK" watch --since %d | head -n 2'
                      % first], env=env, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
out, err = p.communicate(timeout=30)
try:
    seqs = [json.loads(l)["seq"] for l in out.splitlines()]
except ValueError:
    seqs = []
eq((p.returncode, seqs), (0, [e["seq"] for e in evs[1:]]),
   "watch --since N replays what came after N, in order")

# ---- a watch across a restart ------------------------------------------------
out_path = os.path.join(cl.dir, "watch.out")
err_path = os.path.join(cl.dir, "watch.err")
with open(out_path, "w") as fo, open(err_path, "w") as fe:
    w = subprocess.Popen([DOCKET, "--server", "unix:" + d.sock, "watch"],
                         env=ENV, stdout=fo, stderr=fe)
wait_for(lambda: subscribers() > base, what="the long watch to subscribe")


def watched():
    with open(out_path) as f:
        return [json.loads(l) for l in f.read().splitlines()]


def newest():
    return int(cl.sql1("SELECT max(seq) FROM event"))


kari.call("notes.add", ticket=t1, body="before the restart")
n = newest()
wait_for(lambda: watched() and watched()[-1]["seq"] == n, what="the first event")
kari.close()
d.stop()
d.checked = True
d = cl.start_server("d1", http={"listen": "127.0.0.1:%d" % http_port})
kari = d.login(cl, "kari")
kari.call("notes.add", ticket=t1, body="while it was away, maybe")
wait_for(lambda: subscribers() > 0, what="the watch to come back")
kari.call("notes.add", ticket=t1, body="after the restart")
n = newest()
wait_for(lambda: watched() and watched()[-1]["seq"] == n,
         what="the event after the restart")
w.terminate()
w.wait(10)
seqs = [e["seq"] for e in watched()]
want = [int(s) for (s,) in cl.sql("SELECT seq FROM event WHERE seq >= %d "
                                  "AND type <> 'notification' ORDER BY seq"
                                  % seqs[0])]
eq(seqs, want, "the watch resumed after the restart: every seq once, in order")
ok("lost the server" in open(err_path).read(),
   "and said on stderr that it had lost the server", open(err_path).read())
kari.close()
# ---- no command and no terminal: the screens are not started ----------------
rc, out, err = docket()
eq((rc, out, err.strip()), (2, "", "docket: needs a terminal: use ssh -t, or a command "
                                "for scripts (docket --help)"),
   "no command, stdin and stdout not a terminal: one line and 2 (it crashed with 139)")
r = subprocess.run(["script", "-qec", "%s --server unix:%s" % (DOCKET, d.sock), "/dev/null"],
                   env={**ENV, "TERM": "dumb"}, capture_output=True, text=True, timeout=60)
ok(r.returncode == 2 and 'the terminal "dumb" cannot show' in r.stdout,
   "TERM=dumb: one line that says so, and 2", (r.returncode, r.stdout[-300:]))
done()
