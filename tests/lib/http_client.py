#!/usr/bin/env python3
"""http_client.py URL [--data BODY | --data-file FILE]... [--mode MODE] [options]: an HTTPS
client for the e2e tests. Trusts SSL_CERT_FILE.

Modes (how the request reaches SSL_write, which is what Aspen inspects):
  urllib     (default) urllib.request: head and body in one write. One request
             (the first --data; GET without it).
  split      http.client: putrequest/putheader/endheaders() send the head,
             then conn.send() sends the body in --chunks pieces (default 2)
             with --chunk-delay seconds (default 0.2) between them. One
             request per --data, each on its own connection.
  keepalive  http.client: one request per --data, in order, all on ONE
             connection (keep-alive). With --split each body is sent like in
             split mode. After a failed request the program goes on to the
             end (a denied request must not kill the process).
  --repeat N (old interface) N requests of the one --data on one connection.

--last N (split): the body's last N bytes in a write of their own.
--header 'Name: value' adds a header (repeatable). --pause FILE (split): after the
body's first write, print {"pid","sent":N} and wait until FILE exists. --hold FILE: after the requests, print
{"pid","held":true} and wait (at most --hold-timeout s, default 60) until FILE
exists, keeping the connection open; the tests inspect the live process.

Prints one JSON line per request: {"pid", "req", "status", "body"} on an
answer, {"pid", "req", "error", "errno", "message"} on failure; in split and
keepalive modes also a last line {"pid", "done": true, "ok": N, "failed": M}
(the program survived its failures). Exit status: 0 all answered 2xx, 7 the
first failure was a refused/not permitted connect (like curl), 1 anything
else."""

import argparse
import errno
import http.client
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

PID = os.getpid()


def emit(**kw):
    print(json.dumps(dict({"pid": PID}, **kw)), flush=True)


def report_error(e, req=0):
    cause = e.reason if isinstance(e, urllib.error.URLError) and isinstance(e.reason, OSError) else e
    emit(req=req, error=type(cause).__name__, errno=getattr(cause, "errno", None), message=str(cause))
    if isinstance(cause, (PermissionError, ConnectionRefusedError)) or \
            getattr(cause, "errno", None) in (errno.EPERM, errno.EACCES, errno.ECONNREFUSED):
        return 7
    return 1


def parse_headers(items, body):
    headers = {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    for h in items:
        k, _, v = h.partition(":")
        headers[k.strip()] = v.strip()
    return headers


def connect(u):
    return http.client.HTTPSConnection(u.hostname, u.port or 443, timeout=15,
                                       context=ssl.create_default_context())


def send_split(conn, u, body, headers, chunks, delay, pause=None, pause_timeout=60, last=0):
    """Head in one write (endheaders), then the body in `chunks` writes;
    with pause (a file), after the first of them print {"pid","sent":N}
    and wait until that file exists. last: the body's last `last` bytes in
    a write of their own, after the others."""
    conn.putrequest("POST" if body is not None else "GET", u.path or "/",
                    skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    if body is not None and not any(k.lower() == "content-length" for k in headers):
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    tail = body[len(body) - last:] if body and 0 < last < len(body) else b""
    body = body[:len(body) - len(tail)] if body else body
    if body:
        n = max(1, min(chunks, len(body)))
        step = -(-len(body) // n)
        for i in range(0, len(body), step):
            time.sleep(delay)
            conn.send(body[i:i + step])
            if pause and i == 0:
                emit(sent=min(step, len(body)))
                hold(pause, pause_timeout, say=False)
                pause = None
    if tail:
        time.sleep(delay)
        conn.send(tail)


def answer(conn, req):
    r = conn.getresponse()
    data = r.read().decode(errors="replace")
    emit(req=req, status=r.status, body=data)
    return 200 <= r.status < 300


def hold(path, timeout, say=True):
    if not path:
        return
    if say:
        emit(held=True)
    end = time.time() + timeout
    while not os.path.exists(path) and time.time() < end:
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--data", action="append", default=[])
    ap.add_argument("--data-file", action="append", default=[],
                    help="a body read from FILE (after the --data ones): bodies past 128 KiB")
    ap.add_argument("--mode", choices=["urllib", "split", "keepalive"], default="urllib")
    ap.add_argument("--split", action="store_true", help="keepalive: send each body like split mode")
    ap.add_argument("--chunks", type=int, default=2)
    ap.add_argument("--chunk-delay", type=float, default=0.2)
    ap.add_argument("--last", type=int, default=0,
                    help="split: the body's last N bytes in a write of their own")
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--repeat", type=int, default=0, help="N requests on one keep-alive connection")
    ap.add_argument("--between", help="keepalive: before each request after the first, wait for this file")
    ap.add_argument("--pause", help="split: after the body's first write, wait for this file")
    ap.add_argument("--hold")
    ap.add_argument("--hold-timeout", type=float, default=60)
    args = ap.parse_args()
    u = urlsplit(args.url)
    bodies = [d.encode() for d in args.data] + \
        [open(f, "rb").read() for f in args.data_file] or [None]

    if args.repeat:
        args.mode = "keepalive"
        bodies = bodies[:1] * args.repeat

    if args.mode == "urllib":
        body = bodies[0]
        req = urllib.request.Request(args.url, data=body, headers=parse_headers(args.header, body))
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                data = r.read().decode(errors="replace")
                emit(req=0, status=r.status, body=data)
                hold(args.hold, args.hold_timeout)
        except urllib.error.HTTPError as e:
            emit(req=0, status=e.code, body=e.read().decode(errors="replace"))
            return 1
        except (OSError, urllib.error.URLError, http.client.HTTPException) as e:
            return report_error(e)
        return 0

    ok = failed = 0
    rc = 0
    conn = None
    for i, body in enumerate(bodies):
        headers = parse_headers(args.header, body)
        if i and args.between:
            hold(args.between, args.hold_timeout)
        try:
            if conn is None or args.mode == "split":
                if conn is not None:
                    conn.close()
                conn = connect(u)
            if args.mode == "split" or args.split:
                send_split(conn, u, body, headers, args.chunks, args.chunk_delay,
                           args.pause, args.hold_timeout, args.last)
            else:
                conn.request("POST" if body is not None else "GET", u.path or "/", body=body, headers=headers)
            if answer(conn, i):
                ok += 1
            else:
                failed += 1
                rc = rc or 1
        except (OSError, http.client.HTTPException) as e:
            failed += 1
            r = report_error(e, i)
            rc = rc or r
            if args.mode == "keepalive":
                # The connection is dead to the provider: later requests on
                # it would fail too. Keep going so the output shows the
                # process is still alive, but say what happened.
                conn.close()
    hold(args.hold, args.hold_timeout)
    if conn is not None:
        conn.close()
    emit(done=True, ok=ok, failed=failed)
    return rc


if __name__ == "__main__":
    sys.exit(main())
