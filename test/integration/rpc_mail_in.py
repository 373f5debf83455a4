"""rpc_mail_in.py - mail that comes back, end to end: docketd sends over
SMTP to a real server on loopback (aiosmtpd), and what the world answers
goes through the real `docketctl mail-in`, as an MTA's pipe runs it, while
a staff member's client watches the feed.  A delivery report quoting our
reply's Message-ID (as Postfix writes one) marks that reply failed with the
server's words, pushed and notified once; a contact's answer to the
"request complete" email reopens the ticket and tells the owner, in the
terminal and by email; an out-of-office answer is neither a message nor a
ticket; a staff member's answer to the mention email they got is a note
by them.  Each exits 0, so that the MTA neither retries nor bounces."""
import sys, os, time, subprocess, email, email.policy
sys.path.insert(0, os.path.dirname(__file__))
from harness import *
from mail_sink import start_sink


sink, port = start_sink()

cl = Cluster()
cl.add_staff("carla", "content", "Carla Content")
cl.add_staff("gus", "graphics", "Gus Graphics")
cl.ctl("contact", "add", "kari@nordlys.example.no", "--first", "Kari", "--last", "Nordmann")
tid = cl.new_ticket("kari@nordlys.example.no", "Ny meny på nettsiden")
mail = {"send": True, "smtp_url": "smtp://127.0.0.1:%d" % port,
        "from": "Support <support@agency.example>", "retry_backoff": "1s"}
d = cl.start_server("d1", mail=mail)
carla = d.login(cl, "carla")
carla.subscribe()


def mail_in(raw):
    """docketctl mail-in with raw on stdin, as the MTA runs it."""
    path = cl.write_config("ctl", {})
    p = subprocess.run([*VALGRIND, DOCKETCTL, "--config", path, "mail-in"],
                       input=raw, capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def sent(kind, to, after=0):
    """The message of an outbox kind the sink got for address to."""
    def find():
        mid = cl.sql1("SELECT message_id FROM outbox WHERE kind = '%s' AND to_addr = '%s' "
                      "AND sent_at IS NOT NULL ORDER BY id DESC LIMIT 1" % (kind, to))
        for frm, rcpt, m in sink.messages[after:]:
            if mid and m["Message-ID"] == mid:
                return m.raw, m
        return None
    try:
        return wait_for(find, timeout=20, what="the %s email to %s" % (kind, to))
    except TimeoutError:
        ok(False, "the %s email to %s arrives" % (kind, to),
           cl.sql("SELECT id, kind, to_addr, last_error FROM outbox"))
        raise


def push(pred, what):
    try:
        return carla.wait_push(lambda p: p.get("method") == "event" and pred(p["params"]),
                               timeout=20)["params"]
    except TimeoutError:
        ok(False, what, [p.get("params") for p in carla.pushes][-5:])
        return None


carla.call("tickets.claim", id=tid)
reply = carla.call("messages.send", ticket=tid, body="Hei Kari, menyen er oppdatert.")
raw, m = sent("reply", "kari@nordlys.example.no")
ours = m["Message-ID"]
ok(push(lambda e: e.get("action") == "message_delivered" and e["ticket"]["id"] == tid
        and e["change"].get("message") == reply["id"], "message_delivered push") is not None,
   "the relay took the reply: message_delivered pushed live (no client stays at queued)")
got = {x["id"]: x for x in carla.call("tickets.get", id=tid)["messages"]}[reply["id"]]
eq((got["delivery"], got["delivery_error"]), ("sent", None), "  ...and tickets.get says sent")
headers = raw.split(b"\r\n\r\n", 1)[0].decode()

# ---- a delivery report, as Postfix writes one, days later -------------------------
dsn_head = """Return-Path: <>
Received: from mx.nordlys.example.no by mail.agency.example; Wed, 2 Dec 2026 09:01:00 +0100
Date: Wed, 2 Dec 2026 09:01:00 +0100 (CET)
From: MAILER-DAEMON@mx.nordlys.example.no (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: support@agency.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4F2A1.1764662460/mx.nordlys.example.no"
Message-Id: <20261202080100.4F2A1@mx.nordlys.example.no>

This is a MIME-encapsulated message.

--4F2A1.1764662460/mx.nordlys.example.no
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.nordlys.example.no.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<kari@nordlys.example.no>: host mx.nordlys.example.no said: 550 5.1.1
    <kari@nordlys.example.no>: Recipient address rejected: User unknown

--4F2A1.1764662460/mx.nordlys.example.no
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.nordlys.example.no
X-Postfix-Queue-ID: 4F2A1
Arrival-Date: Wed,  2 Dec 2026 09:00:58 +0100 (CET)

Final-Recipient: rfc822; kari@nordlys.example.no
Original-Recipient: rfc822;kari@nordlys.example.no
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <kari@nordlys.example.no>: Recipient address
    rejected: User unknown

--4F2A1.1764662460/mx.nordlys.example.no
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

"""
dsn_tail = """

--4F2A1.1764662460/mx.nordlys.example.no--
"""
dsn = (dsn_head + headers.replace("\r\n", "\n") + dsn_tail).encode()
# A report that quotes our Message-ID but names someone else as the
# recipient that failed (as a forger who saw the id in a CC might write):
# not taken.
forged = (dsn_head.replace("kari@nordlys.example.no", "nobody@elsewhere.example")
          + headers.replace("\r\n", "\n") + dsn_tail).encode()
rc, out, err = mail_in(forged)
eq((rc, "does not name its recipient" in out,
    cl.sql1("SELECT delivery FROM message WHERE id = %d" % reply["id"])),
   (0, True, "sent"), "a report naming another recipient: exit 0, the reply stays sent")

contacts = cl.sql1("SELECT count(*) FROM contact")
tickets = cl.sql1("SELECT count(*) FROM ticket")
mails = len(sink.messages)
rc, out, err = mail_in(dsn)
eq(rc, 0, "a delivery report for our reply: exit 0 (the MTA must not bounce a bounce)")
ok("failed" in out and str(tid) in out, "  ...saying what it did", out + err)
got = {x["id"]: x for x in carla.call("tickets.get", id=tid)["messages"]}[reply["id"]]
eq(got["delivery"], "failed", "  ...the reply is marked failed on the ticket")
ok("550 5.1.1" in (got["delivery_error"] or "") and "User unknown" in got["delivery_error"],
   "  ...with the server's words", got["delivery_error"])
ev = push(lambda e: e.get("action") == "message_failed" and e["ticket"]["id"] == tid,
          "  ...message_failed pushed to the staff client")
ok(ev is not None, "  ...message_failed pushed live to the staff client")
note = push(lambda e: e.get("type") == "notification"
            and e["notification"]["kind"] == "mail_failed",
            "  ...the author is notified (mail_failed)")
ok(note is not None, "  ...the author is notified in the terminal (mail_failed)")
raw2, m2 = sent("mail_failed", "carla@agency.example", mails)
ok("550 5.1.1" in m2.get_content(), "  ...and by email, with the server's words")
eq((cl.sql1("SELECT count(*) FROM contact"), cl.sql1("SELECT count(*) FROM ticket")),
   (contacts, tickets), "  ...no contact for MAILER-DAEMON, no ticket")
rc, out, err = mail_in(dsn)
eq((rc, cl.sql1("SELECT count(*) FROM notification WHERE kind = 'mail_failed'")), (0, "1"),
   "the same report again: exit 0, nobody notified twice")

# A report for a message that is not ours changes nothing.
rc, out, err = mail_in(dsn.replace(ours.encode(), b"<someone-else@elsewhere.example>"))
eq((rc, cl.sql1("SELECT count(*) FROM notification WHERE kind = 'mail_failed'"),
    cl.sql1("SELECT count(*) FROM ticket")), (0, "1", tickets),
   "a report about someone else's message: exit 0, nothing changes")

# ---- an answer to "your request is complete" -------------------------------------
mails = len(sink.messages)
carla.call("tickets.close", id=tid)
raw, closed = sent("closed", "kari@nordlys.example.no", mails)
answer = ("""From: Kari Nordmann <kari@nordlys.example.no>
To: support@agency.example
Subject: Re: %s
Message-ID: <kari-answer-1@nordlys.example.no>
In-Reply-To: %s
References: %s
Date: Wed, 2 Dec 2026 10:00:00 +0100
Content-Type: text/plain; charset=utf-8

Takk! Men lenken til kantina virker ikke.
""" % (closed["Subject"], closed["Message-ID"], closed["Message-ID"])).encode()
carla.pushes.clear()
mails = len(sink.messages)
rc, out, err = mail_in(answer)
eq((rc, out.strip()), (0, "reply added to ticket %d (reopened)" % tid),
   "a contact's answer to the close email: the ticket reopens")
t = carla.call("tickets.get", id=tid)
eq((t["stage"], t["owner"]), ("in_progress", "carla"), "  ...in progress, still carla's")
ok(push(lambda e: e.get("action") == "reopened" and e["ticket"]["id"] == tid,
        "reopened push") is not None, "  ...pushed live: reopened")
ok(push(lambda e: e.get("action") == "message_received" and e["ticket"]["id"] == tid,
        "message_received push") is not None, "  ...and message_received")
ok(push(lambda e: e.get("type") == "notification"
        and e["notification"]["kind"] == "client_reply", "client_reply push") is not None,
   "  ...the owner is told in the terminal (client_reply)")
raw, m = sent("client_reply", "carla@agency.example", mails)
ok("kantina" in m.get_content(), "  ...and by email, with the client's words")

# ---- an out-of-office answer -------------------------------------------------------
messages = cl.sql1("SELECT count(*) FROM message")
tickets = cl.sql1("SELECT count(*) FROM ticket")
ooo = answer.replace(b"Message-ID: <kari-answer-1@", b"Message-ID: <kari-ooo-1@") \
            .replace(b"Subject: Re:", "Auto-Submitted: auto-replied\nSubject: Fravær: Re:".encode()) \
            .replace("Takk! Men lenken til kantina virker ikke.".encode(),
                     "Jeg er på ferie til 14. desember.".encode())
rc, out, err = mail_in(ooo)
eq((rc, cl.sql1("SELECT count(*) FROM message"), cl.sql1("SELECT count(*) FROM ticket")),
   (0, messages, tickets), "an out-of-office answer: exit 0, no message and no ticket")

# ---- a staff member answers the mention email ---------------------------------------
mails = len(sink.messages)
carla.call("notes.add", ticket=tid, body="@gus kan du lage et ikon for kantina?")
raw, mention = sent("mention", "gus@agency.example", mails)
gus_answer = ("""From: Gus Graphics <gus@agency.example>
To: support@agency.example
Subject: Re: %s
Message-ID: <gus-1@agency.example>
In-Reply-To: %s
Date: Wed, 2 Dec 2026 11:00:00 +0100
Content-Type: text/plain; charset=utf-8

Ja, i morgen.

ons. 2. des. 2026 kl. 10:30 skrev Support <support@agency.example>:
> @gus kan du lage et ikon for kantina?
""" % (mention["Subject"], mention["Message-ID"])).encode()
carla.pushes.clear()
rc, out, err = mail_in(gus_answer)
eq((rc, out.split(" added")[0].split()[0]), (0, "note"), "gus's answer to the mention: a note")
notes = carla.call("tickets.get", id=tid)["notes"]
eq((notes[-1]["author"], notes[-1]["body"]), ("gus", "Ja, i morgen."),
   "  ...by gus, without the quoted notification")
ok(push(lambda e: e.get("action") == "note_added" and e["ticket"]["id"] == tid,
        "note_added push") is not None, "  ...pushed live to carla's client")
done()
