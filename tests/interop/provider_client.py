#!/usr/bin/python3
"""tests/interop/provider_client.py — one slixmpp client (Debian's
python3-slixmpp) that logs in to extdiscod's standalone server and asks for
services, for tests/interop/provider_http.sh.

  provider_client.py HOST PORT JID PASSWORD [--src ADDR] [--proxy ADDR]
                     [--count N] [--every SECS] [--wait-push SECS --ready FILE]

--src binds the client's socket to ADDR (127.0.0.2, 127.0.0.3: loopback
addresses a network rule can tell apart); --proxy sends a PROXY v1 header
naming ADDR first (a listener with proxy_protocol).  Asks N times (default
1), SECS apart, on one stream; prints one JSON line per answer:
{"ms": time to the answer, "services": [{type, host, port, transport,
username, password, expires, restricted}, ...]}.  --wait-push: available
presence first, touch FILE after the answers, then print the first
XEP-0215 push within SECS as {"push": [{..., "action"}]} (or
{"push": null})."""
import argparse
import asyncio
import functools
import json
import ssl
import time
import xml.etree.ElementTree as ET

import slixmpp

NS2 = 'urn:xmpp:extdisco:2'
ap = argparse.ArgumentParser()
ap.add_argument('host')
ap.add_argument('port', type=int)
ap.add_argument('jid')
ap.add_argument('password')
ap.add_argument('--src')
ap.add_argument('--proxy')
ap.add_argument('--count', type=int, default=1)
ap.add_argument('--every', type=float, default=1.0)
ap.add_argument('--wait-push', type=float)
ap.add_argument('--ready')
a = ap.parse_args()

c = slixmpp.ClientXMPP(a.jid, a.password)
c.ssl_context.check_hostname = False
c.ssl_context.verify_mode = ssl.CERT_NONE
loop = asyncio.get_event_loop()
if a.src:
    loop.create_connection = functools.partial(loop.create_connection, local_addr=(a.src, 0))
if a.proxy:
    sent = {}
    orig = c.connection_made

    def made(transport):
        if not sent:  # slixmpp calls this again after STARTTLS
            sent['y'] = True
            fam = 'TCP6' if ':' in a.proxy else 'TCP4'
            dst = '::1' if fam == 'TCP6' else '127.0.0.1'
            transport.write(('PROXY %s %s %s 40000 %d\r\n' % (fam, a.proxy, dst, a.port)).encode())
        orig(transport)
    c.connection_made = made


async def main():
    started = loop.create_future()
    c.add_event_handler('session_start', lambda _: started.done() or started.set_result(True))
    c.add_event_handler('failed_all_auth', lambda _: started.done() or started.set_result(False))
    c.connect(address=(a.host, a.port), force_starttls=True, disable_starttls=False)
    if not await asyncio.wait_for(started, 20):
        raise SystemExit('login failed')
    pushed = loop.create_future()
    if a.wait_push:
        def on_push(iq):
            if iq['type'] != 'set':
                return  # an answer to our own request
            if not pushed.done():
                pushed.set_result(iq)
            iq.reply().send()
        c.register_handler(slixmpp.xmlstream.handler.Callback(
            'push', slixmpp.xmlstream.matcher.MatchXPath(
                '{jabber:client}iq/{%s}services' % NS2), on_push))
        c.send_presence()
        await asyncio.sleep(0.3)
    for i in range(a.count):
        if i:
            await asyncio.sleep(a.every)
        iq = c.Iq()
        iq['type'] = 'get'
        iq['to'] = c.boundjid.domain
        iq.append(ET.fromstring("<services xmlns='%s'/>" % NS2))
        t0 = time.monotonic()
        r = await iq.send(timeout=15)
        ms = (time.monotonic() - t0) * 1000
        out = []
        for s in r.xml.iter('{%s}service' % NS2):
            out.append({k: s.get(k) for k in ('type', 'host', 'port', 'transport', 'username',
                                               'password', 'expires', 'restricted')})
        print(json.dumps({'ms': round(ms, 1), 'services': out}), flush=True)
    if a.wait_push:
        open(a.ready, 'w').close()
        try:
            iq = await asyncio.wait_for(pushed, a.wait_push)
            out = [{k: s.get(k) for k in ('type', 'host', 'port', 'transport', 'username',
                                           'password', 'expires', 'action')}
                   for s in iq.xml.iter('{%s}service' % NS2)]
            print(json.dumps({'push': out}), flush=True)
        except asyncio.TimeoutError:
            print(json.dumps({'push': None}), flush=True)
    c.disconnect()


loop.run_until_complete(main())
