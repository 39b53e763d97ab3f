#!/usr/bin/env bash
# tests/interop/component_prosody.sh — extdiscod as an XEP-0114 component of
# Prosody 0.12 with prosody-modules' mod_delegation (XEP-0355,
# urn:xmpp:delegation:2) and mod_privilege (XEP-0356, urn:xmpp:privilege:2).
# Runs examples/prosody/prosody.cfg.lua with ports/paths substituted; the
# scenario is tests/interop/component_common.sh.
#
#   tests/interop/component_prosody.sh BUILD_DIR
# Exit 0 when every check passes, 1 on any failure, 77 when Prosody or
# prosody-modules is missing.
set -euo pipefail
CX_NAME=component_prosody
# shellcheck source=tests/interop/component_common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/component_common.sh"

PROSODY=${PROSODY:-/usr/bin/prosody}
PROSODYCTL=${PROSODYCTL:-/usr/bin/prosodyctl}
MODDIR=/usr/lib/prosody/modules
if [ ! -x "$PROSODY" ] || [ ! -f "$MODDIR/mod_delegation/mod_delegation.lua" ] ||
   [ ! -f "$MODDIR/mod_privilege/mod_privilege.lua" ]; then
    echo "SKIP: prosody or prosody-modules (mod_delegation, mod_privilege) not installed"
    exit 77
fi

# Test-only settings: root in a temp dir, plaintext on loopback (the client
# logs in with SCRAM without TLS), a second host for the "foreign domain"
# user.  Inserted before the first VirtualHost.
cx_server_configure() {
    peer_prosody_example_config "$T/prosody" "$C2S_PORT" "$COMP_PORT" "$COMP_SECRET" \
        'run_as_root = true
prosody_user = "root"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
certificates = "certs-none"
Component "plain.example.org"
	component_secret = "'"$COMP_SECRET"'"
VirtualHost "foreign.test"
' || { echo "FAIL: config substitution"; exit 1; }
}

cx_server_start() {
    local rc=0
    peer_prosody_start "$T/prosody/prosody.cfg.lua" "$T/prosody/stdout.log" "$C2S_PORT" "$COMP_PORT" || rc=$?
    SERVER_PID=$PEER_PROSODY_PID
    return "$rc"
}

cx_server_stop() { il_stop "$SERVER_PID" 10; }

cx_register() {
    peer_prosody_register "$T/prosody/prosody.cfg.lua" "$1" "$2" "$3" "$T/prosodyctl.log"
}

# A component Prosody accepts but never delegates to (no mod_delegation on
# it, no delegations naming it: the operator's usual mistake): extdiscod
# warns once, after ED_LINK_DELEGATION_WARN_SECS (10 s), saying what to
# check (component_common.sh: the delegated link never gets it).
cx_no_delegation() {
    local cfg="$T/plain.yml" i
    sed -e 's#jid: extdisco.example.org#jid: plain.example.org#' "$T/extdiscod.yml" >"$cfg"
    grep -q 'jid: plain.example.org' "$cfg" || il_fail "$CX_NAME: plain component: config substitution"
    il_start "$cfg.log" "$EXTDISCOD" -c "$cfg"
    local pid=$IL_LAST_PID
    for ((i = 0; i < 150; i++)); do
        grep -q 'has not delegated' "$cfg.log" 2>/dev/null && break
        sleep 0.1
    done
    il_stop "$pid"
    if grep -q 'component plain.example.org: connected to' "$cfg.log" &&
       [ "$(grep -c 'has not delegated' "$cfg.log")" = 1 ] &&
       grep 'has not delegated' "$cfg.log" | grep -q 'modules_enabled'; then
        il_pass "$CX_NAME: a link the server never delegates to: one warning saying what to check"
    else
        il_fail "$CX_NAME: no 'has not delegated' warning for plain.example.org: $(tail -n 5 "$cfg.log")"
    fi
}

# The server-side cases need no real server: run them once, here.
cx_extra() { cx_garbage_from_server; cx_fake_host_link; cx_no_delegation; }

cx_main "$@"
