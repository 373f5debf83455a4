"""harness_portal.py - what the portal tests share: a Cluster with a
docketd serving the portal on its own loopback port, an SMTP sink
(Debian's aiosmtpd) that catches the portal's emails, a small HTTP client
with a cookie jar that shows every raw header, and the steps of a
contact's journey (invited, registered, logged in).  Standard library and
aiosmtpd only; run by Debian's /usr/bin/python3."""

import email
import email.policy
import html.parser
import http.client
import re
import threading
import urllib.parse

from harness import *
from aiosmtpd.controller import Controller


class Sink:
    """Keeps every message it is given."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content,
                                       policy=email.policy.default)
        with self.lock:
            self.messages.append((envelope.rcpt_tos, msg))
        return "250 OK"

    def to(self, addr):
        with self.lock:
            return [m for rcpt, m in self.messages
                    if addr.lower() in [r.lower() for r in rcpt]]

    def link(self, addr, route, after=0, timeout=30):
        """The newest link to route (e.g. "/register") in a mail to addr,
        waiting for one past the first `after` mails."""
        def find():
            mails = self.to(addr)
            if len(mails) <= after:
                return None
            body = mails[-1].get_body(("plain",)).get_content()
            m = re.search(r"https?://[^\s]+" + re.escape(route) +
                          r"\?token=[A-Za-z0-9_-]+", body)
            return m.group(0) if m else None
        return wait_for(find, timeout, "a %s link mailed to %s" % (route, addr))


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value), as sent
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class _Fields(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.csrf = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") == "csrf":
            self.csrf.append(a.get("value"))


def csrf_of(text):
    p = _Fields()
    p.feed(text)
    return p.csrf[0] if p.csrf else None


class Browser:
    """An HTTP/1.1 client with a cookie jar: like a browser without
    JavaScript, but every header is visible."""

    def __init__(self, port, origin=None, language=None):
        self.port = port
        self.cookies = {}
        self.origin = origin or "http://127.0.0.1:%d" % port
        # Sent with every request, as a browser set to that language does.
        self.language = language

    def request(self, method, path, body=None, headers=None, cookies=True):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        if self.language:
            h.setdefault("Accept-Language", self.language)
        if cookies and self.cookies:
            h.setdefault("Cookie", "; ".join("%s=%s" % kv
                                             for kv in self.cookies.items()))
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        resp = Response(r.status, r.getheaders(), r.read())
        conn.close()
        for v in resp.all("Set-Cookie"):
            name, _, rest = v.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in v or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, fields, csrf=True, origin=True, headers=None,
             **kw):
        """POST fields urlencoded; with csrf=True the token of the page
        at path (fetched first) is added."""
        fields = dict(fields)
        if csrf is True:
            page = self.get(path)
            fields["csrf"] = csrf_of(page.text)
        elif csrf:
            fields["csrf"] = csrf
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if origin is True:
            h["Origin"] = self.origin
        elif origin:
            h["Origin"] = origin
        h.update(headers or {})
        return self.request("POST", path,
                            body=urllib.parse.urlencode(fields).encode(),
                            headers=h, **kw)

    def post_multipart(self, path, fields, files, csrf=True, form_path=None):
        """POST multipart/form-data as Chromium does; files are
        (field, filename, type, bytes)."""
        fields = dict(fields)
        if csrf is True:
            fields["csrf"] = csrf_of(self.get(form_path or path).text)
        elif csrf:
            fields["csrf"] = csrf
        boundary = "----WebKitFormBoundary" + os.urandom(8).hex()
        parts = []
        for k, v in fields.items():
            parts.append(("--%s\r\nContent-Disposition: form-data; "
                          "name=\"%s\"\r\n\r\n" % (boundary, k)).encode()
                         + v.encode() + b"\r\n")
        for field, name, ctype, data in files:
            parts.append(("--%s\r\nContent-Disposition: form-data; "
                          "name=\"%s\"; filename=\"%s\"\r\nContent-Type: %s"
                          "\r\n\r\n" % (boundary, field, name, ctype)).encode()
                         + data + b"\r\n")
        body = b"".join(parts) + ("--%s--\r\n" % boundary).encode()
        return self.request("POST", path, body=body, headers={
            "Content-Type": "multipart/form-data; boundary=" + boundary,
            "Origin": self.origin})


class Portal:
    """A private PostgreSQL, an SMTP sink and one docketd with the portal
    on a loopback port; portal settings in **portal override the
    defaults."""

    def __init__(self, portal=None, **sections):
        self.sink = Sink()
        self.smtp_port = free_port()
        self.smtp = Controller(self.sink, hostname="127.0.0.1",
                               port=self.smtp_port)
        self.smtp.start()
        atexit.register(self.smtp.stop)
        self.http_port = free_port()
        self.base = "http://127.0.0.1:%d" % self.http_port
        self.portal_cfg = {"enabled": True, "base_url": self.base,
                           "title": "Agency Helpdesk"}
        self.portal_cfg.update(portal or {})
        self.cl = Cluster(portal=self.portal_cfg)
        self.mail = {"send": True,
                     "smtp_url": "smtp://127.0.0.1:%d" % self.smtp_port,
                     "from": "Support <support@agency.example>",
                     "retry_backoff": "1s"}
        self.sections = sections
        self.d = self.start("d1")

    def start(self, name, **extra):
        sections = {"http": {"listen": "127.0.0.1:%d" % self.http_port},
                    "mail": dict(self.mail), "portal": dict(self.portal_cfg)}
        for k, v in self.sections.items():
            sections.setdefault(k, {}).update(v)
        for k, v in extra.items():
            sections.setdefault(k, {}).update(v)
        return self.cl.start_server(name, **sections)

    def browser(self, language=None):
        return Browser(self.http_port, language=language)

    def contact(self, email, first="Ola", last="Nordmann", company=None):
        args = ["contact", "add", email, "--first", first, "--last", last]
        if company:
            args += ["--company", company]
        self.cl.ctl(*args)
        return email

    def invite(self, email):
        """Add email to the access list; returns the emailed link."""
        before = len(self.sink.to(email))
        self.cl.ctl("list", "add-member", "Authorized Portal Users", email)
        return self.sink.link(email, "/register", after=before)

    def register(self, email, password="portal-pass-1", browser=None):
        """Invite, open the link, agree, choose a password: logged in."""
        b = browser or self.browser()
        link = self.invite(email)
        path = link[len(self.base):]
        page = b.get(path)
        ok(page.status == 200, "registration page for %s" % email,
           page.text[:500])
        r = b.post(path, {"consent": "yes", "password": password,
                          "password2": password},
                   csrf=csrf_of(page.text))
        ok(r.status == 303 and r.header("Location") == "/tickets",
           "registered %s" % email, (r.status, r.headers, r.text[:300]))
        b.get("/tickets")  # where the browser goes: the welcome is shown
        return b

    def login(self, email, password="portal-pass-1", browser=None):
        b = browser or self.browser()
        r = b.post("/login", {"email": email, "password": password})
        ok(r.status == 303, "logged in as %s" % email,
           (r.status, r.text[:300]))
        b.get("/tickets")
        return b


class EventStream:
    """GET /events as an EventSource would ask for it, read by a thread:
    every event (SSE fields id, event, data) in .events as it comes, the
    raw bytes in .raw, .closed once the server ends it."""

    def __init__(self, browser, path="/events", last_event_id=None,
                 timeout=10):
        self.events = []
        self.raw = b""
        self.closed = False
        self.lock = threading.Lock()
        h = {"Accept": "text/event-stream"}
        if browser.language:
            h["Accept-Language"] = browser.language
        if browser.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv
                                    for kv in browser.cookies.items())
        if last_event_id is not None:
            h["Last-Event-ID"] = str(last_event_id)
        self.conn = http.client.HTTPConnection("127.0.0.1", browser.port,
                                               timeout=60)
        self.conn.connect()
        # The response takes the socket over from the connection: kept
        # here, so that close() really closes it.
        self.sock = self.conn.sock
        self.conn.request("GET", path, headers=h)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = self.resp.getheaders()
        if self.status != 200:
            self.body = self.resp.read()
            self.closed = True
            self.close()
            return
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    @staticmethod
    def live(browser, path="/events", last_event_id=None, timeout=20):
        """A stream that is on (the server's ": live"), opened again as
        EventSource would while docketd is starting or away."""
        def attempt():
            try:
                x = EventStream(browser, path, last_event_id)
            except OSError:
                return None
            if x.status != 200:
                return None
            wait_for(lambda: x.closed or b": live" in x.raw, 10, "the stream")
            return None if x.closed else x
        return wait_for(attempt, timeout, "a live stream of %s" % path)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def _read(self):
        fields = {}
        buf = b""
        try:
            while True:
                chunk = self.resp.fp.read1(65536)
                if not chunk:
                    break
                with self.lock:
                    self.raw += chunk
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.decode("utf-8")
                    if line == "":
                        if "data" in fields:
                            ev = {"id": fields.get("id"),
                                  "event": fields.get("event", "message"),
                                  "data": json.loads(fields["data"])}
                            with self.lock:
                                self.events.append(ev)
                        fields = {}
                    elif line.startswith(":"):
                        continue
                    else:
                        k, _, v = line.partition(":")
                        fields[k] = v[1:] if v.startswith(" ") else v
        except (OSError, ValueError):
            pass
        self.closed = True
        self.close()  # as a browser does once the server has ended it

    def of(self, kind="ticket"):
        with self.lock:
            return [e for e in self.events if e["event"] == kind]

    def wait(self, pred, what, timeout=10, kind="ticket"):
        """The first event of kind for which pred(data) holds."""
        def find():
            for e in self.of(kind):
                if pred(e["data"]):
                    return e
            return None
        return wait_for(find, timeout, what)

    def wait_closed(self, what, timeout=10):
        return wait_for(lambda: self.closed, timeout, what)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.conn.close()


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_wait(driver, timeout, poll=0.5):
    """WebDriverWait that looks again when an element it read went away:
    a page that navigates or a live script that replaces a row makes the
    element found a moment before stale, which is a reason to look
    again, not a failure (WebDriverWait ignores only NoSuchElement by
    default; CI failed on a stale <html> once, mid-navigation)."""
    from selenium.webdriver.support.ui import WebDriverWait
    from selenium.common.exceptions import (NoSuchElementException,
                                            StaleElementReferenceException)
    return WebDriverWait(driver, timeout, poll_frequency=poll,
                         ignored_exceptions=(NoSuchElementException,
                                             StaleElementReferenceException,
                                             IndexError))


def chromium(cl, name, javascript=True, lang=None, console=False,
             extra_args=()):
    """A headless Debian Chromium through chromedriver (python3-selenium),
    with a profile of its own in the cluster's folder, quit at exit:
    JavaScript off when javascript is false, --lang and Accept-Language
    lang when given, the console kept (driver.get_log("browser")) with
    console, and extra_args after the rest."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    args = ["--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage",
            "--user-data-dir=" + os.path.join(cl.dir, "chromium-" + name)]
    prefs = {}
    if lang:
        args.append("--lang=" + lang)
        prefs["intl.accept_languages"] = lang
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    for a in args + list(extra_args):
        opts.add_argument(a)
    if prefs:
        opts.add_experimental_option("prefs", prefs)
    if console:
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    # Registered after the cluster's cleanup, so it runs first: Chromium
    # leaves its profile before the temp dir goes.
    atexit.register(d.quit)
    d.set_window_size(1280, 900)
    return d


# axe-core from npm (scripts/lib/npm-packages, installed by scripts/test).
AXE = os.path.join(SOURCE, ".cache", "npm", "node_modules", "axe-core",
                   "axe.min.js")


def axe(d, lang, what):
    """Count a check: axe-core, injected into the page open in Chromium d,
    finds no serious or critical violation (the others are printed)."""
    d.execute_script(open(AXE, encoding="utf-8").read())
    res = d.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(function (r) { done(r.violations.map(function (v) {"
        "  return [v.id, v.impact, v.nodes.length,"
        "          v.nodes.slice(0, 2).map(function (n) { return n.target.join(' '); })];"
        "})); }, function (e) { done([['axe failed', 'critical', 0, [String(e)]]]); });")
    bad = [v for v in res if v[1] in ("serious", "critical")]
    ok(not bad, "%s (%s): axe finds no serious or critical violation" % (what, lang), bad)
    other = [v[0] for v in res if v not in bad]
    if other:
        print("   (minor or moderate, not required: %s)" % ", ".join(other))
