# shellcheck shell=bash disable=SC2034
# tests/interop/c2s_common.sh — set up and start an extdiscod standalone
# server for the c2s interop scripts.  Source after lib.sh (it sources
# peers.sh); call after il_init.
#
#   c2s_setup BUILD_DIR [EXTRA_YAML_FOR_C2S_LISTEN]
#
# Sets EXTDISCOD, EXTDISCOCTL, CFG, P_STARTTLS, P_DIRECT, P_PROXY (STARTTLS
# with PROXY protocol), P_PROXY_DIRECT, P_PLAIN (no TLS, require_tls false
# is NOT set: plain listener exists only to test refusals), TURN_PORT,
# TURN_SECRET; writes the certificate, secret and config into $IL_TMP and
# creates alice/alice and bob/bob.  C2S_EXTRA_LISTEN: more `listen:` entries
# (YAML lines indented by 4) for c2s_write_config; C2S_EXTRA_TOP: more
# top-level keys (YAML lines at column 0).  c2s_start starts the daemon (PID in
# $D_PID, log in $IL_TMP/extdiscod.log).

# shellcheck source=tests/interop/peers.sh
. "$(dirname "${BASH_SOURCE[0]}")/peers.sh"

c2s_setup() {
    peer_extdiscod_find "$1" || exit 1
    local base
    base=$(il_free_port_range 6)
    P_STARTTLS=$base
    P_DIRECT=$((base + 1))
    P_PROXY=$((base + 2))
    P_PROXY_DIRECT=$((base + 3))
    P_PLAIN=$((base + 4))
    TURN_PORT=$((base + 5))
    T=$IL_TMP
    peer_cert_make "$T" localhost
    TURN_SECRET="c2s-$RANDOM$RANDOM-secret"
    printf '%s\n' "$TURN_SECRET" >"$T/turn.secret"
    CFG=$T/extdiscod.yml
    c2s_write_config ""
    "$EXTDISCOCTL" -c "$CFG" adduser alice@localhost <<<"alice" >/dev/null
    printf 'bob\n' >"$T/bob.pass"
    "$EXTDISCOCTL" -c "$CFG" adduser bob@localhost --password-file "$T/bob.pass" >/dev/null
}

# c2s_write_config EXTRA_SERVICE_YAML_LINES
c2s_write_config() {
    cat >"$CFG.new" <<EOF
log: {level: ${C2S_LOG_LEVEL:-info}, syslog: false}
domains: [localhost]
turn_secrets:
  - {name: dev, secret_files: [turn.secret], ttl: 1h}
services:
  - {type: stun, host: 127.0.0.1, port: $TURN_PORT, transport: udp, allow_local: true}
  - {type: turn, host: 127.0.0.1, port: $TURN_PORT, transport: udp, credentials: dev, allow_local: true}
  - {type: turn, host: 127.0.0.1, port: $TURN_PORT, transport: tcp, credentials: dev, allow_local: true}
$1
$(peer_extdiscod_c2s_yaml localhost cert.pem key.pem "127.0.0.1:$P_STARTTLS=starttls" \
    "127.0.0.1:$P_DIRECT=direct" "127.0.0.1:$P_PROXY=starttls,proxy" \
    "127.0.0.1:$P_PROXY_DIRECT=direct,proxy" "127.0.0.1:$P_PLAIN=none")
${C2S_EXTRA_LISTEN:-}
limits:
  handshake_timeout: ${C2S_HANDSHAKE_TIMEOUT:-10s}
  idle_timeout: 10m
  max_stanza_bytes: 16384
${C2S_EXTRA_TOP:-}
EOF
    mv "$CFG.new" "$CFG"
}

c2s_start() {
    if ! peer_extdiscod_start "$CFG" "$IL_TMP/extdiscod.log" "$P_PLAIN"; then
        echo "FAIL: extdiscod did not start"
        cat "$IL_TMP/extdiscod.log" >&2
        exit 1
    fi
    D_PID=$PEER_ED_PID
}
