#!/usr/bin/python3
"""tests/interop/cluster_load.py — a steady stream of XEP-0215 requests
through one ejabberd node, every answer recorded (tests/interop/
cluster_ejabberd.sh: what a client sees while an extdiscod instance or an
ejabberd node dies).

  cluster_load.py --port P --user U --password PW [--interval-ms 50]
                  [--duration 8] [--drain 40] --ready FILE

Logs in (SASL PLAIN on loopback, as the test config allows), binds, writes
FILE, then sends <services xmlns='urn:xmpp:extdisco:2'/> to the domain every
interval for duration seconds, then waits up to drain seconds for the
answers still missing (ejabberd answers a delegated IQ the component never
answered after 32 s).  Prints one JSON line per request:
  {"i": N, "t": SENT (epoch s), "rtt": S or null, "type": result|error|
   timeout, "cond": error condition, "name": the STUN service's name (says
   which extdiscod instance answered)}
Exit 0 when it ran (whatever the answers), 1 when the login failed.
"""
import argparse
import base64
import json
import re
import select
import socket
import sys
import time

IQ_RE = re.compile(rb"<iq\b[^>]*?(?:/>|>.*?</iq>)", re.S)
ID_RE = re.compile(rb"""\bid=['"]([^'"]*)['"]""")
TYPE_RE = re.compile(rb"""\btype=['"](\w+)['"]""")
COND_RE = re.compile(rb"""<([a-z-]+) xmlns=['"]urn:ietf:params:xml:ns:xmpp-stanzas['"]""")
NAME_RE = re.compile(rb"""<service\b[^>]*\btype=['"]stun['"][^>]*>""")
NAME_ATTR_RE = re.compile(rb"""\bname=['"]([^'"]*)['"]""")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--domain", default="example.org")
    ap.add_argument("--password", required=True)
    ap.add_argument("--interval-ms", type=float, default=50)
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--drain", type=float, default=40)
    ap.add_argument("--ready", required=True)
    a = ap.parse_args()

    s = socket.create_connection((a.host, a.port), timeout=20)
    buf = b""

    def until(pat, secs=20):
        nonlocal buf
        end = time.time() + secs
        while time.time() < end:
            m = re.search(pat, buf, re.S)
            if m:
                buf = buf[m.end():]
                return m.group(0)
            s.settimeout(max(0.1, end - time.time()))
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            buf += d
        return None

    hdr = ("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
           "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" % a.domain).encode()
    s.sendall(hdr)
    until(rb"</stream:features>")
    cred = base64.b64encode(("\0%s\0%s" % (a.user, a.password)).encode()).decode()
    s.sendall(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
               % cred).encode())
    if not until(rb"<success[^>]*(/>|>.*?</success>)"):
        print(json.dumps({"op": "login", "type": "error"}))
        return 1
    s.sendall(hdr)
    until(rb"</stream:features>")
    s.sendall(b"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
              b"<resource>load</resource></bind></iq>")
    if not until(rb"<iq[^>]*>.*?</iq>"):
        print(json.dumps({"op": "bind", "type": "error"}))
        return 1
    open(a.ready, "w").write("ready\n")

    s.setblocking(False)
    sent = {}   # id -> (i, time)
    done = {}   # i -> record
    start = time.time()
    interval = a.interval_ms / 1000.0
    n = 0
    stop_send = start + a.duration
    deadline = stop_send + a.drain

    def take(data):
        nonlocal buf
        buf += data
        last = 0
        for m in IQ_RE.finditer(buf):
            last = m.end()
            st = m.group(0)
            idm = ID_RE.search(st)
            if not idm or idm.group(1) not in sent:
                continue
            i, t = sent.pop(idm.group(1))
            ty = TYPE_RE.search(st)
            rec = {"i": i, "t": round(t, 3), "rtt": round(time.time() - t, 4),
                   "type": ty.group(1).decode() if ty else "?", "cond": None, "name": None}
            c = COND_RE.search(st)
            if c:
                rec["cond"] = c.group(1).decode()
            sv = NAME_RE.search(st)
            if sv:
                nm = NAME_ATTR_RE.search(sv.group(0))
                rec["name"] = nm.group(1).decode() if nm else None
            done[i] = rec
        if last:
            buf = buf[last:]
        elif len(buf) > 1 << 20:
            buf = buf[-65536:]

    while True:
        now = time.time()
        if now >= deadline or (now >= stop_send and not sent):
            break
        if now < stop_send and now >= start + n * interval:
            ident = ("l%d" % n).encode()
            sent[ident] = (n, now)
            try:
                s.sendall(b"<iq type='get' id='" + ident + b"' to='" + a.domain.encode() +
                          b"'><services xmlns='urn:xmpp:extdisco:2'/></iq>")
            except BlockingIOError:
                pass
            n += 1
        wait = min(interval, max(0.0, deadline - now))
        r, _, _ = select.select([s], [], [], wait)
        if r:
            try:
                d = s.recv(262144)
            except BlockingIOError:
                continue
            if not d:
                break
            take(d)
    for ident, (i, t) in sent.items():
        done[i] = {"i": i, "t": round(t, 3), "rtt": None, "type": "timeout", "cond": None,
                   "name": None}
    for i in sorted(done):
        print(json.dumps(done[i]))
    try:
        s.setblocking(True)
        s.sendall(b"</stream:stream>")
    except OSError:
        pass
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
