"""harness.py - what the docketd integration tests share.

A private PostgreSQL (scripts/lib/pg.sh) migrated with the real docketctl,
real docketd processes on a Unix socket and a TCP port of their own, a
JSON-RPC client that keeps the server's pushes, and assertions that count
and report ("N passed, M failed" closes every script).  Standard library
only, run by Debian's /usr/bin/python3.  Everything is removed on exit.
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SOURCE = os.environ["DOCKET_SOURCE_DIR"]
DOCKETCTL = os.environ["DOCKETCTL"]
# With DOCKET_VALGRIND=1 (scripts/test --valgrind) docketd and docketctl
# run under memcheck: an error or a leak makes them exit 99.
VALGRIND = ([os.path.join(SOURCE, "test", "valgrind.sh")]
            if os.environ.get("DOCKET_VALGRIND") else [])
DOCKETD = os.environ["DOCKETD"]

_passed = 0
_failed = 0
_crashed = False


def _excepthook(*args):
    global _crashed
    _crashed = True
    sys.__excepthook__(*args)


sys.excepthook = _excepthook


def ok(cond, what, detail=None):
    """Count one check; print it, with detail when it failed."""
    global _passed, _failed
    if cond:
        _passed += 1
        print("ok - " + what)
    else:
        _failed += 1
        print("FAIL - " + what)
        if detail is not None:
            print("   " + str(detail)[:2000])
    sys.stdout.flush()
    return cond


def eq(actual, expected, what):
    return ok(actual == expected, what,
              "expected %r\n   actual   %r" % (expected, actual))


_clusters = []


def done():
    # Every server must stop cleanly: exit 0 on SIGTERM, and (in the
    # sanitizer build) no AddressSanitizer, LeakSanitizer or UBSan report.
    for cl in _clusters:
        for srv in cl.servers:
            if srv.checked:
                continue
            srv.checked = True
            rc = srv.stop()
            log = srv.log_text()
            ok(rc == 0 and "Sanitizer" not in log and "runtime error:" not in log
               and "definitely lost" not in log,
               "%s stopped cleanly (exit %s, no sanitizer report)" % (srv.name, rc),
               log[-3000:])
    print("%d passed, %d failed" % (_passed, _failed))
    sys.stdout.flush()
    sys.exit(1 if _failed else 0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout=30.0, what="condition"):
    """Poll pred() until it is true; no fixed sleeps in tests."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.01)
    raise TimeoutError("timed out waiting for " + what)


class RpcError(Exception):
    def __init__(self, error):
        super().__init__("%s: %s" % (error.get("code"), error.get("message")))
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")


class Client:
    """One JSON-RPC connection.  call() returns the result or raises
    RpcError; pushes (notifications) are kept in self.pushes in order."""

    def __init__(self, addr, timeout=20.0):
        if isinstance(addr, tuple):
            self.sock = socket.create_connection(addr, timeout=timeout)
        else:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.settimeout(timeout)
            self.sock.connect(addr)
        self.buf = b""
        self.next_id = 0
        self.pushes = []
        self.closed = False

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_line(self):
        """The next line from the server, or None at EOF."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                self.closed = True
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def read_reply(self):
        """The next message that is not a push."""
        while True:
            line = self.read_line()
            if line is None:
                return None
            msg = json.loads(line)
            if "id" not in msg:
                self.pushes.append(msg)
                continue
            return msg

    def request(self, method, params=None, id=None):
        if id is None:
            self.next_id += 1
            id = self.next_id
        msg = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send_raw((json.dumps(msg) + "\n").encode())
        return id

    def call(self, method, **params):
        id = self.request(method, params)
        reply = self.read_reply()
        if reply is None:
            raise ConnectionError("server closed the connection")
        if reply.get("id") != id:
            raise AssertionError("reply to %r, expected %r" % (reply.get("id"), id))
        if "error" in reply:
            raise RpcError(reply["error"])
        return reply["result"]

    def error(self, method, **params):
        """Call, expecting an error; returns it (code, message, data)."""
        try:
            result = self.call(method, **params)
        except RpcError as e:
            return e
        raise AssertionError("%s succeeded: %r" % (method, result))

    def poll_pushes(self, timeout=0.0):
        """Read whatever pushes arrive within timeout seconds."""
        deadline = time.time() + timeout
        self.sock.settimeout(max(timeout, 0.001))
        try:
            while True:
                if b"\n" in self.buf:
                    line, self.buf = self.buf.split(b"\n", 1)
                    self.pushes.append(json.loads(line))
                    continue
                if time.time() > deadline:
                    break
                chunk = self.sock.recv(65536)
                if not chunk:
                    self.closed = True
                    break
                self.buf += chunk
        except (socket.timeout, BlockingIOError):
            pass
        finally:
            self.sock.settimeout(20.0)
        return self.pushes

    def wait_push(self, pred, timeout=30.0):
        """Wait for a push matching pred; returns it."""
        deadline = time.time() + timeout
        seen = 0
        while True:
            for p in self.pushes[seen:]:
                if pred(p):
                    return p
            seen = len(self.pushes)
            if time.time() > deadline:
                raise TimeoutError("no matching push; got %d" % len(self.pushes))
            self.poll_pushes(0.05)

    def subscribe(self, since=None, timeout=10.0):
        """events.subscribe, waiting out the feed's start (5003)."""
        deadline = time.time() + timeout
        while True:
            try:
                if since is None:
                    return self.call("events.subscribe")
                return self.call("events.subscribe", since=since)
            except RpcError as e:
                if e.code != 5003 or time.time() > deadline:
                    raise
                time.sleep(0.05)

    def events(self):
        return [p["params"] for p in self.pushes if p.get("method") == "event"]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Cluster:
    """A private PostgreSQL with the Docket schema, and docketd servers."""

    def __init__(self, **config):
        self.dir = tempfile.mkdtemp(prefix="docket-it.")
        os.chmod(self.dir, 0o755)
        self.servers = []
        _clusters.append(self)
        atexit.register(self.cleanup)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: sys.exit(130))
        self.pgdir = os.path.join(self.dir, "pg")
        out = self.pg("dk_pg_start %s && echo \"$DK_PG_CONNINFO\"" % self.pgdir)
        self.conninfo = out.strip().splitlines()[-1]
        self.config = config
        self.ctl("migrate")

    def pg(self, script):
        return subprocess.run(
            ["bash", "-c", ". %s/scripts/lib/pg.sh && %s" % (SOURCE, script)],
            check=True, capture_output=True, text=True).stdout

    def pg_stop(self):
        self.pg("dk_pg_stop %s" % self.pgdir)

    def pg_start(self):
        self.pg("dk_pg_start %s >/dev/null" % self.pgdir)

    def write_config(self, name, extra):
        path = os.path.join(self.dir, name + ".yaml")
        cfg = {"database": {"conninfo": self.conninfo}}
        for section, values in {**self.config, **extra}.items():
            cfg.setdefault(section, {}).update(values)
        with open(path, "w") as f:
            # JSON is YAML: no YAML library needed to write it.
            json.dump(cfg, f)
        return path

    def ctl(self, *args, input=None):
        path = self.write_config("ctl", {})
        return subprocess.run([*VALGRIND, DOCKETCTL, "--config", path, *args],
                              input=input, check=True, capture_output=True,
                              text=True).stdout

    def sql(self, query, *params):
        """Run SQL through psql; returns rows as lists of strings."""
        args = ["psql", self.conninfo, "-XAtq", "-v", "ON_ERROR_STOP=1",
                "-F", "\t", "-c", query]
        out = subprocess.run(args, check=True, capture_output=True,
                             text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line != ""]

    def sql1(self, query):
        rows = self.sql(query)
        return rows[0][0] if rows else None

    def start_server(self, name="d1", env=None, **extra):
        """docketd with the harness's settings, then extra's sections
        over them; env adds to its environment."""
        sock = os.path.join(self.dir, name + ".sock")
        port = free_port()
        cfg = {"server": {"socket": sock, "listen": "127.0.0.1:%d" % port,
                          "instance": name},
               "http": {"listen": ""},
               # Only the mail tests send: elsewhere nothing listens on :25.
               "mail": {"send": False}}
        if VALGRIND:
            # Under memcheck a password hash takes seconds: a few logins
            # in a row would pass server.login_deadline.
            cfg["server"]["login_deadline"] = "10m"
        for section, values in extra.items():
            cfg.setdefault(section, {}).update(values)
        path = self.write_config(name, cfg)
        log = open(os.path.join(self.dir, name + ".log"), "a")
        cmd = [DOCKETD, "--config", path]
        cmd = VALGRIND + cmd
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, **(env or {})})
        server = Server(name, proc, sock, port, log.name)
        server.config_path = path
        self.servers.append(server)
        def listening():
            if proc.poll() is not None:
                return True
            try:
                Client(sock).close()
                return True
            except OSError:
                return False
        wait_for(listening, what="docketd to listen")
        if proc.poll() is not None:
            raise RuntimeError("docketd exited: " + open(log.name).read())
        server.wait_ready()
        return server

    def add_staff(self, username, roles, name=None, password="docket-pass-1"):
        """A staff member; with password=None, one without a password
        (log in with session() then: hashing is slow on purpose)."""
        args = ["staff", "add", username, "--name", name or username.title(),
                "--email", username + "@agency.example", "--role", roles]
        if password is None:
            self.ctl(*args)
        else:
            self.ctl(*args, "--password-stdin", input=password + "\n")

    def add_contact(self, email="ola@school.example.no"):
        self.ctl("contact", "add", email, "--first", "Ola", "--last", "Nordmann")
        return email

    def new_ticket(self, email="ola@school.example.no", subject="A request"):
        return int(self.ctl("ticket", "create", "--contact", email,
                            "--subject", subject, input="").strip())

    def session(self, username):
        """A session token for username made directly in the database:
        fast logins for tests that need many people."""
        token = "tok-" + username + "-" + os.urandom(8).hex()
        self.sql("INSERT INTO session (token_hash, staff_id) "
                 "SELECT sha256(convert_to('%s', 'UTF8')), id FROM staff "
                 "WHERE username = '%s'" % (token, username))
        return token

    def cleanup(self):
        # On failure, show what the servers said: the test's only trace.
        if _failed or getattr(sys, "last_value", None) or _crashed:
            for s in self.servers:
                print("--- %s log (last 40 lines) ---" % s.name)
                print("".join(open(s.log).readlines()[-40:]))
        for s in self.servers:
            s.stop()
        try:
            self.pg_stop()
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    def __init__(self, name, proc, sock, port, log):
        self.name, self.proc, self.sock, self.port, self.log = \
            name, proc, sock, port, log
        self.checked = False

    def wait_ready(self, timeout=20):
        """Until the pool is connected: a made-up token gets 4010, not 5003."""
        def ready():
            c = self.client()
            try:
                c.call("session.resume", token="not-a-token")
            except RpcError as e:
                return e.code == 4010
            finally:
                c.close()
        wait_for(ready, timeout, "docketd to reach the database")

    def client(self, tcp=False):
        return Client(("127.0.0.1", self.port) if tcp else self.sock)

    def login(self, cluster, username, tcp=False):
        c = self.client(tcp)
        c.call("session.resume", token=cluster.session(username))
        return c

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def reload(self, **sections):
        """Change sections of this server's configuration file (as
        start_server's extra) and SIGHUP it; returns once it has reloaded."""
        with open(self.config_path) as f:
            cfg = json.load(f)
        for section, values in sections.items():
            cfg.setdefault(section, {}).update(values)
        with open(self.config_path, "w") as f:
            json.dump(cfg, f)
        marks = self.log_text().count("reload: configuration reloaded")
        self.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: self.log_text().count("reload: configuration reloaded") > marks,
                 what=self.name + " to reload")

    def log_text(self):
        with open(self.log) as f:
            return f.read()
