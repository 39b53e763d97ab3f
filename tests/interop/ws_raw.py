"""tests/interop/ws_raw.py: a raw XMPP-over-WebSocket client (RFC 7395) for
the c2s_websocket checks that need the bytes themselves.

open_stream(port, tls=False, path, origin=None) connects to 127.0.0.1:port
(TLS without verification when tls is true), upgrades with subprotocol xmpp,
sends the <open/> frame and reads until the stream features have arrived.
It returns (socket, bytes read), or (socket, what arrived before EOF) when
the server closed first."""
import base64
import os
import socket
import ssl


def open_stream(port, tls=False, path='/xmpp-websocket', origin=None):
    s = socket.create_connection(('127.0.0.1', int(port)), timeout=5)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname='localhost')
    s.sendall(('GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n'
               'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n'
               'Sec-WebSocket-Protocol: xmpp\r\n%s\r\n'
               % (path, base64.b64encode(os.urandom(16)).decode(),
                  'Origin: %s\r\n' % origin if origin else '')).encode())
    op = b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>"
    mask = os.urandom(4)
    s.sendall(bytes([0x81, 0x80 | len(op)]) + mask +
              bytes(b ^ mask[i % 4] for i, b in enumerate(op)))
    data = b''
    while b'</stream:features>' not in data:
        d = s.recv(65536)
        if not d:
            break
        data += d
    return s, data
