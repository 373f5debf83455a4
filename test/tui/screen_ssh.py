"""screen_ssh.py - SSH-key identity through a real OpenSSH sshd, as
docs/operations.md sets it up: a private sshd on a free loopback port
whose AuthorizedKeysCommand is docketctl ssh-authorized-keys (through a
wrapper in a root-owned folder, as sshd insists), one gateway account for
everyone, and the real docket in tmux over `ssh -t`.  Two staff keys are
two different people who see each other's claim live; an unknown key is
refused by sshd; a command asked for is not run (without a terminal docket
says to use ssh -t); removing a key while its owner is logged in ends
that session.  Needs root (sshd switches users) and openssh-server: without
them it says why and exits 77, which ctest reports as skipped."""
import sys, os, pwd, grp, shutil, subprocess, tempfile
sys.path.insert(0, os.path.dirname(__file__))
from term import *

SSHD = "/usr/sbin/sshd"
# A test-only gateway account, one per test process: screen_ssh and
# screen_ssh_60x20 may run side by side (ctest -j2), and one removing a
# shared account under the other gets its keys refused (as sshgw.py).
GATEWAY = "dkgw%d" % os.getpid()


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


if os.geteuid() != 0:
    skip("sshd must run as root to log a user in (running as uid %d)"
         % os.geteuid())
if not os.access(SSHD, os.X_OK) or not shutil.which("ssh"):
    skip("%s or ssh is missing: install openssh-server and openssh-client "
         "(scripts/lib/packages)" % SSHD)

# The gateway account.  The package's own `docket` user has the shell
# /usr/sbin/nologin, and sshd runs even a forced command through the
# user's shell, so a gateway needs a real one (docs/operations.md); the
# test makes its own rather than change the machine's docket user.
made_user = False
try:
    pwd.getpwnam(GATEWAY)
except KeyError:
    subprocess.run(["useradd", "--system", "--user-group", "--shell", "/bin/sh",
                    "--home-dir", "/nonexistent", "--no-create-home",
                    "--password", "*", GATEWAY], check=True)
    made_user = True


def remove_user():
    """The account goes once its last process has (sshd's session
    children may take a moment after the clients are gone)."""
    global made_user
    if not made_user:
        return
    tmux("kill-server", check=False)
    deadline = time.time() + 10
    while True:
        r = subprocess.run(["userdel", GATEWAY], capture_output=True, text=True)
        if r.returncode == 0 or time.time() > deadline:
            break
        time.sleep(0.2)
    if r.returncode != 0:
        print("warning: could not remove the test user %s: %s"
              % (GATEWAY, r.stderr.strip()))
    made_user = False


atexit.register(remove_user)

cl = Cluster()
cl.ctl("staff", "add", "alice", "--name", "Alice Content", "--email",
       "alice@agency.example", "--role", "content")
cl.ctl("staff", "add", "bob", "--name", "Bob Content", "--email",
       "bob@agency.example", "--role", "content")
cl.ctl("contact", "add", "ola@nordlys.example.no", "--first", "Ola", "--last",
       "Nordmann")
tid = cl.new_ticket("ola@nordlys.example.no", "Winter concert banner")

keys = os.path.join(cl.dir, "keys")
os.mkdir(keys, 0o700)


def new_key(name):
    path = os.path.join(keys, name)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name,
                    "-f", path], check=True)
    fp = subprocess.run(["ssh-keygen", "-lf", path + ".pub"], check=True,
                        capture_output=True, text=True).stdout.split()[1]
    return path, fp


alice_key, alice_fp = new_key("alice")
bob_key, bob_fp = new_key("bob")
stranger_key, _ = new_key("stranger")
cl.ctl("staff", "key", "add", "alice", "--label", "laptop",
       input=open(alice_key + ".pub").read())
cl.ctl("staff", "key", "add", "bob", input=open(bob_key + ".pub").read())

# docketd: the gateway may connect to the socket (its group), and is the
# one Unix user allowed session.ssh.
d = cl.start_server("d1", server={"ssh_gateway_user": GATEWAY,
                                  "socket_group": GATEWAY,
                                  "socket_mode": "0660"})
# What sshd's AuthorizedKeysCommand and then docket read: the database,
# the socket and the gateway user (docket gets it via --config).
gwconf = cl.write_config("gateway", {"server": {"socket": d.sock,
                                                "ssh_gateway_user": GATEWAY}})
os.chmod(gwconf, 0o644)

# sshd checks that the command and every folder above it are root-owned
# and writable by no one else: /tmp (1777) fails that, /run does not.
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
subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostkey],
               check=True)
port = free_port()
# The block of docs/operations.md, with a test port, host key, and the
# PostgreSQL server's own user as AuthorizedKeysCommandUser (the private
# cluster lets no one else in; in production it is docket).
sshd_config = os.path.join(sshdir, "sshd_config")
with open(sshd_config, "w") as f:
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
LogLevel VERBOSE
Match User %s
    AuthorizedKeysCommand %s %%u %%t %%k
    AuthorizedKeysCommandUser postgres
    DisableForwarding yes
    PermitTTY yes
""" % (port, hostkey, sshdir, GATEWAY, GATEWAY, akc))
os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # its privsep folder
check = subprocess.run([SSHD, "-t", "-f", sshd_config], capture_output=True,
                       text=True)
if check.returncode != 0:
    ok(False, "sshd accepts the configuration", check.stderr)
    done()
sshd_log = os.path.join(sshdir, "sshd.log")
sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", sshd_config],
                        stderr=open(sshd_log, "w"))


def stop_sshd():
    if sshd.poll() is None:
        sshd.terminate()
        sshd.wait(10)


atexit.register(stop_sshd)
wait_for(lambda: "Server listening" in open(sshd_log).read() or
         sshd.poll() is not None, what="sshd to listen")
ok(sshd.poll() is None, "sshd runs on 127.0.0.1:%d" % port,
   open(sshd_log).read())

SSH = ["ssh", "-F", "/dev/null", "-p", str(port), "-o", "BatchMode=yes",
       "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
       "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR"]


def ssh_run(key, *args):
    return subprocess.run(SSH + ["-i", key, *args], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


class SshTerm(Term):
    """A tmux pane running `ssh -t` to the gateway; the pane stays after
    ssh exits, to read why."""
    def __init__(self, name, key, cols=None, rows=None):
        self.name = name
        cmd = " ".join("'%s'" % a for a in
                       SSH + ["-t", "-i", key, "%s@127.0.0.1" % GATEWAY])
        tmux("new-session", "-d", "-s", name, "-x", str(cols or COLS), "-y", str(rows or ROWS),
             "%s; echo ssh exited $?; sleep 600" % cmd)
        tmux("set-option", "-t", name, "remain-on-exit", "on")


# ---- the answer sshd gets ------------------------------------------------
blob = open(alice_key + ".pub").read().split()
r = subprocess.run([akc, GATEWAY, blob[0], blob[1]], capture_output=True,
                   text=True)
eq(r.stdout, 'restrict,pty,command="%s/docket --config %s --ssh-key %s" %s %s\n'
   % (os.path.dirname(os.path.realpath(DOCKETCTL)), os.path.realpath(gwconf),
      alice_fp, blob[0], blob[1]),
   "the wrapper answers sshd with one forced-command line")

# ---- two keys, two people, live --------------------------------------------
alice = SshTerm("alice", alice_key)
bob = SshTerm("bob", bob_key)
alice.sees(r"alice · unix:.* · live", "alice logs in over ssh -t with her key",
           timeout=20)
bob.sees(r"bob · unix:.* · live", "bob logs in with his, as another person",
         timeout=20)
alice.keys("2")
alice.sees(r"%d .*%s.*New" % (tid, cut("Winter concert banner")), "alice's Unassigned")
bob.keys("5")
bob.sees(r"%d .*%s" % (tid, cut("Winter concert banner")), "bob's Open view")
alice.keys("c")
alice.sees(r"Claimed #%d" % tid, "alice claims the ticket")
bob.sees(r"%d .*%s.*In Progress.*alice" % (tid, cut("Winter concert banner")),
         "bob sees alice's claim without a keypress")
eq(cl.sql1("SELECT string_agg(st.username || '=' || s.ssh_fingerprint, ' ' "
           "ORDER BY st.username) FROM session s JOIN staff st ON "
           "st.id = s.staff_id"),
   "alice=%s bob=%s" % (alice_fp, bob_fp),
   "each session remembers its key")
log = open(sshd_log).read()
ok("Accepted publickey for %s from 127.0.0.1" % GATEWAY in log,
   "sshd accepted the keys for the gateway account")

# ---- what sshd refuses, and what it will not run ----------------------------
r = ssh_run(stranger_key, "-t", "%s@127.0.0.1" % GATEWAY)
ok(r.returncode == 255 and "Permission denied (publickey)" in r.stderr,
   "an unknown key is refused by sshd", "%d %s" % (r.returncode, r.stderr))
r = ssh_run(alice_key, "%s@127.0.0.1" % GATEWAY, "cat /etc/passwd")
# (sshd may first say it could not chdir to the gateway's home.)
eq((r.returncode, r.stdout, r.stderr.strip().splitlines()[-1:]),
   (2, "", ["docket: needs a terminal: use ssh -t"]),
   "a command asked for is not run: docket says to use ssh -t")
r = ssh_run(bob_key, "-T", "%s@127.0.0.1" % GATEWAY)
eq((r.returncode, r.stderr.strip().splitlines()[-1:]),
   (2, ["docket: needs a terminal: use ssh -t"]), "nor a shell without a tty")
r = ssh_run(alice_key, "-N", "-o", "ExitOnForwardFailure=yes",
            "-R", "127.0.0.1:%d:127.0.0.1:%d" % (free_port(), d.port),
            "%s@127.0.0.1" % GATEWAY)
ok(r.returncode == 255 and "forwarding failed" in r.stderr,
   "port forwarding is refused (DisableForwarding)",
   "%d %s" % (r.returncode, r.stderr))

# ---- removing a key ends its session ---------------------------------------
cl.ctl("staff", "key", "remove", alice_fp)
wait_for(lambda: "session logged out elsewhere" in d.log_text(), timeout=10,
         what="docketd to hear of the removed key")
alice.keys("R")
# (It wraps at the terminal's edge, wherever that is.)
alice.sees_flat(r"docket: SSH key %s is not an active staff member's" %
           re.escape(alice_fp),
           "alice's next request ends her session, saying why")
alice.sees(r"ssh exited 1", "  ...and her ssh connection closes")
bob.keys("R")
bob.sees(r"bob · unix:.* · live", "bob's session stays")
r = ssh_run(alice_key, "-t", "%s@127.0.0.1" % GATEWAY)
ok(r.returncode == 255 and "Permission denied (publickey)" in r.stderr,
   "sshd refuses the removed key from then on",
   "%d %s" % (r.returncode, r.stderr))
bob.keys("q")
bob.sees(r"ssh exited 0", "q leaves docket and ssh")

print("--- sshd log (evidence) ---")
for line in open(sshd_log).read().splitlines():
    if any(w in line for w in ("Accepted", "Failed", "refused", "Server listening",
                               "Connection closed", "Disconnected")):
        print("  " + line)
done()
