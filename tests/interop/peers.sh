# shellcheck shell=bash disable=SC2034
# tests/interop/peers.sh — starting the real peers of the interop scripts:
# coturn, a test certificate, extdiscod, Prosody and ejabberd, all on
# loopback, all in a temp dir, all started with il_start (so stopped by PID
# on exit).  Source after lib.sh; the start functions need il_init first.
# Written for tests/interop/*.sh and scripts/run.sh; bench/run_servers.sh
# can use the same functions (it sources lib.sh already).
#
#   peer_cert_make [--days N] [--rsa] [--key-mode MODE] DIR CN [SAN...]
#       self-signed DIR/cert.pem + DIR/key.pem for CN (EC P-256, or RSA
#       2048 with --rsa), valid N days (2); SAN entries like DNS:x or
#       IP:127.0.0.1 (default DNS:CN); chmod MODE on the key when given.
#
#   peer_coturn_start [options] SECRET...
#       coturn with use-auth-secret (one static-auth-secret per SECRET, the
#       first is the current one), relays on 127.0.0.1, no CLI/DTLS/RFC 5780,
#       verbose log in $PEER_TURN_LOG (one line per event, flushed).
#       Options: --realm R (extdisco.test), --port P (a free one),
#       --relays N (50 relay ports), --tls CERT KEY (a TLS listener on a
#       free port, else no-tls), --also-listen IP (besides 127.0.0.1),
#       --relay-ip IP (the relay address, 127.0.0.1),
#       --stun-compat (keep coturn's STUN backward compatibility),
#       --no-auth (no-auth instead of use-auth-secret: an open relay; the
#       SECRET arguments are then ignored), --conf LINE (one more config
#       line, e.g. external-ip=...; repeatable), --allow-private-peers
#       (leave out the default denied-peer-ip lines for 10.0.0.0/8,
#       172.16.0.0/12, 192.168.0.0/16 and 169.254.0.0/16),
#       --dir D (config and log; $IL_TMP).  Waits until udp+tcp PORT (and
#       the TLS port) listen.  Sets PEER_TURN_PID, PEER_TURN_PORT,
#       PEER_TURN_TLS_PORT, PEER_TURN_RELAY_MIN, PEER_TURN_RELAY_MAX,
#       PEER_TURN_LOG.  Returns 1 (with the log's tail on stderr) when it
#       does not start.
#   peer_turn_free_port [NOT]
#       a free port outside coturn's relay range (and not NOT), for ports
#       that must stay unused or that a helper server binds later
#
#   peer_extdiscod_find BUILD_DIR        EXTDISCOD, EXTDISCOCTL (kept when
#                                        set); prints FAIL and returns 1 if
#                                        one is not built
#   peer_extdiscod_check CONFIG LOG      extdiscod -n; LOG shown on failure
#   peer_extdiscod_start CONFIG LOG [PORT...]
#                                        start it, PID in PEER_ED_PID; wait
#                                        (10 s) until each TCP PORT listens
#   peer_extdiscod_delegated LOG SECS [COUNT]
#                                        wait until the host server told it
#                                        (COUNT times, 1) that it delegates
#                                        urn:xmpp:extdisco:2
#   peer_extdiscod_c2s_yaml [--database PATH] [--no-require-tls]
#                           DOMAIN CERT KEY LISTEN...
#                                        the c2s: section on stdout
#                                        (database accounts.sqlite,
#                                        require_tls true unless told);
#                                        LISTEN is ADDR:PORT=TLS[,proxy],
#                                        TLS one of starttls, direct, none
#   peer_extdiscod_component_config OUT TURN_PORT COMP_PORT TURN_SECRET_FILE
#                                   COMP_SECRET_FILE [STUN_NAME]
#                                        examples/extdiscod-component.yml with
#                                        the @test lines substituted (TURN on
#                                        127.0.0.1, allow_local, debug log),
#                                        written to OUT atomically
#
#   peer_prosody_example_config DIR C2S_PORT COMP_PORT COMP_SECRET EXTRA
#                                        DIR/prosody.cfg.lua from
#                                        examples/prosody/prosody.cfg.lua,
#                                        ports, paths (DIR/data, pid, log
#                                        DIR/prosody.log) and secret
#                                        substituted, EXTRA (Lua lines)
#                                        inserted before VirtualHost
#                                        "example.org"
#   peer_prosody_start CONFIG LOG PORT...
#                                        prosody -F, PID in PEER_PROSODY_PID;
#                                        wait (20 s) until each TCP PORT listens
#   peer_prosody_register CONFIG USER HOST PASS LOG
#
#   peer_ejabberd_find [MODULE...]       PEER_EJ_LIBS (for ERL_LIBS); returns
#                                        1 without erl, ejabberd or a MODULE
#   peer_ejabberd_init DIR [AVOID_PORT...]
#                                        DIR/spool, DIR/logs; a made-up node
#                                        name and cookie, the Erlang
#                                        distribution port (no epmd):
#                                        PEER_EJ_DIR, PEER_EJ_NODE,
#                                        PEER_EJ_COOKIE, PEER_EJ_DIST.  The
#                                        config is DIR/ejabberd.yml.
#   peer_ejabberd_start LOG PORT...      the node (a plain `erl`, no systemd),
#                                        PID in PEER_EJ_PID; again after a
#                                        stop restarts the same node; wait
#                                        (60 s) until each TCP PORT listens
#   peer_ejabberd_register USER HOST PASS
#                                        through the Erlang distribution (what
#                                        ejabberdctl does); prints the error
#                                        and returns 1 unless it is "ok"

PEER_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEER_TURN_PID='' PEER_TURN_PORT='' PEER_TURN_TLS_PORT='' PEER_TURN_LOG=''
PEER_TURN_RELAY_MIN='' PEER_TURN_RELAY_MAX=''
PEER_ED_PID='' PEER_PROSODY_PID='' PEER_EJ_PID='' PEER_EJ_LIBS='' PEER_EJ_DIR=''
PEER_EJ_NODE='' PEER_EJ_COOKIE='' PEER_EJ_DIST=''
PEER_EJ_ENV=()

# ------------------------------------------------------------ certificate
peer_cert_make() {
    local days=2 mode='' out
    local -a keyalg=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
    while [ $# -gt 0 ]; do
        case $1 in
        --days) days=$2; shift 2 ;;
        --rsa) keyalg=(-newkey rsa:2048); shift ;;
        --key-mode) mode=$2; shift 2 ;;
        *) break ;;
        esac
    done
    local dir=$1 cn=$2 san
    shift 2
    [ $# -gt 0 ] || set -- "DNS:$cn"
    san=$(IFS=,; printf '%s' "$*")
    if ! out=$(openssl req -x509 "${keyalg[@]}" -nodes -days "$days" -subj "/CN=$cn" \
            -addext "subjectAltName=$san" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>&1); then
        il_log "openssl req failed: $out"
        return 1
    fi
    if [ -n "$mode" ]; then chmod "$mode" "$dir/key.pem"; fi
}

# ------------------------------------------------------------ coturn
# A free port outside the relay range (PEER_TURN_RELAY_MIN..MAX), not $1.
peer_turn_free_port() {
    local p n
    for ((n = 0; n < 50; n++)); do
        p=$(il_free_port) || return 1
        if [ "$p" != "${1:-}" ] &&
           { [ "$p" -lt "$PEER_TURN_RELAY_MIN" ] || [ "$p" -gt "$PEER_TURN_RELAY_MAX" ]; }; then
            printf '%s\n' "$p"
            return 0
        fi
    done
    return 1
}

peer_coturn_start() {
    local dir=${IL_TMP:-} realm=extdisco.test port='' relays=50 cert='' key='' stun_compat=0
    local relay_ip=127.0.0.1
    local ip s i pp noauth=0 privpeers=0
    local -a ips=(127.0.0.1) conf=()
    while [ $# -gt 0 ]; do
        case $1 in
        --dir) dir=$2; shift 2 ;;
        --realm) realm=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --relays) relays=$2; shift 2 ;;
        --tls) cert=$2; key=$3; shift 3 ;;
        --also-listen) ips+=("$2"); shift 2 ;;
        --relay-ip) relay_ip=$2; shift 2 ;;
        --stun-compat) stun_compat=1; shift ;;
        --no-auth) noauth=1; shift ;;
        --allow-private-peers) privpeers=1; shift ;;
        --conf) conf+=("$2"); shift 2 ;;
        -*) il_log "peer_coturn_start: unknown option $1"; return 2 ;;
        *) break ;;
        esac
    done
    if [ $# -eq 0 ] || [ -z "$dir" ]; then
        il_log "peer_coturn_start: no secret or no directory (il_init first)"
        return 2
    fi
    # The relay range first, then listening ports outside it (none of them
    # is bound yet, so the free-port search cannot tell them apart).
    PEER_TURN_RELAY_MIN=$(il_free_port_range "$relays") || return 1
    if [ -n "$port" ]; then
        for ((i = 0; i < 20; i++)); do
            if [ "$port" -lt "$PEER_TURN_RELAY_MIN" ] || [ "$port" -ge $((PEER_TURN_RELAY_MIN + relays)) ]; then
                break
            fi
            PEER_TURN_RELAY_MIN=$(il_free_port_range "$relays") || return 1
        done
    fi
    PEER_TURN_RELAY_MAX=$((PEER_TURN_RELAY_MIN + relays - 1))
    [ -n "$port" ] || port=$(peer_turn_free_port) || return 1
    PEER_TURN_PORT=$port
    PEER_TURN_TLS_PORT=
    if [ -n "$cert" ]; then PEER_TURN_TLS_PORT=$(peer_turn_free_port "$port") || return 1; fi
    PEER_TURN_LOG=$dir/turnserver.log
    {
        for ip in "${ips[@]}"; do echo "listening-ip=$ip"; done
        echo "relay-ip=$relay_ip"
        echo "listening-port=$PEER_TURN_PORT"
        echo "min-port=$PEER_TURN_RELAY_MIN"
        echo "max-port=$PEER_TURN_RELAY_MAX"
        if [ "$noauth" = 1 ]; then
            echo "no-auth"
        else
            echo "use-auth-secret"
            for s in "$@"; do echo "static-auth-secret=$s"; done
        fi
        echo "realm=$realm"
        if [ -n "$cert" ]; then
            echo "tls-listening-port=$PEER_TURN_TLS_PORT"
            echo "cert=$cert"
            echo "pkey=$key"
        else
            echo "no-tls"
        fi
        echo "no-dtls"
        echo "no-cli"
        echo "no-rfc5780"
        [ "$stun_compat" = 1 ] || echo "no-stun-backward-compatibility"
        echo "allow-loopback-peers"
        if [ "$privpeers" = 0 ]; then
            echo "denied-peer-ip=10.0.0.0-10.255.255.255"
            echo "denied-peer-ip=172.16.0.0-172.31.255.255"
            echo "denied-peer-ip=192.168.0.0-192.168.255.255"
            echo "denied-peer-ip=169.254.0.0-169.254.255.255"
        fi
        echo "userdb=$dir/turndb"
        echo "pidfile=$dir/turnserver.pid"
        echo "log-file=$PEER_TURN_LOG"
        echo "no-stdout-log"
        echo "simple-log"
        echo "verbose"
        for s in ${conf[@]+"${conf[@]}"}; do echo "$s"; done
    } >"$dir/turnserver.conf"
    il_start "$dir/turnserver.out" "${TURNSERVER:-/usr/bin/turnserver}" -c "$dir/turnserver.conf"
    PEER_TURN_PID=$IL_LAST_PID
    for pp in "udp $PEER_TURN_PORT" "tcp $PEER_TURN_PORT" ${cert:+"tcp $PEER_TURN_TLS_PORT"}; do
        # shellcheck disable=SC2086  # "proto port"
        if ! il_wait_port $pp 10 "$PEER_TURN_PID"; then
            il_log "coturn (pid $PEER_TURN_PID) did not listen on $pp"
            tail -n 30 "$dir/turnserver.out" "$PEER_TURN_LOG" >&2 2>/dev/null || true
            return 1
        fi
    done
}

# ------------------------------------------------------------ extdiscod
peer_extdiscod_find() {
    local build=$1 p
    EXTDISCOD=${EXTDISCOD:-$build/daemon/extdiscod}
    EXTDISCOCTL=${EXTDISCOCTL:-$build/daemon/extdiscoctl}
    for p in "$EXTDISCOD" "$EXTDISCOCTL"; do
        if [ ! -x "$p" ]; then
            echo "FAIL: $p not built"
            return 1
        fi
    done
}

peer_extdiscod_check() {
    "$EXTDISCOD" -n -c "$1" >"$2" 2>&1 || { cat "$2" >&2; return 1; }
}

peer_extdiscod_start() {
    local cfg=$1 log=$2 port
    shift 2
    il_start "$log" "$EXTDISCOD" -c "$cfg"
    PEER_ED_PID=$IL_LAST_PID
    for port in "$@"; do
        il_wait_port tcp "$port" 10 "$PEER_ED_PID" || return 1
    done
}

peer_extdiscod_delegations() { grep -c "delegates urn:xmpp:extdisco:2 to us" "$1" 2>/dev/null || true; }
peer_extdiscod_delegated_n() { [ "$(peer_extdiscod_delegations "$1")" -ge "$2" ]; }
peer_extdiscod_delegated() {
    il_wait_for "$2" peer_extdiscod_delegated_n "$1" "${3:-1}"
}

peer_extdiscod_c2s_yaml() {
    local db=accounts.sqlite require=true l addr tls
    while [ $# -gt 0 ]; do
        case $1 in
        --database) db=$2; shift 2 ;;
        --no-require-tls) require=false; shift ;;
        *) break ;;
        esac
    done
    local domain=$1 cert=$2 key=$3
    shift 3
    printf 'c2s:\n  domain: %s\n  database: %s\n' "$domain" "$db"
    printf '  tls: {cert: %s, key: %s}\n  require_tls: %s\n  listen:\n' "$cert" "$key" "$require"
    for l in "$@"; do
        addr=${l%%=*}
        tls=${l#*=}
        case $tls in
        *,proxy) printf '    - {address: "%s", tls: %s, proxy_protocol: true}\n' "$addr" "${tls%,proxy}" ;;
        *) printf '    - {address: "%s", tls: %s}\n' "$addr" "$tls" ;;
        esac
    done
}

peer_extdiscod_component_config() {
    local out=$1 turn_port=$2 comp_port=$3 turn_secret=$4 comp_secret=$5 stun_name=${6:-STUN}
    sed -e "s#/etc/extdisco/turn.secret#$turn_secret#" \
        -e "s#/etc/extdisco/component.secret#$comp_secret#" \
        -e "s#server: 127.0.0.1:5347 #server: 127.0.0.1:$comp_port #" \
        -e "s#host: turn.example.org #host: 127.0.0.1 #" \
        -e "s#port: 3478 #port: $turn_port #" \
        -e "s#allow_local: false #allow_local: true #" \
        -e "s#name: STUN\$#name: $stun_name#" \
        -e "s#level: info#level: debug#" \
        "$PEER_SRC/examples/extdiscod-component.yml" >"$out.new"
    mv "$out.new" "$out"
}

# ------------------------------------------------------------ Prosody
peer_prosody_example_config() {
    local dir=$1 c2s=$2 comp=$3 secret=$4 extra=$5 cfg="$1/prosody.cfg.lua"
    mkdir -p "$dir/data"
    sed -e "s#^c2s_ports = .*#c2s_ports = { $c2s }#" \
        -e "s#^component_ports = .*#component_ports = { $comp }#" \
        -e "s#^data_path = .*#data_path = \"$dir/data\"#" \
        -e "s#^pidfile = .*#pidfile = \"$dir/prosody.pid\"#" \
        -e "s#^log = .*#log = { debug = \"$dir/prosody.log\" }#" \
        -e "s#^\(\s*component_secret = \).*#\1\"$secret\"#" \
        "$PEER_SRC/examples/prosody/prosody.cfg.lua" >"$cfg.tmp"
    PEER_EXTRA=$extra awk '!done && /^VirtualHost "example.org"/ { print ENVIRON["PEER_EXTRA"]; done = 1 } { print }' \
        "$cfg.tmp" >"$cfg"
    if ! grep -q "^component_ports = { $comp }" "$cfg" || ! grep -q "component_secret = \"$secret\"" "$cfg"; then
        echo "prosody config substitution failed"
        return 1
    fi
}

peer_prosody_start() {
    local cfg=$1 log=$2 port
    shift 2
    il_start "$log" "${PROSODY:-/usr/bin/prosody}" --config "$cfg" -F
    PEER_PROSODY_PID=$IL_LAST_PID
    for port in "$@"; do
        il_wait_port tcp "$port" 20 "$PEER_PROSODY_PID" || return 1
    done
}

peer_prosody_register() {
    timeout 30 "${PROSODYCTL:-/usr/bin/prosodyctl}" --config "$1" register "$2" "$3" "$4" >>"$5" 2>&1
}

# ------------------------------------------------------------ ejabberd
peer_ejabberd_find() {
    local libs m
    PEER_EJ_LIBS=
    [ -x "${ERL:-/usr/bin/erl}" ] || return 1
    # shellcheck disable=SC2012  # a glob would not tell "none" apart
    libs=$(ls -d /usr/lib/x86_64-linux-gnu/ejabberd-* /usr/lib/*/ejabberd-* 2>/dev/null | head -n1 || true)
    [ -n "$libs" ] || return 1
    for m in "$@"; do
        [ -f "$libs/ebin/$m.beam" ] || return 1
    done
    PEER_EJ_LIBS=$(dirname "$libs")
}

peer_ejabberd_init() {
    local dir=$1 p
    shift
    mkdir -p "$dir/spool" "$dir/logs"
    PEER_EJ_DIR=$dir
    PEER_EJ_NODE="edh$RANDOM$RANDOM@localhost"
    PEER_EJ_COOKIE="cookie$RANDOM$RANDOM$RANDOM"
    PEER_EJ_DIST=$(il_free_port)
    for ((p = 0; p < 20; p++)); do
        case " $* " in *" $PEER_EJ_DIST "*) PEER_EJ_DIST=$(il_free_port) ;; *) break ;; esac
    done
}

# env + erl: every step execs (env -> erl -> erlexec -> beam.smp), so the
# PID il_start records is the node's own and il_stop stops the node.
peer_ejabberd_env() {
    PEER_EJ_ENV=(env HOME="$PEER_EJ_DIR" ERL_LIBS="$PEER_EJ_LIBS" ERL_DIST_PORT="$PEER_EJ_DIST"
                 EJABBERD_CONFIG_PATH="$PEER_EJ_DIR/ejabberd.yml"
                 EJABBERD_LOG_PATH="$PEER_EJ_DIR/logs/ejabberd.log"
                 ERL_CRASH_DUMP="$PEER_EJ_DIR/logs/erl_crash.dump")
}

peer_ejabberd_start() {
    local log=$1 port
    shift
    peer_ejabberd_env
    # Mnesia's core files (if it ever writes one) go to the logs, not the
    # current directory.
    il_start "$log" "${PEER_EJ_ENV[@]}" "${ERL:-/usr/bin/erl}" -sname "$PEER_EJ_NODE" \
        -setcookie "$PEER_EJ_COOKIE" -noinput -erl_epmd_port "$PEER_EJ_DIST" -start_epmd false \
        -kernel inet_dist_use_interface '{127,0,0,1}' \
        -mnesia dir "\"$PEER_EJ_DIR/spool\"" -mnesia core_dir "\"$PEER_EJ_DIR/logs\"" -s ejabberd
    PEER_EJ_PID=$IL_LAST_PID
    # after a restart, the ports of the previous run must be gone first
    for port in "$@"; do
        il_wait_port tcp "$port" 60 "$PEER_EJ_PID" || return 1
    done
}

peer_ejabberd_register() {
    local r
    peer_ejabberd_env
    r=$("${PEER_EJ_ENV[@]}" timeout 60 "${ERL:-/usr/bin/erl}" -sname "ctl$RANDOM$RANDOM@localhost" \
        -setcookie "$PEER_EJ_COOKIE" -noinput -dist_listen false -erl_epmd_port "$PEER_EJ_DIST" \
        -start_epmd false -eval "
        R = rpc:call('$PEER_EJ_NODE', ejabberd_auth, try_register, [<<\"$1\">>, <<\"$2\">>, <<\"$3\">>]),
        io:format(\"~p~n\", [R]), halt()." 2>&1)
    [ "$r" = ok ] || { echo "register $1@$2: $r"; return 1; }
}
