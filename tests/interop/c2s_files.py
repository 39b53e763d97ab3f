#!/usr/bin/python3
"""tests/interop/c2s_files.py PORT SECS — log in to extdiscod's standalone
server as alice (direct TLS, PLAIN) and ask for a ping and the XEP-0215
services; prints "ok: ..." / "FAIL: ..." for each answer within SECS seconds,
then "services: N turn-with-credentials" (used by tests/interop/daemon_files.sh
to see that the running daemon answers and which configuration it uses)."""
import base64
import socket
import ssl
import sys
import time

PORT, SECS = int(sys.argv[1]), float(sys.argv[2])
HDR = ("<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' "
       "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
deadline = time.time() + SECS
fails = 0


def check(cond, what):
    global fails
    print(('ok: ' if cond else 'FAIL: ') + what, flush=True)
    fails += not cond


def wait(s, buf, pat):
    while pat not in buf and time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            c = s.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        if not c:
            break
        buf += c
    return buf


t0 = time.time()
try:
    raw = socket.create_connection(('127.0.0.1', PORT), timeout=SECS)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(raw, server_hostname='localhost')
    s.sendall(HDR.encode())
    wait(s, b'', b'</stream:features>')
    auth = base64.b64encode(b'\0alice\0alice').decode()
    s.sendall(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
               % auth).encode())
    wait(s, b'', b'<success')
    s.sendall(HDR.encode())
    wait(s, b'', b'</stream:features>')
    s.sendall(b"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
    wait(s, b'', b'</iq>')
    s.sendall(b"<iq type='get' id='png' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
    r = wait(s, b'', b"id='png'")
    check(b"id='png'" in r, 'ping answered after %.2f s (bound %g s)' % (time.time() - t0, SECS))
    s.sendall(b"<iq type='get' id='svc' to='localhost'>"
              b"<services xmlns='urn:xmpp:extdisco:2'/></iq>")
    r = wait(s, b'', b'</iq>')
    check(b"type='result'" in r and b'<services' in r,
          'services answered after %.2f s' % (time.time() - t0))
    print('services: %d turn-with-credentials' % r.count(b"password="), flush=True)
    s.close()
except OSError as e:
    check(False, 'client: %s after %.2f s' % (e, time.time() - t0))
sys.exit(1 if fails else 0)
