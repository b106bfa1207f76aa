#!/usr/bin/env python3
"""Hostile console requests (tests/hostile/cases.md, category "console").

    run_console.py ADSYNC SRCDIR

Rows with where = web_gate are checks that tests/integration/
test_web_gate.py already makes (CTest web_gate): for those this runner only
proves the reference holds, i.e. that test_web_gate.py still has a check
whose name contains every expected fragment. Rows with where = daemon are
sent here, byte for byte over plain sockets, to `adsync daemon` in set-up
mode (no AD, no API: its console on a free loopback port, logged in).
Each answer, as one line "HTTP <status> <title> <message>", must hold the
expected fragments; afterwards /healthz still answers, the session still
opens the dashboard, the daemon still runs, its log holds no sanitizer
report, and no answer leaked a file of the host.

The same table logic as hostile_lib.sh: xfail rows, HOSTILE_MUTATE=1 (every
expected text made wrong: every case must then fail its text check, and
the runner exits 0 only if each did) and HOSTILE_ONLY=ERE. Exit 0, 1, or 77
without a prerequisite.
"""
import html
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

ADSYNC = sys.argv[1] if len(sys.argv) > 1 else ""
SRCDIR = sys.argv[2] if len(sys.argv) > 2 else "."
HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "cases.md")
WEB_GATE = os.path.join(SRCDIR, "tests", "integration", "test_web_gate.py")
MUTATE = os.environ.get("HOSTILE_MUTATE", "")
ONLY = os.environ.get("HOSTILE_ONLY", "")
PASSWORD = "hostile-console-Password-7"

results = {"cases": 0, "ok": 0, "failed": [], "xfail": []}


def say(s):
    print(s, flush=True)


def rows(category):
    out = []
    for line in open(TABLE, encoding="utf-8"):
        if not re.match(r"^\| *[a-z0-9_]+ *\|", line):
            continue
        cells = [c.strip() for c in line.strip().split("|")[1:-1]]
        if cells[0] == "case" or len(cells) < 7 or cells[1] != category:
            continue
        if ONLY and not re.search(ONLY, cells[0]):
            continue
        out.append(dict(zip(("name", "category", "where", "inject",
                             "expect", "unaffected", "status"), cells)))
    return out


def fragments(expect):
    return [f.strip().strip("`") for f in expect.split(" && ") if f.strip()]


def text_ok(name, answer, expect):
    frags = [f + ("~mutated~" if MUTATE else "") for f in fragments(expect)]
    if not frags:
        say("     %s: the table gives no expected text" % name)
        return False
    for line in answer.lower().splitlines():
        if all(f.lower() in line for f in frags):
            return True
    say("     %s: no line with all of: %s" % (name, " ".join(
        '"%s"' % f for f in frags)))
    say("     %s: what it gave: %s" % (name, answer[:600]))
    return False


def result(row, t_ok, u_ok, note=""):
    name, status = row["name"], row["status"]
    results["cases"] += 1
    if MUTATE:
        if t_ok:
            results["failed"].append(name)
            say("FAIL %s: passed with a wrong expected text" % name)
        else:
            results["ok"] += 1
            say("ok   %s (caught the wrong expected text)" % name)
        return
    if t_ok and u_ok:
        if status.startswith("xfail"):
            results["failed"].append(name)
            say("FAIL %s: XPASS: marked as a known bug but passes; update "
                "cases.md (%s)" % (name, status))
        else:
            results["ok"] += 1
            say("ok   %s%s" % (name, " (%s)" % note if note else ""))
    elif status.startswith("xfail"):
        results["xfail"].append(name)
        say("XFAIL %s: %s" % (name, status[len("xfail: "):]))
    else:
        results["failed"].append(name)
        say("FAIL %s%s" % (name, " (%s)" % note if note else ""))


# ---- HTTP over plain sockets ------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Answer:
    def __init__(self, raw, err=""):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0]) if lines else None
        self.status = int(m.group(1)) if m else 0
        self.headers = {}
        self.cookies = []
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            k, v = k.strip().lower(), v.strip()
            if k == "set-cookie":
                self.cookies.append(v)
            self.headers[k] = v
        self.err = err

    def text(self):
        return self.body.decode("utf-8", "replace")

    def line(self):
        """HTTP <status> <title> <error note or first words>, one line."""
        t = self.text()
        title = re.search(r"<title>(.*?)</title>", t, re.S)
        note = re.search(r'<p class="note error"[^>]*>(.*?)</p>', t, re.S)
        body = note.group(1) if note else re.sub(r"<[^>]+>", " ", t)[:300]
        parts = ["HTTP %03d" % self.status]
        if title:
            parts.append(html.unescape(title.group(1)))
        parts.append(html.unescape(body))
        if self.headers.get("location"):
            parts.append("location: " + self.headers["location"])
        if self.err:
            parts.append("(%s)" % self.err)
        return re.sub(r"\s+", " ", " ".join(parts)).strip() + "\n"


PORT = 0


def raw_request(data, timeout=20):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    out, err = b"", ""
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            err = "send: %s" % e.__class__.__name__
        while True:
            try:
                d = s.recv(65536)
            except (ConnectionResetError, socket.timeout) as e:
                err = err or e.__class__.__name__
                break
            if not d:
                break
            out += d
    finally:
        s.close()
    return Answer(out, err)


def http(method, path, headers=None, body=b"", host=None):
    if host is None:
        host = "127.0.0.1:%d" % PORT
    h = {"Host": host, "Connection": "close"}
    if body:
        h["Content-Length"] = str(len(body))
    h.update(headers or {})
    head = ("%s %s HTTP/1.1\r\n" % (method, path) + "".join(
        "%s: %s\r\n" % kv for kv in h.items()) + "\r\n").encode("latin-1")
    return raw_request(head + body)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def csrf_of(page):
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    return m.group(1) if m else ""


def login():
    tok = csrf_of(http("GET", "/login").text())
    a = http("POST", "/login", FORM, urllib.parse.urlencode(
        {"csrf": tok, "password": PASSWORD}).encode())
    sid = a.cookies[0].split(";")[0] if a.cookies else ""
    return sid


SID = ""
TOK = ""


def session():
    return {"Cookie": SID}


def post_form(path, body):
    return http("POST", path, dict(session(), **FORM), body)


# ---- the cases ----------------------------------------------------------------

def c_web_form_bad_utf8():
    return post_form("/sync", b"csrf=" + TOK.encode() + b"&full=%C3%28")


def c_web_form_nul():
    return post_form("/sync", b"csrf=" + TOK.encode() + b"&full=1%00x")


def c_web_form_dup_csrf():
    # Repeated names are legal (multi-valued choosers); the first csrf
    # value is the one checked, so a wrong one first must be refused.
    return post_form("/sync", b"csrf=" + b"A" * len(TOK) + b"&csrf=" +
                     TOK.encode())


def c_web_form_many_fields():
    return post_form("/sync", b"csrf=" + TOK.encode() + b"".join(
        b"&f%d=1" % i for i in range(5000)))


def c_web_huge_cookie():
    return http("GET", "/", {"Cookie": SID + "; pad=" + "c" * 30000})


def c_web_many_cookies():
    return http("GET", "/", {"Cookie": "; ".join(
        ["x%d=1" % i for i in range(1500)] + [SID])})


def c_web_bad_session_cookie():
    return http("GET", "/", {"Cookie": "adsync_session=\"';--%00<script>"})


def c_web_static_traversal():
    a = http("GET", "/static/../../../../etc/passwd")
    b = http("GET", "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd")
    c = http("GET", "/static/..%2f..%2f..%2fetc%2fpasswd")
    LEAK.extend([a.text(), b.text(), c.text()])
    a.err = "also %d and %d for the %%-encoded forms" % (b.status, c.status)
    return a


def c_web_static_unknown():
    return http("GET", "/static/console.css.bak")


def c_web_run_abc():
    return http("GET", "/runs/abc", session())


def c_web_run_overflow():
    return http("GET", "/runs/99999999999999999999999999", session())


def c_web_run_negative():
    return http("GET", "/runs/-1", session())


def c_web_object_not_utf8():
    return http("GET", "/objects/%FF%FEabc", session())


def c_web_object_huge_key():
    return http("GET", "/objects/" + "k" * 6000, session())


def c_web_query_not_utf8():
    return http("GET", "/objects?q=%FF%FE", session())


def c_web_query_many_args():
    return http("GET", "/objects?" + "&".join(
        "a%d=1" % i for i in range(2000)), session())


def c_web_query_100_args():
    return http("GET", "/objects?" + "&".join(
        "a%d=1" % i for i in range(100)), session())


def c_web_method_unknown():
    return http("BREW", "/", session())


def c_web_request_line_garbage():
    return raw_request(b"GET /\x00\x01 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                       b"Connection: close\r\n\r\n" % PORT)


def c_web_path_overlong():
    return http("GET", "/" + "p" * 100000, session())


def c_web_login_huge_password():
    tok = csrf_of(http("GET", "/login").text())
    return http("POST", "/login", FORM, urllib.parse.urlencode(
        {"csrf": tok, "password": "x" * 60000}).encode())


def c_web_login_password_not_utf8():
    tok = csrf_of(http("GET", "/login").text())
    return http("POST", "/login", FORM, b"csrf=" + tok.encode() +
                b"&password=%FF%FE%00")


def c_web_chunked_huge():
    # 200 KiB in chunks, no Content-Length: the 64 KiB limit as it
    # arrives.
    chunk = b"a" * 8192
    body = b"csrf=" + TOK.encode() + b"&x="
    data = (b"%x\r\n" % len(body)) + body + b"\r\n" + b"".join(
        (b"%x\r\n" % len(chunk)) + chunk + b"\r\n" for _ in range(25)) + \
        b"0\r\n\r\n"
    head = ("POST /sync HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nCookie: %s\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            % (PORT, SID)).encode()
    return raw_request(head + data)


LEAK = []

# ---- unaffected -----------------------------------------------------------------


def u_healthz(d, log):
    a = http("GET", "/healthz")
    if a.status != 200:
        say("     /healthz afterwards: %d" % a.status)
    return a.status == 200


def u_session(d, log):
    a = http("GET", "/", session())
    if a.status != 200:
        say("     the dashboard with the session afterwards: %d" % a.status)
    return a.status == 200


def u_alive(d, log):
    if d.poll() is not None:
        say("     the daemon exited: %s" % d.returncode)
    return d.poll() is None


def u_no_sanitizer(d, log):
    t = open(log, encoding="utf-8", errors="replace").read()
    m = re.search(r"AddressSanitizer|LeakSanitizer|runtime error:", t)
    if m:
        say("     sanitizer report: %s" % t[m.start():m.start() + 800])
    return m is None


def u_no_leak(d, log):
    bad = [t for t in LEAK if "root:" in t or "/bin/" in t]
    if bad:
        say("     a file of the host was served")
    return not bad


def ref_check(row):
    """where = web_gate: test_web_gate.py has a check with every fragment."""
    src = open(WEB_GATE, encoding="utf-8").read()
    lines = [ln.strip() for ln in src.splitlines() if "check(" in ln or
             "check (" in ln or ln.strip().startswith('"')]
    ans = "\n".join(lines)
    return ans + "\n"


def main():
    global PORT, SID, TOK
    if not ADSYNC or not os.access(ADSYNC, os.X_OK):
        say("SKIP: usage: run_console.py ADSYNC SRCDIR")
        return 77
    w = tempfile.mkdtemp(prefix="hostile-console.")
    PORT = free_port()
    conf = os.path.join(w, "adsync.conf")
    with open(conf, "w") as f:
        f.write("; run_console.py: set-up mode, the console only\n"
                "[sync]\nstate_dir = %s/state\n"
                "[daemon]\nhook_listen =\nweb_listen = 127.0.0.1:%d\n"
                % (w, PORT))
    os.chmod(conf, 0o600)
    r = subprocess.run([ADSYNC, "-c", conf, "web", "passwd"],
                       input=(PASSWORD + "\n").encode(), capture_output=True)
    if r.returncode != 0:
        say("FAIL: adsync web passwd: %s" % r.stderr.decode())
        return 1
    log = os.path.join(w, "daemon.log")
    logf = open(log, "wb")
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    d = subprocess.Popen([ADSYNC, "-c", conf, "-v", "daemon", "--allow-root"], stdout=logf,
                         stderr=logf, env=env)
    t0 = time.time()
    rc = 1
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", PORT), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        SID = login()
        TOK = csrf_of(http("GET", "/setup", session()).text())
        if not SID or not TOK:
            say("FAIL: cannot log in to the console")
            return 1
        table = rows("console")
        say("hostile: %d case(s) of category console from %s%s" % (
            len(table), TABLE, " (MUTATED expectations)" if MUTATE else ""))
        for row in table:
            name = row["name"]
            say("--- case %s: %s" % (name, row["inject"]))
            c0 = time.time()
            if row["where"] == "web_gate":
                ans = ref_check(row)
            else:
                fn = globals().get("c_" + name)
                if fn is None:
                    say("     %s: no c_%s in the runner" % (name, name))
                    result(row, False, False, "not implemented")
                    continue
                try:
                    ans = fn().line()
                except OSError as e:
                    ans = "no answer: %s\n" % e
            t_ok = text_ok(name, ans, row["expect"])
            u_ok = True
            for tok in row["unaffected"].split():
                fn = globals().get("u_" + tok)
                if fn is None:
                    say("     %s: unknown unaffected check %s" % (name, tok))
                    u_ok = False
                elif not fn(d, log):
                    say("     %s: affected: %s" % (name, tok))
                    u_ok = False
            result(row, t_ok, u_ok, "%.1f s" % (time.time() - c0))
    finally:
        d.send_signal(signal.SIGTERM)
        try:
            rc = d.wait(30)
        except subprocess.TimeoutExpired:
            d.kill()
            rc = d.wait()
        logf.close()
    ok = True
    if rc != 0:
        say("FAIL: the daemon did not stop cleanly (exit %s)" % rc)
        ok = False
    if not u_no_sanitizer(d, log):
        ok = False
    say("")
    say("hostile: %d case(s): %d ok, %d failed, %d known bug(s) (xfail) in "
        "%.1f s%s" % (results["cases"], results["ok"],
                      len(results["failed"]), len(results["xfail"]),
                      time.time() - t0, " [mutated: ok = the wrong text was "
                      "caught]" if MUTATE else ""))
    if results["xfail"]:
        say("  xfail: " + " ".join(results["xfail"]))
    if results["failed"]:
        say("  failed: " + " ".join(results["failed"]))
    if os.environ.get("KEEP_HOSTILE"):
        say("kept " + w)
    else:
        subprocess.run(["rm", "-rf", w])
    if results["cases"] == 0:
        say("FAIL: no case ran")
        return 1
    return 0 if ok and not results["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
