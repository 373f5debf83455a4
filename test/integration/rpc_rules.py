"""rpc_rules.py - who may do what to a ticket (issue "Hold under attack",
item 14; docs/protocol.md "Who may do what"): tickets.move and
tickets.set_stage never reach a stage whose own method needs another role;
a ticket is closed only by its owner, an admin, or any content updater
while it has no owner; a reply to a client needs the content role.  Each
rule is checked through docketd and again in SQL, for each role, with the
allowed paths next to the refusals, and every refusal changes nothing."""
import sys, os, subprocess
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

cl = Cluster()
cl.add_staff("carla", "content", password=None)
cl.add_staff("dora", "content", password=None)
cl.add_staff("gus", "graphics", password=None)
cl.add_staff("lars", "content,graphics", password=None)
cl.add_staff("cora", "coordinator", password=None)
cl.add_staff("ada", "admin", password=None)
email = cl.add_contact()
d = cl.start_server("d1")
carla, dora, gus, lars, cora, ada = (d.login(cl, u) for u in
                                     ("carla", "dora", "gus", "lars", "cora", "ada"))


def state(tid):
    """What a refused write must leave as it was: the ticket's workflow
    fields and version, its events, messages, notifications and mail."""
    return cl.sql(
        "SELECT t.version, t.pipeline, t.stage, t.owner_id, t.graphics_owner_id, "
        "(SELECT count(*) FROM event WHERE ticket_id = t.id), "
        "(SELECT count(*) FROM message WHERE ticket_id = t.id), "
        "(SELECT count(*) FROM notification WHERE ticket_id = t.id), "
        "(SELECT count(*) FROM outbox WHERE ticket_id = t.id) "
        "FROM ticket t WHERE t.id = %d" % tid)


def refused(client, code, what, method, tid, **params):
    """client's method on ticket tid is refused with code, and nothing changes."""
    before = state(tid)
    try:
        e = client.error(method, **params)
    except AssertionError as allowed:  # it went through: the rule is missing
        ok(False, what + ": %d" % code, allowed)
        return RpcError({"message": ""})
    ok(e.code == code and e.message, what + ": %d" % code,
       "got %r %r" % (e.code, e.message))
    eq(state(tid), before, "  ...and nothing changed (version, stage, no event)")
    return e


def sql_error(query):
    """The SQLSTATE and message of a statement that must fail."""
    r = subprocess.run(["psql", cl.conninfo, "-XAtq", "-v", "ON_ERROR_STOP=1",
                        "-v", "VERBOSITY=verbose", "-c", query],
                       capture_output=True, text=True)
    if r.returncode == 0:
        return ""
    return r.stderr.split("ERROR:", 1)[-1].strip().split("\n")[0]


def staff(u):
    return "(SELECT id FROM staff WHERE username = '%s')" % u


def ticket(owner=None):
    tid = cl.new_ticket(email)
    if owner:
        owner.call("tickets.claim", id=tid)
    return tid


def in_graphics(owner, graphics=None):
    """A ticket owned by owner, handed to graphics, claimed by graphics."""
    tid = ticket(owner)
    owner.call("tickets.hand_to_graphics", id=tid)
    if graphics:
        graphics.call("tickets.graphics_claim", id=tid)
    return tid


def case(fn):
    """Run one group of checks now, on tickets of its own, so that a rule
    that is missing fails its checks without stopping the groups after it."""
    try:
        fn()
    except Exception as e:  # an allowed path refused, or a setup step failed
        ok(False, "%s ran to the end" % fn.__name__, repr(e))
    return fn



# --- Moves never reach a stage whose own method needs another role ----------
@case
def content_cannot_complete_graphics():
    t = in_graphics(carla, gus)
    refused(carla, 4003, "content moving a ticket to Graphics Complete", "tickets.move", t,
            id=t, pipeline="graphics", stage="graphics_complete")
    e = refused(carla, 4003, "content setting the stage Graphics Complete", "tickets.set_stage",
                t, id=t, stage="graphics_complete")
    ok("graphics" in e.message and "tickets.graphics_complete" in e.message,
       "  ...the message names the role and the method", e.message)
    eq(cl.sql1("SELECT count(*) FROM outbox WHERE kind = 'graphics_complete'"), "0",
       "  ...so no owner's email was skipped: none was due")

    t = in_graphics(carla, gus)
    s = gus.call("tickets.graphics_complete", id=t)
    eq(s["stage"], "graphics_complete", "the graphics updater completes it")
    eq(cl.sql("SELECT kind, to_addr FROM outbox WHERE ticket_id = %d AND kind = 'graphics_complete'" % t),
       [["graphics_complete", "carla@agency.example"]], "  ...and the owner is emailed")
    refused(carla, 4003, "content moving a completed ticket back to Graphics in progress",
            "tickets.set_stage", t, id=t, stage="graphics_in_progress")
    s = carla.call("tickets.move", id=t, pipeline="support", stage="in_progress")
    eq((s["pipeline"], s["stage"]), ("support", "in_progress"),
       "content moves its ticket back from graphics to In Progress")


@case
def content_cannot_claim_for_graphics():
    t = in_graphics(carla)
    refused(carla, 4003, "content moving a ticket waiting on graphics to Graphics in progress",
            "tickets.move", t, id=t, pipeline="graphics", stage="graphics_in_progress")
    refused(gus, 4003, "graphics may not move tickets at all", "tickets.move", t,
            id=t, pipeline="graphics", stage="graphics_in_progress")
    s = gus.call("tickets.graphics_claim", id=t)
    eq((s["stage"], s["graphics_owner"]), ("graphics_in_progress", "gus"),
       "the graphics updater claims it with tickets.graphics_claim")


# Holding both roles is no way around the methods, which claim and email.
@case
def both_roles_use_the_graphics_methods():
    t = in_graphics(lars, lars)
    e = refused(lars, 4022, "content+graphics moving to Graphics Complete: use the method",
                "tickets.set_stage", t, id=t, stage="graphics_complete")
    ok("tickets.graphics_complete" in e.message, "  ...which the message names", e.message)
    eq(lars.call("tickets.graphics_complete", id=t)["stage"], "graphics_complete",
       "  ...and tickets.graphics_complete works for them")


# An admin may do everything, as before.
@case
def admin_moves_anywhere():
    t = in_graphics(carla, gus)
    s = ada.call("tickets.set_stage", id=t, stage="graphics_complete")
    eq(s["stage"], "graphics_complete", "an admin sets the stage Graphics Complete")
    s = ada.call("tickets.move", id=t, pipeline="graphics", stage="graphics_in_progress")
    eq(s["stage"], "graphics_in_progress", "an admin moves it back to Graphics in progress")


# Content's own stages stay open to content.
@case
def content_reaches_its_own_stages():
    t = ticket(carla)
    for stage in ("waiting_on_contact", "in_progress", "new"):  # content's
        eq(carla.call("tickets.set_stage", id=t, stage=stage)["stage"], stage,
           "content sets the stage " + stage)
    s = carla.call("tickets.move", id=t, pipeline="graphics")
    eq(s["stage"], "waiting_on_graphics", "content moves a ticket to Waiting on Graphics")


@case
def moves_are_checked_in_sql():
    t = in_graphics(carla)
    before = state(t)
    eq(sql_error("SELECT ticket_move(%s, %d, NULL, 'graphics', 'graphics_in_progress')"
                 % (staff("carla"), t))[:6], "DK403:",
       "in SQL too: ticket_move to Graphics in progress by content is DK403")
    eq(sql_error("SELECT ticket_set_stage(%s, %d, NULL, 'graphics_complete')"
                 % (staff("dora"), t))[:6], "DK403:",
       "in SQL too: ticket_set_stage to Graphics Complete by content is DK403")
    eq(state(t), before, "  ...and nothing changed")


# --- Closing: the owner, an admin, or any content updater while unowned -----
@case
def only_the_owner_closes():
    t = ticket(carla)
    e = refused(dora, 4003, "content closing someone else's ticket", "tickets.close", t, id=t)
    ok("carla" in e.message, "  ...the message names the owner", e.message)
    refused(dora, 4003, "content moving someone else's ticket to Closed", "tickets.move", t,
            id=t, pipeline="support", stage="closed")
    refused(dora, 4003, "content setting someone else's ticket's stage Closed",
            "tickets.set_stage", t, id=t, stage="closed")
    refused(carla, 4022, "the owner moving to Closed: tickets.close tells the client",
            "tickets.set_stage", t, id=t, stage="closed")
    refused(gus, 4003, "graphics may not close", "tickets.close", t, id=t)
    refused(cora, 4003, "a coordinator may not close", "tickets.close", t, id=t)
    e = carla.error("tickets.close", id=t, version=1)
    eq(e.code, 4009, "closing with a stale version: 4009")
    v = int(cl.sql1("SELECT version FROM ticket WHERE id = %d" % t))
    s = carla.call("tickets.close", id=t, version=v)
    eq((s["stage"], s["version"]), ("closed", v + 1), "the owner closes their own ticket")
    eq(cl.sql("SELECT kind, to_addr FROM outbox WHERE ticket_id = %d" % t),
       [["closed", email]], "  ...and the client is emailed")


@case
def owner_closes_from_graphics():
    t = in_graphics(carla, gus)
    refused(dora, 4003, "content closing someone else's ticket while with graphics",
            "tickets.close", t, id=t)
    refused(lars, 4003, "content+graphics closing someone else's ticket", "tickets.close", t, id=t)
    eq(carla.call("tickets.close", id=t)["stage"], "closed", "the owner closes it from graphics")


@case
def content_closes_unowned_spam():
    spam = ticket()
    s = dora.call("tickets.close", id=spam)
    eq((s["stage"], s["owner"]), ("closed", None), "any content updater closes an unowned (spam) ticket")
    dora.call("tickets.reopen", id=spam)
    refused(cora, 4003, "a coordinator closing an unowned ticket", "tickets.close", spam, id=spam)
    refused(gus, 4003, "graphics closing an unowned ticket", "tickets.close", spam, id=spam)


@case
def admin_closes_anything():
    t = ticket(carla)
    eq(ada.call("tickets.close", id=t)["stage"], "closed", "an admin closes anyone's ticket")


@case
def closing_is_checked_in_sql():
    t = ticket(carla)
    e = sql_error("SELECT ticket_close(%s, %d, NULL)" % (staff("dora"), t))
    ok(e.startswith("DK403:"), "in SQL too: ticket_close of someone else's ticket is DK403", e)
    eq(sql_error("SELECT ticket_move(%s, %d, NULL, 'support', 'closed')" % (staff("dora"), t))[:6],
       "DK403:", "in SQL too: ticket_move of someone else's ticket to Closed is DK403")


# --- Replies to a client need the content role --------------------------------
@case
def replies_need_content():
    t = ticket(carla)
    e = refused(cora, 4003, "a coordinator replying to a client", "messages.send", t,
                ticket=t, body="Hello from the coordinator")
    eq(e.message, "messages.send needs the content role", "  ...refused by docketd's method table")
    refused(gus, 4003, "graphics replying to a client", "messages.send", t, ticket=t, body="x")
    e = sql_error("SELECT message_send(%s, %d, 'Hello', 'agency.example')" % (staff("cora"), t))
    ok(e.startswith("DK403:"), "in SQL too: message_send by a coordinator is DK403", e)
    eq(cl.sql1("SELECT count(*) FROM message WHERE ticket_id = %d" % t), "0", "  ...no message stored")
    m = carla.call("messages.send", ticket=t, body="We are on it.")
    ok(m["id"] > 0, "the content updater replies")
    m = dora.call("messages.send", ticket=t, body="A colleague adds a line.")
    ok(m["id"] > 0, "another content updater replies too (replying is not owning)")
    m = ada.call("messages.send", ticket=t, body="An admin replies.")
    ok(m["id"] > 0, "an admin replies")
    eq(cl.sql1("SELECT count(*) FROM outbox WHERE ticket_id = %d AND kind = 'reply'" % t), "3",
       "  ...each reply is one email")
    ok(cora.call("tickets.create", subject="Entered by a coordinator", contact_email=email)["id"] > 0,
       "a coordinator still enters tickets")
    ok(cora.call("notes.add", ticket=t, body="@carla the client called")["id"] > 0,
       "a coordinator still adds notes")


done()
