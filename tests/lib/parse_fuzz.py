#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Random chat requests through the real TLS write path, and what a JSON
parser reads in them (tests/e2e/test_tls_parse_fuzz.sh).

    parse_fuzz.py HOST SEED COUNT [--max-body N] [--h2]

One keep-alive HTTPS connection to HOST:443 (trusting SSL_CERT_FILE), COUNT
POSTs to /v1/chat/completions (a third with a chunked body of random chunk
sizes; one in seven times 2 or 3 requests pipelined), each written in 1 to
6 SSL_write calls cut at random bytes (inside keys, escapes, the head, the
chunk framing, between pipelined requests). The bodies are JSON built
here to find where the kernel's parser and its fast paths could read other
than a server does: keys in any order, duplicates (the last wins),
escaped key spellings ("mod\\u0065l"), "model" keys and quoted
'"model": "x"' text below the top level and inside strings, escapes of
every kind, brackets in strings, whitespace anywhere, message text of a
few bytes to 40 KB (past the kernel's 16 KiB chunks). For each request it
prints one JSON line:

    {"i", "pid", "status", "model", "stream", "user", "bytes", "ms"}

where model, stream and user are what Python's json module reads in the
body (the server's view: model and user when strings, stream when the
literal true), bytes the request's (HTTP/2: its body's), or {"i", "pid", "error"} when the request failed (then it
connects again).

With --h2 (python3-h2): one HTTP/2 connection, a stream per request, its
body in DATA frames of random sizes (some padded), the bytes of each
request's frames again written in 1 to 6 writes cut at random.

With --pii, one request in four (not pipelined) also carries SSNs, email
addresses and AWS keys in its strings: plain, with a character spelled as
an escape, beside escapes, cut by the writes. For those the line also has
"expect": what the stdlib patterns (read from stdlib-policies/, with
Python's re) find in the body as the kernel's patterns read it (JSON
strings decoded): "keys" (an AWS key: the policy denies), "mask" (an SSN
or an address: masked, or denied when it cannot be masked in place) or
"allow"; and "maskable": every such match is plain on the wire (no byte
of it from an escape) and within one write, so it must be masked, not
denied (HTTP/1.1 bodies with a Content-Length only).
"""
import json
import os
import random
import re
import socket
import ssl
import sys
import time


def stdlib_pattern(module, name):
    """pattern NAME of stdlib-policies/MODULE.asp, for Python's re (bytes)"""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "stdlib-policies",
                        module + ".asp")
    for line in open(path):
        m = re.match(r"pattern %s = /(.*)/(i?)\s*$" % name, line)
        if m:
            return re.compile(m.group(1).replace("\\/", "/").encode(), re.I if m.group(2) else 0)
    raise SystemExit("%s: no pattern %s" % (path, name))


SSN_RE = stdlib_pattern("pii", "ssn")
EMAIL_RE = stdlib_pattern("pii", "email")
MASKED = [SSN_RE, EMAIL_RE]  # the fuzz policy's redact patterns
EMAILS = ["john.smith@example.com", "a.b-c@mail.example.org", "x_y+tag@corp.io", "ann@b.co"]
AWS_RE = stdlib_pattern("secrets", "aws_access_key")
SSNS = ["123-45-6789", "234-56-7891", "078-05-1120", "555-12-3456", "001-01-0001"]

MODELS = ["gpt-4o-mini", "gpt-4o", "o1-preview", "claude-3-5-sonnet-latest", "gpt-4.1-nano",
          "mistral-large", ""]
WORDS = ["Summarise", "the", "quarterly", "report", "model", "user", "stream", "true",
         "messages", "content", "role", "gpt-4o", "{", "}", "[", "]", ":", ",", "'"]
# escapes a string may carry, and the text each decodes to
ESCAPES = [('\\"', '"'), ('\\\\', '\\'), ('\\/', '/'), ('\\n', '\n'), ('\\t', '\t'),
           ('\\r', '\r'), ('\\b', '\b'), ('\\f', '\f'), ('\\u00e9', '\u00e9'),
           ('\\u0022', '"'), ('\\u005c', '\\'), ('\\u007b', '{'), ('\\u2028', '\u2028'),
           ('\\ud83d\\ude00', '\U0001F600')]


class Gen:
    def __init__(self, rng, max_body):
        self.r = rng
        self.max_body = max_body
        self.pii = None  # put SSNs and addresses ("mask"), or AWS keys too ("mixed"), in strings (--pii)
        self.pii_plain = False  # none spelled with escapes, nor right after one

    def pii_token(self):
        """an SSN, an email address or an AWS key, sometimes with a
        character spelled as an escape, or an escape just before or after it"""
        r = self.r
        if self.pii == "mask" or r.random() < 0.7:
            t = r.choice(SSNS if r.random() < 0.6 else EMAILS)
        else:
            t = "AKIA" + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        k = r.random()
        if self.pii_plain:  # as the wire reads it: maskable
            k = 0.3 + 0.7 * k
        if k < 0.2:  # one character escaped: the kernel sees it, the wire does not
            i = r.randrange(len(t))
            t = t[:i] + "\\u%04x" % ord(t[i]) + t[i + 1:]
        elif k < 0.3:
            t = r.choice(["\\n", "\\t", "\\u00e9"]) + t
        elif k < 0.45:  # a closing \b decided by an escape
            t = t + r.choice(["\\n", "\\t", "\\u00e9", "\\ud83d\\ude00", "\\\""])
        return t

    def ws(self):
        return self.r.choice(["", "", "", " ", "  ", "\n", "\t", "\r\n  "])

    def text(self, n):
        """JSON string contents (escaped) of about n bytes."""
        r, out = self.r, []
        size = 0
        while size < n:
            k = r.random()
            if k < 0.08:
                out.append(r.choice(ESCAPES)[0])
            elif k < 0.12:
                out.append('\\"model\\": \\"%s\\"' % r.choice(MODELS[:3]))
            elif k < 0.15:
                out.append(r.choice(["{", "}", "[", "]", ",", ":", "\u00e9", "\u4e2d"]))
            elif self.pii and k < 0.17:
                out.append(self.pii_token() + " ")
            else:
                out.append(r.choice(WORDS) + " ")
            size += len(out[-1])
        return "".join(out)

    def string(self, n=None):
        return '"%s"' % self.text(self.r.randint(0, 24) if n is None else n)

    def key(self, name):
        """name, sometimes spelled with escapes"""
        if self.r.random() < 0.15:
            i = self.r.randrange(len(name))
            return '"%s\\u%04x%s"' % (name[:i], ord(name[i]), name[i + 1:])
        return '"%s"' % name

    def value(self, depth):
        r = self.r
        k = r.random()
        if depth > 3 or k < 0.35:
            return self.string()
        if k < 0.45:
            return r.choice(["true", "false", "null", "0", "-1.5e3", "42"])
        if k < 0.75:
            return "[" + ",".join(self.ws() + self.value(depth + 1) + self.ws()
                                  for _ in range(r.randint(0, 3))) + "]"
        # an object, sometimes with "model" keys below the top level
        keys = [r.choice(["model", "name", "type", "user", "content"]) for _ in range(r.randint(0, 3))]
        return "{" + ",".join(self.ws() + self.key(k) + self.ws() + ":" + self.ws() +
                              self.value(depth + 1) + self.ws() for k in keys) + "}"

    def messages(self):
        r, parts, left = self.r, [], self.max_body
        for _ in range(r.randint(0, 6)):
            size = r.choice([0, 5, 40, 300, 2000, r.randint(0, left)])
            left = max(0, left - size)
            parts.append("{" + self.ws() + '"role"' + self.ws() + ":" + self.ws() + '"user"' + "," +
                         self.ws() + self.key("content") + ":" + self.ws() + self.string(size) +
                         self.ws() + "}")
        return "[" + ",".join(self.ws() + p + self.ws() for p in parts) + "]"

    def body(self):
        r = self.r
        fields = []
        for name in r.sample(["model", "messages", "user", "stream", "temperature", "tools",
                              "metadata", "n"], r.randint(1, 8)):
            if name == "model":
                v = '"%s"' % r.choice(MODELS)
                if r.random() < 0.2:  # an escape in the value
                    v = v.replace("-", "\\u002d", 1)
            elif name == "messages":
                v = self.messages()
            elif name == "user":
                v = self.string(r.randint(0, 20))
            elif name == "stream":
                v = r.choice(["true", "false", '"true"', "null"])
            else:
                v = self.value(1)
            fields.append((name, v))
            if name == "model" and r.random() < 0.15:  # a duplicate: the last wins
                fields.append(("model", '"%s"' % r.choice(MODELS)))
        r.shuffle(fields)
        return ("{" + ",".join(self.ws() + self.key(k) + self.ws() + ":" + self.ws() + v + self.ws()
                               for k, v in fields) + "}" + self.ws())


JSON_ESC = {ord('"'): b'"', ord("\\"): b"\\", ord("/"): b"/", ord("b"): b"\b", ord("f"): b"\f",
            ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t"}


def kernel_view(raw, at=None):
    """The body as the kernel's patterns read it (docs/language.md,
    Patterns): JSON strings decoded to UTF-8, a surrogate pair one
    character; the rest, quotes included, byte for byte. at: a list that
    gets, for each byte of the view, its offset in raw, or None for one
    decoded from an escape."""
    out, i, n, in_str = bytearray(), 0, len(raw), False
    at = [] if at is None else at
    while i < n:
        c = raw[i]
        if c != 0x5C or not in_str:
            out.append(c)
            at.append(i)
            in_str ^= c == 0x22
            i += 1
            continue
        if raw[i + 1] != ord("u"):
            out += JSON_ESC[raw[i + 1]]
            i += 2
        else:
            cp, i = int(raw[i + 2:i + 6], 16), i + 6
            if 0xD800 <= cp < 0xDC00 and raw[i:i + 2] == b"\\u" and 0xDC00 <= int(raw[i + 2:i + 6], 16) < 0xE000:
                cp = 0x10000 + ((cp - 0xD800) << 10) + int(raw[i + 2:i + 6], 16) - 0xDC00
                i += 6
            if not 0xD800 <= cp < 0xDC00:  # a lone high half is dropped
                out += chr(cp).encode("utf-8", "surrogatepass")  # a lone low half: its 3 bytes
        at.extend([None] * (len(out) - len(at)))
    return bytes(out)


def pii_expect(raw):
    """what the fuzz policy's patterns find in body raw: keys, ssn or allow"""
    view = kernel_view(raw)
    if AWS_RE.search(view):
        return "keys"
    return "mask" if any(rx.search(view) for rx in MASKED) else "allow"


def maskable(raw, body_at, cuts):
    """every match to mask in body raw, as the kernel reads it, is plain on
    the wire (each of its bytes a byte of raw, adjacent there: no escape in
    it) and no write begins within it or the escape after it: it must be
    masked in place. body_at: the body's offset in the data cut at cuts."""
    at = []
    view = kernel_view(raw, at)
    for rx in MASKED:
        for m in rx.finditer(view):
            s, e = m.span()
            if any(at[k] is None or at[k] != at[s] + k - s for k in range(s, e)):
                return False
            a, b = at[s], at[e - 1] + 1
            if any(a - 1 <= c - body_at <= b + 12 for c in cuts):
                return False
    return True


def server_view(body):
    """What a server's JSON parser reads: model, stream, user."""
    obj = json.loads(body)
    model = obj.get("model") if isinstance(obj.get("model"), str) else None
    user = obj.get("user") if isinstance(obj.get("user"), str) else None
    if user is None and isinstance(obj.get("metadata"), dict):
        uid = obj["metadata"].get("user_id")
        user = uid if isinstance(uid, str) else None
    return model, obj.get("stream") is True, user


def read_response(f):
    """status of one HTTP/1.1 response read whole from the file f"""
    status = int(f.readline().split()[1])
    length, chunked = 0, False
    while True:
        line = f.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
        if name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int(f.readline().split(b";")[0], 16)
            f.read(size + 2)
            if size == 0:
                break
    else:
        f.read(length)
    return status


def connect(host):
    ctx = ssl.create_default_context()
    raw = socket.create_connection((host, 443), timeout=15)
    # as urllib3, curl, node and Go do: without it, small writes behind an
    # unacknowledged one wait on the peer's delayed ACK (a loopback stall
    # of many seconds was seen here, with or without aspend)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s = ctx.wrap_socket(raw, server_hostname=host)
    return s, s.makefile("rb")


def chunked(rng, raw):
    """raw in chunks of random sizes, some with extensions, then the last
    chunk (as node's undici sends a body it streams)"""
    out, at = [], 0
    while at < len(raw):
        n = min(len(raw) - at, rng.choice([1, 5, 100, 1000, 9000, 20000]))
        ext = rng.choice([b"", b"", b";x=y"])
        out.append(b"%x%s\r\n" % (n, ext) + raw[at:at + n] + b"\r\n")
        at += n
    return b"".join(out) + b"0\r\n\r\n"


def cut_and_send(s, rng, data):
    """data in 1 to 6 writes cut at random bytes; returns the cuts"""
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(0, 5))))
    last = 0
    for c in cuts + [len(data)]:
        s.sendall(data[last:c])
        last = c
    return cuts


class H2:
    """One HTTP/2 connection (python3-h2), a stream per request."""

    def __init__(self, host):
        import h2.config
        import h2.connection
        ctx = ssl.create_default_context()
        ctx.set_alpn_protocols(["h2"])
        raw = socket.create_connection((host, 443), timeout=15)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s = ctx.wrap_socket(raw, server_hostname=host)
        assert self.s.selected_alpn_protocol() == "h2", self.s.selected_alpn_protocol()
        self.host = host
        self.c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.c.initiate_connection()
        self.s.sendall(self.c.data_to_send())
        self.sid = 1

    def pump(self):
        data = self.s.recv(65536)
        if not data:
            raise OSError("the server closed the connection")
        evs = self.c.receive_data(data)
        out = self.c.data_to_send()
        if out:
            self.s.sendall(out)
        return evs

    def request(self, rng, raw, i):
        sid, self.sid = self.sid, self.sid + 2
        hdrs = [(":method", "POST"), (":path", "/v1/chat/completions"), (":scheme", "https"),
                (":authority", self.host), ("content-type", "application/json")]
        if rng.random() < 0.5:
            hdrs.append(("content-length", str(len(raw))))
        if rng.random() < 0.3:
            hdrs.append(("authorization", "Bearer sk-test-%d" % i))
        while min(self.c.outbound_flow_control_window, self.c.remote_settings.initial_window_size) < len(raw) + 1:
            self.pump()
        self.c.send_headers(sid, hdrs, end_stream=not raw)
        at = 0
        while at < len(raw):
            n = min(len(raw) - at, rng.choice([1, 7, 100, 1000, 16384]), self.c.max_outbound_frame_size)
            pad = rng.choice([None, None, None, 0, 5])
            if pad is not None and n + pad + 1 > self.c.max_outbound_frame_size:
                pad = None
            self.c.send_data(sid, raw[at:at + n], end_stream=at + n == len(raw), pad_length=pad)
            at += n
        cut_and_send(self.s, rng, self.c.data_to_send())
        status = None
        while True:
            for ev in self.pump():
                name = type(ev).__name__
                if name == "ResponseReceived" and ev.stream_id == sid:
                    status = int(dict(ev.headers)[b":status"])
                if name == "DataReceived":
                    self.c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                if name in ("StreamEnded", "StreamReset") and ev.stream_id == sid:
                    out = self.c.data_to_send()
                    if out:
                        self.s.sendall(out)
                    return status


def h1_request(rng, host, raw, i):
    """the bytes of one HTTP/1.1 request (a third with a chunked body), and
    the offset of its body, None when chunked"""
    wire = chunked(rng, raw) if rng.random() < 0.3 else None
    head = ["POST /v1/chat/completions HTTP/1.1", "Host: %s" % host, "Content-Type: application/json",
            "Transfer-Encoding: chunked" if wire else "Content-Length: %d" % len(raw)]
    if rng.random() < 0.3:
        head.append("Authorization: Bearer sk-test-%d" % i)
    head = ("\r\n".join(head) + "\r\n\r\n").encode()
    return head + (wire or raw), None if wire else len(head)


def main():
    host, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    opts = sys.argv[4:]
    max_body = int(opts[opts.index("--max-body") + 1]) if "--max-body" in opts else 40000
    use_h2 = "--h2" in opts
    use_pii = "--pii" in opts
    rng = random.Random(seed)
    gen = Gen(rng, max_body)
    conn = H2(host) if use_h2 else None
    if not use_h2:
        s, f = connect(host)
    i = 0
    while i < count:
        # HTTP/1.1: sometimes 2 or 3 requests pipelined, their bytes cut
        # into writes together (a write may end one and begin the next)
        k = 1 if use_h2 or rng.random() < 0.85 else min(rng.randint(2, 3), count - i)
        # a denied request closes the connection: none pipelined behind one
        gen.pii = None
        if use_pii and k == 1 and rng.random() < 0.25:
            gen.pii = "mask" if rng.random() < 0.7 else "mixed"
            gen.pii_plain = rng.random() < 0.5
        reqs = []
        for j in range(k):
            raw = gen.body().encode()
            model, stream, user = server_view(raw)
            reqs.append((i + j, raw, model, stream, user))
        outs = [{"i": n, "pid": os.getpid()} for n, *_ in reqs]
        if gen.pii:
            outs[0].update(expect=pii_expect(reqs[0][1]), maskable=False)
        t0 = time.monotonic()
        try:
            if use_h2:
                _, raw, *_ = reqs[0]
                done = [(conn.request(rng, raw, i), len(raw))]
            else:
                datas = [h1_request(rng, host, raw, n) for n, raw, *_ in reqs]
                cuts = cut_and_send(s, rng, b"".join(d for d, _ in datas))
                if gen.pii and datas[0][1] is not None:
                    outs[0]["maskable"] = maskable(reqs[0][1], datas[0][1], cuts)
                done = [(read_response(f), len(d)) for d, _ in datas]
            ms = round((time.monotonic() - t0) * 1000, 1)
            for out, (n, raw, model, stream, user), (status, nbytes) in zip(outs, reqs, done):
                out.update(status=status, model=model, stream=stream, user=user, bytes=nbytes, ms=ms)
        except (OSError, ValueError, IndexError) as e:
            for out in outs:
                out.update(error="%s: %s" % (type(e).__name__, e))
            if use_h2:
                conn = H2(host)
            else:
                s.close()
                s, f = connect(host)
        for out in outs:
            print(json.dumps(out), flush=True)
        i += k


if __name__ == "__main__":
    main()
