"""rpc_faults.py - the database restarting under writers (every write
answered OK is in the database afterwards, the rest got errors, docketd
keeps serving), a client that stops reading (disconnected at the output
cap, server memory flat), and SIGTERM (clients told, exit 0)."""
import sys, os, threading, time, json
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

cl = Cluster()
cl.sql("INSERT INTO staff (username, name, email, roles) "
       "SELECT 'w' || g, 'Writer ' || g, 'w' || g || '@agency.example', '{content}' "
       "FROM generate_series(1, 4) g")
email = cl.add_contact()
tid = cl.new_ticket(email, "Fault target")
d = cl.start_server("d1", server={"max_output_bytes": 65536})

# --- the database restarts while four writers write ----------------------
acked, failed = [], []
stop = False
def writer(i):
    c = d.login(cl, "w%d" % (i + 1))
    n = 0
    while not stop:
        n += 1
        body = "w%d note %d" % (i + 1, n)
        try:
            r = c.call("notes.add", ticket=tid, body=body)
            acked.append((r["id"], body))
        except RpcError as e:
            failed.append(e.code)
            time.sleep(0.01)
        except (OSError, ConnectionError):
            c = d.login(cl, "w%d" % (i + 1))
threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
for t in threads: t.start()
time.sleep(0.7)
before = len(acked)
cl.pg_stop()
time.sleep(1.0)
cl.pg_start()
time.sleep(1.5)
stop = True
for t in threads: t.join()
ok(d.proc.poll() is None, "docketd survived the database restart")
ok(before > 0 and len(acked) > before, "writes succeeded before (%d) and after (%d) the restart"
   % (before, len(acked) - before))
ok(failed and set(failed) <= {5003}, "writes during the outage got 5003 (%d of them)" % len(failed))
stored = {(int(r[0]), r[1]) for r in cl.sql("SELECT id, body FROM note")}
eq([a for a in acked if a not in stored], [], "every write answered OK is in the database")
c = d.login(cl, "w1")
eq(c.call("tickets.get", id=tid)["id"], tid, "docketd serves normally afterwards")
c.subscribe()
c.call("notes.add", ticket=tid, body="after the restart")
ok(c.wait_push(lambda p: p["params"].get("action") == "note_added"), "the feed is live again")

# --- a client that stops reading --------------------------------------------
cl.sql("INSERT INTO ticket (subject, description, pipeline, stage, contact_id, source) "
       "SELECT 'Bulk ' || g || repeat(' padding', 20), '', 'support', 'new', "
       "(SELECT min(id) FROM contact), 'phone' FROM generate_series(1, 400) g")
bystander = d.login(cl, "w2")
rss0 = rss_kb(d.proc.pid)
stalled = d.login(cl, "w3")
req = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tickets.view",
                  "params": {"view": "open", "limit": 500}}).encode() + b"\n"
stalled.sock.settimeout(30)
try:
    for _ in range(400):
        stalled.send_raw(req)      # never reads a reply
except OSError:
    pass                          # closed on us: what we want
wait_for(lambda: "output limit" in d.log_text(), timeout=30, what="the output cap")
ok(True, "a client that stops reading is disconnected at server.max_output_bytes")
rss1 = rss_kb(d.proc.pid)
ok(rss1 - rss0 < 40 * 1024, "server memory stays flat (%d kB before, %d kB after)" % (rss0, rss1))
eq(bystander.call("server.info")["instance"], "d1", "other clients are unaffected")

# --- SIGTERM: clients are told, the server drains and exits 0 ---------------
watcher = d.login(cl, "w4")
rc = d.stop()
eq(rc, 0, "SIGTERM: exit 0")
watcher.poll_pushes(0.5)
eq([p["method"] for p in watcher.pushes if p.get("method") == "server.shutdown"],
   ["server.shutdown"], "connected clients were told the server is going away")
ok(not os.path.exists(d.sock), "the socket file is removed")
done()
