#!/usr/bin/env bash
# bench/order_ab.sh BASE_BUILD BUILD — what health-aware ordering costs a
# <services/> request: extdiscod of BASE_BUILD (e.g. a build of the commit
# before check.order_by_latency) against BUILD's with order_by_latency off
# and on, under valgrind --tool=callgrind, driven by bench/loadgen.  Both
# configurations have networks (every request classified) and four services
# checked once against a real coturn at start (check.interval 1d: the
# first checks, within 3 s, are done before the requests; with the order on
# the served set is sorted then, not per request); one TURN of the other
# network is dead and, since per-network fail open, served to that network.
#
# Instructions per request are marginal as in bench/metrics_ab.sh:
# (I(R2) - I(R1)) / (CONNS x (R2 - R1)), so start-up, logins, the checks
# and shutdown cancel out.  Each of the three is measured REPEAT times
# (default 3), alternating; compare the medians (heap layout moves single
# runs by a few hundred).  Both builds of the same buildtype.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BASE=$(cd "${1:?usage: $0 BASE_BUILD BUILD}" && pwd)
NEW=$(cd "${2:?usage: $0 BASE_BUILD BUILD}" && pwd)
# shellcheck source=../tests/interop/lib.sh
. "$here/tests/interop/lib.sh"
# shellcheck source=../tests/interop/peers.sh
. "$here/tests/interop/peers.sh"
il_init order_ab
CONNS=8 R1=200 R2=1200 REPEAT=${REPEAT:-3}
LOADGEN=$NEW/bench/loadgen
command -v valgrind >/dev/null || { echo "order_ab: valgrind not installed" >&2; exit 1; }
SECRET="ab-$RANDOM"
printf '%s\n' "$SECRET" >"$IL_TMP/turn.secret"
mkdir -p "$IL_TMP/turn"
peer_coturn_start --dir "$IL_TMP/turn" --realm ab.test --relays 10 "$SECRET" >/dev/null ||
    { echo "order_ab: coturn did not start" >&2; exit 1; }
TP=$PEER_TURN_PORT
DEAD=$(il_free_port)
config() { # ORDER PORT DIR
    cat <<Y
log: {level: warn, syslog: false}
domains: [localhost]
turn_secrets:
  - {name: bench, secret_files: [$IL_TMP/turn.secret], ttl: 12h}
check: {interval: 1d, timeout: 2s$( [ "$1" = on ] && echo ", order_by_latency: true")}
networks:
  - {name: internal, addresses: [10.0.0.0/8]}
  - {name: public}
services:
  - {type: stun, host: 127.0.0.1, port: $TP, transport: udp, allow_local: true}
  - {type: turn, host: 127.0.0.1, port: $TP, transport: udp, credentials: bench, restricted: true, allow_local: true, networks: [public]}
  - {type: turn, host: 127.0.0.1, port: $TP, transport: tcp, credentials: bench, restricted: true, allow_local: true, networks: [public]}
  - {type: turn, host: 127.0.0.1, port: $DEAD, transport: udp, credentials: bench, restricted: true, allow_local: true, networks: [internal]}
limits:
  max_connections: 20000
  max_unauthenticated_per_address: 100000
c2s:
  domain: localhost
  database: $3/accounts.sqlite
  require_tls: false
  listen:
    - {address: "127.0.0.1:$2", tls: none}
Y
}
instructions() { # BUILD ORDER REQS
    local build=$1 order=$2 reqs=$3 dir port pid i
    dir=$(mktemp -d "$IL_TMP/run.XXXX")
    port=$(il_free_port)
    config "$order" "$port" "$dir" >"$dir/extdiscod.yml"
    for ((i = 0; i < CONNS; i++)); do
        "$build/daemon/extdiscoctl" -c "$dir/extdiscod.yml" adduser "bench$i@localhost" <<<"bench" >/dev/null
    done
    il_start "$dir/vg.log" valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" \
        "$build/daemon/extdiscod" -c "$dir/extdiscod.yml"
    pid=$IL_LAST_PID
    il_wait_port tcp "$port" 60 "$pid" || { cat "$dir/vg.log" >&2; return 1; }
    sleep 5 # the first checks (within 3 s) are done before the requests
    "$LOADGEN" -p "$port" -d localhost -u bench -w bench -U "$CONNS" -c "$CONNS" -r "$reqs" \
        -f 1 -k services --mech SCRAM-SHA-256 --turn-host 127.0.0.1 --turn-port "$TP" \
        --timeout 300 >"$dir/lg.out" 2>&1 || { cat "$dir/lg.out" >&2; return 1; }
    il_stop "$pid" 60
    awk '/^summary:/ { print $2 }' "$dir/cg.out"
}
declare -A PER
for ((rep = 1; rep <= REPEAT; rep++)); do
    for m in base:off new:off new:on; do # alternating, so that drift hits all
        b=${m%%:*} o=${m##*:}
        build=$NEW; [ "$b" = base ] && build=$BASE
        a=$(instructions "$build" "$o" "$R1")
        c=$(instructions "$build" "$o" "$R2")
        v=$(awk -v a="$a" -v b="$c" -v n=$((CONNS * (R2 - R1))) 'BEGIN { printf "%.0f", (b - a) / n }')
        PER[$m]="${PER[$m]:-} $v"
        echo "$m rep $rep: $v Ir/request"
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
b=$(median <<<"${PER[base:off]}")
for m in base:off new:off new:on; do
    awk -v m="$m" -v v="$(median <<<"${PER[$m]}")" -v b="$b" -v r="${PER[$m]}" \
        'BEGIN { printf "%-8s median %d Ir/request (%+d, %+.2f %% against base)  [%s ]\n", m, v, v - b, (v - b) * 100 / b, r }'
done
