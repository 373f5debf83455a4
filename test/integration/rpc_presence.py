"""rpc_presence.py - presence (SPEC section 6): presence.set over two
docketd instances sharing one database; the pushes (no seq), a new
subscriber's snapshot, clearing on close, the lapse of a marker nobody
refreshes and of a killed instance's markers; bad params, no login, a
flood, 10000 tickets, forged NOTIFY payloads."""
import sys, os, time, json, signal
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

LAPSE = 4                     # session.presence_lapse, seconds
SLACK = LAPSE / 6 + 2.5       # the lapse timer's period, and a loaded machine

cl = Cluster(session={"presence_lapse": "%ds" % LAPSE})
for u in ("anna", "lars", "bea", "cato"):
    cl.add_staff(u, "content", password=None)
email = cl.add_contact()
T = cl.new_ticket(email, "Projector")
T2 = cl.new_ticket(email, "Printer")
T3 = cl.new_ticket(email, "Scanner")
d1 = cl.start_server("d1")
d2 = cl.start_server("d2")


def presence(c):
    return [p["params"] for p in c.pushes
            if p.get("method") == "event"
            and p["params"].get("type") == "presence"]


def wait_presence(c, ticket, user, state, timeout=10.0):
    """The first presence push about (ticket, user) with state after the
    one this client matched last; returns it."""
    def match(p):
        return (p.get("method") == "event"
                and p["params"].get("type") == "presence"
                and p["params"].get("ticket") == ticket
                and p["params"].get("user") == user
                and p["params"].get("state") == state)
    start = getattr(c, "cursor", 0)
    deadline = time.time() + timeout
    while True:
        for i in range(start, len(c.pushes)):
            if match(c.pushes[i]):
                c.cursor = i + 1
                return c.pushes[i]["params"]
        if time.time() > deadline:
            raise TimeoutError("no presence push %r; got %r" % (
                (ticket, user, state), presence(c)[-10:]))
        c.poll_pushes(0.05)


def wait_all(c, wanted, timeout=10.0):
    """Each (ticket, user, state) in wanted, in any order, after the
    cursor; the cursor moves past the last of them."""
    start = getattr(c, "cursor", 0)
    deadline = time.time() + timeout
    while True:
        found = {}
        for i in range(start, len(c.pushes)):
            p = c.pushes[i]
            if p.get("method") != "event":
                continue
            k = (p["params"].get("ticket"), p["params"].get("user"),
                 p["params"].get("state"))
            if k in wanted and k not in found:
                found[k] = i
        if len(found) == len(wanted):
            c.cursor = max(found.values()) + 1
            return
        if time.time() > deadline:
            raise TimeoutError("pushes %r missing" % (set(wanted) - set(found)))
        c.poll_pushes(0.05)


def skip(c):
    """Match only pushes that come from now on."""
    c.poll_pushes(0)
    c.cursor = len(c.pushes)


def subscriber(server, user):
    c = server.login(cl, user)
    c.subscribe()
    return c


# ---- parameters and login --------------------------------------------------

a = d1.login(cl, "anna")
for params, what in [({}, "no params"),
                     ({"ticket": T}, "no state"),
                     ({"state": "viewing"}, "no ticket"),
                     ({"ticket": 0, "state": "viewing"}, "ticket 0"),
                     ({"ticket": -4, "state": "viewing"}, "a negative ticket"),
                     ({"ticket": 2**62, "state": "viewing"}, "a huge ticket"),
                     ({"ticket": str(T), "state": "viewing"}, "a string ticket"),
                     ({"ticket": T, "state": "sleeping"}, "an unknown state"),
                     ({"ticket": T, "state": 1}, "a number for state"),
                     ({"ticket": T, "state": "x" * 1000000}, "a 1 MB state"),
                     ({"ticket": T, "state": "viewing", "by": "x"},
                      "an unknown parameter")]:
    e = a.error("presence.set", **params)
    eq(e.code, -32602, "presence.set with %s: -32602" % what)
eq(a.error("presence.set", ticket=987654, state="viewing").code, 4004,
   "presence.set on a ticket that does not exist: 4004")
eq(a.call("presence.set", ticket=987654, state=None), {},
   "a clear of a ticket not held: {}")
nobody = d1.client()
eq(nobody.error("presence.set", ticket=T, state="viewing").code, 4001,
   "presence.set before logging in: 4001")
nobody.close()

# ---- one instance: viewing, replying, null --------------------------------

b1 = subscriber(d1, "lars")
b2 = subscriber(d2, "bea")
eq(a.call("presence.set", ticket=T, state="viewing"), {}, "viewing: {}")
p = wait_presence(b1, T, "anna", "viewing")
ok("seq" not in p, "the push has no seq", p)
eq(sorted(p), ["expires_in", "state", "ticket", "type", "user"],
   "the push's fields")
ok(LAPSE - 1 <= p["expires_in"] <= LAPSE, "expires_in is the lapse", p)
wait_presence(b2, T, "anna", "viewing")
ok(True, "a subscriber on the other instance hears it too")
a.call("presence.set", ticket=T, state="replying")
wait_presence(b1, T, "anna", "replying")
wait_presence(b2, T, "anna", "replying")
ok(True, "replying reaches both instances")
a.call("presence.set", ticket=T, state=None)
p = wait_presence(b1, T, "anna", None)
wait_presence(b2, T, "anna", None)
ok(True, "null reaches both instances")
eq(a.call("presence.set", ticket=T, state="viewing"), {}, "viewing again")
wait_presence(b1, T, "anna", "viewing")
ok(all("seq" not in q for q in presence(b1)), "no presence push has a seq")
# Nothing is stored.
eq(cl.sql1("SELECT count(*) FROM event WHERE type = 'presence'"), "0",
   "nothing is written to the events table")

# ---- a new subscriber learns the markers ----------------------------------

c = d2.login(cl, "cato")
r = c.subscribe()
p = wait_presence(c, T, "anna", "viewing")
ok(1 <= p["expires_in"] <= LAPSE, "snapshot: anna viewing, with its time left",
   p)
ok(not any(q["user"] == "anna" and q["state"] is None for q in presence(c)),
   "snapshot: no clears")
c.close()

# ---- the same user twice: the strongest state -----------------------------

a2 = d2.login(cl, "anna")
a2.call("presence.set", ticket=T, state="replying")
wait_presence(b1, T, "anna", "replying")
a2.close()
wait_presence(b1, T, "anna", "viewing")
ok(True, "two connections of one user: replying, then viewing when the "
   "replying one closes")

# ---- closing clears ----------------------------------------------------------

a.close()
wait_presence(b1, T, "anna", None)
wait_presence(b2, T, "anna", None)
ok(True, "the connection closing clears its marker on both instances")

# ---- logout clears ---------------------------------------------------------

a = d1.login(cl, "anna")
a.call("presence.set", ticket=T2, state="viewing")
wait_presence(b2, T2, "anna", "viewing")
a.call("session.logout")
wait_presence(b2, T2, "anna", None)
ok(True, "logging out clears the marker")
a.close()

# ---- the lapse: refreshed it stays, unrefreshed it goes --------------------

a = d1.login(cl, "anna")
a.call("presence.set", ticket=T3, state="viewing")
wait_presence(b2, T3, "anna", "viewing")
mark = len(b2.pushes)
end = time.time() + LAPSE * 2
while time.time() < end:
    time.sleep(LAPSE / 3)
    a.call("presence.set", ticket=T3, state="viewing")
b2.poll_pushes(0.2)
ok(not any(p.get("params", {}).get("ticket") == T3 for p in b2.pushes[mark:]),
   "refreshed every lapse/3: no clear, no repeated push",
   b2.pushes[mark:])
started = time.time()
wait_presence(b2, T3, "anna", None, timeout=LAPSE + SLACK + 5)
took = time.time() - started
ok(LAPSE - 1.5 <= took <= LAPSE + SLACK, "not refreshed: lapses after "
   "%ds (took %.1fs)" % (LAPSE, took))
wait_presence(b1, T3, "anna", None, timeout=SLACK)
# Set again after the lapse: sent again (the connection did not think it
# still held it).
a.call("presence.set", ticket=T3, state="viewing")
wait_presence(b2, T3, "anna", "viewing")
ok(True, "set again after a lapse: heard again")
a.call("presence.set", ticket=T3, state=None)
wait_presence(b2, T3, "anna", None)

# ---- a flood ----------------------------------------------------------------

mark = len(b2.pushes)
t0 = time.time()
N = 400
for i in range(N):
    a.request("presence.set", {"ticket": T, "state": "viewing" if i % 2
                               else "replying"})
replies = [a.read_reply() for _ in range(N)]
eq(sum(1 for r in replies if r.get("result") == {}), N,
   "a flood of %d sets: every one answered {}" % N)
ok(time.time() - t0 < 10, "answered quickly (%.2fs)" % (time.time() - t0))
b2.poll_pushes(0.5)
flood = [p for p in b2.pushes[mark:]
         if p.get("params", {}).get("type") == "presence"]
ok(len(flood) <= 8 + 4 * (time.time() - t0 + 1) + 2,
   "others hear at most the burst and the rate (%d pushes)" % len(flood))
# The last one set (i = N-1, odd: viewing) wins within the sweep.
wait_presence(b2, T, "anna", "viewing", timeout=5)
def last_state():
    b2.poll_pushes(0.1)
    ps = [p for p in presence(b2) if p["ticket"] == T and p["user"] == "anna"]
    return ps[-1]["state"] if ps else None
wait_for(lambda: last_state() == "viewing", 5, "the flood's last state")
time.sleep(1.5)
eq(last_state(), "viewing", "after the flood, the last state set stands")
a.call("presence.set", ticket=T, state=None)
wait_presence(b2, T, "anna", None)

# ---- 10000 tickets from one connection --------------------------------------

mark = len(b2.pushes)
t0 = time.time()
BATCH = 500
for start in range(1, 10001, BATCH):
    for t in range(start, start + BATCH):
        a.request("presence.set", {"ticket": 1000000 + t, "state": "viewing"})
    for _ in range(BATCH):
        r = a.read_reply()
        if "error" in r and r["error"]["code"] != 4004:
            ok(False, "10000 tickets: unexpected error", r)
            break
ok(time.time() - t0 < 60, "10000 tickets answered in %.1fs" % (time.time() - t0))
# Set real tickets: at most 8 are held, the newest win.
for t in (T, T2, T3):
    a.call("presence.set", ticket=t, state="viewing")
# Held back by the rate limit, sent by the sweep, in any order.
wait_all(b2, [(t, "anna", "viewing") for t in (T, T2, T3)])
c = d2.login(cl, "cato")
c.subscribe()
c.poll_pushes(1.0)
snap = [p for p in presence(c) if p["user"] == "anna"]
ok(len(snap) <= 8, "a new subscriber sees at most 8 of anna's markers (%d)"
   % len(snap), snap)
ok(T3 in [p["ticket"] for p in snap], "the newest is among them", snap)
c.close()
a.close()
wait_all(b2, [(t, "anna", None) for t in (T, T2, T3)], timeout=LAPSE + SLACK)

# ---- forged NOTIFY payloads ------------------------------------------------

mark = len(b2.pushes)
forged = ["", "null", "[]", "{", "42", json.dumps({"instance": "evil"}),
          json.dumps({"instance": "evil", "conn": 1, "user": "x\u001b[2J",
                      "ticket": T, "state": "viewing", "expires_in": 30}),
          json.dumps({"instance": "evil", "conn": 1, "user": "u" * 300,
                      "ticket": T, "state": "viewing", "expires_in": 30}),
          json.dumps({"instance": "evil", "conn": 1, "user": "mallory",
                      "ticket": 2**60, "state": "viewing", "expires_in": 30}),
          json.dumps({"instance": "evil", "conn": 1, "user": "mallory",
                      "ticket": T, "state": "sleeping", "expires_in": 30}),
          json.dumps({"instance": "evil", "conn": -1, "user": "mallory",
                      "ticket": T, "state": "viewing", "expires_in": 30}),
          json.dumps({"instance": "evil", "conn": 1, "user": "mallory",
                      "ticket": T, "state": "viewing", "expires_in": -5})]
for f in forged:
    cl.sql("SELECT pg_notify('docket_presence', %s)" %
           ("'" + f.replace("'", "''") + "'"))
cl.sql("SELECT pg_notify('docket_presence', '%s')" % json.dumps(
    {"instance": "evil", "conn": 7, "user": "mallory", "ticket": T,
     "state": "viewing", "expires_in": 1000000}))
p = wait_presence(b2, T, "mallory", "viewing")
ok(p["expires_in"] <= 300, "a forged expires_in is clamped (%d)"
   % p["expires_in"])
b2.poll_pushes(0.5)
got = [p["params"] for p in b2.pushes[mark:]
       if p.get("params", {}).get("type") == "presence"]
eq([(p["user"], p["state"]) for p in got], [("mallory", "viewing")],
   "of the forged payloads only the well-formed one is pushed")
ok("ignoring a docket_presence payload" in d1.log_text(),
   "bad payloads are logged")
eq(d1.log_text().count("ignoring a docket_presence payload"), 1,
   "logged once a minute, not once each")
cl.sql("SELECT pg_notify('docket_presence', '%s')" % json.dumps(
    {"instance": "evil", "conn": 7, "user": "mallory", "ticket": T,
     "state": None, "expires_in": 1}))
wait_presence(b2, T, "mallory", None)

# 10500 forged markers: at most 10000 kept at any time, all gone after
# their lapse.  Counted from the pushes in order, markers in minus markers
# out: a slow docketd (valgrind) may let the first lapse before the last
# arrive, and then keep more than 10000 in all, never more at once.
mark = len(b2.pushes)
cl.sql("SELECT pg_notify('docket_presence', json_build_object('instance', "
       "'evil', 'conn', g, 'user', 'm' || g, 'ticket', 5000000 + g, 'state', "
       "'viewing', 'expires_in', 10)::text) FROM generate_series(1, 10500) g")
def forged_marks():
    b2.poll_pushes(0.2)
    return [p["params"] for p in b2.pushes[mark:]
            if p.get("params", {}).get("type") == "presence"
            and p["params"]["user"].startswith("m")]
def live_most():
    live, most = set(), 0
    for p in forged_marks():
        if p["state"] == "viewing":
            live.add(p["user"])
        else:
            live.discard(p["user"])
        most = max(most, len(live))
    return most, len(live)
wait_for(lambda: live_most()[0] >= 10000 or
         sum(1 for p in forged_marks() if p["state"] is None) > 0,
         30, "10000 forged markers")
eq(live_most()[0], 10000, "10500 forged markers: at most 10000 at once")
ok("not keeping a marker" in d2.log_text(), "the cap is logged")
wait_for(lambda: live_most()[1] == 0, 40, "the forged markers lapse")
eq(live_most()[1], 0, "every forged marker lapses")

# ---- a draining instance clears its clients' markers at once ---------------

d3 = cl.start_server("d3")
a3 = d3.login(cl, "anna")
a3.call("presence.set", ticket=T, state="replying")
wait_presence(b2, T, "anna", "replying")
started = time.time()
d3.proc.send_signal(signal.SIGTERM)
wait_presence(b2, T, "anna", None, timeout=LAPSE + SLACK)
took = time.time() - started
ok(took < LAPSE - 1, "SIGTERM d3: its client's marker clears as it drains, "
   "not by the lapse (%.1fs)" % took)
eq(d3.proc.wait(15), 0, "d3 exits 0 after draining")
a3.close()

# ---- a killed instance's markers lapse ----------------------------------

a = d1.login(cl, "anna")
a.call("presence.set", ticket=T2, state="replying")
wait_presence(b2, T2, "anna", "replying")
d1.proc.send_signal(signal.SIGKILL)
d1.proc.wait()
d1.checked = True
started = time.time()
wait_presence(b2, T2, "anna", None, timeout=LAPSE + SLACK + 5)
took = time.time() - started
ok(took <= LAPSE + SLACK, "SIGKILL d1: anna's marker lapses on d2 "
   "(%.1fs)" % took)
a.close()
b1.close()
b2.close()
done()
