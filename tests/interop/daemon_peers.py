#!/usr/bin/python3
"""tests/interop/daemon_peers.py — the peers of daemon_admin.sh's shutdown
test: what an XEP-0114 host server and XMPP clients receive when extdiscod
gets SIGTERM.

  daemon_peers.py component PORT JID SECRET READYFILE
      a host server: accept one link, check the handshake, touch READYFILE,
      then read until the link closes (at most 30 s)
  daemon_peers.py c2s PORT MODE DOMAIN READYFILE     (MODE: plain, starttls
      or direct) a client: open a stream (over TLS for starttls/direct),
      touch READYFILE once the features arrived, read until the server
      closes (at most 30 s)

Each prints one line "RESULT close-tag=yes|no shutdown=yes|no eof=yes|no":
close-tag: </stream:stream> arrived; shutdown: a system-shutdown stream
error arrived; eof: the connection was closed.  Every wait is bounded."""
import hashlib
import re
import socket
import ssl
import sys
import time

NS_STREAMS = "http://etherx.jabber.org/streams"


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


def read_to_eof(conn, secs=30):
    """(bytes, eof?) until the peer closes or secs pass."""
    buf, end = b"", time.time() + secs
    while time.time() < end:
        conn.settimeout(max(0.1, end - time.time()))
        try:
            d = conn.recv(65536)
        except socket.timeout:
            return buf, False
        except (ConnectionResetError, ssl.SSLError, OSError):
            return buf, True
        if not d:
            return buf, True
        buf += d
    return buf, False


def touch(path):
    with open(path, "w") as f:
        f.write("ready\n")


def result(buf, eof):
    tail = buf.decode("utf-8", "replace")
    print("RESULT close-tag=%s shutdown=%s eof=%s" % (
        "yes" if "</stream:stream>" in tail else "no",
        "yes" if "<system-shutdown" in tail else "no",
        "yes" if eof else "no"), flush=True)
    print("DATA " + repr(tail[-300:]), flush=True)


def component(port, jid, secret, ready):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(4)
    srv.settimeout(30)
    conn, _ = srv.accept()
    buf, m = read_until(conn, rb"<stream:stream[^>]*>")
    if not m:
        print("RESULT no stream header", flush=True)
        return 1
    sid = "stop1"
    conn.sendall(("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                  "xmlns:stream='%s' from='%s' id='%s'>" % (NS_STREAMS, jid, sid)).encode())
    buf, m = read_until(conn, rb"<handshake>([0-9a-f]+)</handshake>")
    if not m or m.group(1).decode() != hashlib.sha1((sid + secret).encode()).hexdigest():
        print("RESULT bad handshake", flush=True)
        return 1
    conn.sendall(b"<handshake/>")
    touch(ready)
    buf, eof = read_to_eof(conn)
    result(buf, eof)
    return 0


def c2s(port, mode, domain, ready):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if mode == "direct":
        s = ctx.wrap_socket(s, server_hostname=domain)
    header = ("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
              "xmlns:stream='%s' version='1.0'>" % (domain, NS_STREAMS)).encode()
    s.sendall(header)
    buf, m = read_until(s, rb"</stream:features>")
    if not m:
        print("RESULT no features", flush=True)
        return 1
    if mode == "starttls":
        s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        buf, m = read_until(s, rb"<proceed[^>]*/>")
        if not m:
            print("RESULT no proceed", flush=True)
            return 1
        s = ctx.wrap_socket(s, server_hostname=domain)
        s.sendall(header)
        buf, m = read_until(s, rb"</stream:features>")
        if not m:
            print("RESULT no features after TLS", flush=True)
            return 1
    touch(ready)
    buf, eof = read_to_eof(s)
    result(buf, eof)
    return 0


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "component":
        return component(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    if len(sys.argv) == 6 and sys.argv[1] == "c2s":
        return c2s(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
