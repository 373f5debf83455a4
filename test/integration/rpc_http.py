"""rpc_http.py - docketd's HTTP layer over raw sockets, with no application
set (every path but /healthz and /metrics is 404, bodies are limited to
nothing): keep-alive, pipelining, Connection: close, HTTP/1.0, the cap of
100 requests per connection, the layer's own refusals (405 with Allow,
411, 413 before the body is sent, 100-continue refused, 431, 400, 414),
a half close, the deadline on a client that sends half a request or
idles, and /healthz while one address holds 30 idle connections."""
import sys, os, socket, threading, time, json
sys.path.insert(0, os.path.dirname(__file__))
from harness import *


class Conn:
    """One client connection that reads responses one at a time."""

    def __init__(self, port, timeout=10, source="127.0.0.1"):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout,
                                             source_address=(source, 0))
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _more(self):
        b = self.sock.recv(65536)
        if not b:
            raise EOFError("connection closed")
        self.buf += b

    def response(self, head=False):
        """(status, {lower-case name: value}, body); EOFError if the
        server closed first."""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        top, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = top.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        n = 0 if head or status == 100 else int(headers.get("content-length", 0))
        while len(self.buf) < n:
            self._more()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body.decode(errors="replace")

    def closed(self, within=5.0):
        """True once the server has closed (EOF or reset) with nothing more
        sent; False if it stays open that long or sends bytes."""
        if self.buf:
            return False
        self.sock.settimeout(within)
        try:
            return self.sock.recv(1) == b""
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def get(path, version="1.1", extra=""):
    return ("GET %s HTTP/%s\r\nHost: x\r\n%s\r\n" % (path, version, extra)).encode()


cl = Cluster()
hport = free_port()
d = cl.start_server("d1", http={"listen": "127.0.0.1:%d" % hport,
                                 "max_connections_per_address": 32},
                    portal={"enabled": False})  # no application: 404s

# --- keep-alive -----------------------------------------------------------------
c = Conn(hport)
answers = []
for _ in range(3):
    c.send(get("/healthz"))
    answers.append(c.response())
eq([a[0] for a in answers], [200] * 3, "three GETs on one connection: each answered")
eq([a[1].get("connection") for a in answers], ["keep-alive"] * 3,
   "  ...each saying Connection: keep-alive")
eq(json.loads(answers[2][2])["status"], "ok", "  ...with the whole body")
c.send(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
status, headers, body = c.response(head=True)
ok(status == 200 and int(headers["content-length"]) > 0,
   "HEAD on the same connection: the length of the body, not the body", headers)
c.send(get("/healthz"))
eq(c.response()[0], 200, "  ...and the connection goes on after it")
c.close()

# --- pipelining -----------------------------------------------------------------
c = Conn(hport)
c.send(get("/healthz") + get("/metrics") + b"HEAD /healthz HTTP/1.1\r\n\r\n")
first, second = c.response(), c.response()
third = c.response(head=True)
ok(first[0] == 200 and first[1]["content-type"] == "application/json",
   "three requests in one send: the first answer is /healthz's", first[1])
ok(second[0] == 200 and second[1]["content-type"].startswith("text/plain; version=0.0.4"),
   "  ...the second /metrics'", second[1])
ok(third[0] == 200 and third[1]["content-type"] == "application/json",
   "  ...the third HEAD /healthz's", third[1])
c.close()

# A request cut across sends, and several small sends of pipelined bytes.
c = Conn(hport)
whole = get("/healthz") * 2
for i in range(0, len(whole), 7):
    c.send(whole[i:i + 7])
    time.sleep(0.01)
eq([c.response()[0], c.response()[0]], [200, 200],
   "two requests sent seven bytes at a time: both answered")
c.close()

# --- Connection: close, HTTP/1.0 ------------------------------------------------------
c = Conn(hport)
c.send(get("/healthz", extra="Connection: close\r\n") + get("/healthz"))
status, headers, _ = c.response()
eq((status, headers.get("connection")), (200, "close"),
   "Connection: close: answered, saying close")
ok(c.closed(), "  ...then closed, the request after it not answered")
c.close()

c = Conn(hport)
c.send(get("/healthz", "1.0"))
status, headers, _ = c.response()
eq((status, headers.get("connection")), (200, "close"), "HTTP/1.0: answered, Connection: close")
ok(c.closed(), "  ...and closed")
c.close()

c = Conn(hport)
c.send(get("/healthz", "1.0", "Connection: keep-alive\r\n"))
status, headers, _ = c.response()
eq((status, headers.get("connection")), (200, "keep-alive"),
   "HTTP/1.0 asking for keep-alive: kept")
c.send(get("/healthz", "1.0"))
status, headers, _ = c.response()
eq((status, headers.get("connection")), (200, "close"), "  ...until a request does not ask")
c.close()

# --- at most 100 requests per connection ---------------------------------------------
c = Conn(hport)
seen = []
for i in range(100):
    c.send(get("/healthz"))
    status, headers, _ = c.response()
    seen.append((status, headers.get("connection")))
eq(seen[:99], [(200, "keep-alive")] * 99, "99 requests on one connection: kept alive")
eq(seen[99], (200, "close"), "  ...the 100th says Connection: close")
ok(c.closed(), "  ...and the connection closes after it")
c.close()

# --- the layer's own refusals: short text, then close -------------------------------
def refused(data, what, status, header=None, value=None):
    c = Conn(hport)
    c.send(data)
    try:
        st, headers, body = c.response()
    except (EOFError, ConnectionResetError) as e:
        ok(False, what, e)
        c.close()
        return None
    ok(st == status and headers.get("connection") == "close" and
       headers.get("content-type", "").startswith("text/plain") and
       (header is None or headers.get(header) == value),
       what, (st, headers, body))
    ok(c.closed(), "  ...and the connection is closed")
    c.close()
    return body

refused(b"PUT /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        "PUT is 405 with Allow: GET, HEAD, POST", 405, "allow", "GET, HEAD, POST")
refused(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        "POST /metrics is 405 with Allow: GET, HEAD", 405, "allow", "GET, HEAD")
refused(b"POST /x HTTP/1.1\r\nHost: x\r\n\r\n", "POST without Content-Length is 411", 411)
refused(b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n", "a chunked POST is 411", 411)
# Headers only: the 413 comes before any byte of the body is sent.
refused(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n",
        "POST /healthz with a body (limit 0): 413 before the body is sent", 413)
refused(b"POST /portal/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n",
        "a body of 100 MB without an application: 413 at once", 413)
body = refused(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               b"Expect: 100-continue\r\n\r\n",
               "Expect: 100-continue over the limit: 413, no 100 Continue", 413)
refused(get("/healthz", extra="".join("X-Pad-%d: %s\r\n" % (i, "b" * 1000)
                                      for i in range(20))),
        "20 KiB of headers is 431", 431)
refused(get("/healthz", extra="Cookie: %s\r\n" % ("c" * 9000)),
        "a Cookie over its cap is 431", 431)
refused(b"GARBAGE\r\n\r\n", "garbage is 400", 400)
refused(get("/" + "a" * 5000), "an overlong target is 414", 414)
refused(get("/nope"), "an unknown path without an application is 404", 404)
refused(get("/healthz").replace(b"Host: x\r\n", b"Host: x\r\nHost: y\r\n"),
        "two Host headers are 400", 400)

# A client that half-closes after its request still gets the answer.
c = Conn(hport)
c.send(get("/healthz"))
c.sock.shutdown(socket.SHUT_WR)
status, headers, _ = c.response()
# Whether the answer says close depends on whether the end of input was
# read before it was written (both happen on a loaded machine): either
# way the answer comes, and then the connection ends.
ok(status == 200 and headers.get("connection") in ("close", "keep-alive"),
   "a request then a half close: answered", (status, headers))
ok(c.closed(), "  ...and closed")
c.close()

# --- deadlines: half a request, an idle connection ------------------------------------
# (From another address than the crowd below: one address holds 32.)
half = Conn(hport, timeout=20, source="127.0.0.5")
half.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")   # and never the end
t0 = time.monotonic()
idle = Conn(hport, timeout=20, source="127.0.0.5")
idle.send(get("/healthz"))
idle.response()
t1 = time.monotonic()
trickle = Conn(hport, timeout=20, source="127.0.0.5")
stop = threading.Event()
def trickler():
    # A byte a second: bytes trickling in do not move the deadline.
    for ch in b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 100:
        if stop.wait(1.0):
            return
        try:
            trickle.sock.send(bytes([ch]))
        except OSError:
            return
th = threading.Thread(target=trickler, daemon=True)
th.start()

ok(not half.closed(within=max(0.1, 8.0 - (time.monotonic() - t0))),
   "half a request: the connection is kept a while")
ok(half.closed(within=5.0), "  ...and closed by the deadline (10 s from the accept)")
took = time.monotonic() - t0
ok(8.0 <= took <= 13.0, "  ...after about 10 s", took)
ok(idle.closed(within=max(0.1, 13.0 - (time.monotonic() - t1))),
   "an idle kept-alive connection is closed about 10 s after its answer")
ok(trickle.closed(within=5.0), "a request trickling in a byte a second is cut at the deadline")
stop.set()
for k in (half, idle, trickle):
    k.close()

# --- /healthz while one address holds 30 idle connections ------------------------------
crowd = [Conn(hport) for _ in range(30)]
for k in crowd[:10]:
    k.send(get("/healthz"))
    k.response()       # kept alive, idle after one answer
c = Conn(hport)
c.send(get("/healthz"))
eq(c.response()[0], 200, "30 idle connections from one address: /healthz still answered")
more = [Conn(hport), Conn(hport)]
ok(not more[0].closed(within=0.5), "  ...a 32nd connection is kept")
ok(not more[1].closed(within=0.5),
   "  ...a 33rd is kept too, taking the place of an idle kept-alive one")
ok(wait_for(lambda: any(k.closed(within=0.05) for k in crowd[:10]), 10,
            "an idle one closed"),
   "  ...an idle one (the oldest), which is closed")
c.close()
for k in more:
    k.close()
for k in crowd:
    k.close()

c = Conn(hport)
c.send(get("/healthz"))
eq(c.response()[0], 200, "the server goes on serving")
c.close()
ok("Sanitizer" not in d.log_text(), "no sanitizer report in the log")
# An address whose 32 connections are all busy sending has nothing to
# give way: its 33rd is refused.
busy = [Conn(hport, source="127.0.0.7") for _ in range(32)]
for k in busy:
    k.send(b"GET /healthz HTTP/1.1\r\n")
time.sleep(0.2)
extra = Conn(hport, source="127.0.0.7")
ok(extra.closed(), "  ...a 33rd next to 32 busy ones is closed at once")
ok(not busy[0].closed(within=0.2), "  ...and the busy ones stay")
for k in busy + [extra]:
    k.close()

done()
