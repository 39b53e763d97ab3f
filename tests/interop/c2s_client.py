#!/usr/bin/python3
"""tests/interop/c2s_client.py — slixmpp (Debian's python3-slixmpp) against
extdiscod's standalone server.  Run by tests/interop/c2s_slixmpp.sh.

  c2s_client.py login  HOST PORT JID PASSWORD MECH   STARTTLS + SASL MECH, then
        disco#info, services, credentials, sic:1, sic:0 (xep_0279), ping;
        prints "TURN <transport> <username> <password>" for each TURN entry
  c2s_client.py pair   HOST PORT JID1 PW1 JID2 PW2   message, IQ, roster
        push, subscription round trip between two logged-in clients
  c2s_client.py wspeer HOST PORT JID PASSWORD PEER_BARE   over TCP, with a
        WebSocket client (c2s_websocket.js peer): subscriptions both ways,
        sees its available presence, message there and back, then its
        unavailable presence
  c2s_client.py push   HOST PORT JID PASSWORD READYFILE   presence + services,
        touches READYFILE, waits for a services push (config reload)

Every check prints "ok: ..." or "FAIL: ..."; the exit status is the number of
failures (capped), 0 when all passed."""
import asyncio
import logging
import os
import ssl
import sys
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

NS2 = 'urn:xmpp:extdisco:2'
SIC1 = 'urn:xmpp:sic:1'
failures = []


def check(cond, what):
    if cond:
        print('ok: ' + what, flush=True)
    else:
        print('FAIL: ' + what, flush=True)
        failures.append(what)
    return cond


def client(jid, password, host, port, mech=None):
    c = slixmpp.ClientXMPP(jid, password, sasl_mech=mech)
    c.ssl_context.check_hostname = False
    c.ssl_context.verify_mode = ssl.CERT_NONE
    for p in ('xep_0030', 'xep_0199', 'xep_0279'):
        c.register_plugin(p)
    if mech == 'PLAIN':
        # slixmpp cannot tell that a STARTTLS stream is encrypted; the test
        # checks the TLS itself ('stream is TLS')
        c['feature_mechanisms'].unencrypted_plain = True
    c.connect_args = (host, int(port))
    c.failed_auth_seen = False

    def on_failed(_):
        c.failed_auth_seen = True
    c.add_event_handler('failed_auth', on_failed)
    return c


async def online(c, timeout=15):
    """Connect and wait for session_start (bound + roster fetched)."""
    started = asyncio.get_event_loop().create_future()
    c.add_event_handler('session_start', lambda _: started.done() or started.set_result(True))
    c.add_event_handler('failed_all_auth', lambda _: started.done() or started.set_result(False))
    c.connect(address=c.connect_args, force_starttls=True, disable_starttls=False)
    try:
        return await asyncio.wait_for(started, timeout)
    except asyncio.TimeoutError:
        return False


def raw_iq(c, itype, to, payload_xml):
    iq = c.Iq()
    iq['type'] = itype
    if to:
        iq['to'] = to
    iq.append(ET.fromstring(payload_xml))
    return iq


async def scenario_login(host, port, jid, pw, mech):
    c = client(jid, pw, host, port, mech)
    if not check(await online(c), 'login with STARTTLS + %s as %s' % (mech, jid)):
        return
    domain = c.boundjid.domain
    check(c.boundjid.resource != '', 'bound resource %s' % c.boundjid.full)
    check(c.socket is not None and isinstance(c.socket, ssl.SSLSocket) or
          hasattr(c.socket, 'version'), 'stream is TLS')
    info = await c['xep_0030'].get_info(jid=domain, timeout=10)
    feats = info['disco_info']['features']
    check(NS2 in feats, 'disco#info lists %s' % NS2)
    check(SIC1 in feats, 'disco#info lists %s' % SIC1)
    r = await raw_iq(c, 'get', domain, "<services xmlns='%s'/>" % NS2).send(timeout=10)
    svcs = r.xml.find('{%s}services' % NS2)
    items = svcs.findall('{%s}service' % NS2) if svcs is not None else []
    types = sorted((s.get('type'), s.get('transport')) for s in items)
    check(('stun', 'udp') in types and ('turn', 'udp') in types and ('turn', 'tcp') in types,
          'services: %s' % types)
    turns = [s for s in items if s.get('type') == 'turn']
    check(turns and all(s.get('username') and s.get('password') and s.get('expires')
                        for s in turns), 'TURN entries carry inline credentials')
    for s in turns:
        print('TURN %s %s %s %s' % (s.get('transport'), s.get('port'), s.get('username'),
                                    s.get('password')), flush=True)
    r = await raw_iq(c, 'get', domain,
                     "<credentials xmlns='%s'><service type='turn' host='%s' port='%s'/>"
                     "</credentials>" % (NS2, turns[0].get('host'), turns[0].get('port'))
                     ).send(timeout=10)
    cr = r.xml.find('{%s}credentials/{%s}service' % (NS2, NS2))
    check(cr is not None and cr.get('username') and cr.get('password'),
          'credentials for turn %s:%s' % (turns[0].get('host'), turns[0].get('port')))
    # sic:1 (no plugin for it in slixmpp: raw)
    r = await raw_iq(c, 'get', None, "<address xmlns='%s'/>" % SIC1).send(timeout=10)
    addr = r.xml.find('{%s}address' % SIC1)
    ip = addr.findtext('{%s}ip' % SIC1) if addr is not None else None
    sport = addr.findtext('{%s}port' % SIC1) if addr is not None else None
    local = c.transport.get_extra_info('sockname')
    check(ip == local[0] and sport == str(local[1]),
          'sic:1 says %s:%s, our socket is %s:%s' % (ip, sport, local[0], local[1]))
    # sic:0 through slixmpp's xep_0279 plugin
    r = await c['xep_0279'].check_ip(timeout=10)
    check(r['ip_check'] == local[0], 'sic:0 (xep_0279 plugin) says %s' % r['ip_check'])
    # to our own bare JID works too
    r = await raw_iq(c, 'get', c.boundjid.bare, "<address xmlns='%s'/>" % SIC1).send(timeout=10)
    check(r['type'] == 'result', 'sic:1 to own bare JID')
    ok = await c['xep_0199'].ping(jid=domain, timeout=10)
    check(ok is not False, 'XEP-0199 ping to the domain')
    c.disconnect()


async def scenario_pair(host, port, j1, p1, j2, p2):
    a = client(j1, p1, host, port)
    b = client(j2, p2, host, port)
    if not (check(await online(a), 'login %s' % j1) and check(await online(b), 'login %s' % j2)):
        return
    loop = asyncio.get_event_loop()
    # start from a clean roster
    for c, other in ((a, b), (b, a)):
        try:
            await c.update_roster(other.boundjid.bare, subscription='remove')
        except (IqError, IqTimeout):
            pass
    await asyncio.sleep(0.5)
    # interested resources (RFC 6121 §2.1.6): only they get roster pushes
    await a.get_roster(timeout=10)
    await b.get_roster(timeout=10)
    a.send_presence()
    b.send_presence()
    await asyncio.sleep(0.5)

    got = loop.create_future()
    b.add_event_handler('message', lambda m: got.done() or got.set_result(m))
    a.send_message(mto=b.boundjid.full, mbody='hello bob', mtype='chat')
    try:
        m = await asyncio.wait_for(got, 10)
        check(m['body'] == 'hello bob' and m['from'] == a.boundjid.full,
              'message alice -> bob full JID, from stamped %s' % m['from'])
    except asyncio.TimeoutError:
        check(False, 'message alice -> bob delivered')

    got2 = loop.create_future()
    b.add_event_handler('message', lambda m: got2.done() or got2.set_result(m))
    a.send_message(mto=b.boundjid.bare, mbody='to the bare JID', mtype='chat')
    try:
        m = await asyncio.wait_for(got2, 10)
        check(m['body'] == 'to the bare JID', 'message to bare JID reaches the resource')
    except asyncio.TimeoutError:
        check(False, 'message to bare JID delivered')

    # IQ between clients: bob answers a custom query
    def on_iq(iq):
        r = iq.reply()
        r.append(ET.fromstring("<answer xmlns='urn:example:t'>42</answer>"))
        r.send()
    b.register_handler(slixmpp.xmlstream.handler.Callback(
        'custom', slixmpp.xmlstream.matcher.MatchXPath('{jabber:client}iq/{urn:example:t}q'),
        on_iq))
    r = await raw_iq(a, 'get', b.boundjid.full, "<q xmlns='urn:example:t'/>").send(timeout=10)
    ans = r.xml.find('{urn:example:t}answer')
    check(ans is not None and ans.text == '42' and r['from'] == b.boundjid.full,
          'IQ alice -> bob answered by bob')
    try:
        await raw_iq(a, 'get', b.boundjid.bare, "<q xmlns='urn:example:t'/>").send(timeout=10)
        check(False, 'IQ to bare JID with unknown payload gets service-unavailable')
    except IqError as e:
        check(e.iq['error']['condition'] == 'service-unavailable',
              'IQ to bare JID with unknown payload: %s' % e.iq['error']['condition'])
    try:
        await raw_iq(a, 'get', b.boundjid.bare, "<address xmlns='%s'/>" % SIC1).send(timeout=10)
        check(False, 'sic:1 for another user is refused')
    except IqError as e:
        check(e.iq['error']['condition'] == 'forbidden',
              'sic:1 to another user: %s' % e.iq['error']['condition'])
    try:
        await a.send_message(mto='nobody@' + a.boundjid.domain, mbody='x', mtype='chat')
    except TypeError:
        pass

    # roster push + subscription round trip
    push = loop.create_future()
    a.add_event_handler('roster_update', lambda iq: push.done() or push.set_result(iq))
    await a.update_roster(b.boundjid.bare, name='Bob', groups=['Friends'])
    try:
        await asyncio.wait_for(push, 10)
        item = a.client_roster[b.boundjid.bare]
        check(item['name'] == 'Bob' and 'Friends' in item['groups'],
              'roster push after roster set (name %r, groups %r)' % (item['name'], item['groups']))
    except asyncio.TimeoutError:
        check(False, 'roster push after roster set')

    sub_req = loop.create_future()
    b.add_event_handler('presence_subscribe',
                        lambda p: sub_req.done() or sub_req.set_result(p))
    b.auto_authorize = None  # answer by hand
    subscribed = loop.create_future()
    a.add_event_handler('presence_subscribed',
                        lambda p: subscribed.done() or subscribed.set_result(p))
    avail = loop.create_future()
    a.add_event_handler('got_online',
                        lambda p: p['from'].bare == b.boundjid.bare and not avail.done()
                        and avail.set_result(p))
    a.send_presence(pto=b.boundjid.bare, ptype='subscribe')
    try:
        p = await asyncio.wait_for(sub_req, 10)
        check(p['from'].bare == a.boundjid.bare, 'bob got the subscription request')
        b.send_presence(pto=a.boundjid.bare, ptype='subscribed')
        p = await asyncio.wait_for(subscribed, 10)
        check(p['from'].bare == b.boundjid.bare, 'alice got subscribed')
        await asyncio.wait_for(avail, 10)
        check(True, "alice got bob's presence after the subscription")
    except asyncio.TimeoutError:
        check(False, 'subscription round trip')
    await asyncio.sleep(0.5)
    ra = await a.get_roster(timeout=10)
    sa = ra['roster']['items'].get(b.boundjid.bare, {}).get('subscription')
    rb = await b.get_roster(timeout=10)
    sb = rb['roster']['items'].get(a.boundjid.bare, {}).get('subscription')
    check(sa == 'to' and sb == 'from', 'stored subscriptions: alice->bob %s, bob->alice %s'
          % (sa, sb))
    # clean up for the next run
    await a.update_roster(b.boundjid.bare, subscription='remove')
    await asyncio.sleep(0.3)
    rb = await b.get_roster(timeout=10)
    sb = rb['roster']['items'].get(a.boundjid.bare, {}).get('subscription')
    check(sb in (None, 'none'), 'removing the item cancels bob\'s "from" (now %s)' % sb)
    a.disconnect()
    b.disconnect()


async def scenario_push(host, port, jid, pw, readyfile):
    c = client(jid, pw, host, port)
    if not check(await online(c), 'login %s' % jid):
        return
    pushes = asyncio.get_event_loop().create_future()

    def on_push(iq):
        if iq['type'] != 'set':
            return
        if not pushes.done():
            pushes.set_result(iq)
        iq.reply().send()
    c.register_handler(slixmpp.xmlstream.handler.Callback(
        'push', slixmpp.xmlstream.matcher.MatchXPath('{jabber:client}iq/{%s}services' % NS2),
        on_push))
    c.send_presence()
    await asyncio.sleep(0.3)
    r = await raw_iq(c, 'get', c.boundjid.domain, "<services xmlns='%s'/>" % NS2).send(timeout=10)
    check(r['type'] == 'result', 'services before the reload')
    open(readyfile, 'w').close()
    try:
        iq = await asyncio.wait_for(pushes, 30)
        svc = iq.xml.findall('{%s}services/{%s}service' % (NS2, NS2))
        desc = ['%s/%s:%s %s' % (s.get('type'), s.get('transport'), s.get('port'),
                                 s.get('action')) for s in svc]
        check(iq['type'] == 'set' and svc, 'services push after the reload: %s' % desc)
        print('PUSH ' + ' '.join(desc), flush=True)
    except asyncio.TimeoutError:
        check(False, 'services push after the reload')
    c.disconnect()


async def scenario_wspeer(host, port, jid, pw, peer):
    c = client(jid, pw, host, port)  # auto_authorize/auto_subscribe: slixmpp's defaults
    loop = asyncio.get_event_loop()
    avail, unavail, msg = loop.create_future(), loop.create_future(), loop.create_future()

    def on_presence(p):
        if p['from'].bare != peer or p['type'] in ('subscribe', 'subscribed', 'unsubscribe',
                                                    'unsubscribed', 'error'):
            return
        f = unavail if p['type'] == 'unavailable' else avail
        f.done() or f.set_result(p['from'].full)
    c.add_event_handler('presence', on_presence)
    c.add_event_handler('message', lambda m: msg.done() or msg.set_result(m))
    if not check(await online(c), 'login %s over TCP' % jid):
        return
    await c.get_roster(timeout=10)
    c.send_presence()
    try:
        full = await asyncio.wait_for(avail, 30)
        check(full == peer + '/stanzajs', 'TCP client sees the WebSocket client available: %s' % full)
        c.send_message(mto=full, mbody='hello from tcp', mtype='chat')
        m = await asyncio.wait_for(msg, 15)
        check(m['body'] == 'hello from websocket' and m['from'] == full,
              'TCP client got the WebSocket client\'s reply from %s' % m['from'])
        gone = await asyncio.wait_for(unavail, 15)
        check(gone == full, 'TCP client sees the WebSocket client go unavailable')
    except asyncio.TimeoutError:
        check(False, 'presence and messages with the WebSocket client in time')
    c.disconnect()
    await asyncio.sleep(0.2)


def main():
    logging.basicConfig(level=os.environ.get('C2S_LOG', 'ERROR'))
    what, args = sys.argv[1], sys.argv[2:]
    coro = {'login': scenario_login, 'pair': scenario_pair, 'push': scenario_push,
            'wspeer': scenario_wspeer}[what]
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(coro(*args), 90))
    except asyncio.TimeoutError:
        check(False, '%s finished in time' % what)
    except (IqError, IqTimeout) as e:
        check(False, '%s: unexpected %s' % (what, e.__class__.__name__))
    sys.exit(min(len(failures), 100))


if __name__ == '__main__':
    main()
