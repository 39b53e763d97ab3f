#!/usr/bin/env bash
# tests/interop/daemon_logs.sh BUILD_DIR — issue 10, items 5 and 6: what an
# outside party can make extdiscod log is bounded and cannot forge lines.
#   1. (item 5) limits.max_connections: 2, two connections held open, then
#      FLOOD_MAX connections opened and closed, spread over FLOOD_SECS s
#      (400 a second; bounded at FLOOD_SECS + 5 s): the log gains at most MAX_LINES lines, some of which carry the
#      aggregate "(N similar lines suppressed in the last T s)"; after a
#      quiet second, one more refused connection reports the rest, and the
#      refusals shown plus those counted as suppressed are all of them.
#   2. (item 6) a component host server sends, before the handshake, a
#      <stream:error/> whose <text/> has newlines, a CR and a forged
#      "extdiscod: error: ..." line, then one with a 5000-byte <text/>: the
#      log has no line that starts with the forged text, the stream error is
#      on one line with \n escapes, and the long one is cut at 1 KiB with
#      "…[N bytes cut]".
#   3. (item 5) a component host server that completes the handshake, then
#      sends STALL_COUNT service requests over STALL_SECS s and never reads:
#      extdiscod's replies fill its output bound and it drops the rest; the
#      "server not reading ... dropped" lines are at most MAX_LINES, and
#      after a quiet second the next one carries the suppressed count.
# On 16d8f94: part 1 logs one line per refused connection (~2000 lines, no
# aggregate); part 3 one per dropped reply (tens of thousands); part 2 logs the forged line as a line of its own and the long
# text uncut up to 2 KiB without a marker.  Every process is started here
# and stopped by PID.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/c2s_common.sh
. "$HERE/c2s_common.sh"

BUILD_DIR=${1:?usage: $0 BUILD_DIR}
PY=/usr/bin/python3
FLOOD_MAX=2000   # refused connections
FLOOD_SECS=5     # spread over this many seconds
MAX_LINES=30     # log lines a flood may add (burst 10 + 1/s + margin)
STALL_COUNT=60000  # service requests from a host that does not read
STALL_SECS=4       # spread over this many seconds
il_init daemon_logs
C2S_HANDSHAKE_TIMEOUT=60s
c2s_setup "$BUILD_DIR"
T=$IL_TMP
sed -i 's/^limits:$/limits:\n  max_connections: 2/' "$CFG"
grep -q 'max_connections: 2' "$CFG" || { echo "FAIL: config"; exit 1; }
c2s_start
LOG=$T/extdiscod.log
sleep 0.3

# ---------------------------------------------------------------- part 1
n0=$(wc -l <"$LOG")
"$PY" "$HERE/daemon_logs.py" flood "$P_PLAIN" 2 "$FLOOD_MAX" "$FLOOD_SECS" >"$T/flood.json"
sleep 0.5
n1=$(wc -l <"$LOG")
attempts=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["attempts"])' <"$T/flood.json")
secs=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["secs"])' <"$T/flood.json")
added=$((n1 - n0))
rate=$(printf '%.1f' "$(bc -l <<<"$added / ($secs + 0.5)")")
il_log "flood: $attempts refused connections in $secs s; log +$added lines ($rate lines/s)"
if [ "$attempts" -ge $((FLOOD_MAX / 2)) ]; then
    il_pass "the flood made $attempts refused connections (>= $((FLOOD_MAX / 2))) in $secs s"
else
    il_fail "the flood made only $attempts connections in $secs s"
fi
if [ "$added" -le "$MAX_LINES" ]; then
    il_pass "$attempts refused connections added $added log lines (bound $MAX_LINES; $rate lines/s)"
else
    il_fail "$attempts refused connections added $added log lines (bound $MAX_LINES; $rate lines/s)"
fi
if tail -n +"$((n0 + 1))" "$LOG" | grep -q 'refusing another (.* similar lines\? suppressed in the last'; then
    il_pass "the refusals are aggregated: $(grep -m1 'similar lines suppressed' "$LOG")"
else
    il_fail "no aggregate count in the log"
fi
# after a quiet second one more refusal reports the rest
sleep 1.5
"$PY" "$HERE/daemon_logs.py" flood "$P_PLAIN" 2 1 0 >/dev/null
sleep 0.5
accounted=$(tail -n +"$((n0 + 1))" "$LOG" | grep 'refusing another' |
    sed -n 's/.*refusing another\( (\([0-9]*\) similar lines\? suppressed.*\)\?$/\2/p' |
    awk '{ n += 1 + ($1 == "" ? 0 : $1) } END { print n + 0 }')
if [ "$accounted" -eq "$((attempts + 1))" ]; then
    il_pass "every refusal is accounted for: $accounted shown or counted as suppressed"
else
    il_fail "refusals shown + counted as suppressed: $accounted, made: $((attempts + 1))"
fi
il_stop "$D_PID"

# ---------------------------------------------------------------- part 2
HPORT=$(il_free_port)
printf 'comp-secret\n' >"$T/component.secret"
cat >"$T/comp.yml" <<EOF2
log: {level: info, syslog: false}
domains: [example.org]
services:
  - {type: stun, host: 127.0.0.1, port: $TURN_PORT, transport: udp, allow_local: true}
components:
  - server: 127.0.0.1:$HPORT
    jid: extdisco.example.org
    secret_file: component.secret
EOF2
printf 'bye\nextdiscod: error: forged by the host\r\n\tand a third line' >"$T/text1"
"$PY" -c 'print("x" * 5000, end="")' >"$T/text2"
"$PY" "$HERE/daemon_logs.py" host "$HPORT" "$T/text1" 1 >"$T/host1.json" &
host=$!
IL_PIDS+=("$host")
il_wait_port tcp "$HPORT" 10 "$host" || true
il_start "$T/comp.log" "$EXTDISCOD" -c "$T/comp.yml"
ed=$IL_LAST_PID
il_wait "$host"
"$PY" "$HERE/daemon_logs.py" host "$HPORT" "$T/text2" 1 >"$T/host2.json" &
host=$!
IL_PIDS+=("$host")
il_wait "$host"
sleep 0.3
il_stop "$ed"
CLOG=$T/comp.log
if grep -q '^extdiscod: error: forged' "$CLOG" || grep -q $'\r' "$CLOG"; then
    il_fail "a forged line (or a raw CR) is in the log: $(grep -n 'forged' "$CLOG")"
else
    il_pass "no line of the log starts with the host's forged text"
fi
if grep -qF 'stream error from 127.0.0.1:'"$HPORT"': conflict: bye\nextdiscod: error: forged by the host\r\n\tand a third line' "$CLOG"; then
    il_pass "the stream error <text/> is on one escaped line: $(grep -F 'conflict: bye' "$CLOG")"
else
    il_fail "the stream error line is not escaped as wanted: $(grep -n -A3 'conflict: bye' "$CLOG")"
fi
long=$(grep 'conflict: xxxx' "$CLOG" || true)
if [ -n "$long" ] && [ "${#long}" -le 1200 ] && grep -q 'xxx…\[[0-9]* bytes cut\]$' <<<"$long"; then
    il_pass "a 5000-byte <text/> is cut (${#long} bytes): ...${long: -40}"
else
    il_fail "the 5000-byte <text/> line (${#long} bytes) is not cut with a marker: ${long: -60}"
fi

# ---------------------------------------------------------------- part 3
# Twenty services: a reply of ~2.5 kB for a request of ~130 bytes, so that
# the 16 MiB output bound is reached within the first ~10,000 requests.
HPORT=$(il_free_port)
{
    printf 'log: {level: info, syslog: false}\ndomains: [example.org]\nservices:\n'
    for i in $(seq 1 20); do
        printf '  - {type: stun, host: 127.0.0.%d, port: %d, transport: udp, allow_local: true}\n' \
            "$i" "$TURN_PORT"
    done
    printf 'components:\n  - server: 127.0.0.1:%d\n    jid: extdisco.example.org\n' "$HPORT"
    printf '    secret_file: component.secret\n'
} >"$T/stall.yml"
"$PY" "$HERE/daemon_logs.py" stall "$HPORT" extdisco.example.org comp-secret example.org \
    "$STALL_COUNT" "$STALL_SECS" >"$T/stall.json" 2>"$T/stall.err" &
host=$!
IL_PIDS+=("$host")
il_wait_port tcp "$HPORT" 10 "$host" || true
il_start "$T/stall.log" "$EXTDISCOD" -c "$T/stall.yml"
ed=$IL_LAST_PID
il_wait "$host"
sleep 0.3
il_stop "$ed"
SLOG=$T/stall.log
dropped=$(grep -c 'server not reading' "$SLOG" || true)
total=$(wc -l <"$SLOG")
il_log "stall: $(cat "$T/stall.json" "$T/stall.err"); log $total lines, $dropped 'dropped'"
if [ "$dropped" -ge 1 ] && [ "$total" -le $((MAX_LINES + 10)) ]; then
    il_pass "a host that does not read: $dropped 'dropped' lines, $total in all (bound $((MAX_LINES + 10)))"
else
    il_fail "a host that does not read: $dropped 'dropped' lines, $total in all (want 1 .. $((MAX_LINES + 10)) in all)"
fi
if grep -q 'dropped (.* similar lines\? suppressed in the last' "$SLOG"; then
    il_pass "the drops are aggregated: $(grep 'similar lines' "$SLOG" | tail -n 1)"
else
    il_fail "no aggregate count of the drops in the log"
fi

il_summary
