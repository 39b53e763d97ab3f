#!/usr/bin/env python3
"""tests/interop/client_fake_xmpp.py — a scripted XMPP server (domain
fake.test) for the `extdisco` client cases no real server produces: used by
tests/interop/client_scripted.sh.

    client_fake_xmpp.py PORT CERT KEY LOG [SECONDS]

STARTTLS (required), SASL PLAIN (any password), resource binding: the
account's localpart picks the scenario (SCENARIOS below), e.g. the client
logged in as v1only@fake.test meets a server that knows only
urn:xmpp:extdisco:1.  Every IQ the client sends is logged to LOG as one JSON
line ({"user", "type", "ns", "name", "to", "services": [attributes of each
<service/>]}), every answer to a push as {"user", "answer": type, "id"}.
Listens on 127.0.0.1 only; exits by itself after SECONDS (default 300)."""
import base64
import json
import socket
import ssl
import sys
import threading
import time
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

DOMAIN = "fake.test"
NS2 = "urn:xmpp:extdisco:2"
NS1 = "urn:xmpp:extdisco:1"
NS_DISCO = "http://jabber.org/protocol/disco#info"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
LOG_LOCK = threading.Lock()
LOG_PATH = None


def log(**kw):
    with LOG_LOCK, open(LOG_PATH, "a") as f:
        f.write(json.dumps(kw) + "\n")


def dt(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Session:
    def __init__(self, sock):
        self.sock = sock
        self.user = "?"
        self.jid = None
        self.state = {}
        self.lock = threading.Lock()
        self.parser = None
        self.depth = 0
        self.pending = []

    def send(self, s):
        with self.lock:
            self.sock.sendall(s.encode())

    def restart(self):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.pending = []

    def next(self, deadline):
        """('stream', None) at a stream header, ('elem', element) for each
        top-level element; raises EOFError when the peer is gone."""
        while True:
            while self.pending:
                return self.pending.pop(0)
            if time.time() > deadline:
                raise EOFError("session time over")
            self.sock.settimeout(max(0.1, min(1.0, deadline - time.time())))
            try:
                d = self.sock.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            if not d:
                raise EOFError("closed")
            self.parser.feed(d)
            for ev, el in self.parser.read_events():
                if ev == "start":
                    self.depth += 1
                    if self.depth == 1:
                        self.pending.append(("stream", el))
                else:
                    self.depth -= 1
                    if self.depth == 1:
                        self.pending.append(("elem", el))
                    elif self.depth == 0:
                        raise EOFError("stream closed")


def header(sess):
    sess.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams' from='%s' id='s%d' "
              "version='1.0'>" % (DOMAIN, time.time_ns() % 1000000))


def expect(sess, deadline, kind, local=None):
    while True:
        k, el = sess.next(deadline)
        if k == kind and (local is None or el.tag.endswith("}" + local)):
            return el


def iq_result(iq, body="", frm=True):
    f = " from=%s" % quoteattr(iq.get("to") or DOMAIN) if frm else ""
    return "<iq type='result' id=%s%s>%s</iq>" % (quoteattr(iq.get("id", "")), f, body)


def iq_error(iq, cond, frm=True):
    f = " from=%s" % quoteattr(iq.get("to") or DOMAIN) if frm else ""
    return ("<iq type='error' id=%s%s><error type='cancel'><%s xmlns='%s'/></error></iq>"
            % (quoteattr(iq.get("id", "")), f, cond, NS_STANZAS))


def disco(iq, feats):
    f = "".join("<feature var='%s'/>" % x for x in feats)
    return iq_result(iq, "<query xmlns='%s'><identity category='server' type='im'/>%s</query>"
                     % (NS_DISCO, f))


def services(ns, items, name="services"):
    return "<%s xmlns='%s'>%s</%s>" % (name, ns, "".join(items), name)


def svc(**a):
    return "<service %s/>" % " ".join("%s=%s" % (k, quoteattr(str(v))) for k, v in a.items())


def turn_creds(host, transport, user, ttl=3600):
    return svc(type="turn", host=host, port=3478, transport=transport, username=user,
               password="pw-" + user, expires=dt(int(time.time()) + ttl), restricted="true")


# --- scenarios: handle(sess, iq, payload) -> reply string, None (no answer),
# or "DROP" (close the TCP connection without a TLS close_notify).

def sc_creds(sess, iq, p):
    """TURN entries without inline credentials; <credentials/> completes one
    of them.  Also: stun over tcp and a duplicated stun URL (--ice-servers)."""
    if p.tag == "{%s}services" % NS2:
        return iq_result(iq, services(NS2, [
            svc(type="stun", host="stun.example.org", port=3478, transport="udp"),
            svc(type="stun", host="stun.example.org", port=3478, transport="tcp"),
            svc(type="stun", host="STUN.example.org", port=3478, transport="udp", name="dup"),
            svc(type="turn", host="turn.example.org", port=3478, transport="udp", restricted="1"),
            svc(type="turn", host="nocreds.example.org", port=3478, transport="tcp",
                restricted="true"),
            svc(type="turns", host="turn.example.org", port=5349, transport="tcp",
                username="u2", password="p2", expires=dt(int(time.time()) + 7200)),
        ]))
    if p.tag == "{%s}credentials" % NS2:
        return iq_result(iq, services(NS2, [turn_creds("turn.example.org", "udp", "cu")],
                                      "credentials"))
    return None


def sc_v1only(sess, iq, p):
    """Knows only urn:xmpp:extdisco:1 (service-unavailable for :2)."""
    if p.tag in ("{%s}services" % NS2, "{%s}credentials" % NS2):
        return iq_error(iq, "service-unavailable")
    if p.tag == "{%s}services" % NS1:
        return iq_result(iq, services(NS1, [
            svc(type="stun", host="stun.example.org", port=3478, transport="udp"),
            svc(type="turn", host="turn.example.org", port=3478, transport="udp"),
        ]))
    if p.tag == "{%s}credentials" % NS1:
        return iq_result(iq, services(NS1, [
            svc(type="turn", host="turn.example.org", port=3478, transport="udp",
                username="v1u", password="v1p", expires=dt(int(time.time()) + 3600))],
            "credentials"))
    return None


def sc_error(sess, iq, p):
    """Every XEP-0215 request (either version) answered with forbidden."""
    if p.tag.split("}")[0][1:] in (NS1, NS2):
        return iq_error(iq, "forbidden")
    return None


def sc_empty(sess, iq, p):
    if p.tag == "{%s}services" % NS2:
        return iq_result(iq, "<services xmlns='%s'/>" % NS2)
    return None


def sc_nopayload(sess, iq, p):
    """A result without <services/>, in both versions."""
    if p.tag in ("{%s}services" % NS2, "{%s}services" % NS1):
        return iq_result(iq)
    return None


def sc_refreshfail(sess, iq, p):
    """The first services request works (credentials already expired, so a
    refresh is due at once); every later one fails."""
    if p.tag != "{%s}services" % NS2:
        return None
    n = sess.state["n"] = sess.state.get("n", 0) + 1
    if n > 1:
        return iq_error(iq, "internal-server-error")
    return iq_result(iq, services(NS2, [turn_creds("turn.example.org", "udp", "r", ttl=0)]))


def sc_shortttl(sess, iq, p):
    """Credentials that expire as they are handed out."""
    if p.tag == "{%s}services" % NS2:
        return iq_result(iq, services(NS2, [turn_creds("turn.example.org", "udp", "s", ttl=0)]))
    return None


def sc_spoof(sess, iq, p):
    """Before the real answer, an answer with the same id from another
    account (someone who guessed the id)."""
    if p.tag == "{%s}services" % NS2:
        sess.send("<iq type='result' id=%s from='mallory@fake.test/x'>%s</iq>" % (
            quoteattr(iq.get("id", "")),
            services(NS2, [svc(type="stun", host="evil.example", port=3478, transport="udp")])))
        time.sleep(0.3)
        return iq_result(iq, services(NS2, [
            svc(type="stun", host="stun.example.org", port=3478, transport="udp")]))
    return None


def sc_nofrom(sess, iq, p):
    """Answers without a 'from' (RFC 6120 §8.1.2.1: our own server may)."""
    if p.tag == "{%s}services" % NS2:
        return iq_result(iq, services(NS2, [
            svc(type="stun", host="stun.example.org", port=3478, transport="udp")]), frm=False)
    return None


def sc_bracket(sess, iq, p):
    """An IPv6 literal host in brackets (nothing listens there)."""
    if p.tag == "{%s}services" % NS2:
        port = sess.state.setdefault("port", 9)
        return iq_result(iq, services(NS2, [
            svc(type="stun", host="[::1]", port=port, transport="udp")]))
    if p.tag == "{urn:xmpp:sic:1}address":
        return iq_result(iq, "<address xmlns='urn:xmpp:sic:1'><ip>127.0.0.1</ip></address>")
    return None


def sc_oldejabberd(sess, iq, p):
    """What `extdisco check` lints in what a server hands out (nothing listens
    on port 9): <credentials/> answered in a <services/> element (ejabberd
    before 24.12), a turns entry without credentials that <credentials/> does
    not complete (Prosody's mod_turn_external), credentials for 48 hours."""
    if p.tag == "{%s}services" % NS2:
        return iq_result(iq, services(NS2, [
            svc(type="turn", host="127.0.0.1", port=9, transport="udp"),
            svc(type="turns", host="127.0.0.1", port=9, transport="tcp"),
            svc(type="turn", host="127.0.0.1", port=9, transport="tcp", username="lu",
                password="lp", expires=dt(int(time.time()) + 48 * 3600)),
        ]))
    if p.tag == "{%s}credentials" % NS2:
        return iq_result(iq, services(NS2, [svc(
            type="turn", host="127.0.0.1", port=9, transport="udp", username="ou",
            password="op", expires=dt(int(time.time()) + 3600))]))
    return None


def sc_drop(sess, iq, p):
    if p.tag == "{%s}services" % NS2:
        return "DROP"
    return None


def sc_push(sess, iq, p):
    """A snapshot with one stun service; after presence, a push adds a TURN
    service without credentials (fetched with <credentials/>), then a modify
    without port and transport renames it."""
    if p.tag == "{%s}services" % NS2:
        return iq_result(iq, services(NS2, [
            svc(type="stun", host="stun.example.org", port=3478, transport="udp")]))
    if p.tag == "{%s}credentials" % NS2:
        return iq_result(iq, services(NS2, [turn_creds("turn.example.org", "udp", "pu")],
                                      "credentials"))
    return None


def push_presence(sess):
    time.sleep(1.0)
    for n, body in enumerate([
            svc(action="add", type="turn", host="turn.example.org", port=3478,
                transport="udp", restricted="true"),
            svc(action="modify", type="turn", host="turn.example.org", name="Relay")]):
        sess.send("<iq type='set' id='push%d' from='%s' to=%s>%s</iq>"
                  % (n, DOMAIN, quoteattr(sess.jid), services(NS2, [body])))
        time.sleep(1.0)


SCENARIOS = {
    "creds": sc_creds, "v1only": sc_v1only, "error": sc_error, "empty": sc_empty,
    "nopayload": sc_nopayload, "refreshfail": sc_refreshfail, "shortttl": sc_shortttl,
    "spoof": sc_spoof, "nofrom": sc_nofrom, "bracket": sc_bracket, "drop": sc_drop,
    "oldejabberd": sc_oldejabberd,
    "push": sc_push,
}
FEATURES = {"v1only": [NS1], "bracket": [NS2, "urn:xmpp:sic:1"]}
ON_PRESENCE = {"push": push_presence}


def handle_iq(sess, iq):
    kids = list(iq)
    p = kids[0] if kids else None
    typ = iq.get("type")
    if typ in ("result", "error"):
        log(user=sess.user, answer=typ, id=iq.get("id"))
        return None
    if p is None:
        return iq_error(iq, "bad-request")
    ns, name = p.tag[1:].split("}", 1) if p.tag.startswith("{") else ("", p.tag)
    if name == "bind":
        sess.jid = "%s@%s/r1" % (sess.user, DOMAIN)
        return ("<iq type='result' id=%s><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                "<jid>%s</jid></bind></iq>" % (quoteattr(iq.get("id", "")), sess.jid))
    if name == "session":
        return "<iq type='result' id=%s/>" % quoteattr(iq.get("id", ""))
    log(user=sess.user, type=typ, ns=ns, name=name, to=iq.get("to"),
        services=[dict(s.attrib) for s in p])
    if ns == NS_DISCO:
        return disco(iq, FEATURES.get(sess.user, [NS2, NS1]))
    r = SCENARIOS.get(sess.user, sc_empty)(sess, iq, p)
    return r if r is not None else iq_error(iq, "service-unavailable")


def serve(conn, ctx, end):
    sess = Session(conn)
    try:
        sess.restart()
        expect(sess, end, "stream")
        header(sess)
        sess.send("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                  "<required/></starttls></stream:features>")
        expect(sess, end, "elem", "starttls")
        sess.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        sess.sock = ctx.wrap_socket(conn, server_side=True)
        sess.restart()
        expect(sess, end, "stream")
        header(sess)
        sess.send("<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                  "<mechanism>PLAIN</mechanism></mechanisms></stream:features>")
        auth = expect(sess, end, "elem", "auth")
        parts = base64.b64decode((auth.text or "").strip() or "AA==").split(b"\0")
        sess.user = (parts[1] if len(parts) > 2 else b"?").decode(errors="replace")
        sess.send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
        sess.restart()
        expect(sess, end, "stream")
        header(sess)
        sess.send("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                  "</stream:features>")
        while True:
            _, el = sess.next(end)
            tag = el.tag.split("}")[-1]
            if tag == "presence":
                hook = ON_PRESENCE.get(sess.user)
                if hook:
                    threading.Thread(target=hook, args=(sess,), daemon=True).start()
            elif tag == "iq":
                r = handle_iq(sess, el)
                if r == "DROP":
                    log(user=sess.user, dropped=True)
                    sess.sock.close()  # no close_notify
                    return
                if r:
                    sess.send(r)
    except (EOFError, ssl.SSLError, OSError, ET.ParseError):
        pass
    finally:
        try:
            sess.sock.close()
        except OSError:
            pass


def main():
    global LOG_PATH
    port, cert, key, LOG_PATH = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    secs = float(sys.argv[5]) if len(sys.argv) > 5 else 300.0
    end = time.time() + secs
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    srv.settimeout(0.5)
    while time.time() < end:
        try:
            c, _ = srv.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(c, ctx, min(end, time.time() + 120)),
                         daemon=True).start()


if __name__ == "__main__":
    main()
