"""rpc_uploads.py - files from a staff client (SPEC section 6): a file
sent in pieces with uploads.begin and uploads.append, then attached by
naming it in notes.add or messages.send; read back byte for byte with
attachments.get.  And what must not work: a piece at the wrong offset (the
error says where to go on; the same piece again is fine), past the size,
not base64 or over 512 KiB, someone else's upload, an incomplete one, one
that does not match its SHA-256 (the note is then not added either), an
upload used twice, more than 20 pending, and uploads older than an hour
(dropped)."""
import sys, os, base64, hashlib
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

cl = Cluster()
cl.add_staff("carla", "content", "Carla Content")
cl.add_staff("gus", "graphics", "Gus Graphics")
email = cl.add_contact("ola@nordlys.example.no")
tid = cl.new_ticket(email, "New logo")
d = cl.start_server("d1")
carla = d.login(cl, "carla")
gus = d.login(cl, "gus")

PIECE = 512 * 1024
data = os.urandom(PIECE * 2 + 12345)  # three pieces


def begin(c, name, content, **kw):
    p = {"filename": name, "content_type": "image/png", "size": len(content),
         "sha256": hashlib.sha256(content).hexdigest()}
    p.update(kw)
    return c.call("uploads.begin", **p)["upload"]


def send(c, up, content):
    got = None
    for at in range(0, len(content), PIECE):
        got = c.call("uploads.append", upload=up, offset=at,
                     content_base64=base64.b64encode(content[at:at + PIECE]).decode())
    return got


def code(e):
    return getattr(e, "code", None)


up = begin(gus, "logo-200px.png", data)
ok(len(up) == 36, "uploads.begin answers an upload id")
e = gus.error("uploads.append", upload=up, offset=100, content_base64="AAAA")
ok(code(e) == 4009 and "offset 0" in str(e), "a piece at the wrong offset: 4009 saying where to go on", e)
eq(send(gus, up, data), {"received": len(data)}, "three pieces: received is the size")
eq(gus.call("uploads.append", upload=up, offset=PIECE,
            content_base64=base64.b64encode(data[PIECE:2 * PIECE]).decode()),
   {"received": len(data)}, "the same piece again (a lost answer): taken as there")
e = gus.error("uploads.append", upload=up, offset=len(data), content_base64="AAAA")
eq(code(e), -32602, "a piece past the size: -32602")
e = gus.error("uploads.append", upload=up, offset=0, content_base64="not base64!")
eq(code(e), -32602, "not base64: -32602")
e = gus.error("uploads.append", upload=up, offset=0,
              content_base64=base64.b64encode(b"x" * (PIECE + 1)).decode())
eq(code(e), -32602, "a piece over 512 KiB: -32602")
e = carla.error("uploads.append", upload=up, offset=len(data), content_base64="")
eq(code(e), 4004, "someone else's upload: 4004")
e = carla.error("notes.add", ticket=tid, body="mine now", attachments=[up])
eq((code(e), cl.sql1("SELECT count(*) FROM note")), (4004, "0"),
   "  ...and it cannot be attached by them (nothing added)")

r = gus.call("notes.add", ticket=tid, body="Here it is, 200px wide.", attachments=[up])
eq([a["filename"] for a in r["attachments"]], ["logo-200px.png"], "notes.add attaches the upload")
t = gus.call("tickets.get", id=tid)
a = [x for x in t["attachments"] if x["filename"] == "logo-200px.png"]
ok(len(a) == 1 and a[0]["size"] == len(data) and a[0]["sha256"] == hashlib.sha256(data).hexdigest(),
   "  ...on the ticket with its size and SHA-256", a)
back = b""
while len(back) < len(data):
    piece = gus.call("attachments.get", id=a[0]["id"], offset=len(back), length=PIECE)
    back += base64.b64decode(piece["content_base64"])
ok(back == data, "  ...and attachments.get gives it back byte for byte")
e = gus.error("notes.add", ticket=tid, body="again", attachments=[up])
eq(code(e), 4004, "an upload used already: 4004")

# A reply's files belong to its message.
small = b"%PDF-1.4 menu"
up2 = begin(carla, "meny.pdf", small, content_type="application/pdf")
send(carla, up2, small)
r = carla.call("messages.send", ticket=tid, body="Vedlagt er menyen.", attachments=[up2])
eq(cl.sql1("SELECT count(*) FROM attachment WHERE message_id = %d AND filename = 'meny.pdf'" % r["id"]),
   "1", "messages.send: the file is tied to the reply's message")

# Incomplete, or not what it said: nothing is added.
up3 = begin(carla, "half.png", data)
carla.call("uploads.append", upload=up3, offset=0,
           content_base64=base64.b64encode(data[:PIECE]).decode())
notes = cl.sql1("SELECT count(*) FROM note")
e = carla.error("notes.add", ticket=tid, body="half", attachments=[up3])
eq((code(e), cl.sql1("SELECT count(*) FROM note")), (-32602, notes),
   "an incomplete upload: -32602, and the note is not added")
up4 = begin(carla, "liar.png", b"hello", sha256=hashlib.sha256(b"other").hexdigest())
send(carla, up4, b"hello")
e = carla.error("notes.add", ticket=tid, body="liar", attachments=[up4])
ok(code(e) == -32602 and "SHA-256" in str(e), "a file that does not match its SHA-256: -32602", e)
e = carla.error("notes.add", ticket=tid, body="x", attachments=["not-an-id"])
eq(code(e), -32602, "attachments that are not upload ids: -32602")

# Bad beginnings.
for what, kw in [("a size over 25 MiB", {"size": 26214401}),
                 ("no file name", {"filename": ""}),
                 ("a type that is not a MIME type", {"content_type": "image"}),
                 ("a SHA-256 that is not 64 hex digits", {"sha256": "abc"})]:
    e = carla.error("uploads.begin", **{**{"filename": "a.png", "content_type": "image/png",
                                          "size": 1, "sha256": "0" * 64}, **kw})
    eq(code(e), -32602, "uploads.begin with %s: -32602" % what)

# At most 20 pending per person; an hour later they are gone.
cl.sql("DELETE FROM upload")
for i in range(20):
    begin(gus, "f%d.png" % i, b"x")
e = gus.error("uploads.begin", filename="f21.png", content_type="image/png", size=1,
              sha256=hashlib.sha256(b"x").hexdigest())
eq(code(e), 4029, "the 21st pending upload: 4029")
cl.sql("UPDATE upload SET created_at = now() - interval '61 minutes'")
begin(carla, "fresh.png", b"x")
eq(cl.sql1("SELECT count(*) FROM upload"), "1", "uploads older than an hour are dropped")
eq(cl.sql1("SELECT count(*) FROM upload_piece WHERE upload_id NOT IN (SELECT id FROM upload)"), "0",
   "  ...with their pieces")
e = Client(d.sock).error("uploads.begin", filename="a.png", content_type="image/png", size=1,
                         sha256="0" * 64)
eq(code(e), 4001, "not logged in: 4001")
done()
