"""A TLS 1.3 application-data record no probe saw, written on a TLS
socket's own fd, past the TLS library: what the byte ledger must refuse
(partial_client.py, test_tls_h2_replay). The caller places it where the
records sk_msg walked end."""
import os
import socket


def record_past_library(s, text=b"SMUGGLED-RECORD-" + b"0" * 480):
    """Returns "left", or "refused ERRNO" when the kernel refused it."""
    assert s.version() == "TLSv1.3", s.version()
    w = socket.socket(fileno=os.dup(s.fileno()))
    w.settimeout(3)
    try:
        w.sendall(b"\x17\x03\x03" + len(text).to_bytes(2, "big") + text)
        return "left"
    except OSError as e:
        return "refused %s" % e.errno
    finally:
        w.close()
