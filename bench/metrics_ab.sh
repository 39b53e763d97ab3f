#!/usr/bin/env bash
# bench/metrics_ab.sh [BUILDDIR] — what the metrics cost per request: the
# same extdiscod binary (standalone c2s, the services row's configuration
# of bench/run_servers.sh) with the metrics off (no `http:` section) and on
# (`http:` on a loopback port; every request counted and timed), under
# valgrind --tool=callgrind, driven by bench/loadgen.
#
# Instructions per request are marginal: (I(R2) - I(R1)) / (CONNS x (R2 -
# R1)) from two runs of R1 and R2 requests per connection, so start-up,
# logins and shutdown cancel out.  Prints one line per kind and mode, then
# the difference.  A release build is expected (meson setup build-rel
# --buildtype=release).
#
# Each pair (off, on) is measured BENCH_REPEAT times, alternating; the
# medians are compared (heap layout moves string and buffer addresses a
# little between configurations, which moves the count by ~100-200).
#
# BENCH_AB=ws compares the transports instead, metrics off: the requests
# over TCP ("tcp") and over XMPP over WebSocket ("ws": a `kind: websocket,
# tls: none` listener, the loadgen's --ws), instructions per request that
# a shared machine's noise cannot move.
#
# Environment: BENCH_KINDS="services" BENCH_CONNS=8 BENCH_R1=200 BENCH_R2=1200
#              BENCH_REPEAT=3 BENCH_AB=metrics|ws
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build-rel}" && pwd)
# shellcheck source=../tests/interop/lib.sh
. "$here/tests/interop/lib.sh"
il_init metrics_ab
KINDS=${BENCH_KINDS:-services}
CONNS=${BENCH_CONNS:-8}
R1=${BENCH_R1:-200}
R2=${BENCH_R2:-1200}
REPEAT=${BENCH_REPEAT:-3}
AB=${BENCH_AB:-metrics}
case $AB in
metrics) MODES="off on" ;;
ws) MODES="tcp ws" ;;
*) echo "metrics_ab: BENCH_AB is metrics or ws" >&2; exit 2 ;;
esac
EXTDISCOD=$build/daemon/extdiscod
CTL=$build/daemon/extdiscoctl
LOADGEN=$build/bench/loadgen
for p in "$EXTDISCOD" "$CTL" "$LOADGEN"; do
    [ -x "$p" ] || { echo "metrics_ab: $p not built" >&2; exit 1; }
done
command -v valgrind >/dev/null || { echo "metrics_ab: valgrind not installed" >&2; exit 1; }

printf 'bench-%s\n' "$RANDOM$RANDOM" >"$IL_TMP/turn.secret"

# config MODE PORT HTTPPORT DIR
config() {
    cat <<EOF
log: {level: warn, syslog: false}
domains: [localhost]
turn_secrets:
  - {name: bench, secret_files: [$IL_TMP/turn.secret], ttl: 12h}
services:
  - {type: stun, host: turn.example.net, port: 3478, transport: udp}
  - {type: turn, host: turn.example.net, port: 3478, transport: udp, credentials: bench, restricted: true}
  - {type: turn, host: turn.example.net, port: 3478, transport: tcp, credentials: bench, restricted: true}
limits:
  max_connections: 20000
  max_unauthenticated_per_address: 100000
c2s:
  domain: localhost
  database: $4/accounts.sqlite
  require_tls: false
  listen:
    - {address: "127.0.0.1:$2", tls: none}
EOF
    if [ "$1" = ws ]; then
        printf '    - {address: "127.0.0.1:%s", tls: none, kind: websocket}\n' "$3"
    fi
    if [ "$1" = on ]; then
        printf 'http:\n  listen: ["127.0.0.1:%s"]\n' "$3"
    fi
}

# instructions MODE KIND REQS: total Ir of one callgrind run
instructions() {
    local mode=$1 kind=$2 reqs=$3 dir port hport pid i lport
    local -a ws=()
    dir=$(mktemp -d "$IL_TMP/run.XXXX")
    read -r port hport <<<"$(il_free_ports 2)"
    config "$mode" "$port" "$hport" "$dir" >"$dir/extdiscod.yml"
    for ((i = 0; i < CONNS; i++)); do
        "$CTL" -c "$dir/extdiscod.yml" adduser "bench$i@localhost" <<<"bench" >/dev/null
    done
    il_start "$dir/vg.log" valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" \
        "$EXTDISCOD" -c "$dir/extdiscod.yml"
    pid=$IL_LAST_PID
    il_wait_port tcp "$port" 60 "$pid" || { cat "$dir/vg.log" >&2; return 1; }
    lport=$port
    if [ "$mode" = ws ]; then
        il_wait_port tcp "$hport" 60 "$pid" || { cat "$dir/vg.log" >&2; return 1; }
        lport=$hport ws=(--ws /xmpp-websocket)
    fi
    if [ "$mode" = on ]; then
        curl -sf --max-time 20 "http://127.0.0.1:$hport/health" >/dev/null ||
            { echo "metrics_ab: no /health with metrics on" >&2; return 1; }
    fi
    "$LOADGEN" -p "$lport" "${ws[@]}" -d localhost -u bench -w bench -U "$CONNS" -c "$CONNS" -r "$reqs" \
        -f 1 -k "$kind" --mech SCRAM-SHA-256 --turn-host turn.example.net --turn-port 3478 \
        --timeout 300 >"$dir/lg.out" 2>&1 ||
        { cat "$dir/lg.out" >&2; return 1; }
    if [ "$mode" = on ]; then # the requests were counted
        curl -sf --max-time 20 "http://127.0.0.1:$hport/metrics" >"$dir/metrics.txt"
        grep -q "^extdisco_requests_total{protocol=\"$kind\",outcome=\"result\"} $((CONNS * reqs))\$" \
            "$dir/metrics.txt" || { echo "metrics_ab: /metrics did not count $((CONNS * reqs)) $kind requests" >&2; return 1; }
    fi
    il_stop "$pid" 60
    awk '/^summary:/ { print $2 }' "$dir/cg.out"
}

printf '%-12s %-4s %3s %14s %14s %12s\n' kind mode run "Ir($R1)" "Ir($R2)" "Ir/request"
declare -A PER
for kind in $KINDS; do
    for ((rep = 1; rep <= REPEAT; rep++)); do
        for mode in $MODES; do # alternating, so that drift hits both
            a=$(instructions "$mode" "$kind" "$R1")
            b=$(instructions "$mode" "$kind" "$R2")
            v=$(awk -v a="$a" -v b="$b" -v n=$((CONNS * (R2 - R1))) 'BEGIN { printf "%.0f", (b - a) / n }')
            PER[$kind.$mode]="${PER[$kind.$mode]:-} $v"
            printf '%-12s %-4s %3d %14s %14s %12s\n' "$kind" "$mode" "$rep" "$a" "$b" "$v"
        done
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
read -r MA MB <<<"$MODES"
for kind in $KINDS; do
    off=$(median <<<"${PER[$kind.$MA]}") on=$(median <<<"${PER[$kind.$MB]}")
    awk -v k="$kind" -v a="$off" -v b="$on" -v ra="${PER[$kind.$MA]}" -v rb="${PER[$kind.$MB]}" \
        -v ma="$MA" -v mb="$MB" \
        'BEGIN { printf "%-12s medians %s %d, %s %d: %+d instructions per request (%+.2f %%)  [%s:%s; %s:%s]\n", k, ma, a, mb, b, b - a, (b - a) * 100 / a, ma, ra, mb, rb }'
done
