"""tests/interop/rawxmpp.py — what the raw-XML tests of extdiscod's standalone
server share (c2s_amplify.py, c2s_roster.py, c2s_rules.py, c2s_subscribe.py):
the "ok: ..." / "FAIL: ..." check lines, and a client logged in over direct
TLS with SASL PLAIN (password = user name) and bound.  Raw XML on purpose:
these tests send what no client library would and look at the exact bytes.
"""
import base64
import re
import socket
import ssl
import time

NS_STREAMS = 'http://etherx.jabber.org/streams'
fails = 0


def check(cond, what):
    """Print an ok/FAIL line; count the failures in rawxmpp.fails."""
    global fails
    print(('ok: ' if cond else 'FAIL: ') + what, flush=True)
    if not cond:
        fails += 1
    return cond


def header(lang=None, to='localhost'):
    """A client's stream header (with xml:lang when lang is given)."""
    return ("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
            "xmlns:stream='%s' version='1.0'%s>"
            % (to, NS_STREAMS, " xml:lang='%s'" % lang if lang else ''))


def tls_connect(port, host='127.0.0.1', timeout=5):
    """Direct TLS to host:port; the dev certificate is not verified."""
    raw = socket.create_connection((host, port), timeout=timeout)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(raw, server_hostname='localhost')


def _until(s, buf, pat, secs):
    """Read s until pat is in buf (or secs passed, or it closed): the bytes
    up to and including pat, and the rest."""
    end = time.time() + secs
    while pat not in buf and time.time() < end:
        s.settimeout(max(0.05, end - time.time()))
        try:
            c = s.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        if not c:
            break
        buf += c
    i = buf.find(pat)
    return (buf, b'') if i < 0 else (buf[:i + len(pat)], buf[i + len(pat):])


def plain_login(s, user, res, lang=None, secs=5):
    """Stream, SASL PLAIN (user/user), restart, bind res on s.  Returns the
    bound JID (None when binding failed) and the bytes read past the bind
    result."""
    buf = b''
    hdr = header(lang)
    s.sendall(hdr.encode())
    _, buf = _until(s, buf, b'</stream:features>', secs)
    auth = base64.b64encode(('\0%s\0%s' % (user, user)).encode()).decode()
    s.sendall(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
               % auth).encode())
    _, buf = _until(s, buf, b'<success', secs)
    s.sendall(hdr.encode())
    _, buf = _until(s, buf, b'</stream:features>', secs)
    s.sendall(("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
               "<resource>%s</resource></bind></iq>" % res).encode())
    r, buf = _until(s, buf, b'</iq>', secs)
    m = re.search(rb'<jid>([^<]*)</jid>', r)
    return (m.group(1).decode() if m else None), buf
