#!/usr/bin/env python3
"""A fake OpenTelemetry collector (OTLP/HTTP JSON logs) for the e2e tests.

Usage: fake_otlp.py ADDR:PORT LOG READY [FAIL_FIRST]
Accepts POST /v1/logs with Content-Type application/json, answers 200 {},
and appends every log record it received to LOG as one JSON line:
  {"resource": {key: value}, "scope": name, "time": "...", "severity": N,
   "body": "...", "attributes": {key: value}}
with OTLP AnyValues flattened (stringValue -> str, intValue -> int, ...).
A body that is not an ExportLogsServiceRequest is answered 400 and logged
as {"error": "..."}. The first FAIL_FIRST requests (default 0) are
answered 503, a collector busy for a moment, and logged as {"refused": 503}.
Writes READY once listening.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def value(v):
    for k in ("stringValue", "boolValue", "doubleValue"):
        if k in v:
            return v[k]
    if "intValue" in v:
        return int(v["intValue"])
    raise ValueError(f"unknown AnyValue {v}")


def attrs(lst):
    out = {}
    for a in lst:
        if a["key"] in out:
            raise ValueError(f"duplicate attribute {a['key']}")
        out[a["key"]] = value(a["value"])
    return out


def records(req):
    for rl in req["resourceLogs"]:
        res = attrs(rl["resource"]["attributes"])
        for sl in rl["scopeLogs"]:
            for r in sl["logRecords"]:
                yield {"resource": res, "scope": sl["scope"]["name"],
                       "time": r["timeUnixNano"], "severity": r["severityNumber"],
                       "body": r["body"]["stringValue"], "attributes": attrs(r["attributes"])}


class Handler(BaseHTTPRequestHandler):
    refuse = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if Handler.refuse > 0:
            Handler.refuse -= 1
            self._log(json.dumps({"refused": 503}))
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            if self.path != "/v1/logs":
                raise ValueError(f"path {self.path}")
            if self.headers.get("Content-Type") != "application/json":
                raise ValueError(f"content type {self.headers.get('Content-Type')}")
            out = [json.dumps(r) for r in records(json.loads(body))]
        except (ValueError, KeyError, TypeError) as e:
            self._log(json.dumps({"error": str(e)}))
            self.send_response(400)
            self.end_headers()
            return
        self._log("\n".join(out))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def _log(self, text):
        if text:
            with open(sys.argv[2], "a") as f:
                f.write(text + "\n")

    def log_message(self, *args):
        pass


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    Handler.refuse = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    srv = HTTPServer((host, int(port)), Handler)
    open(sys.argv[3], "w").close()
    srv.serve_forever()


if __name__ == "__main__":
    main()
