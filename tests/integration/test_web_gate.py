#!/usr/bin/env python3
"""The web console's gate against raw HTTP (docs/web.md "The server").

    test_web_gate.py ADSYNC

Starts `adsync daemon` (by PID, stopped by PID) in set-up mode: a
configuration with no API keys and no AD, so it needs neither Samba nor
rsemu, and its console on a free loopback port. Then speaks HTTP over
plain sockets, byte for byte what a hostile page or local process could
send, and checks each answer:

  - Host: the listen address and localhost pass; another name, an empty or
    missing Host (DNS rebinding) get 421 and nothing else;
  - login: pages need a session (303 to /login, 401 for POSTs and
    /metrics from elsewhere); /healthz and /login do not; a wrong password
    is 401, and the sixth failure in a row is locked (429 + Retry-After);
  - a good login sets an HttpOnly, SameSite=Strict cookie; its session
    opens the pages;
  - POST without the CSRF token, with another session's token, from
    another Origin, with a non-form content type, with a malformed form
    or a body over 64 KiB: refused (403, 415, 400, 413), and the daemon
    still answers;
  - oversize request headers are refused by the server, not served;
  - every answer carries the CSP and the other security headers; the
    console never shows the password back;
  - unknown paths 404, wrong methods 405;
  - the daemon's log has no password and no sanitizer report;
  - with web_tls_cert and web_tls_key_file, the console speaks TLS only
    (verified against the test CA: TLS 1.2+, HSTS, the cookie Secure) and
    refuses plain HTTP on its port.

Exit 0 when every check passes, 1 otherwise, 77 when a prerequisite lacks.
"""
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

ADSYNC = sys.argv[1] if len(sys.argv) > 1 else ""
PASSWORD = "gate-test-Password-42"
# The secrets audit (tests/audit/audit.py): register, keep (under CTest).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "audit"))
import audit as secrets_audit  # noqa: E402
secrets_audit.register("web_gate/password", PASSWORD)
checks = 0
fails = 0


def check(name, ok, detail=""):
    global checks, fails
    checks += 1
    if ok:
        print("ok   %s" % name)
    else:
        fails += 1
        print("FAIL %s%s" % (name, (": " + detail) if detail else ""))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Answer:
    def __init__(self, raw):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0]) if lines else None
        self.status = int(m.group(1)) if m else 0
        self.headers = {}
        self.cookies = []
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            k = k.strip().lower()
            v = v.strip()
            if k == "set-cookie":
                self.cookies.append(v)
            self.headers[k] = v

    def text(self):
        return self.body.decode("utf-8", "replace")


def http(port, method, path, headers=None, body=b"", host=None,
         raw_head=None):
    """One request on a new connection; the whole answer (Connection:
    close). `host` None sends 127.0.0.1:PORT; "" sends no Host header."""
    if host is None:
        host = "127.0.0.1:%d" % port
    h = {"Connection": "close"}
    if host != "":
        h["Host"] = host
    if body:
        h["Content-Length"] = str(len(body))
    h.update(headers or {})
    req = raw_head if raw_head is not None else (
        "%s %s HTTP/1.1\r\n" % (method, path) +
        "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
    ).encode("latin-1")
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    try:
        s.sendall(req + body)
        out = b""
        while True:
            try:
                d = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not d:
                break
            out += d
    finally:
        s.close()
    return Answer(out)


def form(fields):
    return urllib.parse.urlencode(fields).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def csrf_of(page):
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    return m.group(1) if m else ""


def login(port, password):
    a = http(port, "GET", "/login")
    tok = csrf_of(a.text())
    return http(port, "POST", "/login", FORM,
                form({"csrf": tok, "password": password}))


def main():
    if not ADSYNC or not os.access(ADSYNC, os.X_OK):
        print("SKIP: usage: test_web_gate.py ADSYNC")
        return 77
    w = tempfile.mkdtemp(prefix="web-gate.")
    port = free_port()
    conf = os.path.join(w, "adsync.conf")
    with open(conf, "w") as f:
        f.write("; the gate test: set-up mode, console only\n"
                "[sync]\nstate_dir = %s/state\n"
                "[daemon]\nhook_listen =\nweb_listen = 127.0.0.1:%d\n"
                % (w, port))
    os.chmod(conf, 0o600)
    r = subprocess.run([ADSYNC, "-c", conf, "web", "passwd"],
                       input=(PASSWORD + "\n").encode(),
                       capture_output=True)
    check("web passwd", r.returncode == 0, r.stderr.decode())
    log = open(os.path.join(w, "daemon.err"), "wb")
    d = subprocess.Popen([ADSYNC, "-c", conf, "daemon", "--allow-root"], stdout=log,
                         stderr=log)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        run_checks(port)
    finally:
        d.send_signal(signal.SIGTERM)
        try:
            rc = d.wait(20)
        except subprocess.TimeoutExpired:
            d.kill()
            rc = d.wait()
        log.close()
    check("daemon stopped cleanly", rc == 0, "exit %s" % rc)
    text = open(os.path.join(w, "daemon.err"), encoding="utf-8",
                errors="replace").read()
    check("the log never holds the password", PASSWORD not in text)
    check("no sanitizer report", not re.search(
        r"AddressSanitizer|LeakSanitizer|runtime error:", text),
        text[-2000:])
    check("failed logins are logged with the address",
          "failed login from 127.0.0.1" in text)
    check("refused CSRF is logged", "no valid CSRF token" in text)
    tls_checks(w)
    secrets_audit.keep("work", w)
    subprocess.run(["rm", "-rf", w])
    print("%s: %d checks, %d failed" % ("PASS" if fails == 0 else "FAILED",
                                        checks, fails))
    return 0 if fails == 0 else 1


def tls_checks(w):
    """The console over TLS (the test CA of tests/testbed/mkcert.sh)."""
    mkcert = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                          "testbed", "mkcert.sh")
    tls = os.path.join(w, "tls")
    r = subprocess.run(["sh", mkcert, tls], capture_output=True)
    check("mkcert.sh", r.returncode == 0, r.stderr.decode())
    if r.returncode != 0:
        return
    port = free_port()
    conf = os.path.join(w, "tls.conf")
    with open(conf, "w") as f:
        f.write("[sync]\nstate_dir = %s/state\n[daemon]\nhook_listen =\n"
                "web_listen = 127.0.0.1:%d\nweb_tls_cert = %s/server.pem\n"
                "web_tls_key_file = %s/server.key\n" % (w, port, tls, tls))
    os.chmod(conf, 0o600)
    log = open(os.path.join(w, "tls.err"), "wb")
    d = subprocess.Popen([ADSYNC, "-c", conf, "daemon", "--allow-root"], stdout=log,
                         stderr=log)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        ctx = ssl.create_default_context(cafile=os.path.join(tls,
                                                             "ca.pem"))
        raw = socket.create_connection(("127.0.0.1", port), timeout=20)
        with ctx.wrap_socket(raw, server_hostname="localhost") as t:
            check("TLS verified against the CA, version %s" % t.version(),
                  t.version() in ("TLSv1.2", "TLSv1.3"), str(t.version()))
            t.sendall(("GET /login HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                       "Connection: close\r\n\r\n" % port).encode())
            out = b""
            while True:
                b = t.recv(65536)
                if not b:
                    break
                out += b
        a = Answer(out)
        check("TLS: the login page", a.status == 200, str(a.status))
        check("TLS: HSTS", "max-age" in a.headers.get(
            "strict-transport-security", ""))
        tok = csrf_of(a.text())
        raw = socket.create_connection(("127.0.0.1", port), timeout=20)
        body = form({"csrf": tok, "password": PASSWORD})
        with ctx.wrap_socket(raw, server_hostname="localhost") as t:
            t.sendall(("POST /login HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                       "Content-Type: application/x-www-form-urlencoded\r\n"
                       "Content-Length: %d\r\nConnection: close\r\n\r\n"
                       % (port, len(body))).encode() + body)
            out = b""
            while True:
                b = t.recv(65536)
                if not b:
                    break
                out += b
        a = Answer(out)
        cookie = a.cookies[0] if a.cookies else ""
        check("TLS: the session cookie is Secure", a.status == 303 and
              "; Secure" in cookie, "%d %s" % (a.status, cookie))
        a = http(port, "GET", "/login")
        check("TLS: plain HTTP on its port gets no page", a.status != 200,
              str(a.status))
    finally:
        d.send_signal(signal.SIGTERM)
        try:
            rc = d.wait(20)
        except subprocess.TimeoutExpired:
            d.kill()
            rc = d.wait()
        log.close()
    check("TLS daemon stopped cleanly", rc == 0, "exit %s" % rc)


def run_checks(port):
    a = http(port, "GET", "/healthz")
    check("/healthz without login: 200", a.status == 200, str(a.status))
    check("/healthz says set-up", '"status":"setup"' in a.text(), a.text())
    for k, want in (("content-security-policy", "default-src 'none'"),
                    ("x-content-type-options", "nosniff"),
                    ("x-frame-options", "DENY"),
                    ("referrer-policy", "same-origin"),
                    ("cache-control", "no-store")):
        check("header %s" % k, want in a.headers.get(k, ""),
              a.headers.get(k, "(none)"))
    check("no script or style from elsewhere in the CSP",
          "http" not in a.headers.get("content-security-policy", "x"))

    # Host: DNS rebinding.
    for host in ("evil.example:%d" % port, "127.0.0.1.nip.io:%d" % port,
                 "127.0.0.1:%d" % (port + 1), ""):
        a = http(port, "GET", "/login", host=host)
        check("Host %r refused (421)" % host, a.status == 421,
              str(a.status))
    a = http(port, "GET", "/login", host="localhost:%d" % port)
    check("Host localhost:PORT accepted", a.status == 200, str(a.status))
    a = http(port, "GET", "/login", host="LOCALHOST:%d" % port)
    check("Host in capitals accepted", a.status == 200, str(a.status))

    # No session.
    a = http(port, "GET", "/")
    check("dashboard without login: to /login", a.status == 303 and
          a.headers.get("location") == "/login", "%d %s" % (
              a.status, a.headers.get("location")))
    for path in ("/history", "/runs/1", "/alerts", "/objects", "/hooks",
                 "/setup", "/status.json"):
        a = http(port, "GET", path)
        check("%s without login: not served" % path,
              a.status in (303, 401) and "<table" not in a.text(),
              str(a.status))
    a = http(port, "POST", "/sync", FORM, form({"csrf": "x"}))
    check("POST /sync without login: 401", a.status == 401, str(a.status))
    a = http(port, "GET", "/static/console.css")
    check("the stylesheet needs no login", a.status == 200 and
          a.headers.get("content-type", "").startswith("text/css"))
    a = http(port, "GET", "/nope")
    check("unknown path: 404", a.status == 404, str(a.status))
    a = http(port, "DELETE", "/login")
    check("wrong method: 405", a.status == 405, str(a.status))

    # Login CSRF: a login without the pre-login token.
    a = http(port, "POST", "/login", FORM, form({"password": PASSWORD}))
    check("login without its token: 403", a.status == 403, str(a.status))
    check("no cookie for it", not a.cookies)

    # Wrong passwords, then the lock.
    statuses = [login(port, "wrong-%d" % i).status for i in range(6)]
    check("five wrong passwords: 401 each", statuses[:5] == [401] * 5,
          str(statuses))
    a = login(port, PASSWORD)
    check("locked after them: 429 even with the right password",
          a.status == 429 and int(a.headers.get("retry-after", "0")) >= 1,
          "%d retry-after %s" % (a.status, a.headers.get("retry-after")))
    time.sleep(int(a.headers.get("retry-after", "1")) + 0.5)
    a = login(port, PASSWORD)
    check("after the lock: the right password logs in (303 to /)",
          a.status == 303 and a.headers.get("location") == "/",
          str(a.status))
    cookie = a.cookies[0] if a.cookies else ""
    check("cookie HttpOnly, SameSite=Strict, path /",
          "HttpOnly" in cookie and "SameSite=Strict" in cookie and
          "Path=/" in cookie, cookie)
    sid = cookie.split(";")[0]
    C = {"Cookie": sid}

    a = http(port, "GET", "/", C)
    check("dashboard with the session: 200", a.status == 200, str(a.status))
    check("dashboard says set-up", "go-setup" in a.text())
    page = http(port, "GET", "/setup", C).text()
    tok = csrf_of(page)
    check("the pages carry a CSRF token", len(tok) == 43, tok)
    check("no password in a page", PASSWORD not in page)

    # Forged POSTs: nothing done, daemon still answers.
    a = http(port, "POST", "/sync", dict(C, **FORM), form({"full": "1"}))
    check("POST without CSRF token: 403", a.status == 403, str(a.status))
    a = http(port, "POST", "/sync", dict(C, **FORM),
             form({"csrf": tok[:-1] + ("A" if tok[-1] != "A" else "B")}))
    check("POST with a wrong token: 403", a.status == 403, str(a.status))
    other = login(port, PASSWORD)
    sid2 = other.cookies[0].split(";")[0] if other.cookies else ""
    tok2 = csrf_of(http(port, "GET", "/setup", {"Cookie": sid2}).text())
    a = http(port, "POST", "/sync", dict(C, **FORM), form({"csrf": tok2}))
    check("POST with another session's token: 403", a.status == 403,
          str(a.status))
    a = http(port, "POST", "/sync", dict(C, Origin="http://evil.example",
                                         **FORM), form({"csrf": tok}))
    check("POST from another Origin: 403", a.status == 403, str(a.status))
    a = http(port, "POST", "/sync", dict(C, **{
        "Content-Type": "application/json"}), b'{"csrf":"%s"}' % tok.encode())
    check("POST of JSON: 415", a.status == 415, str(a.status))
    a = http(port, "POST", "/sync", dict(C, **FORM),
             b"csrf=" + tok.encode() + b"&x=%zz")
    check("POST of a malformed form: 400", a.status == 400, str(a.status))
    a = http(port, "POST", "/sync", dict(C, **FORM),
             b"csrf=" + tok.encode() + b"&x=" + b"a" * (70 * 1024))
    check("POST over 64 KiB: 413", a.status == 413, str(a.status))
    a = http(port, "POST", "/sync", dict(C, **FORM), form({"csrf": tok}))
    check("POST with its token: accepted (set-up mode: redirect with the "
          "reason)", a.status == 303 and "err=" in a.headers.get(
              "location", ""), "%d %s" % (a.status,
                                          a.headers.get("location")))

    # Oversize headers.
    a = http(port, "GET", "/", dict(C, **{"X-Big": "b" * (40 * 1024)}))
    check("40 KiB of headers: refused", a.status in (0, 413, 431, 400) and
          "<table" not in a.text(), str(a.status))
    a = http(port, "GET", "/healthz")
    check("still answering after the hostile requests", a.status == 200,
          str(a.status))

    # Logout ends the session.
    a = http(port, "POST", "/logout", dict(C, **FORM), form({"csrf": tok}))
    check("logout: to /login", a.status == 303, str(a.status))
    a = http(port, "GET", "/", C)
    check("the old cookie no longer opens pages", a.status == 303,
          str(a.status))


if __name__ == "__main__":
    sys.exit(main())
