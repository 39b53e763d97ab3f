#!/usr/bin/python3
"""tests/interop/metrics_client.py — slixmpp (Debian's python3-slixmpp) making a
known number of requests to extdiscod's standalone server, for
tests/interop/metrics_prometheus.sh.

  metrics_client.py HOST PORT JID PASSWORD NSERVICES NCREDENTIALS NSIC NMISS

Logs in with STARTTLS + SCRAM, then sends, one after the other, NSERVICES
<services/> (urn:xmpp:extdisco:2), NCREDENTIALS <credentials/> for the
configured TURN service, NSIC XEP-0279 sic:1 requests and NMISS
<credentials/> for a service that does not exist (item-not-found).  Prints
one JSON object: how many of each got the expected answer, and the slowest
round trip in seconds.  Exit status 0 when every answer was the expected
one, 1 otherwise."""
import asyncio
import json
import logging
import ssl
import sys
import time
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

NS2 = 'urn:xmpp:extdisco:2'
SIC1 = 'urn:xmpp:sic:1'


def raw_iq(c, to, payload_xml):
    iq = c.Iq()
    iq['type'] = 'get'
    if to:
        iq['to'] = to
    iq.append(ET.fromstring(payload_xml))
    return iq


async def run(host, port, jid, pw, nserv, ncred, nsic, nmiss):
    c = slixmpp.ClientXMPP(jid, pw)
    c.ssl_context.check_hostname = False
    c.ssl_context.verify_mode = ssl.CERT_NONE
    started = asyncio.get_event_loop().create_future()
    c.add_event_handler('session_start', lambda _: started.done() or started.set_result(True))
    c.add_event_handler('failed_all_auth', lambda _: started.done() or started.set_result(False))
    c.connect(address=(host, int(port)), force_starttls=True, disable_starttls=False)
    res = {'login': False, 'services': 0, 'credentials': 0, 'sic': 0, 'item_not_found': 0,
           'errors': [], 'max_rtt': 0.0}
    try:
        res['login'] = await asyncio.wait_for(started, 20)
    except asyncio.TimeoutError:
        pass
    if not res['login']:
        return res
    domain = c.boundjid.domain

    async def ask(payload, to=domain):
        t0 = time.monotonic()
        try:
            r = await raw_iq(c, to, payload).send(timeout=15)
            out = ('result', r)
        except IqError as e:
            out = ('error', e.iq['error']['condition'])
        except IqTimeout:
            out = ('timeout', None)
        res['max_rtt'] = max(res['max_rtt'], time.monotonic() - t0)
        return out

    host_turn = None
    for _ in range(nserv):
        kind, r = await ask("<services xmlns='%s'/>" % NS2)
        if kind == 'result' and r.xml.find('{%s}services' % NS2) is not None:
            res['services'] += 1
            for s in r.xml.find('{%s}services' % NS2):
                if s.get('type') == 'turn':
                    host_turn = (s.get('host'), s.get('port'))
        else:
            res['errors'].append(('services', kind, str(r)))
    if host_turn is None:
        host_turn = ('127.0.0.1', '3478')
    for _ in range(ncred):
        kind, r = await ask("<credentials xmlns='%s'><service type='turn' host='%s' port='%s'/>"
                            "</credentials>" % (NS2, host_turn[0], host_turn[1]))
        cr = r.xml.find('{%s}credentials/{%s}service' % (NS2, NS2)) if kind == 'result' else None
        if cr is not None and cr.get('username') and cr.get('password'):
            res['credentials'] += 1
        else:
            res['errors'].append(('credentials', kind, str(r)))
    for _ in range(nsic):
        kind, r = await ask("<address xmlns='%s'/>" % SIC1, to=None)
        if kind == 'result' and r.xml.find('{%s}address' % SIC1) is not None:
            res['sic'] += 1
        else:
            res['errors'].append(('sic', kind, str(r)))
    for _ in range(nmiss):
        kind, r = await ask("<credentials xmlns='%s'><service type='turn' host='nowhere.invalid'/>"
                            "</credentials>" % NS2)
        if kind == 'error' and r == 'item-not-found':
            res['item_not_found'] += 1
        else:
            res['errors'].append(('miss', kind, str(r)))
    c.disconnect()
    await asyncio.sleep(0.2)
    return res


def main():
    logging.basicConfig(level=logging.ERROR)
    host, port, jid, pw = sys.argv[1:5]
    nserv, ncred, nsic, nmiss = (int(x) for x in sys.argv[5:9])
    res = asyncio.get_event_loop().run_until_complete(
        run(host, port, jid, pw, nserv, ncred, nsic, nmiss))
    print(json.dumps(res), flush=True)
    ok = (res['login'] and res['services'] == nserv and res['credentials'] == ncred and
          res['sic'] == nsic and res['item_not_found'] == nmiss)
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
