"""rpc_protocol.py - bad input (SPEC section 12): each class gets its
JSON-RPC or Docket error with a human message, the connection stays usable
(except after an oversized line), and other clients never notice."""
import sys, os, json, socket
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

cl = Cluster()
cl.add_staff("carla", "content")
d = cl.start_server("d1", server={"max_line_bytes": 4096})
bystander = d.login(cl, "carla")
bystander.subscribe()
c = d.client()

def raw(conn, data):
    conn.send_raw(data)
    return json.loads(conn.read_line())

def err(reply):
    return (reply["id"], reply["error"]["code"])

r = raw(c, b'{"jsonrpc": "2.0", "id": 1, "method": \n')
eq(err(r), (None, -32700), "malformed JSON: -32700 with id null")
ok("parse error" in r["error"]["message"], "  ...with a message saying where")
eq(err(raw(c, b'[1, 2]\n')), (None, -32600), "an array, not an object: -32600")
eq(err(raw(c, b'"hello"\n')), (None, -32600), "a string, not an object: -32600")
eq(err(raw(c, b'{"id": 7, "method": "server.info"}\n')), (7, -32600),
   "no jsonrpc member: -32600, answered to its id")
eq(err(raw(c, b'{"jsonrpc": "2.0", "id": 8, "method": 5}\n')), (8, -32600),
   "method not a string: -32600")
eq(err(raw(c, b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "server.info"}\n')),
   (None, -32600), "an id that is an object: -32600")
eq(err(raw(c, b'{"jsonrpc": "2.0", "id": 9, "method": "server.info", "params": [1]}\n')),
   (9, -32602), "positional params: -32602")
eq(err(raw(c, b'{"jsonrpc": "2.0", "id": 10, "method": "server.info", "params": 3}\n')),
   (10, -32600), "params not an object: -32600")
r = raw(c, b'{"jsonrpc": "2.0", "id": 11, "method": "no.such"}\n')
eq(err(r), (11, -32601), "unknown method: -32601")
eq(r["error"]["message"], 'unrecognized method "no.such"', "  ...naming it")
eq(err(raw(c, b'{"jsonrpc": "2.0", "id": 12, "method": "server.info", "x": "\xff\xfe"}\n')),
   (None, -32700), "invalid UTF-8: -32700")
# Found by fuzz_rpc: the parser's message quoted these bytes, and no reply
# could be built, so the client heard nothing.
eq(err(raw(c, b'{"ie\\\xde\xbc\x01\x00\x00\x00null}\n')), (None, -32700),
   "bytes that garble the parser's own message still get -32700")
eq(err(raw(c, b'{"jsonrpc": "2.0", "id": 123456789012345678901234567890, "method": "server.info"}\n')),
   (None, -32700), "an integer too big for any id: -32700")
eq(err(raw(c, b'{"jsonrpc": "2.0", "id": 13, "method": "server.info", "params": {"v": 1e999}}\n')),
   (None, -32700), "a real number overflowing: -32700")
eq(err(raw(c, b'{"jsonrpc": "2.0", "id": 14, "method": "server.info", "method": "x"}\n')),
   (None, -32700), "duplicate keys: -32700")
eq(raw(c, b'\n\r\n{"jsonrpc": "2.0", "id": "s-1", "method": "server.info"}\r\n')["id"], "s-1",
   "blank lines are skipped, CRLF accepted, string ids echoed")

eq(c.error("tickets.counts").code, 4001, "before login: 4001")
e = c.error("tickets.view", view="open")
eq((e.code, e.message), (4001, "log in first (session.login, session.peer or session.resume)"),
   "  ...with a message that says how")
c.call("session.resume", token=cl.session("carla"))
e = c.error("tickets.get")
eq((e.code, e.message), (-32602, 'parameter "id" is required'), "missing parameter: -32602")
e = c.error("tickets.get", id="1001")
eq((e.code, e.message), (-32602, 'parameter "id" must be a positive integer'), "wrong type: -32602")
eq(c.error("tickets.get", id=-5).code, -32602, "negative id: -32602")
eq(c.error("tickets.get", id=2**60).code, -32602, "huge id: -32602")
eq(c.error("tickets.get", id=1.5).code, -32602, "fractional id: -32602")
e = c.error("tickets.get", id=1001, color="red")
eq((e.code, e.message), (-32602, 'tickets.get takes no parameter "color"'), "unknown parameter: -32602")
eq(c.error("tickets.view", view="everything").code, -32602, "unknown view: -32602")
eq(c.error("tickets.view", view="open", limit=501).code, -32602, "limit over 500: -32602")
eq(c.error("tickets.view", view="open", after="not-a-cursor").code, -32602, "forged cursor: -32602")
eq(c.error("notes.add", ticket=999999, body="x").code, 4004, "a ticket that does not exist: 4004")
eq(c.error("notes.add", ticket=999999, body="a\u0000b").code, -32602, "NUL in text: -32602")
eq(c.error("tasks.add", ticket=999999, title="t", due_at="next tuesday").code, -32602,
   "a time that is not a time: -32602")
eq(c.error("tickets.set_priority", id=1, priority="urgent").code, 4004,
   "bad value on a missing ticket: 4004 (the ticket is checked first)")

# A JSON-RPC notification (no id) is run but not answered.
c.send_raw(b'{"jsonrpc": "2.0", "method": "server.info"}\n')
eq(c.call("server.info")["instance"], "d1", "a notification gets no answer; the next call does")

# Pipelined requests are answered in order.
batch = b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"%s","params":{}}\n'
                 % (i, b"tickets.counts" if i % 2 else b"server.info") for i in range(100, 160))
c.send_raw(batch)
got = [json.loads(c.read_line())["id"] for _ in range(60)]
eq(got, list(range(100, 160)), "60 pipelined requests answered in order")

# An oversized line: one error, then the connection is closed.
big = d.client()
big.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"server.info","params":{"x":"' + b"a" * 5000 + b'"}}\n')
r = json.loads(big.read_line())
eq(err(r), (None, -32600), "a line over max_line_bytes: -32600")
ok("4096" in r["error"]["message"], "  ...naming the limit")
eq(big.read_line(), None, "  ...and the connection is closed")
big2 = d.client()
big2.send_raw(b"x" * 20000)   # no newline at all
r = json.loads(big2.read_line())
eq(err(r), (None, -32600), "a line with no end past the limit is refused too")
eq(big2.read_line(), None, "  ...and closed")

# A client that sends and half-closes (a shell script's way) gets every answer.
half = d.client()
half.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"server.info"}\n'
              b'{"jsonrpc":"2.0","id":2,"method":"tickets.counts"}\n')
half.sock.shutdown(socket.SHUT_WR)
got = []
while True:
    line = half.read_line()
    if line is None:
        break
    got.append(json.loads(line)["id"])
eq(got, [1, 2], "after a half-close, every request is answered, then the server closes")

eq(bystander.call("server.info")["instance"], "d1", "other clients never noticed")
eq(c.call("server.info")["instance"], "d1", "the connection that sent bad input still works")
ok("line longer than 4096 bytes" in d.log_text(), "the server logged why it closed the connection")
done()
