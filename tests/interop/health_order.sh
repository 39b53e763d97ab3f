#!/usr/bin/env bash
# tests/interop/health_order.sh BUILD_DIR — the order of a reply by health
# check latency (check.order_by_latency) and fail open per network, against
# a real coturn on loopback, asked by real slixmpp clients
# (provider_client.py) of extdiscod's standalone server from two loopback
# addresses.
#
#   coturn: one, secret shared with extdiscod;
#   SLOW, FAST: two UDP relays to it (udp_delay_proxy.py) that hold each
#     answer back by what their delay file says (SLOW 120 ms, FAST 0);
#   networks: internal (127.0.0.2) and public (everybody else);
#   services, in this configuration order: stun (coturn, everyone), turn via
#     SLOW and turn via FAST (public), a turn on a port nobody listens on
#     (internal: dead).
# Checks every 1 s:
#   - a public client (127.0.0.3) gets stun, then FAST's turn before SLOW's
#     (the configuration lists SLOW first);
#   - the internal network's only TURN is dead while the public ones work:
#     the internal client (127.0.0.2) still gets it (fail open within its
#     network, logged once), the public client does not;
#   - the delays swap (SLOW 0, FAST 120 ms): the next reply lists SLOW's
#     turn first, and an online public client gets no push for it (an
#     order change is no XEP-0215 add/modify/delete);
#   - /status and `extdiscoctl status` show each service's last check
#     latency and its place in the reply (LATENCY, ORDER), no PROVIDER
#     table (no turn_providers);
#   - the replies are printed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"

BUILD_DIR=${1:?usage: $0 BUILD_DIR}
PY=/usr/bin/python3
TURNSERVER=${TURNSERVER:-/usr/bin/turnserver}
if ! command -v "$TURNSERVER" >/dev/null 2>&1; then
    echo "SKIP: $TURNSERVER not installed"
    exit 77
fi
if ! "$PY" -c 'import slixmpp' 2>/dev/null; then
    echo "SKIP: python3-slixmpp not installed"
    exit 77
fi
peer_extdiscod_find "$BUILD_DIR" || exit 1

il_init health_order
T=$IL_TMP
LOG=$T/extdiscod.log
DELAY_MS=120

SECRET="o-$RANDOM$RANDOM-secret"
printf '%s\n' "$SECRET" >"$T/turn.secret"
mkdir -p "$T/turn"
peer_coturn_start --dir "$T/turn" --realm order.test --relays 10 "$SECRET" ||
    { echo "FAIL: turnserver did not start"; exit 1; }
TURN=$PEER_TURN_PORT
peer_cert_make "$T" localhost

read -r P_SLOW P_FAST P_DEAD P_C2S P_HTTP <<<"$(il_free_ports 5)"
echo "$DELAY_MS" >"$T/slow.delay"
echo 0 >"$T/fast.delay"
for p in SLOW FAST; do
    port_var=P_$p
    lc=${p,,}
    il_start "$T/$lc.out" "$PY" "$HERE/udp_delay_proxy.py" "${!port_var}" "$TURN" \
        "$T/$lc.delay" 120
    il_wait_port udp "${!port_var}" 10 "$IL_LAST_PID" || { echo "FAIL: $p relay"; exit 1; }
done

CFG=$T/extdiscod.yml
cat >"$CFG" <<YAML
log: {level: debug, syslog: false}
domains: [localhost]
http: {listen: ["127.0.0.1:$P_HTTP"]}
turn_secrets:
  - {name: rest, secret_files: [turn.secret], ttl: 1h}
check: {interval: 1s, timeout: 1s, fall: 2, rise: 1, order_by_latency: true}
networks:
  - {name: internal, addresses: [127.0.0.2/32]}
  - {name: public}
services:
  - {type: stun, host: 127.0.0.1, port: $TURN, transport: udp, allow_local: true}
  - {type: turn, host: 127.0.0.1, port: $P_SLOW, transport: udp, credentials: rest, allow_local: true, networks: [public]}
  - {type: turn, host: 127.0.0.1, port: $P_FAST, transport: udp, credentials: rest, allow_local: true, networks: [public]}
  - {type: turn, host: 127.0.0.1, port: $P_DEAD, transport: udp, credentials: rest, allow_local: true, networks: [internal]}
$(peer_extdiscod_c2s_yaml localhost cert.pem key.pem "127.0.0.1:$P_C2S=starttls")
YAML
"$EXTDISCOCTL" -c "$CFG" adduser alice@localhost <<<"alice" >/dev/null
"$EXTDISCOCTL" -c "$CFG" adduser bob@localhost <<<"bob" >/dev/null
peer_extdiscod_start "$CFG" "$LOG" "$P_C2S" || { echo "FAIL: extdiscod did not start"; cat "$LOG"; exit 1; }
D_PID=$PEER_ED_PID

# the daemon's log, from its first line (il_log_mark moves the mark on)
il_log_mark "$LOG" 0
# ask NAME ARGS...: one client, its JSON lines in $T/NAME.out
ask() {
    local name=$1
    shift
    timeout 60 "$PY" "$HERE/provider_client.py" 127.0.0.1 "$P_C2S" "$@" >"$T/$name.out" \
        2>"$T/$name.err" || { il_fail "$name: client failed"; tail -n 5 "$T/$name.err" >&2; }
}
# order NAME [LINE]: "type:port type:port ..." of one answer
order() { sed -n "${2:-1}p" "$T/$1.out" | jq -r '[.services[] | "\(.type):\(.port)"] | join(" ")'; }
# show NAME: the answer's order, its ports named, and the answer itself
show() {
    echo "--- $1: $(order "$1" | sed -e "s/:$P_SLOW\b/:$P_SLOW(SLOW)/" -e "s/:$P_FAST\b/:$P_FAST(FAST)/" \
        -e "s/:$P_DEAD\b/:$P_DEAD(DEAD)/" -e "s/:$TURN\b/:$TURN(coturn)/")"
    sed -n 1p "$T/$1.out" | jq -c '[.services[] | {type, host, port, transport, username}]'
}

# --- first checks: SLOW and FAST up with their latencies, DEAD down ----------
ok=1
il_log_wait 15 "health: turn udp 127\.0\.0\.1:$P_SLOW up: allocate ok in [0-9]+ ms" || ok=0
il_log_wait 15 "health: turn udp 127\.0\.0\.1:$P_FAST up: allocate ok in [0-9]+ ms" || ok=0
il_log_wait 15 "health: turn udp 127\.0\.0\.1:$P_DEAD down: " || ok=0
[ "$ok" = 1 ] && il_pass "first checks: SLOW and FAST up, DEAD down" ||
    { il_fail "first checks"; grep 'health:' "$LOG" | tail -n 20; }
grep -E "health: turn udp 127\.0\.0\.1:($P_SLOW|$P_FAST) up" "$LOG" | sed 's/^/    /'

# fail open within the internal network, logged once
if il_log_wait 5 "health: every turn service offered to network internal is down; announcing those anyway there \(fail open\)"; then
    il_pass "internal's only TURN dead: fail open for network internal only (logged)"
else
    il_fail "no per-network fail-open line"; grep 'fail open' "$LOG" || true
fi
if grep -q "every turn service is down" "$LOG"; then
    il_fail "fail open logged for every network although the public TURNs work"
else
    il_pass "no fail open for the public network (its TURNs work)"
fi

ask public1 alice@localhost alice --src 127.0.0.3
show public1
want="stun:$TURN turn:$P_FAST turn:$P_SLOW"
[ "$(order public1)" = "$want" ] &&
    il_pass "public reply: stun, then FAST's turn before SLOW's (configuration: SLOW first)" ||
    il_fail "public reply order: $(order public1), want $want"
ask internal1 bob@localhost bob --src 127.0.0.2
show internal1
want="stun:$TURN turn:$P_DEAD"
[ "$(order internal1)" = "$want" ] &&
    il_pass "internal reply: its own dead TURN (fail open within the network), no public TURN" ||
    il_fail "internal reply: $(order internal1), want $want"
jq -e '.services | any(.type == "turn" and .username != null and .password != null)' \
    <(sed -n 1p "$T/internal1.out") >/dev/null &&
    il_pass "internal: the fail-open TURN has credentials" || il_fail "internal: no credentials"

# --- the latencies swap: a new order, no push ---------------------------------
READY=$T/listen.ready
timeout 60 "$PY" "$HERE/provider_client.py" 127.0.0.1 "$P_C2S" alice@localhost alice \
    --src 127.0.0.3 --wait-push 6 --ready "$READY" >"$T/listen.out" 2>"$T/listen.err" &
LISTEN_PID=$!
IL_PIDS+=("$LISTEN_PID")
for ((i = 0; i < 200; i++)); do [ -e "$READY" ] && break; sleep 0.1; done
[ -e "$READY" ] && il_pass "listening public client online" || il_fail "listening client not ready"
il_log_mark "$LOG"
echo 0 >"$T/slow.delay"
echo "$DELAY_MS" >"$T/fast.delay"
if il_log_wait 10 "health: reply order by check latency changed \(no push\)"; then
    il_pass "delays swapped: the order changed without a push"
else
    il_fail "no order change logged"
fi
sleep 1.5 # both have been checked again with the new delays
ask public2 alice@localhost alice --src 127.0.0.3
show public2
want="stun:$TURN turn:$P_SLOW turn:$P_FAST"
[ "$(order public2)" = "$want" ] &&
    il_pass "after the swap: SLOW's turn (now fast) first" ||
    il_fail "after the swap: $(order public2), want $want"
# the order as operators see it: /status and extdiscoctl status
curl -s --max-time 5 "http://127.0.0.1:$P_HTTP/status" >"$T/status.json" || true
"$EXTDISCOCTL" -c "$CFG" status >"$T/status.ctl" 2>&1 || true
if jq -e --argjson s "$P_SLOW" --argjson f "$P_FAST" --argjson d "$P_DEAD" '.order_by_latency and
        ([.services[] | select(.port == $s)][0] as $S | [.services[] | select(.port == $f)][0] as $F |
         [.services[] | select(.port == $d)][0] as $D |
         $S.latency_ms < $F.latency_ms and $F.latency_ms >= 100 and $S.reply_position == 2 and
         $F.reply_position == 3 and $D.reply_position == 4 and $D.latency_ms == null) and
        .services[0].reply_position == 1 and .providers == []' "$T/status.json" >/dev/null; then
    il_pass "/status: order_by_latency, SLOW (now fast) at place 2 before FAST at 3 by their latencies, DEAD last, no latency"
else
    il_fail "/status services: $(jq -c '[.order_by_latency, (.services[] | [.port, .health, .latency_ms, .reply_position])]' "$T/status.json")"
fi
if grep -Eq '^TYPE +HOST +PORT +TRANSPORT +CREDENTIALS +HEALTH +LATENCY +ORDER$' "$T/status.ctl" &&
    grep -Eq "^turn +127\.0\.0\.1 +$P_SLOW +udp +yes +up +[0-9]+ ms +2$" "$T/status.ctl" &&
    grep -Eq "^turn +127\.0\.0\.1 +$P_FAST +udp +yes +up +[0-9]+ ms +3$" "$T/status.ctl" &&
    grep -Eq "^turn +127\.0\.0\.1 +$P_DEAD +udp +yes +down +- +4$" "$T/status.ctl" &&
    ! grep -q '^PROVIDER' "$T/status.ctl"; then
    il_pass "extdiscoctl status: LATENCY and ORDER columns show the reply order; no PROVIDER table without providers"
else
    il_fail "extdiscoctl status:"; cat "$T/status.ctl"
fi
sed -n '/^TYPE/,/^(check/p' "$T/status.ctl" | sed 's/^/    /'
il_wait "$LISTEN_PID"
[ "$IL_RC" = 0 ] || il_fail "listening client exited $IL_RC: $(tail -n 3 "$T/listen.err")"
if [ "$(tail -n 1 "$T/listen.out")" = '{"push": null}' ]; then
    il_pass "no push to the online client for an order change"
else
    il_fail "push after the order change: $(tail -n 1 "$T/listen.out")"
fi
if il_log_since | grep -q "pushes sent"; then
    il_fail "pushes sent after the swap: $(il_log_since | grep 'pushes sent')"
else
    il_pass "the daemon sent no push over the swap"
fi
# about ten checks of the dead TURN later: still one line
n=$(grep -c "every turn service offered to network internal is down" "$LOG" || true)
[ "$n" = 1 ] && il_pass "the per-network fail open is logged once" ||
    il_fail "per-network fail open logged $n times"
il_log_mark "$LOG"
kill -USR1 "$D_PID"
il_log_wait 5 "health: turn udp 127\.0\.0\.1:$P_FAST up .* latency_ms" || true
echo "--- SIGUSR1 after the swap:"
il_log_since | grep -E "health: turn udp .* latency_ms" |
    sed -E 's/.*health: (turn udp [^ ]+ [a-z]+( \([^)]*\))?).* (latency_ms -?[0-9]+).*/    \1 \3/' || true

# a stop with a probe maybe in flight: everything freed (a sanitizer build
# reports leaks and errors into the log)
il_stop "$D_PID" 10
if grep -q -e 'Sanitizer' -e 'runtime error' "$LOG"; then
    il_fail "sanitizer report"; grep -A15 -e 'Sanitizer' -e 'runtime error' "$LOG" | head -n 40
else
    il_pass "stopped cleanly (no sanitizer report)"
fi
il_summary
