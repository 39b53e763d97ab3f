#!/usr/bin/python3
"""bench/idle_rss.py — memory per idle authenticated client connection of
extdiscod's standalone server (the issue's "RSS per idle connection at
1,000 connections").

  bench/idle_rss.py [--build BUILD_DIR] [-n 1000] [--mode plain|tls|both]
                    [-c CONCURRENT_LOGINS] [--settle SECS] [--malloc-stats]
                    [--wrap 'valgrind --tool=massif ...'] [--exec-loaded CMD]
                    [--keep-dir]

Starts its own extdiscod (BUILD_DIR/daemon/extdiscod) with a temporary
configuration: one listener without TLS (require_tls: false, for the
benchmark only) and one STARTTLS listener, a self-signed certificate and
ceil(n/8) accounts (a user may bind at most 16 resources).  For each mode:

  1. warm-up: 32 connections log in, bind and close (first-use costs of
     OpenSSL, libgsasl, SQLite and the allocator are not per connection);
  2. baseline VmRSS of the daemon (/proc/PID/status);
  3. n connections log in (SCRAM-SHA-1; STARTTLS first in tls mode), bind
     a resource, send initial presence and a ping; the script waits until
     every one of them got the ping reply, i.e. the server has nothing left
     to do for any of them;
  4. after a settle (3 s: the server releases the XML parser of a session
     that has been quiet for 1-2 s), VmRSS again; (loaded - baseline) / n is
     the cost of one idle authenticated connection.  The connections are
     then closed and VmRSS read once more.

--malloc-stats also asks glibc (gdb calls malloc_stats() in the daemon) for
the heap in use, to tell live memory from fragmentation.  The daemon is
restarted for each mode so the modes do not share heap.  Prints, e.g.
  plain: n=1000 baseline=10172 KiB loaded=12552 KiB (closed: ...) -> 2.38 KiB/conn
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SALTED = {}  # (password, salt, iter) -> salted password (client PBKDF2 cache)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def malloc_in_use(pid, logpath):
    """glibc's own count of the daemon's heap: gdb calls malloc_stats() in
    it (output to the daemon's stderr, i.e. its log); returns (system bytes,
    in use bytes) of the "Total" section, or None without gdb."""
    if not shutil.which('gdb'):
        return None
    before = os.path.getsize(logpath)
    subprocess.run(['gdb', '-p', str(pid), '-batch', '-nx', '-ex', 'call (void)malloc_stats()'],
                   capture_output=True, timeout=60)
    with open(logpath) as f:
        f.seek(before)
        text = f.read()
    m = re.search(r'Total \(incl. mmap\):\s*system bytes\s*=\s*(\d+)\s*in use bytes\s*=\s*(\d+)', text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def vmrss(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise RuntimeError('no VmRSS')


class Conn:
    """One XMPP client on asyncio streams, just enough for SCRAM + bind."""

    def __init__(self, port, user, pw, tls_ctx):
        self.port, self.user, self.pw, self.tls_ctx = port, user, pw, tls_ctx
        self.r = self.w = None
        self.buf = b''

    async def expect(self, pattern, what):
        rx = re.compile(pattern, re.S)
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            chunk = await self.r.read(65536)
            if not chunk:
                raise RuntimeError(f'{self.user}: closed waiting for {what}: {self.buf[-300:]!r}')
            self.buf += chunk
            if b'<failure' in self.buf or b'stream:error' in self.buf:
                raise RuntimeError(f'{self.user}: error waiting for {what}: {self.buf[-300:]!r}')

    async def header(self):
        self.w.write(b"<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' "
                     b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
        await self.expect(rb'</stream:features>', 'features')

    async def login(self):
        self.r, self.w = await asyncio.open_connection('127.0.0.1', self.port)
        await self.header()
        if self.tls_ctx:
            self.w.write(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            await self.expect(rb'<proceed[^>]*/>', 'proceed')
            await self.w.start_tls(self.tls_ctx, server_hostname='localhost')
            self.buf = b''
            await self.header()
        # SCRAM-SHA-1 (RFC 5802)
        cnonce = base64.b64encode(os.urandom(18)).decode()
        bare = f'n={self.user},r={cnonce}'
        self.w.write(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>" +
                     base64.b64encode(b'n,,' + bare.encode()) + b'</auth>')
        m = await self.expect(rb'<challenge[^>]*>([^<]*)</challenge>', 'challenge')
        first = base64.b64decode(m.group(1)).decode()
        f = dict(kv.split('=', 1) for kv in first.split(','))
        salt, it = base64.b64decode(f['s']), int(f['i'])
        key = (self.pw, salt, it)
        if key not in SALTED:
            SALTED[key] = hashlib.pbkdf2_hmac('sha1', self.pw.encode(), salt, it)
        salted = SALTED[key]
        ck = hmac.new(salted, b'Client Key', 'sha1').digest()
        stored = hashlib.sha1(ck).digest()
        final_wo = f'c=biws,r={f["r"]}'
        auth_msg = f'{bare},{first},{final_wo}'.encode()
        sig = hmac.new(stored, auth_msg, 'sha1').digest()
        proof = bytes(a ^ b for a, b in zip(ck, sig))
        final = f'{final_wo},p={base64.b64encode(proof).decode()}'
        self.w.write(b"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
                     base64.b64encode(final.encode()) + b'</response>')
        await self.expect(rb'<success[^>]*(/>|>[^<]*</success>)', 'success')
        self.buf = b''
        await self.header()
        self.w.write(b"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
        await self.expect(rb"<iq[^>]*id='b1'[^>]*>.*?</iq>", 'bind')
        self.w.write(b"<presence/><iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
        await self.expect(rb"<iq[^>]*id='p1'[^>]*(/>|>.*?</iq>)", 'ping')

    def close(self):
        if self.w:
            self.w.close()


async def open_many(n, port, users, tls_ctx, conc=64):
    conns = [Conn(port, users[i % len(users)], users[i % len(users)], tls_ctx) for i in range(n)]
    sem = asyncio.Semaphore(conc)

    async def one(c):
        async with sem:
            await asyncio.wait_for(c.login(), 60)

    await asyncio.gather(*(one(c) for c in conns))
    return conns


def write_config(d, p_plain, p_tls):
    with open(os.path.join(d, 'turn.secret'), 'w') as f:
        f.write('bench-secret-0123456789\n')
    with open(os.path.join(d, 'extdiscod.yml'), 'w') as f:
        f.write(f"""log: {{level: warn, syslog: false}}
domains: [localhost]
turn_secrets:
  - {{name: dev, secret_files: [turn.secret], ttl: 1h}}
services:
  - {{type: stun, host: 127.0.0.1, port: 3478, transport: udp, allow_local: true}}
c2s:
  domain: localhost
  database: accounts.sqlite
  tls: {{cert: cert.pem, key: key.pem}}
  require_tls: false
  listen:
    - {{address: "127.0.0.1:{p_plain}", tls: none}}
    - {{address: "127.0.0.1:{p_tls}", tls: starttls}}
limits:
  handshake_timeout: 120s
  idle_timeout: 30m
  max_connections: 20000
  max_unauthenticated_per_address: 100000  # one load generator, one address
""")


def wait_port(port, proc, secs=20):
    end = time.time() + secs
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f'extdiscod exited with {proc.returncode}')
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError('extdiscod did not listen')


def measure(args, d, mode, users):
    p_plain, p_tls = free_port(), free_port()
    write_config(d, p_plain, p_tls)
    cmd = [os.path.join(args.build, 'daemon', 'extdiscod'), '-c', os.path.join(d, 'extdiscod.yml')]
    if args.wrap:
        cmd = args.wrap.split() + cmd
    env = dict(os.environ)
    logpath = os.path.join(d, f'extdiscod-{mode}.log')
    log = open(logpath, 'w')
    proc = subprocess.Popen(cmd, cwd=d, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_port(p_plain, proc, 120 if args.wrap else 20)
        port = p_tls if mode == 'tls' else p_plain
        ctx = None
        if mode == 'tls':
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE

        async def run():
            warm = await open_many(32, port, users, ctx)
            for c in warm:
                c.close()
            await asyncio.sleep(1.0)
            base = vmrss(proc.pid)
            mbase = malloc_in_use(proc.pid, logpath) if args.malloc_stats else None
            t0 = time.time()
            conns = await open_many(args.n, port, users, ctx, args.concurrency)
            login_secs = time.time() - t0
            await asyncio.sleep(args.settle)
            loaded = vmrss(proc.pid)
            mload = malloc_in_use(proc.pid, logpath) if args.malloc_stats else None
            if args.exec_loaded:
                subprocess.run(args.exec_loaded.replace('{pid}', str(proc.pid)), shell=True)
            for c in conns:
                c.close()
            await asyncio.sleep(1.5)
            after = vmrss(proc.pid)
            return base, loaded, after, login_secs, mbase, mload

        base, loaded, after, secs, mbase, mload = asyncio.run(run())
        per = (loaded - base) / args.n
        print(f'{mode}: n={args.n} baseline={base} KiB loaded={loaded} KiB '
              f'(closed: {after} KiB; logins took {secs:.1f} s) -> {per:.2f} KiB/conn',
              flush=True)
        if mbase and mload:
            print(f'{mode}: malloc: in use {mbase[1] // 1024} -> {mload[1] // 1024} KiB '
                  f'({(mload[1] - mbase[1]) / 1024 / args.n:.2f} KiB/conn), arena '
                  f'{mbase[0] // 1024} -> {mload[0] // 1024} KiB', flush=True)
        return per
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60 if args.wrap else 10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'))
    ap.add_argument('-n', type=int, default=1000)
    ap.add_argument('--mode', choices=['plain', 'tls', 'both'], default='both')
    ap.add_argument('-c', '--concurrency', type=int, default=64,
                    help='logins in progress at once (default 64)')
    ap.add_argument('--settle', type=float, default=3.0, help='seconds before reading VmRSS')
    ap.add_argument('--wrap', help='command prefix for extdiscod (e.g. valgrind --tool=massif)')
    ap.add_argument('--malloc-stats', action='store_true',
                    help="also report glibc's heap in use (gdb calls malloc_stats() in the daemon)")
    ap.add_argument('--exec-loaded', metavar='CMD',
                    help="run CMD ({pid}: the daemon's) with all connections idle, e.g. "
                         "'vgdb --pid={pid} detailed_snapshot /tmp/idle.massif' under --wrap valgrind")
    ap.add_argument('--keep-dir', action='store_true', help='keep the temporary directory')
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 2 * args.n + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < args.n + 128:
        sys.exit(f'ulimit -n {want} is too small for {args.n} connections')

    d = tempfile.mkdtemp(prefix='idle_rss.')
    try:
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                        'ec_paramgen_curve:prime256v1', '-nodes', '-keyout',
                        os.path.join(d, 'key.pem'), '-out', os.path.join(d, 'cert.pem'),
                        '-days', '2', '-subj', '/CN=localhost'], check=True,
                       capture_output=True)
        write_config(d, free_port(), free_port())
        ctl = os.path.join(args.build, 'daemon', 'extdiscoctl')
        users = [f'u{i}' for i in range(max(1, (args.n + 7) // 8))]
        for u in users:
            subprocess.run([ctl, '-c', os.path.join(d, 'extdiscod.yml'), 'adduser',
                            f'{u}@localhost'], input=u.encode() + b'\n', check=True,
                           capture_output=True)
        modes = ['plain', 'tls'] if args.mode == 'both' else [args.mode]
        for m in modes:
            measure(args, d, m, users)
    finally:
        if args.keep_dir:
            print(f'kept {d}', file=sys.stderr)
        else:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    main()
