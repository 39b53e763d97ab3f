#!/usr/bin/env bash
# tests/interop/c2s_badinput.sh BUILD_DIR — bad input against extdiscod's
# standalone server; each case must get the right error while other
# sessions keep working:
#   wrong password and per-address throttling (addresses faked through the
#   PROXY protocol, so 127.0.0.1 is never locked out), PLAIN/SASL without
#   TLS, a stanza before authentication, malformed, oversized, too deep and
#   restricted XML, wrong stream headers, PROXY headers where none is
#   expected and none where one is, 1000 connections that never speak, SIC
#   for another user, more unanswered IQs to another user than
#   limits.max_pending_iqs, a byte trickled after a stream header near the
#   header bounds (CPU per byte); a canary session logged in before all this must
#   still answer afterwards.
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
RAW="$HERE/c2s_raw.py"
IDLE=${C2S_IDLE_CONNECTIONS:-1000}
# 1000 idle sockets here and 1000 in the daemon
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null || true
if [ "$(ulimit -n)" -lt $((IDLE + 200)) ]; then
    IDLE=$(($(ulimit -n) - 200))
    echo "note: ulimit -n is $(ulimit -n): $IDLE idle connections only"
fi

il_init c2s_badinput
# the daemon's sweep visits 3 sessions a turn (1,024 in production): every
# rule it enforces below (absolute handshake deadlines, parser release,
# busy reads) then works over rounds of many turns
export EXTDISCOD_SWEEP_SLICE=3
C2S_HANDSHAKE_TIMEOUT=4s c2s_setup "$BUILD_DIR"
# an http: listener for the throttling metrics, apart from c2s_setup's range
for _ in 1 2 3 4 5; do
    P_HTTP=$(il_free_port)
    [ "$P_HTTP" -ge "$P_STARTTLS" ] && [ "$P_HTTP" -le "$TURN_PORT" ] && continue
    break
done
C2S_EXTRA_TOP="http: {listen: [\"127.0.0.1:$P_HTTP\"]}"
C2S_HANDSHAKE_TIMEOUT=4s c2s_write_config ""
C2S_HANDSHAKE_TIMEOUT=4s c2s_start

# fold_lines NAME FILE: the helper's ok/FAIL lines into ours
fold_lines() {
    while IFS= read -r line; do
        case $line in
            ok:*) il_pass "$1: ${line#ok: }" ;;
            FAIL:*) il_fail "$1: ${line#FAIL: }" ;;
            info:*) il_log "$1: ${line#info: }" ;;
        esac
    done <"$2"
}

# a canary session that must survive everything below
READY=$IL_TMP/canary.ready
GO=$IL_TMP/canary.go
timeout 200 "$PY" "$RAW" canary "$P_STARTTLS" "$READY" "$GO" >"$IL_TMP/canary.out" \
    2>"$IL_TMP/canary.err" &
CANARY=$!
IL_PIDS+=("$CANARY")
i=0
while [ ! -e "$READY" ] && [ "$i" -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$READY" ] || il_fail "canary did not log in"

# --- raw protocol errors ------------------------------------------------------
PORTS="{\"starttls\": $P_STARTTLS, \"plain\": $P_PLAIN, \"proxy\": $P_PROXY, \"proxy_direct\": $P_PROXY_DIRECT}"
timeout 120 "$PY" "$RAW" raw "$PORTS" >"$IL_TMP/raw.out" 2>"$IL_TMP/raw.err" || true
fold_lines raw "$IL_TMP/raw.out"
grep -q . "$IL_TMP/raw.out" || { il_fail "raw cases printed nothing"; tail "$IL_TMP/raw.err" >&2; }

# --- wrong password and throttling (from 198.51.100.23 via PROXY) -------------
login() { # PORT JID PW [ADDR]
    timeout 60 "$PY" "$RAW" login "$@" 2>/dev/null | sed -n 's/^result: //p'
}
r=$(login "$P_PROXY" alice@localhost wrong 198.51.100.23)
[ "$r" = not-authorized ] && il_pass "wrong password -> not-authorized" ||
    il_fail "wrong password -> '$r'"
for n in 2 3 4; do
    r=$(login "$P_PROXY" alice@localhost wrong 198.51.100.23)
    [ "$r" = not-authorized ] || il_fail "wrong password #$n -> '$r'"
done
r=$(login "$P_PROXY" alice@localhost alice 198.51.100.23)
[ "$r" = temporary-auth-failure ] &&
    il_pass "after 4 failures the address is throttled, even with the right password" ||
    il_fail "throttled address with the right password -> '$r'"
m=$(curl -s --max-time 5 "http://127.0.0.1:$P_HTTP/metrics" |
    grep -E '^extdisco_c2s_(throttled_addresses|logins_throttled_total|logins_total\{result="failed"\}) ' | sort | tr '\n' ' ')
[ "$m" = 'extdisco_c2s_logins_throttled_total 1 extdisco_c2s_logins_total{result="failed"} 4 extdisco_c2s_throttled_addresses 1 ' ] &&
    il_pass "/metrics: 4 failed logins, 1 throttled attempt, 1 throttled address" ||
    il_fail "/metrics after the throttling: '$m'"
r=$(login "$P_PROXY" alice@localhost alice 198.51.100.24)
[ "$r" = success ] && il_pass "another address is not throttled" ||
    il_fail "another address -> '$r'"
r=$(login "$P_STARTTLS" alice@localhost alice)
[ "$r" = success ] && il_pass "127.0.0.1 logs in meanwhile" || il_fail "127.0.0.1 -> '$r'"
r=$(login "$P_STARTTLS" nobody@localhost x)
[ "$r" = not-authorized ] && il_pass "unknown user -> not-authorized" ||
    il_fail "unknown user -> '$r'"
sleep 2.5
r=$(login "$P_PROXY" alice@localhost alice 198.51.100.23)
[ "$r" = success ] && il_pass "the throttle lifts after its delay" ||
    il_fail "after the delay -> '$r'"

# --- SIC for another user -----------------------------------------------------
timeout 60 "$PY" "$RAW" sic-other "$P_STARTTLS" >"$IL_TMP/sic.out" 2>"$IL_TMP/sic.err" || true
fold_lines sic "$IL_TMP/sic.out"

# --- IQs awaiting replies: limits.max_pending_iqs (default 64) -----------------
timeout 100 "$PY" "$RAW" pending-iqs "$P_STARTTLS" 64 >"$IL_TMP/pending.out" \
    2>"$IL_TMP/pending.err" || true
fold_lines pending "$IL_TMP/pending.out"
grep -q . "$IL_TMP/pending.out" || { il_fail "pending-iqs printed nothing"; tail "$IL_TMP/pending.err" >&2; }
n=$(grep -c 'alice@localhost/.*limits.max_pending_iqs' "$IL_TMP/extdiscod.log" || true)
[ "$n" = 1 ] && il_pass "the pending-IQ limit is logged once per session" ||
    il_fail "pending-IQ limit logged $n times"

# --- 1000 connections that never speak ------------------------------------------
timeout 120 "$PY" "$RAW" idle "$P_STARTTLS" "$IDLE" 15 "$P_STARTTLS" >"$IL_TMP/idle.out" \
    2>"$IL_TMP/idle.err" || true
fold_lines idle "$IL_TMP/idle.out"
grep -q . "$IL_TMP/idle.out" || { il_fail "idle case printed nothing"; tail "$IL_TMP/idle.err" >&2; }

# --- issue 10 item 1: per-address limit, absolute handshake deadline ---------------
timeout 90 "$PY" "$RAW" slow "$P_DIRECT" "$P_PROXY_DIRECT" "$P_STARTTLS" 16 4 >"$IL_TMP/slow.out" \
    2>"$IL_TMP/slow.err" || true
fold_lines slow "$IL_TMP/slow.out"
grep -q . "$IL_TMP/slow.out" || { il_fail "slow case printed nothing"; tail "$IL_TMP/slow.err" >&2; }

# --- issue 10 item 2: a byte costs the same whatever header came before it --------
timeout 60 "$PY" "$RAW" trickle "$P_PLAIN" "$D_PID" 1000 >"$IL_TMP/trickle.out" \
    2>"$IL_TMP/trickle.err" || true
fold_lines trickle "$IL_TMP/trickle.out"
grep -q . "$IL_TMP/trickle.out" || { il_fail "trickle case printed nothing"; tail "$IL_TMP/trickle.err" >&2; }

# --- the canary -------------------------------------------------------------------
touch "$GO"
il_wait "$CANARY"
fold_lines canary "$IL_TMP/canary.out"
[ "$IL_RC" -eq 0 ] || il_fail "canary exited $IL_RC"

if kill -0 "$D_PID" 2>/dev/null; then
    il_pass "extdiscod still running"
else
    il_fail "extdiscod died"
fi
if grep -qE 'AddressSanitizer|runtime error' "$IL_TMP/extdiscod.log"; then
    il_fail "sanitizer report in the daemon log"
fi
il_summary
