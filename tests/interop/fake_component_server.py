#!/usr/bin/python3
"""tests/interop/fake_component_server.py — a host server that misbehaves,
for the component link's tests that need no real server.

  fake_component_server.py PORT COMPONENT_JID SECRET DOMAIN
      (mode "garbage") accepts extdiscod's XEP-0114 link, checks the
      handshake, asks for services, then sends malformed XML; extdiscod must
      drop that stream, reconnect (backoff) and answer again on the new one.

  fake_component_server.py PORT COMPONENT_JID SECRET DOMAIN link CONFIG PIDFILE
      (mode "link") one link, stanzas a real server may forward from a
      client: requests over limits.max_attrs / max_depth (to the component and
      delegated) get policy-violation and the link stays; results and errors
      (with <delegation/>, over the limits) get no answer; delegation and
      advertisements only from the link's own domain (CONFIG serves a second
      domain, other.test); limits reloaded (SIGHUP to the PID in PIDFILE after
      editing CONFIG) reach the running link, idle or mid-stanza; finally the
      link is closed right after each handshake: the reconnect delays must
      grow (backoff not reset by a handshake alone).  Before that, the
      delegation probe (component_probe.c): the domain's disco#info asked
      every 2 s; a missing urn:xmpp:extdisco:2 changes nothing until the
      link has seen it listed; listed, then missing: the link reconnects
      after 0.5 s; missing again within the hold time: it stays.

Prints one JSON line per check ({"check": ..., "ok": bool, ...}); exit 0
when all passed.  Bounded: every wait has a timeout."""
import hashlib
import json
import os
import re
import signal
import socket
import sys
import time

port, jid, secret, domain = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
mode = sys.argv[5] if len(sys.argv) > 5 else "garbage"
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
        except ConnectionResetError:
            return buf, None
        if not d:
            return buf, None
        buf += d
    return buf, None


def handshake(srv, n, secs=30):
    """Accept a link and complete the handshake; (conn, accept time)."""
    srv.settimeout(secs)
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
    return conn, t_accept


def session(srv, n):
    conn, t_accept = handshake(srv, n)
    conn.sendall(("<iq type='get' id='q%d' from='alice@%s/r' to='%s'>"
                  "<services xmlns='urn:xmpp:extdisco:2'/></iq>" % (n, domain, jid)).encode())
    buf, m = read_until(conn, rb"<iq[^>]*id='q%d'[^>]*>.*?</iq>" % n)
    report("services answered on link %d" % n,
           bool(m) and b"type='result'" in m.group(0) and b"<service " in m.group(0))
    return conn, t_accept


def garbage(srv):
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
    report("reconnected after a backoff delay (0.5-1 s)", 0.4 <= t2 - t_bad <= 5,
           delay=round(t2 - t_bad, 2))
    conn2.close()


# ----------------------------------------------------------------- mode link

def reply_to(conn, iid, secs=5):
    """The <iq id=iid> extdiscod sends back (bytes) or None."""
    _, m = read_until(conn, rb"<iq[^>]*id='%s'[^>]*(/>|>.*?</iq>)" % re.escape(iid).encode(),
                      secs)
    return m.group(0) if m else None


PROBE_RE = rb"<iq[^>]*id='(edp-[01]-\d+)'[^>]*>.*?</iq>"


def quiet(conn, secs=0.7):
    """Whatever extdiscod sends within secs (b"" when nothing), its
    delegation probes (link_probe) left out."""
    buf, _ = read_until(conn, rb"(?!x)x", secs)
    return re.sub(PROBE_RE, b"", buf, flags=re.S)


def alive(conn, tag):
    conn.sendall(("<iq type='get' id='ping-%s' from='alice@%s/r' to='%s'>"
                  "<ping xmlns='urn:xmpp:ping'/></iq>" % (tag, domain, jid)).encode())
    r = reply_to(conn, "ping-" + tag, 5)
    return bool(r) and b"type='result'" in r


def policy_violation(r):
    return bool(r) and b"type='error'" in r and b"<policy-violation" in r


ATTRS = " ".join("a%d='v'" % i for i in range(70))


def req(iid, payload, frm=None, to=None, typ="get"):
    return ("<iq type='%s' id='%s' from='%s' to='%s'>%s</iq>"
            % (typ, iid, frm or "alice@%s/r" % domain, to or jid, payload))


def deleg(iid, inner, frm=None, typ="set"):
    return ("<iq type='%s' id='%s' from='%s' to='%s'><delegation xmlns='urn:xmpp:delegation:2'>"
            "<forwarded xmlns='urn:xmpp:forward:0'>%s</forwarded></delegation></iq>"
            % (typ, iid, frm or domain, jid, inner))


def inner_req(iid, payload):
    return ("<iq xmlns='jabber:client' type='get' id='%s' from='bob@%s/x' to='%s'>%s</iq>"
            % (iid, domain, domain, payload))


def deep(n):
    return ("<services xmlns='urn:xmpp:extdisco:2'>" + "<x>" * (n - 2) + "</x>" * (n - 2)
            + "</services>")


def log_lines(path, needle):
    try:
        with open(path, errors="replace") as f:
            return sum(needle in line for line in f)
    except OSError:
        return 0


def sighup(cfg, pidfile, text):
    with open(cfg, "a") as f:
        f.write(text)
    end = time.time() + 10
    while time.time() < end and not os.path.exists(pidfile):
        time.sleep(0.1)
    with open(pidfile) as f:
        os.kill(int(f.read().strip()), signal.SIGHUP)


def link(srv, cfg, pidfile):
    # FAKE_LINK_PARTS=1,3 runs only those parts (to check each alone)
    parts = os.environ.get("FAKE_LINK_PARTS", "1,2,3,4,6,5").split(",")
    log = cfg + ".log"
    conn, _ = handshake(srv, 1)
    time.sleep(0.2)
    for part in (link_limits, link_no_answer, link_domains, link_reload):
        if str(PARTS[part.__name__]) in parts:
            part(conn, cfg, pidfile, log)
    if "6" in parts:
        conn = link_probe(srv, conn, log)
    if "5" in parts:
        link_flapping(srv, conn)


PARTS = {"link_limits": 1, "link_no_answer": 2, "link_domains": 3, "link_reload": 4}


def next_probe(conn, secs=6):
    """The next delegation probe: (its id, the stanza) or (None, None)."""
    _, m = read_until(conn, PROBE_RE, secs)
    return (m.group(1).decode(), m.group(0)) if m else (None, None)


def probe_answer(conn, pid, listed):
    feats = "<feature var='http://jabber.org/protocol/disco#info'/>"
    if listed:
        feats += "<feature var='urn:xmpp:extdisco:2'/><feature var='urn:xmpp:extdisco:1'/>"
    conn.sendall(("<iq type='result' id='%s' from='%s' to='%s'>"
                  "<query xmlns='http://jabber.org/protocol/disco#info'>%s</query></iq>"
                  % (pid, domain, jid, feats)).encode())


def link_probe(srv, conn, log):
    # 6. the delegation probe
    pid, st = next_probe(conn)
    report("probe: a disco#info get to the served domain", bool(pid) and b"type='get'" in st
           and ("to='%s'" % domain).encode() in st and ("from='%s'" % jid).encode() in st
           and b"http://jabber.org/protocol/disco#info" in st and pid.startswith("edp-0-"),
           got=(st or b"")[:300].decode())
    probe_answer(conn, pid, False)  # never listed (a server that does not list it)
    report("probe: namespace never listed -> the link stays", alive(conn, "probe0"))
    pid, _ = next_probe(conn)
    probe_answer(conn, pid or "edp-0-0", True)
    pid, _ = next_probe(conn)
    report("probe: once listed, the next probe says so (edp-1-)", bool(pid) and
           pid.startswith("edp-1-"), id=pid)
    t0 = time.time()
    probe_answer(conn, pid or "edp-1-0", False)  # delegation lost
    eof, end = False, time.time() + 3
    while not eof and time.time() < end:
        conn.settimeout(max(0.1, end - time.time()))
        try:
            eof = conn.recv(65536) == b""
        except socket.timeout:
            break
        except ConnectionResetError:
            eof = True
    report("probe: listed, then missing -> the link is closed", eof)
    conn.close()
    conn, t1 = handshake(srv, 20, secs=10)
    report("probe: ... and reconnects after 0.5 s (not the backoff)", 0.45 <= t1 - t0 < 1.5,
           secs=round(t1 - t0, 3))
    report("probe: the loss is logged", log_lines(log, "no longer delegates") == 1,
           lines=log_lines(log, "no longer delegates"))
    probe_answer(conn, "edp-1-99", False)  # another instance's probe, within the hold
    report("probe: a second loss within the hold time -> the link stays",
           alive(conn, "probe1") and log_lines(log, "no longer delegates") == 1)
    return conn


def link_limits(conn, cfg, pidfile, log):
    # 1. requests over the request limits (default max_attrs 64, max_depth 32)
    conn.sendall(req("at", "<services xmlns='urn:xmpp:extdisco:2' %s/>" % ATTRS).encode())
    r = reply_to(conn, "at")
    report("70 attributes -> policy-violation", policy_violation(r), got=(r or b"")[:300].decode())
    report("link up after 70 attributes", alive(conn, "at"))
    conn.sendall(req("dp", deep(40)).encode())
    r = reply_to(conn, "dp")
    report("40 deep -> policy-violation", policy_violation(r), got=(r or b"")[:300].decode())
    report("link up after 40 deep", alive(conn, "dp"))
    conn.sendall(deleg("o-dp", inner_req("i-dp", deep(40))).encode())
    r = reply_to(conn, "o-dp")
    report("delegated 40 deep -> result wrapping policy-violation for i-dp",
           bool(r) and b"type='result'" in r and b"id='i-dp'" in r and policy_violation(r),
           got=(r or b"")[:400].decode())
    conn.sendall(deleg("o-at", inner_req("i-at", "<ping xmlns='urn:xmpp:ping' %s/>" % ATTRS))
                 .encode())
    r = reply_to(conn, "o-at")
    report("delegated 70 attributes -> policy-violation inside",
           bool(r) and b"id='i-at'" in r and policy_violation(r), got=(r or b"")[:400].decode())
    conn.sendall(req("ok1", "<services xmlns='urn:xmpp:extdisco:2'/>").encode())
    r = reply_to(conn, "ok1")
    report("a request after them is answered", bool(r) and b"type='result'" in r)


def link_no_answer(conn, cfg, pidfile, log):
    # 2. results and errors are never answered (RFC 6120 8.2.3)
    conn.sendall((req("r1", "<delegation xmlns='urn:xmpp:delegation:2'/>", frm=domain,
                      typ="result")
                  + req("r2", "<delegation xmlns='urn:xmpp:delegation:1'/>", typ="error")).encode())
    got = quiet(conn).strip()  # (a whitespace keepalive is no answer)
    report("no answer to a result or error with <delegation/>", got == b"",
           got=got[:300].decode())
    conn.sendall((req("r3", "<ping xmlns='urn:xmpp:ping' %s/>" % ATTRS, typ="result")
                  + req("r4", deep(40), typ="error")).encode())
    got = quiet(conn).strip()
    report("no answer to a result or error over the limits", got == b"",
           got=got[:300].decode())
    report("link up after them", alive(conn, "res"))


def link_domains(conn, cfg, pidfile, log):
    # 3. only the link's own domain delegates and advertises
    conn.sendall(deleg("o-other", inner_req("i-other", "<services xmlns='urn:xmpp:extdisco:2'/>"),
                       frm="other.test").encode())
    r = reply_to(conn, "o-other")
    report("delegation from other.test (served, not this link's) -> forbidden",
           bool(r) and b"type='error'" in r and b"<forbidden" in r, got=(r or b"")[:300].decode())
    conn.sendall(deleg("o-own", inner_req("i-own", "<services xmlns='urn:xmpp:extdisco:2'/>"))
                 .encode())
    r = reply_to(conn, "o-own")
    report("delegation from %s -> result" % domain, bool(r) and b"type='result'" in r
           and b"<service " in r, got=(r or b"")[:200].decode())
    adv = ("<message from='%s' to='%s'><privilege xmlns='urn:xmpp:privilege:2'>"
           "<perm access='presence' type='managed_entity'/></privilege></message>")
    conn.sendall((adv % ("mallory@%s/r" % domain, jid) + adv % ("other.test", jid)).encode())
    alive(conn, "adv1")
    n_bad = log_lines(log, "grants presence permission")
    conn.sendall((adv % (domain, jid)).encode())
    alive(conn, "adv2")
    n_good = log_lines(log, "grants presence permission")
    report("advertisement logged from %s only (not from a user or other.test)" % domain,
           n_bad == 0 and n_good == 1, before=n_bad, after=n_good)


def link_reload(conn, cfg, pidfile, log):
    # 4. reloaded limits reach the running link: 2 MB is over the parser's
    # bound of the defaults (1 MiB); after max_stanza_bytes 1 MiB (bound
    # 4 MiB) it is just a request too big
    sighup(cfg, pidfile, "\nlimits:\n  max_stanza_bytes: 1048576\n")
    ok = False
    for _ in range(50):
        if log_lines(log, "new limits in effect") >= 1:
            ok = True
            break
        time.sleep(0.1)
    report("reload: new limits in effect on the idle link", ok)
    big = req("big2", "<services xmlns='urn:xmpp:extdisco:2'><x>%s</x></services>" % ("A" * 2000000))
    conn.sendall(big.encode())
    r = reply_to(conn, "big2", 10)
    report("after the reload a 2 MB request gets policy-violation (link kept)",
           policy_violation(r) and alive(conn, "big2"), got=(r or b"")[:300].decode())
    # mid-stanza: the swap waits for the end of the stanza
    half = req("mid", "<services xmlns='urn:xmpp:extdisco:2'/>")
    conn.sendall(half[:40].encode())
    time.sleep(0.2)
    with open(cfg) as f:
        text = f.read().replace("max_stanza_bytes: 1048576", "max_stanza_bytes: 4194304")
    with open(cfg, "w") as f:
        f.write(text)
    sighup(cfg, pidfile, "")
    time.sleep(0.5)
    conn.sendall(half[40:].encode())
    r = reply_to(conn, "mid")
    report("a stanza split across the reload is answered", bool(r) and b"type='result'" in r)
    alive(conn, "mid2")
    big = req("big6", "<services xmlns='urn:xmpp:extdisco:2'><x>%s</x></services>" % ("A" * 6000000))
    conn.sendall(big.encode())
    r = reply_to(conn, "big6", 15)
    report("then a 6 MB request gets policy-violation (bound 16 MiB now)",
           policy_violation(r) and alive(conn, "big6"), got=(r or b"")[:300].decode())
    report("one connection all along", log_lines(log, "connected to 127.0.0.1") == 1,
           connects=log_lines(log, "connected to 127.0.0.1"))


def link_flapping(srv, conn):
    # 5. a server that closes right after each handshake: delays must grow
    conn.close()
    last, delays = time.time(), []
    for n in range(3):
        c, t = handshake(srv, 10 + n, secs=20)
        delays.append(round(t - last, 2))
        time.sleep(0.05)
        c.close()
        last = time.time()
    report("flapping server: reconnect delays grow (0.5-1, 1-2, 2-4 s)",
           0.4 <= delays[0] <= 1.5 and 0.95 <= delays[1] <= 2.6 and 1.9 <= delays[2] <= 4.6,
           delays=delays)


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(4)
try:
    if mode == "link":
        link(srv, sys.argv[6], sys.argv[7])
    else:
        garbage(srv)
except (OSError, ValueError) as e:
    report("fake server ran to the end", False, error=repr(e))
srv.close()
sys.exit(0 if ok_all else 1)
