"""run_cases.py - docket-maildump over every message in test/mail/cases/,
each NAME.eml checked against NAME.expect.json:

  body_has        substrings of the body, which must appear in this order
  body_lacks      substrings the body must not contain anywhere
  files           the exact list of files: name and type, and size when
                  given (and sha256 when given)
  automatic       "personal", "auto-reply" or "report"
  auto_why        a substring of auto_why
  reported        the exact list of reported Message-IDs
  report_failed   true or false
  report_text_has substrings of report_text

Whatever a case says, the body must be valid UTF-8 (json parses it) with
no CR and no NUL, and nothing may be dropped.  Usage: run_cases.py
DOCKET-MAILDUMP CASES-DIR
"""
import json
import os
import subprocess
import sys


def check(name, got, want):
    errors = []
    body = got["body"]
    if "\r" in body or "\0" in body:
        errors.append("body has a CR or NUL")
    if got["dropped"]:
        errors.append("dropped %d parts" % got["dropped"])
    at = 0
    for text in want.get("body_has", []):
        i = body.find(text, at)
        if i < 0:
            errors.append("body lacks (in order, after offset %d): %r" % (at, text))
        else:
            at = i + len(text)
    for s in want.get("body_lacks", []):
        if s in body:
            errors.append("body has %r" % s)
    if "files" in want:
        wf = want["files"]
        gf = got["files"]
        if len(wf) != len(gf):
            errors.append("%d files, expected %d: %s" % (len(gf), len(wf),
                          [(f["name"], f["type"]) for f in gf]))
        for w, g in zip(wf, gf):
            for k in ("name", "type", "size", "sha256"):
                if k in w and w[k] != g[k]:
                    errors.append("file %r: %s %r, expected %r" % (g["name"], k, g[k], w[k]))
    for k in ("automatic", "reported", "report_failed"):
        if k in want and want[k] != got[k]:
            errors.append("%s %r, expected %r" % (k, got[k], want[k]))
    if "auto_why" in want and want["auto_why"] not in (got["auto_why"] or ""):
        errors.append("auto_why %r lacks %r" % (got["auto_why"], want["auto_why"]))
    for s in want.get("report_text_has", []):
        if s not in (got["report_text"] or ""):
            errors.append("report_text %r lacks %r" % (got["report_text"], s))
    return errors


def main():
    dump, cases = sys.argv[1], sys.argv[2]
    names = sorted(f[:-4] for f in os.listdir(cases) if f.endswith(".eml"))
    failed = 0
    for name in names:
        path = os.path.join(cases, name)
        expect = path + ".expect.json"
        if not os.path.exists(expect):
            print("FAIL - %s: no %s.expect.json" % (name, name))
            failed += 1
            continue
        with open(path + ".eml", "rb") as f:
            p = subprocess.run([dump], stdin=f, capture_output=True, timeout=60)
        if p.returncode != 0:
            print("FAIL - %s: docket-maildump exited %d: %s" % (name, p.returncode, p.stderr.decode(errors="replace")))
            failed += 1
            continue
        got = json.loads(p.stdout)
        with open(expect) as f:
            want = json.load(f)
        errors = check(name, got, want)
        if errors:
            failed += 1
            print("FAIL - %s" % name)
            for e in errors:
                print("   " + e)
            print("   body: %r" % got["body"][:2000])
        else:
            print("ok - %s" % name)
    print("%d cases, %d failed" % (len(names), failed))
    sys.exit(1 if failed or not names else 0)


if __name__ == "__main__":
    main()
