#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""An HTTP listener for the hook tests (Python 3 standard library only).

Every request is recorded as one JSON line in --out, written and flushed
before the answer goes out:
  {"n": 1, "method": "POST", "path": "/hook?x=1", "headers": [["Host", "..."], ...],
   "body_b64": "...", "body": "..." (the body as UTF-8 text, or null if it is not),
   "answer": 200 or "hang", "t": seconds since the epoch,
   "on_mirror": [true, ...] (with --mirror DIR and a JSON body of events:
   per event, whether DIR had it, or had lost it for a delete, when the
   request came)}
The raw request target is kept as sent (percent-encoding included).

What it answers, per request: 503 for the first --fail-first requests; then,
if --mode-file exists, what it holds ("hang" or a status code, e.g. "500");
else --status (default 200).  "hang" reads the request and never answers.

Once listening it writes its port to --port-file (the test gives --port 0
to let the kernel choose, or a port of its own).  SIGTERM stops it.
"""
import argparse
import base64
import http.server
import json
import os
import signal
import sys
import threading
import time

lock = threading.Lock()
count = 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--mode-file")
    ap.add_argument("--mirror")
    args = ap.parse_args()
    out = open(args.out, "a", encoding="utf-8")

    def answer_for(n):
        if n <= args.fail_first:
            return 503
        if args.mode_file:
            try:
                with open(args.mode_file, encoding="ascii") as f:
                    mode = f.read().strip()
            except FileNotFoundError:
                mode = ""
            if mode == "hang":
                return "hang"
            if mode:
                return int(mode)
        return args.status

    def on_mirror(body):
        try:
            doc = json.loads(body.decode("utf-8"))
            events = doc["events"]
        except (ValueError, KeyError, TypeError):
            return None
        seen = []
        for ev in events:
            if "path_base64" in ev:
                raw = base64.b64decode(ev["path_base64"])
            else:
                raw = ev["path"].encode("utf-8")
            there = os.path.lexists(os.fsencode(args.mirror) + b"/" + raw)
            seen.append(there != (ev.get("kind") == "delete"))
        return seen

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # its answer goes out in several writes: Nagle's algorithm and the
        # client's delayed ACK would make each request take 40ms
        disable_nagle_algorithm = True

        def handle_one_request(self):
            global count
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with lock:
                count += 1
                n = count
                ans = answer_for(n)
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                rec = {
                    "n": n, "method": self.command, "path": self.path,
                    "headers": [[k, v] for k, v in self.headers.items()],
                    "body_b64": base64.b64encode(body).decode("ascii"), "body": text,
                    "answer": ans, "t": time.time(),
                }
                if args.mirror:
                    rec["on_mirror"] = on_mirror(body)
                out.write(json.dumps(rec) + "\n")
                out.flush()
            if ans == "hang":
                while True:
                    time.sleep(3600)
            reply = b"ok\n" if ans < 300 else b"failing on purpose\n"
            self.send_response(ans)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
            self.wfile.flush()

        def log_message(self, fmt, *a):
            pass

    http.server.ThreadingHTTPServer.daemon_threads = True
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
