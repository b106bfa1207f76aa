#!/usr/bin/env python3
"""Test stand-in for adsync's hook receiver (docs/pwsync.md, wire protocol).

HTTPS on 127.0.0.1 with mutual TLS (CERT_REQUIRED against the test CA), so
the hook's TLS settings are exercised for real. Every POST body is appended
as one JSON line to RECORD_DIR/password.jsonl or heartbeat.jsonl; the answer
to /v1/password depends on the first word of MODE_FILE, read per request:

  202      {"id": ...}            (the default)
  400      {"error": "password: rejected by the stub"}
  503      {"error": "busy"}
  refuse   close the connection without an answer

/v1/heartbeat is always answered 200. The chosen port is written to
PORT_FILE once the socket listens (PORT, when given, is reused so that a
restarted stub answers at the same address). Test use only: it records
passwords.

usage: pwhook_stub.py CA_PEM CERT_PEM KEY_PEM MODE_FILE RECORD_DIR PORT_FILE
       [PORT]
"""
import http.server
import json
import os
import ssl
import sys

BODY_MAX = 8192


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("stub: " + (fmt % args) + "\n")

    def answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        try:
            n = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            n = -1
        if n < 0 or n > BODY_MAX:
            self.answer(413, {"error": "body too large"})
            self.close_connection = True
            return
        body = self.rfile.read(n)
        name = {"/v1/password": "password.jsonl",
                "/v1/heartbeat": "heartbeat.jsonl"}.get(self.path)
        if name is None:
            self.answer(404, {"error": "not found"})
            return
        with open(os.path.join(RECORD_DIR, name), "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        if name == "heartbeat.jsonl":
            self.answer(200, {})
            return
        try:
            with open(MODE_FILE) as f:
                mode = (f.read().split() or ["202"])[0]
        except OSError:
            mode = "202"
        try:
            cid = json.loads(body).get("id", "")
        except ValueError:
            cid = ""
        if mode == "refuse":
            self.close_connection = True
            self.connection.close()
        elif mode == "400":
            self.answer(400, {"error": "password: rejected by the stub"})
        elif mode == "503":
            self.answer(503, {"error": "busy"})
        else:
            self.answer(202, {"id": cid})


def main():
    global MODE_FILE, RECORD_DIR
    if len(sys.argv) not in (7, 8):
        sys.stderr.write(__doc__)
        sys.exit(2)
    ca, cert, key, MODE_FILE, RECORD_DIR, port_file = sys.argv[1:7]
    port = int(sys.argv[7]) if len(sys.argv) == 8 else 0
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cafile=ca)
    ctx.load_cert_chain(cert, key)
    srv = http.server.HTTPServer(("127.0.0.1", port), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
