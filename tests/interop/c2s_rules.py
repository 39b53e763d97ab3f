#!/usr/bin/python3
"""tests/interop/c2s_rules.py PORT — RFC 6120/6121 rules of extdiscod's
standalone server that a review found broken, with raw XML over direct TLS
(SASL PLAIN), used by tests/interop/c2s_rules.sh.  Each check prints
"ok: ..." or "FAIL: ...".  Accounts NAME@localhost with password NAME:
alice bob carol dave erin fred gina vic att.
"""
import socket
import ssl
import sys
import time

import rawxmpp
from rawxmpp import check

PORT = int(sys.argv[1])


class C:
    """One client: direct TLS, PLAIN, bind RES."""

    def __init__(self, user, res, lang=None):
        self.s = rawxmpp.tls_connect(PORT)
        self.jid, _ = rawxmpp.plain_login(self.s, user, res, lang)
        self.buf = b''

    def send(self, x):
        self.s.sendall(x.encode() if isinstance(x, str) else x)

    def read(self, secs=0.6):
        """Everything that arrives within secs (and whether it closed)."""
        end = time.time() + secs
        self.s.settimeout(0.1)
        closed = False
        while time.time() < end:
            try:
                c = self.s.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except OSError:
                closed = True
                break
            if not c:
                closed = True
                break
            self.buf += c
        d, self.buf = self.buf, b''
        self.closed = closed
        return d.decode('utf-8', 'replace')

    def wait(self, pat, secs=5):
        end = time.time() + secs
        self.s.settimeout(0.2)
        while pat not in self.buf and time.time() < end:
            try:
                c = self.s.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            if not c:
                break
            self.buf += c
        d, self.buf = self.buf, b''
        return d

    def ping(self):
        self.send("<iq type='get' id='png' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        return b"id='png'" in self.wait(b"id='png'", 3) or False

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def presence(c, extra=''):
    c.send('<presence>%s</presence>' % extra)
    time.sleep(0.2)


def subscribe_pair(a, b, an, bn):
    """a subscribes to b and b approves (b's resources see a)."""
    a.send("<presence type='subscribe' to='%s@localhost'/>" % bn)
    b.wait(b"type='subscribe'", 3)
    b.send("<presence type='subscribed' to='%s@localhost'/>" % an)
    time.sleep(0.3)
    a.read(0.3)
    b.read(0.3)


# 1. a new session binding the same resource replaces the account's only
#    session; then the new one leaves (a use-after-free crashed the daemon)
a = C('alice', 'same')
a2 = C('alice', 'same')
old = a.read(0.8)
check('<conflict' in old, 'same resource again: the old session gets <conflict/>')
check(a2.jid == 'alice@localhost/same' and a2.ping(), 'the new session is bound and answers')
a2.close()
time.sleep(0.5)
c = C('carol', 'c1')
check(c.ping(), 'the server lives on after the replacing session leaves')
a3 = C('alice', 'same')
check(a3.ping(), 'the resource can be bound again')
a3.close()
c.close()

# 2. a client that does not read is cut without harm to others while the
#    server walks presence lists (a use-after-free in presence_between)
vic = C('vic', 'v1')
att1 = C('att', 't1')
att2 = C('att', 't2')
presence(vic)
# att2 (bound last) comes first in att's resource list and carries the big
# payload, so vic's queue overflows while the loop still has att1 to go
presence(att1, '<status>short</status>')
presence(att2, '<status>%s</status>' % ('y' * 3900))
subscribe_pair(vic, att1, 'vic', 'att')
att2.read(0.3)
vic.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
probe = ("<presence type='probe' to='att@localhost'/>" * 100).encode()
try:
    vic.s.settimeout(2)
    for _ in range(80):
        vic.s.sendall(probe)
except OSError:
    pass  # cut off: expected
time.sleep(1.0)
check(att1.ping() and att2.ping(), 'a client flooding probes without reading is cut; '
      'the contact\'s sessions still answer')
vic.close()
att1.close()
att2.close()

# 3. no presence leaks through a pending request that is withdrawn or denied
fred = C('fred', 'f1')
gina = C('gina', 'secret-laptop')
presence(fred)
presence(gina)
gina.read(0.2)
fred.send("<presence type='subscribe' to='gina@localhost'/>")
gina.wait(b"type='subscribe'", 3)
fred.send("<presence type='unsubscribe' to='gina@localhost'/>")
got = fred.read(0.8)
check('gina@localhost/secret-laptop' not in got,
      'unsubscribe of a pending request: no presence from the contact\'s resources (%r)'
      % got[-200:])
dave = C('dave', 'd1')
erin = C('erin', 'e1')
presence(dave)
presence(erin)
erin.read(0.2)
dave.send("<presence type='subscribe' to='erin@localhost'/>")
erin.wait(b"type='subscribe'", 3)
erin.send("<presence type='unsubscribed' to='dave@localhost'/>")
got = dave.read(0.8)
check("type='unsubscribed'" in got and 'erin@localhost/e1' not in got,
      'a denied request: unsubscribed from the bare JID, no presence from erin/e1 (%r)'
      % got[-200:])
for x in (fred, gina, dave, erin):
    x.close()

# 4. subscription requests and probes to a full JID are the server's
alice = C('alice', 'a1')
bob = C('bob', 'b1')
alice.send("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>")
alice.wait(b"id='r1'", 3)
presence(alice)
presence(bob)
alice.read(0.2)
bob.read(0.2)
alice.send("<presence type='subscribe' to='bob@localhost/b1'/>")
got_b = bob.read(0.8)
got_a = alice.read(0.3)
check("type='subscribe'" in got_b and "from='alice@localhost'" in got_b,
      'subscribe to a full JID reaches the contact from the bare JID (%r)' % got_b[-200:])
check("ask='subscribe'" in got_a, 'and the requester gets a roster push with ask (%r)'
      % got_a[-200:])
bob.send("<presence type='subscribed' to='alice@localhost'/>")
got_a = alice.read(0.8)
check("subscription='to'" in got_a, 'the approval makes alice\'s item subscription=to')
alice.send("<presence type='probe' to='bob@localhost/b1'/>")
got_b = bob.read(0.6)
check("type='probe'" not in got_b, 'a probe to a full JID is not handed to the client')

# 5. roster and IQ errors
alice.send("<iq type='set' id='g2'><query xmlns='jabber:iq:roster'><item jid='carol@localhost'>"
           "<group>g</group><group>g</group></item></query></iq>")
r = alice.wait(b"id='g2'", 3).decode()
check('<bad-request' in r, 'roster item with the same group twice -> bad-request (%r)' % r[-160:])
alice.send("<iq to='localhost' id='nt'><ping xmlns='urn:xmpp:ping'/></iq>")
r = alice.wait(b"id='nt'", 3).decode()
check("type='error'" in r and '<bad-request' in r, 'IQ without type -> bad-request')
alice.send("<iq to='bob@localhost/b1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>")
r = alice.read(0.6)
got_b = bob.read(0.3)
check('<bad-request' in r and 'urn:xmpp:ping' not in got_b,
      'IQ without id -> bad-request, not delivered')

alice.send("<iq type='get' id='di' to='alice@localhost'>"
           "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
r = alice.wait(b"id='di'", 3).decode()
check("category='account'" in r and 'urn:xmpp:extdisco' not in r,
      'disco#info of one\'s own bare JID describes the account (%r)' % r[-200:])
alice.send("<iq type='get' id='sx' to='nobody@localhost'><address xmlns='urn:xmpp:sic:1'/></iq>")
r = alice.wait(b"id='sx'", 3).decode()
check('<forbidden' in r, 'SIC for a JID without an account -> forbidden, as for any other')

alice.send("<message to='localhost' id='md'><body>hi</body></message>")
r = alice.wait(b"id='md'", 3).decode()
check('<service-unavailable' in r, 'a normal message to the server -> service-unavailable, '
      'as a chat message')

# 6. unavailable presence keeps its status; the stream's xml:lang is stamped
carol = C('carol', 'c1', lang='de')
presence(carol)
alice.read(0.2)
bob.read(0.2)
carol.send("<message to='bob@localhost/b1' type='chat'><body>hallo</body></message>")
got_b = bob.read(0.6)
check("xml:lang='de'" in got_b, 'a message without xml:lang gets the stream\'s (%r)'
      % got_b[-200:])
bob.send("<presence type='unavailable'><status>gone to lunch</status></presence>")
got_a = alice.read(0.8)
check('gone to lunch' in got_a and "type='unavailable'" in got_a,
      'unavailable presence reaches subscribers with its status (%r)' % got_a[-200:])

# 7. directed presence: its recipient learns when the sender goes
presence(bob)
alice.read(0.2)
carol.send("<presence to='alice@localhost/a1'/>")
got_a = alice.read(0.6)
check("from='carol@localhost/c1'" in got_a, 'directed presence delivered')
carol.s.close()  # abrupt: no unavailable from the client
got_a = alice.read(1.0)
check("from='carol@localhost/c1'" in got_a and "type='unavailable'" in got_a,
      'its recipient gets unavailable when the sender disconnects (%r)' % got_a[-200:])
check(alice.ping() and bob.ping(), 'everyone else still answers')
sys.exit(1 if rawxmpp.fails else 0)
