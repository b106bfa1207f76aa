#!/usr/bin/env python3
"""Self-test of the secrets audit's scanner and keeper (tests/audit/audit.py),
CTest secrets_audit_selftest (label unit).

A temp tree gets one file per encoding of a registered secret, each at a
known offset inside other bytes (a SQLite database holds one more): every
one must be reported with its file, offset and the secret's name, and the
scanner's output must not hold the secret in any form. A clean tree, and
a tree holding only an unregistered secret, pass; an empty registry is
refused; a short secret is listed as not scanned. `keep` copies a tree
without the secret files and the excluded inputs, and skips large files.
`run` fails on an empty registry when a test that uses secrets ran, and on
a test that ran without registering what expect.txt names.
"""
import base64
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from urllib.parse import quote, quote_plus

HERE = os.path.dirname(os.path.abspath(__file__))
AUDIT = os.path.join(HERE, "audit.py")
sys.path.insert(0, HERE)
import audit  # noqa: E402

checks = 0
fails = 0


def check(name, ok, detail=""):
    global checks, fails
    checks += 1
    print("%s %s%s" % ("ok  " if ok else "FAIL", name,
                       (": " + detail) if detail and not ok else ""))
    if not ok:
        fails += 1


def env():
    e = dict(os.environ)
    e.pop("ADSYNC_AUDIT_DIR", None)
    e.pop("ADSYNC_AUDIT_TEST", None)
    return e


def cli(*args):
    r = subprocess.run([sys.executable, AUDIT] + list(args), env=env(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return r.returncode, r.stdout


HDR = b"\x00\x01 header bytes of the file .......:"
SECRET = "Tëst-Sécret/42 &x+y!"     # non-ASCII, '/', ' ', '&', '+', '!'
OTHER = "Unregistered-Passw0rd"


def encodings(s):
    """(label, bytes) as a leaky program would write the secret."""
    b = s.encode()
    out = [("clear", b), ("utf-16le", s.encode("utf-16-le")),
           ("hex", b.hex().encode()), ("HEX", b.hex().upper().encode()),
           ("url", quote(b, safe="").encode()),
           ("url-lower", re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(),
                                quote(b, safe="")).encode()),
           ("form", quote_plus(b).encode()),
           ("encodeURIComponent", quote(b, safe="-_.!~*'()").encode()),
           ("json", json.dumps(s)[1:-1].encode()),
           ("json-slash", json.dumps(s)[1:-1].replace("/", "\\/").encode())]
    for k in range(3):
        pre = b"ab"[:k]
        e = base64.b64encode(pre + b + b"tail")
        out.append(("base64-%d" % k, e))
        out.append(("base64url-%d" % k, base64.urlsafe_b64encode(pre + b + b"xy")))
    return out


def main():
    top = tempfile.mkdtemp(prefix="audit-selftest.")
    try:
        run_all(top)
    finally:
        shutil.rmtree(top)
    print("%s: %d checks, %d failed" % ("PASS" if not fails else "FAILED",
                                        checks, fails))
    return 1 if fails else 0


def run_all(top):
    reg_dir = os.path.join(top, "reg")
    audit.register("selftest/secret", SECRET, audit_dir=reg_dir, test="t1")
    audit.register("selftest/tabbed", "tab\there-x", audit_dir=reg_dir, test="t1")
    audit.register("selftest/short", "abc123", audit_dir=reg_dir, test="t1")
    reg = os.path.join(reg_dir, "secrets")
    check("registry is 0600", (os.stat(reg).st_mode & 0o777) == 0o600,
          oct(os.stat(reg).st_mode))
    text = open(reg, "rb").read()
    check("a value with a tab is stored in hex", b"hex:" in text and b"tab\there" not in text)
    ents = audit.read_registry(reg)
    check("the registry reads back", [v for _, _, v in ents] ==
          [SECRET.encode(), b"tab\there-x", b"abc123"])

    # One file per encoding, the secret at offset len(HDR) of each.
    leak = os.path.join(top, "leaky")
    os.makedirs(os.path.join(leak, "sub"))
    want = {}
    for label, enc in encodings(SECRET):
        p = os.path.join(leak, "sub" if label.startswith("base64") else "", label + ".bin")
        with open(p, "wb") as f:
            f.write(HDR + enc + b"\n\xff trailer")
        want[p] = label
    db = os.path.join(leak, "state.db")
    c = sqlite3.connect(db)
    c.execute("create table t (k text, v text)")
    c.execute("insert into t values ('pw', ?)", (SECRET,))
    c.execute("insert into t values ('gone', ?)", ("prefix " + SECRET,))
    c.execute("delete from t where k = 'gone'")     # still in the free page
    c.commit()
    c.close()
    want[db] = "sqlite"
    rc, out = cli("scan", reg, leak)
    check("a leaky tree fails the scan (exit 1)", rc == 1, "exit %d" % rc)
    lines = out.decode("utf-8", "replace").splitlines()
    for p, label in sorted(want.items()):
        hit = [l for l in lines if l.startswith("LEAK %s:" % p)]
        ok = bool(hit) and all("selftest/secret" in l for l in hit)
        if label != "sqlite" and ok:
            ok = any(l.startswith("LEAK %s:%d: " % (p, len(HDR))) or
                     (label.startswith("base64") and l.startswith("LEAK %s:" % p))
                     for l in hit)
        check("found: %s" % label, ok, "\n".join(hit) or "no hit")
    # The base64 forms are found at the offset of their first character
    # that depends on the secret alone.
    b0 = [l for l in lines if "/sub/base64-0.bin:%d:" % len(HDR) in l]
    check("base64 at alignment 0: at the offset of the secret", bool(b0))
    check("the short secret is not scanned, and said so",
          b"not scanned (under 8 bytes): selftest/short" in out)
    for label, enc in encodings(SECRET):
        if len(enc) >= 8 and enc in out:
            check("the scanner never prints the secret (%s)" % label, False)
            break
    else:
        check("the scanner never prints the secret in any form", True)
    rc, out = cli("scan", reg, os.path.join(leak, "sub", "base64-2.bin"))
    check("a single file: found", rc == 1 and b"selftest/secret (base64)" in out,
          out.decode(errors="replace"))

    clean = os.path.join(top, "clean")
    os.makedirs(clean)
    with open(os.path.join(clean, "log"), "w") as f:
        f.write("login ok for alice; password <redacted>; %s\n" % OTHER)
    c = sqlite3.connect(os.path.join(clean, "pw.db"))
    c.execute("create table q (v blob)")
    c.execute("insert into q values (?)", (os.urandom(64),))
    c.commit()
    c.close()
    rc, out = cli("scan", reg, clean)
    check("a clean tree passes (exit 0)", rc == 0, out.decode(errors="replace"))

    empty = os.path.join(top, "empty.reg")
    open(empty, "w").close()
    rc, out = cli("scan", empty, clean)
    check("an empty registry is refused (exit 2)", rc == 2, "exit %d" % rc)
    short = os.path.join(top, "short.reg")
    with open(short, "w") as f:
        f.write("t\tselftest/short\tabc123\n")
    rc, out = cli("scan", short, clean)
    check("a registry of short secrets only is refused", rc == 2, "exit %d" % rc)
    bad = os.path.join(top, "bad.reg")
    with open(bad, "w") as f:
        f.write("no tabs here\n")
    rc, out = cli("scan", bad, clean)
    check("a malformed registry is refused", rc == 2, "exit %d" % rc)

    # keep: what is copied, what is not.
    src = os.path.join(top, "work")
    os.makedirs(os.path.join(src, "state"))
    os.makedirs(os.path.join(src, "rec"))
    for name, data, mode in (("daemon.log", b"log line\n", 0o644),
                             ("state/state.db", b"SQLite format 3\0", 0o600),
                             ("rs-secret.key", SECRET.encode() + b"\n", 0o600),
                             ("world-readable.key", SECRET.encode(), 0o644),
                             ("input.conf", b"secret = x\n", 0o644),
                             ("rec/password.jsonl", b"{}\n", 0o644)):
        p = os.path.join(src, name)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
    with open(os.path.join(src, "big.bin"), "wb") as f:
        f.truncate(audit.MAX_FILE + 1)
    os.symlink("/etc/passwd", os.path.join(src, "link"))
    audit.keep("work", src, ["input.conf", "rec"], audit_dir=reg_dir, test="t1")
    audit.keep("work", src, [], audit_dir=reg_dir, test="t1")
    kept = sorted(audit.kept_paths(reg_dir, "t1"))
    got = {p for p in kept if p.startswith("work/")}
    check("keep: logs and state copied", {"work/daemon.log", "work/state/state.db"} <= got, str(kept))
    check("keep: a 0600 file holding only a secret is not copied",
          "work/rs-secret.key" not in got)
    check("keep: the same content readable by others is copied (a leak)",
          "work/world-readable.key" in got)
    check("keep: excluded inputs and directories are not copied",
          "work/input.conf" not in got and not any(p.startswith("work/rec") for p in got))
    check("keep: files over 64 MiB are skipped", "work/big.bin" not in got)
    check("keep: symlinks are not followed", "work/link" not in got)
    check("keep: a second call gets its own directory", "work-2/daemon.log" in kept)
    man = open(os.path.join(reg_dir, "t1", "work", audit.MANIFEST)).read()
    check("keep: the manifest lists the skipped files",
          "too-large" in man and "secret-file rs-secret.key" in man and "excluded input.conf" in man)
    mode = os.stat(os.path.join(reg_dir, "t1", "work", "daemon.log")).st_mode & 0o777
    check("keep: copies are 0600", mode == 0o600, oct(mode))

    # run: a fake build tree with a CTest log.
    build = os.path.join(top, "build")
    ad = os.path.join(build, "audit")
    tmpd = os.path.join(build, "Testing", "Temporary")
    os.makedirs(tmpd)
    os.makedirs(ad, mode=0o700)
    open(os.path.join(ad, "secrets"), "w").close()
    os.chmod(os.path.join(ad, "secrets"), 0o600)
    with open(os.path.join(ad, ".audit-stamp"), "w") as f:
        f.write("0\n")
    expect = os.path.join(top, "expect.txt")
    with open(expect, "w") as f:
        f.write("t_* secret h/pw\nt_* kept work\n")

    def ctest_log(*tests):
        with open(os.path.join(tmpd, "LastTest.log"), "w") as f:
            f.write("Start testing: now\n" + "-" * 58 + "\n")
            for i, (name, res, output) in enumerate(tests, 1):
                f.write("%d/%d Testing: %s\n%d/%d Test: %s\nCommand: \"x\"\n"
                        "Directory: /\n\"%s\" start time: now\nOutput:\n%s\n"
                        "%s<end of output>\nTest time =   0.01 sec\n%s\n"
                        "Test %s.\n\n" % (i, len(tests), name, i, len(tests), name,
                                          name, "-" * 58, output, "-" * 58, res))
    ctest_log(("t_a", "Passed", "ok   something\n"))
    rc, out = cli("run", build, "--expect", expect)
    check("run: an empty registry fails when a test that uses secrets ran",
          rc == 1 and b"registry is empty" in out, out.decode(errors="replace"))
    ctest_log(("t_a", "Passed", "SKIP: no Samba\n"), ("u_b", "Passed", "ok\n"))
    rc, out = cli("run", build, "--expect", expect)
    check("run: nothing to audit when those tests skipped: skip (77)", rc == 77,
          out.decode(errors="replace"))
    audit.register("h/pw", "Harness-Passw0rd", audit_dir=ad, test="t_a")
    ctest_log(("t_a", "Passed", "ok\n"), ("t_b", "Passed", "ok\n"))
    os.makedirs(os.path.join(ad, "t_a", "work"))
    rc, out = cli("run", build, "--expect", expect)
    check("run: a test that registered nothing fails the audit",
          rc == 1 and b"t_b ran but registered no secret h/pw" in out and
          b"t_b ran but kept no evidence" in out, out.decode(errors="replace"))
    ctest_log(("t_a", "Passed", "ok\n"), ("t_b", "Failed", "ok\n"))
    rc, out = cli("run", build, "--expect", expect)
    check("run: a failed test is not held to expect.txt; clean: pass", rc == 0,
          out.decode(errors="replace"))
    with open(os.path.join(ad, "t_a", "work", "err"), "w") as f:
        f.write("bind failed with password Harness-Passw0rd\n")
    rc, out = cli("run", build, "--expect", expect)
    check("run: a leak in the evidence fails, named, never shown",
          rc == 1 and b"LEAK audit/t_a/work/err:26: h/pw (clear)" in out and
          b"Harness-Passw0rd" not in out, out.decode(errors="replace"))
    os.unlink(os.path.join(ad, "t_a", "work", "err"))
    ctest_log(("t_a", "Passed", "echo " + base64.b64encode(b"Harness-Passw0rd").decode() + "\n"))
    rc, out = cli("run", build, "--expect", expect)
    check("run: a leak in the CTest log fails",
          rc == 1 and b"LEAK Testing/Temporary/LastTest.log:" in out,
          out.decode(errors="replace"))
    os.rename(os.path.join(tmpd, "LastTest.log"), os.path.join(tmpd, "LastTest.log.tmp"))
    ctest_log(("t_a", "Passed", "ok\n"))     # the last run's, finished
    rc, out = cli("run", build, "--expect", expect)
    check("run: the running CTest's LastTest.log.tmp is read, not the last run's log",
          rc == 1 and b"LEAK Testing/Temporary/LastTest.log.tmp:" in out and
          b"LastTest.log:" not in out, out.decode(errors="replace"))
    os.unlink(os.path.join(tmpd, "LastTest.log.tmp"))
    core = os.path.join(build, "tests", "core")
    os.makedirs(os.path.dirname(core))
    with open(core, "wb") as f:
        f.write(b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"\x04\x00" + b"\0" * 100 +
                "Harness-Passw0rd".encode("utf-16-le"))
    rc, out = cli("run", build, "--expect", expect)
    check("run: a core file holding a secret fails",
          rc == 1 and b"LEAK tests/core:" in out and b"utf-16le" in out,
          out.decode(errors="replace"))


if __name__ == "__main__":
    sys.exit(main())
