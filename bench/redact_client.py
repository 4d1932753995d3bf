#!/usr/bin/env python3
"""Latency of N keep-alive POSTs, each body built afresh (so a redaction
that rewrites the writer's buffer in place cannot carry over to the next
request). usage: redact_client.py HOST PORT N pii|clean -> "p50_us p99_us".
REDACT_LINES=1: the text's sentences on lines of their own (a newline, so
the JSON body holds \n escapes, as multi-line prompts do: aspend then
searches the body decoded, runtime/lib/rt_jview.c)."""
import http.client
import json
import os
import ssl
import sys
import time

host, port, n, kind = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context()
conn = http.client.HTTPSConnection(host, port, context=ctx)
lat = []
for i in range(n):
    sep = "\n" if os.environ.get("REDACT_LINES") == "1" else " "
    text = ("Summarise the quarterly report section %d." % i + sep) * 20
    if kind == "pii":
        text += "The customer ssn is 123-45-%04d." % (1000 + i % 9000)
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]})
    t0 = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    conn.getresponse().read()
    lat.append((time.perf_counter() - t0) * 1e6)
lat.sort()
print("%.0f %.0f" % (lat[len(lat) // 2], lat[len(lat) * 99 // 100]))
