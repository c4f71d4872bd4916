#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The network lab's probe (tests/helpers/netlab): a server in each mirror
host and the client that measures a link through it.

  netlab_probe.py serve PORT          echo ('e') and discard ('d') on 127.0.0.1
  netlab_probe.py rtt ADDR PORT N     median and spread (max - min) of N
                                      one-byte round trips, ms
  netlab_probe.py rate ADDR PORT BYTES  upload BYTES, print Mbit/s
  netlab_probe.py connect ADDR PORT SECONDS
                                      exit 0 when connected and answered,
                                      3 when the connect hung SECONDS, 1 else
  netlab_probe.py blast ADDR PORT N   send N one-byte UDP datagrams (for the
                                      loss's counters: `netlab drops`)
  netlab_probe.py await SECONDS ADDR...  wait until each host's probe, sshd
                                      and rsync daemon answer; exit 1 (the
                                      first that does not named) after SECONDS
"""
import socket
import statistics
import sys
import threading
import time


def serve_one(c):
    with c:
        mode = c.recv(1)
        if mode == b"e":
            while True:
                b = c.recv(65536)
                if not b:
                    return
                c.sendall(b)
        elif mode == b"d":
            n = 0
            while True:
                b = c.recv(65536)
                if not b:
                    break
                n += len(b)
            c.sendall(b"%d\n" % n)


def serve(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve_one, args=(c,), daemon=True).start()


def dial(addr, port, timeout=10):
    c = socket.create_connection((addr, port), timeout=timeout)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def rtt(addr, port, n):
    c = dial(addr, port)
    c.sendall(b"e")
    times = []
    for _ in range(n):
        t = time.monotonic()
        c.sendall(b"x")
        if c.recv(1) != b"x":
            sys.exit("rtt: no echo")
        times.append((time.monotonic() - t) * 1000)
    print("%.1f %.1f" % (statistics.median(times), max(times) - min(times)))


def rate(addr, port, size):
    c = dial(addr, port, 60)
    buf = b"\0" * 65536
    t = time.monotonic()
    c.sendall(b"d")
    left = size
    while left > 0:
        left -= c.send(buf[: min(left, len(buf))])
    c.shutdown(socket.SHUT_WR)
    got = c.makefile().readline().strip()
    secs = time.monotonic() - t
    if got != str(size):
        sys.exit("rate: the sink got %r of %d bytes" % (got, size))
    print("%.1f" % (size * 8 / secs / 1e6))


def connect(addr, port, secs):
    try:
        c = dial(addr, port, secs)
        c.sendall(b"e")
        c.sendall(b"x")
        sys.exit(0 if c.recv(1) == b"x" else 1)
    except socket.timeout:
        sys.exit(3)
    except OSError as e:
        print("connect: %s" % e, file=sys.stderr)
        sys.exit(1)


def blast(addr, port, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(b"x", (addr, port))
        # a pause now and then, so the receiving end's backlog (1000
        # packets) keeps up and sees them all
        if i % 200 == 199:
            time.sleep(0.001)


def answers(addr):
    try:
        c = dial(addr, 7, 1)
        c.sendall(b"ex")
        if c.recv(1) != b"x":
            return False
        for port, greet in ((22, b"SSH-"), (873, b"@RSYNCD")):
            c = dial(addr, port, 1)
            if not c.recv(64).startswith(greet):
                return False
        return True
    except OSError:
        return False


def await_hosts(secs, addrs):
    end = time.monotonic() + secs
    for a in addrs:
        while not answers(a):
            if time.monotonic() > end:
                sys.exit("await: %s does not answer" % a)
            time.sleep(0.05)


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["serve"] and len(a) == 2:
        serve(int(a[1]))
    elif a[:1] == ["rtt"] and len(a) == 4:
        rtt(a[1], int(a[2]), int(a[3]))
    elif a[:1] == ["rate"] and len(a) == 4:
        rate(a[1], int(a[2]), int(a[3]))
    elif a[:1] == ["await"] and len(a) >= 3:
        await_hosts(float(a[1]), a[2:])
    elif a[:1] == ["blast"] and len(a) == 4:
        blast(a[1], int(a[2]), int(a[3]))
    elif a[:1] == ["connect"] and len(a) == 4:
        connect(a[1], int(a[2]), float(a[3]))
    else:
        sys.exit(__doc__)
