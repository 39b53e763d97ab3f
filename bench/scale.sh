#!/usr/bin/env bash
# bench/scale.sh [BUILDDIR] — issue 14's standalone half (bench only, not in
# make test): 100,000 authenticated idle c2s connections over STARTTLS and
# the login storm, with bench/storm as the client side.
#
#  1. storm: per server (extdiscod, Prosody 0.12, ejabberd 23.01), a fresh
#     server, then SCALE_STORM (10,000) clients connecting at once, each
#     STARTTLS + SASL SCRAM-SHA-256 + bind + presence (a server restart that
#     every client notices at the same moment): time from the first connect
#     to the last bound resource, logins/s, the server's CPU.  The same
#     connections then stay as the idle population: RSS per connection at
#     10,000 and p50/p99 of <services/> requests over PROBE_CONNS of them.
#  2. extdiscod alone at SCALE_CONNS (100,000) connections, logged in
#     SCALE_PARALLEL at a time (clients arriving over time, not a storm):
#     RSS per connection and in total, malloc_stats and smaps, and the
#     <services/> p50/p99 at that population.
#
# Every server has the same ECDSA P-256 certificate, the same domain, the
# same services and the same 64 accounts (bench0..bench63 / bench) with
# SCRAM-SHA-256 keys stored (4096 iterations), so no server derives a key
# at login.  Servers start here, on loopback, and are stopped by PID.
#
# Limits: the script re-runs itself in a private network namespace
# (unshare -n, root), so that nothing it does to the network (and no port
# it takes) touches the host; the open files limit is raised to the hard
# limit for this process tree only.  Clients connect from
# 127.0.1.1..127.0.1.8 so that 100,000 connections find ports.
#
# Environment (defaults): SCALE_CONNS=100000 SCALE_STORM=10000
#   SCALE_PARALLEL=100 SCALE_SERVERS="extdiscod prosody ejabberd" (empty: none)
#   SCALE_BIG=1 (0: skip step 2) SCALE_PROBE_CONNS=50 SCALE_PROBE_REQS=1000
#   SCALE_PIN=1 (server on CPU 0, storm on CPU 1) SCALE_OUT=FILE (raw lines)
#   SCALE_PERF=1 (perf record -g of extdiscod during its storm)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$here/$build ;; esac

if [ "${SCALE_IN_NS:-0}" != 1 ]; then
    [ "$(id -u)" = 0 ] || { echo "scale.sh: needs root (network namespace, limits)" >&2; exit 1; }
    export SCALE_IN_NS=1
    exec timeout --kill-after=30 900 unshare -n -- bash "$0" "$build"
fi

ip link set lo up
# No sysctl is changed: the namespace has the kernel's defaults
# (net.core.somaxconn 4096, the usual local port range), as a fresh host.
# The open files limit: as high as the hard limit allows.  Raising the hard
# limit needs CAP_SYS_RESOURCE, which this machine's container does not
# give even to root (hard limit 20,000): no process here can hold more than
# ~19,990 connections; see SCALE_PROCS for spreading a population.
ulimit -n "$(ulimit -Hn)"

# shellcheck source=../tests/interop/lib.sh
. "$here/tests/interop/lib.sh"

STORM=$build/bench/storm
[ -x "$STORM" ] || { echo "scale.sh: $STORM missing; build first" >&2; exit 1; }
EXTDISCOD=$build/daemon/extdiscod
# One process can hold at most (open files limit - a few) connections: with
# the hard limit at 20,000 (no CAP_SYS_RESOURCE to raise it) the 100,000 of
# issue 14 do not fit in one extdiscod (nor in one storm client); the big
# run then takes what fits and says so.
FD_MAX=$(ulimit -Hn)
CONNS=${SCALE_CONNS:-100000}
if [ "$FD_MAX" != unlimited ] && [ "$CONNS" -gt $((FD_MAX - 100)) ]; then
    echo "== SCALE_CONNS=$CONNS does not fit under the open files hard limit $FD_MAX" \
         "(raising it needs CAP_SYS_RESOURCE); running $((FD_MAX - 100))"
    CONNS=$((FD_MAX - 100))
fi
NSTORM=${SCALE_STORM:-10000}
PAR=${SCALE_PARALLEL:-100}
SERVERS=${SCALE_SERVERS-extdiscod prosody ejabberd}
PROBE=(--probe-conns "${SCALE_PROBE_CONNS:-50}" --probe-reqs "${SCALE_PROBE_REQS:-1000}")
# EDD_C2S_MAX_RESOURCES: extdiscod binds at most 16 resources per account
NUSERS=${SCALE_USERS:-1000}
DOMAIN=localhost
TURN_HOST=turn.example.org
TURN_PORT=3478
SECRET=bench-turn-secret-0123456789

SRV_TASKSET=() CL_TASKSET=()
if [ "${SCALE_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ]; then
    SRV_TASKSET=(taskset -c 0) CL_TASKSET=(taskset -c 1)
fi

il_init bench-scale
chmod 755 "$IL_TMP"
OUT=${SCALE_OUT:-$IL_TMP/scale.out}
: >"$OUT"
SRV_PID='' MEAS_PID=''

descendants() { # PID -> its descendants
    local -a queue=("$1")
    local p c pp
    while [ "${#queue[@]}" -gt 0 ]; do
        p=${queue[0]}
        queue=("${queue[@]:1}")
        while read -r c pp; do
            if [ "$pp" = "$p" ]; then echo "$c"; queue+=("$c"); fi
        done < <(ps -e -o pid=,ppid=)
    done
}

stop_tree() { # PID: TERM it and its descendants, bounded wait, KILL
    local pid=$1 i p alive
    [ -n "$pid" ] || return 0
    local -a all
    mapfile -t all < <(descendants "$pid")
    all=("$pid" "${all[@]}")
    for p in "${all[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for ((i = 0; i < 100; i++)); do
        alive=0
        for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for p in "${all[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    il_forget "$pid"
    wait "$pid" 2>/dev/null || true
}

# epmd (ejabberd's) daemonises: the one started in this namespace is ours.
stop_our_epmd() {
    local p ns
    ns=$(readlink /proc/self/ns/net)
    for p in $(pgrep -x epmd || true); do
        [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$ns" ] && kill -TERM "$p" 2>/dev/null
    done
    return 0
}

scale_cleanup() {
    local rc=$?
    set +e
    stop_tree "$SRV_PID"
    stop_our_epmd
    (exit "$rc")
    il_cleanup
}
trap scale_cleanup EXIT

pin() { # the server's processes and threads on CPU 0
    local p
    [ "${#SRV_TASKSET[@]}" -gt 0 ] || return 0
    for p in "$SRV_PID" $(descendants "$SRV_PID"); do
        taskset -a -c -p 0 "$p" >/dev/null 2>&1 || true
    done
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$IL_TMP/key.pem" -out "$IL_TMP/cert.pem" -days 30 -subj "/CN=$DOMAIN" \
    -addext "subjectAltName=DNS:$DOMAIN" 2>/dev/null
chmod 644 "$IL_TMP/key.pem"
printf '%s\n' "$SECRET" >"$IL_TMP/turn.secret"

start_extdiscod() {
    SRV_DIR=$(mktemp -d "$IL_TMP/extdiscod.XXXX")
    SRV_PORT=$(il_free_port)
    cat >"$SRV_DIR/extdiscod.yml" <<EOF
log: {level: warn, syslog: false}
domains: [$DOMAIN]
turn_secrets:
  - name: bench
    secret_files: [$IL_TMP/turn.secret]
    ttl: 12h
services:
  - {type: stun, host: $TURN_HOST, port: $TURN_PORT, transport: udp}
  - {type: turn, host: $TURN_HOST, port: $TURN_PORT, transport: udp, credentials: bench,
     restricted: true}
  - {type: turn, host: $TURN_HOST, port: $TURN_PORT, transport: tcp, credentials: bench,
     restricted: true}
limits:
  max_connections: 200000
  max_unauthenticated_per_address: 1000000  # the clients come from 8 addresses
  handshake_timeout: 120s
check: {enabled: false}
c2s:
  domain: $DOMAIN
  database: $SRV_DIR/accounts.sqlite
  tls: {cert: $IL_TMP/cert.pem, key: $IL_TMP/key.pem}
  listen:
    - {address: "127.0.0.1:$SRV_PORT", tls: starttls}
EOF
    # One account made by extdiscoctl, copied under the other names (the
    # same salt and keys: the server looks keys up, it derives nothing; the
    # client learns each account's SaltedPassword before the storm).
    "$build/daemon/extdiscoctl" -c "$SRV_DIR/extdiscod.yml" adduser "bench0@$DOMAIN" \
        <<<"bench" >>"$SRV_DIR/ctl.log" 2>&1 || { il_log "adduser failed"; return 1; }
    python3 - "$SRV_DIR/accounts.sqlite" "$NUSERS" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cols = "salt, iter, sha1_stored, sha1_server, sha256_stored, sha256_server"
for i in range(1, int(sys.argv[2])):
    db.execute(f"INSERT INTO accounts (user, {cols}) SELECT ?, {cols} FROM accounts "
               "WHERE user = 'bench0'", (f"bench{i}",))
db.commit()
EOF
    # SCALE_ED_ENV: environment for the daemon only (allocator experiments:
    # LD_PRELOAD=..., GLIBC_TUNABLES=...); SCALE_ED_WRAP: a command in front
    # of it (valgrind --tool=massif ...)
    # shellcheck disable=SC2086
    il_start "$SRV_DIR/out.log" "${SRV_TASKSET[@]}" env ${SCALE_ED_ENV:-} ${SCALE_ED_WRAP:-} "$EXTDISCOD" \
        -c "$SRV_DIR/extdiscod.yml"
    SRV_PID=$IL_LAST_PID
    il_wait_port tcp "$SRV_PORT" 20 "$SRV_PID" ||
        { il_log "extdiscod did not start: $(tail -5 "$SRV_DIR/out.log")"; return 1; }
    MEAS_PID=$SRV_PID
}

start_prosody() {
    SRV_DIR=$(mktemp -d "$IL_TMP/prosody.XXXX")
    SRV_PORT=$(il_free_port)
    mkdir -p "$SRV_DIR/data/$DOMAIN/accounts" "$SRV_DIR/certs"
    # SCRAM-SHA-256 keys stored, as extdiscoctl and ejabberd store them
    python3 - "$SRV_DIR/data/$DOMAIN/accounts" "$NUSERS" <<'EOF'
import hashlib, hmac, sys, uuid
d, n = sys.argv[1], int(sys.argv[2])
salt = str(uuid.uuid4())  # one for all, as for extdiscod
sp = hashlib.pbkdf2_hmac('sha256', b'bench', salt.encode(), 4096)
ck = hmac.new(sp, b'Client Key', 'sha256').digest()
sk = hmac.new(sp, b'Server Key', 'sha256').digest()
for i in range(n):
    with open(f'{d}/bench{i}.dat', 'w') as f:
        f.write('return {\n\t["stored_key"] = "%s";\n\t["server_key"] = "%s";\n'
                '\t["salt"] = "%s";\n\t["iteration_count"] = 4096;\n};\n'
                % (hashlib.sha256(ck).hexdigest(), sk.hex(), salt))
EOF
    cat >"$SRV_DIR/prosody.cfg.lua" <<EOF
run_as_root = true
pidfile = "$SRV_DIR/prosody.pid"
data_path = "$SRV_DIR/data"
certificates = "$SRV_DIR/certs"
log = { error = "$SRV_DIR/prosody.log" }
modules_enabled = { "saslauth", "tls", "disco", "ping", "external_services" }
modules_disabled = { "s2s" }
c2s_ports = { $SRV_PORT }
c2s_interfaces = { "127.0.0.1" }
s2s_ports = {}
authentication = "internal_hashed"
password_hash = "SHA-256"
default_iteration_count = 4096
c2s_require_encryption = true
network_settings = { tcp_backlog = 65535 }  -- as extdiscod's and ejabberd's
limits = { c2s = { rate = "10mb/s" } }
ssl = { key = "$IL_TMP/key.pem", certificate = "$IL_TMP/cert.pem" }
external_service_secret = "$SECRET"
external_service_ttl = 43200
external_services = {
  { type = "stun", transport = "udp", host = "$TURN_HOST", port = $TURN_PORT },
  { type = "turn", transport = "udp", host = "$TURN_HOST", port = $TURN_PORT, secret = true },
  { type = "turn", transport = "tcp", host = "$TURN_HOST", port = $TURN_PORT, secret = true },
}
VirtualHost "$DOMAIN"
EOF
    il_start "$SRV_DIR/out.log" "${SRV_TASKSET[@]}" prosody --config "$SRV_DIR/prosody.cfg.lua" -F
    SRV_PID=$IL_LAST_PID
    il_wait_port tcp "$SRV_PORT" 20 "$SRV_PID" || return 1
    MEAS_PID=$SRV_PID
}

start_ejabberd() {
    SRV_DIR=$(mktemp -d "$IL_TMP/ejabberd.XXXX")
    SRV_PORT=$(il_free_port)
    local node="scale$$x$RANDOM@localhost" p
    mkdir -p "$SRV_DIR/spool" "$SRV_DIR/logs"
    cat "$IL_TMP/key.pem" "$IL_TMP/cert.pem" >"$SRV_DIR/tls.pem"
    printf '%s\n' 'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"' 'ERL_MAX_PORTS=250000' \
        'ERL_PROCESSES=1000000' >"$SRV_DIR/ejabberdctl.cfg"
    cat >"$SRV_DIR/ejabberd.yml" <<EOF
hosts: [$DOMAIN]
loglevel: warning
certfiles: ["$SRV_DIR/tls.pem"]
listen:
  - port: $SRV_PORT
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: true
    starttls_required: true
    backlog: 65535
auth_method: internal
auth_password_format: scram
auth_scram_hash: sha256
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
shaper_rules:
  max_user_sessions: 1000000
  c2s_shaper: none
modules:
  mod_disco: {}
  mod_ping: {}
  mod_stun_disco:
    secret: "$SECRET"
    credentials_lifetime: 12h
    offer_local_services: false
    services:
      - {type: stun, transport: udp, host: $TURN_HOST, port: $TURN_PORT, restricted: false}
      - {type: turn, transport: udp, host: $TURN_HOST, port: $TURN_PORT, restricted: true}
      - {type: turn, transport: tcp, host: $TURN_HOST, port: $TURN_PORT, restricted: true}
EOF
    chown -R ejabberd: "$SRV_DIR"
    chmod 755 "$SRV_DIR"
    EJ=(ejabberdctl --config "$SRV_DIR/ejabberd.yml" --ctl-config "$SRV_DIR/ejabberdctl.cfg"
        --spool "$SRV_DIR/spool" --logs "$SRV_DIR/logs" --node "$node")
    il_start "$SRV_DIR/out.log" setpriv --reuid ejabberd --regid ejabberd --init-groups \
        env HOME=~ejabberd "${EJ[@]}" foreground
    SRV_PID=$IL_LAST_PID
    il_wait_port tcp "$SRV_PORT" 60 "$SRV_PID" || return 1
    local cookie
    cookie=$(cat ~ejabberd/.erlang.cookie)
    timeout 60 erl -sname "scalereg$$x$RANDOM" -hidden -noshell -setcookie "$cookie" -eval "
        N = '$node',
        R = [rpc:call(N, ejabberd_auth, try_register,
                      [list_to_binary(\"bench\" ++ integer_to_list(I)), <<\"$DOMAIN\">>,
                       <<\"bench\">>]) || I <- lists:seq(0, $NUSERS - 1)],
        case lists:usort(R) of [ok] -> halt(0); E -> io:format(\"~p~n\", [E]), halt(1) end." \
        >"$SRV_DIR/register.log" 2>&1 ||
        { il_log "ejabberd registration failed: $(cat "$SRV_DIR/register.log")"; return 1; }
    pin
    MEAS_PID=
    for p in $(descendants "$SRV_PID"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = beam.smp ] && MEAS_PID=$p
    done
    [ -n "$MEAS_PID" ] || { il_log "ejabberd: no beam.smp"; return 1; }
}

run_storm() { # label conns parallel [storm args]
    local label=$1 n=$2 par=$3 rc=0
    shift 3
    nstat -n >/dev/null 2>&1 || true  # counters from here on
    local perf_pid=
    if [ "${SCALE_PERF:-0}" = 1 ] && [ "$label" = extdiscod-storm ]; then
        perf record -g -o "$IL_TMP/perf.data" -p "$MEAS_PID" >/dev/null 2>&1 &
        perf_pid=$!
        sleep 0.5
    fi
    local hold=()
    [ "${SCALE_MALLOC_STATS:-0}" = 1 ] && hold=(--hold-s 5)
    ${SCALE_CL_WRAP:-} "${CL_TASKSET[@]}" "$STORM" --port "$SRV_PORT" --conns "$n" --parallel "$par" \
        --nusers "$NUSERS" --warm --nsrc 8 --pid "$MEAS_PID" --timeout 300 "${hold[@]}" "$@" \
        >"$IL_TMP/$label.out" 2>&1 &
    local spid=$! i
    if [ "${SCALE_MALLOC_STATS:-0}" = 1 ]; then
        # glibc's malloc_stats() of the daemon while the population is held
        # (written to its stderr): bytes in use vs bytes from the system
        for ((i = 0; i < 3000; i++)); do
            grep -q '^holding=' "$IL_TMP/$label.out" && break
            kill -0 "$spid" 2>/dev/null || break
            sleep 0.1
        done
        grep -q '^holding=' "$IL_TMP/$label.out" &&
            timeout 20 gdb -batch -p "$MEAS_PID" -ex 'call (void) malloc_stats()' >/dev/null 2>&1
        grep -A3 -E '^Arena|^Total' "$SRV_DIR/out.log" | sed "s/^/$label malloc_stats: /" | tee -a "$OUT"
        grep -E 'Rss|Pss_Anon|Anonymous' "/proc/$MEAS_PID/smaps_rollup" | sed "s/^/$label smaps: /" |
            tr -s ' ' | tee -a "$OUT"
    fi
    wait "$spid" || rc=$?
    echo "storm_exit=$rc" >>"$IL_TMP/$label.out"
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid" 2>/dev/null || true
        wait "$perf_pid" 2>/dev/null || true
        cp "$IL_TMP/perf.data" "${SCALE_PERF_OUT:-/tmp/scale-perf.data}" 2>/dev/null || true
    fi
    # smaps_rollup of the server with the population still connected is
    # not possible here (storm has exited); storm reports VmRSS itself.
    # accept queue overflows (SYNs or ACKs dropped: the client retries
    # after 1 s, 3 s...) in this namespace since the previous run
    nstat -z TcpExtListenOverflows TcpExtTCPSynRetrans 2>/dev/null |
        awk '/ListenOverflows/ {o = $2} /SynRetrans/ {r = $2}
             END {printf "listen_overflows=%d syn_retrans=%d\n", o, r}' >>"$IL_TMP/$label.out"
    sed "s/^/$label /" "$IL_TMP/$label.out" | tee -a "$OUT"
    return "$rc"
}

echo "== $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
for srv in $SERVERS; do
    "start_$srv" || { echo "$srv-storm FAILED to start" | tee -a "$OUT"; stop_tree "$SRV_PID"; continue; }
    pin
    sleep 1
    run_storm "$srv-storm" "$NSTORM" "${SCALE_STORM_PARALLEL:-0}" "${PROBE[@]}" --settle-ms 3000 ||
        echo "$srv-storm rc!=0" | tee -a "$OUT"
    stop_tree "$SRV_PID"
    [ -n "${SCALE_KEEP_LOGS:-}" ] && cp "$SRV_DIR/out.log" "$SCALE_KEEP_LOGS.$srv.log"
    SRV_PID=
done

if [ "${SCALE_BIG:-1}" = 1 ]; then
    NUSERS=$(( (CONNS + 9) / 10 > NUSERS ? (CONNS + 9) / 10 : NUSERS ))
    start_extdiscod
    pin
    SCALE_MALLOC_STATS=${SCALE_MALLOC_STATS:-1} \
    run_storm "extdiscod-$CONNS" "$CONNS" "$PAR" "${PROBE[@]}" --settle-ms 3000 ||
        echo "extdiscod-$CONNS rc!=0" | tee -a "$OUT"
    stop_tree "$SRV_PID"
    SRV_PID=
fi
echo "== end $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
