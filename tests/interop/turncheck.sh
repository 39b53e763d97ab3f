#!/usr/bin/env bash
# tests/interop/turncheck.sh — the STUN/TURN checker (client/turncheck*.c,
# driven through the `turncheck` test program) against a real coturn on
# loopback ports, plus a silent UDP port and a non-STUN TCP server.
#
#   tests/interop/turncheck.sh TURNCHECK_BINARY | BUILD_DIR
#
# coturn runs with use-auth-secret (TURN REST credentials computed here with
# openssl), a realm, loopback relays and a TLS listener whose self-signed
# certificate (DNS:localhost only) is made in the temp dir.  Cases:
#   STUN Binding over udp, tcp, tls and over IPv6 ::1 (also given as
#   "[::1]", as URIs write it);
#   TURN Allocate + Refresh + deallocate over udp, tcp and tls (relayed
#   127.0.0.1:port in coturn's relay range, lifetime > 0), each confirmed in
#   coturn's verbose log;
#   wrong password and expired username -> 401 at the allocate step;
#   no listener (udp -> ICMP refused, tcp -> connection refused);
#   a silent UDP port -> timeout after the bounded retransmissions;
#   a TCP server that answers with HTTP -> "not STUN" protocol error;
#   TLS: self-signed without --ca -> verification failure, --insecure ok,
#   an address not in the certificate -> mismatch;
#   a scripted TURN server (fake_turn_server.py drop_dealloc) that loses the
#   response to the deallocation and answers the retransmission with 437
#   Allocation Mismatch -> deallocated (RFC 8656 §7.3).
# Prints PASS/FAIL per case; exit 0 when all pass, 1 otherwise, 77 (skip)
# without coturn/jq/python3.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"

arg=${1:-${BUILD:-}}
if [ -z "$arg" ]; then
    echo "usage: $0 TURNCHECK_BINARY|BUILD_DIR" >&2
    exit 2
fi
TC=$arg
[ -d "$arg" ] && TC="$arg/client/turncheck"
if [ ! -x "$TC" ]; then
    echo "FAIL: turncheck program not found at $TC"
    exit 1
fi
TURNSERVER=${TURNSERVER:-/usr/bin/turnserver}
for tool in "$TURNSERVER" jq python3 openssl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not installed"
        exit 77
    fi
done

il_init turncheck
T=$IL_TMP
REALM=turncheck.test
SECRET="s-$RANDOM$RANDOM-secret"

# Self-signed certificate for the name "localhost" only (no IP SAN), so
# that connecting by 127.0.0.1 must fail name verification.
peer_cert_make --days 1 --rsa "$T" localhost DNS:localhost

# coturn on 127.0.0.1 and ::1, with a TLS listener; STUN backward
# compatibility left on.
if ! peer_coturn_start --realm "$REALM" --also-listen ::1 --tls "$T/cert.pem" "$T/key.pem" \
        --stun-compat "$SECRET"; then
    echo "FAIL: turnserver did not start"
    exit 1
fi
PORT=$PEER_TURN_PORT
TLS_PORT=$PEER_TURN_TLS_PORT
RELAY_MIN=$PEER_TURN_RELAY_MIN
RELAY_MAX=$PEER_TURN_RELAY_MAX
LOG=$PEER_TURN_LOG
TURN_PID=$PEER_TURN_PID
SILENT_PORT=$(peer_turn_free_port)
DEAD_PORT=$(peer_turn_free_port "$SILENT_PORT")
echo "turnserver pid $TURN_PID: 127.0.0.1/::1 port $PORT, tls $TLS_PORT, relay $RELAY_MIN-$RELAY_MAX"

# A UDP port that never answers and a TCP server that speaks HTTP, both on
# SILENT_PORT; the loop ends by itself after 120 s.
il_start "$T/junk.log" python3 -c '
import socket, sys, time
port = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", port))
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", port))
t.listen(4)
t.settimeout(0.5)
end = time.time() + 120
while time.time() < end:
    try:
        c, _ = t.accept()
    except socket.timeout:
        continue
    c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
    time.sleep(0.2)
    c.close()
' "$SILENT_PORT"
if ! il_wait_port tcp "$SILENT_PORT" 10 "$IL_LAST_PID"; then
    echo "FAIL: helper server did not start"
    exit 1
fi

# cred EXPIRY_OFFSET NAME -> U, P (coturn REST: user = expiry:name).
cred() {
    U="$(($(date +%s) + $1)):$2"
    P=$(printf '%s' "$U" | openssl dgst -sha1 -hmac "$SECRET" -binary | base64)
}

# run NAME ARGS... : turncheck output in $T/NAME.json, exit status in RC,
# elapsed milliseconds in MS.
run() {
    local name=$1 t0 t1
    shift
    RC=0
    t0=$(date +%s%N)
    timeout 60 "$TC" "$@" >"$T/$name.json" 2>"$T/$name.err" || RC=$?
    t1=$(date +%s%N)
    MS=$(((t1 - t0) / 1000000))
    J="$T/$name.json"
}

# check NAME JQ_EXPR [EXPECTED_RC]: the JSON satisfies JQ_EXPR and the exit
# status is as expected (0 when omitted).
check() {
    local name=$1 expr=$2 want=${3:-0}
    if [ "$RC" -ne "$want" ]; then
        il_fail "$name: exit $RC, want $want: $(tr -d '\n' <"$J") $(cat "$T/$name.err" 2>/dev/null)"
    elif ! jq -e "$expr" "$J" >/dev/null 2>&1; then
        il_fail "$name: not ($expr): $(tr -d '\n' <"$J")"
    else
        il_pass "$name ($(jq -c '{fail,step,error_code,error_reason,mapped,relayed,lifetime,rtt_ms,transmissions}' "$J"), ${MS} ms)"
    fi
}

# ---- STUN ----
run stun_udp stun 127.0.0.1 "$PORT" udp
check stun_udp '.ok and (.mapped | test("^127\\.0\\.0\\.1:[0-9]+$")) and .rtt_ms >= 0 and .transmissions == 1'
run stun_tcp stun 127.0.0.1 "$PORT" tcp
check stun_tcp '.ok and (.mapped | test("^127\\.0\\.0\\.1:[0-9]+$")) and .rtt_ms >= 0'
run stun_tls --ca "$T/cert.pem" stun localhost "$TLS_PORT" tls
check stun_tls '.ok and (.mapped | test("^127\\.0\\.0\\.1:[0-9]+$")) and .connect_ms >= 0'
run stun_udp6 stun ::1 "$PORT" udp
check stun_udp6 '.ok and .server == "[::1]:'"$PORT"'" and (.mapped | test("^\\[::1\\]:[0-9]+$"))'
run stun_udp6_bracketed stun '[::1]' "$PORT" udp
check stun_udp6_bracketed '.ok and .server == "[::1]:'"$PORT"'"'

# ---- TURN: allocate, refresh, deallocate ----
# shellcheck disable=SC2016  # $p is a jq variable
relay_ok='.ok and .step == "" and .realm == "'"$REALM"'"
  and (.relayed | test("^127\\.0\\.0\\.1:[0-9]+$"))
  and ((.relayed | split(":")[1] | tonumber) as $p | $p >= '"$RELAY_MIN"' and $p <= '"$RELAY_MAX"')
  and (.mapped | startswith("127.0.0.1:"))
  and .lifetime > 0 and .refreshed and .refresh_lifetime > 0 and .deallocated'
for tr in udp tcp tls; do
    cred 3600 "ok-$tr"
    if [ "$tr" = tls ]; then
        run "turn_$tr" --ca "$T/cert.pem" turn localhost "$TLS_PORT" tls "$U" "$P"
    else
        run "turn_$tr" turn 127.0.0.1 "$PORT" "$tr" "$U" "$P"
    fi
    check "turn_$tr" "$relay_ok"
    # coturn's side: this user's Allocate and both Refreshes succeeded, the
    # second one setting the lifetime to 0 (which deletes the allocation).
    n_alloc=$(grep -F "user <$U>" "$LOG" | grep -c 'ALLOCATE processed, success' || true)
    n_refr=$(grep -F "user <$U>" "$LOG" | grep -c 'REFRESH processed, success' || true)
    n_zero=$(grep -cF "refreshed, realm=<$REALM>, username=<$U>, lifetime=0" "$LOG" || true)
    if [ "$n_alloc" -eq 1 ] && [ "$n_refr" -eq 2 ] && [ "$n_zero" -eq 1 ]; then
        il_pass "turn_$tr coturn log: 1 ALLOCATE success, 2 REFRESH success (one to lifetime 0) for <$U>"
    else
        il_fail "turn_$tr coturn log for <$U>: $n_alloc ALLOCATE / $n_refr REFRESH successes / $n_zero to lifetime 0, want 1 / 2 / 1"
    fi
done

# ---- refusals ----
cred 3600 badpass
run turn_badpass turn 127.0.0.1 "$PORT" udp "$U" "not-the-password"
check turn_badpass '(.ok | not) and .fail == "server" and .step == "allocate" and .error_code == 401 and (.error_reason | length > 0) and .relayed == ""' 1
cred -60 expired
run turn_expired turn 127.0.0.1 "$PORT" tcp "$U" "$P"
check turn_expired '(.ok | not) and .fail == "server" and .step == "allocate" and .error_code == 401' 1

# ---- nothing listening, silence, not STUN ----
run dead_udp --timeout 5000 stun 127.0.0.1 "$DEAD_PORT" udp
check dead_udp '(.ok | not) and .fail == "refused" and (.error_reason | test("ICMP port unreachable"))' 1
run dead_tcp --timeout 5000 turn 127.0.0.1 "$DEAD_PORT" tcp "$U" "$P"
check dead_tcp '(.ok | not) and .fail == "refused" and .step == "connect" and (.error_reason | test("Connection refused"))' 1
run silent_udp --timeout 2000 stun 127.0.0.1 "$SILENT_PORT" udp
check silent_udp '(.ok | not) and .fail == "timeout" and .step == "binding" and .transmissions == 3 and (.error_reason | test("after 3 transmissions"))' 1
if [ "$MS" -lt 1900 ] || [ "$MS" -gt 4000 ]; then
    il_fail "silent_udp: took $MS ms for a 2000 ms deadline"
else
    il_pass "silent_udp: deadline respected ($MS ms for 2000 ms)"
fi
run silent_udp_full --timeout 20000 turn 127.0.0.1 "$SILENT_PORT" udp "$U" "$P"
check silent_udp_full '(.ok | not) and .fail == "timeout" and .step == "allocate" and (.error_reason | test("after 4 transmissions in 7[0-9]{3} ms"))' 1
run http_tcp --timeout 5000 stun 127.0.0.1 "$SILENT_PORT" tcp
check http_tcp '(.ok | not) and .fail == "protocol" and (.error_reason | test("not STUN .*48 54 54 50"))' 1

# ---- TLS verification ----
run tls_noca turn localhost "$TLS_PORT" tls "$U" "$P"
check tls_noca '(.ok | not) and .fail == "tls" and .step == "tls" and (.error_reason | test("certificate verification failed"))' 1
run tls_mismatch --ca "$T/cert.pem" stun 127.0.0.1 "$TLS_PORT" tls
check tls_mismatch '(.ok | not) and .fail == "tls" and (.error_reason | test("mismatch"))' 1
cred 3600 insecure
run tls_insecure --insecure turn 127.0.0.1 "$TLS_PORT" tls "$U" "$P"
check tls_insecure "$relay_ok"

# ---- deallocation answered with 437 after a lost response ----
FAKE_PORT=$(peer_turn_free_port "$SILENT_PORT")
while [ "$FAKE_PORT" = "$DEAD_PORT" ]; do FAKE_PORT=$(peer_turn_free_port "$SILENT_PORT"); done
il_start "$T/fake_turn.log" python3 "$HERE/fake_turn_server.py" "$FAKE_PORT" drop_dealloc 120
if il_wait_port udp "$FAKE_PORT" 10 "$IL_LAST_PID"; then
    run dealloc_437 turn 127.0.0.1 "$FAKE_PORT" udp alice pw-alice
    check dealloc_437 '.ok and .step == "" and .refreshed and .deallocated and .error_code == 0'
    n_dealloc=$(grep -c '"method": "refresh", "user": "alice", "lifetime": 0' "$T/fake_turn.log" || true)
    n_437=$(grep -c '"answer": "437"' "$T/fake_turn.log" || true)
    if [ "$n_dealloc" -eq 2 ] && [ "$n_437" -eq 1 ]; then
        il_pass "dealloc_437: the deallocation was retransmitted once and answered 437"
    else
        il_fail "dealloc_437: fake server saw $n_dealloc deallocations, $n_437 answered 437; want 2, 1"
    fi
else
    il_fail "fake_turn_server.py did not start"
fi

if ! kill -0 "$TURN_PID" 2>/dev/null; then
    il_fail "turnserver died during the run"
fi
il_summary
