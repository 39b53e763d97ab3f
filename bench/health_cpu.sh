#!/usr/bin/env bash
# bench/health_cpu.sh BUILD_DIR — what extdiscod's health checks cost
# (issue 11): 100 configured services checked every 10 s against a real
# coturn on loopback, the daemon's CPU over a measured window, next to the
# same daemon with `check: {enabled: false}`; then the services-request
# latency of both side by side (bench/loadgen, 100-service replies).
#
# The 100 services: 25 loopback addresses 127.0.0.1..25 (one coturn
# listening on all of them) x stun/udp, turn/udp, turn/tcp, turns/tcp (TLS,
# a certificate with the 25 IP addresses, trusted through check.ca_file).
# Every probe stays on loopback.
#
#   HEALTH_SECS (default 60): the CPU window, after a 12 s warm-up
#   HEALTH_REQS (default 2000): requests per loadgen connection (20 conns:
#   about 5 s of load per round); HEALTH_ROUNDS (3) rounds, on/off alternating
# Prints one RESULT line per configuration.  Not a test.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
# shellcheck source=../tests/interop/lib.sh
. "$here/tests/interop/lib.sh"
# shellcheck source=../tests/interop/peers.sh
. "$here/tests/interop/peers.sh"
SECS=${HEALTH_SECS:-60}
REQS=${HEALTH_REQS:-2000}
EXTDISCOD=$build/daemon/extdiscod
CTL=$build/daemon/extdiscoctl
LOADGEN=$build/bench/loadgen
for p in "$EXTDISCOD" "$CTL" "$LOADGEN" /usr/bin/turnserver; do
    [ -x "$p" ] || { echo "health_cpu.sh: $p missing" >&2; exit 1; }
done
il_init bench-health
T=$IL_TMP
NIP=25
sans=()
also=()
for ((i = 1; i <= NIP; i++)); do
    sans+=("IP:127.0.0.$i")
    [ "$i" -gt 1 ] && also+=(--also-listen "127.0.0.$i")
done
peer_cert_make "$T" bench-turn "${sans[@]}"
mv "$T/cert.pem" "$T/turn-cert.pem"
mv "$T/key.pem" "$T/turn-key.pem"
peer_cert_make "$T" localhost
SECRET="bench-$RANDOM$RANDOM"
printf '%s\n' "$SECRET" >"$T/turn.secret"
peer_coturn_start --realm bench.test --relays 200 "${also[@]}" \
    --tls "$T/turn-cert.pem" "$T/turn-key.pem" "$SECRET" ||
    { echo "coturn did not start" >&2; exit 1; }
echo "coturn pid $PEER_TURN_PID on 127.0.0.1..$NIP port $PEER_TURN_PORT, tls $PEER_TURN_TLS_PORT"

NUSERS=20
# config NAME ENABLED -> $T/NAME/extdiscod.yml, port in PORT_NAME
config() {
    local dir=$T/$1 port
    mkdir -p "$dir"
    port=$(il_free_port)
    printf -v "PORT_$1" '%s' "$port"
    {
        cat <<EOF
log: {level: warn, syslog: false}
domains: [bench.test]
turn_secrets:
  - {name: b, secret_files: [$T/turn.secret], ttl: 12h}
check: {enabled: $2, interval: 10s, timeout: 5s, ca_file: $T/turn-cert.pem}
limits: {max_unauthenticated_per_address: 100000}
services:
EOF
        for ((i = 1; i <= NIP; i++)); do
            echo "  - {type: stun, host: 127.0.0.$i, port: $PEER_TURN_PORT, transport: udp, allow_local: true}"
            echo "  - {type: turn, host: 127.0.0.$i, port: $PEER_TURN_PORT, transport: udp, credentials: b, allow_local: true}"
            echo "  - {type: turn, host: 127.0.0.$i, port: $PEER_TURN_PORT, transport: tcp, credentials: b, allow_local: true}"
            echo "  - {type: turns, host: 127.0.0.$i, port: $PEER_TURN_TLS_PORT, transport: tcp, credentials: b, allow_local: true}"
        done
        peer_extdiscod_c2s_yaml --no-require-tls bench.test "$T/cert.pem" "$T/key.pem" "127.0.0.1:$port=starttls"
    } >"$dir/extdiscod.yml"
    for ((i = 0; i < NUSERS; i++)); do
        "$CTL" -c "$dir/extdiscod.yml" adduser "bench$i@bench.test" <<<"bench" >/dev/null
    done
}
ticks() { # PID -> utime+stime in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}
config on true
config off false
HZ=$(getconf CLK_TCK)
for name in on off; do
    port_var=PORT_$name
    il_start "$T/$name/out.log" "$EXTDISCOD" -c "$T/$name/extdiscod.yml"
    pid=$IL_LAST_PID
    il_wait_port tcp "${!port_var}" 20 "$pid" || { echo "extdiscod ($name) did not start" >&2; exit 1; }
    printf -v "PID_$name" '%s' "$pid"
done
sleep 12
t0_on=$(ticks "$PID_on"); t0_off=$(ticks "$PID_off")
s0=$(date +%s%N)
sleep "$SECS"
t1_on=$(ticks "$PID_on"); t1_off=$(ticks "$PID_off")
s1=$(date +%s%N)
el=$(( (s1 - s0) / 1000000 ))
down=$(grep -c ' down: ' "$T/on/out.log" || true)
for name in on off; do
    a=t0_$name b=t1_$name
    d=$(( ${!b} - ${!a} ))
    pct=$(awk -v d="$d" -v hz="$HZ" -v ms="$el" 'BEGIN { printf "%.3f", d / hz * 100 / (ms / 1000) }')
    echo "RESULT cpu checks=$name services=100 interval=10s window_ms=$el cpu_ticks=$d cpu_pct_of_core=$pct"
done
# the probes really ran: coturn saw allocations, and no service went down
allocs=$(grep -c 'ALLOCATE processed, success' "$PEER_TURN_LOG" || true)
echo "coturn: $allocs successful allocations during the run; services marked down: $down"
kill -USR1 "$PID_on"
sleep 0.5

# Latency: rounds alternate on/off (the machine's load drifts; a single
# pair is noise), then the median of each side.
ROUNDS=${HEALTH_ROUNDS:-3}
for ((r = 1; r <= ROUNDS; r++)); do
    for name in on off; do
        port_var=PORT_$name pid_var=PID_$name
        "$LOADGEN" -p "${!port_var}" -d bench.test -U "$NUSERS" -c 20 -r "$REQS" -f 4 \
            -k services --mech SCRAM-SHA-256 --turn-host 127.0.0.1 \
            --turn-port "$PEER_TURN_PORT" --pid "${!pid_var}" --timeout 120 \
            >"$T/lg-$name-$r.out" 2>"$T/lg-$name-$r.err" || true
        line=$(grep '^RESULT' "$T/lg-$name-$r.out" ||
               echo "RESULT (none: $(tail -n 2 "$T/lg-$name-$r.err"))")
        echo "RESULT latency round=$r checks=$name ${line#RESULT }"
        sed -n 's/.* p50_us=\([0-9]*\) p99_us=\([0-9]*\).* cpu_us_per_req=\([0-9.]*\).*/\1 \2 \3/p' \
            "$T/lg-$name-$r.out" >>"$T/lat-$name"
    done
done
for name in on off; do
    med() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "?") }'; }
    echo "RESULT latency-median checks=$name rounds=$ROUNDS" \
        "p50_us=$(cut -d' ' -f1 "$T/lat-$name" | med)" \
        "p99_us=$(cut -d' ' -f2 "$T/lat-$name" | med)" \
        "cpu_us_per_req=$(cut -d' ' -f3 "$T/lat-$name" | med)"
done
