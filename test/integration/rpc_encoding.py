"""rpc_encoding.py - text reaches docketd as UTF-8 whatever the session's
client encoding would otherwise be (the environment's PGCLIENTENCODING,
the role's client_encoding), and a database that is not UTF8 is
refused, by docketd at start and by docketctl, with a clear message.

docketd writes the views' rows and the portal's pages straight from the
rows' text, so a session in LATIN1 (PGCLIENTENCODING in docketd's
environment, or client_encoding in postgresql.conf or on the role) would
turn "ø" into a byte that is no UTF-8, and an emoji into an error.  A
SQL_ASCII database stores whatever bytes it is given and hands them back
unchecked; a LATIN1 one cannot hold an emoji at all."""
import sys, os, subprocess
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

cl = Cluster()
# The role's own setting says LATIN1 too (as ALTER ROLE or postgresql.conf
# could); this script's psql asks for UTF8 for itself.
os.environ["PGCLIENTENCODING"] = "UTF8"
cl.sql("ALTER ROLE docket SET client_encoding = 'LATIN1'")
eq(subprocess.run(["psql", cl.conninfo, "-XAtq", "-c", "SHOW client_encoding"],
                  env={k: v for k, v in os.environ.items()
                       if k != "PGCLIENTENCODING"},
                  check=True, capture_output=True, text=True).stdout.strip(),
   "LATIN1", "a session that asks for nothing is in LATIN1")
cl.add_staff("anna", "content", "Anna Berg")
contact = cl.add_contact("ola@nordlys.example.no")
TEXT = "Bl\u00e5 banner for \u00c5se \u00d8stby \u2014 \U0001f3a8 \u2028 \u00e6"

# The session is told UTF8 whatever the environment says: a LATIN1 one
# could not carry the emoji or the dash, and would send "å" as one byte.
d = cl.start_server("d1", env={"PGCLIENTENCODING": "LATIN1"})
anna = d.login(cl, "anna")
anna.subscribe()
made = anna.call("tickets.create", subject=TEXT, description=TEXT,
                 contact_email="ola@nordlys.example.no")
eq(made["subject"], TEXT, "a write's answer holds the subject as written")
got = anna.call("tickets.get", id=made["id"])
eq(got["subject"], TEXT, "tickets.get gives it back as written")
rows = anna.call("tickets.view", view="unassigned", limit=50)["tickets"]
eq([r["subject"] for r in rows if r["id"] == made["id"]], [TEXT],
   "tickets.view (rows docketd writes itself) gives it back as written")
push = anna.wait_push(lambda m: m.get("method") == "event"
                      and m["params"].get("ticket", {}).get("id") == made["id"])
eq(push["params"]["ticket"]["subject"], TEXT, "and so does the event's push")
eq(cl.sql1("SELECT subject = %s FROM ticket WHERE id = %d"
           % ("'" + TEXT.replace("'", "''") + "'", made["id"])), "t",
   "the table holds the same characters")

# docketctl too, with the same environment: what it writes is stored as
# the characters it was given (a LATIN1 session would store each UTF-8
# byte as a letter of its own), and what it lists comes back in UTF-8.
env = {**os.environ, "PGCLIENTENCODING": "LATIN1"}
path = cl.write_config("ctl-latin1-env", {})
SCHOOL = "Nordlys \u00e6\u00f8\u00e5 skole \U0001f3a8"
out = subprocess.run([DOCKETCTL, "--config", path, "company", "add", SCHOOL],
                     env=env, capture_output=True)
eq(out.returncode, 0, "docketctl company add with PGCLIENTENCODING=LATIN1")
eq(cl.sql1("SELECT count(*) FROM company WHERE name = '%s'" % SCHOOL), "1",
   "the company's name is stored as written")
out = subprocess.run([DOCKETCTL, "--config", path, "company", "list"],
                     env=env, capture_output=True)
ok(out.returncode == 0 and SCHOOL.encode() in out.stdout,
   "docketctl company list prints it in UTF-8", out.stdout[:300])

# Databases in other encodings: refused, and nothing is written to them.
for enc in ("LATIN1", "SQL_ASCII"):
    db = "docket_" + enc.lower()
    cl.sql("CREATE DATABASE %s ENCODING '%s' LC_COLLATE 'C' LC_CTYPE 'C' "
           "TEMPLATE template0" % (db, enc))
    conninfo = cl.conninfo.replace("dbname=docket", "dbname=" + db)
    ok(conninfo != cl.conninfo, "a conninfo for %s" % db)
    path = cl.write_config("ctl-" + db, {"database": {"conninfo": conninfo}})
    out = subprocess.run([DOCKETCTL, "--config", path, "migrate"],
                         capture_output=True, text=True)
    ok(out.returncode != 0, "docketctl migrate refuses a %s database" % enc)
    ok("encoding is %s" % enc in out.stderr and "UTF8" in out.stderr,
       "and says why", out.stderr)
    tables = subprocess.run(
        ["psql", conninfo, "-XAtq", "-c",
         "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"],
        check=True, capture_output=True, text=True).stdout.strip()
    eq(tables, "0", "nothing was created in it")
    try:
        cl.start_server("d-" + db, database={"conninfo": conninfo})
        ok(False, "docketd starts on a %s database" % enc)
    except RuntimeError as e:
        ok("encoding is %s" % enc in str(e) and "UTF8" in str(e),
           "docketd refuses to start on a %s database, and says why" % enc,
           str(e)[-400:])
    srv = [s for s in cl.servers if s.name == "d-" + db][0]
    srv.checked = True  # it is meant to exit
    eq(srv.proc.wait(20), 1, "docketd exits 1")

# The first server never noticed any of it.
eq(anna.call("tickets.get", id=made["id"])["subject"], TEXT,
   "docketd on the UTF8 database still answers")
done()
