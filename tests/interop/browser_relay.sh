#!/usr/bin/env bash
# tests/interop/browser_relay.sh BUILD_DIR — a real browser gets TURN
# credentials from extdiscod and a relay candidate from coturn.
#
# Headless Chromium (Debian's `chromium`, driven by browser_relay.js over
# the DevTools protocol on a pipe) loads browser_relay.html as
# https://app.example/ (served by the driver itself) with StanzaJS bundled
# for the browser at test time (esbuild, from the lockfile's `stanza` and
# Debian's node-events), logs in over wss:// (TLS: the test's self-signed
# certificate, trusted by its SPKI hash) to extdiscod's websocket listener
# (origins: [https://app.example]), asks XEP-0215 for the services and, for
# each TURN service, creates an RTCPeerConnection with iceTransportPolicy
# 'relay' and only that server:
#   - coturn with extdiscod's TURN REST secret, over UDP and over TCP:
#     a `typ relay` candidate with coturn's relay address, and coturn logs
#     the allocation for the username extdiscod minted;
#   - a second coturn with a deliberately wrong secret: no candidate, an
#     icecandidateerror 401, and coturn logs the 401.
# The candidate lines go to the test log; a screenshot of the page is saved
# in BUILD_DIR/meson-logs/browser_relay.png.
#
# Chromium gathers nothing with only a loopback interface, so the whole
# test runs in network, PID and mount namespaces of its own (unshare, as
# root): lo plus a veth pair whose ends are both inside, one with
# 198.51.100.1/24 (TEST-NET-2), where coturn and extdiscod's TURN services
# listen.  Nothing the browser sends (mDNS, IGMP, ...) can leave: the
# namespace has no link out, and it ends with the test; the PID namespace
# ends every process left in it when the script exits.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ -z "${EDBR_IN_NETNS:-}" ]; then
    for tool in "$CHROMIUM" /usr/bin/turnserver /usr/bin/esbuild; do
        [ -x "$tool" ] || { echo "SKIP: $tool not installed (scripts/deps.sh)"; exit 77; }
    done
    [ -f /usr/share/nodejs/events/events.js ] ||
        { echo "SKIP: node-events not installed (scripts/deps.sh)"; exit 77; }
    [ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for its network namespace"; exit 77; }
    "$HERE/../../scripts/npm_deps.sh" "$BUILD_DIR" >/dev/null
    # The script runs again as the first process of a PID namespace: a
    # TERM (meson's timeout signals the process group; --kill-child=TERM
    # passes unshare's death on) runs its cleanup, and when it ends, however
    # it ends, the kernel kills every process still in the namespace.
    exec env EDBR_IN_NETNS=1 unshare --net --pid --fork --mount-proc --kill-child=TERM \
        bash "${BASH_SOURCE[0]}" "$@"
fi

# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"

il_init browser_relay
T=$IL_TMP
ADDR=198.51.100.1
ip link set lo up
ip link add edbr0 type veth peer name edbr1
ip addr add "$ADDR/24" dev edbr0
ip link set edbr0 up
ip link set edbr1 up
echo "network namespace: $(ip -o -4 addr show | awk '{print $2, $4}' | paste -sd ' ')"

peer_extdiscod_find "$BUILD_DIR" || exit 1
peer_cert_make "$T" localhost "DNS:localhost" "IP:$ADDR"
SECRET="browser-$RANDOM$RANDOM-secret"
WRONG="wrong-$RANDOM$RANDOM-secret"
printf '%s\n' "$SECRET" >"$T/turn.secret"

# --- coturn: one with extdiscod's secret, one with a wrong one --------------
if ! peer_coturn_start --also-listen "$ADDR" --relay-ip "$ADDR" --relays 20 "$SECRET"; then
    echo "FAIL: coturn did not start"; exit 1
fi
GOOD_PORT=$PEER_TURN_PORT GOOD_LOG=$PEER_TURN_LOG
GOOD_MIN=$PEER_TURN_RELAY_MIN GOOD_MAX=$PEER_TURN_RELAY_MAX
mkdir -p "$T/wrong"
if ! peer_coturn_start --dir "$T/wrong" --also-listen "$ADDR" --relay-ip "$ADDR" --relays 20 "$WRONG"; then
    echo "FAIL: the second coturn did not start"; exit 1
fi
BAD_PORT=$PEER_TURN_PORT BAD_LOG=$PEER_TURN_LOG
echo "coturn: secret as extdiscod's on $ADDR:$GOOD_PORT (relay $GOOD_MIN-$GOOD_MAX), wrong secret on $ADDR:$BAD_PORT"

# --- extdiscod: a wss:// listener for the page's origin ---------------------
P_WSS=$(peer_turn_free_port "$BAD_PORT")
CFG=$T/extdiscod.yml
{
    cat <<EOF
log: {level: info, syslog: false}
domains: [localhost]
turn_secrets:
  - {name: dev, secret_files: [turn.secret], ttl: 1h}
services:
  - {type: turn, host: $ADDR, port: $GOOD_PORT, transport: udp, credentials: dev, allow_local: true}
  - {type: turn, host: $ADDR, port: $GOOD_PORT, transport: tcp, credentials: dev, allow_local: true}
  # coturn with another secret: the health check would find it down (401)
  # and leave it out; unchecked, the browser gets it and must fail
  - {type: turn, host: $ADDR, port: $BAD_PORT, transport: udp, credentials: dev, allow_local: true,
     check: {enabled: false}}
EOF
    peer_extdiscod_c2s_yaml localhost cert.pem key.pem
    echo "    - {address: \"$ADDR:$P_WSS\", tls: direct, kind: websocket, path: /ws, origins: [\"https://app.example\"]}"
} >"$CFG"
"$EXTDISCOCTL" -c "$CFG" adduser alice@localhost <<<"alice" >/dev/null
if ! peer_extdiscod_start "$CFG" "$T/extdiscod.log" "$P_WSS"; then
    echo "FAIL: extdiscod did not start"; cat "$T/extdiscod.log" >&2; exit 1
fi
echo "extdiscod pid $PEER_ED_PID: wss://$ADDR:$P_WSS/ws"

# --- the page's client: StanzaJS bundled for the browser --------------------
if ! NODE_PATH=$BUILD_DIR/npm/node_modules:/usr/share/nodejs /usr/bin/esbuild \
        --bundle --platform=browser --format=iife --log-level=warning \
        --outfile="$T/stanza.js" <<<"window.XMPP = require('stanza');" 2>"$T/esbuild.err"; then
    echo "FAIL: esbuild could not bundle StanzaJS"; cat "$T/esbuild.err" >&2; exit 1
fi

# --- Chromium ---------------------------------------------------------------
SPKI=$(openssl x509 -in "$T/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der |
       openssl dgst -sha256 -binary | base64)
SHOT=$BUILD_DIR/meson-logs/browser_relay.png
mkdir -p "$BUILD_DIR/meson-logs"
rm -f "$SHOT"
Q="ws=wss://$ADDR:$P_WSS/ws&jid=alice@localhost&password=alice"
# the allowed origin, then one that extdiscod's origins list leaves out
URLS="https://app.example/?$Q https://other.example/?$Q"
t0=$(date +%s%N)
rc=0
# the certificate trusted by its key's hash, no DNS (every name but the
# test's addresses resolves to nothing; IP literals need their EXCLUDE too)
CHROMIUM_LOG=$T/chromium.log timeout 40 node "$HERE/browser_relay.js" "$CHROMIUM" "$T/profile" \
    "$HERE/browser_relay.html" "$T/stanza.js" "$URLS" "$SHOT" "$T/results.json" \
    "--ignore-certificate-errors-spki-list=$SPKI" \
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE $ADDR" \
    >"$T/driver.out" 2>"$T/driver.err" || rc=$?
echo "browser: $(($(date +%s%N) / 1000000 - t0 / 1000000)) ms, driver exit $rc, $(head -n1 "$T/driver.out")"
if [ "$rc" -ne 0 ] || [ ! -s "$T/results.json" ]; then
    il_fail "the page gave no result"
    tail -n 30 "$T/driver.err" >&2
    grep -v 'dbus' "$T/chromium.log" | tail -n 20 >&2 || true
    il_summary
    exit 1
fi
[ -s "$SHOT" ] && echo "screenshot: $SHOT ($(stat -c %s "$SHOT") bytes)" || il_fail "no screenshot"
R=$T/result.json
jq '.[0]' "$T/results.json" >"$R"
echo "page log:"
jq -r '.log[]' "$R" | sed 's/^/  /'

# --- checks -----------------------------------------------------------------
[ "$(jq -r .done "$R")" = true ] && [ "$(jq -r '.error // empty' "$R")" = "" ] &&
    il_pass "page finished without error" || il_fail "page: $(jq -r '.error' "$R")"
jq -e '.mech | test("^SCRAM-SHA-")' "$R" >/dev/null &&
    il_pass "Chromium logged in over wss:// with $(jq -r .mech "$R") as $(jq -r .jid "$R")" ||
    il_fail "login: $(jq -c '{jid, mech}' "$R")"
grep -q 'alice@localhost/chromium' "$T/extdiscod.log" && il_pass "extdiscod logged the browser's bind" ||
    il_fail "no bind of alice@localhost/chromium in the daemon's log"
[ "$(jq '[.services[] | select(.type == "turn")] | length' "$R")" = 3 ] &&
    il_pass "XEP-0215: three TURN services with credentials" || il_fail "services: $(jq -c .services "$R")"

# gathered URL -> that gathering's JSON
g() { jq -c --arg u "$1" '.gathered[] | select(.url == $u)' "$R"; }
# user_of PORT TRANSPORT: the TURN username extdiscod gave for that service
user_of() { jq -r --arg p "$1" --arg t "$2" '.services[] | select(.port == ($p | tonumber) and .transport == $t) | .username' "$R"; }

for tr in udp tcp; do
    url="turn:$ADDR:$GOOD_PORT?transport=$tr"
    res=$(g "$url")
    relay=$(jq -r '.candidates[] | select(.line | test(" typ relay")) | .line' <<<"$res" | head -n1)
    port=$(awk '{print $6}' <<<"$relay")
    if [ -n "$relay" ] && [ "$(awk '{print $5}' <<<"$relay")" = "$ADDR" ] &&
       [ "$port" -ge "$GOOD_MIN" ] && [ "$port" -le "$GOOD_MAX" ]; then
        il_pass "TURN/$tr with extdiscod's credentials: relay candidate $ADDR:$port (coturn's relay range) in $(jq .ms <<<"$res") ms"
    else
        il_fail "TURN/$tr: no relay candidate on $ADDR in $GOOD_MIN-$GOOD_MAX: $res"
    fi
    # relayProtocol: how the browser reached the TURN server (Chromium 156
    # leaves it out for UDP, so: tcp for TCP, never tcp for UDP)
    rp=$(jq -r '[.candidates[] | .relayProtocol // "none"] | unique | join(",")' <<<"$res")
    if [ "$tr" = tcp ]; then
        [ "$rp" = tcp ] && il_pass "TURN/tcp: the browser reached coturn over TCP (relayProtocol tcp)" ||
            il_fail "TURN/tcp: relayProtocol $rp"
    else
        { [ "$rp" = udp ] || [ "$rp" = none ]; } &&
            il_pass "TURN/udp: the browser reached coturn over UDP (relayProtocol $rp)" ||
            il_fail "TURN/udp: relayProtocol $rp"
    fi
    [ "$(jq '[.candidates[] | select(.type != "relay")] | length' <<<"$res")" = 0 ] &&
        il_pass "TURN/$tr: relay policy, only relay candidates" || il_fail "TURN/$tr: non-relay candidates: $res"
done
u=$(user_of "$GOOD_PORT" udp)
il_wait_for 3 grep -qF "user <$u>: incoming packet ALLOCATE processed, success" "$GOOD_LOG" &&
    il_pass "coturn allocated for $u" || il_fail "coturn's log has no allocation for $u"

url="turn:$ADDR:$BAD_PORT?transport=udp"
res=$(g "$url")
[ "$(jq '.candidates | length' <<<"$res")" = 0 ] && [ "$(jq .timedOut <<<"$res")" = false ] &&
    il_pass "wrong secret on coturn: no candidate, gathering complete in $(jq .ms <<<"$res") ms" ||
    il_fail "wrong secret: $res"
jq -e '[.errors[] | select(.code == 401)] | length > 0' <<<"$res" >/dev/null &&
    il_pass "wrong secret: icecandidateerror 401 ($(jq -r '[.errors[] | .text] | unique | join(", ")' <<<"$res"))" ||
    il_fail "wrong secret: no 401 error: $res"
u=$(user_of "$BAD_PORT" udp)
grep -F "user <$u>: incoming packet" "$BAD_LOG" | grep -F "processed, error 401" >/dev/null &&
    il_pass "the wrong-secret coturn refused $u with 401" || il_fail "no 401 for $u in the second coturn's log"

echo "candidates:"
jq -r '.gathered[] | .url as $u | .candidates[] | "  \($u) [relayProtocol \(.relayProtocol // "-")]: \(.line)"' "$R"
# --- a page from an origin extdiscod does not list -------------------------
jq '.[1]' "$T/results.json" >"$T/other.json"
jq -e '.error == "disconnected before the end" and (.jid == null)' "$T/other.json" >/dev/null &&
    il_pass "page from https://other.example: no login" || il_fail "other origin: $(jq -c . "$T/other.json")"
jq -e '[.browserLog[] | select(test("Unexpected response code: 403"))] | length > 0' "$T/other.json" >/dev/null &&
    il_pass "page from https://other.example: Chromium reports the handshake's 403" ||
    il_fail "other origin: no 403 in the browser's log: $(jq -c .browserLog "$T/other.json")"

kill -0 "$PEER_ED_PID" 2>/dev/null && il_pass "extdiscod still running" || il_fail "extdiscod died"
# stopped here, so that a leak report (ASan build) lands in its log too
il_stop "$PEER_ED_PID" 10
grep -qE 'Sanitizer|runtime error' "$T/extdiscod.log" &&
    { il_fail "sanitizer report in the daemon log"; grep -A20 -E 'Sanitizer|runtime error' "$T/extdiscod.log" >&2; } ||
    il_pass "no sanitizer report in the daemon log"
il_summary
