// tests/interop/c2s_websocket.js — StanzaJS 12 (npm `stanza`, its own
// WebSocket transport, RFC 7395) against extdiscod's websocket listener.
//   node c2s_websocket.js WS_URL JID PASSWORD TURN_PORT STUN_PORT
// Logs in with SCRAM-SHA-256 (it prints the mechanism used), asks
// getServices(), getServiceCredentials() and XEP-0279 (a sic:1 definition
// added here: StanzaJS has none), and checks every field.  Prints
// "OK <what>" lines; exits 1 on the first mismatch.  With ONLY=login it
// stops after logging in (the other test parts drive it that way).
'use strict';
const path = require('path');
const { createClient } = require('stanza');
const jxt = require('stanza/jxt');

const [url, jid, password, turnPort] = process.argv.slice(2);
const domain = jid.split('@')[1];
let failed = false;
function check(what, cond, got) {
    if (!cond) {
        console.log(`FAIL ${what}: got ${JSON.stringify(got)}`);
        failed = true;
    } else {
        console.log(`OK ${what}`);
    }
}

const client = createClient({
    jid, password,
    transports: { websocket: url, bosh: false },
    resource: 'stanzajs',
});
// XEP-0279 Server IP Check, urn:xmpp:sic:1 (not in StanzaJS)
client.stanzas.define({
    element: 'address', namespace: 'urn:xmpp:sic:1', path: 'iq.serverIP',
    fields: { ip: jxt.childText(null, 'ip'), port: jxt.childInteger(null, 'port') },
});
let mech = null;
client.on('auth:success', () => {});
client.on('raw:outgoing', d => {
    const m = /<auth[^>]*mechanism=['"]([^'"]+)/.exec(d);
    if (m) mech = m[1];
});
const timer = setTimeout(() => { console.log('FAIL timeout'); process.exit(1); }, 20000);
client.on('stream:error', e => { console.log('FAIL stream error', JSON.stringify(e)); process.exit(1); });
client.on('auth:failed', () => { console.log('FAIL auth failed'); process.exit(1); });

// ONLY=peer PEER=alice@localhost: subscriptions with a TCP client
// (c2s_client.py wspeer), its presence, a message each way
if (process.env.ONLY === 'peer') {
    const peer = process.env.PEER;
    let sawAvailable = false;
    client.on('subscribe', p => client.acceptSubscription(p.from));
    client.on('available', p => {
        if (p.from.split('/')[0] !== peer || sawAvailable) return;
        sawAvailable = true;
        check('WebSocket client sees the TCP client available', true, p.from);
    });
    client.on('message', m => {
        if (!m.body) return;
        check('WebSocket client got the TCP client\'s message',
              m.body === 'hello from tcp' && m.from.split('/')[0] === peer, m);
        client.sendMessage({ to: m.from, body: 'hello from websocket', type: 'chat' });
        setTimeout(() => {
            clearTimeout(timer);
            check('presence before the message', sawAvailable, sawAvailable);
            client.on('disconnected', () => process.exit(failed ? 1 : 0));
            client.disconnect();
            setTimeout(() => process.exit(failed ? 1 : 0), 3000);
        }, 500);
    });
    client.on('session:started', async () => {
        check('SCRAM login (' + mech + ')', /^SCRAM-SHA-/.test(mech), mech);
        await client.getRoster();
        client.sendPresence();
        client.subscribe(peer);
    });
    client.connect();
    return;
}

client.on('session:started', async () => {
    try {
        check('SCRAM login (' + mech + ')', mech === 'SCRAM-SHA-256' || mech === 'SCRAM-SHA-1', mech);
        check('bound JID', client.jid === `${jid}/stanzajs`, client.jid);
        const now = Date.now() / 1000;
        const svc = await client.getServices(domain);
        const list = svc.services;
        check('services: 3 entries', list.length === 3, list);
        const stun = list.find(s => s.type === 'stun');
        check('stun entry', stun && stun.host === '127.0.0.1' && stun.port === +turnPort &&
              stun.transport === 'udp' && !stun.username && !stun.password, stun);
        for (const tr of ['udp', 'tcp']) {
            const t = list.find(s => s.type === 'turn' && s.transport === tr);
            const exp = t && t.expires ? t.expires.getTime() / 1000 : 0;
            const userExp = t && t.username ? +t.username.split(':')[0] : -1;
            check(`turn/${tr} entry`, t && t.host === '127.0.0.1' && t.port === +turnPort &&
                  t.restricted === true && typeof t.password === 'string' && t.password.length === 28 &&
                  Math.abs(exp - userExp) < 1 && exp > now + 3000 && exp < now + 3700, t);
        }
        const cred = await client.getServiceCredentials(domain, '127.0.0.1', 'turn', +turnPort);
        const c = cred; // StanzaJS reads the first <service/> only (interop.md)
        check('credentials', c && c.type === 'turn' && c.host === '127.0.0.1' &&
              c.port === +turnPort && typeof c.username === 'string' && c.username.length > 10 &&
              typeof c.password === 'string' && c.password.length === 28 && c.expires instanceof Date,
              c);
        const ip = await client.sendIQ({ type: 'get', serverIP: {} });
        const want = process.env.EXPECT_IP || '127.0.0.1';
        check('XEP-0279 address', ip.serverIP && ip.serverIP.ip === want &&
              Number.isInteger(ip.serverIP.port) && ip.serverIP.port > 1023, ip.serverIP);
        // the port is this connection's own (ws's socket under StanzaJS)
        const sock = client.transport && client.transport.socket && client.transport.socket._socket;
        check('XEP-0279 port is this connection\'s local port',
              sock && ip.serverIP.port === sock.localPort, [ip.serverIP.port, sock && sock.localPort]);
    } catch (e) {
        console.log('FAIL', e && e.error ? JSON.stringify(e.error) : String(e));
        failed = true;
    }
    clearTimeout(timer);
    client.on('disconnected', () => process.exit(failed ? 1 : 0));
    client.disconnect();
    setTimeout(() => process.exit(failed ? 1 : 0), 3000);
});
client.connect();
