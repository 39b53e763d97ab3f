#!/usr/bin/env python3
"""tests/interop/fake_turn_server.py — a scripted TURN server over UDP on
127.0.0.1 for the cases coturn cannot be made to produce (used by
tests/interop/turncheck.sh).

    fake_turn_server.py PORT MODE [SECONDS]

Long-term credentials (RFC 8489 §9.2): realm "fake.realm", any username,
password "pw-" + username; 401 with REALM and NONCE first.  Allocate
succeeds (relayed 127.0.0.1:40000, lifetime 600), Refresh echoes the
lifetime.  MODE:
  ok            nothing special
  drop_dealloc  the first Refresh with LIFETIME 0 (the deallocation) is
                dropped as if its response were lost; the client's
                retransmission gets 437 Allocation Mismatch, as a real
                server answers once the allocation is gone (RFC 8656 §7.3)
Every request is logged as one JSON line on stdout.  Exits by itself after
SECONDS (default 120)."""
import hashlib
import hmac
import json
import socket
import struct
import sys
import time
import zlib

COOKIE = 0x2112A442
REALM = b"fake.realm"
NONCE = b"nonce-1"
METHODS = {0x001: "binding", 0x003: "allocate", 0x004: "refresh"}


def log(**kw):
    print(json.dumps(kw), flush=True)


def parse(msg):
    t, length, _cookie = struct.unpack("!HHI", msg[:8])
    attrs, off = [], 20
    while off + 4 <= 20 + length and off + 4 <= len(msg):
        at, al = struct.unpack("!HH", msg[off:off + 4])
        attrs.append((at, msg[off + 4:off + 4 + al], off))
        off += 4 + ((al + 3) & ~3)
    return t, msg[8:20], attrs


def attr(at, val):
    return struct.pack("!HH", at, len(val)) + val + b"\0" * ((4 - len(val) % 4) % 4)


def xaddr(at, ip, port):
    x = bytes(a ^ b for a, b in zip(socket.inet_aton(ip), struct.pack("!I", COOKIE)))
    return attr(at, struct.pack("!BBH", 0, 1, port ^ (COOKIE >> 16)) + x)


def build(t, tid, body, key=None):
    if key:
        hdr = struct.pack("!HHI", t, len(body) + 24, COOKIE) + tid
        body += attr(0x0008, hmac.new(key, hdr + body, hashlib.sha1).digest())
    hdr = struct.pack("!HHI", t, len(body) + 8, COOKIE) + tid
    crc = (zlib.crc32(hdr + body) ^ 0x5354554E) & 0xffffffff
    body += attr(0x8028, struct.pack("!I", crc))
    return struct.pack("!HHI", t, len(body), COOKIE) + tid + body


def error(method, tid, code, reason, extra=b"", key=None):
    v = struct.pack("!HBB", 0, code // 100, code % 100) + reason
    return build(method | 0x0110, tid, attr(0x0009, v) + extra, key)


class Server:
    def __init__(self, mode):
        self.mode = mode
        self.dropped = False

    def handle(self, msg, peer):
        t, tid, attrs = parse(msg)
        a = {at: v for at, v, _ in attrs}
        method = t & 0x3eef
        lifetime = struct.unpack("!I", a[0x000D])[0] if 0x000D in a else None
        user = a.get(0x0006, b"")
        entry = {"method": METHODS.get(method, hex(method)), "user": user.decode(errors="replace"),
                 "lifetime": lifetime, "mi": 0x0008 in a}
        if method == 0x001:
            log(answer="success", **entry)
            return build(0x0101, tid, xaddr(0x0020, peer[0], peer[1]))
        challenge = attr(0x0014, REALM) + attr(0x0015, NONCE)
        if 0x0008 not in a or not user:
            log(answer="401", **entry)
            return error(method, tid, 401, b"Unauthorized", challenge)
        key = hashlib.md5(user + b":" + REALM + b":pw-" + user).digest()
        good = False
        for at, v, off in attrs:
            if at == 0x0008:
                hdr = struct.pack("!HHI", t, off - 20 + 24, COOKIE) + tid
                good = hmac.compare_digest(hmac.new(key, hdr + msg[20:off], hashlib.sha1).digest(), v)
                break
        if not good or a.get(0x0015) != NONCE:
            log(answer="401", **entry)
            return error(method, tid, 401, b"Unauthorized", challenge)
        if method == 0x003:
            log(answer="success", **entry)
            body = (xaddr(0x0016, "127.0.0.1", 40000) + xaddr(0x0020, peer[0], peer[1]) +
                    attr(0x000D, struct.pack("!I", 600)))
            return build(0x0103, tid, body, key)
        if method == 0x004 and lifetime == 0 and self.mode == "drop_dealloc":
            if not self.dropped:
                self.dropped = True
                log(answer="dropped", **entry)
                return None
            log(answer="437", **entry)
            return error(method, tid, 437, b"Allocation Mismatch", key=key)
        if method == 0x004:
            log(answer="success", **entry)
            lt = lifetime if lifetime is not None else 600
            return build(0x0104, tid, attr(0x000D, struct.pack("!I", lt)), key)
        log(answer="400", **entry)
        return error(method, tid, 400, b"Bad Request")


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    secs = float(sys.argv[3]) if len(sys.argv) > 3 else 120.0
    if mode not in ("ok", "drop_dealloc"):
        sys.exit("unknown mode %s" % mode)
    srv = Server(mode)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.5)
    end = time.time() + secs
    while time.time() < end:
        try:
            m, p = s.recvfrom(4096)
        except socket.timeout:
            continue
        if len(m) < 20:
            continue
        r = srv.handle(m, p)
        if r:
            s.sendto(r, p)


if __name__ == "__main__":
    main()
