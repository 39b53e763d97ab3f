# shellcheck shell=bash disable=SC2034
# tests/interop/cluster_lib.sh — a two-node ejabberd 23.01 cluster on
# loopback for tests/interop/cluster_ejabberd.sh and bench/cluster.sh.
# Source after lib.sh and peers.sh, call il_init first.
#
#   cl_epmd_start            our own epmd on a free 127.0.0.1 port
#                            (ERL_EPMD_ADDRESS=127.0.0.1, foreground, started
#                            with il_start so it is stopped by PID); a system
#                            epmd on 4369, if any, is neither used nor touched
#   cl_node_init N SECRET    node N (1, 2): its own directory $IL_TMP/ejN
#                            (spool, logs, ejabberd.yml, ejabberdctl.cfg),
#                            node name, c2s and component ports
#                            (CL_C2S[N], CL_COMP[N]); examples/ejabberd/
#                            ejabberd.yml with the @test lines substituted
#                            (the same file on both nodes but for the ports)
#   cl_node_start N          start it (a plain `erl -sname`, registered with
#                            our epmd, distribution on 127.0.0.1 only), PID
#                            in CL_PID[N]; wait until its ports listen
#   cl_node_stop N           stop it by PID (init:stop, then KILL)
#   cl_ctl N ARGS...         ejabberdctl ARGS on node N (Debian's
#                            /usr/sbin/ejabberdctl with --ctl-config, which as
#                            root runs the ctl node as the ejabberd user;
#                            the same erl call when run as another user)
#   cl_join 2 1              node 2 joins node 1's cluster (ejabberdctl
#                            join_cluster) and both list both
#
# Every node: the same random cookie, ERL_EPMD_PORT=our epmd,
# -kernel inet_dist_use_interface {127,0,0,1}: Erlang distribution never
# listens beyond loopback.

CL_EPMD_PORT='' CL_EPMD_PID='' CL_COOKIE=''
declare -a CL_NODE=() CL_PID=() CL_C2S=() CL_COMP=() CL_DIR=()

cl_epmd_start() {
    CL_EPMD_PORT=$(il_free_port) || return 1
    CL_COOKIE="cookie$RANDOM$RANDOM$RANDOM"
    il_start "$IL_TMP/epmd.log" env ERL_EPMD_ADDRESS=127.0.0.1 "${EPMD:-/usr/bin/epmd}" \
        -port "$CL_EPMD_PORT"
    CL_EPMD_PID=$IL_LAST_PID
    il_wait_port tcp "$CL_EPMD_PORT" 10 "$CL_EPMD_PID"
}

cl_node_init() {
    local n=$1 secret=$2 dir="$IL_TMP/ej$1"
    mkdir -p "$dir/spool" "$dir/logs"
    : >"$dir/inetrc"
    CL_DIR[n]=$dir
    CL_NODE[n]="ej$n-$RANDOM$RANDOM@localhost"
    read -r "CL_C2S[n]" "CL_COMP[n]" <<<"$(il_free_ports 2)"
    sed -e "s/^\(\s*- port: \)5222\(\s\)/\1${CL_C2S[n]}\2/" \
        -e "s/^\(\s*- port: \)5347\(\s\)/\1${CL_COMP[n]}\2/" \
        -e 's/ip: "::"/ip: "127.0.0.1"/' \
        -e 's/starttls_required: true/starttls_required: false/' \
        -e "s/password: \".*\"/password: \"$secret\"/" \
        -e 's/^    normal: all/    none: all/' \
        "$PEER_SRC/examples/ejabberd/ejabberd.yml" >"$dir/ejabberd.yml"
    grep -q "port: ${CL_COMP[n]}" "$dir/ejabberd.yml" || { echo "FAIL: config substitution"; return 1; }
    {
        echo "ERLANG_NODE=${CL_NODE[n]}"
        echo "ERL_OPTIONS=\"-setcookie $CL_COOKIE\""
        echo "INET_DIST_INTERFACE=127.0.0.1"
        echo "ERL_EPMD_ADDRESS=127.0.0.1"
    } >"$dir/ejabberdctl.cfg"
}

cl_env() { # N -> CL_ENV
    CL_ENV=(env HOME="${CL_DIR[$1]}" ERL_LIBS="$PEER_EJ_LIBS" ERL_EPMD_PORT="$CL_EPMD_PORT"
            ERL_EPMD_ADDRESS=127.0.0.1 EJABBERD_CONFIG_PATH="${CL_DIR[$1]}/ejabberd.yml"
            EJABBERD_LOG_PATH="${CL_DIR[$1]}/logs/ejabberd.log"
            ERL_CRASH_DUMP="${CL_DIR[$1]}/logs/erl_crash.dump")
}

# env + erl exec all the way to beam.smp: CL_PID[N] is the node itself.
cl_node_start() {
    local n=$1 port
    cl_env "$n"
    il_start "${CL_DIR[n]}/stdout.log" "${CL_ENV[@]}" "${ERL:-/usr/bin/erl}" -sname "${CL_NODE[n]}" \
        -setcookie "$CL_COOKIE" -noinput -kernel inet_dist_use_interface '{127,0,0,1}' \
        -mnesia dir "\"${CL_DIR[n]}/spool\"" -mnesia core_dir "\"${CL_DIR[n]}/logs\"" -s ejabberd
    CL_PID[n]=$IL_LAST_PID
    for port in "${CL_C2S[n]}" "${CL_COMP[n]}"; do
        il_wait_port tcp "$port" 60 "${CL_PID[n]}" || return 1
    done
}

cl_node_stop() { il_stop "${CL_PID[$1]}" 20; }

cl_ctl() {
    local n=$1
    shift
    if [ "$(id -u)" = 0 ] || [ "$(id -un)" = ejabberd ]; then
        ERL_EPMD_PORT=$CL_EPMD_PORT timeout 90 "${EJABBERDCTL:-/usr/sbin/ejabberdctl}" \
            --ctl-config "${CL_DIR[n]}/ejabberdctl.cfg" --config-dir "${CL_DIR[n]}" \
            --spool "${CL_DIR[n]}/spool" --logs "${CL_DIR[n]}/logs" "$@" 2>"${CL_DIR[n]}/ctl.err"
    else
        # what ejabberdctl runs, without its su to the ejabberd user
        cl_env "$n"
        timeout 90 "${CL_ENV[@]}" "${ERL:-/usr/bin/erl}" -sname "ctl$RANDOM$RANDOM@localhost" \
            -setcookie "$CL_COOKIE" -hidden -noinput -kernel inet_dist_use_interface '{127,0,0,1}' \
            -s ejabberd_ctl -extra "${CL_NODE[n]}" "$@" 2>"${CL_DIR[n]}/ctl.err"
    fi
}

cl_join() { # JOINER OTHER
    local out
    cl_ctl "$1" join_cluster "${CL_NODE[$2]}" >"${CL_DIR[$1]}/join.out" || {
        cat "${CL_DIR[$1]}/join.out" "${CL_DIR[$1]}/ctl.err" >&2
        return 1
    }
    out=$(cl_ctl "$2" list_cluster) || return 1
    [[ $out == *"${CL_NODE[1]}"* && $out == *"${CL_NODE[2]}"* ]] || {
        echo "list_cluster on ${CL_NODE[$2]}: $out" >&2
        return 1
    }
}

# cl_listeners PID...: the listening TCP sockets of these processes, one a
# line: "loopback HEXADDR:PORT" (127/8, ::1) or "NETWORK HEXADDR:PORT"
# (as in /proc/net/tcp*).
cl_listeners() {
    local pid fd inodes=" "
    for pid in "$@"; do
        for fd in /proc/"$pid"/fd/*; do
            case $(readlink "$fd" 2>/dev/null) in
            socket:\[*\]) inodes+="$(readlink "$fd" | tr -dc 0-9) " ;;
            esac
        done
    done
    awk -v inodes="$inodes" '
        FNR > 1 && $4 == "0A" && index(inodes, " " $10 " ") {
            split($2, a, ":")
            v4lo = length(a[1]) == 8 && substr(a[1], 7, 2) == "7F"
            v6lo = a[1] == "00000000000000000000000001000000" ||
                   (substr(a[1], 1, 24) == "0000000000000000FFFF0000" && substr(a[1], 31, 2) == "7F")
            print ((v4lo || v6lo) ? "loopback " : "NETWORK ") $2
        }' /proc/net/tcp /proc/net/tcp6
}
