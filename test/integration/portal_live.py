"""portal_live.py - the portal's live pages in a real headless Chromium
with JavaScript on (issue #19): on the list, a claim changes a request's
status and a new request appears, without a reload; on a request, a staff
reply appears in the conversation (as text, never as markup) and "Anna
Berg is replying…" shows while she writes; after docketd restarts the
page resumes with nothing missed (the reply made meanwhile on another
docketd arrives).  The script runs under the portal's CSP with no
violation in the console.  Each wait is at most 10 s (20 s across the
restart); the times seen are printed (bench/ measures them properly).
Screenshots go to $DOCKET_BUILD_DIR/test-output/portal/.  Needs Debian's
chromium, chromium-driver and python3-selenium: without them the test
fails, it does not skip."""

import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *

missing = [x for x in (CHROMIUM, CHROMEDRIVER) if not os.access(x, os.X_OK)]
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as e:
    missing.append("python3-selenium (%s)" % e)
if missing:
    ok(False, "headless Chromium is installed", "missing: %s" % ", ".join(missing))
    done()

OUT = os.path.join(os.environ["DOCKET_BUILD_DIR"], "test-output", "portal")
os.makedirs(OUT, exist_ok=True)

p = Portal(portal={"visibility": "company", "show_stage_names": True})
cl = p.cl
cl.add_staff("carla", "content", "Carla Content")
cl.add_staff("anna", "content", "Anna Berg")
cl.ctl("company", "add", "Nordlys skole")
ola = p.contact("ola@nordlys.example.no", "Ola", "Nordmann", "Nordlys skole")
p.register(ola)
t1 = cl.new_ticket(ola, "Nytt banner")
carla = p.d.login(cl, "carla")
anna = p.d.login(cl, "anna")

driver = chromium(cl, "live", console=True)
wait = browser_wait(driver, 10)


def path():
    return urllib.parse.urlsplit(driver.current_url).path


def js(script, *args):
    return driver.execute_script(script, *args)


def timed(what, cond, timeout=10):
    """Wait for cond(driver) without a reload; print how long it took."""
    t0 = time.time()
    try:
        browser_wait(driver, timeout, 0.02).until(cond)
    except Exception:
        ok(False, what, driver.find_element(By.TAG_NAME, "main").text[:1500])
        return
    ok(js("return window.__docket_same === 42") is True,
       what + " (no reload: %.0f ms)" % ((time.time() - t0) * 1000))


def read(fn):
    """fn(driver) once the elements it reads hold still."""
    return browser_wait(driver, 10, 0.02).until(
        lambda d: (fn(d),))[0]


def mark():
    js("window.__docket_same = 42")


def version(t):
    return carla.call("tickets.get", id=t)["version"]


# Log in in the browser; the list is live.
driver.get(p.base + "/login")
driver.find_element(By.ID, "email").send_keys(ola)
driver.find_element(By.ID, "password").send_keys("portal-pass-1")
driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
wait.until(lambda d: path() == "/tickets")
ok(js("return !!document.querySelector('main[data-events]')"),
   "the list says where its stream is")
wait.until(lambda d: js("return document.querySelector('main').getAttribute('data-live')") == "on")
mark()

# ---- the list -------------------------------------------------------------
status = "tr[data-ticket='%d'] .status" % t1
eq(driver.find_element(By.CSS_SELECTOR, status).text, "New", "the request is New")
carla.call("tickets.claim", id=t1, version=version(t1))
timed("a claim changes the list's status to In Progress",
      lambda d: d.find_element(By.CSS_SELECTOR, status).text == "In Progress")
t2 = cl.new_ticket(ola, "Ny lærer trenger tilgang")
timed("a new request appears at the top of the list",
      lambda d: d.find_elements(By.CSS_SELECTOR, "table.tickets tbody tr")[0]
      .get_attribute("data-ticket") == str(t2))
ok(read(lambda d: d.find_elements(By.CSS_SELECTOR, "table.tickets tbody tr")[0]
        .find_element(By.LINK_TEXT, "Ny lærer trenger tilgang")
        .get_attribute("href")).endswith("/tickets/%d" % t2), "linked to its page")
driver.save_screenshot(os.path.join(OUT, "live-list.png"))

# ---- one request ------------------------------------------------------------
driver.get(p.base + "/tickets/%d" % t1)
wait.until(lambda d: js("return document.querySelector('main').getAttribute('data-live')") == "on")
mark()
before = len(driver.find_elements(By.CSS_SELECTOR, "ol.conversation > li"))
body = "Vi lager et forslag <b>i morgen</b> & <script>window.__x=1</script>"
carla.call("messages.send", ticket=t1, body=body)
timed("a staff reply appears in the open request's conversation",
      lambda d: len(d.find_elements(By.CSS_SELECTOR, "ol.conversation > li")) > before)
li = driver.find_elements(By.CSS_SELECTOR, "ol.conversation > li")[-1]
eq(li.find_element(By.CSS_SELECTOR, "p.body").text, body,
   "its text exactly as written")
ok(not li.find_elements(By.TAG_NAME, "b") and not li.find_elements(By.TAG_NAME, "script")
   and js("return window.__x") is None, "never as markup")
ok(li.find_element(By.CSS_SELECTOR, "p.from").text.startswith("Carla Content, "),
   "by Carla's display name")
anna.call("presence.set", ticket=t1, state="replying")
timed("'Anna Berg is replying…' while she writes",
      lambda d: "Anna Berg is replying…" in d.find_element(By.TAG_NAME, "main").text)
driver.save_screenshot(os.path.join(OUT, "live-ticket.png"))
anna.call("presence.set", ticket=t1, state="viewing")
timed("and gone when she stops",
      lambda d: "is replying" not in d.find_element(By.TAG_NAME, "main").text)

# ---- a restart, with a reply made meanwhile on another docketd -------------
p.d.stop()
d2 = cl.start_server("d2")
carla2 = d2.login(cl, "carla")
carla2.call("messages.send", ticket=t1, body="Laget mens d1 var nede")
p.d = p.start("d1")
timed("after docketd restarts, the reply made meanwhile arrives",
      lambda d: "Laget mens d1 var nede" in d.find_element(By.TAG_NAME, "main").text,
      timeout=20)
carla = p.d.login(cl, "carla")
carla.call("messages.send", ticket=t1, body="Og etterpå")
timed("and the page is live again",
      lambda d: "Og etterpå" in d.find_element(By.TAG_NAME, "main").text)
texts = read(lambda d: [x.text for x in
                        d.find_elements(By.CSS_SELECTOR, "ol.conversation p.body")])
eq(len(texts), len(set(texts)), "no message shown twice")

# ---- the script keeps to the portal's rules -------------------------------
log = driver.get_log("browser")
bad = [e for e in log if e["level"] == "SEVERE"
       and "/events" not in e["message"] and "favicon.ico" not in e["message"]]
ok(not bad, "no error in the console (no CSP violation)", bad)

done()
