#!/usr/bin/env python3
"""A stand-in for adsync's hook receiver (docs/pwsync.md, wire protocol),
for tests/integration/test_pwfilter.sh: HTTPS with mutual authentication
(the client certificate must chain to --ca: CERT_REQUIRED), POST
/v1/password answered 202 (200 + duplicate for an id seen before), POST
/v1/heartbeat answered 200. Every request is appended as one JSON line to
--record: {"path", "peer_cn", "body"}. Test use only: it keeps passwords in
its record file on purpose (the test compares them)."""
import argparse
import http.server
import json
import os
import ssl
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--record", required=True)
    a = ap.parse_args()
    seen = set()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass  # bodies hold passwords: never echoed

        def answer(self, code, obj):
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            cert = self.connection.getpeercert() or {}
            cn = ""
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
            n = int(self.headers.get("Content-Length", "0"))
            if n > 8192:
                self.answer(413, {"error": "body too large"})
                return
            try:
                raw = self.rfile.read(n)
            except OSError:
                raw = b""
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = None
            # Every request is recorded, also one whose body never came
            # (the client gave up after the headers).
            with open(a.record, "a", encoding="utf-8") as f:
                f.write(json.dumps({"path": self.path, "peer_cn": cn,
                                    "ctype": self.headers.get("Content-Type"),
                                    "body_len": len(raw), "body": body},
                                   ensure_ascii=False) + "\n")
            if len(raw) < n:
                self.close_connection = True
                return
            if body is None:
                self.answer(400, {"error": "body: not JSON"})
                return
            if self.path == "/v1/password":
                i = body.get("id")
                if i in seen:
                    self.answer(200, {"id": i, "duplicate": True})
                else:
                    seen.add(i)
                    self.answer(202, {"id": i})
            elif self.path == "/v1/heartbeat":
                self.answer(200, {})
            else:
                self.answer(404, {"error": "not found"})

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(a.ca)
    ctx.load_cert_chain(a.cert, a.key)
    class Server(http.server.ThreadingHTTPServer):
        allow_reuse_address = True

        def handle_error(self, request, client_address):
            pass  # a client that hangs up is part of the tests

    srv = Server(("127.0.0.1", a.port), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
