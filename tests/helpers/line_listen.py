#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A stream listener for the socket hook tests: accepts connections on a TCP
port of 127.0.0.1 or on a Unix socket and appends every byte it receives to
OUT as it arrives.  With --no-read it accepts and never reads (a reader that
is too slow); with --ready FILE it creates FILE once it listens.  It also
appends one line per accepted connection to OUT.conns."""
import argparse
import os
import selectors
import socket
import sys


def main():
    ap = argparse.ArgumentParser()
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--tcp", type=int)
    g.add_argument("--unix")
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-read", action="store_true")
    ap.add_argument("--ready")
    a = ap.parse_args()

    if a.tcp:
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", a.tcp))
    else:
        if os.path.exists(a.unix):
            os.unlink(a.unix)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(a.unix)
    srv.listen(16)
    if a.ready:
        open(a.ready, "w").close()
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    held = []
    with open(a.out, "ab", buffering=0) as out, open(a.out + ".conns", "a") as conns:
        while True:
            for key, _ in sel.select():
                if key.fileobj is srv:
                    c, _ = srv.accept()
                    conns.write("connection\n")
                    conns.flush()
                    if a.no_read:
                        held.append(c)
                    else:
                        sel.register(c, selectors.EVENT_READ)
                    continue
                c = key.fileobj
                data = c.recv(65536)
                if not data:
                    sel.unregister(c)
                    c.close()
                    continue
                out.write(data)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
