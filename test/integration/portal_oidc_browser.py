"""portal_oidc_browser.py - issue #19's journey in a real headless
Chromium started in Norwegian (--lang=nb), with the keyboard alone: a
school's contact who has no portal password signs in with the school's
OpenID Connect account (the provider of oidc_provider.py on loopback over
TLS, its key trusted by SPKI for this Chromium only), reads the portal in
Norwegian, opens a request and watches the helpdesk's reply appear
without a reload.  axe-core checks the login page with its sign-in
button.  Screenshots go to $DOCKET_BUILD_DIR/test-output/portal/.  Needs
chromium, chromium-driver, python3-selenium, python3-authlib and axe-core
(scripts/test installs them): without them the test fails, it does not
skip."""

import shutil
import sys, os
import tempfile
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *

missing = [x for x in (CHROMIUM, CHROMEDRIVER, AXE) if not os.access(x, os.R_OK)]
try:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
except ImportError as e:
    missing.append("python3-selenium or python3-authlib (%s)" % e)
if missing:
    ok(False, "Chromium, selenium, authlib and axe-core are installed",
       "missing: %s (scripts/test installs them)" % ", ".join(missing))
    done()

OUT = os.path.join(os.environ["DOCKET_BUILD_DIR"], "test-output", "portal")
os.makedirs(OUT, exist_ok=True)
tmp = tempfile.mkdtemp(prefix="docket-oidc-")
atexit.register(shutil.rmtree, tmp, True)
op = Provider(tmp)
p = Portal(portal={"languages": ["en", "nb", "nl"], "visibility": "company",
                   "oidc": {"issuer": op.issuer, "client_id": CLIENT_ID,
                            "client_secret": CLIENT_SECRET,
                            "ca_file": op.ca_file}})
cl = p.cl
cl.add_staff("anna", "content", "Anna Berg")
cl.ctl("company", "add", "Nordlys skole")
ingrid = p.contact("ingrid@nordlys.example.no", "Ingrid", "Haugen",
                   "Nordlys skole")
# On the access list, never registered: no password, only the school's
# account.
cl.ctl("list", "add-member", "Authorized Portal Users", ingrid)
t = cl.new_ticket(ingrid, "Nytt bilde på forsiden")
anna = p.d.login(cl, "anna")
op.user = ingrid

d = chromium(cl, "oidc-nb", lang="nb", console=True,
             extra_args=["--ignore-certificate-errors-spki-list=" +
                         op.spki_hash()])
wait = browser_wait(d, 15)


def path():
    return urllib.parse.urlsplit(d.current_url).path


def main_text():
    return d.find_element(By.TAG_NAME, "main").text


d.get(p.base + "/login")
eq(d.find_element(By.TAG_NAME, "html").get_attribute("lang"), "nb",
   "the login page is in Norwegian")
button = d.find_element(By.CSS_SELECTOR,
                         "form[action='/oidc/login'] button")
eq(button.text, "Logg inn med skolekontoen din",
   "the sign-in button, in Norwegian")
axe(d, "nb", "the login page with the school's sign-in")
d.save_screenshot(os.path.join(OUT, "oidc-login-nb.png"))

# The keyboard alone: Tab to the button, Enter.
d.find_element(By.TAG_NAME, "body").click()
for _ in range(30):
    ActionChains(d).send_keys(Keys.TAB).perform()
    if d.switch_to.active_element == button:
        break
ok(d.switch_to.active_element == button, "the button is reached with Tab")
ActionChains(d).send_keys(Keys.ENTER).perform()
try:
    wait.until(lambda _: path() == "/tickets")
except Exception:
    pass
eq(path(), "/tickets", "after the provider, the list of requests")
ok(op.last_authorize.get("ui_locales") == "nb",
   "the provider was asked for Norwegian pages", op.last_authorize)
ok("Ingrid Haugen" in d.find_element(By.TAG_NAME, "body").text and
   "Nytt bilde på forsiden" in main_text(),
   "signed in as Ingrid, her request listed", main_text()[:500])
eq(d.find_element(By.TAG_NAME, "html").get_attribute("lang"), "nb",
   "the list is in Norwegian")
ok("Billetter" in d.find_element(By.TAG_NAME, "body").text and
   "Logg ut" in d.find_element(By.TAG_NAME, "body").text,
   "the list's words are Norwegian", d.find_element(By.TAG_NAME, "body").text[:500])
d.save_screenshot(os.path.join(OUT, "oidc-list-nb.png"))

# The request open; Anna replies in the terminal; it appears.
d.get(p.base + "/tickets/%d" % t)
wait.until(lambda _: d.find_element(By.TAG_NAME, "main")
           .get_attribute("data-live") == "on")
d.execute_script("window.__docket_same = 42")
body = "Hei Ingrid! Bildet er lagt ut nå."
t0 = time.time()
anna.call("messages.send", ticket=t, body=body)
try:
    browser_wait(d, 10, 0.02).until(
        lambda _: body in main_text())
except Exception:
    pass
ok(body in main_text() and
   d.execute_script("return window.__docket_same") == 42,
   "Anna's reply appears while the page is open (%.0f ms, no reload)"
   % ((time.time() - t0) * 1000), main_text()[:800])
d.save_screenshot(os.path.join(OUT, "oidc-ticket-nb.png"))
bad = [e for e in d.get_log("browser") if e["level"] == "SEVERE" and
       "favicon.ico" not in e["message"]]
ok(not bad, "no console error or CSP violation", bad)
eq(cl.sql1("SELECT language || ' ' || language_chosen FROM contact "
           "WHERE email = '%s'" % ingrid), "nb true",
   "the first sign-in's language is now Ingrid's (for her emails too)")
done()
