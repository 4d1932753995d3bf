#!/usr/bin/env python3
"""http_client.py URL [--data BODY] [--repeat N]: an HTTPS client for the e2e
tests (urllib, or http.client keep-alive with --repeat). Trusts SSL_CERT_FILE.

Prints one JSON line per request: {"pid", "status", "body"} on an answer,
{"pid", "error", "errno", "message"} on failure. Exit status: 0 all answered
2xx, 7 connection refused/not permitted (like curl), 1 anything else."""

import argparse
import errno
import http.client
import json
import os
import ssl
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit


def report_error(e):
    cause = e.reason if isinstance(e, urllib.error.URLError) and isinstance(e.reason, OSError) else e
    print(json.dumps({"pid": os.getpid(), "error": type(cause).__name__,
                      "errno": getattr(cause, "errno", None), "message": str(cause)}), flush=True)
    if isinstance(cause, (PermissionError, ConnectionRefusedError)) or \
            getattr(cause, "errno", None) in (errno.EPERM, errno.EACCES, errno.ECONNREFUSED):
        return 7
    return 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--data")
    ap.add_argument("--repeat", type=int, default=0, help="N requests on one keep-alive connection")
    args = ap.parse_args()
    body = args.data.encode() if args.data is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    rc = 0
    try:
        if args.repeat:
            u = urlsplit(args.url)
            conn = http.client.HTTPSConnection(u.hostname, u.port or 443, timeout=15,
                                               context=ssl.create_default_context())
            for _ in range(args.repeat):
                conn.request("POST" if body is not None else "GET", u.path or "/", body=body, headers=headers)
                r = conn.getresponse()
                data = r.read().decode(errors="replace")
                print(json.dumps({"pid": os.getpid(), "status": r.status, "body": data}), flush=True)
                if not 200 <= r.status < 300:
                    rc = 1
        else:
            req = urllib.request.Request(args.url, data=body, headers=headers)
            with urllib.request.urlopen(req, timeout=15) as r:
                data = r.read().decode(errors="replace")
                print(json.dumps({"pid": os.getpid(), "status": r.status, "body": data}), flush=True)
    except urllib.error.HTTPError as e:
        print(json.dumps({"pid": os.getpid(), "status": e.code, "body": e.read().decode(errors="replace")}))
        return 1
    except (OSError, urllib.error.URLError, http.client.HTTPException) as e:
        return report_error(e)
    return rc


if __name__ == "__main__":
    sys.exit(main())
