#!/usr/bin/env python3
"""evasion.py ATTACK HOST [options]: ways a program could try to get a request
past Aspen's inspection, for tests/e2e/test_no_way_around.sh. Each attack
talks HTTPS to HOST:443 (trusting SSL_CERT_FILE) and prints one JSON line
per request it tried: {"pid", "attack", "req", "status"} when the provider
answered, {"pid", "attack", "req", "error"} when it did not.

Attacks:
  pipeline  --data A --data B: both requests in ONE TLS write (one sendall)
  thread    --data A: TLS through a memory BIO on the main thread, the
            ciphertext sent on the socket by another thread
  fork      --data A --data B: A from the parent; after fork() the child
            sends B on the inherited TLS connection
  late-tls  --data A: connect() before the TLS library is loaded (no
            `import ssl`) and write A there in clear; then load the
            library and call again after --wait seconds
  decoys    --data A --decoy LIB...: load decoy libraries exporting
            SSL_write (ctypes) before the real libssl, then call
  fronting  --data A --front NAME [--sni SNI]: connect to HOST's address
            with Host naming NAME (another provider) and SNI naming SNI
            (default: NAME)
  fdpass    --data A: TLS through a memory BIO in this process; the
            socket passed (SCM_RIGHTS) to a helper process that sends the
            ciphertext
  wantwrite --data A --pad N --release FILE [--smuggle TEXT]: A (its "PAD"
            replaced by N bytes of text) on a non-blocking socket with a
            small send buffer to a provider that reads nothing past the
            head until FILE exists (X-Aspen-Test-Stall), so SSL_write fails
            with "try again" after part of A went out; FILE is made then,
            and the call repeated with the same bytes until it succeeds (as
            Python's sendall, curl and event loops do). With TEXT, after the
            first failure and before the call is repeated, a TLS record of
            application data holding TEXT is written on the socket past the
            TLS library (req 1: no probe saw it; "status" 0 when it left,
            "error" when the kernel refused it)
  sigcont   --data A --data B --count N: A once; then a child process
            sends SIGCONT to this one without pause while it sends B N
            times (a new connection after each failure): a writer stopped
            for aspend to mask its buffer, resumed before it was masked
  repeat    the same without the child (run under a tracer that swallows
            the stops: tests/lib/swallow_stop.py)
  unlearned --data A --front NAME: HOST is an address no provider has;
            SNI and Host name NAME (a provider); two connections, --wait
            seconds apart (the first one asks for the process's probes)
"""

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time

PID = os.getpid()


def emit(**kw):
    print(json.dumps(dict({"pid": os.getpid()}, **kw)), flush=True)


def request_bytes(host, body):
    body = body.encode()
    head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % (host, len(body))).encode()
    return head + body


def read_status(tls, n):
    """Read n HTTP responses (Content-Length framed) from a TLS socket."""
    buf, statuses = b"", []
    while len(statuses) < n:
        head_end = buf.find(b"\r\n\r\n")
        if head_end >= 0:
            head = buf[:head_end].decode(errors="replace")
            length = 0
            for line in head.split("\r\n")[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() == "content-length":
                    length = int(v)
            if len(buf) >= head_end + 4 + length:
                statuses.append(int(head.split()[1]))
                buf = buf[head_end + 4 + length:]
                continue
        chunk = tls.recv(65536)
        if not chunk:
            break
        buf += chunk
    return statuses


def tls_connect(host, ctx):
    raw = socket.create_connection((host, 443), timeout=10)
    return ctx.wrap_socket(raw, server_hostname=host)


def attempt(attack, req, fn):
    try:
        status = fn()
        if status is None:
            emit(attack=attack, req=req, error="no answer")
        else:
            emit(attack=attack, req=req, status=status)
    except Exception as e:  # the denied request fails inside the client
        emit(attack=attack, req=req, error=type(e).__name__, message=str(e))


def pipeline(args, ssl):
    ctx = ssl.create_default_context()
    tls = tls_connect(args.host, ctx)
    data = b"".join(request_bytes(args.host, d) for d in args.data)

    def go():
        tls.sendall(data)  # one SSL_write for every request
        st = read_status(tls, len(args.data))
        return st[-1] if st else None
    attempt("pipeline", 0, go)


def thread(args, ssl):
    ctx = ssl.create_default_context()
    raw = socket.create_connection((args.host, 443), timeout=10)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=args.host)

    def flush(other_thread):
        data = out.read()
        if not data:
            return
        if other_thread:  # the ciphertext leaves from a thread that wrote no plaintext
            t = threading.Thread(target=raw.sendall, args=(data,))
            t.start()
            t.join()
        else:
            raw.sendall(data)

    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            flush(False)
            inc.write(raw.recv(65536))
    flush(False)

    def go():
        obj.write(request_bytes(args.host, args.data[0]))  # SSL_write on this thread
        flush(True)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = raw.recv(65536)
            if not chunk:
                return None
            inc.write(chunk)
            try:
                buf += obj.read(65536)
            except ssl.SSLWantReadError:
                pass
        return int(buf.split()[1])
    attempt("thread", 0, go)


SENDER = """
import socket, sys
u = socket.socket(fileno=int(sys.argv[1]))
msg, fds, _, _ = socket.recv_fds(u, 1 << 20, 1)
s = socket.socket(fileno=fds[0])
s.sendall(msg)
u.sendall(b"sent")
"""


def fdpass(args, ssl):
    import subprocess
    ctx = ssl.create_default_context()
    raw = socket.create_connection((args.host, 443), timeout=10)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=args.host)
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            raw.sendall(out.read())
            inc.write(raw.recv(65536))
    raw.sendall(out.read())
    mine, theirs = socket.socketpair()
    helper = subprocess.Popen([sys.executable, "-c", SENDER, str(theirs.fileno())],
                              pass_fds=[theirs.fileno()])
    theirs.close()

    def go():
        obj.write(request_bytes(args.host, args.data[0]))  # SSL_write here
        socket.send_fds(mine, [out.read()], [raw.fileno()])  # sent by the helper
        mine.settimeout(10)
        if mine.recv(4) != b"sent":  # the helper's send failed
            raise PermissionError("the helper process could not send")
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = raw.recv(65536)
            if not chunk:
                return None
            inc.write(chunk)
            try:
                buf += obj.read(65536)
            except ssl.SSLWantReadError:
                pass
        return int(buf.split()[1])
    attempt("fdpass", 0, go)
    helper.wait(timeout=10)
    emit(attack="fdpass-helper", pid_helper=helper.pid)


def fork(args, ssl):
    ctx = ssl.create_default_context()
    tls = tls_connect(args.host, ctx)

    def one(body):
        tls.sendall(request_bytes(args.host, body))
        st = read_status(tls, 1)
        return st[0] if st else None
    attempt("fork-parent", 0, lambda: one(args.data[0]))
    child = os.fork()
    if child == 0:
        attempt("fork-child", 1, lambda: one(args.data[1]))
        sys.stdout.flush()
        os._exit(0)
    os.waitpid(child, 0)


def late_tls(args):
    try:  # no TLS library in the process yet: what it writes is not TLS Aspen saw
        s = socket.create_connection((args.host, 443), timeout=10)
        s.sendall(request_bytes(args.host, args.data[0]))
        emit(attack="late-tls", req=0, sent=True, answer=s.recv(100).decode(errors="replace"))
        s.close()
    except OSError as e:
        emit(attack="late-tls", req=0, error=type(e).__name__, errno=e.errno)
    time.sleep(args.wait)
    import ssl  # now libssl is mapped
    ctx = ssl.create_default_context()

    def go():
        tls = tls_connect(args.host, ctx)
        tls.sendall(request_bytes(args.host, args.data[0]))
        st = read_status(tls, 1)
        return st[0] if st else None
    attempt("late-tls", 1, go)


def decoys(args):
    import ctypes
    for lib in args.decoy:
        ctypes.CDLL(lib)
    import ssl
    ctx = ssl.create_default_context()

    def go():
        tls = tls_connect(args.host, ctx)
        tls.sendall(request_bytes(args.host, args.data[0]))
        st = read_status(tls, 1)
        return st[0] if st else None
    attempt("decoys", 0, go)


def fronting(args, ssl, attack="fronting", req=0):
    ctx = ssl.create_default_context()

    def go():
        raw = socket.create_connection((args.host, 443), timeout=10)
        tls = ctx.wrap_socket(raw, server_hostname=args.sni or args.front)
        tls.sendall(request_bytes(args.front, args.data[0]))
        st = read_status(tls, 1)
        return st[0] if st else None
    attempt(attack, req, go)


def wantwrite(args, ssl):
    import fcntl
    import select
    import struct
    import termios
    ctx = ssl.create_default_context()
    raw = socket.create_connection((args.host, 443), timeout=10)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    tls = ctx.wrap_socket(raw, server_hostname=args.host)
    body = args.data[0].replace("PAD", "lorem ipsum " * (args.pad // 12), 1).encode()
    data = ("POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            "X-Aspen-Test-Stall: %s\r\nContent-Length: %d\r\n\r\n" % (args.host, args.release, len(body))).encode() + body
    tries = [0]

    def queued():  # bytes in the socket's send queue (not acknowledged yet)
        return struct.unpack("i", fcntl.ioctl(tls.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]

    def written():  # bytes the socket took so far: acknowledged (tcpi_bytes_acked) + queued
        return struct.unpack_from("Q", tls.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232), 120)[0] + queued()

    def smuggle():  # a record of application data no probe saw, on the same socket
        # the failed call may have left a record half written: complete it
        # first (its rest passes as the record's, whoever writes it), so
        # that the smuggled record starts at a record boundary. TLS 1.3 with
        # a 16-byte tag: a full record is 5 + 16384 + 1 + 16 bytes.
        rest = -(written() - handshake) % 16406
        rec = b"\x17\x03\x03" + len(args.smuggle).to_bytes(2, "big") + args.smuggle.encode()
        s = socket.socket(fileno=os.dup(tls.fileno()))
        s.settimeout(3)
        if rest:
            s.sendall(b"\0" * rest)
        s.sendall(rec)
        return 0  # it left

    if tls.version() != "TLSv1.3":
        raise SystemExit("wantwrite: TLS 1.3 expected, got %s" % tls.version())
    for _ in range(100):  # the handshake's last flight acknowledged
        if not queued():
            break
        time.sleep(0.02)
    handshake = written()

    def go():
        tls.setblocking(False)
        deadline = time.monotonic() + 20
        while True:  # one SSL_write of all of it, repeated while it says "try again"
            try:
                tls.send(data)
                break
            except ssl.SSLWantWriteError:
                tries[0] += 1
                if tries[0] == 1 and args.smuggle:
                    attempt("wantwrite", 1, smuggle)  # between the failed call and its repeat
                if tries[0] == 1:
                    open(args.release, "w").close()  # the provider reads again
                if time.monotonic() > deadline:
                    raise TimeoutError("the provider never read")
                select.select([], [tls], [], 1)
        open(args.release, "w").close()
        tls.settimeout(10)
        st = read_status(tls, 1)
        return st[0] if st else None
    attempt("wantwrite", 0, go)
    emit(attack="wantwrite-tries", tries=tries[0])


def sigcont(args, ssl, spam=True):
    ctx = ssl.create_default_context()
    conn = [None]

    def one(body):
        if conn[0] is None:
            conn[0] = tls_connect(args.host, ctx)
        try:
            conn[0].sendall(request_bytes(args.host, body))
            st = read_status(conn[0], 1)
        except Exception:
            st = None
        if not st:  # denied: the connection is cut
            conn[0].close()
            conn[0] = None
            raise ConnectionError("the connection was cut")
        return st[0]
    attempt("sigcont-first", 0, lambda: one(args.data[0]))
    if not spam:
        for req in range(1, args.count + 1):
            attempt("sigcont", req, lambda: one(args.data[1]))
        return
    parent = os.getpid()
    child = os.fork()
    if child == 0:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                os.kill(parent, signal.SIGCONT)
            except ProcessLookupError:
                break
        os._exit(0)
    try:
        for req in range(1, args.count + 1):
            attempt("sigcont", req, lambda: one(args.data[1]))
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def unlearned(args, ssl):
    fronting(args, ssl, "unlearned", 0)
    time.sleep(args.wait)
    fronting(args, ssl, "unlearned", 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("attack", choices=["pipeline", "thread", "fork", "late-tls", "decoys",
                                       "fronting", "unlearned", "fdpass", "wantwrite", "sigcont", "repeat"])
    ap.add_argument("host")
    ap.add_argument("--data", action="append", default=[])
    ap.add_argument("--wait", type=float, default=1.5)
    ap.add_argument("--decoy", action="append", default=[])
    ap.add_argument("--front")
    ap.add_argument("--sni")
    ap.add_argument("--smuggle", default="")
    ap.add_argument("--pad", type=int, default=0)
    ap.add_argument("--release")
    ap.add_argument("--count", type=int, default=1)
    args = ap.parse_args()
    if args.attack == "late-tls":
        return late_tls(args)
    if args.attack == "decoys":
        return decoys(args)
    import ssl
    {"pipeline": pipeline, "thread": thread, "fork": fork, "fronting": fronting,
     "unlearned": unlearned, "fdpass": fdpass, "wantwrite": wantwrite,
     "sigcont": sigcont, "repeat": lambda a, s: sigcont(a, s, spam=False)}[args.attack](args, ssl)


if __name__ == "__main__":
    main()
