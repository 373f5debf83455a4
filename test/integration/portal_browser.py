"""portal_browser.py - a contact's journey through the portal in a real
headless Chromium with JavaScript off (SPEC section 8: "usable without
JavaScript"): registration from the emailed link, the list, a ticket's
conversation without its notes, a reply with two files and a new request
with one (each reaching a staff member's JSON-RPC feed live), the company
switch, logout, and a password reset.  Screenshots of the list, a ticket
and the support form at 1280 and 360 px wide go to
$DOCKET_BUILD_DIR/test-output/portal/.  Needs Debian's chromium,
chromium-driver and python3-selenium (scripts/lib/packages): without them
the test fails, it does not skip."""

import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *

missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
try:
    from selenium import webdriver
    from selenium.common.exceptions import (StaleElementReferenceException,
                                            TimeoutException, WebDriverException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError as e:
    missing.append("python3-selenium (%s)" % e)
if missing:
    ok(False, "headless Chromium is installed",
       "missing: %s; install chromium, chromium-driver and python3-selenium "
       "(scripts/lib/packages; scripts/test installs them)" % ", ".join(missing))
    done()

OUT = os.path.join(os.environ["DOCKET_BUILD_DIR"], "test-output", "portal")
os.makedirs(OUT, exist_ok=True)

# ---- the helpdesk: two schools, three contacts, a staff member ---------
p = Portal(portal={"visibility": "company"})
cl = p.cl
cl.add_staff("carla", "content", "Carla Content")
cl.ctl("company", "add", "Nordlys skole")
cl.ctl("company", "add", "Fjord skole")
ola = p.contact("ola@nordlys.example.no", "Ola", "Nordmann", "Nordlys skole")
kari = p.contact("kari@nordlys.example.no", "Kari", "Lund", "Nordlys skole")
p.contact("eve@fjord.example.no", "Eve", "Fjell", "Fjord skole")

carla = p.d.login(cl, "carla")
carla.subscribe()

# Ola's request arrives by email (the contact's side of the conversation),
# Carla answers it, and leaves a note the contact must never see.
cl.ctl("mail-in", input=(
    "From: Ola Nordmann <ola@nordlys.example.no>\r\n"
    "To: support@agency.example\r\n"
    "Subject: Nytt banner til forsiden\r\n"
    "Message-ID: <banner-1@nordlys.example.no>\r\n"
    "Date: Mon, 2 Mar 2026 09:00:00 +0100\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "Kan dere lage et nytt banner til forsiden?\r\n"))
t_ola = int(cl.sql1("SELECT id FROM ticket WHERE subject = "
                    "'Nytt banner til forsiden'"))
carla.call("messages.send", ticket=t_ola,
           body="Ja, vi lager et forslag i morgen.")
carla.call("notes.add", ticket=t_ola, body="INTERNAL: bruk den blå logoen")
t_kari = cl.new_ticket(kari, "Kalenderen er feil")

# ---- the browser -------------------------------------------------------
driver = chromium(cl, "nojs", javascript=False)
wait = browser_wait(driver, 30)

driver.get("data:text/html,<noscript><p id=off>off</p></noscript>")
ok(driver.find_elements(By.ID, "off"), "JavaScript is off in the browser")


def path():
    return urllib.parse.urlsplit(driver.current_url).path


def page_text():
    return driver.find_element(By.TAG_NAME, "body").text


def gone(element):
    """A condition: element is no longer in the document.  While the next
    page replaces the old one, chromedriver may answer a question about
    the element with "Node ... does not belong to the document" (a
    WebDriverException) instead of a stale reference: that is gone too."""
    def check(_driver):
        try:
            element.is_enabled()
            return False
        except (StaleElementReferenceException, WebDriverException):
            return True
    return check


def submit(form_el):
    """Click the form's submit button and wait for the next page."""
    button = form_el.find_element(By.CSS_SELECTOR, "button[type=submit]")
    button.click()
    wait.until(gone(button))


def form(action):
    return driver.find_element(By.CSS_SELECTOR,
                               "form[action^='%s']" % action)


def shoot(name):
    """The page at 1280 and 360 px wide, the whole document; checks that
    nothing is wider than the window at 360 px."""
    for w, h in ((1280, 900), (360, 800)):
        driver.set_window_size(w, h)
        # The window's size includes Chromium's own frame: make the
        # viewport w wide and as tall as the document.
        # (window.outerWidth is no help: headless Chromium says 500 for
        # any narrower window.)
        inner = driver.execute_script(
            "return [window.innerWidth, window.innerHeight]")
        dw, dh = w - inner[0], h - inner[1]
        driver.set_window_size(w + dw, h + dh)
        full = driver.execute_script(
            "return document.documentElement.scrollHeight")
        driver.set_window_size(w + dw, max(h, full) + dh)
        eq(driver.execute_script("return window.innerWidth"), w,
           "%s: the viewport is %d px wide" % (name, w))
        f = os.path.join(OUT, "%s-%d.png" % (name, w))
        driver.save_screenshot(f)
        print("screenshot: " + f)
        over = driver.execute_script(
            "return document.documentElement.scrollWidth - "
            "document.documentElement.clientWidth")
        wide = driver.execute_script(
            "var w = document.documentElement.clientWidth, out = [];"
            "document.querySelectorAll('body *').forEach(function (e) {"
            "  var r = e.getBoundingClientRect();"
            "  if (r.right > w + 0.5) out.push(e.tagName + '#' + e.id + '.' +"
            "    e.className + ' ' + Math.round(r.left) + '-' +"
            "    Math.round(r.right)); });"
            "return out;")
        eq(over, 0, "%s at %d px: nothing wider than the window" % (name, w))
        ok(not wide, "%s at %d px: every element inside it" % (name, w), wide)
    driver.set_window_size(1280, 900)


# ---- 2. registration from the emailed link ---------------------------------
link = p.invite(ola)
driver.get(link)
ok("We use your details to answer your requests." in page_text(),
   "the registration page shows the consent text")
f = form("/register")
f.find_element(By.NAME, "consent").click()
f.find_element(By.ID, "password").send_keys("portal-pass-1")
f.find_element(By.ID, "password2").send_keys("portal-pass-1")
submit(f)
eq(path(), "/tickets", "registered: the browser lands on the ticket list")
ok("Welcome! Your account is ready." in page_text(), "with the welcome")

# ---- 3. the list and the conversation --------------------------------------
rows = driver.find_elements(By.CSS_SELECTOR, "table.tickets tbody tr")
ok(any("Nytt banner til forsiden" in r.text for r in rows),
   "the list shows Ola's ticket", [r.text for r in rows])
shoot("list")
driver.find_element(By.LINK_TEXT, "Nytt banner til forsiden").click()
wait.until(lambda d: path() == "/tickets/%d" % t_ola)
msgs = [li.text for li in
        driver.find_elements(By.CSS_SELECTOR, "ol.conversation > li")]
ok(len(msgs) == 2 and "Kan dere lage et nytt banner" in msgs[0]
   and "Ja, vi lager et forslag" in msgs[1],
   "the detail page shows the conversation in order, both sides", msgs)
ok("INTERNAL" not in driver.page_source and "blå logoen" not in page_text(),
   "and never the note")

# ---- 4. a reply with two files ---------------------------------------------
files = []
for name, data in (("skisse.txt", "første skisse\n"),
                   ("farger.csv", "blå,#1f5fbf\nhvit,#ffffff\n")):
    fp = os.path.join(cl.dir, name)
    with open(fp, "w") as fh:
        fh.write(data)
    files.append(fp)
seen = len(carla.pushes)
f = form("/tickets/%d/reply" % t_ola)
f.find_element(By.ID, "body").send_keys("Her er skissen og fargene.")
f.find_element(By.ID, "files").send_keys("\n".join(files))
submit(f)
eq(path(), "/tickets/%d" % t_ola, "after the reply: back on the ticket")
ok("Your reply has been sent." in page_text(), "with the flash")
ok("skisse.txt" in page_text() and "farger.csv" in page_text(),
   "the reply's files are listed on the page")
push = carla.wait_push(lambda m: m.get("method") == "event"
                       and m["params"].get("type") == "ticket.changed"
                       and m["params"]["ticket"]["id"] == t_ola
                       and m["params"].get("action") == "message_received")
eq(push["params"]["change"].get("source"), "portal",
   "the staff client gets the push live: message_received from the portal")
full = carla.call("tickets.get", id=t_ola)
mid = push["params"]["change"]["message"]
mine = [m for m in full["messages"] if m["id"] == mid]
ok(mine and mine[0]["body"] == "Her er skissen og fargene."
   and mine[0]["direction"] == "in" and mine[0].get("source") == "portal",
   "tickets.get has the reply as a message in, source portal",
   full["messages"])
att = sorted((a["filename"], a["size"]) for a in full["attachments"]
             if a["message"] == mid)
eq(att, sorted((os.path.basename(f), os.path.getsize(f)) for f in files),
   "tickets.get lists both files on that message")
ok(any(e["action"] == "message_received"
       and e["change"].get("message") == mid
       and e["change"].get("source") == "portal" for e in full["events"]),
   "and its history says the message came from the portal")
shoot("ticket")

# ---- 5. a new request through the support form -----------------------------
driver.find_element(By.LINK_TEXT, "Submit a request").click()
wait.until(lambda d: path() == "/new")
shoot("new")
f = form("/new")
f.find_element(By.ID, "subject").send_keys("Ny lærer trenger tilgang")
f.find_element(By.ID, "description").send_keys(
    "Kari Lund begynner på mandag.\nHun trenger en konto.")
Select(f.find_element(By.ID, "priority")).select_by_value("high")
fp = os.path.join(cl.dir, "timeplan.txt")
with open(fp, "w") as fh:
    fh.write("mandag 08:15\n")
f.find_element(By.ID, "files").send_keys(fp)
submit(f)
m = re.fullmatch(r"/tickets/(\d+)", path())
ok(m, "the new request: redirected to its page", driver.current_url)
t_new = int(m.group(1)) if m else 0
ok("Thank you: your request has been received." in page_text()
   and "Ny lærer trenger tilgang" in page_text(), "showing it, with thanks")
ok("timeplan.txt" in page_text(), "and its file")
push = carla.wait_push(lambda m: m.get("method") == "event"
                       and m["params"].get("type") == "ticket.created"
                       and m["params"]["ticket"]["id"] == t_new)
eq(push["params"]["ticket"]["subject"], "Ny lærer trenger tilgang",
   "the staff client gets ticket.created live")
unassigned = carla.call("tickets.view", view="unassigned")["tickets"]
ok(any(t["id"] == t_new for t in unassigned),
   "tickets.view unassigned lists it", [t["id"] for t in unassigned])
full = carla.call("tickets.get", id=t_new)
eq((full["source"], full["priority"]), ("portal", "high"),
   "with source portal and the priority chosen")
eq([a["filename"] for a in full["attachments"]], ["timeplan.txt"],
   "and the file")

# ---- 6. the company switch --------------------------------------------------
driver.find_element(By.LINK_TEXT, "Tickets").click()
wait.until(lambda d: path() == "/tickets")
driver.find_element(By.LINK_TEXT, "Organization tickets").click()
wait.until(lambda d: "view=company" in driver.current_url)
ok("Kalenderen er feil" in page_text()
   and "Nytt banner til forsiden" in page_text(),
   "Organization tickets shows the colleague's ticket too")
driver.find_element(By.LINK_TEXT, "Owned by me").click()
wait.until(lambda d: "view=mine" in driver.current_url)
ok("Kalenderen er feil" not in page_text()
   and "Nytt banner til forsiden" in page_text(),
   "Owned by me does not")

# ---- 7. logout, reset, log in again ----------------------------------------
submit(form("/logout"))
eq(path(), "/login", "logout: the login page")
ok("You have logged out." in page_text(), "saying so")
driver.find_element(By.LINK_TEXT, "Forgot your password?").click()
wait.until(lambda d: path() == "/reset")
before = len(p.sink.to(ola))
f = form("/reset")
f.find_element(By.ID, "email").send_keys(ola)
submit(f)
ok("Check your email" in page_text(), "reset: check your email")
link = p.sink.link(ola, "/reset/confirm", after=before)
driver.get(link)
f = form("/reset/confirm")
f.find_element(By.ID, "password").send_keys("portal-pass-2")
f.find_element(By.ID, "password2").send_keys("portal-pass-2")
submit(f)
eq(path(), "/tickets", "a new password: logged in")
ok("Your password has been changed." in page_text(), "saying so")
submit(form("/logout"))
eq(path(), "/login", "logged out again")


def log_in(password):
    f = form("/login")
    f.find_element(By.ID, "email").clear()
    f.find_element(By.ID, "email").send_keys(ola)
    f.find_element(By.ID, "password").send_keys(password)
    submit(f)


log_in("portal-pass-1")
eq(path(), "/login", "the old password no longer works")
ok("Wrong email or password." in page_text(), "saying so")
log_in("portal-pass-2")
eq(path(), "/tickets", "the new one does")

driver.quit()
done()
