"""rpc_ssh.py - session.ssh {fingerprint}: a login by SSH key through the
gateway account.  It answers like the other logins, only on the Unix
socket and only to the Unix user server.ssh_gateway_user (tried as root,
as the real unprivileged `docket` account and as `nobody`); over TCP,
with an unknown or malformed fingerprint, with a disabled member's key or
with the gateway unset it is refused.  Removing the key (docketctl staff
key remove) or disabling the member ends the live sessions made with it
on every docketd at once; the member's other sessions stay."""
import sys, os, pwd, subprocess, json
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

cl = Cluster()
cl.add_staff("alice", "content", password=None)
cl.add_staff("bob", "content,graphics", password=None)
cl.add_staff("carol", "content", password=None)

keys = os.path.join(cl.dir, "keys")
os.mkdir(keys)


def new_key(name):
    path = os.path.join(keys, name)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                    name, "-f", path], check=True)
    out = subprocess.run(["ssh-keygen", "-lf", path + ".pub"], check=True,
                         capture_output=True, text=True).stdout
    return open(path + ".pub").read(), out.split()[1]


alice_pub, alice_fp = new_key("alice")
alice2_pub, alice2_fp = new_key("alice2")
bob_pub, bob_fp = new_key("bob")
carol_pub, carol_fp = new_key("carol")
_, stranger_fp = new_key("stranger")
eq(cl.ctl("staff", "key", "add", "alice", input=alice_pub).strip(), alice_fp,
   "docketctl prints the key's fingerprint")
cl.ctl("staff", "key", "add", "alice", input=alice2_pub)
cl.ctl("staff", "key", "add", "bob", input=bob_pub)
cl.ctl("staff", "key", "add", "carol", input=carol_pub)
cl.ctl("staff", "disable", "carol")

me = pwd.getpwuid(os.getuid()).pw_name
d1 = cl.start_server("d1", server={"ssh_gateway_user": me})
d2 = cl.start_server("d2", server={"ssh_gateway_user": me})


def code(client, method, **params):
    try:
        client.call(method, **params)
        return "ok"
    except RpcError as e:
        return e.code


# ---- the gateway user logs in by key ------------------------------------
a1 = d1.client()
r = a1.call("session.ssh", fingerprint=alice_fp)
eq(r["staff"]["username"], "alice", "session.ssh as the gateway user: alice")
eq(sorted(r), ["idle_timeout_s", "staff", "token"],
   "answers {token, staff, idle_timeout_s} like the other logins")
eq(r["staff"]["roles"], ["content"], "with her roles")
ok(isinstance(a1.call("tickets.counts"), dict), "and the session works")
eq(cl.sql1("SELECT ssh_fingerprint FROM session WHERE staff_id = "
           "(SELECT id FROM staff WHERE username = 'alice')"), alice_fp,
   "the session remembers the key it came by")
a2 = d2.client()
alice_token = r["token"]
eq(a2.call("session.resume", token=alice_token)["staff"]["username"], "alice",
   "its token resumes on another docketd")
a1b = d1.client()
eq(a1b.call("session.ssh", fingerprint=alice2_fp)["staff"]["username"],
   "alice", "her second key logs her in too")
b2 = d2.client()
eq(b2.call("session.ssh", fingerprint=bob_fp)["staff"]["username"], "bob",
   "another key is another member")

# ---- refusals --------------------------------------------------------------
e = d1.client(tcp=True).error("session.ssh", fingerprint=alice_fp)
eq((e.code, e.message), (4003, "session.ssh works only on the Unix socket"),
   "over TCP: refused")
eq(d1.client(tcp=True).error("session.ssh", fingerprint="x").code, 4003,
   "over TCP even a malformed fingerprint is just refused")
e = d1.client().error("session.ssh", fingerprint=stranger_fp)
eq((e.code, e.message),
   (4003, "SSH key %s is not an active staff member's" % stranger_fp),
   "an unknown key: 4003")
e = d1.client().error("session.ssh", fingerprint=carol_fp)
eq(e.code, 4003, "a disabled member's key: 4003")
ok("refused session.ssh: key %s" % carol_fp in d1.log_text(),
   "refusals are logged")
for bad in ["", "SHA256:short", "MD5:" + "a" * 43, alice_fp + "\n",
            alice_fp[:-1] + "\"", alice_fp + " x", "sha256:" + alice_fp[7:]]:
    eq(d1.client().error("session.ssh", fingerprint=bad).code, -32602,
       "a malformed fingerprint %r: -32602" % bad)
eq(d1.client().error("session.ssh").code, -32602, "no fingerprint: -32602")
eq(d1.client().error("session.ssh", fingerprint=alice_fp, user="bob").code,
   -32602, "an unknown parameter: -32602")

# ---- only the gateway Unix user ---------------------------------------------
RUN_AS = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(20); s.connect(sys.argv[1])
s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "session.ssh",
                       "params": {"fingerprint": sys.argv[2]}}) + "\n").encode())
buf = b""
while b"\n" not in buf:
    chunk = s.recv(65536)
    if not chunk: break
    buf += chunk
print(buf.decode().strip())
"""


def ssh_as(user, server, fp):
    """session.ssh from a process of Unix user `user`: the reply."""
    pw = pwd.getpwnam(user)
    def drop():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    out = subprocess.run(["/usr/bin/python3", "-c", RUN_AS, server.sock, fp],
                         preexec_fn=drop, capture_output=True, text=True,
                         timeout=30)
    return json.loads(out.stdout) if out.stdout.strip() else {"stderr": out.stderr}


try:
    pwd.getpwnam("docket")
    have_docket = True
except KeyError:
    have_docket = False
if os.getuid() == 0 and have_docket:
    d3 = cl.start_server("d3", server={"ssh_gateway_user": "docket",
                                       "socket_mode": "0666"})
    r = ssh_as("docket", d3, bob_fp)
    eq(r.get("result", {}).get("staff", {}).get("username"), "bob",
       "the real gateway account `docket` logs bob in")
    r = ssh_as("nobody", d3, bob_fp)
    eq((r.get("error") or {}).get("code"), 4003,
       "another Unix user (nobody): 4003")
    eq((r.get("error") or {}).get("message"),
       'session.ssh is only for the SSH gateway user "docket"',
       "  ...saying who may")
    e = d3.client().error("session.ssh", fingerprint=bob_fp)
    eq(e.code, 4003, "root is not the gateway either")
    ok("refused session.ssh from uid 65534 (nobody)" in d3.log_text(),
       "the refused uid is logged")
    d3.reload(server={"ssh_gateway_user": me})
    eq(d3.client().call("session.ssh", fingerprint=bob_fp)["staff"]["username"],
       "bob", "a reload changes the gateway user for the next login")
else:
    ok(False, "these checks need root and the Unix user docket (uid %d, "
       "docket %s)" % (os.getuid(), "exists" if have_docket else "missing"))

d4 = cl.start_server("d4")
e = d4.client().error("session.ssh", fingerprint=alice_fp)
eq((e.code, e.message),
   (4003, "SSH-key logins are off (server.ssh_gateway_user is not set)"),
   "no gateway configured: 4003")

# ---- a removed key ends its sessions everywhere ----------------------------
cl.ctl("staff", "key", "remove", alice_fp)
for srv in (d1, d2):
    try:
        wait_for(lambda: "session logged out elsewhere" in srv.log_text(),
                 timeout=10, what="the removal to reach " + srv.name)
        reached = True
    except TimeoutError:
        reached = False
    ok(reached, "%s is told the key's session ended" % srv.name)
eq(code(a1, "tickets.counts"), 4001,
   "the live session made with the removed key is logged out")
eq(code(a2, "tickets.counts"), 4001,
   "  ...and so is its token resumed on the other docketd")
ok(isinstance(a1b.call("tickets.counts"), dict),
   "her session by her other key stays")
ok(isinstance(b2.call("tickets.counts"), dict), "bob's stays")
eq(d1.client().error("session.ssh", fingerprint=alice_fp).code, 4003,
   "the removed key no longer logs in")
eq(d1.client().error("session.resume", token=alice_token).code, 4010,
   "its token no longer resumes")

# ---- a disabled member's key sessions end too --------------------------------
cl.ctl("staff", "disable", "bob")
wait_for(lambda: "disabled or changed" in d2.log_text(), timeout=10,
         what="bob's disabling to reach d2")
eq(code(b2, "tickets.counts"), 4001, "disabling bob ends his key session")
eq(d2.client().error("session.ssh", fingerprint=bob_fp).code, 4003,
   "and his key no longer logs in")
cl.ctl("staff", "enable", "bob")
eq(d2.client().call("session.ssh", fingerprint=bob_fp)["staff"]["username"],
   "bob", "enabled again, the key works again")

done()
