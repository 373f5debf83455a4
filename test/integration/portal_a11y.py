"""portal_a11y.py - a contact's journey in each of the portal's languages
(English, Norsk bokmål, Nederlands), in a real headless Chromium started
with --lang (its Accept-Language), done with the keyboard alone: log in,
the list, a request, a reply, the support form, the language chooser, log
out.  axe-core (npm, pinned in scripts/lib/npm-packages and injected into
each page) must find no serious or critical violation on any page, in
any language.  Screenshots of each language's list and request go to
$DOCKET_BUILD_DIR/test-output/portal/.  Needs chromium, chromium-driver,
python3-selenium and .cache/npm/node_modules/axe-core (scripts/test
installs them): without them the test fails, it does not skip."""

import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from harness_portal import *

missing = [x for x in (CHROMIUM, CHROMEDRIVER, AXE) if not os.access(x, os.R_OK)]
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as e:
    missing.append("python3-selenium (%s)" % e)
if missing:
    ok(False, "Chromium and axe-core are installed",
       "missing: %s (scripts/test installs them)" % ", ".join(missing))
    done()

OUT = os.path.join(os.environ["DOCKET_BUILD_DIR"], "test-output", "portal")
os.makedirs(OUT, exist_ok=True)

p = Portal(portal={"languages": ["en", "nb", "nl"], "visibility": "company",
                   "show_stage_names": False})
cl = p.cl
cl.add_staff("carla", "content", "Carla Content")
cl.ctl("company", "add", "Nordlys skole")
carla = p.d.login(cl, "carla")

# What each language's pages say, to know the journey is in it.
WORDS = {
    "en": {"login": "Log in", "list": "Tickets", "reply": "Send reply",
           "sent": "Your reply has been sent.", "new": "Submit a request",
           "logout": "Log out", "out": "You have logged out."},
    "nb": {"login": "Logg inn", "list": "Billetter", "reply": "Send svar",
           "sent": "Svaret ditt er sendt.", "new": "Send inn en forespørsel",
           "logout": "Logg ut", "out": "Du er logget ut."},
    "nl": {"login": "Inloggen", "list": "Tickets", "reply": "Antwoord versturen",
           "sent": "Uw antwoord is verstuurd.", "new": "Een verzoek indienen",
           "logout": "Afmelden", "out": "U bent afgemeld."},
}


def keys(d, *seq):
    """Keys to whatever has the focus, as a person with a keyboard (the
    browser's own key events: a file field takes Tab like any other)."""
    ActionChains(d).send_keys(*seq).perform()


def focus_to(d, css, limit=40):
    """Tab (only Tab) until the element matching css has the focus."""
    target = d.find_element(By.CSS_SELECTOR, css)
    d.find_element(By.TAG_NAME, "body").click()  # start from the top
    d.execute_script("document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        keys(d, Keys.TAB)
        if d.switch_to.active_element == target:
            return True
    return False


def path(d):
    return urllib.parse.urlsplit(d.current_url).path


for lang, w in WORDS.items():
    email = "kontakt-%s@nordlys.example.no" % lang
    p.contact(email, "Kari", lang.upper(), "Nordlys skole")
    p.register(email, browser=p.browser(language=lang))
    t = cl.new_ticket(email, "Skjema %s" % lang)
    carla.call("messages.send", ticket=t, body="Hei! Vi ser på det.")
    d = chromium(cl, lang, lang=lang)
    wait = browser_wait(d, 15)

    d.get(p.base + "/login")
    eq(d.find_element(By.TAG_NAME, "html").get_attribute("lang"), lang,
       "Chromium with --lang=%s gets the login page in %s" % (lang, lang))
    ok(w["login"] in d.find_element(By.TAG_NAME, "h1").text, "  headed %r" % w["login"])
    axe(d, lang, "the login page")
    ok(focus_to(d, "#email"), "the email field is reached with Tab (%s)" % lang)
    keys(d, email)
    keys(d, Keys.TAB)
    keys(d, "portal-pass-1", Keys.ENTER)
    wait.until(lambda x: path(x) == "/tickets")
    ok(w["list"] in d.find_element(By.TAG_NAME, "h1").text,
       "logged in with the keyboard: the list, headed %r" % w["list"])
    axe(d, lang, "the list")
    d.save_screenshot(os.path.join(OUT, "lang-%s-list.png" % lang))

    ok(focus_to(d, "a[href='/tickets/%d']" % t), "the request's link is reached with Tab")
    keys(d, Keys.ENTER)
    wait.until(lambda x: path(x) == "/tickets/%d" % t)
    axe(d, lang, "a request")
    ok(focus_to(d, "#body"), "the reply field is reached with Tab")
    keys(d, "Takk, det ser bra ut.")
    ok(focus_to(d, "form[action$='/reply'] button[type=submit]"),
       "and its button")
    keys(d, Keys.ENTER)
    wait.until(lambda x: w["sent"] in x.find_element(By.TAG_NAME, "main").text)
    ok(True, "a reply sent with the keyboard alone, thanked in %s" % lang)
    # Live, in the page's language: a staff reply appears while it is open.
    wait.until(lambda x: x.find_element(By.TAG_NAME, "main").get_attribute("data-live") == "on")
    d.execute_script("window.__docket_same = 42")
    carla.call("messages.send", ticket=t, body="Live svar %s" % lang)
    browser_wait(d, 10).until(
        lambda x: "Live svar %s" % lang in x.find_element(By.TAG_NAME, "main").text)
    ok(d.execute_script("return window.__docket_same") == 42,
       "a staff reply appears on the open request without a reload (%s)" % lang)
    d.save_screenshot(os.path.join(OUT, "lang-%s-ticket.png" % lang))

    d.get(p.base + "/new")
    ok(w["new"] in d.title, "the support form is titled %r" % w["new"])
    axe(d, lang, "the support form")
    d.get(p.base + "/tickets/999999")
    axe(d, lang, "a page that is not there")
    d.get(p.base + "/reset")
    axe(d, lang, "the password reset (logged in)")

    # The chooser at the foot: another language, and back, by keyboard.
    d.get(p.base + "/tickets")
    other = "nl" if lang != "nl" else "nb"
    ok(focus_to(d, "#language"), "the language chooser is reached with Tab")
    sel = d.find_element(By.ID, "language")
    from selenium.webdriver.support.ui import Select
    Select(sel).select_by_value(other)
    ok(focus_to(d, "form.language button"), "and its button")
    keys(d, Keys.ENTER)
    wait.until(lambda x: x.find_element(By.TAG_NAME, "html").get_attribute("lang") == other)
    ok(True, "the chooser turns the portal into %s" % other)
    eq(cl.sql1("SELECT language FROM contact WHERE email = '%s'" % email), other,
       "  and the contact's language with it")
    ok(focus_to(d, "#language"), "and back")
    Select(d.find_element(By.ID, "language")).select_by_value(lang)
    focus_to(d, "form.language button")
    keys(d, Keys.ENTER)
    wait.until(lambda x: x.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang)
    ok(focus_to(d, "form[action='/logout'] button"), "log out is reached with Tab")
    keys(d, Keys.ENTER)
    wait.until(lambda x: w["out"] in x.find_element(By.TAG_NAME, "main").text)
    ok(True, "logged out with the keyboard, told so in %s" % lang)
    axe(d, lang, "the login page after logging out")
    d.quit()

done()
