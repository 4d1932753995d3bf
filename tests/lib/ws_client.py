#!/usr/bin/python3
"""A WebSocket client for Aspen's e2e tests: python3-websockets (Debian's
10.4, so run it with /usr/bin/python3), the Responses API over a WebSocket
as the Codex CLI speaks it.

  ws_client.py [--compression deflate|none] URL STEP...

The CA is taken from SSL_CERT_FILE. Steps, in order, on one connection:
  create:MODEL   {"type":"response.create","model":MODEL,...}; waits for
                 response.completed
  frag:MODEL     the same message sent in three fragments (continuation frames)
  key:MODEL      a response.create whose input holds an AWS access key id
  ssn:MODEL      a response.create whose input holds an SSN (123-45-6789)
  nomodel        {"type":"response.cancel"} (names no model, gets no answer),
                 then a ping whose pong says the provider read it
  session:MODEL  a Realtime {"type":"session.update","session":{"model":MODEL}},
                 then a ping
  big:MODEL:N    a response.create of about N bytes (the model first, then
                 the input), sent in one write; waits for response.completed
  ping           a ping, waiting for its pong
One JSON line per step: {"step", "events": [types]} or {"step", "error"};
the first error ends the run with status 1. --compression deflate offers
permessage-deflate (websockets' default); none (default here) does not.
"""
import argparse
import asyncio
import json
import ssl
import sys

import websockets

KEY = "AKIA" + "ZZ7Q3XNV2L5W8P4J"  # the shape of an AWS access key id, not a real one


def create(model, text="hi"):
    return json.dumps({"type": "response.create", "model": model, "store": False, "stream": True,
                       "input": [{"type": "message", "role": "user",
                                  "content": [{"type": "input_text", "text": text}]}]})


async def until_completed(ws):
    types = []
    while True:
        ev = json.loads(await asyncio.wait_for(ws.recv(), 5))
        types.append(ev.get("type"))
        if ev.get("type") == "response.completed":
            return types


async def run(url, steps, compression):
    ctx = ssl.create_default_context()
    async with websockets.connect(url, ssl=ctx, compression=compression, open_timeout=5,
                                  close_timeout=2, max_size=None) as ws:
        for step in steps:
            kind, _, model = step.partition(":")
            try:
                if kind == "create":
                    await ws.send(create(model))
                    out = {"events": await until_completed(ws)}
                elif kind == "frag":
                    msg = create(model)
                    third = len(msg) // 3
                    await ws.send([msg[:third], msg[third:2 * third], msg[2 * third:]])
                    out = {"events": await until_completed(ws)}
                elif kind == "big":
                    model, _, n = model.partition(":")
                    await ws.send(create(model, "x" * int(n)))
                    out = {"events": await until_completed(ws)}
                elif kind == "session":
                    await ws.send(json.dumps({"type": "session.update",
                                              "session": {"type": "realtime", "model": model,
                                                          "instructions": "be brief"}}))
                    await asyncio.wait_for(await ws.ping(), 5)
                    out = {"pong": True}
                elif kind in ("key", "ssn"):
                    secret = KEY if kind == "key" else "123-45-6789"
                    await ws.send(create(model, "my %s is %s keep it" % (kind, secret)))
                    out = {"events": await until_completed(ws)}
                elif kind in ("nomodel", "ping"):
                    if kind == "nomodel":
                        await ws.send(json.dumps({"type": "response.cancel"}))
                    await asyncio.wait_for(await ws.ping(), 5)
                    out = {"pong": True}
                else:
                    raise SystemExit(f"unknown step {step}")
            except Exception as e:  # the connection cut by a deny, a timeout
                print(json.dumps({"step": step, "error": type(e).__name__}), flush=True)
                return 1
            print(json.dumps(dict(out, step=step)), flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compression", choices=["deflate", "none"], default="none")
    ap.add_argument("url")
    ap.add_argument("steps", nargs="+")
    a = ap.parse_args()
    try:
        rc = asyncio.run(run(a.url, a.steps, None if a.compression == "none" else "deflate"))
    except Exception as e:
        print(json.dumps({"error": type(e).__name__, "message": str(e)[:200]}), flush=True)
        rc = 1
    sys.exit(rc)


if __name__ == "__main__":
    main()
