#!/usr/bin/env bash
# bench/run_servers.sh [BUILDDIR] — extdiscod, Prosody 0.12 and ejabberd 23.01
# side by side on loopback, one run, one load generator (bench/loadgen).
#
# Each server gets a temp config and data dir, a free port, the same domain
# (localhost), the same three services (stun udp, turn udp, turn tcp with a
# TURN REST secret) and the same accounts (bench0..benchN-1 / bench), and is
# started here (never systemd) and stopped by PID (with its children).
# Plaintext c2s with SASL PLAIN is allowed for this benchmark only
# (extdiscod refuses PLAIN without TLS, so it gets SCRAM-SHA-256; logins are
# not part of the measured phase).
#
# Then, per server: CONNS connections x REQS requests, INFLIGHT in flight,
# for each kind (services, credentials, sic, ping), and the server's CPU
# (/proc/PID/stat utime+stime of the server and its children) during the
# request phase only.  Then the idle-memory test: a fresh server per case,
# IDLE_CONNS authenticated idle connections, plaintext and STARTTLS; RSS
# growth per connection between IDLE_CONNS/10 and IDLE_CONNS connections.
#
# extdiscod targets: "extdiscod" (standalone c2s) when BUILDDIR/daemon/
# extdiscod exists and starts; "extdiscod-comp" (the loadgen is the host
# server of a XEP-0114 link; services and credentials only);
# "ejabberd-deleg" (end to end through ejabberd: the loadgen is ejabberd's
# c2s client, ejabberd delegates urn:xmpp:extdisco:2/:1 to extdiscod, its
# XEP-0114 component, with mod_delegation + mod_privilege as in
# examples/ejabberd/ejabberd.yml; services and credentials only, server CPU
# = ejabberd + extdiscod, extdiscod's own share in the note).
# extdiscod-comp measures extdiscod alone behind an ideal host server;
# ejabberd-deleg is what a user of an ejabberd deployment gets.
# XMPP over WebSocket (RFC 7395, plain ws://, path /xmpp-websocket; the
# loadgen's --ws, masked frames by wslay): "extdiscod-ws" (a `kind:
# websocket` listener), "prosody-ws" (mod_websocket on Prosody's HTTP
# port), "ejabberd-ws" (ejabberd_http with ejabberd_http_ws); the same
# logins and requests as their TCP rows, one message per stanza.
#
# Environment (defaults):
#   BENCH_SERVERS="extdiscod prosody ejabberd ejabberd-deleg extdiscod-comp
#                  extdiscod-ws prosody-ws ejabberd-ws"
#   BENCH_KINDS="services credentials sic ping"
#   BENCH_CONNS=50 BENCH_REQS=2000 BENCH_INFLIGHT=8 BENCH_USERS=64
#   BENCH_IDLE_CONNS=1000 BENCH_IDLE=1 (0: skip the memory test)
#   BENCH_QUICK=1   smoke run: 10 x 200 requests, 100 idle connections
#   BENCH_PIN=1     loadgen on CPU 1, server on CPU 0 (taskset; needs 2 CPUs)
#   BENCH_OUT=FILE  also write the raw results (TSV) there
#   BENCH_HTTP=1    extdiscod (standalone) with an `http:` section: metrics on
# Exit status 1 if any run failed its own checks (reply counts, errors,
# sanity of the numbers), 0 otherwise; n/a entries do not count.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$here/$build ;; esac
# shellcheck source=../tests/interop/lib.sh
. "$here/tests/interop/lib.sh"

loadgen=$build/bench/loadgen
[ -x "$loadgen" ] || { echo "run_servers.sh: $loadgen missing; build first" >&2; exit 1; }

if [ "${BENCH_QUICK:-0}" = 1 ]; then
    CONNS=${BENCH_CONNS:-10} REQS=${BENCH_REQS:-200} IDLE_CONNS=${BENCH_IDLE_CONNS:-100}
    SETTLE=${BENCH_SETTLE_MS:-300} WARM=0
else
    CONNS=${BENCH_CONNS:-50} REQS=${BENCH_REQS:-2000} IDLE_CONNS=${BENCH_IDLE_CONNS:-1000}
    SETTLE=${BENCH_SETTLE_MS:-2000} WARM=1
fi
INFLIGHT=${BENCH_INFLIGHT:-8}
NUSERS=${BENCH_USERS:-64}
KINDS=${BENCH_KINDS:-services credentials sic ping}
SERVERS=${BENCH_SERVERS:-extdiscod prosody ejabberd ejabberd-deleg extdiscod-comp extdiscod-ws prosody-ws ejabberd-ws}
WS_PATH=/xmpp-websocket
DOMAIN=localhost
TURN_HOST=turn.example.org
TURN_PORT=3478
SECRET=bench-turn-secret-0123456789
COMP_SECRET=bench-component-secret
TIMEOUT=${BENCH_TIMEOUT:-600}

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

SRV_TASKSET=() LG_TASKSET=() PIN_NOTE="not pinned"
if [ "${BENCH_PIN:-1}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    SRV_TASKSET=(taskset -c 0) LG_TASKSET=(taskset -c 1)
    PIN_NOTE="server pinned to CPU 0, loadgen to CPU 1 (taskset)"
fi

il_init bench-servers
chmod 755 "$IL_TMP"
RESULTS=$IL_TMP/results.tsv
: >"$RESULTS"
FAILED=0
SERVER_PIDS=()
SERVER_TREE=()
SRV_EXTRA=()   # processes beside SRV_PID that stop_server stops too

# --- stopping a server and everything it started ------------------------
descendants() { # PID -> its descendants, one a line (deepest last)
    local -a queue=("$1")
    local p
    while [ "${#queue[@]}" -gt 0 ]; do
        p=${queue[0]}
        queue=("${queue[@]:1}")
        while read -r c pp; do
            if [ "$pp" = "$p" ]; then echo "$c"; queue+=("$c"); fi
        done < <(ps -e -o pid=,ppid=)
    done
}

stop_tree() { # PID [SECS]: TERM the process and its children, bounded wait, KILL
    local pid=$1 secs=${2:-10} i p
    local -a all
    [ -n "$pid" ] || return 0
    mapfile -t all < <(descendants "$pid")
    all=("$pid" "${all[@]}")
    for p in "${all[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for ((i = 0; i < secs * 10; i++)); do
        local alive=0
        for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for p in "${all[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    il_forget "$pid"
    wait "$pid" 2>/dev/null || true
}

# Servers start on all CPUs (ejabberd takes 3x longer to boot on one) and are
# pinned, every process and thread, once they listen.
pin_server() {
    local p
    for p in $(descendants "$SRV_PID"); do SERVER_TREE+=("$p"); done
    [ "${#SRV_TASKSET[@]}" -gt 0 ] || return 0
    for p in "$SRV_PID" $(descendants "$SRV_PID"); do
        taskset -a -c -p 0 "$p" >/dev/null 2>&1 || true
    done
}

bench_cleanup() {
    local rc=$? p
    set +e
    for p in "${SERVER_PIDS[@]}"; do stop_tree "$p" 3; done
    # Children seen at start, in case their parent died first (a signal to
    # the whole process group): orphans are stopped by their own PID too.
    for p in "${SERVER_TREE[@]}"; do kill -0 "$p" 2>/dev/null && stop_tree "$p" 3; done
    (exit "$rc")
    il_cleanup
}
trap bench_cleanup EXIT

stop_server() {
    local t
    for t in "${SRV_EXTRA[@]}"; do stop_tree "$t" 3; done
    stop_tree "$SRV_PID" 3
    for t in "${SERVER_TREE[@]}"; do kill -0 "$t" 2>/dev/null && stop_tree "$t" 2; done
    SERVER_TREE=()
    local -a keep=() p
    for p in "${SERVER_PIDS[@]}"; do
        [ "$p" != "$SRV_PID" ] && [[ " ${SRV_EXTRA[*]} " != *" $p "* ]] && keep+=("$p")
    done
    SERVER_PIDS=("${keep[@]}")
    SRV_PID=
    SRV_EXTRA=()
}

# --- shared material -------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$IL_TMP/key.pem" -out "$IL_TMP/cert.pem" -days 30 -subj "/CN=$DOMAIN" \
    -addext "subjectAltName=DNS:$DOMAIN" 2>/dev/null
chmod 644 "$IL_TMP/key.pem"
printf '%s\n' "$SECRET" >"$IL_TMP/turn.secret"
printf '%s\n' "$COMP_SECRET" >"$IL_TMP/comp.secret"

# Each start_* sets SRV_PID, SRV_PORT, SRV_DIR and LG_EXTRA (loadgen options).
start_prosody() { # [ws]: mod_websocket on an HTTP port, the loadgen there
    local variant=${1:-} ws_conf="" ws_mod=""
    SRV_DIR=$(mktemp -d "$IL_TMP/prosody.XXXX")
    SRV_PORT=$(il_free_port)
    if [ "$variant" = ws ]; then
        WS_PORT=$(il_free_port)
        ws_mod=', "websocket"'
        ws_conf="http_ports = { $WS_PORT }
http_interfaces = { \"127.0.0.1\" }
https_ports = {}"
    fi
    mkdir -p "$SRV_DIR/data/$DOMAIN/accounts" "$SRV_DIR/certs"
    for ((i = 0; i < NUSERS; i++)); do
        printf 'return {\n\t["password"] = "bench";\n};\n' \
            >"$SRV_DIR/data/$DOMAIN/accounts/bench$i.dat"
    done
    cat >"$SRV_DIR/prosody.cfg.lua" <<EOF
-- bench/run_servers.sh: plaintext PLAIN allowed for this benchmark only
run_as_root = true
pidfile = "$SRV_DIR/prosody.pid"
data_path = "$SRV_DIR/data"
certificates = "$SRV_DIR/certs"
log = { error = "$SRV_DIR/prosody.log" }
modules_enabled = { "saslauth", "tls", "disco", "ping", "external_services"$ws_mod }
$ws_conf
modules_disabled = { "s2s" }
c2s_ports = { $SRV_PORT }
c2s_interfaces = { "127.0.0.1" }
s2s_ports = {}
authentication = "internal_plain"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
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
    il_start "$SRV_DIR/out.log" prosody --config "$SRV_DIR/prosody.cfg.lua" -F
    SRV_PID=$IL_LAST_PID
    SERVER_PIDS+=("$SRV_PID")
    il_wait_port tcp "$SRV_PORT" 20 "$SRV_PID"
    LG_EXTRA=(--mech PLAIN)
    if [ "$variant" = ws ]; then
        il_wait_port tcp "$WS_PORT" 20 "$SRV_PID" || return 1
        SRV_PORT=$WS_PORT
        LG_EXTRA+=(--ws "$WS_PATH")
    fi
    pin_server
}
start_prosody_ws() { start_prosody ws; }

# start_ejabberd [deleg]: with mod_stun_disco answering XEP-0215 itself, or
# (deleg) with a XEP-0114 listener on $COMP_PORT and mod_delegation /
# mod_privilege handing urn:xmpp:extdisco:2 and :1 to the component
# extdisco.$DOMAIN (examples/ejabberd/ejabberd.yml; no mod_stun_disco,
# which would answer the same namespace).
start_ejabberd() {
    local variant=${1:-}
    SRV_DIR=$(mktemp -d "$IL_TMP/ejabberd.XXXX")
    SRV_PORT=$(il_free_port)
    local node="bench$$x$RANDOM@localhost"
    mkdir -p "$SRV_DIR/spool" "$SRV_DIR/logs"
    cat "$IL_TMP/key.pem" "$IL_TMP/cert.pem" >"$SRV_DIR/tls.pem"
    echo 'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"' >"$SRV_DIR/ejabberdctl.cfg"
    local comp_listen="" comp_acl="" comp_access="" xep0215
    if [ "$variant" = ws ]; then
        WS_PORT=$(il_free_port)
        comp_listen="  - port: $WS_PORT
    ip: \"127.0.0.1\"
    module: ejabberd_http
    request_handlers:
      $WS_PATH: ejabberd_http_ws"
    fi
    if [ "$variant" = deleg ]; then
        comp_listen="  - port: $COMP_PORT
    ip: \"127.0.0.1\"
    module: ejabberd_service
    check_from: false
    hosts:
      extdisco.$DOMAIN:
        password: \"$COMP_SECRET\""
        comp_acl="  extdisco:
    server: extdisco.$DOMAIN"
        comp_access="  extdisco:
    allow: extdisco"
        xep0215="  mod_delegation:
    namespaces:
      urn:xmpp:extdisco:2:
        access: extdisco
      urn:xmpp:extdisco:1:
        access: extdisco
  mod_privilege:
    presence:
      managed_entity: extdisco"
    else
        xep0215="  mod_stun_disco:
    secret: \"$SECRET\"
    credentials_lifetime: 12h
    offer_local_services: false
    services:
      - {type: stun, transport: udp, host: $TURN_HOST, port: $TURN_PORT, restricted: false}
      - {type: turn, transport: udp, host: $TURN_HOST, port: $TURN_PORT, restricted: true}
      - {type: turn, transport: tcp, host: $TURN_HOST, port: $TURN_PORT, restricted: true}"
    fi
    cat >"$SRV_DIR/ejabberd.yml" <<EOF
# bench/run_servers.sh: plaintext PLAIN allowed for this benchmark only
hosts: [$DOMAIN]
loglevel: warning
certfiles: ["$SRV_DIR/tls.pem"]
listen:
  - port: $SRV_PORT
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: true
    starttls_required: false
    max_stanza_size: 262144
$comp_listen
auth_method: internal
auth_password_format: plain
acl:
  local:
    user_regexp: ""
$comp_acl
access_rules:
  local:
    allow: local
  c2s:
    allow: all
$comp_access
shaper_rules:
  max_user_sessions: 100000
modules:
  mod_disco: {}
  mod_ping: {}
  mod_sic: {}
$xep0215
EOF
    chown -R ejabberd: "$SRV_DIR"
    chmod 755 "$SRV_DIR"
    EJ=(ejabberdctl --config "$SRV_DIR/ejabberd.yml" --ctl-config "$SRV_DIR/ejabberdctl.cfg"
        --spool "$SRV_DIR/spool" --logs "$SRV_DIR/logs" --node "$node")
    # As the ejabberd user directly (setpriv, not ejabberdctl's su): su goes
    # through PAM, which resets the open-files limit to 1024.
    il_start "$SRV_DIR/out.log" setpriv --reuid ejabberd --regid ejabberd --init-groups \
        env HOME=~ejabberd "${EJ[@]}" foreground
    SRV_PID=$IL_LAST_PID
    SERVER_PIDS+=("$SRV_PID")
    il_wait_port tcp "$SRV_PORT" 60 "$SRV_PID" || return 1
    if [ "$variant" = deleg ]; then il_wait_port tcp "$COMP_PORT" 30 "$SRV_PID" || return 1; fi
    if [ "$variant" = ws ]; then il_wait_port tcp "$WS_PORT" 30 "$SRV_PID" || return 1; fi
    # Accounts through one hidden Erlang node (ejabberdctl register costs ~2 s each).
    local cookie
    cookie=$(cat ~ejabberd/.erlang.cookie)
    timeout 60 erl -sname "benchreg$$x$RANDOM" -hidden -noshell -setcookie "$cookie" -eval "
        N = '$node',
        R = [rpc:call(N, ejabberd_auth, try_register,
                      [list_to_binary(\"bench\" ++ integer_to_list(I)), <<\"$DOMAIN\">>,
                       <<\"bench\">>]) || I <- lists:seq(0, $NUSERS - 1)],
        case lists:usort(R) of [ok] -> halt(0); E -> io:format(\"~p~n\", [E]), halt(1) end." \
        >"$SRV_DIR/register.log" 2>&1 ||
        { il_log "ejabberd account registration failed: $(cat "$SRV_DIR/register.log")"; return 1; }
    pin_server
    LG_EXTRA=(--mech PLAIN)
    if [ "$variant" = ws ]; then
        SRV_PORT=$WS_PORT
        LG_EXTRA+=(--ws "$WS_PATH")
    fi
}
start_ejabberd_ws() { start_ejabberd ws; }

EXTDISCOD=
for p in "$build/daemon/extdiscod" "$here/build/daemon/extdiscod"; do
    if [ -x "$p" ] && [ -x "$(dirname "$p")/extdiscoctl" ]; then EXTDISCOD=$p; break; fi
done

extdiscod_services() {
    cat <<EOF
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
  max_connections: 20000
  max_unauthenticated_per_address: 100000  # one load generator, one address
# TURN_HOST is a name nothing serves: no health probe (nor its DNS query)
# may leave the machine.  The cost of the checks: bench/health_cpu.sh.
check: {enabled: false}
EOF
}

start_extdiscod() { # [ws]: a `kind: websocket` listener too, the loadgen there
    local variant=${1:-}
    SRV_DIR=$(mktemp -d "$IL_TMP/extdiscod.XXXX")
    SRV_PORT=$(il_free_port)
    [ "$variant" = ws ] && WS_PORT=$(il_free_port)
    { extdiscod_services; cat <<EOF
c2s:
  domain: $DOMAIN
  database: $SRV_DIR/accounts.sqlite
  tls: {cert: $IL_TMP/cert.pem, key: $IL_TMP/key.pem}
  require_tls: false
  listen:
    - {address: "127.0.0.1:$SRV_PORT", tls: starttls}
EOF
    if [ "$variant" = ws ]; then
        printf '    - {address: "127.0.0.1:%s", tls: none, kind: websocket, path: %s}\n' \
            "$WS_PORT" "$WS_PATH"
    fi
    # BENCH_HTTP=1: the HTTP listener on, so every request is counted and
    # timed for /metrics (the metrics A/B)
    if [ "${BENCH_HTTP:-0}" = 1 ]; then
        printf 'http:\n  listen: ["127.0.0.1:%s"]\n' "$(il_free_port)"
    fi
    } >"$SRV_DIR/extdiscod.yml"
    local ctl i
    ctl=$(dirname "$EXTDISCOD")/extdiscoctl
    for ((i = 0; i < NUSERS; i++)); do
        "$ctl" -c "$SRV_DIR/extdiscod.yml" adduser "bench$i@$DOMAIN" <<<"bench" \
            >>"$SRV_DIR/ctl.log" 2>&1 ||
            { il_log "extdiscoctl adduser failed: $(tail -3 "$SRV_DIR/ctl.log")"; return 1; }
    done
    il_start "$SRV_DIR/out.log" "$EXTDISCOD" -c "$SRV_DIR/extdiscod.yml"
    SRV_PID=$IL_LAST_PID
    SERVER_PIDS+=("$SRV_PID")
    il_wait_port tcp "$SRV_PORT" 20 "$SRV_PID" ||
        { il_log "extdiscod did not start: $(tail -5 "$SRV_DIR/out.log")"; return 1; }
    pin_server
    LG_EXTRA=(--mech SCRAM-SHA-256)
    if [ "$variant" = ws ]; then
        il_wait_port tcp "$WS_PORT" 20 "$SRV_PID" || return 1
        SRV_PORT=$WS_PORT
        LG_EXTRA+=(--ws "$WS_PATH")
    fi
}
start_extdiscod_ws() { start_extdiscod ws; }

# ejabberd with delegation to extdiscod, its component: ejabberd first, then
# extdiscod connects; ready once ejabberd has told it which namespaces it
# delegates (the log line the interop test waits for too).
start_ejabberd_deleg() {
    COMP_PORT=$(il_free_port)
    start_ejabberd deleg || return 1
    local dir i
    dir=$(mktemp -d "$IL_TMP/deleg.XXXX")
    { extdiscod_services | sed 's/^log: {level: warn/log: {level: info/'; cat <<EOF
components:
  - server: 127.0.0.1:$COMP_PORT
    jid: extdisco.$DOMAIN
    secret_file: $IL_TMP/comp.secret
EOF
    } >"$dir/extdiscod.yml"
    il_start "$dir/out.log" "$EXTDISCOD" -c "$dir/extdiscod.yml"
    ED_COMP_PID=$IL_LAST_PID
    SERVER_PIDS+=("$ED_COMP_PID")
    SRV_EXTRA=("$ED_COMP_PID")
    for ((i = 0; i < 300; i++)); do
        grep -q 'delegates urn:xmpp:extdisco:2 to us' "$dir/out.log" && break
        kill -0 "$ED_COMP_PID" 2>/dev/null || break
        sleep 0.1
    done
    grep -q 'delegates urn:xmpp:extdisco:2 to us' "$dir/out.log" ||
        { il_log "ejabberd-deleg: no delegation: $(tail -3 "$dir/out.log" | tr '\n' ' ')"; return 1; }
    if [ "${#SRV_TASKSET[@]}" -gt 0 ]; then
        taskset -a -c -p 0 "$ED_COMP_PID" >/dev/null 2>&1 || true
    fi
    LG_EXTRA=(--mech PLAIN --pid "$ED_COMP_PID")
}

# CPU time (µs, all threads) of one process so far.
proc_cpu_us() { il_cpu_us "$1"; }

# --- running the load generator ---------------------------------------------
record() { # server kind rps p50 p99 cpu ok note
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}

field() { # KEY < RESULT line
    sed -n "s/.* $1=\([^ ]*\).*/\1/p"
}

run_kind() { # server kind [extra loadgen args]
    local srv=$1 kind=$2 out line note=""
    shift 2
    out=$IL_TMP/$srv-$kind.out
    if [ "$WARM" = 1 ]; then
        "${LG_TASKSET[@]}" "$loadgen" -p "$SRV_PORT" -d "$DOMAIN" -U "$NUSERS" -c 10 -r 200 \
            -f "$INFLIGHT" -k "$kind" "${LG_EXTRA[@]}" "$@" >/dev/null 2>&1 || true
    fi
    local ed0=0 ed1=0 lg i
    "${LG_TASKSET[@]}" "$loadgen" -p "$SRV_PORT" -d "$DOMAIN" -U "$NUSERS" -c "$CONNS" \
        -r "$REQS" -f "$INFLIGHT" -k "$kind" --turn-host "$TURN_HOST" --turn-port "$TURN_PORT" \
        --pid "$SRV_PID" --timeout "$TIMEOUT" "${LG_EXTRA[@]}" "$@" >"$out" 2>"$out.err" &
    lg=$!
    if [ "$srv" = ejabberd-deleg ]; then
        # extdiscod's own share: its CPU from the end of the logins (the
        # loadgen says so) to the end of the run, per request.
        for ((i = 0; i < TIMEOUT * 100; i++)); do
            grep -q 'connections logged in' "$out.err" 2>/dev/null && break
            kill -0 "$lg" 2>/dev/null || break
            sleep 0.01
        done
        ed0=$(proc_cpu_us "$ED_COMP_PID")
    fi
    wait "$lg" || true
    line=$(grep '^RESULT' "$out" || true)
    grep -q 'wrapped in <services/>' "$out.err" && note="reply wrapped in <services/>"
    if [ "$srv" = ejabberd-deleg ]; then
        ed1=$(proc_cpu_us "$ED_COMP_PID")
        note="ejabberd+extdiscod; extdiscod alone $(awk -v d=$((ed1 - ed0)) \
            -v n=$((CONNS * REQS)) 'BEGIN { printf "%.2f", d / n }') us/req"
    fi
    if [ -n "$line" ] && [ "$(field ok <<<"$line")" = 1 ]; then
        record "$srv" "$kind" "$(field rps <<<"$line")" "$(field p50_us <<<"$line")" \
            "$(field p99_us <<<"$line")" "$(field cpu_us_per_req <<<"$line")" ok "$note"
    else
        FAILED=1
        il_log "$srv $kind FAILED: $(grep -E 'FAILED|first bad|connection' "$out.err" | head -3 | tr '\n' ' ')"
        record "$srv" "$kind" - - - - FAIL "$(grep -m1 -E 'FAILED' "$out.err" | cut -c1-60)"
    fi
    sed 's/^/    /' "$out.err" >&2
}

bench_c2s() { # server
    local srv=$1 kind
    if ! "start_${srv//-/_}"; then
        FAILED=1
        for kind in $KINDS; do record "$srv" "$kind" - - - - FAIL "server did not start"; done
        [ -n "${SRV_PID:-}" ] && stop_server
        return 0
    fi
    il_log "$srv up on 127.0.0.1:$SRV_PORT (pid $SRV_PID)"
    for kind in $KINDS; do
        if [ "${srv%-ws}" = prosody ] && [ "$kind" = sic ]; then
            record "$srv" sic n/a n/a n/a n/a n/a "Prosody 0.12 has no XEP-0279"
            continue
        fi
        if [ "$srv" = ejabberd-deleg ] && [ "$kind" != services ] && [ "$kind" != credentials ]; then
            record "$srv" "$kind" n/a n/a n/a n/a n/a "not delegated (ejabberd answers)"
            continue
        fi
        run_kind "$srv" "$kind"
    done
    stop_server
}

# extdiscod as a component: we are its host server.  The loadgen listens; the
# daemon connects; its PID reaches the loadgen through a file.
bench_component() {
    local kind out line srv=extdiscod-comp lport dir
    for kind in $KINDS; do
        case $kind in services | credentials) ;; *)
            record "$srv" "$kind" n/a n/a n/a n/a n/a "not a component's job"; continue ;;
        esac
        dir=$(mktemp -d "$IL_TMP/comp.XXXX")
        lport=$(il_free_port)
        { extdiscod_services; cat <<EOF
components:
  - server: 127.0.0.1:$lport
    jid: extdisco.$DOMAIN
    secret_file: $IL_TMP/comp.secret
EOF
        } >"$dir/extdiscod.yml"
        out=$IL_TMP/$srv-$kind.out
        "${LG_TASKSET[@]}" "$loadgen" --component -p "$lport" -d "$DOMAIN" \
            --comp-jid "extdisco.$DOMAIN" --secret "$COMP_SECRET" -U "$NUSERS" -c "$CONNS" \
            -r "$REQS" -f "$INFLIGHT" -k "$kind" --turn-host "$TURN_HOST" \
            --turn-port "$TURN_PORT" --pid "@$dir/pid" --timeout 120 >"$out" 2>"$out.err" &
        local lg_pid=$!
        il_wait_port tcp "$lport" 10 "$lg_pid" || true
        il_start "$dir/out.log" "$EXTDISCOD" -c "$dir/extdiscod.yml"
        SRV_PID=$IL_LAST_PID
        echo "$SRV_PID" >"$dir/pid"
        SERVER_PIDS+=("$SRV_PID")
        pin_server
        wait "$lg_pid" || true
        stop_server
        line=$(grep '^RESULT' "$out" || true)
        if [ -n "$line" ] && [ "$(field ok <<<"$line")" = 1 ]; then
            record "$srv" "$kind" "$(field rps <<<"$line")" "$(field p50_us <<<"$line")" \
                "$(field p99_us <<<"$line")" "$(field cpu_us_per_req <<<"$line")" ok \
                "XEP-0114 link, $CONNS users"
        else
            FAILED=1
            il_log "$srv $kind FAILED: $(tail -3 "$out.err" | tr '\n' ' ') $(tail -3 "$dir/out.log" | tr '\n' ' ')"
            record "$srv" "$kind" - - - - FAIL "see log"
        fi
        sed 's/^/    /' "$out.err" >&2
    done
}

IDLE_RESULTS=$IL_TMP/idle.tsv
: >"$IDLE_RESULTS"
bench_idle() { # server
    local srv=$1 tls out line base=$((IDLE_CONNS / 10))
    for tls in 0 1; do
        local -a t=()
        [ "$tls" = 1 ] && t=(--tls)
        if ! "start_$srv"; then
            FAILED=1
            printf '%s\t%s\t-\t-\tFAIL\n' "$srv" "$tls" >>"$IDLE_RESULTS"
            [ -n "${SRV_PID:-}" ] && stop_server
            continue
        fi
        out=$IL_TMP/$srv-idle-$tls.out
        "${LG_TASKSET[@]}" "$loadgen" -p "$SRV_PORT" -d "$DOMAIN" -U "$NUSERS" \
            -c "$IDLE_CONNS" --idle --idle-base "$base" --settle-ms "$SETTLE" \
            --pid "$SRV_PID" --timeout 300 "${t[@]}" "${LG_EXTRA[@]}" >"$out" 2>"$out.err" || true
        line=$(grep '^RESULT' "$out" || true)
        if [ -n "$line" ] && [ "$(field ok <<<"$line")" = 1 ]; then
            printf '%s\t%s\t%s\t%s\tok\n' "$srv" "$tls" "$(field per_conn_bytes <<<"$line")" \
                "$(field rss1_kb <<<"$line")" >>"$IDLE_RESULTS"
        else
            FAILED=1
            il_log "$srv idle tls=$tls FAILED: $(tail -2 "$out.err" | tr '\n' ' ')"
            printf '%s\t%s\t-\t-\tFAIL\n' "$srv" "$tls" >>"$IDLE_RESULTS"
        fi
        sed 's/^/    /' "$out.err" >&2
        stop_server
    done
}

# --- the run -----------------------------------------------------------------
echo "side-by-side: $CONNS connections x $REQS requests, $INFLIGHT in flight, kinds: $KINDS"
echo "  $PIN_NOTE; $(nproc) CPUs; loopback; plaintext c2s (PLAIN; SCRAM-SHA-256 for extdiscod)"
ran=()
for srv in $SERVERS; do
    case $srv in
    extdiscod | extdiscod-comp | ejabberd-deleg | extdiscod-ws)
        if [ -z "$EXTDISCOD" ]; then
            il_log "$srv: no extdiscod binary in $build/daemon or build/daemon: n/a"
            for kind in $KINDS; do record "$srv" "$kind" n/a n/a n/a n/a n/a "not built"; done
            continue
        fi ;;
    prosody | ejabberd | prosody-ws | ejabberd-ws) ;;
    *) echo "run_servers.sh: unknown server $srv" >&2; exit 2 ;;
    esac
    if [ "$srv" = extdiscod-comp ]; then
        bench_component
    else
        bench_c2s "$srv"
        # idle memory: each server once (over TCP; ejabberd's own)
        case $srv in ejabberd-deleg | *-ws) ;; *) ran+=("$srv") ;; esac
    fi
done
if [ "${BENCH_IDLE:-1}" = 1 ]; then
    for srv in "${ran[@]}"; do bench_idle "$srv"; done
fi

# --- the tables --------------------------------------------------------------
echo
echo "== requests: $CONNS conns x $REQS req, $INFLIGHT in flight ($PIN_NOTE)"
awk -F'\t' '
    { srv[NR] = $1; kind[NR] = $2; rps[NR] = $3; p50[NR] = $4; p99[NR] = $5; cpu[NR] = $6
      st[NR] = $7; note[NR] = $8
      if ($1 == "ejabberd" && $7 == "ok") { ejr[$2] = $3; ejc[$2] = $6 } }
    END {
      printf "%-15s %-12s %10s %9s %9s %11s %9s %9s  %s\n", "server", "kind", "req/s",
             "p50 ms", "p99 ms", "CPU us/req", "x ej req", "x ej CPU", "note"
      for (i = 1; i <= NR; i++) {
        if (st[i] != "ok") {
          printf "%-15s %-12s %10s %9s %9s %11s %9s %9s  %s\n", srv[i], kind[i], st[i], "-",
                 "-", "-", "-", "-", note[i]
          continue
        }
        r = (kind[i] in ejr) && ejr[kind[i]] > 0 ? sprintf("%.2f", rps[i] / ejr[kind[i]]) : "-"
        c = (kind[i] in ejc) && cpu[i] > 0 ? sprintf("%.2f", ejc[kind[i]] / cpu[i]) : "-"
        printf "%-15s %-12s %10d %9.2f %9.2f %11.2f %9s %9s  %s\n", srv[i], kind[i], rps[i],
               p50[i] / 1000, p99[i] / 1000, cpu[i], r, c, note[i]
      }
    }' "$RESULTS"
echo "(x ej req: req/s relative to ejabberd; x ej CPU: ejabberd's CPU us/req divided by this"
echo " server's, i.e. how many times less CPU per request.  CPU: the server's process tree,"
echo " threads' schedstat during the request phase only; logins excluded.)"
if [ -s "$IDLE_RESULTS" ]; then
    echo
    echo "== idle memory: RSS growth per authenticated idle connection," \
         "$((IDLE_CONNS / 10)) -> $IDLE_CONNS connections (fresh server each)"
    awk -F'\t' '
        { k = $1; if (!(k in seen)) { order[++n] = k; seen[k] = 1 }
          v[k, $2] = ($5 == "ok") ? sprintf("%.1f KiB", $3 / 1024) : "FAIL"
          r[k, $2] = ($5 == "ok") ? sprintf("%.1f MiB", $4 / 1024) : "-" }
        END {
          printf "%-15s %14s %14s %16s %16s\n", "server", "plaintext", "STARTTLS",
                 "RSS (plain)", "RSS (TLS)"
          for (i = 1; i <= n; i++)
            printf "%-15s %14s %14s %16s %16s\n", order[i], v[order[i], 0], v[order[i], 1],
                   r[order[i], 0], r[order[i], 1]
        }' "$IDLE_RESULTS"
fi
if [ -n "${BENCH_OUT:-}" ]; then
    cp "$RESULTS" "$BENCH_OUT"
    [ -s "$IDLE_RESULTS" ] && sed 's/^/idle\t/' "$IDLE_RESULTS" >>"$BENCH_OUT"
fi
[ "$FAILED" = 0 ] || { echo "run_servers.sh: some runs FAILED (see the log above)" >&2; exit 1; }
