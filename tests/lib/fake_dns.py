#!/usr/bin/env python3
"""A tiny authoritative DNS responder for the e2e tests: answers A queries
for names in a map (glob patterns allowed) and NXDOMAIN otherwise.
usage: fake_dns.py LISTEN_IP READY_FILE [MODE:]NAME=IP [[MODE:]NAME=IP...]
MODE makes the answers for NAME wrong on purpose: `badid` answers with
another query id, `otherq` repeats another question (other.NAME), `silent`
never answers (a DNS server that does not answer)."""
import fnmatch
import socket
import struct
import sys


def parse_qname(msg, off):
    labels = []
    while True:
        n = msg[off]
        off += 1
        if n == 0:
            return ".".join(labels), off
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n


def encode_name(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def answer(msg, table):
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    name, off = parse_qname(msg, 12)
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    mode, ip = next(((m, v) for m, k, v in table if fnmatch.fnmatch(name.lower(), k)), ("", None))
    if mode == "badid":
        qid ^= 0x5a5a
    elif mode == "otherq":
        question = encode_name("other." + name) + msg[off:off + 4]
    if ip is None or qtype != 1:
        rcode = 3 if ip is None else 0
        return struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, 0, 0, 0) + question
    rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 30, 4) + socket.inet_aton(ip)
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + rr


def main():
    listen, ready = sys.argv[1], sys.argv[2]
    table = []
    for a in sys.argv[3:]:
        key, ip = a.split("=", 1)
        mode, _, name = key.rpartition(":")
        table.append((mode, name, ip))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((listen, 53))
    open(ready, "w").close()
    while True:
        msg, peer = s.recvfrom(512)
        try:
            name = parse_qname(msg, 12)[0].lower()
            if any(m == "silent" and fnmatch.fnmatch(name, k) for m, k, _ in table):
                continue
            s.sendto(answer(msg, table), peer)
        except (IndexError, struct.error):
            continue


if __name__ == "__main__":
    main()
