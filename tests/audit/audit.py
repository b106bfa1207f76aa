#!/usr/bin/env python3
"""The secrets audit of the test suite (issue 9, docs/testing-sync.md
"Secrets audit"): after a test run, no secret a test used may be found in
a log, an output, a state file or a core file, in clear or encoded.

    audit.py register NAME VALUE | audit.py register-file NAME FILE
        appends a secret to the registry (the file's content without its
        trailing newlines); tests/audit/audit.sh does the same in shell
    audit.py keep LABEL DIR [GLOB...]
        copies what DIR holds to AUDIT_DIR/TEST/LABEL before the test
        removes DIR: regular files up to 64 MiB, 256 MiB per test; not the
        secret files themselves (0600/0400, content = a registered secret)
        nor the GLOBs (relative paths or base names: inputs that hold a
        secret on purpose). Never fails the test: problems are printed.
    audit.py scan REGISTRY PATH...
        the scanner alone (its self-test): every hit as FILE:OFFSET: NAMES
        (FORM); exit 1 on a hit, 2 on an unusable registry
    audit.py run BUILD_DIR [--expect FILE]
        the secrets_audit test: BUILD/audit/**, the run's CTest log and
        any core file, plus the expectations of tests/audit/expect.txt

AUDIT_DIR and TEST come from ADSYNC_AUDIT_DIR and ADSYNC_AUDIT_TEST, which
tests/CMakeLists.txt gives every test; without them register and keep do
nothing (a test run by hand).

The registry holds one secret per line: TEST<TAB>NAME<TAB>VALUE, VALUE as
is, or "hex:" and its bytes in hex when it holds a tab, a CR or LF, or
starts with "hex:". NAME says where the secret comes from
(harness/what, e.g. with-ad/bind_password). Nothing here ever prints a
secret or a match: hits name the file, the offset, the secret's NAMEs and
the encoding.

Forms searched for each secret (at least 8 bytes; shorter ones are listed
as not scanned): clear; UTF-16LE; hex (lower and upper case); base64 and
base64url at the three byte alignments (the characters that depend on the
secret only, so a secret inside a longer encoded blob is found too);
percent-encoded (all of it, upper and lower case hex, encodeURIComponent's
set, and form encoding with "+"); JSON string escapes. Files are read as
bytes (SQLite databases, their -wal files and core files included), with
`grep -F` (Aho-Corasick) doing the searching.
"""
import base64
import fnmatch
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote, quote_plus

MIN_SECRET = 8          # bytes: shorter secrets would match by chance
MIN_PATTERN = 8         # bytes of an encoded form
MAX_FILE = 64 << 20     # keep: larger files are skipped (and listed)
MAX_TEST = 256 << 20    # keep: per test
SECRET_FILE_MAX = 4096  # keep: a secret file is small
MANIFEST = ".audit-kept"    # keep's list of what it copied and skipped
REGISTRY = "secrets"
STAMP = ".audit-stamp"
SKIP_OUT = re.compile(r"(?m)^(?:[\w.-]+: )?SKIP\b")
PASSED_OUT = re.compile(r"(?m)^(?:ok\b|PASS\b)")


def say(msg):
    print(msg, flush=True)


# ---- the registry ---------------------------------------------------------

def encode_value(v):
    """VALUE for the registry line."""
    if isinstance(v, str):
        v = v.encode("utf-8")
    if (b"\t" in v or b"\n" in v or b"\r" in v or v.startswith(b"hex:")
            or b"\0" in v):
        return b"hex:" + v.hex().encode()
    return v


def register(name, value, audit_dir=None, test=None):
    """Appends a secret. Does nothing outside CTest (no ADSYNC_AUDIT_DIR)
    or for an empty value."""
    audit_dir = audit_dir or os.environ.get("ADSYNC_AUDIT_DIR")
    test = test or os.environ.get("ADSYNC_AUDIT_TEST") or "-"
    if not audit_dir or not value:
        return
    os.makedirs(audit_dir, mode=0o700, exist_ok=True)
    line = b"%s\t%s\t%s\n" % (test.encode(), name.encode(), encode_value(value))
    # One write on an O_APPEND file: lines of parallel tests never mix.
    fd = os.open(os.path.join(audit_dir, REGISTRY),
                 os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_registry(path):
    """[(test, name, value bytes)]; raises ValueError on a bad line."""
    out = []
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip(b"\n")
            if not line:
                continue
            parts = line.split(b"\t", 2)
            if len(parts) != 3 or not parts[1]:
                raise ValueError("%s:%d: not TEST<TAB>NAME<TAB>VALUE" % (path, n))
            v = parts[2]
            if v.startswith(b"hex:"):
                try:
                    v = bytes.fromhex(v[4:].decode("ascii"))
                except ValueError:
                    raise ValueError("%s:%d: bad hex value" % (path, n))
            out.append((parts[0].decode(errors="replace"),
                        parts[1].decode(errors="replace"), v))
    return out


# ---- encodings --------------------------------------------------------------

def b64_cores(s):
    """The base64 characters that depend on s alone, at the three
    alignments s can have inside a longer encoded string."""
    out = []
    n = len(s)
    for k in range(3):
        e = base64.b64encode(b"\0" * k + s)
        core = e[(8 * k + 5) // 6:(8 * (k + n)) // 6]
        out.append(core)
    return out


def forms(s):
    """[(form name, bytes)] to search for secret s, without duplicates."""
    out = [("clear", s)]
    try:
        t = s.decode("utf-8")
    except UnicodeDecodeError:
        t = None
    if t is not None:
        out.append(("utf-16le", t.encode("utf-16-le")))
        for ascii_only in (True, False):
            out.append(("json", json.dumps(t, ensure_ascii=ascii_only)[1:-1].encode()))
        if "/" in t:
            out.append(("json", json.dumps(t)[1:-1].replace("/", "\\/").encode()))
    for safe in ("", "-_.!~*'()"):
        q = quote(s, safe=safe).encode()
        out.append(("url", q))
        out.append(("url", re.sub(rb"%[0-9A-F]{2}", lambda m: m.group().lower(), q)))
    out.append(("url", quote_plus(s, safe="").encode()))
    out.append(("hex", s.hex().encode()))
    out.append(("hex", s.hex().upper().encode()))
    for core in b64_cores(s):
        out.append(("base64", core))
        out.append(("base64url", core.replace(b"+", b"-").replace(b"/", b"_")))
    seen = set()
    res = []
    for f, p in out:
        if p in seen or len(p) < MIN_PATTERN:
            continue
        if f != "clear" and p == s:
            continue
        seen.add(p)
        res.append((f, p))
    return res


class Secrets:
    """The registry as patterns: pattern -> [(names, form)]."""

    def __init__(self, entries):
        by_value = {}
        for test, name, v in entries:
            by_value.setdefault(v, set()).add(name)
        self.short = sorted({n for v, ns in by_value.items()
                             if len(v) < MIN_SECRET for n in ns})
        self.values = {v: ns for v, ns in by_value.items() if len(v) >= MIN_SECRET}
        self.patterns = {}
        for v, ns in self.values.items():
            label = ",".join(sorted(ns)[:4]) + (
                " (+%d)" % (len(ns) - 4) if len(ns) > 4 else "")
            for f, p in forms(v):
                self.patterns.setdefault(p, []).append((label, f))

    def describe(self, p):
        return "; ".join("%s (%s)" % (n, f) for n, f in self.patterns[p])


# ---- scanning ---------------------------------------------------------------

def list_files(paths, skip):
    """Regular files under paths (no symlinks followed), minus skip."""
    out = []
    for p in paths:
        if os.path.isfile(p) and not os.path.islink(p):
            if os.path.realpath(p) not in skip:
                out.append(p)
            continue
        for root, dirs, files in os.walk(p):
            dirs.sort()
            for f in sorted(files):
                fp = os.path.join(root, f)
                if os.path.islink(fp) or not os.path.isfile(fp):
                    continue
                if os.path.realpath(fp) in skip:
                    continue
                out.append(fp)
    return out


def scan(secrets, files, workdir):
    """[(file, offset, pattern)] for every occurrence. workdir: a private
    directory for grep's pattern file (it holds the secrets while the scan
    runs)."""
    hits = []
    if not secrets.patterns or not files:
        return hits
    plain = [p for p in secrets.patterns if b"\n" not in p and b"\0" not in p]
    odd = [p for p in secrets.patterns if p not in plain]
    fd, patfile = tempfile.mkstemp(dir=workdir, prefix=".patterns.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(b"".join(p + b"\n" for p in plain))
        env = dict(os.environ, LC_ALL="C")
        # Batches keep each command line well under ARG_MAX.
        for i in range(0, len(files), 500):
            batch = files[i:i + 500]
            r = subprocess.run(["grep", "-F", "-a", "-o", "-b", "-H", "--null",
                                "-f", patfile, "--"] + batch,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env)
            if r.returncode > 1:
                raise RuntimeError("grep failed: %s" % r.stderr.decode(errors="replace")[:500])
            for rec in r.stdout.split(b"\n"):
                if not rec:
                    continue
                name, _, rest = rec.partition(b"\0")
                off, _, match = rest.partition(b":")
                if match in secrets.patterns:
                    hits.append((name.decode(errors="replace"), int(off), match))
    finally:
        os.unlink(patfile)
    for fp in files if odd else []:
        with open(fp, "rb") as f:
            data = f.read()
        for p in odd:
            i = data.find(p)
            while i >= 0:
                hits.append((fp, i, p))
                i = data.find(p, i + 1)
    return hits


def report_hits(secrets, hits, base, limit=200):
    per_file = {}
    for f, off, p in sorted(hits):
        rel = os.path.relpath(f, base) if base else f
        per_file.setdefault(rel, []).append((off, p))
    shown = 0
    for rel, hs in per_file.items():
        for off, p in hs[:10]:
            if shown < limit:
                say("LEAK %s:%d: %s" % (rel, off, secrets.describe(p)))
                shown += 1
        if len(hs) > 10 and shown < limit:
            say("LEAK %s: ... %d more hits in this file" % (rel, len(hs) - 10))
    return len(per_file)


# ---- keep ---------------------------------------------------------------------

def keep(label, src, excludes=(), audit_dir=None, test=None):
    audit_dir = audit_dir or os.environ.get("ADSYNC_AUDIT_DIR")
    test = test or os.environ.get("ADSYNC_AUDIT_TEST") or "unknown"
    if not audit_dir or not os.path.isdir(src):
        return 0
    tdir = os.path.join(audit_dir, test)
    os.makedirs(tdir, mode=0o700, exist_ok=True)
    dest = os.path.join(tdir, label)
    n = 1
    while os.path.exists(dest):
        n += 1
        dest = os.path.join(tdir, "%s-%d" % (label, n))
    os.makedirs(dest, mode=0o700)
    values = set()
    try:
        values = {v for _, _, v in read_registry(os.path.join(audit_dir, REGISTRY))}
    except (OSError, ValueError):
        pass
    used = 0
    for root, dirs, files in os.walk(tdir):
        for f in files:
            try:
                used += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    manifest = []
    for root, dirs, files in os.walk(src):
        dirs.sort()
        reld = os.path.relpath(root, src)
        keep_dirs = []
        for d in dirs:
            rel = os.path.normpath(os.path.join(reld, d))
            if any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(d, g) for g in excludes):
                manifest.append("excluded %s/" % rel)
            else:
                keep_dirs.append(d)
        dirs[:] = keep_dirs
        for f in sorted(files):
            fp = os.path.join(root, f)
            rel = os.path.normpath(os.path.join(reld, f))
            try:
                st = os.lstat(fp)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            if any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(f, g) for g in excludes):
                manifest.append("excluded %s" % rel)
                continue
            if st.st_size > MAX_FILE:
                manifest.append("too-large %d %s" % (st.st_size, rel))
                continue
            if used + st.st_size > MAX_TEST:
                manifest.append("over-budget %d %s" % (st.st_size, rel))
                continue
            if st.st_size <= SECRET_FILE_MAX and not st.st_mode & 0o077:
                try:
                    with open(fp, "rb") as fh:
                        content = fh.read().rstrip(b"\r\n")
                except OSError:
                    content = None
                if content is not None and content in values:
                    manifest.append("secret-file %s" % rel)
                    continue
            out = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(out), mode=0o700, exist_ok=True)
            try:
                shutil.copyfile(fp, out, follow_symlinks=False)
                os.chmod(out, 0o600)
            except OSError as e:
                manifest.append("unreadable %s (%s)" % (rel, e.strerror))
                continue
            used += st.st_size
            manifest.append("kept %d %s" % (st.st_size, rel))
    with open(os.path.join(dest, MANIFEST), "w") as m:
        m.write("# %s: %s\n" % (test, src))
        m.write("\n".join(manifest) + "\n")
    return 0


# ---- the CTest log ------------------------------------------------------------

def ctest_runs(log):
    """{test: (status, output)} from a LastTest.log: status "passed" or
    "failed". CTest writes skipped tests as passed: callers look at the
    output (SKIP lines, or nothing at all)."""
    runs = {}
    name = None
    out = None
    inout = False
    with open(log, "rb") as f:
        lines = f.read().decode("utf-8", errors="replace").split("\n")
    for line in lines:
        m = re.match(r"^\d+/\d+ Test: (.+)$", line)
        if m and not inout:
            name, out = m.group(1), []
            continue
        if name is None:
            continue
        if line == "Output:" and not inout and out == []:
            inout = "start"
            continue
        if inout == "start":
            inout = True    # the ----- line
            continue
        if inout:
            if line.endswith("<end of output>"):
                out.append(line[:-len("<end of output>")])
                inout = False
            else:
                out.append(line)
            continue
        if line in ("Test Passed.", "Test Failed."):
            runs[name] = ("passed" if line == "Test Passed." else "failed",
                          "\n".join(out))
            name = None
    return runs


def skipped(out):
    """A test's output says it skipped: nothing at all, or a SKIP line and
    no check that passed (a test may run a step that skips on purpose)."""
    return not out.strip() or (SKIP_OUT.search(out) is not None and
                                PASSED_OUT.search(out) is None)


def read_expect(path):
    """[(test glob, kind, arg)] from lines GLOB... secret|kept ARG..."""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            w = line.split("#", 1)[0].split()
            if not w:
                continue
            k = [i for i, x in enumerate(w) if x in ("secret", "kept")]
            if not k or k[0] == 0 or k[0] == len(w) - 1:
                raise ValueError("%s:%d: not TEST-GLOB... secret|kept ARG..." % (path, n))
            for g in w[:k[0]]:
                for a in w[k[0] + 1:]:
                    out.append((g, w[k[0]], a))
    return out


# ---- core files ---------------------------------------------------------------

def is_core(path):
    try:
        with open(path, "rb") as f:
            h = f.read(18)
    except OSError:
        return False
    return len(h) == 18 and h[:4] == b"\x7fELF" and int.from_bytes(h[16:18], "little") == 4


def find_cores(build, audit_dir, since, notes):
    """Core files written since the stamp, wherever core_pattern puts
    them; [(path, scannable)]."""
    try:
        pattern = open("/proc/sys/kernel/core_pattern").read().strip()
    except OSError:
        pattern = "core"
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_CORE)[0]
        lim = "unlimited" if soft == resource.RLIM_INFINITY else str(soft)
    except (ImportError, ValueError):
        lim = "?"
    notes.append("core_pattern %r, RLIMIT_CORE of this run %s" % (pattern, lim))
    dirs = []
    names = re.compile(r"^core(\.|$)")
    if pattern.startswith("|"):
        dirs = ["/var/lib/systemd/coredump", "/var/crash", "/var/lib/apport/coredump"]
        names = re.compile(r".")
        notes.append("cores go to a handler: looking in %s" % " ".join(dirs))
    elif "/" in pattern:
        d = os.path.dirname(pattern)
        if "%" not in d:
            dirs = [d]
        base = os.path.basename(pattern).split("%", 1)[0]
        names = re.compile("^" + re.escape(base)) if base else re.compile(".")
    # Relative patterns land in the crashing process's cwd: the tests run
    # in the build tree (their work dirs are kept in the audit dir).
    dirs += [build, audit_dir, "/tmp"]
    found = []
    seen = set()
    for d in dirs:
        if not os.path.isdir(d):
            continue
        depth0 = d.rstrip("/").count("/")
        for root, sub, files in os.walk(d):
            if root.rstrip("/").count("/") - depth0 >= (1 if d == "/tmp" else 12):
                sub[:] = []
            sub[:] = [s for s in sub if s not in ("testbed", "node_modules")]
            for f in files:
                if not names.search(f):
                    continue
                fp = os.path.join(root, f)
                try:
                    st = os.lstat(fp)
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode) or st.st_mtime < since or fp in seen:
                    continue
                seen.add(fp)
                if is_core(fp):
                    found.append((fp, True))
                elif f.endswith((".zst", ".lz4", ".xz", ".gz")) and "core" in f:
                    found.append((fp, False))
    return found


# ---- run ----------------------------------------------------------------------

def kept_paths(audit_dir, test):
    """Paths (directories and files) under AUDIT_DIR/TEST, relative."""
    top = os.path.join(audit_dir, test)
    out = []
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(root, n), top))
    return out


def run(build, expect_path):
    t0 = time.time()
    build = os.path.abspath(build)
    audit_dir = os.path.join(build, "audit")
    reg = os.path.join(audit_dir, REGISTRY)
    fails = []
    notes = []
    if not os.path.isfile(reg):
        say("FAIL: no registry %s: audit_setup did not run, or the tests did "
            "not get ADSYNC_AUDIT_DIR" % reg)
        return 1
    st = os.stat(reg)
    if st.st_mode & 0o077:
        fails.append("the registry is mode %o, not 0600" % (st.st_mode & 0o777))
    try:
        entries = read_registry(reg)
    except ValueError as e:
        say("FAIL: %s" % e)
        return 1
    try:
        since = float(open(os.path.join(audit_dir, STAMP)).read())
    except (OSError, ValueError):
        since = st.st_mtime
        notes.append("no stamp: using the registry's time")

    # The tests of this run, from CTest's log as written so far: while
    # CTest runs, LastTest.log.tmp (renamed LastTest.log at the end; with
    # -T, LastTest_DATE.log), flushed after each test.
    logs = []
    tmpd = os.path.join(build, "Testing", "Temporary")
    if os.path.isdir(tmpd):
        for f in sorted(os.listdir(tmpd)):
            if not f.startswith("LastTest") or "Failed" in f or "Disabled" in f \
                    or not f.endswith((".log", ".log.tmp")):
                continue
            fp = os.path.join(tmpd, f)
            if os.path.getmtime(fp) >= since - 5 and not (
                    f.endswith(".log") and os.path.exists(fp + ".tmp")):
                logs.append(fp)
    runs = {}
    for lg in logs:
        runs.update(ctest_runs(lg))
    done = {t for t, (s, out) in runs.items() if s == "passed" and not skipped(out)}
    failed = {t for t, (s, _) in runs.items() if s == "failed"}

    secrets = Secrets(entries)
    by_test = {}
    for test, name, _ in entries:
        by_test.setdefault(test, set()).add(name)
    harnesses = {n.split("/", 1)[0] for _, n, _ in entries}

    # Expectations: what each test that ran (and neither skipped nor
    # failed) must have registered and kept.
    try:
        expect = read_expect(expect_path) if expect_path else []
    except (OSError, ValueError) as e:
        say("FAIL: %s" % e)
        return 1
    wired = set()
    want_h = set()
    for test in sorted(done | failed):
        rules = [(k, a) for g, k, a in expect if fnmatch.fnmatch(test, g)]
        if not rules:
            continue
        for k, a in rules:
            if test not in done:
                continue
            wired.add(test)
            if k == "secret":
                want_h.add(a.split("/", 1)[0])
            if k == "secret" and not any(fnmatch.fnmatch(n, a)
                                         for n in by_test.get(test, ())):
                fails.append("%s ran but registered no secret %s "
                             "(registration broken?)" % (test, a))
            if k == "kept" and not any(fnmatch.fnmatch(r, a)
                                       for r in kept_paths(audit_dir, test)):
                fails.append("%s ran but kept no evidence %s/%s (evidence "
                             "copy broken?)" % (test, test, a))
    for test in sorted(by_test):
        if test not in failed and test not in ("-", "unknown") and \
                not os.path.isdir(os.path.join(audit_dir, test)):
            fails.append("%s registered secrets but kept no evidence" % test)

    if not entries:
        if wired:
            fails.append("the registry is empty, yet %d tests that use secrets "
                         "ran (%s ...)" % (len(wired), " ".join(sorted(wired)[:5])))
        else:
            say("SKIP: no test that uses a secret ran (registry empty)")
            return 77
    if len(harnesses) < len(want_h):
        fails.append("secrets from %d harnesses (%s), want at least %d (%s)" % (
            len(harnesses), " ".join(sorted(harnesses)), len(want_h),
            " ".join(sorted(want_h))))

    # What to scan.
    skip = {os.path.realpath(reg), os.path.realpath(os.path.join(audit_dir, STAMP))}
    files = list_files([audit_dir], skip)
    evidence = len(files)
    files += logs
    cores = find_cores(build, audit_dir, since, notes)
    for c, ok in cores:
        if ok:
            files.append(c)
        else:
            fails.append("core file %s cannot be scanned (compressed)" % c)
    pwdbs = [f for f in files if re.search(r"(^|/)pw\.db(-wal|-journal)?$", f)]
    size = 0
    for f in files:
        try:
            size += os.path.getsize(f)
        except OSError:
            pass

    hits = scan(secrets, files, audit_dir)
    nfiles = report_hits(secrets, hits, build)
    pw_hits = {f for f, _, _ in hits if f in pwdbs}

    say("audit: registry %d lines, %d distinct secrets from %d harnesses (%s)"
        % (len(entries), len(secrets.values), len(harnesses), " ".join(sorted(harnesses))))
    if secrets.short:
        say("audit: not scanned (under %d bytes): %s" % (MIN_SECRET, " ".join(secrets.short)))
    say("audit: %d patterns; scanned %d files, %.1f MiB: %d evidence files of %d tests, "
        "CTest log %s, %d core files"
        % (len(secrets.patterns), len(files), size / 1048576.0, evidence,
           len([d for d in os.listdir(audit_dir) if os.path.isdir(os.path.join(audit_dir, d))]),
           " ".join(os.path.relpath(l, build) for l in logs) or "(none)", len(cores)))
    say("audit: pw.db: %d files (with -wal) checked for captured passwords in clear: %s"
        % (len(pwdbs), "LEAK" if pw_hits else "none found"))
    say("audit: this run: %d tests in the CTest log (%d failed), %d of them held to "
        "expect.txt (ran, neither skipped nor failed)" % (len(runs), len(failed), len(wired)))
    for n in notes:
        say("audit: %s" % n)
    if hits:
        fails.append("%d occurrences of registered secrets in %d files (above)" % (len(hits), nfiles))
    for f in fails:
        say("FAIL: %s" % f)
    say("audit: %s in %.1f s" % ("FAILED" if fails else "PASS", time.time() - t0))
    return 1 if fails else 0


def main(argv):
    if len(argv) < 2:
        say(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "register" and len(argv) == 4:
        register(argv[2], argv[3].encode("utf-8", "surrogateescape"))
        return 0
    if cmd == "register-file" and len(argv) == 4:
        try:
            with open(argv[3], "rb") as f:
                register(argv[2], f.read().rstrip(b"\r\n"))
        except OSError as e:
            say("audit: register-file %s: %s" % (argv[3], e.strerror))
        return 0
    if cmd == "keep" and len(argv) >= 4:
        try:
            return keep(argv[2], argv[3], argv[4:])
        except OSError as e:
            say("audit: keep %s: %s" % (argv[3], e))
            return 0
    if cmd == "scan" and len(argv) >= 4:
        try:
            secrets = Secrets(read_registry(argv[2]))
        except (OSError, ValueError) as e:
            say("FAIL: %s" % e)
            return 2
        if not secrets.values:
            say("FAIL: no secret to look for in %s" % argv[2])
            return 2
        files = list_files(argv[3:], {os.path.realpath(argv[2])})
        work = tempfile.mkdtemp(prefix="audit-scan.")
        try:
            hits = scan(secrets, files, work)
        finally:
            shutil.rmtree(work)
        report_hits(secrets, hits, None)
        if secrets.short:
            say("scan: not scanned (under %d bytes): %s" % (MIN_SECRET, " ".join(secrets.short)))
        say("scan: %d files, %d hits" % (len(files), len(hits)))
        return 1 if hits else 0
    if cmd == "run" and len(argv) in (3, 5):
        expect = argv[4] if len(argv) == 5 and argv[3] == "--expect" else None
        return run(argv[2], expect)
    say(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
