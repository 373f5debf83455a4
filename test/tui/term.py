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


def tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", SOCKET, *args], check=check,
                          capture_output=True, text=True).stdout


def _kill_server():
    subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)


atexit.register(_kill_server)


def display_width(s):
    """Columns of s as a terminal shows it (wide East Asian = 2)."""
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


class Term:
    def __init__(self, name, args, cols=80, rows=24, env=None):
        self.name = name
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
