"""A client whose OpenSSL writes part of what it is given: one POST of a
body file, head and body in one SSL_write, on a context with
SSL_MODE_ENABLE_PARTIAL_WRITE (as Ruby's openssl and uSockets set it), so
each call writes one record (16 KiB) and returns, and the next call
brings the rest again. HTTP/1.1, or HTTP/2 with --h2 (python3-h2).

  partial_client.py HOST BODY_FILE CA [--h2] [--fragment N] [--split]
                    [--smuggle [--after K]] [--change-rest TEXT]

--fragment N: records of N bytes of plaintext (SSL_CTX_set_max_send_fragment),
so each call writes less than the 16 KiB the kernel checks a rest by.
--split: the request in two writes of the program, the body cut in half:
the first leaves the request undecided (the model is last).
--smuggle: after call K (default 1) returns, a TLS application-data record
is written on the socket itself, past the TLS library (the call was
blocking, so TCP holds whole records: the record starts at a record
boundary).
--change-rest TEXT: the rest handed to the next call is not the rest the
first call was given: TEXT replaces bytes 300 before the body's end.
--nonblock: a non-blocking socket with a 4 KiB send buffer: calls also fail
with WANT_WRITE part way through a record, and are repeated (counted in
"wants").

Prints one JSON line: {"pid", "writes" (calls), "first" (what the first
that succeeded wrote), "wants", "seq" (each call: bytes written, or "W"),
"status" | "error", "smuggled"}. Exit 0 on a 2xx answer, 7 otherwise.
"""
import ctypes
import ctypes.util
import json
import os
import select
import socket
import ssl
import sys

from tls_smuggle import record_past_library

host, path, ca = sys.argv[1], sys.argv[2], sys.argv[3]
opts = sys.argv[4:]
use_h2 = "--h2" in opts
smuggle = "--smuggle" in opts
after = int(opts[opts.index("--after") + 1]) if "--after" in opts else 1
fragment = int(opts[opts.index("--fragment") + 1]) if "--fragment" in opts else 0
split = "--split" in opts
nonblock = "--nonblock" in opts
change = opts[opts.index("--change-rest") + 1].encode() if "--change-rest" in opts else None
out = {"pid": os.getpid(), "writes": 0, "first": 0, "wants": 0, "smuggled": None}


def partial_writes(ctx):
    # SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE): python offers no
    # way, so through its SSL_CTX * (PySSLContext's first field)
    lib = ctypes.CDLL(ctypes.util.find_library("ssl"))
    lib.SSL_CTX_ctrl.restype = ctypes.c_long
    lib.SSL_CTX_ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
    raw = ctypes.c_void_p.from_address(id(ctx) + 2 * ctypes.sizeof(ctypes.c_void_p)).value
    mode = lib.SSL_CTX_ctrl(raw, 33, 1, None)  # SSL_CTRL_MODE, SSL_MODE_ENABLE_PARTIAL_WRITE
    assert mode & 1, mode
    if fragment:  # SSL_CTRL_SET_MAX_SEND_FRAGMENT
        assert lib.SSL_CTX_ctrl(raw, 52, fragment, None) == 1


def http1_request(body):
    return ("POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % (host, len(body))).encode() + body


def send_all(s, data):
    """Writes data with partial-write calls; returns after the last."""
    if nonblock:
        s.setblocking(False)
    try:
        send_calls(s, data)
    finally:
        s.settimeout(15)


def send_calls(s, data):
    sent, calls = 0, 0  # calls: the ones that succeeded
    while sent < len(data):
        out["writes"] += 1  # calls made, the ones that fail included
        try:
            n = s.send(data[sent:])
        except ssl.SSLWantWriteError:
            # repeated with the same bytes once the socket has room
            out["wants"] += 1
            out.setdefault("seq", []).append("W")
            select.select([], [s], [], 1)
            continue
        calls += 1
        out.setdefault("seq", []).append(n)
        out["first"] = out["first"] or n
        if n < len(data) - sent and smuggle and calls == after:
            out["smuggled"] = record_past_library(s)
            return
        if calls == 1:
            if n >= len(data):
                return  # not a partial write: nothing to test
            if change:
                at = len(data) - 300
                data = data[:at] + change + data[at + len(change):]
        sent += n


def h2_request(s, body):
    import h2.config
    import h2.connection
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    s.sendall(c.data_to_send())
    while c.outbound_flow_control_window < len(body) or \
            c.remote_settings.initial_window_size < len(body):
        data = s.recv(65536)
        if not data:
            raise OSError("closed before the server's window")
        c.receive_data(data)
        s.sendall(c.data_to_send())
    c.send_headers(1, [(":method", "POST"), (":path", "/v1/chat/completions"), (":scheme", "https"),
                       (":authority", host), ("content-type", "application/json")])
    step = c.max_outbound_frame_size
    for i in range(0, len(body), step):
        c.send_data(1, body[i:i + step], end_stream=i + step >= len(body))
    send_all(s, c.data_to_send())
    if out["smuggled"] is not None:
        return
    status = None
    while True:
        data = s.recv(65536)
        if not data:
            break
        for ev in c.receive_data(data):
            if type(ev).__name__ == "ResponseReceived":
                status = int(dict(ev.headers)[b":status"])
            if type(ev).__name__ == "StreamEnded":
                out["status"] = status
                return
        s.sendall(c.data_to_send())


def main():
    body = open(path, "rb").read()
    ctx = ssl.create_default_context(cafile=ca)
    partial_writes(ctx)
    if use_h2:
        ctx.set_alpn_protocols(["h2"])
    raw = socket.create_connection((host, 443), timeout=15)
    if nonblock:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    s = ctx.wrap_socket(raw, server_hostname=host)
    if use_h2:
        assert s.selected_alpn_protocol() == "h2", s.selected_alpn_protocol()
        h2_request(s, body)
        return
    data = http1_request(body)
    if split:
        cut = len(data) - len(body) // 2
        send_all(s, data[:cut])
        data = data[cut:] if out["smuggled"] is None else b""
    if data:
        send_all(s, data)
    if out["smuggled"] is not None:
        return
    head = b""
    while b"\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            raise OSError("closed before an answer")
        head += chunk
    out["status"] = int(head.split(b" ")[1])


try:
    main()
except Exception as e:  # the answer a refused request gets: print it
    out["error"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(out), flush=True)
sys.exit(0 if 200 <= out.get("status", 0) < 300 else 7)
