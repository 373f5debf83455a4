"""harness_pg.py - a primary and a streaming standby for the failover
tests: the harness's private cluster (scripts/lib/pg.sh) as the primary,
and a copy made with pg_basebackup -R in a folder of its own next to it,
on its own Unix socket.  Either may later become the other's standby.
"""
import os
import subprocess

from harness import atexit, wait_for


class Node:
    """One PostgreSQL of the pair, in its own folder under the test's."""

    def __init__(self, cl, pgdir):
        self.cl, self.dir = cl, pgdir
        self.bin = cl.pg("dk_pg_bindir").strip()
        self.user = cl.pg("dk_pg_user").strip()

    def sockdir(self):
        with open(os.path.join(self.dir, "sockdir")) as f:
            return f.read().strip()

    def port(self):
        with open(os.path.join(self.dir, "port")) as f:
            return f.read().strip()

    def conninfo(self):
        return "host=%s port=%s user=docket dbname=docket" % (
            self.sockdir(), self.port())

    def ctl(self, *args):
        """pg_ctl on this node, as the server's user."""
        self.cl.pg("dk_pg_as %s/pg_ctl -D %s/data %s"
                   % (self.bin, self.dir, " ".join(args)))

    def start(self):
        self.cl.pg("dk_pg_start %s >/dev/null" % self.dir)

    def sql1(self, query):
        out = subprocess.run(["psql", self.conninfo(), "-XAtq", "-v",
                              "ON_ERROR_STOP=1", "-c", query],
                             check=True, capture_output=True, text=True).stdout
        return out.strip()

    def standby_of(self, primary, name, sync=True):
        """Make this folder a streaming standby of primary and start it;
        with sync, the primary's synchronous standby from then on: a
        commit there returns (and becomes visible) once this one has the
        WAL on disk."""
        data = os.path.join(self.dir, "data")
        subprocess.run(["rm", "-rf", data], check=True)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o700)
        if os.getuid() == 0:
            subprocess.run(["chown", self.user, self.dir], check=True)
        self.cl.pg("dk_pg_as %s/pg_basebackup -D %s -R -X stream -c fast -d "
                   "'host=%s port=%s user=docket application_name=%s'"
                   % (self.bin, data, primary.sockdir(), primary.port(), name))
        self.start()
        primary.sql1("ALTER SYSTEM SET synchronous_standby_names = '%s'"
                     % ('"%s"' % name if sync else ""))
        primary.sql1("SELECT pg_reload_conf()")
        wait_for(lambda: primary.sql1(
            "SELECT sync_state FROM pg_stat_replication "
            "WHERE application_name = '%s'" % name) == ("sync" if sync else "async"),
            what=name + " to stream")

    def in_recovery(self):
        return self.sql1("SELECT pg_is_in_recovery()") == "t"


def pair(cl, sync=True):
    """The cluster's PostgreSQL (a) and a streaming standby of it (b)."""
    a = Node(cl, cl.pgdir)
    b = Node(cl, os.path.join(cl.dir, "pg2"))
    if sync:
        # pg.sh starts clusters with synchronous_commit off; a role setting
        # wins over the command line, and replicates with the catalog.
        a.sql1("ALTER ROLE docket SET synchronous_commit = on")
    atexit.register(lambda: cl.pg("dk_pg_stop %s" % b.dir))
    b.standby_of(a, "node_b", sync)
    return a, b


def multi(a, b):
    """docketd's conninfo: both hosts, the writable one wanted."""
    return ("host=%s,%s port=%s,%s user=docket dbname=docket "
            "target_session_attrs=read-write"
            % (a.sockdir(), b.sockdir(), a.port(), b.port()))
