"""screen_compose_files.py - the composer attaches files: Ctrl-A asks for
a path at the prompt, where Tab completes a file name (to the longest
common prefix, listing the choices when there are several); the files
show in the composer with their sizes, Ctrl-X removes one, and they go
with the reply or note in pieces (uploads.begin / uploads.append).  A
reply with two files (one of three pieces) and a note with one reach the
server byte for byte (checked in the database); a missing path, a folder
and a file over the server's limit each give one clear line and change
nothing."""
import sys, os, pwd, hashlib
sys.path.insert(0, os.path.dirname(__file__))
from term import *

me = pwd.getpwuid(os.geteuid()).pw_name
cl = Cluster()
cl.ctl("staff", "add", "carla", "--name", "Carla Content", "--email",
       "carla@agency.example", "--role", "content", "--unix-user", me)
email = cl.add_contact("ola@nordlys.example.no")
tid = cl.new_ticket(email, "Menus for December")
d = cl.start_server("d1")

# The files, under a home of the test's own: ~/files/...
home = os.path.join(cl.dir, "home")
files = os.path.join(home, "files")
os.makedirs(os.path.join(files, "old"))
report = os.urandom(300 * 1000)
poster = os.urandom(1300 * 1000)  # three pieces of 512 KiB
menu = "Mandag: fiskegrateng\nTirsdag: taco\n".encode()
for name, data in (("report-2024.pdf", report), ("report-2025.pdf", b"x"),
                   ("poster.png", poster), ("menu.txt", menu)):
    with open(os.path.join(files, name), "wb") as f:
        f.write(data)
with open(os.path.join(files, "huge.bin"), "wb") as f:
    f.truncate(30 * 1000 * 1000)  # sparse: over the 25 MiB limit

t = Term("compose", ["--server", "unix:" + d.sock],
         env={"XDG_STATE_HOME": cl.dir, "HOME": home})
t.sees(r"carla · .* · live", "logged in")
t.keys("5")
t.sees(r"Menus for", "the ticket is listed")
t.keys("Enter")
# Its contact card comes with tickets.get: the ticket is loaded, and r
# acts on it (a key before that could come too early under load).
t.sees(r"#%d(.*\n)+.*Ola Nordmann" % tid, "the ticket opens")
t.keys("r")
t.sees(r"Reply to the client on #%d" % tid, "r opens the reply composer")
t.type("Here are the files: the report and the poster.")

PROMPT = r"(?m)Attach file \(Tab completes\): "
# ---- Tab completion ---------------------------------------------------------
t.keys("C-a")
t.sees(PROMPT.rstrip()[4:], "Ctrl-A asks for a path")
t.type("~/files/re")
t.keys("Tab")
t.until(lambda s: re.search(PROMPT + r"~/files/report-202 *$", s) and
        re.search(r"report-2024\.pdf +report-2025\.pdf", s),
        "Tab: the longest common prefix, and the two choices listed")
t.type("4")
t.keys("Tab")
t.sees(PROMPT + r"~/files/report-2024\.pdf *$", "  ...then the one name in full")
ok("report-2025.pdf" not in t.screen(), "  ...and the list goes")
t.keys("Enter")
t.sees(r"Attached report-2024\.pdf \(300 kB\)", "Enter attaches it")
t.sees(r"Attached: 1\. report-2024\.pdf \(300 kB\)", "  ...listed in the composer")
t.keys("C-a")
t.type("~/fi")
t.keys("Tab")
t.sees(PROMPT + r"~/files/ *$", "a folder completes with its /")
t.type("po")
t.keys("Tab")
t.sees(PROMPT + r"~/files/poster\.png *$", "  ...and a file in it")
t.keys("Enter")
t.sees(r"2\. poster\.png \(1\.3 MB\)", "a second file, in MB")

# ---- what cannot be attached -----------------------------------------------
for typed, why, what in (
        ("~/files/nothing.pdf", r"Cannot attach ~/files/nothing\.pdf: no such file",
         "a missing file"),
        ("~/files/old", r"Cannot attach ~/files/old: it is a folder", "a folder"),
        ("~/files/huge.bin",
         r"Cannot attach ~/files/huge\.bin: it is 30 MB, and the server takes",
         "a file over the server's limit")):
    t.keys("C-a")
    t.type(typed)
    t.keys("Enter")
    # One message, on two lines when the terminal is narrow.
    t.sees_flat(why, what + " is refused, saying why")
t.keys("C-a")
t.type("~/files/no")
t.keys("Tab")
t.sees(r"\(no file matches\)", "Tab with no match says so")
t.keys("Escape")
t.until(lambda s: "1. report-2024.pdf" in s and "2. poster.png" in s and
        "3." not in s, "  ...and nothing changed: still two files")

# ---- removing one --------------------------------------------------------------
t.keys("C-a")
t.type("~/files/menu.txt")
t.keys("Enter")
t.sees(r"3\. menu\.txt \(\d+ bytes\)", "a third file")
t.keys("C-x")
t.sees(r"Remove which file \(1-3\)\?", "Ctrl-X asks which")
t.type("3")
t.keys("Enter")
t.sees(r"Removed menu\.txt", "  ...and removes it")
t.gone(r"menu\.txt \(", "  ...from the composer")

# ---- sent -----------------------------------------------------------------------
t.keys("C-s")
t.sees(r"Reply sent to the client", "Ctrl-S uploads the files and sends the reply",
       timeout=20)


def stored(where):
    return cl.sql("SELECT filename, size, encode(sha256(content), 'hex') "
                  "FROM attachment WHERE ticket_id = %d AND %s ORDER BY id"
                  % (tid, where))


msg = cl.sql1("SELECT max(id) FROM message WHERE ticket_id = %d" % tid)
eq(stored("message_id = %s" % msg),
   [["report-2024.pdf", str(len(report)), hashlib.sha256(report).hexdigest()],
    ["poster.png", str(len(poster)), hashlib.sha256(poster).hexdigest()]],
   "the reply's two files are stored byte for byte")
t.seek(r"poster\.png \(image/png, 1\.3 MB\)", "the ticket lists them")

t.keys("n")
t.sees(r"Internal note on #%d" % tid, "n opens a note")
t.type("The menu, for the record.")
t.keys("C-a")
t.type("~/files/menu.txt")
t.keys("Enter")
t.sees(r"Attached: 1\. menu\.txt", "a file on the note")
t.keys("C-s")
t.sees(r"Note added", "the note is sent with it")
eq(stored("message_id IS NULL"),
   [["menu.txt", str(len(menu)), hashlib.sha256(menu).hexdigest()]],
   "the note's file is stored byte for byte")
eq(cl.sql1("SELECT count(*) FROM upload"), "0", "no upload is left pending")
t.keys("Q")
done()
