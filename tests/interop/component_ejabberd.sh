#!/usr/bin/env bash
# tests/interop/component_ejabberd.sh — extdiscod as an XEP-0114 component of
# ejabberd 23.01 with its built-in mod_delegation (XEP-0355 v0.3,
# urn:xmpp:delegation:1) and mod_privilege (XEP-0356, urn:xmpp:privilege:1).
# Runs examples/ejabberd/ejabberd.yml with ports/hosts substituted; the
# scenario is tests/interop/component_common.sh.
#
# ejabberd runs as a plain `erl` node of its own (node name and cookie made
# up per run, Erlang distribution on a loopback port without epmd), spool
# and logs in the temp dir: no systemd, no clash with an installed ejabberd
# (tests/interop/peers.sh).
#
#   tests/interop/component_ejabberd.sh BUILD_DIR
# Exit 0 when every check passes, 1 on any failure, 77 when ejabberd is
# missing.
set -euo pipefail
CX_NAME=component_ejabberd
# shellcheck source=tests/interop/component_common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/component_common.sh"

if ! peer_ejabberd_find mod_delegation; then
    echo "SKIP: ejabberd not installed"
    exit 77
fi

cx_server_configure() {
    peer_ejabberd_init "$T/ejabberd" "$C2S_PORT" "$COMP_PORT"
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

cx_server_start() {
    local rc=0
    peer_ejabberd_start "$T/ejabberd/stdout.log" "$C2S_PORT" "$COMP_PORT" || rc=$?
    SERVER_PID=$PEER_EJ_PID
    return "$rc"
}

cx_server_stop() { il_stop "$SERVER_PID" 20; }

cx_register() {
    peer_ejabberd_register "$1" "$2" "$3" || { echo "FAIL: the account could not be made"; exit 1; }
}

cx_main "$@"
