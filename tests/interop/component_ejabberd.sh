#!/usr/bin/env bash
# tests/interop/component_ejabberd.sh — extdiscod as an XEP-0114 component of
# ejabberd 23.01 with its built-in mod_delegation (XEP-0355 v0.3,
# urn:xmpp:delegation:1) and mod_privilege (XEP-0356, urn:xmpp:privilege:1).
# Runs examples/ejabberd/ejabberd.yml with ports/hosts substituted; the
# scenario is tests/interop/component_common.sh.
#
# ejabberd runs as a plain `erl` node of its own (node name and cookie made
# up per run, Erlang distribution on a loopback port without epmd), spool
# and logs in the temp dir: no systemd, no clash with an installed ejabberd.
#
#   tests/interop/component_ejabberd.sh BUILD_DIR
# Exit 0 when every check passes, 1 on any failure, 77 when ejabberd is
# missing.
set -euo pipefail
CX_NAME=component_ejabberd
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/component_common.sh"

ERL=${ERL:-/usr/bin/erl}
EJ_LIBS=$(ls -d /usr/lib/x86_64-linux-gnu/ejabberd-* /usr/lib/*/ejabberd-* 2>/dev/null | head -n1 || true)
if [ ! -x "$ERL" ] || [ -z "$EJ_LIBS" ] || [ ! -f "$EJ_LIBS/ebin/mod_delegation.beam" ]; then
    echo "SKIP: ejabberd not installed"
    exit 77
fi
EJ_LIBS=$(dirname "$EJ_LIBS")

cx_server_configure() {
    mkdir -p "$T/ejabberd/spool" "$T/ejabberd/logs"
    EJ_NODE="edh7$RANDOM$RANDOM@localhost"
    EJ_COOKIE="cookie$RANDOM$RANDOM$RANDOM"
    EJ_DIST=$(il_free_port)
    while [ "$EJ_DIST" = "$C2S_PORT" ] || [ "$EJ_DIST" = "$COMP_PORT" ]; do EJ_DIST=$(il_free_port); done
    # c2s shaper "none" in the test: the 70 kB request must not crawl.
    sed -e "s/^\(\s*- port: \)5222\(\s\)/\1$C2S_PORT\2/" \
        -e "s/^\(\s*- port: \)5347\(\s\)/\1$COMP_PORT\2/" \
        -e 's/ip: "::"/ip: "127.0.0.1"/' \
        -e 's/starttls_required: true/starttls_required: false/' \
        -e "s/password: \".*\"/password: \"$COMP_SECRET\"/" \
        -e 's/^  - example.org .*/  - example.org\n  - foreign.test/' \
        -e 's/^    normal: all/    none: all/' \
        "$SRC/examples/ejabberd/ejabberd.yml" >"$T/ejabberd/ejabberd.yml"
    grep -q "port: $COMP_PORT" "$T/ejabberd/ejabberd.yml" || { echo "FAIL: config substitution"; exit 1; }
}

# env + erl: every step execs (env -> erl -> erlexec -> beam.smp), so the
# PID il_start records is the node's own and il_stop stops the node.
ej_env() {
    EJ_ENV=(env HOME="$T/ejabberd" ERL_LIBS="$EJ_LIBS" ERL_DIST_PORT="$EJ_DIST"
            EJABBERD_CONFIG_PATH="$T/ejabberd/ejabberd.yml"
            EJABBERD_LOG_PATH="$T/ejabberd/logs/ejabberd.log"
            ERL_CRASH_DUMP="$T/ejabberd/logs/erl_crash.dump")
}

cx_server_start() {
    ej_env
    il_start "$T/ejabberd/stdout.log" "${EJ_ENV[@]}" "$ERL" -sname "$EJ_NODE" -setcookie "$EJ_COOKIE" \
        -noinput -erl_epmd_port "$EJ_DIST" -start_epmd false \
        -kernel inet_dist_use_interface '{127,0,0,1}' \
        -mnesia dir "\"$T/ejabberd/spool\"" -s ejabberd
    SERVER_PID=$IL_LAST_PID
    # the ports of a previous run of this node must be gone first
    il_wait_port tcp "$C2S_PORT" 60 "$SERVER_PID" && il_wait_port tcp "$COMP_PORT" 30 "$SERVER_PID"
}

cx_server_stop() { il_stop "$SERVER_PID" 20; }

# Accounts through the Erlang distribution (what ejabberdctl does), with
# this run's node name and cookie.
cx_register() {
    local r
    ej_env
    r=$("${EJ_ENV[@]}" timeout 60 "$ERL" -sname "ctl$RANDOM$RANDOM@localhost" -setcookie "$EJ_COOKIE" \
        -noinput -dist_listen false -erl_epmd_port "$EJ_DIST" -start_epmd false -eval "
        R = rpc:call('$EJ_NODE', ejabberd_auth, try_register, [<<\"$1\">>, <<\"$2\">>, <<\"$3\">>]),
        io:format(\"~p~n\", [R]), halt()." 2>&1)
    [ "$r" = ok ] || { echo "FAIL: register $1@$2: $r"; exit 1; }
}

cx_main "$@"
