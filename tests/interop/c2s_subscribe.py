#!/usr/bin/python3
"""tests/interop/c2s_subscribe.py MODE PORT [DBDIR] — subscriptions that
extdiscod's standalone server cannot carry out, with raw XML over direct TLS
(SASL PLAIN; accounts alice, bob and carol, password = name), used by
tests/interop/c2s_subscribe.sh.  Prints "ok: ..." / "FAIL: ...".

  nobody PORT      issue 10 item 12: a subscribe to an account that does not
                   exist (bare and full JID) is answered within 3 s with
                   <presence type='unsubscribed' from='ghost@localhost'/>, after
                   the roster pushes of RFC 6121 §3.1.2 (ask='subscribe') and
                   §3.2.3 (subscription='none', no ask); the item stays in
                   the roster without ask; a subscribe to bob still reaches bob
  directed PORT    the directed-presence limit of extdiscod(8): after 31
                   more targets bob (the first) still gets alice's
                   unavailable, after 32 more (a 33rd) he does not
  diskfull PORT DBDIR   the file system of the database (DBDIR) is filled:
                   alice's subscribe to carol gets <resource-constraint/>
                   (type wait) within 3 s, carol hears nothing in 1.5 s and
                   alice's roster has no item for carol; with the space
                   back, the next subscribe reaches carol
"""
import errno
import os
import re
import socket
import ssl
import sys
import time

import rawxmpp
from rawxmpp import check

MODE, PORT = sys.argv[1], int(sys.argv[2])


class C:
    def __init__(self, user, res):
        self.s = rawxmpp.tls_connect(PORT)
        _, self.buf = rawxmpp.plain_login(self.s, user, res)
        self.send("<iq type='get' id='r0'><query xmlns='jabber:iq:roster'/></iq>")
        self.wait(b"id='r0'")
        self.send('<presence/>')
        self.read(0.3)

    def send(self, x):
        self.s.sendall(x.encode())

    def wait(self, pat, secs=5):
        """Bytes up to and including the first pat, within secs (the rest
        stays buffered)."""
        end = time.time() + secs
        while pat not in self.buf and time.time() < end:
            self.s.settimeout(max(0.05, end - time.time()))
            try:
                c = self.s.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            if not c:
                break
            self.buf += c
        i = self.buf.find(pat)
        if i < 0:
            d, self.buf = self.buf, b''
        else:
            d, self.buf = self.buf[:i + len(pat)], self.buf[i + len(pat):]
        return d.decode('utf-8', 'replace')

    def read(self, secs):
        end = time.time() + secs
        while time.time() < end:
            self.s.settimeout(max(0.05, end - time.time()))
            try:
                c = self.s.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            if not c:
                break
            self.buf += c
        d, self.buf = self.buf, b''
        return d.decode('utf-8', 'replace')


def nobody():
    a = C('alice', 'a1')
    for n, to in enumerate(['ghost@localhost', 'ghost2@localhost/res']):
        bare = to.split('/')[0]
        t0 = time.time()
        a.send("<presence type='subscribe' to='%s'/>" % to)
        got = a.wait(b"type='unsubscribed'", 3)
        got += a.read(0.3)
        secs = time.time() - t0
        m = re.search(r"<presence[^>]*type='unsubscribed'[^>]*/>", got)
        check(m is not None and "from='%s'" % bare in m.group(0),
              'subscribe to %s (no such account): unsubscribed from %s after %.2f s '
              '(bound 3 s): %s' % (to, bare, secs, m.group(0) if m else got))
        pushes = re.findall(r"<iq[^>]*type='set'[^>]*>.*?</iq>", got)
        items = [re.search(r"<item [^>]*>", p).group(0) for p in pushes
                 if re.search(r"<item [^>]*>", p)]
        check(len(items) == 2 and "ask='subscribe'" in items[0] and
              "subscription='none'" in items[0] and "ask=" not in items[1] and
              "subscription='none'" in items[1] and all(bare in i for i in items),
              'roster pushes: ask=subscribe, then none without ask: %s' % items)
        check(m is not None and pushes and got.index(pushes[-1]) < got.index(m.group(0)),
              'the second push comes before the unsubscribed presence')
        a.send("<iq type='get' id='r%d'><query xmlns='jabber:iq:roster'/></iq>" % (n + 1))
        r = a.wait(b'</iq>', 3)
        it = re.search(r"<item [^>]*jid='%s'[^>]*>" % re.escape(bare), r)
        check(it is not None and "ask=" not in it.group(0) and
              "subscription='none'" in it.group(0),
              'the roster keeps %s with subscription none, no ask: %s' % (bare, r))
    b = C('bob', 'b1')
    a.send("<presence type='subscribe' to='bob@localhost'/>")
    got = b.wait(b"type='subscribe'", 3)
    check("from='alice@localhost'" in got, 'a subscribe to bob (exists) still reaches bob')
    check("type='unsubscribed'" not in a.read(0.5), 'and alice gets no unsubscribed for bob')


def fill(d):
    """Fill d's file system; the filler's path."""
    p = os.path.join(d, 'filler')
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    chunk = b'\0' * 4096
    try:
        for _ in range(1 << 20):
            try:
                if os.write(fd, chunk) < len(chunk):
                    continue
            except OSError as e:
                if e.errno == errno.ENOSPC:
                    break
                raise
    finally:
        os.close(fd)
    return p


def diskfull(dbdir):
    a = C('alice', 'a1')
    b = C('carol', 'c1')
    filler = fill(dbdir)
    st = os.statvfs(dbdir)
    check(st.f_bavail == 0, 'the database file system is full (%d blocks free)' % st.f_bavail)
    t0 = time.time()
    a.send("<presence type='subscribe' to='carol@localhost' id='full1'/>")
    got = a.wait(b'</presence>', 3)
    secs = time.time() - t0
    check("type='error'" in got and "id='full1'" in got and
          '<resource-constraint' in got and "type='wait'" in got,
          'disk full: the subscribe is answered with resource-constraint (wait) after '
          '%.2f s (bound 3 s): %s' % (secs, got))
    heard = b.read(1.5)
    check("type='subscribe'" not in heard, 'disk full: carol hears no subscribe: %r' % heard)
    a.send("<iq type='get' id='rf'><query xmlns='jabber:iq:roster'/></iq>")
    r = a.wait(b"</iq>", 3)
    check("carol@localhost" not in r and "type='result'" in r,
          'disk full: alice has no item for carol: %s' % r)
    os.unlink(filler)
    a.send("<presence type='subscribe' to='carol@localhost' id='ok1'/>")
    got = b.wait(b"type='subscribe'", 3)
    check("from='alice@localhost'" in got, 'space back: the subscribe reaches carol')
    check("type='error'" not in a.read(0.5), 'space back: alice gets no error')


def directed():
    """The documented limit (extdiscod(8) LIMITATIONS): the last 32 distinct
    directed-presence targets are remembered; the 33rd makes the oldest
    forgotten, and it gets no unavailable presence."""
    for others, expect in ((31, True), (32, False)):
        a = C('alice', 'd%d' % others)
        b = C('bob', 'd%d' % others)
        a.send("<presence to='%s'/>" % 'bob@localhost/d%d' % others)
        b.wait(b"from='alice@localhost/d%d'" % others, 3)
        for i in range(others):  # bob's resources that do not exist
            a.send("<presence to='bob@localhost/x%d'/>" % i)
        a.send("<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        a.wait(b"id='sync'", 3)
        b.read(0.3)
        a.send("<presence type='unavailable'/>")
        got = b.wait(b"type='unavailable'", 1.5 if not expect else 3)
        heard = "from='alice@localhost/d%d'" % others in got and "type='unavailable'" in got
        check(heard == expect, 'directed presence to bob, then to %d others: bob %s '
              'unavailable' % (others, 'gets' if expect else 'gets no (forgotten)'))
        a.s.close()
        b.s.close()


if MODE == 'nobody':
    nobody()
elif MODE == 'directed':
    directed()
elif MODE == 'diskfull':
    diskfull(sys.argv[3])
else:
    sys.exit('unknown mode ' + MODE)
sys.exit(1 if rawxmpp.fails else 0)
