#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Random HTTP/2 client connections and what Aspen's parser must read in them.

The reference for HPACK is Debian's python3-hpack (its Encoder writes the
header blocks, its Decoder reads them back); the frames are written here
(RFC 9113: padding, priority, CONTINUATION splits, PING, WINDOW_UPDATE,
unknown types, trailers, interleaved streams). For each case it prints

    W <hex of every byte the client writes>
    T <hex of the expected transcript>

where the transcript is the text tests/unit/test_h2.c builds from the
parser's events: "H <stream> <flags> <method> <path> <authority>\\n" per
header block (values hex, flags the ASPEN_H2_H_* bits named in FLAG_MASK),
"D <stream> <hex>\\n" per DATA frame with data, "E <stream>\\n" per
END_STREAM, "R <stream>\\n" per RST_STREAM.

    h2_oracle.py SEED COUNT
"""
import random
import re
import struct
import sys

from hpack import Decoder, Encoder
from hpack.struct import NeverIndexedHeaderTuple

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

H_METHOD, H_PATH, H_AUTHORITY, H_FROM_HOST = 1, 2, 4, 8
H_CTYPE, H_JSON, H_SSE, H_COMPRESSED, H_TRUNCATED = 16, 32, 64, 128, 256
H_END_STREAM = 1024
FLAG_MASK = 0x5FF  # every flag but DUP (never generated)


def frame(ftype, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def rand_bytes(r, alphabet, lo, hi):
    return bytes(r.choice(alphabet) for _ in range(r.randint(lo, hi)))


PRINT = bytes(range(0x21, 0x7F))
ANY = bytes(range(1, 256))


def gen_headers(r, stream_end):
    hs = []
    methods = [b"POST", b"GET", b"PUT", b"DELETE", b"post", b"VERYLONGMETHODNAME17", rand_bytes(r, PRINT, 1, 20)]
    paths = [b"/", b"/index.html", b"/v1/chat/completions", b"/v1/messages",
             b"/v1beta/models/gemini-2.0-flash:generateContent",
             b"/" + rand_bytes(r, PRINT, 0, 200), b"/" + rand_bytes(r, ANY, 0, 40)]
    hosts = [b"api.openai.com", b"API.Anthropic.com:443", b"example.com.", b"example.com.:8443",
             b"[::1]:443", b"[::1]", b"h:", b"a" * 130 + b".com", rand_bytes(r, PRINT, 0, 30)]
    ctypes = [b"application/json", b"application/json; charset=utf-8", b"Application/JSON",
              b"text/event-stream", b"application/vnd.api+json", b"+json", b"text/plain",
              b" application/json", b"multipart/form-data; boundary=x"]
    cencs = [b"gzip", b"identity", b"identity, gzip", b" identity ", b"br", b"", b"ident ity", b"IDENTITY"]
    if r.random() < 0.95:
        hs.append((b":method", r.choice(methods)))
    hs.append((b":scheme", b"https"))
    if r.random() < 0.95:
        hs.append((b":path", r.choice(paths)))
    a = r.random()
    if a < 0.8:
        hs.append((b":authority", r.choice(hosts)))
    if a > 0.6:
        hs.append((b"host", r.choice(hosts)))
    for _ in range(r.randint(0, 6)):
        k = r.random()
        if k < 0.2:
            hs.append((b"content-type", r.choice(ctypes)))
        elif k < 0.35:
            hs.append((b"content-encoding", r.choice(cencs)))
        elif k < 0.5:
            hs.append((b"authorization", b"Bearer " + rand_bytes(r, PRINT, 5, 60)))
        elif k < 0.6:
            hs.append((b"x-" + rand_bytes(r, b"abcdefghijklmnopqrstuvwxyz-", 1, 30), rand_bytes(r, ANY, 0, 300)))
        else:
            hs.append((r.choice([b"user-agent", b"accept", b"accept-encoding", b"x-stainless-os", b"te"]),
                       rand_bytes(r, PRINT, 0, 40)))
    # pseudo-headers first (RFC 9113 8.3); the rest shuffled
    pseudo = [h for h in hs if h[0].startswith(b":")]
    rest = [h for h in hs if not h[0].startswith(b":")]
    r.shuffle(rest)
    out = []
    for h in pseudo + rest:
        if h[0] == b"authorization" or r.random() < 0.1:
            out.append(NeverIndexedHeaderTuple(h[0], h[1]))
        else:
            out.append(h)
    return out


def authority(v):
    if len(v) >= 128:
        return v.lower()[:127], True
    v = v.lower()
    i = v.rfind(b":")
    if i >= 0 and re.fullmatch(rb"[0-9]*", v[i + 1:]):
        v = v[:i]
    if v.endswith(b"."):
        v = v[:-1]
    return v, False


def expected_head(stream, hs, end_stream):
    """What the parser must report for the decoded header list hs."""
    flags, method, path, auth = 0, b"", b"", b""
    for k, v in hs:
        if k == b":method":
            flags |= H_METHOD
            method = v[:15]
            if len(v) >= 16:
                flags |= H_TRUNCATED
        elif k == b":path":
            flags |= H_PATH
            path = v[:127]
            if len(v) >= 128:
                flags |= H_TRUNCATED
        elif k == b":authority":
            auth, t = authority(v)
            flags = (flags & ~H_FROM_HOST) | H_AUTHORITY | (H_TRUNCATED if t else 0)
        elif k == b"host":
            if flags & H_AUTHORITY:
                continue
            auth, t = authority(v)
            flags |= H_AUTHORITY | H_FROM_HOST | (H_TRUNCATED if t else 0)
        elif k == b"content-type":
            flags = (flags & ~(H_JSON | H_SSE)) | H_CTYPE
            mt = re.split(rb"[; \t]", v.lstrip(b" \t"))[0].lower()
            if len(mt) < 255 and (mt == b"application/json" or (len(mt) > 5 and mt.endswith(b"+json"))):
                flags |= H_JSON
            elif mt == b"text/event-stream":
                flags |= H_SSE
        elif k == b"content-encoding":
            for tok in v.split(b","):
                t = tok.strip(b" \t")
                if t and (t.lower() != b"identity" or b" " in t or b"\t" in t):
                    flags |= H_COMPRESSED
    if end_stream:
        flags |= H_END_STREAM
    cut = lambda s: s.split(b"\0")[0]
    return "H %d %d %s %s %s\n" % (stream, flags & FLAG_MASK, cut(method).hex(), cut(path).hex(), cut(auth).hex())


def gen_case(r):
    enc = Encoder()
    dec = Decoder()
    dec.max_allowed_table_size = 1 << 24
    dec.max_header_list_size = 1 << 24
    out = bytearray(PREFACE)
    settings = b""
    for _ in range(r.randint(0, 4)):
        sid = r.choice([1, 2, 3, 4, 6, 9])
        settings += struct.pack(">HI", sid, r.choice([0, 1] if sid == 2 else [0, 1, 100, 4096, 65535]))
    out += frame(4, 0, 0, settings)
    trans = []
    # at most 2048 bytes of table: never more than 64 entries (what the parser keeps)
    enc.header_table_size = r.choice([0, 100, 256, 1024, 2048, 2048])
    streams = []  # (id, state) state: 0 headers sent, body to come
    next_id = 1
    nblocks = r.randint(1, 12)
    extra = lambda: r.random() < 0.15

    def header_block(sid, end_stream, trailers=False):
        nonlocal out
        if r.random() < 0.15:
            enc.header_table_size = r.choice([0, 64, 200, 512, 1024, 2048])
        hs = gen_headers(r, end_stream) if not trailers else [(b"x-trailer", rand_bytes(r, PRINT, 0, 50))]
        block = enc.encode(hs, huffman=r.random() < 0.6)
        decoded = dec.decode(block, raw=True)
        trans.append(expected_head(sid, decoded, end_stream))
        if end_stream:
            trans.append("E %d\n" % sid)
        # split into HEADERS + CONTINUATIONs
        cuts = sorted(r.sample(range(1, len(block)), min(len(block) - 1, r.randint(0, 3)))) if len(block) > 1 else []
        parts = [block[i:j] for i, j in zip([0] + cuts, cuts + [len(block)])]
        for n, part in enumerate(parts):
            last = n == len(parts) - 1
            if n == 0:
                fl = (1 if end_stream else 0) | (4 if last else 0)
                payload = part
                if r.random() < 0.3:
                    fl |= 0x20
                    payload = struct.pack(">IB", r.randint(0, 99) * 2 + 1, r.randint(0, 255)) + payload
                if r.random() < 0.3:
                    pad = r.randint(0, 20)
                    fl |= 0x8
                    payload = bytes([pad]) + payload + b"\0" * pad
                out += frame(1, fl, sid, payload)
            else:
                out += frame(9, 4 if last else 0, sid, part)

    def noise():
        nonlocal out
        k = r.randint(0, 4)
        if k == 0:
            out += frame(6, 0, 0, rand_bytes(r, ANY, 8, 8))
        elif k == 1:
            out += frame(8, 0, r.choice([0, 1, 3]), struct.pack(">I", r.randint(1, 1 << 30)))
        elif k == 2:
            out += frame(0xfa, r.randint(0, 255), r.randint(0, 9), rand_bytes(r, ANY, 0, 30))
        elif k == 3:
            out += frame(2, 0, r.randint(0, 20) * 2 + 1, struct.pack(">IB", 0, 16))
        else:
            out += frame(4, 1, 0, b"")

    for _ in range(nblocks):
        if extra():
            noise()
        open_streams = [s for s in streams if s[1] == 0]
        if open_streams and r.random() < 0.5:
            s = r.choice(open_streams)
            sid = s[0]
            k = r.random()
            if k < 0.75:
                data = rand_bytes(r, ANY, 0, 200)
                es = r.random() < 0.4
                fl = 1 if es else 0
                payload = data
                if r.random() < 0.3:
                    pad = r.randint(0, 30)
                    fl |= 8
                    payload = bytes([pad]) + data + b"\0" * pad
                out += frame(0, fl, sid, payload)
                if data:
                    trans.append("D %d %s\n" % (sid, data.hex()))
                if es:
                    trans.append("E %d\n" % sid)
                    s[1] = 1
            elif k < 0.9:
                header_block(sid, True, trailers=True)
                s[1] = 1
            else:
                out += frame(3, 0, sid, struct.pack(">I", 8))
                trans.append("R %d\n" % sid)
                s[1] = 1
        else:
            sid = next_id
            next_id += 2
            es = r.random() < 0.3
            header_block(sid, es)
            streams.append([sid, 1 if es else 0])
    return bytes(out), "".join(trans)


def main():
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    r = random.Random(seed)
    for _ in range(count):
        w, t = gen_case(r)
        print("W " + w.hex())
        print("T " + t.encode().hex())


if __name__ == "__main__":
    main()
