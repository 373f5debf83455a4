"""ctl_mail_corpus.py - every message of the mail corpus through the real
`docketctl mail-in` into a real PostgreSQL, as an MTA delivers it: the
crafted cases of test/mail/cases/ (each sender a known contact) and, when
Debian's libpython3.11-testsuite is installed, CPython's own email test
messages (with mail.unknown_senders: create, since their senders are
nobody we know).  For each: the exit code (0; 65 only for a message with
no sender address), whether it became a ticket (a personal message) or
not (a delivery report or an auto-reply: never a contact, never a
ticket), and that what the database kept is what the parser read
(docket-maildump, which test/mail/run_cases.py and python_corpus.py check
against the expectations and against Python's email package): the
message's text exactly, and every file, byte for byte (SHA-256 and size),
in order.  Nothing a school sends may be lost between the parser and the
ticket."""
import sys, os, glob, json, hashlib, subprocess, email, email.policy
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

BUILD = os.environ["DOCKET_BUILD_DIR"]
MAILDUMP = os.path.join(BUILD, "test", "docket-maildump")
CASES = sorted(glob.glob(os.path.join(SOURCE, "test", "mail", "cases", "*.eml")))
PYTHON = sorted(glob.glob("/usr/lib/python3.11/test/test_email/data/msg_*.txt"))

cl = Cluster()
plain = cl.write_config("plain", {})
create = cl.write_config("create", {"mail": {"unknown_senders": "create"}})


def dump(raw):
    p = subprocess.run([MAILDUMP], input=raw, capture_output=True, check=True)
    return json.loads(p.stdout)


def mail_in(raw, config):
    p = subprocess.run([*VALGRIND, DOCKETCTL, "--config", config, "mail-in"],
                       input=raw, capture_output=True)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def sender(raw):
    m = email.message_from_bytes(raw, policy=email.policy.default)
    try:
        addrs = m["From"].addresses if m["From"] else ()
    except Exception:
        return None
    return addrs[0].addr_spec if addrs and "@" in addrs[0].addr_spec else None


def run(path, config, known):
    """One message; returns a list of what is wrong with it."""
    raw = open(path, "rb").read()
    want = dump(raw)
    # Each message on its own: earlier ones (and their Message-IDs) gone.
    cl.sql("TRUNCATE ticket, contact, outbox, notification CASCADE")
    frm = sender(raw)
    if known and frm:
        cl.sql("INSERT INTO contact (email, first_name) VALUES ('%s', 'Case')"
               % frm.replace("'", "''"))
    rc, out, err = mail_in(raw, config)
    personal = want["automatic"] == "personal"
    wrong = []
    if not want["from"] and personal:
        if rc != 65:
            wrong.append("no sender: exit %d, not 65 (%s)" % (rc, err.strip()))
        return wrong
    if rc != 0:
        return ["exit %d: %s" % (rc, (out + err).strip())]
    tickets = int(cl.sql1("SELECT count(*) FROM ticket"))
    if not personal:
        if tickets or int(cl.sql1("SELECT count(*) FROM contact")) != (1 if known and frm else 0):
            wrong.append("a %s became a ticket or a contact" % want["automatic"])
        return wrong
    if tickets != 1:
        return ["%d tickets, not 1 (%s)" % (tickets, out.strip())]
    # psql's unaligned rows are split on newlines: read the body as JSON.
    body = json.loads(cl.sql1("SELECT to_json(body)::text FROM message"))
    if len(want["body"].encode()) <= 1000000 and body != want["body"]:
        wrong.append("text differs: kept %r, parsed %r" % (body[:80], want["body"][:80]))
    files = cl.sql("SELECT encode(sha256, 'hex'), size FROM attachment ORDER BY id")
    wanted = [[f["sha256"], str(f["size"])] for f in want["files"]]
    if files != wanted:
        wrong.append("files differ: kept %s, parsed %s" % (files, wanted))
    return wrong


# Past what the parser turns into text (an HTML part over 2 MiB, a text
# over what a message holds), the rest is a file: the ticket says so, and
# the bytes are all there.
cl.sql("TRUNCATE ticket, contact CASCADE")
cl.sql("INSERT INTO contact (email, first_name) VALUES ('big@school.example.no', 'Big')")
html = ("<html><body>" + "<p>Nyhetsbrev fra skolen, uke 49.</p>\n" * 80000
        + "</body></html>\n").encode()
text = ("Referat fra foreldremøtet, linje for linje.\n" * 30000).encode()
for what, ctype, payload, note, name in [
        ("an HTML part of %d bytes" % len(html), "text/html", html,
         "[a long HTML text: kept as part-1.html]", "part-1.html"),
        ("a text of %d bytes" % len(text), "text/plain", text,
         "[The text goes on: all of it is in the attached message-text.txt.]",
         "message-text.txt")]:
    # The file holds the message's text as read: its last newline trimmed.
    kept = payload if ctype == "text/html" else payload.rstrip(b"\n")
    cl.sql("TRUNCATE ticket CASCADE")
    raw = (b"From: big@school.example.no\nTo: support@agency.example\n"
           b"Subject: Stort\nMessage-ID: <big-" + ctype.encode() + b"@school.example.no>\n"
           b"Content-Type: " + ctype.encode() + b"; charset=utf-8\n\n" + payload)
    rc, out, err = mail_in(raw, plain)
    body = json.loads(cl.sql1("SELECT coalesce(to_json(body)::text, '\"\"') FROM message") or '""')
    files = cl.sql("SELECT filename, size, encode(sha256, 'hex') FROM attachment")
    eq((rc, body.endswith(note), files),
       (0, True, [[name, str(len(kept)), hashlib.sha256(kept).hexdigest()]]),
       "%s: a ticket that says where the rest is, and every byte as a file" % what)

# Forwards inside forwards: only the outermost is a file (it holds the
# rest), so one message cannot store many times its own size.
import base64
blob = base64.encodebytes(os.urandom(1 << 20))
inner = (b"From: a@b.example\nSubject: innerst\nContent-Type: application/octet-stream\n"
         b"Content-Transfer-Encoding: base64\n\n" + blob)
for i in range(40):
    inner = (b"From: f%d@b.example\nSubject: Fwd %d\nMIME-Version: 1.0\n"
             b"Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n"
             b"Content-Type: text/plain\n\nSe under.\n--b%d\nContent-Type: message/rfc822\n\n"
             % (i, i, i, i, i) + inner + b"\n--b%d--\n" % i)
raw = (b"From: big@school.example.no\nTo: support@agency.example\nMessage-ID: <fwd40@x>\n"
       + inner.split(b"\n", 1)[1])
cl.sql("TRUNCATE ticket CASCADE")
rc, out, err = mail_in(raw, plain)
stored = int(cl.sql1("SELECT coalesce(sum(size), 0) FROM attachment"))
ok(rc == 0 and stored <= 2 * len(raw) + 65536,
   "40 forwards deep, %d bytes: %d bytes of files stored (at most twice the message)"
   % (len(raw), stored), (rc, out, err))

bad = 0
for path in CASES:
    wrong = run(path, plain, known=True)
    ok(not wrong, "case %s: exit code, ticket, text and files as parsed"
       % os.path.basename(path)[:-4], "; ".join(wrong))
    bad += bool(wrong)
if PYTHON:
    failures = []
    for path in PYTHON:
        wrong = run(path, create, known=False)
        if wrong:
            failures.append("%s: %s" % (os.path.basename(path), "; ".join(wrong)))
    ok(not failures, "CPython's %d test messages: each taken (or 65 without a sender), "
       "text and files kept as parsed" % len(PYTHON), "\n".join(failures))
else:
    print("# SKIPPED: CPython's email test messages (install libpython3.11-testsuite)")
done()
