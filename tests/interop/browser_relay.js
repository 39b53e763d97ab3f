// tests/interop/browser_relay.js — drive headless Chromium for
// browser_relay.sh over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ended by NUL on fds 3 and 4, no
// port, nothing but Node's own modules).
//
//   node browser_relay.js CHROMIUM PROFILE_DIR PAGE_HTML BUNDLE_JS URLS \
//        SCREENSHOT_PNG RESULT_JSON [CHROMIUM_FLAG...]
//
// Serves PAGE_HTML at / and BUNDLE_JS at /stanza.js of every
// https://*.example origin itself (Fetch interception: no web server, no
// DNS).  Opens each of URLS (space-separated, https://NAME.example/?...)
// in turn, waits (at most 25 s in all) until the page sets
// window.result.done, adds the browser's log entries of that page
// (.browserLog: e.g. why a WebSocket failed); saves a screenshot of the
// first page and the array of results (JSON), closes the browser.  Console
// messages, log entries and page errors go to stderr too.  Exit 0 when the
// results were saved, 1 otherwise.  Chromium is started (and, at the end,
// closed) here: its PID is printed; its stderr goes to $CHROMIUM_LOG.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');

const [chrome, profile, pageFile, bundleFile, urls, shotFile, resultFile, ...flags] =
    process.argv.slice(2);
const files = {
    '/': ['text/html; charset=utf-8', fs.readFileSync(pageFile)],
    '/stanza.js': ['text/javascript; charset=utf-8', fs.readFileSync(bundleFile)],
};

const proc = spawn(chrome, [
    '--headless', '--no-sandbox', `--user-data-dir=${profile}`, '--remote-debugging-pipe',
    '--no-first-run', '--no-default-browser-check', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-extensions',
    '--disable-gpu', '--window-size=1000,700', ...flags, 'about:blank',
], { stdio: ['ignore', 'ignore', process.env.CHROMIUM_LOG ? fs.openSync(process.env.CHROMIUM_LOG, 'a') : 'ignore', 'pipe', 'pipe'] });
console.log(`chromium pid ${proc.pid}`);
const toBrowser = proc.stdio[3], fromBrowser = proc.stdio[4];

let nextId = 1;
const pending = new Map();
const handlers = new Map();   // method -> fn(params, sessionId)
function send(method, params = {}, sessionId) {
    const id = nextId++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    toBrowser.write(JSON.stringify(msg) + '\0');
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
}
let buf = '';
fromBrowser.on('data', chunk => {
    buf += chunk.toString('utf8');
    let i;
    while ((i = buf.indexOf('\0')) >= 0) {
        const msg = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (msg.id && pending.has(msg.id)) {
            const p = pending.get(msg.id);
            pending.delete(msg.id);
            if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
            else p.resolve(msg.result);
        } else if (msg.method && handlers.has(msg.method)) {
            handlers.get(msg.method)(msg.params, msg.sessionId);
        }
    }
});
fromBrowser.on('error', () => {});
toBrowser.on('error', () => {});

let finished = false;
function end(code, why) {
    if (finished) return;
    finished = true;
    if (why) console.error(`browser_relay.js: ${why}`);
    // Browser.close, then the PID if it is still there after 3 s
    send('Browser.close').catch(() => {});
    const t = setTimeout(() => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } }, 3000);
    proc.on('exit', () => { clearTimeout(t); process.exit(code); });
    if (proc.exitCode !== null || proc.signalCode !== null) process.exit(code);
}
// timeout(1) or the test's cleanup: Chromium goes first, by its PID
process.on('SIGTERM', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } process.exit(1); });
proc.on('exit', (c, s) => { if (!finished) { finished = true; console.error(`chromium exited (${c}, ${s})`); process.exit(1); } });
setTimeout(() => end(1, 'timeout (25 s) waiting for the page'), 25000);

handlers.set('Fetch.requestPaused', (p, sessionId) => {
    const path = new URL(p.request.url).pathname;
    const f = files[path];
    const reply = f
        ? { responseCode: 200, responseHeaders: [{ name: 'Content-Type', value: f[0] }],
            body: f[1].toString('base64') }
        : { responseCode: 404, responseHeaders: [], body: '' };
    send('Fetch.fulfillRequest', { requestId: p.requestId, ...reply }, sessionId)
        .catch(e => console.error(String(e)));
});
handlers.set('Runtime.consoleAPICalled', p => {
    console.error(`console.${p.type}: ${p.args.map(a => a.value !== undefined ? a.value : a.description).join(' ')}`);
});
handlers.set('Runtime.exceptionThrown', p => {
    const d = p.exceptionDetails;
    console.error(`page exception: ${d.exception ? d.exception.description : d.text}`);
});

let browserLog = [];
handlers.set('Log.entryAdded', p => {
    browserLog.push(p.entry.text);
    console.error(`log.${p.entry.level}: ${p.entry.text}${p.entry.url ? ' (' + p.entry.url + ')' : ''}`);
});

(async () => {
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId: s } = await send('Target.attachToTarget', { targetId, flatten: true });
    await send('Fetch.enable', { patterns: [{ urlPattern: 'https://*.example/*' }] }, s);
    await send('Runtime.enable', {}, s);
    await send('Page.enable', {}, s);
    await send('Log.enable', {}, s);
    const results = [];
    for (const url of urls.split(' ')) {
        browserLog = [];
        const nav = await send('Page.navigate', { url }, s);
        if (nav.errorText) return end(1, `navigate ${url}: ${nav.errorText}`);
        let result = null;
        for (;;) {
            const r = await send('Runtime.evaluate', {
                expression: 'JSON.stringify(window.result || null)', returnByValue: true }, s);
            result = r.result && r.result.value ? JSON.parse(r.result.value) : null;
            if (result && result.done) break;
            await new Promise(res => setTimeout(res, 200));
        }
        result.url = url;
        result.browserLog = browserLog;
        results.push(result);
        if (results.length === 1) {
            const shot = await send('Page.captureScreenshot', { format: 'png' }, s);
            fs.writeFileSync(shotFile, Buffer.from(shot.data, 'base64'));
        }
    }
    fs.writeFileSync(resultFile, JSON.stringify(results, null, 1));
    end(0);
})().catch(e => end(1, String(e && e.stack || e)));
