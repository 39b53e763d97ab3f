#!/usr/bin/python3
"""tests/interop/c2s_roster.py PORT — issue 10 item 4, a roster at the
documented limits, with raw XML over direct TLS (SASL PLAIN; accounts alice
and bob, password = name), used by tests/interop/c2s_roster.sh.  Prints
"ok: ..." / "FAIL: ...".

  1. limits that compose: alice adds items with 1,023-byte names and 32
     groups of 1,023 bytes (about 35 kB each in a result) until the server
     refuses one (at most 40 tried, 1.4 MB: more than the 1 MiB output
     queue); a refusal must come, and the roster result that follows is
     delivered whole (alice stays connected and her ping is answered);
  2. presence costs per contact, not per roster byte: alice sends 300
     <presence/> in one burst while bob pings the server; every one of
     bob's pings is answered within PING_MAX_MS.
On 16d8f94 every item is accepted, the result is over 1 MiB and alice is
cut, and each presence re-reads the whole roster from SQLite.
"""
import re
import socket
import ssl
import sys
import threading
import time

import rawxmpp
from rawxmpp import check

PORT = int(sys.argv[1])
PING_MAX_MS = 1000


class C:
    def __init__(self, user):
        self.s = rawxmpp.tls_connect(PORT)
        self.closed = False
        _, self.buf = rawxmpp.plain_login(self.s, user, 'r')

    def send(self, x):
        self.s.sendall(x.encode() if isinstance(x, str) else x)

    def wait(self, pat, secs=10):
        end = time.time() + secs
        while pat not in self.buf and time.time() < end and not self.closed:
            self.s.settimeout(max(0.05, end - time.time()))
            try:
                c = self.s.recv(1 << 20)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except OSError:
                self.closed = True
                break
            if not c:
                self.closed = True
                break
            self.buf += c
        i = self.buf.find(pat)
        if i < 0:
            d, self.buf = self.buf, b''
        else:
            d, self.buf = self.buf[:i + len(pat)], self.buf[i + len(pat):]
        return d.decode('utf-8', 'replace')

    def reply(self, iq_id, secs=10):
        """The whole <iq/> with this id (results are childless, errors are
        not), '' when none came within secs."""
        pat = re.compile(rb"<iq[^>]*id='%s'[^>]*?(?:/>|>.*?</iq>)" % iq_id.encode(), re.S)
        end = time.time() + secs
        while not self.closed:
            m = pat.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m.group(0).decode('utf-8', 'replace')
            if time.time() >= end:
                return ''
            self.s.settimeout(max(0.05, end - time.time()))
            try:
                c = self.s.recv(1 << 20)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except OSError:
                self.closed = True
                break
            if not c:
                self.closed = True
                break
            self.buf += c
        return ''

    def ping(self, n, secs=20):
        t0 = time.monotonic()
        self.send("<iq type='get' id='p%d' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>" % n)
        r = self.reply('p%d' % n, secs)
        return (time.monotonic() - t0) * 1000 if r else None


def main():
    alice = C('alice')
    name = 'n' * 1023
    groups = ''.join('<group>%02d%s</group>' % (g, 'g' * 1021) for g in range(32))
    accepted, refused = 0, None
    for i in range(40):
        alice.send("<iq type='set' id='s%d'><query xmlns='jabber:iq:roster'>"
                   "<item jid='c%02d@localhost' name='%s'>%s</item></query></iq>"
                   % (i, i, name, groups))
        r = alice.reply('s%d' % i)
        if "type='result'" in r:
            accepted += 1
        else:
            refused = r
            break
    print('roster: %d items accepted; refusal: %r' % (accepted, (refused or '')[-160:]), flush=True)
    check(refused is not None and 'not-allowed' in refused and 0 < accepted < 40,
          'a roster past the size budget is refused (not-allowed) after %d big items' % accepted)
    alice.send("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>")
    r = alice.reply('r1', 20)
    items = len(re.findall(r'<item ', r))
    check("id='r1'" in r and "type='result'" in r and items == accepted and not alice.closed,
          'the roster result is delivered whole: %d items, %d bytes' % (items, len(r)))
    p = alice.ping(1)
    check(p is not None, 'alice is still connected after the roster result')

    bob = C('bob')
    pings, done = [], threading.Event()

    def pinger():
        k = 100
        while not done.is_set() and k < 200:
            k += 1
            pings.append(bob.ping(k))
            time.sleep(0.02)

    t = threading.Thread(target=pinger)
    t.start()
    time.sleep(0.1)
    t0 = time.monotonic()
    alice.send(b'<presence/>' * 300)
    alice.ping(2, 60)
    burst = (time.monotonic() - t0) * 1000
    time.sleep(0.2)
    done.set()
    t.join(60)
    answered = [x for x in pings if x is not None]
    worst = max(answered) if answered else None
    print('presence burst: 300 handled in %.0f ms; bob: %d pings, worst %s ms' %
          (burst, len(pings), '%.1f' % worst if worst is not None else '-'), flush=True)
    check(pings and len(answered) == len(pings) and worst < PING_MAX_MS,
          'during 300 presences from alice, bob\'s %d pings are all answered within %d ms '
          '(worst %s ms)' % (len(pings), PING_MAX_MS, '%.1f' % worst if worst else '-'))


main()
sys.exit(1 if rawxmpp.fails else 0)
