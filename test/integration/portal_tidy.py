"""portal_tidy.py - every page a contact can see, logged out and logged in,
through Debian's tidy (SPEC section 8: "Every page passes tidy without
errors"), and "a label for every field": each <input> (but hidden ones),
<select> and <textarea> has a <label>, by for= naming its id or around
it.  The pages: log in (and its errors), reset and its confirm page, sign
up and its confirmation (self-registration on a second docketd),
registration from a good and from a dead link, the list (with tickets,
empty, searched, the company's), a ticket with messages and files, a
closed one and one closed too long ago, the support form (and its error),
404, SSO's access denied, and the error pages (403 CSRF, 413)."""

import html.parser
import json
import shutil
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *

TIDY = shutil.which("tidy") or "/usr/bin/tidy"
if not os.access(TIDY, os.X_OK):
    ok(False, "tidy is installed", "install Debian's tidy (scripts/lib/packages)")
    done()

SECRET = "jwt-tidy-secret-0123456789abcdef"
# OpenID Connect on, at a provider that is not there: the login page has
# its button, and its pages are the refusals.
p = Portal(portal={"visibility": "company", "max_upload_bytes": 65536,
                   "sso": {"jwt_secret": SECRET},
                   "oidc": {"issuer": "https://127.0.0.1:%d" % free_port(),
                            "client_id": "docket", "client_secret": "s"}})
cl = p.cl
cl.add_staff("carla", "content", "Carla Content")
cl.ctl("company", "add", "Nordlys skole")
ola = p.contact("ola@nordlys.example.no", "Ola", "Nordmann", "Nordlys skole")
kari = p.contact("kari@nordlys.example.no", "Kari", "Lund", "Nordlys skole")
nils = p.contact("nils@example.no", "Nils", "Uten Skole")
carla = p.d.login(cl, "carla")

checked = []
warnings = set()


class Fields(html.parser.HTMLParser):
    """The form fields of a page and the labels that name them."""

    def __init__(self):
        super().__init__()
        self.fields = []      # (tag, id, name, inside a label)
        self.label_for = set()
        self.depth = 0        # open <label>s

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and a.get("type") in ("hidden", "submit",
                                                    "button", "image",
                                                    "reset"):
                return
            self.fields.append((tag, a.get("id"), a.get("name"),
                                self.depth > 0))

    def handle_endtag(self, tag):
        if tag == "label" and self.depth:
            self.depth -= 1


def check(what, r, status=200):
    """r is an HTML page with status: tidy finds no error in it, and
    every field has its label."""
    checked.append(what)
    eq(r.status, status, "%s: status %d" % (what, status))
    ctype = r.header("Content-Type") or ""
    ok(ctype.startswith("text/html"), "%s: an HTML page" % what, ctype)
    t = subprocess.run([TIDY, "-q", "-e", "--show-warnings", "no",
                        "--gnu-emacs", "yes", "-utf8"],
                       input=r.body, capture_output=True)
    ok(t.returncode < 2, "%s: tidy finds no error" % what,
       t.stderr.decode("utf-8", "replace") + "\n" + r.text[:1500])
    if t.returncode == 1:
        # Warnings are not the contract (tidy 5.6 does not know minlength
        # or aria-current): listed once at the end, to be read.
        w = subprocess.run([TIDY, "-q", "-e", "-utf8"], input=r.body,
                           capture_output=True).stderr.decode("utf-8",
                                                              "replace")
        warnings.update(re.sub(r"^line \d+ column \d+ - ", "", x)
                        for x in w.splitlines() if "Warning:" in x)
    f = Fields()
    f.feed(r.text)
    bare = [x for x in f.fields if not x[3] and x[1] not in f.label_for]
    ok(not bare, "%s: a label for every field" % what, bare)
    stray = f.label_for - {x[1] for x in f.fields}
    ok(not stray, "%s: every label's for= names a field" % what, stray)


def follow(b, r):
    """The page a 303 leads to, as a browser would show it."""
    ok(r.status == 303, "a redirect", (r.status, r.text[:300]))
    return b.get(r.header("Location"))


# ---- logged out ------------------------------------------------------------
anon = p.browser()
check("the login page", anon.get("/login"))
check("a failed login", anon.post("/login", {"email": ola,
                                             "password": "wrong-pass-1"}))
check("a login without a password",
      anon.post("/login", {"email": ola, "password": ""}), 400)
check("the reset page", anon.get("/reset"))
check("the reset answer", anon.post("/reset", {"email": "x@nowhere.example"}))
check("a reset without an address", anon.post("/reset", {"email": "x"}), 400)
check("a page that does not exist", anon.get("/nope"), 404)
check("OpenID Connect, the provider unreachable",
      anon.post("/oidc/login", {}, csrf=csrf_of(anon.get("/login").text)), 503)
check("OpenID Connect, a bad callback: access denied",
      anon.get("/oidc/callback?code=x&state=y"), 403)
check("the CSRF refusal (403)",
      anon.post("/login", {"email": ola, "password": "x"}, csrf=None), 403)
dead = "A" * 43
check("a dead registration link", anon.get("/register?token=" + dead), 400)
check("a malformed link", anon.get("/register?token=<x>"), 400)
check("SSO with a garbage token: access denied", anon.get("/sso?jwt=garbage"),
      403)
check("a logged-out POST to a ticket's reply",
      anon.post("/tickets/1/reply", {"body": "x"}), 403)

# Registration: the page from a good link, then with an error, then done.
link = p.invite(ola)
path = link[len(p.base):]
b_ola = p.browser()
page = b_ola.get(path)
check("the registration page", page)
check("registration without consent",
      b_ola.post(path, {"password": "portal-pass-1",
                        "password2": "portal-pass-1"},
                 csrf=csrf_of(page.text)), 400)
r = b_ola.post(path, {"consent": "yes", "password": "portal-pass-1",
                      "password2": "portal-pass-1"}, csrf=csrf_of(page.text))
check("the welcome after registration", follow(b_ola, r))
check("a used registration link", p.browser().get(path), 400)

# Self-registration on a second docketd over the same database.
sr_port = free_port()
sr_base = "http://127.0.0.1:%d" % sr_port
p.start("d2", http={"listen": "127.0.0.1:%d" % sr_port},
        portal={"access": "self_registration", "base_url": sr_base})
sr = Browser(sr_port)
check("the sign-up page", sr.get("/signup"))
check("a sign-up with an error",
      sr.post("/signup", {"email": "siri@example.no", "first": "Siri",
                          "last": "Dal", "password": "short",
                          "password2": "short", "consent": "yes"}), 400)
before = len(p.sink.to("siri@example.no"))
check("the sign-up answer",
      sr.post("/signup", {"email": "siri@example.no", "first": "Siri",
                          "last": "Dal", "password": "siri-pass-123",
                          "password2": "siri-pass-123", "consent": "yes"}))
link = p.sink.link("siri@example.no", "/signup/confirm", after=before)
r = sr.get(link[len(sr_base):])
check("the sign-up confirmation", follow(sr, r))
check("a dead confirmation link", Browser(sr_port).get(
    "/signup/confirm?token=" + dead), 400)
check("the login page with sign-up", Browser(sr_port).get("/login"))

# Reset: the confirm page, an error on it, and the result.
rb = p.browser()
before = len(p.sink.to(ola))
rb.post("/reset", {"email": ola})
link = p.sink.link(ola, "/reset/confirm", after=before)
path = link[len(p.base):]
page = rb.get(path)
check("the reset confirm page", page)
check("a reset confirm with two passwords",
      rb.post(path, {"password": "portal-pass-2", "password2": "other-pass-2"},
              csrf=csrf_of(page.text)), 400)
r = rb.post(path, {"password": "portal-pass-2", "password2": "portal-pass-2"},
            csrf=csrf_of(page.text))
check("the password changed", follow(rb, r))
b_ola = rb
check("a used reset link", p.browser().get(path), 400)

# ---- logged in ---------------------------------------------------------------
check("the empty list", b_ola.get("/tickets"))
t_ola = cl.new_ticket(ola, "Nytt banner & <logo>")
t_kari = cl.new_ticket(kari, "Kalenderen \"feil\"")
carla.call("messages.send", ticket=t_ola, body="Vi ser på det.\nHilsen Carla")
r = b_ola.post_multipart("/tickets/%d/reply" % t_ola,
                         {"body": "Her er filene <b>nå</b>."},
                         [("files", "skisse.txt", "text/plain", b"skisse\n"),
                          ("files", "logo & co.png", "image/png",
                           b"\x89PNG\r\n")],
                         form_path="/tickets/%d" % t_ola)
check("a ticket after a reply (flash)", follow(b_ola, r))
check("the list with tickets", b_ola.get("/tickets"))
check("all statuses", b_ola.get("/tickets?status=all"))
check("a search", b_ola.get("/tickets?q=banner&status=all"))
check("a search that finds nothing", b_ola.get("/tickets?q=%3Cnothing%3E"))
check("the company's tickets", b_ola.get("/tickets?view=company&status=all"))
check("a ticket with messages and files", b_ola.get("/tickets/%d" % t_ola))
check("a colleague's ticket", b_ola.get("/tickets/%d" % t_kari))
b_nils = p.register(nils)
check("another's ticket that may not be seen",
      b_nils.get("/tickets/%d" % t_ola), 404)
check("the list of a contact without a company", b_nils.get("/tickets"))
check("an empty reply",
      follow(b_ola, b_ola.post_multipart("/tickets/%d/reply" % t_ola,
                                         {"body": ""}, [],
                                         form_path="/tickets/%d" % t_ola)))
# Over the limit by a little: the form reader's 413, a page of the portal.
check("a file over the limit (413)",
      b_ola.post_multipart("/tickets/%d/reply" % t_ola, {"body": "big"},
                           [("files", "big.bin", "application/octet-stream",
                             b"x" * 66000)],
                           form_path="/tickets/%d" % t_ola), 413)
check("eleven files (413)",
      b_ola.post_multipart("/tickets/%d/reply" % t_ola, {"body": "many"},
                           [("files", "f%d.txt" % i, "text/plain", b"x")
                            for i in range(11)],
                           form_path="/tickets/%d" % t_ola), 413)
# Over it by more than a part's headers: the HTTP layer stops reading and
# answers with the portal's error page (error_page), which says the limits.
check("a file far over the limit: the HTTP layer's 413",
      b_ola.post_multipart("/tickets/%d/reply" % t_ola, {"body": "huge"},
                           [("files", "huge.bin", "application/octet-stream",
                             b"x" * 200000)], form_path="/tickets/%d" % t_ola),
      413)
check("a reply with another session's csrf (403)",
      b_ola.post_multipart("/tickets/%d/reply" % t_ola, {"body": "x"}, [],
                           csrf="0" * 64), 403)
version = carla.call("tickets.get", id=t_ola)["version"]
carla.call("tickets.close", id=t_ola, version=version)
check("a closed ticket", b_ola.get("/tickets/%d" % t_ola))
check("closed tickets", b_ola.get("/tickets?status=closed"))
cl.sql("UPDATE ticket SET closed_at = now() - interval '400 days' "
       "WHERE id = %d" % t_ola)
check("a ticket closed too long ago", b_ola.get("/tickets/%d" % t_ola))
check("a reply to it",
      follow(b_ola, b_ola.post_multipart("/tickets/%d/reply" % t_ola,
                                         {"body": "hallo?"}, [],
                                         form_path="/tickets/%d" % t_ola)))
check("the support form", b_ola.get("/new"))
check("the support form with an error",
      b_ola.post_multipart("/new", {"subject": "", "description": "x <y>",
                                    "priority": "medium"}, []), 400)
r = b_ola.post_multipart("/new", {"subject": "Ny konto", "description":
                                  "Til en ny lærer", "priority": "high"},
                         [("files", "liste.csv", "text/csv", b"a,b\n")])
check("a new request", follow(b_ola, r))
check("a missing ticket", b_ola.get("/tickets/999999"), 404)
check("a missing attachment", b_ola.get("/attachments/999999"), 404)
r = b_ola.post("/logout", {}, csrf=csrf_of(b_ola.get("/tickets").text))
check("logged out", follow(b_ola, r))
check("a page after logout", follow(b_ola, b_ola.get("/tickets")))

print("%d pages checked; tidy's warnings: %s" % (len(checked),
                                                 sorted(warnings) or "none"))
done()
