#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reads what tests/helpers/http_listen.py recorded (JSON lines) for the
hook tests' assertions.  Names are raw bytes, so they are printed in base64
wherever a test compares them.

  http_records.py count FILE            requests recorded
  http_records.py requests FILE         "METHOD TARGET" per request
  http_records.py events FILE [TARGET]  per event of the JSON bodies (of the
                                        requests to TARGET only, if given):
                                        "KIND BASE64-OF-THE-RAW-PATH"
  http_records.py unmirrored FILE [TARGET]
                                        the events of those that were not on
                                        the listener's --mirror when sent
  http_records.py bodies FILE [TARGET]  checks every body (see check_body)
                                        and prints "instance hook remotes,.."
  http_records.py deliveries FILE [TARGET]
                                        per request: its delivery id, a
                                        space, its events as compact JSON
  http_records.py raw FILE [TARGET]     the bodies as sent, one a line
  http_records.py header FILE N NAME    the value of header NAME of request
                                        N (1: the first), status 1 if none
"""
import base64
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check_body(body):
    """The body as the http hook must send it; raises if it is not."""
    assert set(body) == {"delivery", "instance", "hook", "remotes", "events"}, body.keys()
    assert isinstance(body["remotes"], list)
    first, last = body["delivery"].split("/")[-1].split("-")
    assert body["delivery"] == "%s/%s/%s-%s" % (body["instance"], body["hook"], first, last)
    assert int(last) - int(first) + 1 == len(body["events"]), body["delivery"]
    for ev in body["events"]:
        assert ev["kind"] in ("update", "delete", "dir", "resync"), ev
        assert set(ev) <= {"kind", "path", "path_base64"}, ev
        if "path_base64" in ev:
            raw = base64.b64decode(ev["path_base64"], validate=True)
            try:
                raw.decode("utf-8")
                raise AssertionError("path_base64 on a valid UTF-8 name: %r" % raw)
            except UnicodeDecodeError:
                pass
            # the display form: each invalid byte became U+FFFD
            assert raw.decode("utf-8", "replace") == ev["path"] or "\ufffd" in ev["path"], ev


def raw_path(ev):
    if "path_base64" in ev:
        return base64.b64decode(ev["path_base64"])
    return ev["path"].encode("utf-8")


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    recs = load(path)
    if cmd == "count":
        print(len(recs))
    elif cmd == "requests":
        for r in recs:
            print(r["method"], r["path"])
    elif cmd in ("events", "bodies", "unmirrored"):
        want = sys.argv[3] if len(sys.argv) > 3 else None
        for r in recs:
            if want is not None and r["path"] != want:
                continue
            body = json.loads(base64.b64decode(r["body_b64"]).decode("utf-8"))
            check_body(body)
            if cmd == "bodies":
                print(body["instance"], body["hook"], ",".join(body["remotes"]))
                continue
            for i, ev in enumerate(body["events"]):
                if cmd == "unmirrored" and r.get("on_mirror", [True] * (i + 1))[i]:
                    continue
                print(ev["kind"], base64.b64encode(raw_path(ev)).decode("ascii"))
    elif cmd == "deliveries":
        want = sys.argv[3] if len(sys.argv) > 3 else None
        for r in recs:
            if want is not None and r["path"] != want:
                continue
            body = json.loads(base64.b64decode(r["body_b64"]).decode("utf-8"))
            check_body(body)
            hdr = [v for k, v in r["headers"] if k.lower() == "x-syncd-delivery"]
            assert hdr == [body["delivery"]], (hdr, body["delivery"])
            print(body["delivery"], json.dumps(body["events"], separators=(",", ":")))
    elif cmd == "raw":
        want = sys.argv[3] if len(sys.argv) > 3 else None
        for r in recs:
            if want is None or r["path"] == want:
                sys.stdout.buffer.write(base64.b64decode(r["body_b64"]) + b"\n")
    elif cmd == "header":
        n, name = int(sys.argv[3]), sys.argv[4].lower()
        for k, v in recs[n - 1]["headers"]:
            if k.lower() == name:
                print(v)
                return 0
        return 1
    else:
        print("unknown command " + cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
