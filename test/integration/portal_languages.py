"""portal_languages.py - the portal in English, Norsk bokmål and
Nederlands (issue #19), over raw HTTP: the language comes from the
logged-in contact, else the browser's choice (POST /language, a cookie),
else Accept-Language, else portal.default_language; pages say it in
<html lang>; dates are written for it; a registration stores it on the
contact and the chooser changes it there.  No page in nb or nl shows a
string the catalogue translates in its English form, and every string
the program uses is translated in each catalogue (msgcmp, msgfmt
--statistics against the build's docket.pot).  The live stream speaks the
page's language too.  Bad choices change nothing."""

import sys, os, subprocess
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *

BUILD = os.environ["DOCKET_BUILD_DIR"]
POT = os.path.join(BUILD, "docket.pot")
PO = {l: os.path.join(SOURCE, "po", l + ".po") for l in ("nb", "nl")}

# ---- the catalogues against the program's strings -----------------------
for lang, po in PO.items():
    r = subprocess.run(["msgcmp", "--use-untranslated", po, POT],
                       capture_output=True, text=True)
    eq(r.returncode, 0, "po/%s.po has every msgid the program uses" % lang)
    ok(r.returncode == 0, "  (msgcmp)", r.stderr[-1500:])
    r = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", po],
                       capture_output=True, text=True)
    ok(r.returncode == 0 and "untranslated" not in r.stderr
       and "fuzzy" not in r.stderr,
       "po/%s.po: every message translated, none fuzzy (%s)" % (lang, r.stderr.strip()))


def catalogue(po):
    """msgid -> msgstr of a .po (single-line entries, as ours are)."""
    out, mid = {}, None
    for line in open(po, encoding="utf-8"):
        if line.startswith('msgid "'):
            mid = json.loads(line[6:])
        elif line.startswith('msgstr "') and mid:
            out[mid] = json.loads(line[7:])
            mid = None
    return out


CAT = {l: catalogue(po) for l, po in PO.items()}

p = Portal(portal={"languages": ["en", "nb", "nl"], "default_language": "en",
                   "visibility": "company", "access": "self_registration"})
cl = p.cl
cl.add_staff("carla", "content", "Carla Content")
cl.ctl("company", "add", "Nordlys skole")
ola = p.contact("ola@nordlys.example.no", "Ola", "Nordmann", "Nordlys skole")


def lang_of(page):
    m = re.search(r'<html lang="([a-z]+)">', page.text)
    return m.group(1) if m else None


def visible_text(page):
    """The page's words as a reader sees them: tags, attributes' values
    that are not read (href, value of hidden fields) and the script's
    data out; entities decoded."""
    t = re.sub(r'<(script|style)[^>]*>.*?</\1>', ' ', page.text, flags=re.S)
    t = re.sub(r'data-text="[^"]*"', ' ', t)
    labels = re.findall(r'(?:aria-label|data-label|alt|title)="([^"]*)"', t)
    t = re.sub(r'<[^>]+>', '\n', t)
    return html.unescape(t + "\n" + "\n".join(labels))


def untranslated(page, lang):
    """English msgids of the catalogue that appear on a page in lang,
    where the translation differs (words like Status that are the same
    in both are fine)."""
    text = visible_text(page)
    found = []
    for mid, tr in CAT[lang].items():
        if mid == tr or len(mid) < 4 or "%" in mid:
            continue
        if re.search(r'(?<![\w])' + re.escape(mid) + r'(?![\w])', text):
            found.append(mid)
    return found


# ---- choosing the language ------------------------------------------------
for header, want in (("nb-NO,nb;q=0.9,en;q=0.5", "nb"), ("nl", "nl"),
                     ("fr-FR", "en"), ("no", "nb"), ("nn-NO", "nb"),
                     ("en;q=0.5, nl;q=0.9", "nl"), ("*", "en"), ("", "en"),
                     ("nb;q=abc, nl;q=0.1", "nl"), ("nb;q=0, en", "en"),
                     ("x" * 1000, "en"), ("nb-NO-x-" + "y" * 30, "nb")):
    r = p.browser(language=header).get("/login")
    eq((r.status, lang_of(r)), (200, want), "Accept-Language %r: %s" % (header[:40], want))
r = p.browser(language="nb").get("/login")
ok("Logg inn" in r.text and "Glemt passordet?" in r.text, "the login page in Norwegian")
r = p.browser(language="nl").get("/login")
ok("Inloggen" in r.text and "Wachtwoord vergeten?" in r.text, "the login page in Dutch")
ok('name="language"' in r.text and 'lang="nb"' in r.text,
   "every page offers the languages, each named in itself")

b = p.browser(language="nb")
r = b.post("/language", {"language": "nl", "next": "/login"},
           csrf=csrf_of(b.get("/login").text))
eq((r.status, r.header("Location")), (303, "/login"), "POST /language: back to the page")
ok(b.cookies.get("dk_lang") == "nl", "the choice is kept in the browser", b.cookies)
eq(lang_of(b.get("/login")), "nl", "and wins over Accept-Language")
for fields, what in (({"language": "fr", "next": "/"}, "a language the portal does not speak"),
                     ({"language": "", "next": "/"}, "no language"),
                     ({"language": "nb'><script>", "next": "/"}, "markup")):
    r = b.post("/language", fields, csrf=csrf_of(b.get("/login").text))
    eq(r.status, 400, "POST /language with %s: 400" % what)
eq(b.cookies.get("dk_lang"), "nl", "and the choice is unchanged")
for nxt in ("//evil.example/x", "https://evil.example/", "/ok\r\nSet-Cookie: x=1",
            "/\\evil.example"):
    r = b.post("/language", {"language": "nb", "next": nxt},
               csrf=csrf_of(b.get("/login").text))
    eq((r.status, r.header("Location")), (303, "/"),
       "next=%r leads home, never away" % nxt)
    ok(not [v for v in r.all("Set-Cookie") if v.startswith("x=")], "  and sets nothing else")
r = b.post("/language", {"language": "nl", "next": "/"}, csrf=False)
eq(r.status, 403, "POST /language without the csrf field: 403")

# ---- a registration stores the page's language -----------------------------
b_ola = p.browser(language="nb-NO")
p.register(ola, browser=b_ola)
eq(cl.sql1("SELECT language FROM contact WHERE email = '%s'" % ola), "nb",
   "registering from a Norwegian page makes the contact Norwegian")
t = cl.new_ticket(ola, "Nytt banner")
carla = p.d.login(cl, "carla")
carla.call("messages.send", ticket=t, body="Vi ser på det.")
b_ola.language = "en"  # the contact's own language wins over the browser's
lst = b_ola.get("/tickets")
eq(lang_of(lst), "nb", "logged in, the contact's language wins over the browser's")
ok("Billetter" in lst.text and "Siste aktivitet" in lst.text and "Logg ut" in lst.text,
   "the list in Norwegian")
ok(re.search(r"\d\d\.\d\d\.\d{4} kl\. \d\d:\d\d UTC", lst.text),
   "dates as Norwegians write them", re.findall(r"<time[^>]*>[^<]*</time>", lst.text)[:2])
page = b_ola.get("/tickets/%d" % t)
ok("Samtale" in page.text and "Send svar" in page.text, "a ticket's page in Norwegian")

# The stream speaks it too.
s = EventStream.live(b_ola)
carla.call("tickets.close", id=t, version=carla.call("tickets.get", id=t)["version"])
e = s.wait(lambda d: d["id"] == t and d["closed"], "the close, live")
eq(e["data"]["status"], "Lukket", "the live status in Norwegian")
ok(re.match(r"^\d\d\.\d\d\.\d{4} kl\. \d\d:\d\d UTC$", e["data"]["last_activity_text"]),
   "and its dates", e["data"]["last_activity_text"])
s.close()

# The chooser changes the contact's language, for this and every session.
r = b_ola.post("/language", {"language": "nl", "next": "/tickets"},
               csrf=csrf_of(b_ola.get("/tickets").text))
eq(r.status, 303, "a logged-in contact chooses Dutch")
eq(cl.sql1("SELECT language FROM contact WHERE email = '%s'" % ola), "nl",
   "stored on the contact")
eq(lang_of(b_ola.get("/tickets")), "nl", "the next page is Dutch")
b2 = p.login(ola, browser=p.browser(language="en"))
eq(lang_of(b2.get("/tickets")), "nl", "and so is another session's")

# ---- a contact's emails are in the contact's language -------------------------
def mail_after(before, what):
    wait_for(lambda: len(p.sink.to(ola)) > before, 30, what)
    m = p.sink.to(ola)[-1]
    return m["Subject"], m.get_body(("plain",)).get_content()


cl.sql("UPDATE contact SET language = 'nb' WHERE email = '%s'" % ola)
before = len(p.sink.to(ola))
b_nb = p.browser(language="nb")
b_nb.post("/reset", {"email": ola})
subject, body = mail_after(before, "the reset email")
eq(subject, "Tilbakestill passordet ditt for Agency Helpdesk",
   "a Norwegian contact's reset email is in Norwegian")
ok(body.startswith("Hei, Ola!") and "lenken virker én gang, i 1 time" in body
   and "/reset/confirm?token=" in body, "its text too, with the link", body)

cl.sql("UPDATE contact SET language = 'nl' WHERE email = '%s'" % ola)
t2 = cl.new_ticket(ola, "Kalender")
before = len(p.sink.to(ola))
carla.call("tickets.close", id=t2, version=carla.call("tickets.get", id=t2)["version"])
subject, body = mail_after(before, "the closed email")
eq(subject, "[#%d] Uw verzoek is afgehandeld: Kalender" % t2,
   "a Dutch contact's 'request complete' email is in Dutch")
ok(body.startswith("Beste Ola,"), "its text too", body)

# The agency's own words in a language win over the shipped translation.
cl.ctl("template", "add", "system", "closed.nl", "--subject",
       "Klaar: {{ticket.subject}}", input="Hoi {{contact.first_name}}, het is klaar.\n")
t3 = cl.new_ticket(ola, "Rooster")
before = len(p.sink.to(ola))
carla.call("tickets.close", id=t3, version=carla.call("tickets.get", id=t3)["version"])
subject, body = mail_after(before, "the closed email, the agency's own")
eq((subject, body.strip()), ("Klaar: Rooster", "Hoi Ola, het is klaar."),
   "system/closed.nl, added with docketctl template add, is used")
for bad in ("closed.fr", "closed.en", "nosuch.nb", "closed."):
    r = subprocess.run([DOCKETCTL, "--config", cl.write_config("ctl", {}), "template",
                        "add", "system", bad, "--subject", "x"], input="y\n",
                       capture_output=True, text=True)
    ok(r.returncode != 0, "docketctl template add system %s is refused" % bad, r.stderr)
r = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "scripts", "i18n-emails"),
                    cl.conninfo, "--check"], capture_output=True, text=True)
eq((r.returncode, r.stderr.strip()), (0, ""),
   "schema/functions/email_i18n.sql is current with po/ (scripts/i18n-emails --check)")

# ---- nothing is left in English that is not data --------------------------
# Each page fetched in English and in nb/nl by the same contact: a piece of
# text the two share is a string the program forgot to mark (it is in no
# catalogue, so the check below cannot see it), unless it is the contact's
# data or a word both languages write alike.
SAME = {"Agency Helpdesk", "English", "Norsk bokmål", "Nederlands", "Ola Nordmann",
        "Nordlys skole", "Nytt banner", "Kalender", "Rooster", "Vi ser på det.",
        "Ola Nordmann, Nordlys skole", ola}


def segments(page):
    return {x.strip() for x in visible_text(page).split("\n") if x.strip()}


def data_like(seg, lang):
    # A page's title is "WHAT - TITLE"; a ticket's heading "#ID SUBJECT";
    # a message's author "NAME, DATE".
    if seg.endswith(" - Agency Helpdesk"):
        return data_like(seg[:-len(" - Agency Helpdesk")], lang)
    if re.match(r"#\d+ ", seg):
        return data_like(seg.split(" ", 1)[1], lang)
    if seg.endswith(","):
        return data_like(seg[:-1], lang)
    return (seg in SAME or CAT[lang].get(seg) == seg or seg == "Carla Content"
            or not re.search(r"[A-Za-z]{3}", seg)
            or re.fullmatch(r"[#\d ,.:()-]*(UTC|kl\.)?[\d :.]*(UTC)?", seg)
            or seg.startswith("Carla Content, ") or seg.startswith("Ola Nordmann, "))


me = p.login(ola, browser=p.browser(language="en"))
PAGES = ("/tickets", "/tickets?status=all", "/tickets/%d" % t, "/tickets/%d" % t2,
         "/new", "/tickets/999999")
def chosen(lang):
    r = me.post("/language", {"language": lang, "next": "/"},
                csrf=csrf_of(me.get("/tickets").text))
    eq(r.status, 303, "the contact chooses %s" % lang)
    return {path: me.get(path) for path in PAGES}
english_pages = chosen("en")
for lang in ("nb", "nl"):
    for path, page in chosen(lang).items():
        left = sorted(x for x in segments(page) & segments(english_pages[path])
                      if not data_like(x, lang))
        ok(not left, "%s in %s: nothing left in English" % (path, lang), left)
for lang in ("nb", "nl"):
    for path in ("/login", "/reset", "/signup", "/nonexistent"):
        en_page, page = p.browser(language="en").get(path), p.browser(language=lang).get(path)
        left = sorted(x for x in segments(page) & segments(en_page)
                      if not data_like(x, lang))
        ok(not left, "%s in %s: nothing left in English" % (path, lang), left)

# ---- no page shows an English string its catalogue translates ------------
anon_pages = ["/login", "/reset", "/signup", "/nonexistent", "/register?token=x"]
for lang in ("nb", "nl"):
    cl.sql("UPDATE contact SET language = '%s' WHERE email = '%s'" % (lang, ola))
    me = p.login(ola, browser=p.browser(language=lang))
    pages = [(path, p.browser(language=lang).get(path)) for path in anon_pages]
    pages += [(path, me.get(path)) for path in
              ("/tickets", "/tickets?status=all", "/tickets?view=company",
               "/tickets/%d" % t, "/new", "/tickets/999999")]
    pages.append(("POST /login (wrong)", p.browser(language=lang).post(
        "/login", {"email": ola, "password": "wrong-password"})))
    pages.append(("POST /new (empty)", me.post("/new", {"subject": ""})))
    pages.append(("POST /reset", p.browser(language=lang).post("/reset", {"email": ola})))
    for path, page in pages:
        eq(lang_of(page), lang, "%s in %s: <html lang=%s>" % (path, lang, lang))
        td = subprocess.run(["tidy", "-q", "-e", "--show-warnings", "no", "-utf8"],
                            input=page.body, capture_output=True)
        ok(td.returncode < 2, "%s in %s: tidy finds no error (the chooser too)" % (path, lang),
           td.stderr.decode("utf-8", "replace")[:800])
        left = untranslated(page, lang)
        ok(not left, "%s in %s: no untranslated string" % (path, lang), left)

# ---- configuration -----------------------------------------------------------
for portal, what in (({"languages": ["en", "fr"]}, "a language without a catalogue"),
                     ({"languages": ["en"], "default_language": "nb"},
                      "a default that is not offered")):
    path = cl.write_config("bad", {"portal": dict(p.portal_cfg, **portal),
                                   "http": {"listen": "127.0.0.1:%d" % free_port()}})
    r = subprocess.run([DOCKETD, "--config", path, "--check-config"], capture_output=True,
                       text=True, timeout=30)
    ok(r.returncode != 0 and "portal." in (r.stderr + r.stdout),
       "docketd refuses %s" % what, (r.returncode, r.stderr[-500:]))

done()
