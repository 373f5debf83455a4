"""mail_sink.py - the SMTP server the mail tests send to: Debian's
aiosmtpd on a free loopback port, keeping every message it takes (with
its bytes as sent, msg.raw), answering DATA from sink.refuse first, and
with hold set sitting on each message before refusing it, so that a send
stays in flight."""
import asyncio, atexit, email, email.policy, time
from aiosmtpd.controller import Controller
from harness import free_port


class Sink:
    def __init__(self):
        self.messages = []  # (mail_from, rcpt_tos, message)
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
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        msg.raw = envelope.content  # the headers as sent, before decoding
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, msg))
        return "250 OK"


def start_sink():
    """A running sink and its port; stopped when the test exits."""
    sink = Sink()
    port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=port)
    smtp.start()
    atexit.register(smtp.stop)
    return sink, port
