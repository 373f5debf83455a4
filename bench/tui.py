"""bench/tui.py - the client's figures of SPEC section 13, measured on the
real docket in tmux (as a person sees it; tmux's own few milliseconds are
included, so the figures err on the slow side):

  start   docket start to the first painted list, and its RSS
  claim   a keypress that claims on one client, to the row leaving another
          client's screen

  /usr/bin/python3 bench/tui.py start|claim SOCKET RUNS
Prints one line: n, p50, p99 (or max) in milliseconds, and RSS for start.
"""
import os
import re
import statistics
import subprocess
import sys
import time

DOCKET = os.environ.get("DOCKET", "build-bench/docket")
TMUX = ["tmux", "-L", "docket-bench-%d" % os.getpid()]


def tmux(*args):
    return subprocess.run(TMUX + list(args), capture_output=True, text=True).stdout


def keep_server():
    """A session that outlives the measured ones: when the last session
    goes, tmux's server exits, and a new-session sent in that moment can
    reach the dying server.  Twice in full runs a start painted nothing
    for 10 s, and the screen printed was empty."""
    subprocess.run(TMUX + ["new-session", "-d", "-s", "keep", "sleep 86400"],
                   check=True, capture_output=True)
    # A docket that exits at once (a refused connection) leaves its last
    # words on the screen the timeout prints, instead of no pane at all.
    tmux("set-option", "-g", "remain-on-exit", "on")


def screen(name):
    return tmux("capture-pane", "-p", "-t", name)


def wait(name, pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = screen(name)
        if pred(s):
            return time.monotonic()
        time.sleep(0.001)
    raise TimeoutError(name + ":\n" + screen(name))


def pane_pid(name):
    return int(tmux("display-message", "-p", "-t", name, "#{pane_pid}").strip())


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def start(sock, runs):
    times, rss = [], []
    for i in range(runs):
        name = "start%d" % i
        t0 = time.monotonic()
        # exec: the pane's process is docket itself, for its RSS.
        tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40",
             "exec %s --server unix:%s" % (DOCKET, sock))
        t1 = wait(name, lambda s: re.search(r"^\d{4,} ", s, re.M))
        times.append((t1 - t0) * 1000)
        time.sleep(0.3)  # every view loaded: the steady state
        rss.append(rss_kb(pane_pid(name)))
        tmux("kill-session", "-t", name)
    times.sort()
    print("start runs=%d p50=%.0fms max=%.0fms rss_kb=%d" %
          (runs, statistics.median(times), times[-1], max(rss)))


def claim(sock, runs, user, password):
    env = "DOCKET_PASSWORD=%s " % password
    tmux("new-session", "-d", "-s", "a", "-x", "120", "-y", "40",
         "exec %s --server unix:%s" % (DOCKET, sock))
    tmux("new-session", "-d", "-s", "b", "-x", "120", "-y", "40",
         "%sexec %s --server unix:%s --user %s" % (env, DOCKET, sock, user))
    for name in ("a", "b"):
        wait(name, lambda s: " live" in s)
        tmux("send-keys", "-t", name, "2")   # Unassigned
    times = []
    for _ in range(runs):
        first = wait("a", lambda s: re.search(r"^(\d{4,}) ", s.split("\n", 2)[2], re.M))
        m = re.search(r"^(\d{4,}) ", screen("a").split("\n", 2)[2], re.M)
        tid = m.group(1)
        wait("b", lambda s: re.search(r"^%s " % tid, s, re.M))
        t0 = time.monotonic()
        tmux("send-keys", "-t", "a", "c")
        t1 = wait("b", lambda s: not re.search(r"^%s " % tid, s, re.M))
        times.append((t1 - t0) * 1000)
        time.sleep(0.05)
    times.sort()
    print("claim runs=%d p50=%.0fms p99=%.0fms max=%.0fms" %
          (runs, statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))],
           times[-1]))


if __name__ == "__main__":
    try:
        keep_server()
        if sys.argv[1] == "start":
            start(sys.argv[2], int(sys.argv[3]))
        else:
            claim(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    finally:
        subprocess.run(TMUX + ["kill-server"], capture_output=True)
