#!/usr/bin/python3
"""tests/interop/c2s_websocket_bad.py HOST WS_PORT WSS_PORT CAFILE LOGFILE PROXY_PORT —
bad input on extdiscod's websocket listeners (run by c2s_websocket.sh; the
ws:// listener allows Origin http://allowed.example, max_stanza_bytes is
16384, handshake_timeout 3 s).  The frames are written by hand here because
they have to be wrong; the server's side is wslay and http-parser.

Each check prints "ok: ..." or "FAIL: ..."; "done" at the end."""
import base64
import os
import socket
import ssl
import struct
import sys
import time

HOST, PORT, WSS_PORT, CAFILE, LOG = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
PROXY_PORT = int(sys.argv[6])  # wss:// with proxy_protocol
FR = "urn:ietf:params:xml:ns:xmpp-framing"
KEY = base64.b64encode(os.urandom(16)).decode()


def check(cond, what):
    print(('ok: ' if cond else 'FAIL: ') + what, flush=True)
    return cond


def request(path='/xmpp-websocket', proto='xmpp', origin=None, method='GET', extra=''):
    h = '%s %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' \
        'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n' % (method, path, KEY)
    if proto is not None:
        h += 'Sec-WebSocket-Protocol: %s\r\n' % proto
    if origin:
        h += 'Origin: %s\r\n' % origin
    return (h + extra + '\r\n').encode()


def connect(tls=False, proxy=None):
    s = socket.create_connection((HOST, PROXY_PORT if proxy else WSS_PORT if tls else PORT), timeout=10)
    if proxy:
        s.sendall(proxy)
    if tls:
        ctx = ssl.create_default_context(cafile=CAFILE)
        s = ctx.wrap_socket(s, server_hostname='localhost')
    return s


def read_all(s, limit=10):
    out = b''
    s.settimeout(limit)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def http_status(raw):
    try:
        return int(raw.split(b' ', 2)[1])
    except (IndexError, ValueError):
        return None


def upgrade(tls=False, origin=None, proxy=None):
    s = connect(tls, proxy)
    s.sendall(request(path='/ws' if tls else '/xmpp-websocket', origin=origin))
    buf = b''
    while b'\r\n\r\n' not in buf:
        d = s.recv(4096)
        if not d:
            raise RuntimeError('closed during the handshake')
        buf += d
    head, rest = buf.split(b'\r\n\r\n', 1)
    if http_status(head) != 101:
        raise RuntimeError('no 101: %r' % head)
    return s, rest


def frame(op, payload, fin=True, mask=True, length=None):
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | op
    if n < 126:
        h = struct.pack('!BB', b0, (0x80 if mask else 0) | n)
    elif n < 65536:
        h = struct.pack('!BBH', b0, (0x80 if mask else 0) | 126, n)
    else:
        h = struct.pack('!BBQ', b0, (0x80 if mask else 0) | 127, n)
    if not mask:
        return h + payload
    m = os.urandom(4)
    return h + m + bytes(c ^ m[i % 4] for i, c in enumerate(payload))


def frames(data):
    """Parse the server's frames: [(opcode, payload)], stops at a partial one."""
    out = []
    while len(data) >= 2:
        op, n = data[0] & 0x0f, data[1] & 0x7f
        if data[1] & 0x80:
            return out + [('masked!', b'')]
        off = 2
        if n == 126:
            n, off = struct.unpack('!H', data[2:4])[0], 4
        elif n == 127:
            n, off = struct.unpack('!Q', data[2:10])[0], 10
        if len(data) < off + n:
            break
        out.append((op, data[off:off + n]))
        data = data[off + n:]
    return out


def close_code(fs):
    for op, p in fs:
        if op == 8:
            return struct.unpack('!H', p[:2])[0] if len(p) >= 2 else 0
    return None


def text(fs):
    return [p.decode() for op, p in fs if op == 1]


OPEN = "<open xmlns='%s' to='localhost' version='1.0'/>" % FR

# --- the HTTP request --------------------------------------------------------
for what, req, want in [
        ('no Sec-WebSocket-Protocol', request(proto=None), 400),
        ('Sec-WebSocket-Protocol without xmpp', request(proto='chat, xmpp-old'), 400),
        ('disallowed Origin', request(origin='http://evil.example'), 403),
        ('unknown path', request(path='/nope'), 404),
        ('POST', request(method='POST'), 405),
        ('plain GET of the endpoint', b'GET /xmpp-websocket HTTP/1.1\r\nHost: localhost\r\n\r\n', 426),
        ('headers over 8 KiB', request(extra='X-Pad: %s\r\n' % ('a' * 9000)), 431),
        ('not HTTP', b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' + b'\0' * 40 + b'\r\n\r\n', 400)]:
    s = connect()
    s.sendall(req)
    raw = read_all(s)
    check(http_status(raw) == want and b'Connection: close' in raw,
          '%s: HTTP %s (want %d), then closed' % (what, http_status(raw), want))
    s.close()
s, rest = upgrade(origin='http://allowed.example')
check(True, 'allowed Origin: 101')
s.close()

# slow handshake: the request trickles; closed at handshake_timeout (3 s)
s = connect()
t0 = time.time()
s.sendall(b'GET /xmpp-websocket HTTP/1.1\r\n')
closed = False
try:
    for _ in range(20):
        s.sendall(b'X: y\r\n')
        time.sleep(0.4)
except (BrokenPipeError, ConnectionResetError):
    closed = True
raw = read_all(s, 3) if not closed else b''
dt = time.time() - t0
check((closed or raw == b'') and 2 < dt < 7, 'trickled request closed after %.1f s without a response' % dt)
s.close()

# --- frames ------------------------------------------------------------------
def after(payload_frames, what, want_code, wait=5):
    s, rest = upgrade()
    for f in payload_frames:
        s.sendall(f)
    fs = frames(rest + read_all(s, wait))
    code = close_code(fs)
    check(code == want_code, '%s: close code %s (want %d)' % (what, code, want_code))
    s.settimeout(5)
    try:
        check(s.recv(1) == b'', '%s: then the connection is closed' % what)
    except OSError as e:
        check(isinstance(e, ConnectionResetError), '%s: then the connection is closed (%s)' % (what, e))
    s.close()
    return fs


after([frame(1, OPEN.encode(), mask=False)], 'unmasked client frame', 1002)
after([frame(2, OPEN.encode())], 'binary message', 1003)
after([frame(1, b'<message>\xff\xfe</message>')], 'invalid UTF-8 in a text message', 1007)
after([frame(1, b'a' * 100, length=20000)], 'a 20000-byte frame (limit 16384)', 1009)
# fragmented over the limit: 5 x 4000 bytes in continuation frames
after([frame(1, b'<message>' + b'a' * 3991, fin=False)] +
      [frame(0, b'a' * 4000, fin=False) for _ in range(3)] + [frame(0, b'a' * 4000)],
      'a fragmented 20000-byte message', 1009)
after([frame(0, b'abc')], 'a continuation frame with nothing to continue', 1002)
# a frame wslay cannot parse (a control frame over 125 bytes) fails the
# connection with an empty close frame (wslay 1.1.1; RFC 6455 §7.1.7 leaves the
# code optional): code 0 here
after([frame(9, b'x' * 200)], 'a 200-byte ping (control frames stop at 125): empty close frame', 0)

# a fragmented <open/> is put together; a ping is answered with its payload
s, rest = upgrade()
o = OPEN.encode()
s.sendall(frame(1, o[:10], fin=False) + frame(9, b'are you there') + frame(0, o[10:]))
fs = frames(rest + read_all(s, 1.5))
check((10, b'are you there') in fs, 'ping between fragments answered with a pong of the same payload')
t = text(fs)
check(len(t) >= 2 and t[0].startswith("<open xmlns='%s'" % FR) and "from='localhost'" in t[0] and
      t[0].endswith('/>') and
      t[1].startswith("<stream:features xmlns:stream='http://etherx.jabber.org/streams'>"),
      'fragmented <open/> answered with <open/> and <stream:features/> (stream prefix declared)')
# <close/> ends the stream: <close/> back, then close frame 1000
s.sendall(frame(1, ("<close xmlns='%s'/>" % FR).encode()))
fs = frames(read_all(s, 5))
check(text(fs) == ["<close xmlns='%s'/>" % FR] and close_code(fs) == 1000,
      '<close/> answered with <close/> and close code 1000: %r' % (fs,))
s.close()

# a stream error: <stream:error/> as its own message, <close/>, close frame
s, rest = upgrade()
s.sendall(frame(1, ("<open xmlns='%s' to='elsewhere.example' version='1.0'/>" % FR).encode()))
fs = frames(rest + read_all(s, 5))
t = text(fs)
check(len(t) == 3 and t[0].startswith('<open ') and
      t[1].startswith("<stream:error xmlns:stream='http://etherx.jabber.org/streams'><host-unknown") and
      t[2] == "<close xmlns='%s'/>" % FR and close_code(fs) == 1000,
      'wrong domain: <open/>, <stream:error> with host-unknown, <close/>, close 1000')
s.close()

# a stanza before <open/>, and two stanzas in one message, fail in the parser
after([frame(1, b"<message xmlns='jabber:client'/>")], 'a stanza before <open/> (stream error)', 1000)
# the client's own close frame: answered, connection closed
s, rest = upgrade()
s.sendall(frame(1, OPEN.encode()) + frame(8, struct.pack('!H', 1001) + b'bye'))
fs = frames(rest + read_all(s, 5))
check(close_code(fs) == 1001, 'client close frame (1001) echoed: %s' % close_code(fs))
s.close()

# abrupt ends: half a frame header, half a payload, then RST
for cut in (frame(1, OPEN.encode())[:1], frame(1, OPEN.encode())[:9]):
    s, rest = upgrade()
    s.sendall(cut)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()
check(True, 'abrupt closes mid-frame sent')

# --- a slow reader (wss, PLAIN over TLS): cut once 1 MiB is queued ----------
def login(user, proxy=None):
    s, rest = upgrade(tls=True, proxy=proxy)
    buf = [rest]

    def wait_for(token):
        data = b''.join(buf)
        while token.encode() not in data:
            d = s.recv(65536)
            if not d:
                raise RuntimeError('closed while waiting for %s' % token)
            data += d
        buf[:] = [data.split(token.encode(), 1)[1]]
    s.sendall(frame(1, OPEN.encode()))
    wait_for('</stream:features>')
    cred = base64.b64encode(b'\0' + user.encode() + b'\0' + user.encode()).decode()
    s.sendall(frame(1, ("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
                        % cred).encode()))
    wait_for('<success')
    s.sendall(frame(1, OPEN.encode()))
    wait_for('</stream:features>')
    s.sendall(frame(1, b"<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                       b"<resource>slow</resource></bind></iq>"))
    wait_for('</iq>')
    s.pending = buf
    return s


try:
    slow = login('alice')
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    fast = login('bob')
    body = 'x' * 12000
    msg = ("<message xmlns='jabber:client' to='alice@localhost/slow' type='chat'><body>%s</body></message>"
           % body).encode()
    t0 = time.time()
    cut = False
    for i in range(400):
        fast.sendall(frame(1, msg))
        if i % 20 == 19:
            time.sleep(0.05)
            with open(LOG, errors='replace') as f:
                if 'output queue full, closing' in f.read():
                    cut = True
                    break
    check(cut, 'a WebSocket client that does not read is cut when its queue passes 1 MiB '
               '(after %d messages of 12 kB, %.1f s)' % (i + 1, time.time() - t0))
    fast.sendall(frame(1, b"<iq xmlns='jabber:client' type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>"))
    got = b''
    fast.settimeout(5)
    while b"id='p'" not in got:
        d = fast.recv(65536)
        if not d:
            break
        got += d
    check(b"id='p'" in got, 'the sender is not disturbed: its ping is answered')
    fast.close()
    slow.close()
except (RuntimeError, OSError) as e:
    check(False, 'slow reader: %s' % e)
# --- behind a proxy: PROXY v1, then TLS and WebSocket; XEP-0279 says the
# address the proxy reports
try:
    s = login('bob', proxy=b'PROXY TCP4 203.0.113.7 127.0.0.1 40001 443\r\n')
    s.sendall(frame(1, b"<iq xmlns='jabber:client' type='get' id='sic'><address xmlns='urn:xmpp:sic:1'/></iq>"))
    data = b''.join(s.pending)
    s.settimeout(5)
    while b'</iq>' not in data:
        d = s.recv(65536)
        if not d:
            break
        data += d
    check(b'<ip>203.0.113.7</ip><port>40001</port>' in data,
          'wss:// behind a PROXY header: XEP-0279 answers 203.0.113.7:40001 (%r)' % data[-200:])
    s.close()
except (RuntimeError, OSError) as e:
    check(False, 'PROXY + wss: %s' % e)
print('done', flush=True)
