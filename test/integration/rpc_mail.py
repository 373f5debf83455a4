"""rpc_mail.py - the outbox delivered over SMTP to a real server on
loopback (Debian's aiosmtpd): the handbook's emails (mention, reply,
close) with their recipients, threading (References: the conversation's
chain), To: names and encodings, Message-IDs in mail.from's domain or
mail.message_id_domain; a 4xx answer retried with back-off; a 5xx answer
failing the row for good with the server's words, shown on the ticket
(delivery failed, a message_failed event pushed live) and told to the
reply's author (mail_failed: a push and an email); a later delivery
report (outbox_bounced()) doing the same, once; two docketd instances
sending each row exactly once."""
import sys, os, re, time, json, signal, ssl, subprocess, asyncio, email, email.policy
from email.header import decode_header, make_header
sys.path.insert(0, os.path.dirname(__file__))
from harness import *
from mail_sink import Sink, start_sink
from aiosmtpd.controller import Controller


sink, port = start_sink()

cl = Cluster()
cl.add_staff("carla", "content", "Carla Content")
cl.add_staff("gus", "graphics", "Gus Graphics")
cl.ctl("company", "add", "Nordlys skole")
cl.ctl("contact", "add", "oystein@nordlys.example.no", "--first", "Øystein", "--last", "Brå",
       "--company", "Nordlys skole")
tid = cl.new_ticket("oystein@nordlys.example.no", "Nytt banner på forsiden")
cl.sql("INSERT INTO message (ticket_id, direction, author_contact_id, body, message_id) "
       "SELECT %d, 'in', id, 'Kan dere bytte banneret?', '<CAF-client-1@mail.example>' "
       "FROM contact" % tid)
mail = {"send": True, "smtp_url": "smtp://127.0.0.1:%d" % port,
        "from": "Støtte <support@agency.example>", "retry_backoff": "1s", "max_attempts": 3}
d = cl.start_server("d1", mail=mail)
carla = d.login(cl, "carla")

def recorded():
    """Every message the relay took is marked sent: docketd records the
    outcome after the relay has answered, so a check right after the
    message arrives would race it."""
    ids = [m["Message-ID"] for _, _, m in sink.messages if m["Message-ID"]]
    return not ids or cl.sql1(
        "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL "
        "AND message_id = ANY(ARRAY[%s])"
        % ",".join("'%s'" % i.replace("'", "''") for i in ids)) == "0"

def wait_mail(n, what):
    try:
        wait_for(lambda: len(sink.messages) >= n, timeout=20, what=what)
        wait_for(recorded, timeout=20, what=what + " (recorded as sent)")
        return ok(True, what)
    except TimeoutError as e:
        return ok(False, what, "%s; outbox: %s" % (e, cl.sql(
            "SELECT id, kind, attempts, last_error, sent_at, failed_at FROM outbox")))

def by_kind(kind):
    mid = cl.sql1("SELECT coalesce(message_id, '<outbox-' || id || '@agency.example>') "
                  "FROM outbox WHERE kind = '%s' ORDER BY id DESC LIMIT 1" % kind)
    for frm, rcpt, msg in sink.messages:
        if msg["Message-ID"] == mid:
            return frm, rcpt, msg
    return None, None, None

def delivery(message):
    """[delivery, delivery_error] of a message, as tickets.get shows it."""
    for m in carla.call("tickets.get", id=tid)["messages"]:
        if m["id"] == message:
            return [m["delivery"], m["delivery_error"]]
    return None

carla.call("tickets.claim", id=tid)
carla.call("notes.add", ticket=tid, body="@gus kan du lage et banner? 1920×600")
carla.call("messages.send", ticket=tid, body="Hei Øystein, vi er i gang.")
carla.call("tickets.close", id=tid)
wait_mail(3, "the mention, the reply and the close email arrive")

frm, rcpt, m = by_kind("mention")
eq((frm, rcpt), ("support@agency.example", ["gus@agency.example"]), "mention: to the tagged person")
eq(str(m["Subject"]), "[#%d] Carla Content mentioned you: Nytt banner på forsiden" % tid,
   "mention: a UTF-8 subject, decoded intact")
ok("1920×600" in m.get_content(), "mention: the note's text, UTF-8 intact")

frm, rcpt, m = by_kind("reply")
eq(rcpt, ["oystein@nordlys.example.no"], "reply: to the contact")
eq(str(m["Subject"]), "Re: [#%d] Nytt banner på forsiden" % tid, "reply: Re: and [#ID] in the subject")
ok(m["Message-ID"].startswith("<ticket-%d." % tid), "reply: a stable Message-ID of its own")
ok(re.fullmatch(r"<ticket-%d\.\d+\.[0-9a-f]{32}@agency\.example>" % tid, m["Message-ID"]),
   "  ...random, in mail.from's domain (no message_id_domain set)", m["Message-ID"])
first_reply = m["Message-ID"]
eq((m["To"].addresses[0].display_name, m["To"].addresses[0].addr_spec),
   ("Øystein Brå", "oystein@nordlys.example.no"), "reply: To: carries the contact's name")
ok(re.search(rb"\r\nTo: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <oystein@nordlys\.example\.no>\r\n", m.raw),
   "  ...as an RFC 2047 encoded word", m.raw.split(b"\r\nSubject")[0])
eq((m["In-Reply-To"], m["References"]), ("<CAF-client-1@mail.example>",) * 2,
   "reply: threaded under the client's message")
eq(m.get_content().strip(), "Hei Øystein, vi er i gang.", "reply: the body, UTF-8 intact")
eq(str(m["From"]), "Støtte <support@agency.example>", "From: the display name encoded and decoded")
ok(m["Date"] is not None and m["MIME-Version"] == "1.0", "Date and MIME-Version headers")

frm, rcpt, m = by_kind("closed")
eq(rcpt, ["oystein@nordlys.example.no"], "close: to the contact")
eq(str(m["Subject"]), "[#%d] Your request is complete: Nytt banner på forsiden" % tid,
   "close: the subject says so")
ok(m["In-Reply-To"] and m["In-Reply-To"].startswith("<ticket-%d." % tid),
   "close: threaded under the last message")
eq(m["References"].split(), ["<CAF-client-1@mail.example>", first_reply],
   "close: References the whole conversation")
ok(by_kind("mention")[2]["Message-ID"].endswith("@agency.example>"),
   "a notification's Message-ID is in mail.from's domain too")
eq(cl.sql1("SELECT delivery || ' ' || (delivery_at IS NOT NULL) FROM message "
           "WHERE message_id = '%s'" % first_reply), "sent true",
   "the delivered reply's message says sent")
eq(cl.sql1("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND attempts = 1"), "3",
   "each row marked sent after one attempt")

# A 4xx answer: tried again after the back-off, then sent.
sink.refuse.append("451 4.3.0 Mailbox busy, try later")
before = len(sink.messages)
carla.call("tickets.reopen", id=tid)
second = carla.call("messages.send", ticket=tid, body="En ting til.")
eq(delivery(second["id"]), ["queued", None],
   "tickets.get: a reply not yet handed to the relay is queued")
wait_mail(before + 1, "after a 451, the message is retried and delivered")
row = cl.sql("SELECT attempts, last_error IS NULL, sent_at IS NOT NULL FROM outbox "
             "WHERE kind = 'reply' ORDER BY id DESC LIMIT 1")[0]
eq(row, ["2", "t", "t"], "  ...on the second attempt")
eq(delivery(second["id"]), ["sent", None], "  ...and tickets.get says sent")
m = sink.messages[-1][2]
eq(m["In-Reply-To"], first_reply, "a second reply: In-Reply-To the last message")
eq(m["References"].split(), ["<CAF-client-1@mail.example>", first_reply],
   "  ...References the chain: the client's message, then the first reply")
ok(all(len(l) <= 78 for l in m.raw.split(b"\r\n\r\n")[0].split(b"\r\n")),
   "  ...every header line at most 78 characters")

# A 5xx answer: failed for good, with the server's words, on the ticket
# for everyone (pushed live), and told to the reply's author.
carla.subscribe()
watcher = d.login(cl, "gus")
watcher.subscribe()
sink.refuse.append("550 5.1.1 No such user here")
before = len(sink.messages)
third = carla.call("messages.send", ticket=tid, body="Og en til.")
wait_for(lambda: cl.sql1("SELECT failed_at IS NOT NULL FROM outbox WHERE kind = 'reply' "
                         "ORDER BY id DESC LIMIT 1") == "t",
         timeout=20, what="the permanent failure")
row = cl.sql("SELECT attempts, last_error, sent_at IS NULL FROM outbox WHERE kind = 'reply' "
             "ORDER BY id DESC LIMIT 1")[0]
ok(row[0] == "1" and "550 5.1.1 No such user here" in row[1] and row[2] == "t",
   "a 550 fails the row at once, recording the server's reply (%s)" % row[1])
dv = delivery(third["id"])
ok(dv[0] == "failed" and "550 5.1.1 No such user here" in (dv[1] or ""),
   "tickets.get: the reply's delivery is failed, with the server's words", dv)
try:
    ev = watcher.wait_push(lambda p: p["params"].get("action") == "message_failed", timeout=15)
    ev = ev["params"]
    ok(ev["type"] == "ticket.changed" and ev["ticket"]["id"] == tid and
       ev["change"]["message"] == third["id"] and "550 5.1.1" in ev["change"]["error"] and
       ev["change"]["kind"] == "reply",
       "a message_failed event is pushed live to another client, naming the message and the words", ev)
except TimeoutError as e:
    ok(False, "a message_failed event is pushed live to another client", e)
try:
    nt = carla.wait_push(lambda p: p["params"].get("type") == "notification" and
                         p["params"]["notification"]["kind"] == "mail_failed", timeout=15)
    eq(nt["params"]["notification"]["ticket"], tid, "the author gets a live mail_failed notification")
except TimeoutError as e:
    ok(False, "the author gets a live mail_failed notification", e)
ok(not any(p["params"].get("type") == "notification" for p in watcher.pushes),
   "  ...and nobody else does")
wait_mail(before + 1, "  ...and an email about it")
frm, rcpt, m = by_kind("mail_failed")
eq(rcpt, ["carla@agency.example"], "  ...to the author")
eq(str(m["Subject"]), "[#%d] Not delivered: Nytt banner på forsiden" % tid, "  ...saying which ticket")
body = m.get_content()
ok("550 5.1.1 No such user here" in body and "Øystein Brå <oystein@nordlys.example.no>" in body
   and "phone" in body, "  ...to whom, the server's words and what to do", body)
eq((m["To"].addresses[0].display_name), "Carla Content", "  ...To: the author's name")
ev = [e for e in carla.call("tickets.get", id=tid)["events"] if e["action"] == "message_failed"]
eq(len(ev), 1, "the ticket's timeline has the message_failed event")

# A delivery report that comes later (docketctl mail-in calls
# outbox_bounced()): the sent first reply becomes failed, once.
carla.pushes.clear()
watcher.pushes.clear()
nbefore = cl.sql1("SELECT count(*) FROM notification WHERE kind = 'mail_failed'")
before = len(sink.messages)
eq(cl.sql1("SELECT outbox_bounced('%s', E'5.1.1 <oystein@nordlys.example.no>:\\r\\n"
           "  The email account that you tried to reach does not exist')" % first_reply), str(tid),
   "outbox_bounced() with a sent reply's Message-ID returns its ticket")
first_id = int(cl.sql1("SELECT id FROM message WHERE message_id = '%s'" % first_reply))
dv = delivery(first_id)
eq(dv, ["failed", "5.1.1 <oystein@nordlys.example.no>: The email account that you tried "
        "to reach does not exist"], "  ...the reply is failed, with the report's words on one line")
eq(cl.sql1("SELECT (sent_at IS NULL) || ' ' || (failed_at IS NOT NULL) FROM outbox "
           "WHERE message_id = '%s'" % first_reply), "true true", "  ...and so is its outbox row")
try:
    watcher.wait_push(lambda p: p["params"].get("action") == "message_failed" and
                      p["params"]["change"]["message"] == first_id, timeout=15)
    ok(True, "  ...the message_failed event is pushed live")
    carla.wait_push(lambda p: p["params"].get("type") == "notification" and
                    p["params"]["notification"]["kind"] == "mail_failed", timeout=15)
    ok(True, "  ...the author is notified live")
except TimeoutError as e:
    ok(False, "  ...pushed live", e)
wait_mail(before + 1, "  ...and emailed")
eq(int(cl.sql1("SELECT count(*) FROM notification WHERE kind = 'mail_failed'")), int(nbefore) + 1,
   "  ...once")
events = cl.sql1("SELECT count(*) FROM event WHERE action = 'message_failed'")
mails = cl.sql1("SELECT count(*) FROM outbox WHERE kind = 'mail_failed'")
eq(cl.sql1("SELECT outbox_bounced('%s', 'again')" % first_reply.strip("<>")), str(tid),
   "a second report (the id without its brackets) names the ticket again")
eq([cl.sql1("SELECT count(*) FROM notification WHERE kind = 'mail_failed'"),
    cl.sql1("SELECT count(*) FROM event WHERE action = 'message_failed'"),
    cl.sql1("SELECT count(*) FROM outbox WHERE kind = 'mail_failed'"), delivery(first_id)[1]],
   [str(int(nbefore) + 1), events, mails, dv[1]],
   "  ...and changes nothing: no notification, event or email more, the words kept")
state = cl.sql("SELECT id, sent_at, failed_at, last_error FROM outbox ORDER BY id")
eq(cl.sql1("SELECT outbox_bounced('<ticket-%d.1.0123456789abcdef0123456789abcdef@agency.example>', "
           "'550 gone')" % tid), None, "outbox_bounced() with an unknown Message-ID: NULL")
eq(cl.sql("SELECT id, sent_at, failed_at, last_error FROM outbox ORDER BY id"), state,
   "  ...and nothing changes")
# A bounced close email: the event on its ticket, nobody notified (it has
# no author).
n = cl.sql1("SELECT count(*) FROM notification")
eq(cl.sql1("SELECT outbox_bounced('%s', '550 gone')" % by_kind("closed")[2]["Message-ID"]), str(tid),
   "a bounced close email names its ticket")
eq(cl.sql1("SELECT change->>'kind' FROM event WHERE action = 'message_failed' ORDER BY id DESC LIMIT 1"),
   "closed", "  ...a message_failed event on the ticket (kind closed)")
eq(cl.sql1("SELECT count(*) FROM notification"), n, "  ...and no notification")
# A mail_failed email that fails itself notifies nobody: no loop.
sink.refuse += ["550 5.1.1 No such user here", "550 5.1.1 No such user here"]
mails = int(cl.sql1("SELECT count(*) FROM outbox WHERE kind = 'mail_failed'"))
carla.call("messages.send", ticket=tid, body="Og en siste.")
wait_for(lambda: cl.sql1("SELECT count(*) FROM outbox WHERE kind = 'mail_failed' "
                         "AND failed_at IS NOT NULL") == "1",
         timeout=20, what="the refused mail_failed email")
n = cl.sql1("SELECT count(*) FROM notification")
time.sleep(1.5)
eq([cl.sql1("SELECT count(*) FROM notification"),
    int(cl.sql1("SELECT count(*) FROM outbox WHERE kind = 'mail_failed'"))], [n, mails + 1],
   "a refused mail_failed email: no notification or email more")

# A registration link is one-time: once its email is sent (or failed for
# good) the outbox row no longer holds the token whose hash is stored.
before = len(sink.messages)
cl.ctl("list", "add-member", "Authorized Portal Users", "oystein@nordlys.example.no")
wait_mail(before + 1, "the registration email is delivered")
frm, rcpt, m = by_kind("portal_registration")
tok = m.get_content().split("token=")[1].split()[0] if m and "token=" in m.get_content() else ""
eq(len(tok), 43, "registration: the delivered email carries the link's token")
wait_for(lambda: cl.sql1("SELECT sent_at IS NOT NULL FROM outbox WHERE kind = 'portal_registration'") == "t",
         timeout=20, what="the registration row marked sent")
eq(cl.sql1("SELECT (position('%s' in body) = 0) || ' ' || (body LIKE '%%/register?token=(used)%%') "
           "FROM outbox WHERE kind = 'portal_registration'" % tok), "true true",
   "  ...the sent row holds token=(used), not the token")
cl.ctl("contact", "add", "anouk@regenboog.example.nl", "--first", "Anouk", "--last", "Jansen")
sink.refuse.append("550 5.1.1 No such user here")
cl.ctl("list", "add-member", "Authorized Portal Users", "anouk@regenboog.example.nl")
wait_for(lambda: cl.sql1("SELECT failed_at IS NOT NULL FROM outbox WHERE to_addr = 'anouk@regenboog.example.nl'") == "t",
         timeout=20, what="the refused registration failed for good")
eq(cl.sql1("SELECT (body ~ 'token=[A-Za-z0-9_-]{43}') || ' ' || (body LIKE '%token=(used)%') "
           "FROM outbox WHERE to_addr = 'anouk@regenboog.example.nl'"), "false true",
   "  ...a row failed for good holds no token either")

# Task reminders: due ones are sent once, as a notification and an email;
# a done task is never reminded.
gus = d.login(cl, "gus")
gus.subscribe()
before = len(sink.messages)
# The done task is due only once it is done: otherwise the sender may
# remind it first (it looks every second), which is right, not a bug.
t2 = gus.call("tasks.add", ticket=tid, title="Never mind this one", remind_at="2100-01-01T00:00:00Z")
gus.call("tasks.done", id=t2["id"])
cl.sql("UPDATE task SET remind_at = '2000-01-01' WHERE id = %d" % t2["id"])
t1 = gus.call("tasks.add", ticket=tid, title="Send the banner files", remind_at="2000-01-01T00:00:00Z")
note = gus.wait_push(lambda p: p["params"].get("type") == "notification" and
                     p["params"]["notification"]["kind"] == "task_reminder", timeout=15)
eq(note["params"]["notification"]["task"], t1["id"], "a due reminder raises a live notification")
wait_mail(before + 1, "  ...and emails its owner")
frm, rcpt, m = by_kind("task_reminder")
eq((rcpt, str(m["Subject"])), (["gus@agency.example"], "[#%d] Reminder: Send the banner files" % tid),
   "  ...with the task in the subject")
time.sleep(2.5)
eq(cl.sql1("SELECT count(*) FROM outbox WHERE kind = 'task_reminder'"), "1",
   "sent once; the done task is never reminded")

# Two servers share one outbox: each row goes out once.
d2 = cl.start_server("d2", mail=mail)
before = len(sink.messages)
cl.sql("INSERT INTO outbox (kind, to_addr, subject, body) "
       "SELECT 'workflow_step', 'bulk' || g || '@school.example', 'Bulk ' || g, 'Body ' || g "
       "FROM generate_series(1, 40) g")
wait_mail(before + 40, "40 queued messages are delivered by two servers")
time.sleep(1.5)
ids = [m["Message-ID"] for _, _, m in sink.messages[before:]]
eq((len(ids), len(set(ids))), (40, 40), "each exactly once")
eq(cl.sql1("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"), "0",
   "nothing left in the outbox")

# A server stopped mid-send hands the message back at once (due again,
# the attempt not counted) instead of leaving it leased for minutes, and
# the next server sends it.
d2.stop()
sink.hold = 30
rid = cl.sql1("INSERT INTO outbox (kind, to_addr, subject, body) VALUES "
              "('workflow_step', 'held@school.example', 'Held', 'Body') RETURNING id")
wait_for(lambda: sink.holding, what="the send to be in flight")
eq(cl.sql1("SELECT attempts || ' ' || (not_before > now()) FROM outbox WHERE id = %s" % rid),
   "1 true", "in flight: leased, one attempt counted")
# libcurl's SMTP waits for the relay's answer to the message in a blocking
# poll(): run on the loop, that froze the whole server until the relay
# answered.  The send runs on the thread pool, so clients are served.
# No time is asserted: the answer must come while the relay still holds
# the message (for 30 s), which a blocked loop could not give.
d.client().call("server.info")
ok(sink.held_until is not None and time.time() < sink.held_until,
   "docketd answers while a send waits on a slow relay")
eq(d.stop(), 0, "SIGTERM mid-send: exit 0")
eq(cl.sql1("SELECT attempts || ' ' || (not_before <= now()) || ' ' || (sent_at IS NULL) "
           "FROM outbox WHERE id = %s" % rid), "0 true true",
   "the unsent message is handed back: due now, the cut attempt not counted")
ok("handing back unsent messages {%s}" % rid in d.log_text(), "  ...and logged")
sink.hold = 0
before = len(sink.messages)
d2 = cl.start_server("d2", mail=mail)
wait_mail(before + 1, "the next server sends it at once")
eq(cl.sql1("SELECT attempts || ' ' || (sent_at IS NOT NULL) FROM outbox WHERE id = %s" % rid),
   "1 true", "  ...on its first counted attempt")

# mail.starttls against a relay on loopback that offers STARTTLS with a
# self-signed certificate, as Debian's Exim and Postfix do; each setting
# applied by a reload of d2.
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-subj", "/CN=localhost", "-days", "1",
                "-keyout", os.path.join(cl.dir, "key.pem"),
                "-out", os.path.join(cl.dir, "cert.pem")],
               check=True, capture_output=True)
tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(os.path.join(cl.dir, "cert.pem"), os.path.join(cl.dir, "key.pem"))


class TlsSink(Sink):
    async def handle_DATA(self, server, session, envelope):
        self.tls_used = session.ssl is not None
        return await super().handle_DATA(server, session, envelope)


tsink = TlsSink()
tport = free_port()
tsmtp = Controller(tsink, hostname="127.0.0.1", port=tport, tls_context=tls)
tsmtp.start()
atexit.register(tsmtp.stop)


def queue_one(subject):
    return cl.sql1("INSERT INTO outbox (kind, to_addr, subject, body) VALUES "
                   "('workflow_step', 'tls@school.example', '%s', 'Body') "
                   "RETURNING id" % subject)


def reload_mail(**settings):
    cfg = json.load(open(d2.config_path))
    cfg["mail"].update(settings)
    json.dump(cfg, open(d2.config_path, "w"))
    mark = d2.log_text().count("reload: configuration reloaded")
    d2.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: d2.log_text().count("reload: configuration reloaded") > mark,
             what="the reload")


reload_mail(smtp_url="smtp://127.0.0.1:%d" % tport, starttls="auto")
queue_one("auto")
wait_for(lambda: tsink.messages, what="auto: delivered to the loopback relay")
ok(not tsink.tls_used, "auto: plain SMTP to a relay on loopback, STARTTLS offered or not")

reload_mail(starttls="try")
rid = queue_one("try")
wait_for(lambda: cl.sql1("SELECT last_error FROM outbox WHERE id = %s" % rid),
         what="try: the first attempt")
ok("certificate" in cl.sql1("SELECT last_error FROM outbox WHERE id = %s" % rid),
   "try: STARTTLS is used, and an unverifiable certificate refused",
   cl.sql1("SELECT last_error FROM outbox WHERE id = %s" % rid))

reload_mail(smtp_url="smtp://127.0.0.1:%d" % port, starttls="require")
rid = queue_one("require")
wait_for(lambda: cl.sql1("SELECT last_error FROM outbox WHERE id = %s" % rid),
         what="require: the first attempt")
ok(cl.sql1("SELECT sent_at IS NULL FROM outbox WHERE id = %s" % rid) == "t",
   "require: nothing is sent to a relay that offers no STARTTLS",
   cl.sql1("SELECT last_error FROM outbox WHERE id = %s" % rid))

# mail.message_id_domain: the domain of every Message-ID made after it
# is set (a reload), a reply's (made by messages.send) and the sender's.
reload_mail(smtp_url="smtp://127.0.0.1:%d" % port, starttls="auto",
            message_id_domain="mail.agency.example")
before = len(sink.messages)
r = d2.login(cl, "carla").call("messages.send", ticket=tid, body="Fra et nytt domene.")
rid = queue_one("domain")
wait_for(lambda: cl.sql1("SELECT count(*) FROM outbox WHERE id = %s AND sent_at IS NOT NULL" % rid) == "1"
         and cl.sql1("SELECT delivery FROM message WHERE id = %d" % r["id"]) == "sent",
         timeout=20, what="both sent")
# (Not a row that had its Message-ID before: it keeps it for retries.)
ids = sorted(m["Message-ID"] for _, _, m in sink.messages[before:]
             if m["Message-ID"].startswith(("<ticket-%d.%d." % (tid, r["id"]), "<outbox-%s." % rid)))
ok(len(ids) == 2 and all(i.endswith("@mail.agency.example>") for i in ids),
   "mail.message_id_domain: a reply's and an outbox row's Message-ID use it", ids)
done()
