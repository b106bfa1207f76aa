#!/usr/bin/env python3
"""A TCP forwarder that stands for a second domain controller in the chaos
tests (test_chaos_restart.sh): tcpproxy.py LISTEN-PORT TARGET-PORT READY-FILE

Listens on 127.0.0.1:LISTEN-PORT and copies bytes both ways to
127.0.0.1:TARGET-PORT (the DC's LDAPS), one pair of threads per connection.
TLS passes through untouched, so the client verifies the DC's own
certificate (its SAN names 127.0.0.1; the port is not part of the check).
Writes READY-FILE once it listens. Killing it (any signal) closes every
connection at once, as a DC that dies would."""
import os
import socket
import sys
import threading


def pipe(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    listen, target, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen))
    srv.listen(64)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    while True:
        c, _ = srv.accept()
        try:
            u = socket.create_connection(("127.0.0.1", target), timeout=5)
            u.settimeout(None)
        except OSError:
            c.close()
            continue
        for a, b in ((c, u), (u, c)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


if __name__ == "__main__":
    main()
