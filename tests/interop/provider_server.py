#!/usr/bin/python3
"""tests/interop/provider_server.py — a local HTTPS server (test CA, loopback)
that speaks the documented APIs of the hosted TURN services extdiscod's
HTTP credential providers call, since the real ones cannot be reached from
the test machine:

  Cloudflare Realtime TURN
    POST /v1/turn/keys/{TURN_KEY_ID}/credentials/generate-ice-servers
    POST /v1/turn/keys/{TURN_KEY_ID}/credentials/generate   (older; one object)
    Authorization: Bearer {TURN_KEY_API_TOKEN}, Content-Type: application/json,
    body {"ttl": N}  ->  201 {"iceServers": [{"urls": [...]}, {"urls": [...],
    "username": ..., "credential": ...}]}
  Twilio Network Traversal Service
    POST /2010-04-01/Accounts/{AccountSid}/Tokens.json, HTTP basic
    (AccountSid or API key SID : auth token), form body Ttl=N  ->  201
    {"account_sid", "date_created", "date_updated", "ice_servers": [{"url",
    "urls", "username"?, "credential"?}], "password", "ttl": "N", "username"}
    errors: {"code": 20003, "message": "Authenticate", "more_info", "status": 401}

  provider_server.py PORT CERT KEY STATEFILE LOGFILE CF_KEY_ID CF_TOKEN TW_SID TW_TOKEN

Every request is logged as one JSON line to LOGFILE (time, method, path,
authorization, content type, body).  STATEFILE (JSON, read at each request)
sets each API's behaviour: "ok", "more" (Cloudflare: one more TURN URL,
turns 443), "401", "429", "500", "malformed" (a body
that is not JSON), "hang" (answer after 60 s).  Credentials carry a counter
(cf-user-N / tw-user-N), so a refresh is visible in the replies."""
import base64
import json
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, CERT, KEY, STATE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
CF_KEY_ID, CF_TOKEN, TW_SID, TW_TOKEN = sys.argv[6:10]
lock = threading.Lock()
counter = {'cf': 0, 'tw': 0}


def mode(api):
    try:
        with open(STATE) as f:
            return json.load(f).get(api, 'ok')
    except (OSError, ValueError):
        return 'ok'


class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def reply(self, code, obj, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.handle_any('GET')

    def do_POST(self):
        self.handle_any('POST')

    def handle_any(self, method):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n).decode('utf-8', 'replace') if n else ''
        entry = {'t': time.time(), 'method': method, 'path': self.path,
                 'authorization': self.headers.get('Authorization'),
                 'content_type': self.headers.get('Content-Type'), 'body': body}
        with lock, open(LOG, 'a') as f:
            f.write(json.dumps(entry) + '\n')
        cf_paths = ['/v1/turn/keys/%s/credentials/generate-ice-servers' % CF_KEY_ID,
                    '/v1/turn/keys/%s/credentials/generate' % CF_KEY_ID]
        if self.path in cf_paths:
            self.cloudflare(method, body, self.path == cf_paths[1])
        elif self.path == '/2010-04-01/Accounts/%s/Tokens.json' % TW_SID:
            self.twilio(method, body)
        else:
            self.reply(404, {'code': 20404, 'message': 'The requested resource was not found',
                             'status': 404})

    def common_errors(self, api, err):
        m = mode(api)
        if m == 'hang':
            time.sleep(60)
            return True
        if m in ('401', '429', '500'):
            self.reply(int(m), err(int(m)))
            return True
        if m == 'malformed':
            self.reply(201, None, raw=b'{"iceServers": [{"urls": ["turn:x')
            return True
        return False

    def cloudflare(self, method, body, single):
        def err(code):
            return {'success': False, 'errors': [{'code': 10000 + code,
                                                  'message': 'error %d' % code}]}
        if self.common_errors('cf', err):
            return
        if method != 'POST' or self.headers.get('Authorization') != 'Bearer ' + CF_TOKEN:
            self.reply(401, err(401))
            return
        try:
            ttl = int(json.loads(body)['ttl'])
        except (ValueError, KeyError, TypeError):
            self.reply(400, err(400))
            return
        with lock:
            counter['cf'] += 1
            n = counter['cf']
        turn = {'urls': ['turn:turn.cloudflare.com:3478?transport=udp',
                         'turn:turn.cloudflare.com:3478?transport=tcp',
                         'turns:turn.cloudflare.com:5349?transport=tcp',
                         'turn:turn.cloudflare.com:53?transport=udp'],
                'username': 'cf-user-%d-ttl%d' % (n, ttl), 'credential': 'cf-cred-%d' % n}
        if mode('cf') == 'more':
            turn['urls'].append('turns:turn.cloudflare.com:443?transport=tcp')
        if single:
            turn['urls'].insert(0, 'stun:stun.cloudflare.com:3478')
            self.reply(201, {'iceServers': turn})
        else:
            self.reply(201, {'iceServers': [{'urls': ['stun:stun.cloudflare.com:3478',
                                                      'stun:stun.cloudflare.com:53']}, turn]})

    def twilio(self, method, body):
        def err(code):
            msg = {401: 'Authenticate', 429: 'Too Many Requests'}.get(code, 'Internal error')
            return {'code': 20000 + code, 'message': msg,
                    'more_info': 'https://www.twilio.com/docs/errors/%d' % (20000 + code),
                    'status': code}
        if self.common_errors('tw', err):
            return
        want = 'Basic ' + base64.b64encode(('%s:%s' % (TW_SID, TW_TOKEN)).encode()).decode()
        if method != 'POST' or self.headers.get('Authorization') != want:
            self.reply(401, err(401))
            return
        form = urllib.parse.parse_qs(body)
        ttl = int(form.get('Ttl', ['86400'])[0])
        with lock:
            counter['tw'] += 1
            n = counter['tw']
        user, cred = 'tw-user-%d' % n, 'tw-cred-%d' % n
        now = time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())
        servers = [{'url': 'stun:global.stun.twilio.com:3478',
                    'urls': 'stun:global.stun.twilio.com:3478'}]
        for u in ('turn:global.turn.twilio.com:3478?transport=udp',
                  'turn:global.turn.twilio.com:3478?transport=tcp',
                  'turn:global.turn.twilio.com:443?transport=tcp'):
            servers.append({'url': u, 'urls': u, 'username': user, 'credential': cred})
        self.reply(201, {'account_sid': TW_SID, 'date_created': now, 'date_updated': now,
                         'ice_servers': servers, 'password': cred, 'ttl': str(ttl),
                         'username': user})


srv = ThreadingHTTPServer(('127.0.0.1', PORT), H)
srv.daemon_threads = True
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
