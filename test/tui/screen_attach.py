"""screen_attach.py - a ticket's attachments in the real docket: listed
numbered with their sizes as people read them; s asks which, then where
(Enter: $XDG_DOWNLOAD_DIR), and saves it byte for byte, a 1.2 MB one too
(three pieces of attachments.get); saving it again does not overwrite the
first; O opens a text one in $PAGER in the terminal, and docket has its
screen back afterwards."""
import sys, os, pwd, hashlib, stat
sys.path.insert(0, os.path.dirname(__file__))
from term import *

me = pwd.getpwuid(os.geteuid()).pw_name
cl = Cluster()
cl.ctl("staff", "add", "carla", "--name", "Carla Content", "--email", "carla@agency.example",
       "--role", "content", "--unix-user", me)
email = cl.add_contact("ola@nordlys.example.no")
tid = cl.new_ticket(email, "Menus for December")
big = os.urandom(1200 * 1000)
text = "Mandag: fiskegrateng\nTirsdag: taco\n".encode()
cl.sql("INSERT INTO attachment (ticket_id, filename, content_type, size, sha256, content) "
       "VALUES (%d, 'meny.txt', 'text/plain', %d, sha256('\\x%s'::bytea), '\\x%s'::bytea)"
       % (tid, len(text), text.hex(), text.hex()))
with open(os.path.join(cl.dir, "big.bin"), "wb") as f:
    f.write(big)
os.chmod(cl.dir, 0o755)
cl.sql("INSERT INTO attachment (ticket_id, filename, content_type, size, sha256, content) "
       "SELECT %d, 'poster.png', 'image/png', length(b), sha256(b), b "
       "FROM (SELECT pg_read_binary_file('%s') AS b) x" % (tid, os.path.join(cl.dir, "big.bin")))
d = cl.start_server("d1")

down = os.path.join(cl.dir, "Downloads")
os.mkdir(down)
seen = os.path.join(cl.dir, "paged.txt")
pager = os.path.join(cl.dir, "pager.sh")
with open(pager, "w") as f:
    f.write("#!/bin/sh\ncp \"$1\" %s\n" % seen)
os.chmod(pager, 0o755)
t = Term("attach", ["--server", "unix:" + d.sock],
         env={"XDG_STATE_HOME": cl.dir, "XDG_DOWNLOAD_DIR": down, "PAGER": pager})
t.sees(r"carla · .* · live", "logged in")
t.keys("5")
t.sees(r"Menus", "the ticket is listed")
t.keys("Enter")
t.seek(r"Attachments\s+\(s saves, O opens\)", "the ticket shows its attachments")
t.seek(r"1\. meny\.txt \(text/plain, %d bytes\)" % len(text), "  ...numbered, the size in bytes")
t.seek(r"2\. poster\.png \(image/png, 1\.2 MB\)", "  ...and in MB")

t.keys("s")
t.sees(r"Save which attachment \(1-2\)\?", "s asks which, when there are several")
t.type("2")
t.keys("Enter")
# (At 60 columns the folder offered gives way at its start, so that the
# label leaves a third of the line to type in: "…/Downloads/)".)
ask = r"(?m)^Save poster\.png to \(Enter: (%s|…\S*/Downloads)/\):\s*$" % re.escape(down)
shown = t.until(lambda s: re.search(ask, s), "  ...then where, offering $XDG_DOWNLOAD_DIR") or ""
label = [l for l in shown.splitlines() if l.startswith("Save poster")][:1]
ok(label and display_width(label[0].rstrip()) < COLS - 10,
   "  ...in a label that leaves room to type a path", label)
t.keys("Enter")
t.sees_flat(r"Saved %s/poster\.png" % re.escape(down), "  ...and saves it")
path = os.path.join(down, "poster.png")
ok(open(path, "rb").read() == big, "  ...byte for byte (1.2 MB, in three pieces)")
ok(stat.S_IMODE(os.stat(path).st_mode) == 0o600, "  ...readable by its owner only")
t.keys("s")
t.type("2")
t.keys("Enter")
t.keys("Enter")
t.sees_flat(r"Could not write %s/poster\.png: File exists" % re.escape(down),
       "saving again does not overwrite the first")

t.keys("O")
t.type("1")
t.keys("Enter")
t.until(lambda s: os.path.exists(seen), "O opens the text one in $PAGER")
# The pager's cp may still be writing when the file appears.
t.until(lambda s: open(seen, "rb").read() == text, "  ...with its bytes")
t.seek(r"1\. meny\.txt", "docket has its screen back after the pager")
t.keys("s")
t.type("7")
t.keys("Enter")
t.sees(r"No attachment 7", "a number that is not there is refused")
t.keys("Q")
done()
