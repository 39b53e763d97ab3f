#!/usr/bin/python3
"""tests/interop/c2s_plain.py PORT — a plaintext STARTTLS listener with
require_tls: false (issue 10 item 11), raw XML: the first features offer
<starttls/> and SCRAM; after SCRAM-SHA-1 as alice (password alice) and the
stream restart, the features offer <bind/> and no <starttls/> (it would only
be refused).  Prints "ok: ..." / "FAIL: ..."; exit 1 on a failure."""
import base64
import hashlib
import hmac
import os
import re
import socket
import sys
import time

PORT = int(sys.argv[1])
HDR = ("<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' "
       "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
NS = 'urn:ietf:params:xml:ns:xmpp-sasl'
fails = 0


def check(cond, what):
    global fails
    print(('ok: ' if cond else 'FAIL: ') + what, flush=True)
    fails += not cond


def b64(b):
    return base64.b64encode(b).decode()


s = socket.create_connection(('127.0.0.1', PORT), timeout=5)
buf = b''


def wait(pat, secs=5):
    global buf
    end = time.time() + secs
    while not re.search(pat, buf, re.S) and time.time() < end:
        s.settimeout(max(0.05, end - time.time()))
        try:
            c = s.recv(65536)
        except socket.timeout:
            continue
        if not c:
            break
        buf += c
    m = re.search(pat, buf, re.S)
    if not m:
        d, buf = buf, b''
        return d.decode('utf-8', 'replace')
    d, buf = buf[:m.end()], buf[m.end():]
    return d.decode('utf-8', 'replace')


s.sendall(HDR.encode())
f1 = wait(rb'</stream:features>')
check('<starttls' in f1 and 'SCRAM-SHA-1' in f1,
      'before authentication: STARTTLS and SCRAM offered (%s)' % f1[-200:])
gs2, bare = 'n,,', 'n=alice,r=' + b64(os.urandom(18))
s.sendall(("<auth xmlns='%s' mechanism='SCRAM-SHA-1'>%s</auth>" % (NS, b64((gs2 + bare).encode())))
          .encode())
ch = wait(rb'</challenge>')
m = re.search(r'<challenge[^>]*>([^<]*)</challenge>', ch)
first = base64.b64decode(m.group(1)).decode() if m else ''
f = dict(kv.split('=', 1) for kv in first.split(',')) if first else {}
if f:
    salted = hashlib.pbkdf2_hmac('sha1', b'alice', base64.b64decode(f['s']), int(f['i']))
    ckey = hmac.new(salted, b'Client Key', hashlib.sha1).digest()
    final = 'c=%s,r=%s' % (b64(gs2.encode()), f['r'])
    sig = hmac.new(hashlib.sha1(ckey).digest(), ('%s,%s,%s' % (bare, first, final)).encode(),
                   hashlib.sha1).digest()
    proof = bytes(a ^ b for a, b in zip(ckey, sig))
    s.sendall(("<response xmlns='%s'>%s</response>" % (NS, b64(('%s,p=%s' % (final, b64(proof)))
                                                             .encode()))).encode())
ok = wait(rb'<success[^>]*(?:/>|</success>)|</failure>')
check('<success' in ok, 'SCRAM-SHA-1 without TLS succeeds (require_tls: false)')
s.sendall(HDR.encode())
f2 = wait(rb'</stream:features>')
check('<bind' in f2 and '<starttls' not in f2,
      'after authentication: bind offered, STARTTLS not (%s)' % f2[-200:])
sys.exit(1 if fails else 0)
