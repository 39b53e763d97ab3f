#!/usr/bin/env bash
# tests/interop/c2s_websocket.sh BUILD_DIR — XMPP over WebSocket (RFC 7395)
# on extdiscod's standalone server, with real clients on loopback:
#   - StanzaJS 12 (npm `stanza`, its own WebSocket transport, installed by
#     scripts/npm_deps.sh from the lockfile) over ws:// and wss://: SCRAM
#     login, getServices(), getServiceCredentials(), XEP-0279, every field;
#   - a TCP client (slixmpp) and a WebSocket client (StanzaJS) subscribe to
#     each other, see each other's presence and exchange a message;
#   - behind a proxy (PROXY v1 header, then TLS and WebSocket): XEP-0279
#     answers the address the proxy reports;
#   - XEP-0156 host-meta and host-meta.json (curl);
#   - a ws:// listener with consider_secure (TLS terminated by a proxy in
#     front): SASL offered and StanzaJS logs in although require_tls is on;
#     on the plain ws:// listener no mechanism is offered;
#   - /metrics counts a held ws:// and wss:// session under
#     extdisco_c2s_connections{transport="websocket"};
#   - bad input (c2s_websocket_bad.py): each refusal with its HTTP status or
#     WebSocket close code, and the server still serves afterwards.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/c2s_common.sh
. "$HERE/c2s_common.sh"

BUILD_DIR=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
"$HERE/../../scripts/npm_deps.sh" "$BUILD_DIR" >/dev/null
export NODE_PATH=$BUILD_DIR/npm/node_modules
JS=$HERE/c2s_websocket.js

il_init c2s_websocket
C2S_HANDSHAKE_TIMEOUT=3s
c2s_setup "$BUILD_DIR"
# more ports (WebSocket listeners, http:), apart from c2s_setup's range (nothing is bound there yet)
for _ in 1 2 3 4 5; do
    read -r P_WS P_WSS P_WSP P_WSF P_HTTP < <(il_free_ports 5)
    for p in "$P_WS" "$P_WSS" "$P_WSP" "$P_WSF" "$P_HTTP"; do
        [ "$p" -ge "$P_STARTTLS" ] && [ "$p" -le "$TURN_PORT" ] && continue 2
    done
    break
done
C2S_EXTRA_LISTEN="    - {address: \"127.0.0.1:$P_WS\", tls: none, kind: websocket, origins: [\"http://allowed.example\"]}
    - {address: \"127.0.0.1:$P_WSS\", tls: direct, kind: websocket, path: /ws}
    - {address: \"127.0.0.1:$P_WSP\", tls: direct, kind: websocket, path: /ws, proxy_protocol: true}
    - {address: \"127.0.0.1:$P_WSF\", tls: none, kind: websocket, consider_secure: true}"
C2S_EXTRA_TOP="http: {listen: [\"127.0.0.1:$P_HTTP\"]}"
c2s_write_config ""
c2s_start
echo "extdiscod pid $D_PID: ws $P_WS, wss $P_WSS"

# --- /metrics counts WebSocket connections as such --------------------------
# one ws:// and one wss:// session held open (stream features received)
# while /metrics is read; nothing else is connected, so the counts are exact
# (a connection that is still going away is waited for)
ws_metrics=$(/usr/bin/python3 - "$P_WSF" "$P_WSS" "$P_HTTP" "$HERE" <<'PY'
import sys, time, urllib.request
sys.path.insert(0, sys.argv[4])
from ws_raw import open_stream
def ws(port, tls, path):
    s, data = open_stream(port, tls, path)
    if b'</stream:features>' not in data:
        raise SystemExit('no features on port %d' % port)
    return s
held = [ws(int(sys.argv[1]), False, '/xmpp-websocket'), ws(int(sys.argv[2]), True, '/ws')]
want = {'tcp/no': '0', 'tcp/yes': '0', 'websocket/no': '1', 'websocket/yes': '1'}
for _ in range(50):
    got = {}
    for line in urllib.request.urlopen('http://127.0.0.1:%s/metrics' % sys.argv[3], timeout=5).read().decode().splitlines():
        if line.startswith('extdisco_c2s_connections{'):
            lab, val = line.split(' ')
            t = lab.split('transport="')[1].split('"')[0]
            z = lab.split('tls="')[1].split('"')[0]
            got['%s/%s' % (t, z)] = val
    if got == want:
        break
    time.sleep(0.1)
print(' '.join('%s=%s' % kv for kv in sorted(got.items())))
PY
) || true
if [ "$ws_metrics" = "tcp/no=0 tcp/yes=0 websocket/no=1 websocket/yes=1" ]; then
    il_pass "/metrics: extdisco_c2s_connections counts a ws:// and a wss:// session as websocket ($ws_metrics)"
else
    il_fail "/metrics: extdisco_c2s_connections while one ws:// and one wss:// session are open: '$ws_metrics'"
fi

# run_js NAME ARGS...: fold c2s_websocket.js's OK/FAIL lines into ours
run_js() {
    local name=$1 out="$IL_TMP/$1.out" rc=0
    shift
    timeout 60 node "$JS" "$@" >"$out" 2>"$IL_TMP/$name.err" || rc=$?
    while IFS= read -r line; do
        case $line in
            OK*) il_pass "$name: ${line#OK }" ;;
            FAIL*) il_fail "$name: ${line#FAIL }" ;;
        esac
    done <"$out"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL' "$out"; then
        il_fail "$name: node exited $rc"
        tail -n 20 "$IL_TMP/$name.err" >&2
    fi
    return 0
}

# (require_tls is on: over plain ws:// no SASL mechanism is offered, so the
# logins go over wss://; ws:// serves the refusals and bad input below)
export NODE_EXTRA_CA_CERTS=$IL_TMP/cert.pem
WSS_URL="wss://localhost:$P_WSS/ws"
run_js stanzajs-wss "$WSS_URL" alice@localhost alice "$TURN_PORT"
grep -q 'alice@localhost/stanzajs' "$IL_TMP/extdiscod.log" && il_pass "daemon logged the WebSocket binds"

# --- a TCP client and a WebSocket client see each other ----------------------
timeout 60 /usr/bin/python3 "$HERE/c2s_client.py" wspeer 127.0.0.1 "$P_STARTTLS" \
    alice@localhost alice bob@localhost >"$IL_TMP/wspeer.out" 2>"$IL_TMP/wspeer.err" &
TCP_PID=$!
sleep 1
ONLY=peer PEER=alice@localhost run_js stanzajs-peer "$WSS_URL" bob@localhost bob "$TURN_PORT"
wait "$TCP_PID" || true
while IFS= read -r line; do
    case $line in
        ok:*) il_pass "slixmpp-peer: ${line#ok: }" ;;
        FAIL:*) il_fail "slixmpp-peer: ${line#FAIL: }" ;;
    esac
done <"$IL_TMP/wspeer.out"
grep -q 'WebSocket client go unavailable' "$IL_TMP/wspeer.out" ||
    { il_fail "slixmpp-peer did not finish"; tail -n 20 "$IL_TMP/wspeer.err" >&2; }

# --- XEP-0156 host-meta ------------------------------------------------------
xrd=$(curl -sS --max-time 5 -H "Host: chat.example:5280" "http://127.0.0.1:$P_WS/.well-known/host-meta")
grep -q "<Link rel='urn:xmpp:alt-connections:websocket' href='ws://chat.example:5280/xmpp-websocket'/>" <<<"$xrd" &&
    il_pass "host-meta names ws://chat.example:5280/xmpp-websocket" || il_fail "host-meta: $xrd"
json=$(curl -sS --max-time 5 --cacert "$IL_TMP/cert.pem" -D "$IL_TMP/hm.h" \
    "https://localhost:$P_WSS/.well-known/host-meta.json")
[ "$(jq -r '.links[0].rel + " " + .links[0].href' <<<"$json")" = \
  "urn:xmpp:alt-connections:websocket wss://localhost:$P_WSS/ws" ] &&
    il_pass "host-meta.json over TLS names wss://localhost:$P_WSS/ws" || il_fail "host-meta.json: $json"
grep -qi '^access-control-allow-origin: \*' "$IL_TMP/hm.h" && il_pass "host-meta allows any origin (CORS)" ||
    il_fail "host-meta without CORS header"

# --- TLS terminated in front (consider_secure) ---------------------------------
# features PORT ORIGIN: the stream features a raw ws:// client gets
features() {
    /usr/bin/python3 - "$1" "$2" "$HERE" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
from ws_raw import open_stream
s, data = open_stream(sys.argv[1], origin=sys.argv[2])
print(data.decode(errors='replace').split('<stream:features', 1)[-1])
PY
}
f=$(features "$P_WSF" http://any.example)
grep -q '<mechanism>SCRAM-SHA-256</mechanism>' <<<"$f" && grep -q '<mechanism>PLAIN</mechanism>' <<<"$f" &&
    il_pass "ws:// with consider_secure: SASL offered (PLAIN too) although require_tls is on" ||
    il_fail "ws:// with consider_secure: features $f"
f=$(features "$P_WS" http://allowed.example)
grep -q '<mechanism' <<<"$f" && il_fail "plain ws:// offers SASL with require_tls: $f" ||
    il_pass "plain ws:// (no consider_secure): no SASL mechanism offered"
run_js stanzajs-front "ws://127.0.0.1:$P_WSF/xmpp-websocket" alice@localhost alice "$TURN_PORT"
hm=$(curl -sS --max-time 5 -H "Host: chat.example" "http://127.0.0.1:$P_WSF/.well-known/host-meta.json")
[ "$(jq -r '.links[0].href' <<<"$hm")" = "wss://chat.example/xmpp-websocket" ] &&
    il_pass "host-meta behind the TLS proxy names wss://chat.example/xmpp-websocket" ||
    il_fail "host-meta with consider_secure: $hm"

# --- bad input ---------------------------------------------------------------
timeout 150 /usr/bin/python3 "$HERE/c2s_websocket_bad.py" 127.0.0.1 "$P_WS" "$P_WSS" \
        "$IL_TMP/cert.pem" "$IL_TMP/extdiscod.log" "$P_WSP" >"$IL_TMP/bad.out" 2>&1 || true
while IFS= read -r line; do
    case $line in
        ok:*) il_pass "bad input: ${line#ok: }" ;;
        FAIL:*) il_fail "bad input: ${line#FAIL: }" ;;
    esac
done <"$IL_TMP/bad.out"
grep -q '^done' "$IL_TMP/bad.out" || { il_fail "c2s_websocket_bad.py did not finish"; tail -20 "$IL_TMP/bad.out" >&2; }
# --- a reload changes the allowed origins of a running listener -------------
status_for_origin() {
    /usr/bin/python3 - "$P_WS" "$1" <<'PY'
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)
s.sendall(('GET /xmpp-websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n'
           'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
           'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n'
           'Origin: %s\r\n\r\n' % sys.argv[2]).encode())
print(s.recv(4096).split(b' ')[1].decode())
PY
}
[ "$(status_for_origin http://new.example)" = 403 ] && il_pass "origin not listed yet: 403" ||
    il_fail "origin not listed yet: not 403"
C2S_EXTRA_LISTEN=${C2S_EXTRA_LISTEN/http:\/\/allowed.example/http://new.example}
c2s_write_config ""
kill -HUP "$D_PID"
il_wait_for 10 grep -q 'reloaded' "$IL_TMP/extdiscod.log" || true
[ "$(status_for_origin http://new.example)" = 101 ] && il_pass "after a reload the new origin gets 101" ||
    il_fail "after a reload the new origin is still refused"
[ "$(status_for_origin http://allowed.example)" = 403 ] && il_pass "after a reload the old origin gets 403" ||
    il_fail "after a reload the old origin is still allowed"

# ... and the server still serves a WebSocket login after all of it
run_js stanzajs-after "$WSS_URL" alice@localhost alice "$TURN_PORT"
kill -0 "$D_PID" 2>/dev/null && il_pass "extdiscod still running" || il_fail "extdiscod died"

il_summary
