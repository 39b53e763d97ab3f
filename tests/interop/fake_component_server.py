#!/usr/bin/python3
"""tests/interop/fake_component_server.py — a host server that misbehaves, for
the component link's bad-input test: accepts extdiscod's XEP-0114 link,
checks the handshake, asks for services, then sends malformed XML; extdiscod
must drop that stream, reconnect (backoff) and answer again on the new one.

  fake_component_server.py PORT COMPONENT_JID SECRET DOMAIN

Prints one JSON line per check ({"check": ..., "ok": bool, ...}); exit 0
when all passed.  Bounded: every wait has a timeout."""
import hashlib
import json
import re
import socket
import sys
import time

port, jid, secret, domain = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ok_all = True


def report(check, ok, **kw):
    global ok_all
    ok_all &= ok
    print(json.dumps(dict(check=check, ok=ok, **kw)), flush=True)


def read_until(conn, pattern, secs=15):
    buf, end = b"", time.time() + secs
    while time.time() < end:
        m = re.search(pattern, buf, re.S)
        if m:
            return buf, m
        conn.settimeout(max(0.1, end - time.time()))
        try:
            d = conn.recv(65536)
        except socket.timeout:
            break
        if not d:
            return buf, None
        buf += d
    return buf, None


def session(srv, n):
    srv.settimeout(30)
    conn, _ = srv.accept()
    t_accept = time.time()
    buf, m = read_until(conn, rb"<stream:stream[^>]*>")
    report("stream header %d" % n, bool(m) and (b"jabber:component:accept" in buf)
           and (("to='%s'" % jid).encode() in buf or ('to="%s"' % jid).encode() in buf))
    sid = "fake%d" % n
    conn.sendall(("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                  "xmlns:stream='http://etherx.jabber.org/streams' from='%s' id='%s'>"
                  % (jid, sid)).encode())
    buf, m = read_until(conn, rb"<handshake>([0-9a-f]+)</handshake>")
    want = hashlib.sha1((sid + secret).encode()).hexdigest()
    report("handshake %d" % n, bool(m) and m.group(1).decode() == want)
    conn.sendall(b"<handshake/>")
    conn.sendall(("<iq type='get' id='q%d' from='alice@%s/r' to='%s'>"
                  "<services xmlns='urn:xmpp:extdisco:2'/></iq>" % (n, domain, jid)).encode())
    buf, m = read_until(conn, rb"<iq[^>]*id='q%d'[^>]*>.*?</iq>" % n)
    report("services answered on link %d" % n,
           bool(m) and b"type='result'" in m.group(0) and b"<service " in m.group(0))
    return conn, t_accept


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(4)
conn, _ = session(srv, 1)
# Garbage from the "server": a mismatched end tag.
conn.sendall(b"<iq type='get' id='bad'><services xmlns='urn:xmpp:extdisco:2'></iq>")
conn.settimeout(10)
closed = False
t_bad = time.time()
try:
    while True:
        d = conn.recv(4096)
        if not d:
            closed = True
            break
except (socket.timeout, ConnectionResetError):
    closed = not isinstance(sys.exc_info()[1], socket.timeout)
report("extdiscod dropped the stream after malformed XML", closed)
conn.close()
conn2, t2 = session(srv, 2)
report("reconnected after a backoff delay (0.5-1 s)", 0.4 <= t2 - t_bad <= 5, delay=round(t2 - t_bad, 2))
conn2.close()
srv.close()
sys.exit(0 if ok_all else 1)
