#!/usr/bin/python3
"""tests/interop/health_client.py — a slixmpp client (Debian's
python3-slixmpp) for tests/interop/health_coturn.sh: what an online client
sees while extdiscod's health checks withdraw and restore services.

  health_client.py services HOST PORT JID PASSWORD
        one <services/> request: prints "SVC type transport host port" per
        service, then one <credentials/> request per TURN entry (prints
        "CRED type transport host port ok|<error condition>")
  health_client.py listen   HOST PORT JID PASSWORD READYFILE STOPFILE
        presence + <services/> (so that it gets pushes), touches READYFILE,
        then prints every push entry as it arrives:
        "PUSH <seconds since start> type transport host port action" (and
        the stanza itself: "PUSHXML <iq .../>"), acknowledges each push, and ends when STOPFILE exists (at most 240 s)

Exit status 0 when the session worked, 1 otherwise."""
import asyncio
import logging
import os
import sys
import time

import slixmpp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from c2s_client import client, online, raw_iq  # noqa: E402  (the same session helpers)

NS2 = 'urn:xmpp:extdisco:2'


def fields(s):
    return '%s %s %s %s' % (s.get('type'), s.get('transport'), s.get('host'), s.get('port'))


async def services(host, port, jid, pw):
    c = client(jid, pw, host, port)
    if not await online(c):
        print('FAIL: login', flush=True)
        return 1
    r = await raw_iq(c, 'get', c.boundjid.domain, "<services xmlns='%s'/>" % NS2).send(timeout=10)
    svcs = r.xml.findall('{%s}services/{%s}service' % (NS2, NS2))
    for s in svcs:
        print('SVC ' + fields(s), flush=True)
    for s in svcs:
        if s.get('type') not in ('turn', 'turns'):
            continue
        q = ("<credentials xmlns='%s'><service type='%s' host='%s' port='%s' "
             "transport='%s'/></credentials>" % (NS2, s.get('type'), s.get('host'),
                                                s.get('port'), s.get('transport')))
        try:
            await raw_iq(c, 'get', c.boundjid.domain, q).send(timeout=10)
            print('CRED %s ok' % fields(s), flush=True)
        except slixmpp.exceptions.IqError as e:
            print('CRED %s %s' % (fields(s), e.iq['error']['condition']), flush=True)
    # HEALTH_ASK_CRED="type transport host port": <credentials/> for that
    # service whether or not the reply listed it (a down one must be refused)
    ask = os.environ.get('HEALTH_ASK_CRED', '').split()
    if len(ask) == 4:
        q = ("<credentials xmlns='%s'><service type='%s' transport='%s' host='%s' "
             "port='%s'/></credentials>" % (NS2, ask[0], ask[1], ask[2], ask[3]))
        try:
            await raw_iq(c, 'get', c.boundjid.domain, q).send(timeout=10)
            print('ASKED %s ok' % ' '.join(ask), flush=True)
        except slixmpp.exceptions.IqError as e:
            print('ASKED %s %s' % (' '.join(ask), e.iq['error']['condition']), flush=True)
    c.disconnect()
    return 0


async def listen(host, port, jid, pw, readyfile, stopfile):
    c = client(jid, pw, host, port)
    t0 = time.monotonic()

    def on_push(iq):
        if iq['type'] != 'set':
            return
        print('PUSHXML %s' % str(iq).replace('\n', ''), flush=True)
        for s in iq.xml.findall('{%s}services/{%s}service' % (NS2, NS2)):
            print('PUSH %.1f %s %s' % (time.monotonic() - t0, fields(s), s.get('action')),
                  flush=True)
        iq.reply().send()
    c.register_handler(slixmpp.xmlstream.handler.Callback(
        'push', slixmpp.xmlstream.matcher.MatchXPath('{jabber:client}iq/{%s}services' % NS2),
        on_push))
    if not await online(c):
        print('FAIL: login', flush=True)
        return 1
    c.send_presence()
    r = await raw_iq(c, 'get', c.boundjid.domain, "<services xmlns='%s'/>" % NS2).send(timeout=10)
    for s in r.xml.findall('{%s}services/{%s}service' % (NS2, NS2)):
        print('SVC ' + fields(s), flush=True)
    open(readyfile, 'w').close()
    end = time.monotonic() + 240
    while not os.path.exists(stopfile) and time.monotonic() < end:
        await asyncio.sleep(0.2)
    c.disconnect()
    return 0


def main():
    logging.basicConfig(level=os.environ.get('HEALTH_LOG', 'ERROR'))
    what, args = sys.argv[1], sys.argv[2:]
    coro = {'services': services, 'listen': listen}[what]
    loop = asyncio.get_event_loop()
    try:
        rc = loop.run_until_complete(asyncio.wait_for(coro(*args), 270))
    except Exception as e:  # noqa: BLE001 - any failure is the test's failure
        print('FAIL: %s: %r' % (what, e), flush=True)
        rc = 1
    sys.exit(rc)


if __name__ == '__main__':
    main()
