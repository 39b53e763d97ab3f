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
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/component_common.sh"

PROSODY=${PROSODY:-/usr/bin/prosody}
PROSODYCTL=${PROSODYCTL:-/usr/bin/prosodyctl}
MODDIR=/usr/lib/prosody/modules
if [ ! -x "$PROSODY" ] || [ ! -f "$MODDIR/mod_delegation/mod_delegation.lua" ] ||
   [ ! -f "$MODDIR/mod_privilege/mod_privilege.lua" ]; then
    echo "SKIP: prosody or prosody-modules (mod_delegation, mod_privilege) not installed"
    exit 77
fi

cx_server_configure() {
    mkdir -p "$T/prosody/data"
    local cfg="$T/prosody/prosody.cfg.lua"
    sed -e "s#^c2s_ports = .*#c2s_ports = { $C2S_PORT }#" \
        -e "s#^component_ports = .*#component_ports = { $COMP_PORT }#" \
        -e "s#^data_path = .*#data_path = \"$T/prosody/data\"#" \
        -e "s#^pidfile = .*#pidfile = \"$T/prosody/prosody.pid\"#" \
        -e "s#^log = .*#log = { debug = \"$T/prosody/prosody.log\" }#" \
        -e "s#^\(\s*component_secret = \).*#\1\"$COMP_SECRET\"#" \
        "$SRC/examples/prosody/prosody.cfg.lua" >"$cfg.tmp"
    # Test-only settings: root in a temp dir, plaintext on loopback (the
    # client logs in with SCRAM without TLS), a second host for the
    # "foreign domain" user.  Inserted before the first VirtualHost.
    "$PY" - "$cfg.tmp" "$cfg" <<'PYEOF'
import sys
s = open(sys.argv[1]).read()
extra = ('run_as_root = true\nprosody_user = "root"\nc2s_require_encryption = false\n'
         'allow_unencrypted_plain_auth = true\ncertificates = "certs-none"\n'
         'VirtualHost "foreign.test"\n\n')
i = s.index('VirtualHost "example.org"')
open(sys.argv[2], "w").write(s[:i] + extra + s[i:])
PYEOF
    grep -q "component_ports = { $COMP_PORT }" "$cfg" || { echo "FAIL: config substitution"; exit 1; }
}

cx_server_start() {
    il_start "$T/prosody/stdout.log" "$PROSODY" --config "$T/prosody/prosody.cfg.lua" -F
    SERVER_PID=$IL_LAST_PID
    il_wait_port tcp "$C2S_PORT" 20 "$SERVER_PID" && il_wait_port tcp "$COMP_PORT" 20 "$SERVER_PID"
}

cx_server_stop() { il_stop "$SERVER_PID" 10; }

cx_register() {
    timeout 30 "$PROSODYCTL" --config "$T/prosody/prosody.cfg.lua" register "$1" "$2" "$3" \
        >>"$T/prosodyctl.log" 2>&1
}

# The server-side bad-input case needs no real server: run it once, here.
cx_extra() { cx_garbage_from_server; }

cx_main "$@"
