"""python_corpus.py - docket-maildump against Python's email package, over
the messages of CPython's own email tests (Debian's libpython3.11-testsuite:
/usr/lib/python3.11/test/test_email/data/msg_*.txt).  Without that folder
the test says SKIPPED on its first line and exits 0 (ctest shows it with
--output-on-failure or -V; scripts/lib/packages installs the package).

Python parses each message (policy.default; compat32 when default raises
on a broken header); a model of mailparse.c's rules, written here against
Python's tree, says what we must produce:

  * Text leaf: Content-Type text/* (Python reads a bare or broken type as
    text/plain, as we do), not one of DATA_SUBTYPES (a format for
    programs), Content-Disposition not "attachment".
  * multipart/alternative: the first alternative that is a text leaf and
    not HTML, else the first that is HTML or a multipart, is walked as
    text; the others for files only (their text leaves are skipped).
  * multipart/related: the root (start parameter, else the first part)
    as usual; every other part a file, text or not.
  * message/rfc822 (also multipart/digest's default): one file (only the
    outermost: it holds those forwarded inside it), and its
    parts walked as those of the message it is in.
  * A multipart with no parts (its boundary never found): its content is
    text/plain in no known charset, as above.
  * message/delivery-status (a multipart of header blocks to Python) and
    every other non-multipart part: one file.

Checked, for every message:
  1. the decoded text of every text/plain leaf walked as text, white
     space normalised (line-start '>' quote marks dropped, runs of white
     space one space), appears in our body in that order.  Python decodes
     the transfer encoding and the charset; a charset Python does not
     know, or bytes not valid in it, are read as valid UTF-8 sequences
     and Windows-1252 for the rest (mailtext.h's rule).
  2. our number of files = non-text leaves + text leaves that are files
     (data formats, "attachment", related resources) + message/rfc822
     parts; HTML alternatives replaced by a plain one are not files.
  3. the decoded size of every leaf file equals ours (in order; the .eml
     of a forwarded message is GMime's re-serialisation, not compared).

Python's parser never gives up: it parses all 47 messages of the corpus
(recording defects for the broken ones, e.g. msg_35's missing blank line
after the header, msg_41's multipart without a boundary) with
policy.default; compat32 is a fallback that this corpus does not need.
EXCEPTIONS lists messages where we differ on purpose, with the reason.
Usage: python_corpus.py DOCKET-MAILDUMP [DIR] (DIR's msg_*.txt and *.eml:
also our own cases, test/mail/cases/)
"""
import codecs
import email
import email.policy
import glob
import json
import os
import re
import subprocess
import sys

DATA = "/usr/lib/python3.11/test/test_email/data"
DATA_SUBTYPES = {
    "calendar", "x-vcalendar", "vcard", "x-vcard", "directory", "csv",
    "x-csv", "comma-separated-values", "tab-separated-values", "xml", "css",
    "javascript", "x-javascript", "ecmascript", "rtf", "rfc822-headers",
    "global-headers"}
LENIENT = {
    "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "iso-8859-1",
    "iso_8859-1", "iso8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819",
    "windows-1252", "cp1252", "x-cp1252", "iso-ir-100", "unknown-8bit",
    "x-unknown", "default"}

# name -> why we differ from the model (keep this tiny, and justified).
EXCEPTIONS = {
    # A nested multipart reuses its parent's boundary.  GMime reads the
    # inner parts and the GIF after them (1 file); Python's parser ends
    # the outer multipart early and loses the GIF (0 files).
    "msg_15.txt": "nested multipart reusing its parent's boundary",
    # The same, three alternatives deep: GMime finds all six patches,
    # Python two.
    "msg_39.txt": "nested multiparts reusing one boundary",
    # A text part containing its enclosing multiparts' boundary lines:
    # RFC 2046 5.1.2 says an enclosing boundary ends the part, and GMime
    # ends it there (what follows becomes the next parts, in our body,
    # but for one line GMime reads as a broken header and drops);
    # Python keeps the lines as text.
    "msg_38.txt": "enclosing boundaries inside a text part",
    # Our own cases (test/mail/cases/), where we differ on purpose:
    # past MAIL_DEPTH_MAX (32) nested multiparts, and past MAIL_PARTS_MAX
    # (1000) parts, the rest is kept as one file, remaining-parts.mime,
    # not walked: a bound on the work a message can make.
    "deep-nesting.eml": "past 32 levels the rest is one file",
    "many-parts.eml": "past 1000 parts the rest is one file",
    # A report's returned message/rfc822 in base64: we read the message it
    # holds (its Message-ID is what the report is about); Python keeps the
    # part as an opaque payload, so its model wants the base64 as text.
    "dsn-encoded-rfc822-global-status.eml": "a base64 message/rfc822 read as the message",
}


def cp1252_byte(e):
    b = e.object[e.start:e.start + 1]
    return (b.decode("cp1252", errors="replace"), e.start + 1)


codecs.register_error("docket-cp1252", cp1252_byte)


def decode(raw, charset):
    label = (charset or "").strip().strip("\"'").lower()
    text = None
    if label and label not in LENIENT:
        try:
            text = raw.decode(label)
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        text = raw.decode("utf-8", errors="docket-cp1252")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


def norm(s):
    lines = [re.sub(r"^[>\s]*", "", l) for l in s.split("\n")]
    return " ".join(" ".join(lines).split())


def is_text(part):
    mt, st = part.get_content_maintype(), part.get_content_subtype()
    return (mt == "text" and st not in DATA_SUBTYPES
            and part.get_content_disposition() != "attachment")


def chosen(parts):
    second = None
    for i, p in enumerate(parts):
        if p.is_multipart() and p.get_content_maintype() == "multipart":
            if second is None:
                second = i
            continue
        if is_text(p):
            if p.get_content_type() != "text/html":
                return i
            if second is None:
                second = i
    return second


def related_root(part, parts):
    start = part.get_param("start")
    if start:
        start = start.strip("<>")
        for i, p in enumerate(parts):
            cid = (p.get("Content-ID") or "").strip().strip("<>")
            if cid == start:
                return i
    return 0


class Model:
    def __init__(self):
        self.texts = []   # decoded text/plain leaves walked as text
        self.files = 0
        self.sizes = []   # decoded sizes of leaf files, in order

    def walk(self, part, mode, forwards=0):
        ct = part.get_content_type()
        if ct == "message/rfc822" or (part.is_multipart()
                                      and part.get_content_maintype() == "message"
                                      and ct != "message/delivery-status"):
            # Only the outermost forwarded message is a file: it holds
            # those forwarded inside it.
            if forwards == 0:
                self.files += 1
                self.sizes.append(None)
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else None
            if inner is not None:
                self.walk(inner, "text" if mode == "text" else "files", forwards + 1)
            return
        if part.get_content_maintype() == "multipart" and not part.is_multipart():
            # No boundary found: the whole content is loose text.
            if mode == "text":
                raw = part.get_payload(decode=True) or b""
                self.texts.append(decode(raw, None))
            elif mode == "resources":
                self.files += 1
                self.sizes.append(None)
            return
        if part.get_content_maintype() == "multipart" and part.is_multipart():
            parts = part.get_payload()
            choice = root = None
            alt = ct == "multipart/alternative" and mode != "resources"
            if alt:
                choice = chosen(parts)
            elif ct == "multipart/related" and mode != "resources":
                root = related_root(part, parts)
            for i, p in enumerate(parts):
                m = mode
                if alt:
                    m = "text" if i == choice and mode == "text" else "files"
                elif root is not None and i != root:
                    m = "resources"
                self.walk(p, m, forwards)
            return
        if mode != "resources" and is_text(part):
            if mode == "text" and ct != "text/html":
                raw = part.get_payload(decode=True) or b""
                self.texts.append(decode(raw, part.get_param("charset")))
            return
        self.files += 1
        if part.is_multipart():  # message/delivery-status: header blocks
            self.sizes.append(None)
        else:
            self.sizes.append(len(part.get_payload(decode=True) or b""))


def model_of(raw):
    for policy in (email.policy.default, email.policy.compat32):
        try:
            msg = email.message_from_bytes(raw, policy=policy)
            m = Model()
            m.walk(msg, "text")
            return m, policy
        except Exception as e:  # a header the default policy chokes on
            err = e
    raise err


def compare(got, m):
    errors = []
    body = norm(got["body"])
    at = 0
    for t in m.texts:
        t = norm(t)
        i = body.find(t, at)
        if i < 0:
            errors.append("text not in body (in order): %r" % t[:200])
        else:
            at = i + len(t)
    if len(got["files"]) != m.files:
        errors.append("%d files, model says %d: %s" % (
            len(got["files"]), m.files,
            [(f["name"], f["type"]) for f in got["files"]]))
    else:
        for f, size in zip(got["files"], m.sizes):
            if size is not None and f["size"] != size and f["type"] != "message/rfc822":
                errors.append("file %s (%s): %d bytes, Python %d" % (
                    f["name"], f["type"], f["size"], size))
    return errors


def main():
    dump = sys.argv[1]
    folder = sys.argv[2] if len(sys.argv) > 2 else DATA
    paths = sorted(glob.glob(os.path.join(folder, "msg_*.txt")) +
                   glob.glob(os.path.join(folder, "*.eml")))
    if not os.path.isdir(folder) or not paths:
        print("SKIPPED: no %s (Debian package libpython3.11-testsuite)" % folder)
        return 0
    failed = matched = excepted = 0
    for path in paths:
        name = os.path.basename(path)
        with open(path, "rb") as f:
            raw = f.read()
        p = subprocess.run([dump], input=raw, capture_output=True, timeout=60)
        if p.returncode != 0:
            print("FAIL - %s: docket-maildump exited %d: %s" % (
                name, p.returncode, p.stderr.decode(errors="replace")))
            failed += 1
            continue
        got = json.loads(p.stdout)
        m, policy = model_of(raw)
        errors = compare(got, m)
        if got["dropped"]:
            errors.append("dropped %d" % got["dropped"])
        if name in EXCEPTIONS:
            print("ok - %s: differs on purpose (%s)%s" % (
                name, EXCEPTIONS[name], "" if errors else " [but now matches: drop the exception]"))
            excepted += 1
            continue
        if errors:
            failed += 1
            print("FAIL - %s" % name)
            for e in errors:
                print("   " + e)
        else:
            matched += 1
            print("ok - %s (%d texts, %d files%s)" % (
                name, len(m.texts), m.files,
                "" if policy is email.policy.default else ", compat32"))
    print("%d messages: %d match, %d listed exceptions, %d failed" % (
        len(paths), matched, excepted, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
