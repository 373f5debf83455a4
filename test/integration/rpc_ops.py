"""rpc_ops.py - docketd as ops run it: the HTTP listener (/healthz with
the database up and down, /metrics parsed and its counters checked after
known traffic, bad HTTP), systemd's notify protocol (READY, STATUS,
watchdog, RELOADING, STOPPING) over a socket of the test's own, journald
priority prefixes, SIGHUP with a changed and with a broken file while
clients keep working, and SIGTERM with requests in flight."""
import sys, os, re, socket, threading, time, json, signal, http.client
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

METRIC = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def http_get(port, path, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path)
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, dict(r.getheaders()), body


def raw_http(port, data):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(data)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out.decode(errors="replace")


def scrape(port):
    """/metrics as {(name, frozenset(labels)): value}, checking the syntax
    of every line on the way (a bad line fails the test)."""
    status, headers, body = http_get(port, "/metrics")
    eq(status, 200, "/metrics answers 200")
    ok(headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
       "/metrics has the Prometheus text content type", headers)
    out, types, bad = {}, {}, []
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if line.startswith("# HELP ") or line == "":
            continue
        m = METRIC.match(line)
        if not m:
            bad.append(line)
            continue
        labels = {}
        if m.group(2):
            for lm in LABEL.finditer(m.group(2)):
                labels[lm.group(1)] = lm.group(2)
            if ",".join('%s="%s"' % kv for kv in labels.items()) != m.group(2):
                bad.append(line)
        base = re.sub(r'_(bucket|sum|count)$', '', m.group(1))
        if m.group(1) not in types and base not in types:
            bad.append("no TYPE: " + line)
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(3))
    eq(bad, [], "every /metrics line is well-formed and has a TYPE")
    return out


def metric(ms, name, **labels):
    return ms.get((name, frozenset(labels.items())))


class NotifySocket:
    """The systemd side of sd_notify(3): a datagram socket, collected."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.stopped = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopped:
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            for line in data.split("\n"):
                if line:
                    self.messages.append((time.monotonic(), line))

    def seen(self, prefix):
        return [m for t, m in self.messages if m.startswith(prefix)]

    def close(self):
        self.stopped = True
        self.thread.join()
        self.sock.close()


cl = Cluster()
cl.sql("INSERT INTO staff (username, name, email, roles) "
       "SELECT 'w' || g, 'Writer ' || g, 'w' || g || '@agency.example', "
       "'{content}' FROM generate_series(1, 6) g")
email = cl.add_contact()
tid = cl.new_ticket(email, "Ops target")

# A notify socket and journald's stream: docketd's stderr is its log file,
# so JOURNAL_STREAM names that file, as systemd would name its socket.
notify = NotifySocket(os.path.join(cl.dir, "notify.sock"))
log_path = os.path.join(cl.dir, "d1.log")
open(log_path, "a").close()
st = os.stat(log_path)
hport = free_port()
d = cl.start_server(
    "d1", http={"listen": "127.0.0.1:%d" % hport},
    database={"pool_size": 4},
    env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000",
         "JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)})

# --- systemd: ready, status, watchdog -----------------------------------------
wait_for(lambda: notify.seen("READY=1"), what="READY=1")
wait_for(lambda: len(notify.seen("WATCHDOG=1")) >= 4,
         what="watchdog pings every 200 ms")
ok(any("database up" in s for s in notify.seen("STATUS=")),
   "STATUS says the database is up", notify.seen("STATUS="))
log = d.log_text()
ok(all(re.match(r"^<[3467]>", l) for l in log.splitlines()),
   "under journald every log line starts with a <N> priority", log[:300])
ok("<6>listening on http:127.0.0.1:%d" % hport in log,
   "info lines are priority 6")

# --- /healthz ------------------------------------------------------------------
status, headers, body = http_get(hport, "/healthz")
eq(status, 200, "/healthz is 200 while the database answers")
h = json.loads(body)
eq((h["status"], h["database"], h["instance"]), ("ok", "up", "d1"),
   "/healthz says ok, database up, and the instance")
status, _, body = http_get(hport, "/healthz", "HEAD")
eq((status, body), (200, ""), "HEAD /healthz: the status, no body")

# --- bad HTTP: clear statuses, the server goes on -------------------------------
eq(http_get(hport, "/nope")[0], 404, "an unknown path is 404")
eq(http_get(hport, "/metrics", "POST")[0], 405, "POST is 405")
ok(raw_http(hport, b"GARBAGE\r\n\r\n").startswith("HTTP/1.1 400 "),
   "a line that is not HTTP gets 400")
ok(raw_http(hport, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n")
   .startswith("HTTP/1.1 414 "), "an overlong target gets 414")
s = socket.create_connection(("127.0.0.1", hport))
s.sendall(b"GET /heal")        # and then nothing: closed after a while,
eq(http_get(hport, "/healthz")[0], 200, "a stalled client does not block others")
s.close()

# --- /metrics after known traffic ----------------------------------------------
before = scrape(hport)
c = d.login(cl, "w1")
for _ in range(7):
    c.call("server.info")
for _ in range(3):
    eq(c.error("no.such.method").code, -32601, "unknown method")
c.send_raw(b"{not json\n")
c.read_reply()
v = c.call("tickets.get", id=tid)["version"]
c.call("tickets.claim", id=tid, version=v)
eq(c.error("tickets.claim", id=tid, version=v).code, 4009, "stale claim")
after = scrape(hport)


def delta(name, **labels):
    return (metric(after, name, **labels) or 0) - \
        (metric(before, name, **labels) or 0)


eq(delta("docket_requests_total", method="server.info"), 7,
   "requests_total counts server.info")
eq(delta("docket_request_errors_total", method="(unknown)", code="-32601"), 3,
   "errors_total counts unknown methods under (unknown)")
eq(delta("docket_request_errors_total", method="(invalid)", code="-32700"), 1,
   "a parse error counts under (invalid)")
eq(delta("docket_requests_total", method="tickets.claim"), 2, "two claims")
eq(delta("docket_request_errors_total", method="tickets.claim", code="4009"), 1,
   "one claim refused with 4009")
eq(metric(after, "docket_request_duration_seconds_count", method="server.info"),
   metric(after, "docket_requests_total", method="server.info"),
   "the histogram counts every request")
buckets = sorted(((float(dict(k[1])["le"]), v) for k, v in after.items()
                  if k[0] == "docket_request_duration_seconds_bucket"
                  and dict(k[1])["method"] == "tickets.claim"))
ok([v for _, v in buckets] == sorted(v for _, v in buckets),
   "histogram buckets are cumulative", buckets)
eq(buckets[-1], (float("inf"), 2.0), "the +Inf bucket holds every claim")
eq(metric(after, "docket_db_up"), 1, "db_up is 1")
eq(metric(after, "docket_db_pool_size"), 4, "pool size as configured")
eq(metric(after, "docket_db_connections_up"), 4, "every pool connection up")
ok(metric(after, "docket_connections", transport="unix") >= 1,
   "an open unix connection is counted")
ok(metric(after, "docket_sessions") >= 1, "a logged-in session is counted")
eq(metric(after, "docket_outbox_pending"),
   float(cl.sql1("SELECT count(*) FROM outbox WHERE sent_at IS NULL "
                 "AND failed_at IS NULL")),
   "outbox_pending is the outbox's backlog (mail.send is off here)")
# The outbox gauges: a message due 100 s ago and never tried is the
# sender's lag; one scheduled weeks ahead (a workflow step queued long
# ago) is not; one waiting for its retry counts as retrying.
cl.sql("INSERT INTO outbox (kind, to_addr, subject, body, created_at, "
       "not_before, attempts) VALUES "
       "('workflow_step', 'a@school.example', 'due', 'b', now() - interval '100 s',"
       " now() - interval '100 s', 0),"
       "('workflow_step', 'b@school.example', 'later', 'b', now() - interval '30 days',"
       " now() + interval '30 days', 0),"
       "('reply', 'c@school.example', 'retry', 'b', now() - interval '1 day',"
       " now() + interval '1 min', 2)")
ms = scrape(hport)
eq(metric(ms, "docket_outbox_retrying"), 1, "outbox_retrying counts the retry")
ok(100 <= metric(ms, "docket_outbox_oldest_due_seconds") < 160,
   "outbox_oldest_due_seconds is the due message's wait, not the scheduled "
   "one's age", metric(ms, "docket_outbox_oldest_due_seconds"))
eq(metric(ms, "docket_outbox_pending"), metric(after, "docket_outbox_pending") + 3,
   "outbox_pending counts all three")
ok(metric(after, "docket_feed_head") is not None and
   metric(after, "docket_feed_sequencer") == 1,
   "feed head and sequencer are exported")
info = [dict(k[1]) for k in after if k[0] == "docket_build_info"]
ok(len(info) == 1 and info[0]["instance"] == "d1" and
   re.match(r"^\d+\.\d+\.\d+", info[0]["version"]),
   "build_info names the version and the instance", info)

# --- SIGHUP under load: nobody notices --------------------------------------------
stop = False
errors, done_calls = [], [0]


def worker(i):
    cc = d.login(cl, "w%d" % (i + 2))
    while not stop:
        try:
            cc.call("notes.add", ticket=tid, body="under reload %d" % i)
            done_calls[0] += 1
        except Exception as e:  # any error or disconnect is a failure
            errors.append(repr(e))
            return


workers = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
for t in workers:
    t.start()
time.sleep(0.3)
cfg = json.load(open(d.config_path))
good = dict(cfg)
cfg["log"] = {"level": "debug"}
cfg["database"] = dict(cfg["database"], pool_size=2)
cfg["server"] = dict(cfg["server"], listen="127.0.0.1:%d" % free_port(),
                     max_line_bytes=2048)
json.dump(cfg, open(d.config_path, "w"))
n_reload = len(notify.seen("RELOADING=1"))
d.proc.send_signal(signal.SIGHUP)
wait_for(lambda: "reload: configuration reloaded" in d.log_text(),
         what="the reload")
wait_for(lambda: metric(scrape(hport), "docket_db_connections_up") == 2,
         what="the pool to shrink to 2")
eq(metric(scrape(hport), "docket_db_pool_size"), 2, "pool_size reloaded live")
ok("server.listen changed; it takes effect only on restart" in d.log_text(),
   "a changed listen address is logged as needing a restart")
eq(len(notify.seen("RELOADING=1")), n_reload + 1, "RELOADING=1 sent")
after_reload = [m for _, m in notify.messages][
    max(i for i, (_, m) in enumerate(notify.messages) if m == "RELOADING=1"):]
ok("READY=1" in after_reload, "READY=1 follows RELOADING=1", after_reload[:5])
c.call("server.info")
wait_for(lambda: "server.info: ok in" in d.log_text(),
         what="a debug line per request at log.level debug")
c.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"server.info","params":{"x":"'
           + b"y" * 3000 + b'"}}\n')
r = c.read_reply()
ok("error" in r, "server.max_line_bytes applies at once", r)

# Grow the pool again, then a broken file: rejected, old settings kept.
cfg["database"]["pool_size"] = 6
json.dump(cfg, open(d.config_path, "w"))
d.proc.send_signal(signal.SIGHUP)
wait_for(lambda: metric(scrape(hport), "docket_db_connections_up") == 6,
         what="the pool to grow to 6")
with open(d.config_path, "w") as f:
    f.write("database:\n  pool_size: lots\nlog:\n  level: shouting\n")
d.proc.send_signal(signal.SIGHUP)
wait_for(lambda: "reload: configuration rejected" in d.log_text(),
         what="the broken file to be rejected")
log = d.log_text()
ok(re.search(r"reload: .*d1\.yaml:2:\d+: database\.pool_size", log),
   "the file's error is logged with its line", log[-800:])
ok(re.search(r"reload: .*d1\.yaml:4:\d+: log\.level", log),
   "every error is logged, not only the first")
eq(metric(scrape(hport), "docket_db_pool_size"), 6,
   "the running configuration is kept")
time.sleep(0.3)
stop = True
for t in workers:
    t.join()
eq(errors, [], "no client noticed the reloads")
ok(done_calls[0] > 20, "the writers kept writing", done_calls[0])
json.dump(good, open(d.config_path, "w"))

# --- /healthz with the database down, then back --------------------------------
cl.pg_stop()
wait_for(lambda: http_get(hport, "/healthz")[0] == 503, what="503 when down")
status, _, body = http_get(hport, "/healthz")
eq(json.loads(body)["database"], "down", "/healthz says the database is down")
eq(metric(scrape(hport), "docket_db_up"), 0, "db_up is 0 when it is down")
cl.pg_start()
wait_for(lambda: http_get(hport, "/healthz")[0] == 200, timeout=30,
         what="200 once the database is back")

# --- SIGTERM with requests in flight: each answered, each client told ------------
clients = [d.login(cl, "w%d" % (i + 1)) for i in range(6)]
for i, cc in enumerate(clients):
    cc.send_raw(json.dumps({"jsonrpc": "2.0", "id": 100 + i,
                            "method": "notes.add",
                            "params": {"ticket": tid,
                                       "body": "in flight %d" % i}}).encode()
                + b"\n")
n_stop = len(notify.seen("STOPPING=1"))
d.proc.send_signal(signal.SIGTERM)
for i, cc in enumerate(clients):
    r = cc.read_reply()
    ok(r.get("id") == 100 + i and "result" in r,
       "a request in flight at SIGTERM is answered", r)
    cc.poll_pushes(2.0)
    ok(any(p.get("method") == "server.shutdown" for p in cc.pushes),
       "each client is told the server is going away")
rc = d.proc.wait(15)
eq(rc, 0, "SIGTERM: exit 0")
eq(int(cl.sql1("SELECT count(*) FROM note WHERE body LIKE 'in flight %'")),
   6, "every answered write is in the database")
eq(len(notify.seen("STOPPING=1")), n_stop + 1, "STOPPING=1 sent")
notify.close()
done()
