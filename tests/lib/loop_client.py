#!/usr/bin/env python3
"""loop_client.py URL STOPFILE MODEL...: one process making chat completion
requests in a loop, each on a new HTTPS connection, cycling through the
MODELs, until STOPFILE exists (at most --max seconds, default 120). Trusts
SSL_CERT_FILE. Prints one JSON line per request, flushed:
  {"t": <unix time>, "i": N, "model": M, "ok": true, "status": 200}
  {"t": ..., "i": N, "model": M, "ok": false, "error": NAME, "errno": E}
Used by the e2e tests of what stays enforced while aspend dies and restarts
(the process is probed once, at its first connection)."""

import http.client
import json
import os
import ssl
import sys
import time
from urllib.parse import urlsplit


def main():
    args = sys.argv[1:]
    interval, limit = 0.05, 120.0
    while args and args[0].startswith("--"):
        opt, val = args[0], float(args[1])
        args = args[2:]
        if opt == "--interval":
            interval = val
        elif opt == "--max":
            limit = val
    url, stop, models = args[0], args[1], args[2:]
    u = urlsplit(url)
    ctx = ssl.create_default_context()
    start, i = time.time(), 0
    # Each connection's SSL object is freed before the next is made: its
    # address is usually reused (test_tls_keepalive checks that the byte
    # ledger starts afresh then). Bounded by --max.
    while not os.path.exists(stop) and time.time() - start < limit:
        model = models[i % len(models)]
        body = json.dumps({"model": model, "messages": [{"role": "user", "content": "loop"}]})
        line = {"t": time.time(), "i": i, "model": model}
        try:
            conn = None
            conn = http.client.HTTPSConnection(u.hostname, u.port or 443, timeout=10, context=ctx)
            conn.request("POST", u.path or "/", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            line.update(ok=200 <= resp.status < 300, status=resp.status)
            conn.close()
        except Exception as e:  # a denied request fails; the loop goes on
            line.update(ok=False, error=type(e).__name__, errno=getattr(e, "errno", None))
        if conn is not None and conn.sock is not None:
            conn.close()
        print(json.dumps(line), flush=True)
        i += 1
        time.sleep(interval)


main()
