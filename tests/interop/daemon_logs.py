#!/usr/bin/python3
"""tests/interop/daemon_logs.py — peers for tests/interop/daemon_logs.sh
(issue 10, items 5 and 6).  Bounded: every wait has a timeout.

  daemon_logs.py flood PORT HOLD COUNT SECS
      opens HOLD connections to 127.0.0.1:PORT and keeps them open, then
      opens and closes COUNT more, spread evenly over SECS s (stopping at
      SECS + 5 s whatever the count); prints {"attempts": connections made,
      "secs": elapsed} and exits (closing the held ones).

  daemon_logs.py host PORT TEXTFILE COUNT
      a component host server (XEP-0114) that answers COUNT connections
      from extdiscod with its stream header and, before any handshake, a
      <stream:error/> whose <text/> is the content of TEXTFILE (escaped for
      XML; newlines kept, "\\r" written as &#13;), then closes; prints
      {"served": n}.

  daemon_logs.py stall PORT JID SECRET DOMAIN COUNT SECS
      a host server that completes the handshake of one link, then sends
      COUNT service requests spread over SECS s and never reads (extdiscod's
      replies pile up until it drops them); after a quiet 1.5 s one more
      request; prints {"sent": n, "secs": elapsed} and closes."""
import hashlib
import json
import re
import socket
import sys
import time
from xml.sax.saxutils import escape


def flood(port, hold, most, secs):
    held = []
    for _ in range(hold):
        held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    time.sleep(0.5)  # the daemon has accepted them
    n, t0 = 0, time.time()
    while n < most and time.time() - t0 < secs + 5:
        ahead = t0 + secs * n / most - time.time()
        if ahead > 0:
            time.sleep(ahead)
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            continue
        s.close()
        n += 1
    print(json.dumps({"attempts": n, "secs": round(time.time() - t0, 2)}), flush=True)
    for s in held:
        s.close()


def host(port, textfile, count):
    with open(textfile, encoding="utf-8", newline="") as f:
        text = escape(f.read()).replace("\r", "&#13;")
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(4)
    srv.settimeout(20)
    served = 0
    for _ in range(count):
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            break
        conn.settimeout(5)
        buf, end = b"", time.time() + 5
        while b">" not in buf.split(b"<stream:stream", 1)[-1] and time.time() < end:
            d = conn.recv(4096)
            if not d:
                break
            buf += d
        conn.sendall(("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                      "xmlns:stream='http://etherx.jabber.org/streams' id='x%d'>"
                      "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                      "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>%s</text>"
                      "</stream:error></stream:stream>" % (served, text)).encode())
        time.sleep(0.2)
        conn.close()
        served += 1
    print(json.dumps({"served": served}), flush=True)


def stall(port, jid, secret, domain, count, secs):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    srv.settimeout(20)
    conn, _ = srv.accept()
    conn.settimeout(10)
    buf, end = b"", time.time() + 10
    while not re.search(rb"<stream:stream[^>]*>", buf) and time.time() < end:
        buf += conn.recv(4096)
    conn.sendall(("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                  "xmlns:stream='http://etherx.jabber.org/streams' from='%s' id='s1'>"
                  % jid).encode())
    buf, end = b"", time.time() + 10
    while b"</handshake>" not in buf and time.time() < end:
        buf += conn.recv(4096)
    m = re.search(rb"<handshake>([0-9a-f]+)</handshake>", buf)
    if not m or m.group(1).decode() != hashlib.sha1(("s1" + secret).encode()).hexdigest():
        sys.exit("stall: bad handshake: %r" % buf)
    conn.sendall(b"<handshake/>")
    req = ("<iq type='get' id='q%%d' from='alice@%s/r' to='%s'>"
           "<services xmlns='urn:xmpp:extdisco:2'/></iq>" % (domain, jid))
    conn.settimeout(secs + 10)
    n, t0, chunk = 0, time.time(), 100
    while n < count and time.time() - t0 < secs + 5:
        ahead = t0 + secs * n / count - time.time()
        if ahead > 0:
            time.sleep(ahead)
        conn.sendall("".join(req % (n + k) for k in range(chunk)).encode())
        n += chunk
    elapsed = time.time() - t0
    time.sleep(1.5)
    conn.sendall((req % n).encode())
    time.sleep(0.5)
    print(json.dumps({"sent": n + 1, "secs": round(elapsed, 2)}), flush=True)
    conn.close()


if __name__ == "__main__":
    if sys.argv[1] == "flood":
        flood(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    elif sys.argv[1] == "host":
        host(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "stall":
        stall(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]),
              float(sys.argv[7]))
    else:
        sys.exit("usage: see the docstring")
