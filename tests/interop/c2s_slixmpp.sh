#!/usr/bin/env bash
# tests/interop/c2s_slixmpp.sh BUILD_DIR — real clients against extdiscod's
# standalone server on loopback:
#   - slixmpp (/usr/bin/python3, python3-slixmpp): STARTTLS + SCRAM-SHA-256,
#     SCRAM-SHA-1 and PLAIN (over TLS); disco, services with inline TURN
#     credentials, <credentials/>, sic:1, sic:0 (slixmpp's xep_0279), ping;
#   - two slixmpp clients: message (full and bare JID), IQ, service-unavailable,
#     forbidden SIC for another user, roster push, subscription round trip;
#   - a config reload (SIGHUP) pushes the change to an online requester;
#   - libstrophe logs in over direct TLS (c2s_strophe) and gets sic + services;
#   - a STARTTLS listener with the PROXY protocol reports the proxy's client;
#   - the TURN credentials from the services reply allocate on a real coturn.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/c2s_common.sh
. "$HERE/c2s_common.sh"

BUILD_DIR=${1:?usage: $0 BUILD_DIR}
PY=/usr/bin/python3
if ! "$PY" -c 'import slixmpp' 2>/dev/null; then
    echo "SKIP: python3-slixmpp not installed"
    exit 77
fi
CLIENT="$HERE/c2s_client.py"

il_init c2s_slixmpp
c2s_setup "$BUILD_DIR"
c2s_start
echo "extdiscod pid $D_PID: STARTTLS $P_STARTTLS, direct TLS $P_DIRECT, PROXY $P_PROXY"

# run_client NAME ARGS...: run c2s_client.py, fold its ok/FAIL lines into ours
run_client() {
    local name=$1 out="$IL_TMP/$1.out" rc=0
    shift
    timeout 120 "$PY" "$CLIENT" "$@" >"$out" 2>"$IL_TMP/$name.err" || rc=$?
    while IFS= read -r line; do
        case $line in
            ok:*) il_pass "$name: ${line#ok: }" ;;
            FAIL:*) il_fail "$name: ${line#FAIL: }" ;;
        esac
    done <"$out"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL' "$out"; then
        il_fail "$name: client exited $rc"
        tail -n 20 "$IL_TMP/$name.err" >&2
    fi
    return 0
}

for mech in SCRAM-SHA-256 SCRAM-SHA-1 PLAIN; do
    run_client "login-$mech" login 127.0.0.1 "$P_STARTTLS" alice@localhost alice "$mech"
done
grep -q 'authenticated' "$IL_TMP/extdiscod.log" && il_pass "daemon logged the logins"

run_client pair pair 127.0.0.1 "$P_STARTTLS" alice@localhost alice bob@localhost bob

# --- reload pushes ------------------------------------------------------------
READY=$IL_TMP/push.ready
timeout 60 "$PY" "$CLIENT" push 127.0.0.1 "$P_STARTTLS" bob@localhost bob "$READY" \
    >"$IL_TMP/push.out" 2>"$IL_TMP/push.err" &
PUSH_PID=$!
IL_PIDS+=("$PUSH_PID")
i=0
while [ ! -e "$READY" ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if [ -e "$READY" ]; then
    c2s_write_config "  - {type: stun, host: 127.0.0.1, port: $TURN_PORT, transport: tcp, allow_local: true}"
    kill -HUP "$D_PID"
fi
il_wait "$PUSH_PID"
while IFS= read -r line; do
    case $line in
        ok:*) il_pass "push: ${line#ok: }" ;;
        FAIL:*) il_fail "push: ${line#FAIL: }" ;;
    esac
done <"$IL_TMP/push.out"
if grep -q '^PUSH .*stun/tcp.* add' "$IL_TMP/push.out"; then
    il_pass "the push announces the added stun/tcp service"
else
    il_fail "no push with the added stun/tcp service (rc $IL_RC)"
    tail -n 5 "$IL_TMP/push.err" >&2 || true
fi

# --- libstrophe over direct TLS ---------------------------------------------
STROPHE=$BUILD_DIR/tests/c2s_strophe
if [ -x "$STROPHE" ]; then
    if out=$(timeout 30 "$STROPHE" 127.0.0.1 "$P_DIRECT" alice@localhost alice 2>&1) &&
        grep -q '^secured' <<<"$out" && grep -q '^sic 127.0.0.1 [0-9]' <<<"$out" &&
        grep -q '^services [1-9]' <<<"$out"; then
        il_pass "libstrophe: direct TLS login, sic and services"
    else
        il_fail "libstrophe over direct TLS: $out"
    fi
else
    il_fail "c2s_strophe not built ($STROPHE)"
fi

# --- PROXY protocol -------------------------------------------------------------
# a v1 header naming 203.0.113.7:40000, then a real STARTTLS session in Python
cat >"$IL_TMP/proxy_login.py" <<'EOF'
import asyncio, ssl, sys, xml.etree.ElementTree as ET
import slixmpp
host, port, hdr = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode().decode('unicode_escape').encode('latin-1')
c = slixmpp.ClientXMPP('alice@localhost', 'alice')
c.ssl_context.check_hostname = False
c.ssl_context.verify_mode = ssl.CERT_NONE
res = {}
orig = c.connection_made
def made(transport):
    if not res:                   # slixmpp calls this again after STARTTLS
        res['sent'] = True
        transport.write(hdr)      # the PROXY header goes first, in clear
    orig(transport)
c.connection_made = made
async def main():
    fut = asyncio.get_event_loop().create_future()
    c.add_event_handler('session_start', lambda _: fut.done() or fut.set_result(1))
    c.connect(address=(host, port))
    await asyncio.wait_for(fut, 15)
    iq = c.Iq(); iq['type'] = 'get'
    iq.append(ET.fromstring("<address xmlns='urn:xmpp:sic:1'/>"))
    r = await iq.send(timeout=10)
    a = r.xml.find('{urn:xmpp:sic:1}address')
    print(a.findtext('{urn:xmpp:sic:1}ip'), a.findtext('{urn:xmpp:sic:1}port'))
    c.disconnect()
asyncio.get_event_loop().run_until_complete(asyncio.wait_for(main(), 30))
EOF
if out=$(timeout 40 "$PY" "$IL_TMP/proxy_login.py" 127.0.0.1 "$P_PROXY" \
        'PROXY TCP4 203.0.113.7 127.0.0.1 40000 5222\r\n' 2>"$IL_TMP/proxy.err") &&
    [ "$out" = "203.0.113.7 40000" ]; then
    il_pass "PROXY v1 on a STARTTLS listener: sic:1 reports 203.0.113.7:40000"
else
    il_fail "PROXY v1 login: '$out'"
    tail -n 5 "$IL_TMP/proxy.err" >&2 || true
fi
if out=$(timeout 40 "$PY" "$IL_TMP/proxy_login.py" 127.0.0.1 "$P_PROXY" \
        '\r\n\r\n\x00\r\nQUIT\n\x21\x21\x00\x24\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x9c\x40\x14\x66' \
        2>"$IL_TMP/proxy2.err") && [ "$out" = "2001:db8::9 40000" ]; then
    il_pass "PROXY v2 (TCP6): sic:1 reports 2001:db8::9 port 40000"
else
    il_fail "PROXY v2 login: '$out'"
    tail -n 5 "$IL_TMP/proxy2.err" >&2 || true
fi

# --- TURN credentials from this mode on a real coturn ---------------------------
TURNSERVER=/usr/bin/turnserver
UCLIENT=/usr/bin/turnutils_uclient
if [ -x "$TURNSERVER" ] && [ -x "$UCLIENT" ]; then
    if peer_coturn_start --realm localhost --port "$TURN_PORT" --stun-compat "$TURN_SECRET"; then
        for tr in udp tcp; do
            line=$(grep "^TURN $tr " "$IL_TMP/login-SCRAM-SHA-256.out" | head -n 1 || true)
            read -r _ _ _ user pass <<<"$line"
            flag=""
            [ "$tr" = tcp ] && flag="-t"
            if [ -n "${user:-}" ] && timeout 20 "$UCLIENT" -y -c -n 3 -m 1 -L 127.0.0.1 $flag \
                    -u "$user" -w "$pass" -p "$TURN_PORT" 127.0.0.1 >"$IL_TMP/uclient-$tr.out" 2>&1 &&
                grep -q 'Total lost packets 0 ' "$IL_TMP/uclient-$tr.out"; then
                il_pass "coturn allocated over $tr with the services reply's credentials"
            else
                il_fail "coturn allocation over $tr with '${user:-none}'"
                tail -n 5 "$IL_TMP/uclient-$tr.out" >&2 || true
            fi
        done
    else
        il_fail "turnserver did not start"
    fi
else
    echo "note: coturn not installed, TURN allocation not checked"
fi

if grep -qE 'AddressSanitizer|runtime error' "$IL_TMP/extdiscod.log"; then
    il_fail "sanitizer report in the daemon log"
fi
kill -0 "$D_PID" 2>/dev/null && il_pass "extdiscod still running" || il_fail "extdiscod died"
il_summary
