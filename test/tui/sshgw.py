"""sshgw.py - a real OpenSSH gateway for screen tests, set up as
docs/operations.md says: a test-only gateway account, docketctl
ssh-authorized-keys as sshd's AuthorizedKeysCommand (through a wrapper in
a root-owned folder, as sshd insists), a private sshd on a free loopback
port, and `ssh -t` in tmux.  screen_ssh.py has the same setup spelled out
with the checks of each piece; this is for tests that only need it to
work.  Needs root and openssh-server: without them, skip() exits 77,
which ctest reports as skipped."""
import grp, os, pwd, shutil, subprocess, sys, tempfile, time
from term import *

SSHD = "/usr/sbin/sshd"
# One account per test process: tests running side by side (ctest -j)
# must not remove each other's.
GATEWAY = "dkgw%d" % os.getpid()


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def require():
    if os.geteuid() != 0:
        skip("sshd must run as root to log a user in (running as uid %d)"
             % os.geteuid())
    if not os.access(SSHD, os.X_OK) or not shutil.which("ssh"):
        skip("%s or ssh is missing: install openssh-server and "
             "openssh-client (scripts/lib/packages)" % SSHD)


def make_gateway():
    """The gateway account: a real shell (sshd runs the forced command
    through it), no password, removed at exit once its processes are."""
    subprocess.run(["useradd", "--system", "--user-group", "--shell", "/bin/sh",
                    "--home-dir", "/nonexistent", "--no-create-home",
                    "--password", "*", GATEWAY], check=True)

    def remove():
        tmux("kill-server", check=False)
        deadline = time.time() + 10
        while True:
            r = subprocess.run(["userdel", GATEWAY], capture_output=True,
                               text=True)
            if r.returncode == 0 or time.time() > deadline:
                break
            time.sleep(0.2)
        if r.returncode != 0:
            print("warning: could not remove the test user %s: %s"
                  % (GATEWAY, r.stderr.strip()))
    atexit.register(remove)


def new_key(cl, name):
    """An ed25519 key pair in the cluster's folder: (path, fingerprint)."""
    keys = os.path.join(cl.dir, "keys")
    os.makedirs(keys, 0o700, exist_ok=True)
    path = os.path.join(keys, name)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name,
                    "-f", path], check=True)
    fp = subprocess.run(["ssh-keygen", "-lf", path + ".pub"], check=True,
                        capture_output=True, text=True).stdout.split()[1]
    return path, fp


def server_options():
    """docketd's settings for the gateway: it may use the socket (its
    group) and is the one Unix user allowed session.ssh."""
    return {"ssh_gateway_user": GATEWAY, "socket_group": GATEWAY,
            "socket_mode": "0660"}


def start_sshd(cl, d):
    """sshd on a free loopback port for d's gateway; returns the port."""
    gwconf = cl.write_config("gateway", {"server": {"socket": d.sock,
                                                    "ssh_gateway_user": GATEWAY}})
    os.chmod(gwconf, 0o644)
    akc_dir = tempfile.mkdtemp(prefix="docket-sshtest.", dir="/run")
    os.chmod(akc_dir, 0o755)
    atexit.register(shutil.rmtree, akc_dir, True)
    akc = os.path.join(akc_dir, "docket-authorized-keys")
    with open(akc, "w") as f:
        f.write("#!/bin/sh\nexec %s --config %s ssh-authorized-keys \"$@\"\n"
                % (DOCKETCTL, gwconf))
    os.chmod(akc, 0o755)
    sshdir = os.path.join(cl.dir, "sshd")
    os.mkdir(sshdir, 0o700)
    hostkey = os.path.join(sshdir, "host_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    hostkey], check=True)
    port = free_port()
    conf = os.path.join(sshdir, "sshd_config")
    with open(conf, "w") as f:
        f.write("""Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s/sshd.pid
UsePAM no
PermitRootLogin no
AllowUsers %s
AuthorizedKeysFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
Match User %s
    AuthorizedKeysCommand %s %%u %%t %%k
    AuthorizedKeysCommandUser postgres
    DisableForwarding yes
    PermitTTY yes
""" % (port, hostkey, sshdir, GATEWAY, GATEWAY, akc))
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    log = os.path.join(sshdir, "sshd.log")
    sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", conf],
                            stderr=open(log, "w"))

    def stop():
        if sshd.poll() is None:
            sshd.terminate()
            sshd.wait(10)
    atexit.register(stop)
    wait_for(lambda: "Server listening" in open(log).read() or
             sshd.poll() is not None, what="sshd to listen")
    if sshd.poll() is not None:
        ok(False, "sshd runs", open(log).read())
        done()
    return port


class SshTerm(Term):
    """A tmux pane where a person types `ssh -t GATEWAY@127.0.0.1 -p PORT`
    with their key; the pane stays after ssh exits, to read why."""
    def __init__(self, name, key, port, cols=None, rows=None):
        self.name = name
        cmd = ("ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no "
               "-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes "
               "-o LogLevel=ERROR -i '%s' -t %s@127.0.0.1 -p %d"
               % (key, GATEWAY, port))
        tmux("new-session", "-d", "-s", name, "-x", str(cols or COLS),
             "-y", str(rows or ROWS), "%s; echo ssh exited $?; sleep 600" % cmd)
        tmux("set-option", "-t", name, "remain-on-exit", "on")
