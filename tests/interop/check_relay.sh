#!/usr/bin/env bash
# tests/interop/check_relay.sh — `extdisco check` end to end (issue 13):
# relay round trip, open relay, peer restrictions, --json steps, against
# three real coturns on loopback, with extdiscod standalone handing out the
# services; verdicts compared with coturn's own turnutils_uclient -y.
#
#   tests/interop/check_relay.sh BUILD_DIR
#
# coturns (all use-auth-secret with extdiscod's TURN secret unless said):
#   good   : relays on 127.0.0.1, denied-peer-ip for 10/8, 172.16/12,
#            192.168/16, 169.254/16 (peers.sh's default);
#   broken : external-ip=127.0.0.3 — XOR-RELAYED-ADDRESS says 127.0.0.3, the
#            relay sockets are on 127.0.0.1, nothing listens on 127.0.0.3, so
#            data relayed to the other allocation is lost on loopback (ICMP
#            port unreachable; nothing leaves the machine); no denied-peer-ip;
#   open   : no-auth (an open relay).
# Three extdiscods (standalone, domain check.test, one account database)
# hand out the services of one setup each: good: stun, turn udp, turn tcp;
# broken: turn udp; open: turn udp.  Cases:
#   good   -> exit 0, every service ok, relay step ok both ways (indications
#             and ChannelData), peer-restriction ok (403), open-relay ok (401);
#   broken -> exit 1, allocate ok, relay FAIL at relay-indication with the
#             "does not forward" reason, private-peer-allowed warning;
#   open   -> exit 0 (a warning), open-relay warning;
#   --json validated against the schema of extdisco(1) with jq;
#   turnutils_uclient -y on good and broken: 0 % and 100 % lost, the same
#   verdicts; without credentials on open (relays: open relay) and on good
#   (refused).  The CreatePermission for 10.0.0.1/169.254.169.254 sends no
#   data anywhere.
# Exit 0 all pass, 1 any failure, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"

BUILD_DIR=${1:-${BUILD:-$SRC/build}}
EXTDISCO=${EXTDISCO:-$BUILD_DIR/client/extdisco}
TURNSERVER=${TURNSERVER:-/usr/bin/turnserver}
UCLIENT=${UCLIENT:-/usr/bin/turnutils_uclient}
if [ ! -x "$EXTDISCO" ]; then
    echo "FAIL: $EXTDISCO not built"
    exit 1
fi
peer_extdiscod_find "$BUILD_DIR" || exit 1
for t in "$TURNSERVER" "$UCLIENT" jq openssl; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

il_init check_relay
T=$IL_TMP
chmod 755 "$T"
SECRET="turn-$RANDOM$RANDOM$RANDOM"
printf '%s\n' "$SECRET" >"$T/turn.secret"
printf '%s\n' "alice-pw-$RANDOM$RANDOM" >"$T/alice.pw"
peer_cert_make --key-mode 644 "$T" check.test DNS:check.test

# ---------------------------------------------------------------- coturns
mkdir -p "$T/good" "$T/broken" "$T/open" "$T/ed"
peer_coturn_start --dir "$T/good" --realm good.test --relays 60 "$SECRET" ||
    { echo "FAIL: coturn (good) did not start"; exit 1; }
GOOD=$PEER_TURN_PORT GOOD_PID=$PEER_TURN_PID
peer_coturn_start --dir "$T/broken" --realm broken.test --relays 20 --allow-private-peers \
    --conf external-ip=127.0.0.3 "$SECRET" ||
    { echo "FAIL: coturn (broken) did not start"; exit 1; }
BROKEN=$PEER_TURN_PORT BROKEN_PID=$PEER_TURN_PID
peer_coturn_start --dir "$T/open" --realm open.test --relays 20 --no-auth x ||
    { echo "FAIL: coturn (open) did not start"; exit 1; }
OPEN=$PEER_TURN_PORT
echo "coturn good $GOOD, broken $BROKEN (external-ip 127.0.0.3), open $OPEN (no-auth)"

# turnutils_uclient -y (client to client through the relay) on good and
# broken, in the background while the rest runs (it takes 6 to 15 s).
U="$(($(date +%s) + 3600)):uclient"
P=$(printf '%s' "$U" | openssl dgst -sha1 -hmac "$SECRET" -binary | base64)
il_start "$T/uclient_good.log" timeout 40 "$UCLIENT" -y -n 5 -m 1 -l 100 -u "$U" -w "$P" -p "$GOOD" 127.0.0.1
UC_GOOD=$IL_LAST_PID
il_start "$T/uclient_broken.log" timeout 40 "$UCLIENT" -y -n 5 -m 1 -l 100 -u "$U" -w "$P" -p "$BROKEN" 127.0.0.1
UC_BROKEN=$IL_LAST_PID
# and without credentials: the open relay lets it through, good refuses it
il_start "$T/uclient_open.log" timeout 40 "$UCLIENT" -y -n 5 -m 1 -l 100 -p "$OPEN" 127.0.0.1
UC_OPEN=$IL_LAST_PID
il_start "$T/uclient_noauth.log" timeout 40 "$UCLIENT" -y -n 5 -m 1 -l 100 -p "$GOOD" 127.0.0.1
UC_NOAUTH=$IL_LAST_PID

# ---------------------------------------------------------------- extdiscod
# One extdiscod (standalone, domain check.test) per setup, sharing one
# account database: good, broken, open.
# ed_config NAME PORT SERVICES...
ed_config() {
    local name=$1 port=$2 svc
    shift 2
    {
        # no health checks (their allocations would only add noise)
        printf 'log: {level: info, syslog: false}\ndomains: [check.test]\ncheck: {enabled: false}\n'
        printf 'turn_secrets:\n  - {name: main, secret_files: [../turn.secret], ttl: 1h}\nservices:\n'
        for svc in "$@"; do printf '  - {%s, allow_local: true}\n' "$svc"; done
        peer_extdiscod_c2s_yaml check.test ../cert.pem ../key.pem "127.0.0.1:$port=starttls"
    } >"$T/ed/$name.yml"
    peer_extdiscod_check "$T/ed/$name.yml" "$T/ed/$name-check.log" || { echo "FAIL: config $name"; exit 1; }
}
read -r XP_GOOD XP_BROKEN XP_OPEN <<<"$(il_free_ports 3)"
ed_config good "$XP_GOOD" "type: stun, host: 127.0.0.1, port: $GOOD, transport: udp" \
    "type: turn, host: 127.0.0.1, port: $GOOD, transport: udp, credentials: main" \
    "type: turn, host: 127.0.0.1, port: $GOOD, transport: tcp, credentials: main"
ed_config broken "$XP_BROKEN" "type: turn, host: 127.0.0.1, port: $BROKEN, transport: udp, credentials: main"
ed_config open "$XP_OPEN" "type: turn, host: 127.0.0.1, port: $OPEN, transport: udp, credentials: main"
"$EXTDISCOCTL" -c "$T/ed/good.yml" adduser alice@check.test --password-file "$T/alice.pw" \
    >"$T/ed/adduser.log" 2>&1 || { cat "$T/ed/adduser.log"; exit 1; }
for x in good broken open; do
    port_var=XP_${x^^}
    peer_extdiscod_start "$T/ed/$x.yml" "$T/ed/$x.log" "${!port_var}" ||
        { echo "FAIL: extdiscod ($x) did not start"; exit 1; }
done

# ---------------------------------------------------------------- helpers
# ed OUT PORT [ARGS...]: extdisco as alice via 127.0.0.1:PORT, exit in RC.
ed() {
    local out=$1 port=$2
    shift 2
    RC=0
    timeout 60 "$EXTDISCO" --jid alice@check.test --server "127.0.0.1:$port" --ca-file "$T/cert.pem" \
        --password-file "$T/alice.pw" "$@" >"$T/$out.out" 2>"$T/$out.err" || RC=$?
}
show() { sed 's/^/    /' "$@" 2>/dev/null | cut -c1-600 | head -n 40 || true; }
expect() {
    local name=$1 want=$2 expr=$3 file=$4
    if [ "$RC" -ne "$want" ]; then
        il_fail "$name: exit $RC, want $want"; show "$file" "${file%.out}.err"
    elif jq -e "$expr" "$file" >/dev/null 2>&1; then
        il_pass "$name"
    else
        il_fail "$name: jq '$expr' is false"; show "$file" "${file%.out}.err"
    fi
}

# The documented schema (extdisco(1), JSON OUTPUT, check): every member of
# every service and step object, with its type.
# shellcheck disable=SC2016
SCHEMA='
  def str_or_null: type == "string" or type == "null";
  def int_or_null: type == "number" or type == "null";
  def leg: type == "object" and (.ok | type == "boolean") and (.ms | int_or_null) and (.us | int_or_null)
           and (.sends | type == "number") and (.received_as | . == null or . == "data-indication" or . == "channeldata");
  def step: type == "object" and (.step | type == "string")
            and (.status | IN("ok", "failed", "warning", "skipped"))
            and (.ms | int_or_null) and (.message | str_or_null)
            and (if .step == "relay" then
                   (.us | int_or_null) and (.fail | type == "string") and (.failed_at | str_or_null) and (.error_code | type == "number")
                   and (.relayed_a | str_or_null) and (.relayed_b | str_or_null)
                   and (.indication_a_to_b | leg) and (.indication_b_to_a | leg)
                   and (.channel_a_to_b | leg) and (.channel_b_to_a | leg)
                 elif .step == "peer-restriction" then
                   all(.peers[]; (.ip | type == "string") and (.permission | IN("granted", "refused", "no-answer")) and (.error_code | type == "number"))
                 elif .step == "open-relay" and .status != "skipped" then
                   (.allocated_without_credentials | type == "boolean") and (.error_code | type == "number")
                 else true end);
  (.entity | type == "string") and (.namespace | type == "string")
  and (.features | type == "object") and (.ip_check | type == "object")
  and (.summary | (.services, .ok, .failed, .warnings, .exit) | type == "number")
  and all(.services[];
      (.status | IN("ok", "warning", "failed")) and (.ok | type == "boolean")
      and (.checked | type == "boolean") and (.summary | type == "string")
      and (.steps | type == "array") and all(.steps[]; step)
      and all(.flags[]; (.code | type == "string") and (.severity | IN("error", "warning")) and (.message | type == "string")))'

# ---------------------------------------------------------------- good
ed good "$XP_GOOD" check --json
expect "good: --json matches the documented schema" 0 "$SCHEMA" "$T/good.out"
expect "good: exit 0, 3 services ok" 0 \
    '.summary.failed == 0 and .summary.ok == 3 and .summary.exit == 0' "$T/good.out"
expect "good: both TURN services: relay ok both ways as indications and ChannelData, RTT reported" 0 \
    '[.services[] | select(.service.type == "turn")] | length == 2 and all(.[];
        .status != "failed" and (.steps | map(.step) == ["allocate","refresh","deallocate","relay","peer-restriction","open-relay"])
        and (.steps[3] | .status == "ok" and .ms >= 0 and .us > 0 and all(.indication_a_to_b, .indication_b_to_a, .channel_a_to_b, .channel_b_to_a; .us > 0)
             and .indication_a_to_b.received_as == "data-indication" and .indication_b_to_a.received_as == "data-indication"
             and .channel_a_to_b.received_as == "channeldata" and .channel_b_to_a.received_as == "channeldata"))' "$T/good.out"
expect "good: 10.0.0.1 and 169.254.169.254 refused (403), no private-peer-allowed warning" 0 \
    'all(.services[] | select(.service.type == "turn"); (.steps[4] | .status == "ok" and all(.peers[]; .permission == "refused" and .error_code == 403))
        and all(.flags[]; .code != "private-peer-allowed"))' "$T/good.out"
expect "good: unauthenticated Allocate refused with 401, no open-relay warning" 0 \
    'all(.services[] | select(.service.type == "turn"); (.steps[5] | .status == "ok" and .error_code == 401 and (.allocated_without_credentials | not))
        and all(.flags[]; .code != "open-relay"))' "$T/good.out"
ed good_t "$XP_GOOD" check
cp "$T/good_t.out" "$T/good_table.txt"
if [ "$RC" -eq 0 ] && [ "$(grep -c 'relay round trip ok' "$T/good_t.out")" -eq 2 ]; then
    il_pass "good: table says 'relay round trip ok' twice"
else
    il_fail "good: table (exit $RC)"; show "$T/good_t.out" "$T/good_t.err"
fi

# ---------------------------------------------------------------- broken
ed broken "$XP_BROKEN" check --json
expect "broken: --json matches the documented schema" 1 "$SCHEMA" "$T/broken.out"
expect "broken: exit 1, allocate/refresh/deallocate ok, relay FAIL at relay-indication with a clear reason" 1 \
    '.summary.failed == 1 and (.services[0] | .status == "failed" and .result.ok
      and (.steps[0] | .step == "allocate" and .status == "ok" and (.message | test("127\\.0\\.0\\.3")))
      and (.steps[3] | .step == "relay" and .status == "failed" and .failed_at == "relay-indication"
           and (.message | test("never arrived.*does not forward")) and (.indication_a_to_b.ok | not))
      and any(.flags[]; .code == "relay-failed" and .severity == "error"))' "$T/broken.out"
expect "broken: no denied-peer-ip -> private-peer-allowed warning (10.0.0.1, 169.254.169.254 granted)" 1 \
    '.services[0] | any(.flags[]; .code == "private-peer-allowed" and .severity == "warning")
      and (.steps[4] | .status == "warning" and all(.peers[]; .permission == "granted"))' "$T/broken.out"
ed broken_t "$XP_BROKEN" check
cp "$T/broken_t.out" "$T/broken_table.txt"
if [ "$RC" -eq 1 ] && grep -q 'relay round trip FAILED at relay-indication' "$T/broken_t.out" &&
   grep -q 'error relay-failed: Send indication A->B: data sent through relay' "$T/broken_t.out"; then
    il_pass "broken: table names the relay failure"
else
    il_fail "broken: table (exit $RC)"; show "$T/broken_t.out" "$T/broken_t.err"
fi

# ---------------------------------------------------------------- open
ed open "$XP_OPEN" check --json
expect "open: --json matches the documented schema" 0 "$SCHEMA" "$T/open.out"
expect "open: allocation without credentials -> open-relay warning, exit 0" 0 \
    '.services[0] | .status == "warning" and any(.flags[]; .code == "open-relay" and .severity == "warning")
      and (.steps[5] | .status == "warning" and .allocated_without_credentials)' "$T/open.out"
ed open_strict "$XP_OPEN" check --strict
if [ "$RC" -eq 1 ] && grep -q 'warning open-relay' "$T/open_strict.out"; then
    il_pass "open: --strict fails on the open-relay warning"
else
    il_fail "open: --strict (exit $RC)"; show "$T/open_strict.out"
fi

# ---------------------------------------------------------------- turnutils_uclient
# lost NAME: the "Total lost packets N (P%)" percentage of its log
lost() { sed -n 's/.*Total lost packets [0-9]* (\([0-9.]*\)%).*/\1/p' "$T/uclient_$1.log" | tail -n 1; }
il_wait "$UC_GOOD"
il_wait "$UC_BROKEN"
lg=$(lost good)
lb=$(lost broken)
if [ "$lg" = "0.000000" ] && jq -e '.summary.failed == 0' "$T/good.out" >/dev/null; then
    il_pass "turnutils_uclient -y agrees on good: $lg % lost, extdisco check ok"
else
    il_fail "turnutils_uclient on good: '$lg' % lost"; show "$T/uclient_good.log"
fi
if [ "$lb" = "100.000000" ] && jq -e '.services[0].steps[3].status == "failed"' "$T/broken.out" >/dev/null; then
    il_pass "turnutils_uclient -y agrees on broken: $lb % lost, extdisco check relay FAIL"
else
    il_fail "turnutils_uclient on broken: '$lb' % lost"; show "$T/uclient_broken.log"
fi

il_wait "$UC_OPEN"
il_wait "$UC_NOAUTH"
lo=$(lost open)
ln=$(lost noauth)
if [ "$lo" = "0.000000" ] && jq -e '.services[0].steps[5].allocated_without_credentials' "$T/open.out" >/dev/null; then
    il_pass "turnutils_uclient -y without credentials agrees on open: relayed ($lo % lost), extdisco check open-relay"
else
    il_fail "turnutils_uclient without credentials on open: '$lo' % lost"; show "$T/uclient_open.log"
fi
if [ -z "$ln" ] || [ "$ln" = "100.000000" ]; then
    il_pass "turnutils_uclient -y without credentials agrees on good: refused (no data relayed), extdisco check 401"
else
    il_fail "turnutils_uclient without credentials on good relayed data ('$ln' % lost)"; show "$T/uclient_noauth.log"
fi

for p in "$GOOD_PID" "$BROKEN_PID"; do
    kill -0 "$p" 2>/dev/null || il_fail "coturn $p died during the run"
done
il_summary
