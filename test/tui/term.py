"""term.py - drive the real docket in tmux, as a person would: send keys,
read the screen with capture-pane, wait for text to appear (polling, no
fixed sleeps).  Each test has its own tmux server (-L), so tests and a
developer's own tmux never meet."""
import os
import re
import subprocess
import sys
import time
import unicodedata

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import *  # noqa: E402,F401

DOCKET = os.environ.get("DOCKET", os.path.join(os.path.dirname(DOCKETD), "docket"))
SOCKET = "docket-test-%d" % os.getpid()
# The terminal's size: 80x24 (the spec's), or what DOCKET_TERM_SIZE says;
# ctest runs every screen test twice, as tui/screen_X and, at 60x20, as
# tui/screen_X_60x20 (test/CMakeLists.txt).  A Term is this size unless
# a test asks for another on purpose (a resize, a size under test).
COLS, ROWS = (int(n) for n in
              os.environ.get("DOCKET_TERM_SIZE", "80x24").lower().split("x"))
NARROW = COLS < 80


def tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", SOCKET, *args], check=check,
                          capture_output=True, text=True).stdout


def _kill_server():
    subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)


atexit.register(_kill_server)


def cut(text, least=5):
    """A regex for text as a column may show it: whole, or cut after at
    least `least` characters with the client's "…" (a subject at 60
    columns).  Still fails on any other text."""
    return "(?:%s)" % "|".join(
        [re.escape(text)] + [re.escape(text[:n]) + "…"
                             for n in range(len(text) - 1, least - 1, -1)])


def addr(server):
    """A regex for a server's address on the status line: whole, or its
    start cut ("unix:…/d1.sock": the client keeps the scheme and the
    end)."""
    tail = server[server.rindex("/"):] if "/" in server else server[-6:]
    scheme = "unix:" if server.startswith("unix:") else ""
    return "(?:%s|%s…\\S*%s)" % (re.escape(server), scheme, re.escape(tail))


def display_width(s):
    """Columns of s as a terminal shows it (wide East Asian = 2)."""
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


class Term:
    def __init__(self, name, args, cols=None, rows=None, env=None):
        self.name = name
        cols, rows = cols or COLS, rows or ROWS
        envs = []
        for k, v in (env or {}).items():
            envs += ["-e", "%s=%s" % (k, v)]
        cmd = " ".join("'%s'" % a for a in [DOCKET] + list(args))
        # Keep the pane after docket exits, to read why.
        tmux("new-session", "-d", "-s", name, "-x", str(cols), "-y", str(rows),
             *envs, "%s; echo docket exited $?; sleep 600" % cmd)
        tmux("set-option", "-t", name, "remain-on-exit", "on")

    def keys(self, *keys):
        tmux("send-keys", "-t", self.name, *keys)

    def type(self, text):
        tmux("send-keys", "-t", self.name, "-l", text)

    def screen(self):
        return tmux("capture-pane", "-p", "-t", self.name)

    def wait(self, pattern, timeout=8.0):
        """Wait until the screen matches pattern (a regex); return it."""
        deadline = time.time() + timeout
        rx = re.compile(pattern)
        while True:
            s = self.screen()
            if rx.search(s):
                return s
            if time.time() > deadline:
                raise TimeoutError("%s: no %r on screen:\n%s" % (self.name, pattern, s))
            time.sleep(0.03)

    def sees(self, pattern, what, timeout=8.0):
        """A check: pattern shows up within timeout."""
        try:
            self.wait(pattern, timeout)
            return ok(True, what)
        except TimeoutError as e:
            return ok(False, what, str(e))

    def until(self, pred, what, timeout=8.0):
        """A check on the whole screen: pred(screen) comes true within
        timeout; returns that screen (None when it did not).  Waiting for
        one line and then reading the rest is a race: docket's ncurses
        writes a frame a line at a time (it looks for typeahead between
        lines), so a capture can come in the middle of one."""
        deadline = time.time() + timeout
        while True:
            s = self.screen()
            if pred(s):
                ok(True, what)
                return s
            if time.time() > deadline:
                ok(False, what, s)
                return None
            time.sleep(0.03)

    def seek(self, pattern, what, timeout=10.0, pages=6, flat=False):
        """A check for text that may be below the fold (a ticket's notes
        at 80x24 or 60x20): poll for it, and while it is not there page
        down (PgDn) a page at a time, back to the top (g) after pages, so
        that text arriving live is found too.  Returns the screen, or
        None."""
        deadline = time.time() + timeout
        rx = re.compile(pattern)
        turned, paged = time.time(), 0
        while True:
            s = self.screen()
            if any(rx.search(re.sub(r" *\n *", j, s) if flat else s)
                   for j in ("", " ")):
                ok(True, what)
                return s
            if time.time() > deadline:
                ok(False, what, "no %r on screen:\n%s" % (pattern, s))
                return None
            if time.time() - turned > 0.4:
                self.keys("g" if paged == pages else "PgDn")
                paged = 0 if paged == pages else paged + 1
                turned = time.time()
            time.sleep(0.03)

    def sees_flat(self, pattern, what, timeout=8.0):
        """A check on the screen read as one line (its line ends and the
        spaces around them dropped): for a message that wraps at a narrow
        terminal's edge, wherever that is."""
        # A line may break at a space (which goes) or inside a word.
        return self.until(
            lambda s: any(re.search(pattern, re.sub(r" *\n *", j, s))
                          for j in ("", " ")), what, timeout) is not None

    def gone(self, pattern, what, timeout=8.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not re.search(pattern, self.screen()):
                return ok(True, what)
            time.sleep(0.03)
        return ok(False, what, self.screen())

    def resize(self, cols, rows):
        tmux("resize-window", "-t", self.name, "-x", str(cols), "-y", str(rows))

    def row_of(self, pattern):
        for line in self.screen().splitlines():
            if re.search(pattern, line):
                return line
        return None
