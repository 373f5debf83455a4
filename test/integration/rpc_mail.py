"""rpc_mail.py - the outbox delivered over SMTP to a real server on
loopback (Debian's aiosmtpd): the handbook's emails (mention, reply,
close) with their recipients, threading and encodings; a 4xx answer
retried with back-off; a 5xx answer failing the row for good with the
server's words; two docketd instances sending each row exactly once."""
import sys, os, time, json, signal, ssl, subprocess, asyncio, email, email.policy
from email.header import decode_header, make_header
sys.path.insert(0, os.path.dirname(__file__))
from harness import *
from aiosmtpd.controller import Controller


class Sink:
    """Keeps every message; answers DATA from self.refuse first.  With
    hold set, it sits on each message (then refuses it), so that a send
    stays in flight."""
    def __init__(self):
        self.messages = []
        self.refuse = []
        self.hold = 0
        self.holding = 0
        self.held_until = None

    async def handle_DATA(self, server, session, envelope):
        if self.hold:
            self.holding += 1
            self.held_until = time.time() + self.hold
            await asyncio.sleep(self.hold)
            self.held_until = None
            return "451 4.3.0 held by the test"
        if self.refuse:
            return self.refuse.pop(0)
        self.messages.append((envelope.mail_from, envelope.rcpt_tos,
                              email.message_from_bytes(envelope.content,
                                                       policy=email.policy.default)))
        return "250 OK"


sink = Sink()
port = free_port()
smtp = Controller(sink, hostname="127.0.0.1", port=port)
smtp.start()
atexit.register(smtp.stop)

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

def wait_mail(n, what):
    try:
        wait_for(lambda: len(sink.messages) >= n, timeout=20, what=what)
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
eq(cl.sql1("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND attempts = 1"), "3",
   "each row marked sent after one attempt")

# A 4xx answer: tried again after the back-off, then sent.
sink.refuse.append("451 4.3.0 Mailbox busy, try later")
before = len(sink.messages)
carla.call("tickets.reopen", id=tid)
carla.call("messages.send", ticket=tid, body="En ting til.")
wait_mail(before + 1, "after a 451, the message is retried and delivered")
row = cl.sql("SELECT attempts, last_error IS NULL, sent_at IS NOT NULL FROM outbox "
             "WHERE kind = 'reply' ORDER BY id DESC LIMIT 1")[0]
eq(row, ["2", "t", "t"], "  ...on the second attempt")

# A 5xx answer: failed for good, with the server's words.
sink.refuse.append("550 5.1.1 No such user here")
carla.call("messages.send", ticket=tid, body="Og en til.")
wait_for(lambda: cl.sql1("SELECT failed_at IS NOT NULL FROM outbox ORDER BY id DESC LIMIT 1") == "t",
         timeout=20, what="the permanent failure")
row = cl.sql("SELECT attempts, last_error, sent_at IS NULL FROM outbox ORDER BY id DESC LIMIT 1")[0]
ok(row[0] == "1" and "550 5.1.1 No such user here" in row[1] and row[2] == "t",
   "a 550 fails the row at once, recording the server's reply (%s)" % row[1])

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
done()
