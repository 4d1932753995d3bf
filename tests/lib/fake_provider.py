#!/usr/bin/env python3
"""A fake AI provider for Aspen's end-to-end tests (python3 stdlib only).

Serves HTTPS (HTTP/1.1, keep-alive) on every --listen ADDR:PORT with one
certificate, and optionally plain UDP on --udp ADDR:PORT, and records every
byte it receives so that tests can assert what arrived, or that nothing did.

  POST /v1/chat/completions   OpenAI-shaped answer (usage.prompt_tokens, ...)
  POST /v1/messages           Anthropic-shaped answer (usage.input_tokens, ...)
                              (Claude Code: /v1/messages?beta=true, streamed)
  POST /v1/responses          OpenAI Responses API: the completed response, or
                              with "stream": true SSE from response.created to
                              response.completed (the Codex CLI's HTTP fallback)
  GET  /v1/responses + Upgrade: websocket
                              the Responses API over a WebSocket (the Codex
                              CLI's default): 101, then each text message
                              {"type":"response.create","model":..} is logged
                              as a request (method "WS", proto "ws") and
                              answered with the same events, a frame each
  POST .../models/M:generateContent, :countTokens, :streamGenerateContent
                              Gemini; ?alt=sse streams (the Gemini CLI); the
                              path's model is logged when the body has none
  GET  /                      200 "ok"
  anything else               404 JSON error

A body with "stream": true gets a server-sent-events answer (chunked, one
event per write): OpenAI chat.completion.chunk events whose last data chunk
carries usage, then "data: [DONE]"; Anthropic message_start (input_tokens) ...
message_delta (usage with input_tokens and output_tokens) ... message_stop.
Usage: input tokens = max(1, body bytes // 4), output tokens 5 (3 streamed);
each request's values are in its log record (tokens_in, tokens_out).
Request bodies may be chunked (Transfer-Encoding) and gzip-compressed
(Content-Encoding: gzip, decompressed to read the JSON). Expect: 100-continue
is answered with 100 before the body is read (http.server does it).

Recording, under --outdir (ADDR is the listening address, e.g. 127.0.0.2 or ::1):
  OUTDIR/ADDR/conn-N.raw      every plaintext byte read on TLS connection N
  OUTDIR/ADDR/N.req           the raw bytes of request N (head + body)
  OUTDIR/ADDR/udp.raw         every UDP payload byte received
  OUTDIR/log.jsonl            one JSON object per event:
      {"event":"accept","addr":..,"peer":..,"peer_port":N,"conn":N}
      {"event":"tls_error","addr":..,"conn":N,"error":..}
      {"event":"request","addr":..,"conn":N,"req":N,"method":..,"path":..,
       "host":..,"bytes":N,"body_bytes":N,"file":..,"model":..|null,
       "user":..|null,"stream":true|false,"encoding":..|null,
       "chunked":bool,"expect":bool,"tokens_in":N|null,"tokens_out":N|null}
         (a complete request: head and whole body; bytes = head + body as sent)
      {"event":"partial_request", same fields}
         (the connection ended before the whole body arrived: not answered)
      {"event":"close","addr":..,"conn":N,"bytes":N}
      {"event":"udp","addr":..,"peer":..,"bytes":N}
A TCP connection is logged ("accept") before the TLS handshake, so a test can
tell "no connection at all" from "connection but no request".

--h2: also offer HTTP/2 by ALPN ("h2" first; needs Debian's python3-h2, so
run it with /usr/bin/python3). An h2 connection is recorded the same way
(conn-N.raw: every plaintext byte), each stream a "request" event with
"proto":"h2" and "h2_stream":N; POSTs to /v1/chat/completions and
/v1/messages answer as above ("stream": true to /v1/chat/completions:
server-sent events, one DATA frame each), anything else 404.
--h2-window N: the flow-control window the server grants the client: its
first SETTINGS says SETTINGS_INITIAL_WINDOW_SIZE N, followed (same write) by
a connection WINDOW_UPDATE of N - 65535. Default: HTTP/2's initial 65,535.

A request with the header X-Aspen-Test-Stall: FILE is not read past its head
until FILE exists (at most 60 s): a provider that stops reading, whose TCP
window fills (tests of what waits on it). Over HTTP/2 nothing more is read
on the connection until then.

--ready-file is written once every socket listens. SIGTERM/SIGINT: exit 0.
"""

import argparse
import gzip
import io
import itertools
import json
import re
import os
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_log_lock = threading.Lock()
_conn_ids = itertools.count(1)


def split_addr(spec):
    """'127.0.0.2:443' or '[::1]:443' -> ('127.0.0.2', 443)."""
    host, _, port = spec.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"bad address {spec!r}, want IP:PORT or [IPv6]:PORT")
    return host, int(port)


class Recorder:
    def __init__(self, outdir):
        self.outdir = outdir
        os.makedirs(outdir, exist_ok=True)
        self.log_path = os.path.join(outdir, "log.jsonl")

    def dir_for(self, addr):
        d = os.path.join(self.outdir, addr)
        os.makedirs(d, exist_ok=True)
        return d

    def log(self, **event):
        event["ts"] = time.time()
        line = json.dumps(event, sort_keys=True) + "\n"
        with _log_lock, open(self.log_path, "a") as f:
            f.write(line)


class TeeRaw(io.RawIOBase):
    """Reads from a socket and appends every byte to the connection file."""

    def __init__(self, sock, sink):
        self.sock = sock
        self.sink = sink
        self.total = 0

    def readable(self):
        return True

    def readinto(self, b):
        try:
            n = self.sock.recv_into(b)
        except (ConnectionError, ssl.SSLError, OSError):
            return 0
        if n:
            self.sink.write(bytes(b[:n]))
            self.sink.flush()
            self.total += n
        return n


class TeeConsumed:
    """Wraps the buffered reader; collects the bytes a request consumed."""

    def __init__(self, inner):
        self.inner = inner
        self.current = bytearray()

    def readline(self, *a):
        data = self.inner.readline(*a)
        self.current += data
        return data

    def read(self, *a):
        data = self.inner.read(*a)
        self.current += data
        return data

    def __getattr__(self, name):
        return getattr(self.inner, name)


def responses_events(model, name, tin, tout):
    """The OpenAI Responses API stream of one answer, as (type, object) pairs,
    from response.created to response.completed (what the Codex CLI reads,
    over SSE and over its WebSocket alike)."""
    rid, mid = "resp_aspen_test", "msg_aspen_test"
    text = f"hello from fake {name}"
    base = {"id": rid, "object": "response", "created_at": int(time.time()), "model": model,
            "status": "in_progress", "output": []}
    item = {"type": "message", "id": mid, "status": "in_progress", "role": "assistant", "content": []}
    part = {"type": "output_text", "text": "", "annotations": []}
    done_item = dict(item, status="completed", content=[dict(part, text=text)])
    usage = {"input_tokens": tin, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": tout,
             "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": tin + tout}
    evs = [("response.created", {"response": base}),
           ("response.in_progress", {"response": base}),
           ("response.output_item.added", {"output_index": 0, "item": item}),
           ("response.content_part.added", {"item_id": mid, "output_index": 0, "content_index": 0, "part": part})]
    for word in ["hello ", "from ", f"fake {name}"]:
        evs.append(("response.output_text.delta", {"item_id": mid, "output_index": 0, "content_index": 0,
                                                   "delta": word}))
    evs += [("response.output_text.done", {"item_id": mid, "output_index": 0, "content_index": 0, "text": text}),
            ("response.content_part.done", {"item_id": mid, "output_index": 0, "content_index": 0,
                                            "part": dict(part, text=text)}),
            ("response.output_item.done", {"output_index": 0, "item": done_item}),
            ("response.completed", {"response": dict(base, status="completed", output=[done_item], usage=usage)})]
    return [dict(obj, type=kind, sequence_number=i) for i, (kind, obj) in enumerate(evs)]


def ws_frame(opcode, payload):
    """One unmasked (server) RFC 6455 frame, FIN set."""
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 127]) + n.to_bytes(8, "big")
    return head + payload


def ws_read_frame(rfile, rsv=None):
    """(fin, opcode, payload) of one client frame (unmasked here), or None at
    the end of the connection or on a frame a client must not send. rsv, a
    list: its one element becomes the frame's RSV bits."""
    head = rfile.read(2)
    if len(head) < 2:
        return None
    fin, opcode, masked, n = head[0] >> 7, head[0] & 0x0F, head[1] >> 7, head[1] & 0x7F
    if rsv is not None:
        rsv[:] = [(head[0] >> 4) & 7]
    if n == 126:
        ext = rfile.read(2)
        n = int.from_bytes(ext, "big") if len(ext) == 2 else -1
    elif n == 127:
        ext = rfile.read(8)
        n = int.from_bytes(ext, "big") if len(ext) == 8 else -1
    if n < 0 or not masked:
        return None
    key = rfile.read(4)
    data = rfile.read(n) if n else b""
    if len(key) < 4 or len(data) < n:
        return None
    return fin, opcode, bytes(b ^ key[i % 4] for i, b in enumerate(data))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aspen-fake-provider/1"
    timeout = 30

    def setup(self):
        srv = self.server
        self.conn_id = next(_conn_ids)
        self.addr = srv.listen_addr
        self.rec = srv.recorder
        self.rec.log(event="accept", addr=self.addr, peer=str(self.client_address[0]),
                     peer_port=self.client_address[1], port=srv.server_address[1], conn=self.conn_id)
        self.connection = self.request
        self.request.settimeout(self.timeout)
        # TCP_NODELAY, as real servers set it: an answer's head and body are
        # two writes, and without it the body waited for the client's
        # delayed ACK (40 ms a request on a keep-alive connection)
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError) as e:
            self.rec.log(event="tls_error", addr=self.addr, conn=self.conn_id, error=str(e))
            self.handshake_ok = False
        else:
            self.handshake_ok = True
        d = self.rec.dir_for(self.addr)
        self.sink = open(os.path.join(d, f"conn-{self.conn_id}.raw"), "wb")
        self.raw = TeeRaw(self.request, self.sink)
        self.rfile = TeeConsumed(io.BufferedReader(self.raw))
        self.wfile = socketserver._SocketWriter(self.request)
        self.req_no = 0

    def handle(self):
        if not self.handshake_ok:
            return
        if self.request.selected_alpn_protocol() == "h2":
            self.handle_h2()
            return
        super().handle()

    def handle_h2(self):
        """One HTTP/2 connection (python3-h2): every stream answered when it ends."""
        import h2.config
        import h2.connection
        import h2.events

        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
        win = self.server.h2_window
        if win:
            import h2.settings
            codes = h2.settings.SettingCodes
            conn.local_settings = h2.settings.Settings(client=False, initial_values={
                codes.MAX_CONCURRENT_STREAMS: 100, codes.MAX_HEADER_LIST_SIZE: 65536,
                codes.INITIAL_WINDOW_SIZE: win})
        conn.initiate_connection()
        if win and win > 65535:
            conn.increment_flow_control_window(win - 65535)
        self.request.sendall(conn.data_to_send())
        streams = {}
        while True:
            try:
                data = self.request.recv(65536)
            except (OSError, ssl.SSLError):
                break
            if not data:
                break
            self.sink.write(data)
            self.sink.flush()
            self.raw.total += len(data)
            try:
                events = conn.receive_data(data)
            except Exception as e:  # a protocol error: log it, drop the connection
                self.rec.log(event="h2_error", addr=self.addr, conn=self.conn_id, error=str(e))
                break
            for ev in events:
                if isinstance(ev, h2.events.RequestReceived):
                    streams[ev.stream_id] = {"headers": dict((k.decode(), v.decode(errors="replace"))
                                                              for k, v in ev.headers), "body": bytearray()}
                    self._stall_until(streams[ev.stream_id]["headers"].get("x-aspen-test-stall"))
                elif isinstance(ev, h2.events.DataReceived):
                    st = streams.get(ev.stream_id)
                    if st is not None:
                        st["body"] += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    st = streams.pop(ev.stream_id, None)
                    if st is not None:
                        self._h2_answer(conn, ev.stream_id, st)
                elif isinstance(ev, h2.events.StreamReset):
                    st = streams.pop(ev.stream_id, None)
                    if st is not None:
                        self._h2_record(ev.stream_id, st, "partial_request")
            out = conn.data_to_send()
            if out:
                try:
                    self.request.sendall(out)
                except (OSError, ssl.SSLError):
                    break
        for sid, st in streams.items():
            self._h2_record(sid, st, "partial_request")

    def _h2_record(self, sid, st, event, **extra):
        h = st["headers"]
        body = bytes(st["body"])
        self.headers = {"Content-Encoding": h.get("content-encoding")}
        _, fields = self._request_fields(body)
        fields.pop("chunked", None)
        fields.pop("expect", None)
        d = self.rec.dir_for(self.addr)
        n = self.server.next_req()
        path = os.path.join(d, f"{n}.req")
        with open(path, "wb") as f:
            f.write(body)
        self.rec.log(event=event, addr=self.addr, conn=self.conn_id, req=n, proto="h2", h2_stream=sid,
                     method=h.get(":method"), path=h.get(":path"), host=h.get(":authority"),
                     bytes=len(body), body_bytes=len(body), file=path, chunked=False, expect=False,
                     **fields, **extra)
        return fields

    def _h2_answer(self, conn, sid, st):
        h = st["headers"]
        body = bytes(st["body"])
        path = h.get(":path", "")
        name = self.server.provider_name
        tin = max(1, len(body) // 4)
        try:
            streamed = json.loads(body).get("stream") is True
        except (ValueError, AttributeError):
            streamed = False
        if h.get(":method") == "POST" and path.startswith("/v1/chat/completions") and streamed:
            # "stream": true: server-sent events, one DATA frame each
            fields = self._h2_record(sid, st, "request", tokens_in=tin, tokens_out=3)
            usage = {"prompt_tokens": tin, "completion_tokens": 3, "total_tokens": tin + 3}
            conn.send_headers(sid, [(":status", "200"), ("content-type", "text/event-stream")])
            for ev in chat_sse_events(fields["model"], name, usage):
                conn.send_data(sid, ev.encode())
            conn.end_stream(sid)
            return
        if h.get(":method") == "POST" and (path.startswith("/v1/chat/completions") or path.startswith("/v1/messages")):
            fields = self._h2_record(sid, st, "request", tokens_in=tin, tokens_out=5)
            payload = {"id": "aspen-test-h2", "model": fields["model"],
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": f"hello from fake {name}"}}],
                       "usage": {"prompt_tokens": tin, "completion_tokens": 5, "total_tokens": tin + 5}}
            status = 200
        else:
            self._h2_record(sid, st, "request", tokens_in=None, tokens_out=None)
            payload = {"error": {"message": "not found", "type": "invalid_request_error"}}
            status = 200 if path == "/" else 404
        data = json.dumps(payload).encode()
        conn.send_headers(sid, [(":status", str(status)), ("content-type", "application/json"),
                                ("content-length", str(len(data)))])
        conn.send_data(sid, data, end_stream=True)

    def finish(self):
        try:
            self.wfile.flush()
        except OSError:
            pass
        self.sink.close()
        self.rec.log(event="close", addr=self.addr, conn=self.conn_id, bytes=self.raw.total)

    def log_message(self, fmt, *args):  # keep the test output quiet
        pass

    def _record_request(self, body, event="request", **fields):
        d = self.rec.dir_for(self.addr)
        n = self.server.next_req()
        path = os.path.join(d, f"{n}.req")
        raw = bytes(self.rfile.current)
        with open(path, "wb") as f:
            f.write(raw)
        self.rfile.current = bytearray()
        self.rec.log(event=event, addr=self.addr, conn=self.conn_id, req=n,
                     method=self.command, path=self.path, host=self.headers.get("Host"),
                     bytes=len(raw), body_bytes=len(body), file=path, **fields)

    def _read_body(self):
        """(body, complete): the body as sent (chunked framing removed).
        http.server already answered Expect: 100-continue."""
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            body = bytearray()
            while True:
                line = self.rfile.readline(65537)
                if not line.endswith(b"\n"):
                    return bytes(body), False
                try:
                    size = int(line.split(b";")[0].strip() or b"x", 16)
                except ValueError:
                    return bytes(body), False
                if size == 0:
                    while True:  # trailers up to the empty line
                        t = self.rfile.readline(65537)
                        if not t.endswith(b"\n"):
                            return bytes(body), False
                        if t in (b"\r\n", b"\n"):
                            return bytes(body), True
                data = self.rfile.read(size)
                body += data
                if len(data) < size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                    return bytes(body), False
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        return body, len(body) == n

    def _request_fields(self, body):
        enc = (self.headers.get("Content-Encoding") or "").lower() or None
        plain = body
        if enc in ("gzip", "x-gzip"):
            try:
                plain = gzip.decompress(body)
            except (OSError, EOFError, zlib.error):
                plain = b""
        try:
            req = json.loads(plain or b"{}")
        except ValueError:
            req = {}
        if not isinstance(req, dict):
            req = {}
        model = req.get("model") if isinstance(req.get("model"), str) else None
        user = req.get("user")
        meta = req.get("metadata")
        if user is None and isinstance(meta, dict):
            user = meta.get("user_id")
        return req, {
            "model": model,
            "user": user if isinstance(user, str) else None,
            "stream": req.get("stream") is True,
            "encoding": enc,
            "chunked": "chunked" in (self.headers.get("Transfer-Encoding") or "").lower(),
            "expect": (self.headers.get("Expect") or "").lower() == "100-continue",
        }

    def _reply(self, status, payload, ctype="application/json"):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _reply_sse(self, events):
        """A text/event-stream answer, chunked, one event per write."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for ev in events:
            data = ev.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            time.sleep(0.01)
        self.wfile.write(b"0\r\n\r\n")

    def do_GET(self):
        if (self.headers.get("Upgrade") or "").lower() == "websocket" and self.path.startswith("/v1/responses"):
            self.handle_websocket()
            return
        self._record_request(b"")
        if self.path == "/":
            self._reply(200, b"ok\n", "text/plain")
        else:
            self._reply(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def handle_websocket(self):
        """The Responses API over a WebSocket (the Codex CLI's default
        transport): 101, then every text message {"type": "response.create",
        "model": ...} is recorded as a request (proto "ws", method "WS") and
        answered with the response.* events, one text frame each. Ping is
        answered with pong, close with close. permessage-deflate is accepted
        when the client offers it and the path's query has deflate=1 (the
        client's compressed messages, RSV1, are inflated to be recorded);
        no other extension is."""
        import base64
        import hashlib
        key = (self.headers.get("Sec-WebSocket-Key") or "").strip()
        self._record_request(b"", proto="ws_upgrade")
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        deflate = ("deflate=1" in self.path.partition("?")[2] and
                   "permessage-deflate" in (self.headers.get("Sec-WebSocket-Extensions") or ""))
        inflater = zlib.decompressobj(-15) if deflate else None
        self.wfile.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         + (b"Sec-WebSocket-Extensions: permessage-deflate\r\n" if deflate else b"")
                         + b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        self.close_connection = True
        self.command = "WS"  # the messages' records: method "WS"
        msg, msg_op, compressed, rsv = bytearray(), None, False, [0]
        while True:
            fr = ws_read_frame(self.rfile, rsv)
            if fr is None:
                if self.rfile.current:  # a message cut short
                    self._record_ws(bytes(msg), "partial_request")
                return
            fin, op, data = fr
            if op == 0x8:  # close
                self.wfile.write(ws_frame(0x8, data[:2]))
                return
            if op == 0x9:  # ping
                self.wfile.write(ws_frame(0xA, data))
                continue
            if op == 0xA:
                continue
            if op in (0x1, 0x2):
                msg, msg_op, compressed = bytearray(data), op, bool(rsv[0] & 4)
            else:  # continuation
                msg += data
            if not fin:
                continue
            if compressed:
                if inflater is None:  # RSV1 without the extension: a protocol error
                    self._record_ws(bytes(msg), "partial_request")
                    return
                msg = bytearray(inflater.decompress(bytes(msg) + b"\x00\x00\xff\xff"))
            req, fields = self._record_ws(bytes(msg), "request")
            if msg_op == 0x1 and req.get("type") == "response.create":
                tin = max(1, len(msg) // 4)
                for ev in responses_events(fields["model"] or "gpt-4o-mini", self.server.provider_name, tin, 5):
                    self.wfile.write(ws_frame(0x1, json.dumps(ev).encode()))
            msg = bytearray()

    def _record_ws(self, msg, event):
        self.headers = {}
        req, fields = self._request_fields(msg)
        fields.pop("chunked", None)
        fields.pop("expect", None)
        self._record_request(msg, event=event, proto="ws", ws_type=req.get("type"), chunked=False, expect=False,
                             tokens_in=max(1, len(msg) // 4), tokens_out=5, **fields)
        return req, fields

    def _stall(self):
        """X-Aspen-Test-Stall: FILE: read nothing more until FILE exists."""
        self._stall_until(self.headers.get("X-Aspen-Test-Stall"))

    @staticmethod
    def _stall_until(path):
        end = time.time() + 60
        while path and not os.path.exists(path) and time.time() < end:
            time.sleep(0.05)

    def do_POST(self):
        self._stall()
        body, complete = self._read_body()
        req, fields = self._request_fields(body)
        if not complete:
            self._record_request(body, event="partial_request", tokens_in=None, tokens_out=None, **fields)
            self.close_connection = True
            return
        name = self.server.provider_name
        tin = max(1, len(body) // 4)
        stream = fields["stream"]
        tout = 3 if stream else 5
        if self.path.startswith("/v1/chat/completions"):
            model = req.get("model", "gpt-4o-mini")
            self._record_request(body, tokens_in=tin, tokens_out=tout, **fields)
            usage = {"prompt_tokens": tin, "completion_tokens": tout, "total_tokens": tin + tout}
            if stream:
                self._reply_sse(chat_sse_events(model, name, usage))
                return
            self._reply(200, {
                "id": "chatcmpl-aspen-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant",
                                         "content": f"hello from fake {name}"}}],
                "usage": usage,
            })
        elif self.path.startswith("/v1/responses"):
            # the Responses API over HTTP (the Codex CLI's fallback): SSE
            # when "stream": true, else the completed response object
            model = req.get("model", "gpt-4o-mini")
            self._record_request(body, tokens_in=tin, tokens_out=5, **fields)
            events = responses_events(model, name, tin, 5)
            if stream:
                self._reply_sse([f"event: {ev['type']}\ndata: {json.dumps(ev)}\n\n" for ev in events])
                return
            self._reply(200, events[-1]["response"])
        elif self.path.startswith("/v1/messages"):
            model = req.get("model", "claude-sonnet-4")
            self._record_request(body, tokens_in=tin, tokens_out=tout, **fields)
            if stream:
                def ev(kind, obj):
                    return f"event: {kind}\ndata: {json.dumps(dict(obj, type=kind))}\n\n"
                events = [
                    ev("message_start", {"message": {
                        "id": "msg_aspen_test", "type": "message", "role": "assistant",
                        "model": model, "content": [], "stop_reason": None,
                        "usage": {"input_tokens": tin, "output_tokens": 1}}}),
                    ev("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
                ]
                for word in ["hello ", "from ", f"fake {name}"]:
                    events.append(ev("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": word}}))
                events += [
                    ev("content_block_stop", {"index": 0}),
                    ev("message_delta", {"delta": {"stop_reason": "end_turn"},
                                         "usage": {"input_tokens": tin, "output_tokens": tout}}),
                    ev("message_stop", {}),
                ]
                self._reply_sse(events)
                return
            self._reply(200, {
                "id": "msg_aspen_test",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": f"hello from fake {name}"}],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": tin, "output_tokens": tout},
            })
        elif re.search(r"/models/[^/]+:(generateContent|streamGenerateContent|countTokens)", self.path):
            # Gemini / Vertex AI: the model is in the path (recorded as
            # "model" when the body names none); ?alt=sse (the Gemini CLI's
            # streamGenerateContent) is answered with server-sent events
            m = re.search(r"/models/([^/:?]+):(\w+)", self.path)
            if fields["model"] is None:
                fields["model"] = m.group(1)
            sse = m.group(2) == "streamGenerateContent" and "alt=sse" in self.path
            self._record_request(body, tokens_in=tin, tokens_out=tout, **dict(fields, stream=sse or fields["stream"]))
            if m.group(2) == "countTokens":
                self._reply(200, {"totalTokens": tin})
                return
            usage = {"promptTokenCount": tin, "candidatesTokenCount": tout, "totalTokenCount": tin + tout}
            if sse:
                words = ["hello ", "from ", f"fake {name}"]
                events = []
                for i, word in enumerate(words):
                    cand = {"content": {"role": "model", "parts": [{"text": word}]}, "index": 0}
                    chunk = {"candidates": [cand], "modelVersion": m.group(1)}
                    if i == len(words) - 1:
                        cand["finishReason"] = "STOP"
                        chunk["usageMetadata"] = usage
                    events.append("data: " + json.dumps(chunk) + "\r\n\r\n")
                self._reply_sse(events)
                return
            self._reply(200, {
                "candidates": [{"content": {"role": "model", "parts": [{"text": f"hello from fake {name}"}]},
                                "finishReason": "STOP"}],
                "usageMetadata": usage,
            })
        elif re.match(r"/model/[^/]+/(invoke|converse)", self.path):
            # Bedrock runtime: the model id (URL-encoded) is in the path
            self._record_request(body, tokens_in=tin, tokens_out=tout, **fields)
            self._reply(200, {
                "output": {"message": {"role": "assistant", "content": [{"text": f"hello from fake {name}"}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": tin, "outputTokens": tout, "totalTokens": tin + tout},
            })
        else:
            self._record_request(body, tokens_in=None, tokens_out=None, **fields)
            self._reply(404, {"error": {"message": "not found", "type": "invalid_request_error"}})


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, port, ctx, recorder, provider_name):
        self.address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self.listen_addr = addr
        self.ctx = ctx
        self.recorder = recorder
        self.provider_name = provider_name
        self.h2_window = 0
        self._req_lock = threading.Lock()
        self._req = 0
        super().__init__((addr, port), Handler)

    def next_req(self):
        with self._req_lock:
            self._req += 1
            return self._req

    def get_request(self):
        sock, peer = self.socket.accept()
        # Handshake in the handler thread: a stuck client must not block accept().
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), peer


def serve_udp(addr, port, recorder, stop):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.settimeout(0.2)

    def loop():
        sink = open(os.path.join(recorder.dir_for(addr), "udp.raw"), "ab")
        while not stop.is_set():
            try:
                data, peer = s.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                break
            sink.write(data)
            sink.flush()
            recorder.log(event="udp", addr=addr, port=port, peer=str(peer[0]), bytes=len(data))
            try:
                s.sendto(b"ok\n", peer)
            except OSError:
                pass
        sink.close()
        s.close()

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    return t


def chat_sse_events(model, name, usage):
    """A streamed chat completion (SSE events), its usage in the last data chunk."""
    base = {"id": "chatcmpl-aspen-test", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": model}
    events = []
    for i, word in enumerate(["hello ", "from ", f"fake {name}"]):
        delta = {"content": word} if i else {"role": "assistant", "content": word}
        events.append("data: " + json.dumps(dict(base, choices=[
            {"index": 0, "delta": delta, "finish_reason": None}])) + "\n\n")
    events.append("data: " + json.dumps(dict(base, choices=[
        {"index": 0, "delta": {}, "finish_reason": "stop"}])) + "\n\n")
    events.append("data: " + json.dumps(dict(base, choices=[], usage=usage)) + "\n\n")
    events.append("data: [DONE]\n\n")
    return events


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", action="append", default=[], type=split_addr,
                    metavar="ADDR:PORT", help="HTTPS listener (repeatable)")
    ap.add_argument("--udp", action="append", default=[], type=split_addr,
                    metavar="ADDR:PORT", help="UDP recorder (repeatable)")
    ap.add_argument("--cert", required=True, help="server certificate chain (PEM)")
    ap.add_argument("--key", required=True, help="server key (PEM)")
    ap.add_argument("--outdir", required=True, help="where received bytes are recorded")
    ap.add_argument("--ready-file", help="written when every socket listens")
    ap.add_argument("--name", default="provider", help="provider name used in answers")
    ap.add_argument("--h2", action="store_true", help="offer HTTP/2 by ALPN too (python3-h2)")
    ap.add_argument("--h2-window", type=int, default=0, metavar="N",
                    help="HTTP/2: grant the client a flow-control window of N bytes")
    args = ap.parse_args()
    if not args.listen and not args.udp:
        ap.error("nothing to serve: give --listen and/or --udp")

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(["h2", "http/1.1"] if args.h2 else ["http/1.1"])
    rec = Recorder(args.outdir)

    stop = threading.Event()
    servers, threads = [], []
    for addr, port in args.listen:
        srv = TLSServer(addr, port, ctx, rec, args.name)
        srv.h2_window = args.h2_window
        rec.dir_for(addr)
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        t.start()
        servers.append(srv)
        threads.append(t)
    for addr, port in args.udp:
        threads.append(serve_udp(addr, port, rec, stop))

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{os.getpid()}\n")
        os.replace(tmp, args.ready_file)

    while not stop.wait(0.5):
        pass
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
