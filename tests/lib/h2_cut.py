#!/usr/bin/env python3
"""One HTTP/2 chat request whose body is cut where the tests need it:
h2_cut.py BODY AT [--back N] [--delay S] [--one-frame] [--with BODY2]

The cut is N bytes before the first occurrence of AT in BODY. The body goes
in two DATA frames, cut there: with --delay 0 (the default) both in one
write (the frame header sits between the two parts), with S > 0 the second
frame is its own write, S seconds later. --one-frame: one DATA frame, its
bytes cut into two writes S seconds apart (the second write begins
mid-frame, with no frame header). --with BODY2: a second stream (3), its
HEADERS in the first write, its whole body in the last one, beside the
first stream's rest. Prints "status NNN" and exits 0 when the response arrives, prints
"error NAME" and exits 1 when the connection fails. SSL_CERT_FILE: the CA."""
import argparse
import sys
import time

from parse_fuzz import H2


def wait_status(c):
    """prints the response's status (OSError when the connection fails)"""
    while True:
        for ev in c.pump():
            if type(ev).__name__ == "ResponseReceived":
                print("status", dict(ev.headers)[b":status"].decode())
                return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("body")
    ap.add_argument("at")
    ap.add_argument("--back", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--one-frame", action="store_true")
    ap.add_argument("--with", dest="with_")
    a = ap.parse_args()
    raw = a.body.encode()
    k = raw.index(a.at.encode()) - a.back
    c = H2("api.openai.com")
    for sid in (1, 3) if a.with_ else (1,):
        c.c.send_headers(sid, [(":method", "POST"), (":path", "/v1/chat/completions"), (":scheme", "https"),
                               (":authority", "api.openai.com"), ("content-type", "application/json")])
    if a.one_frame:
        c.c.send_data(1, raw, end_stream=True)
        out = c.c.data_to_send()
        cut = len(out) - (len(raw) - k)  # the DATA frame is the last thing in out
        writes = [out[:cut], out[cut:]]
    else:
        c.c.send_data(1, raw[:k])
        first = c.c.data_to_send()
        c.c.send_data(1, raw[k:], end_stream=True)
        writes = [first, c.c.data_to_send()] if a.delay > 0 else [first + c.c.data_to_send()]
    if a.with_:
        c.c.send_data(3, a.with_.encode(), end_stream=True)
        writes[-1] += c.c.data_to_send()
    try:
        for i, w in enumerate(writes):
            if i:
                time.sleep(a.delay)
            c.s.sendall(w)
        return wait_status(c)
    except OSError as e:
        print("error", type(e).__name__)
        return 1


if __name__ == "__main__":
    sys.exit(main())
