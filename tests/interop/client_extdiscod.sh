#!/usr/bin/env bash
# tests/interop/client_extdiscod.sh — the `extdisco` client against extdiscod
# itself, in both modes, on loopback, with a real coturn (use-auth-secret,
# the same secret as extdiscod's TURN REST secret; plain and TLS listeners on
# 127.0.0.1, a second plain listener on 127.0.0.2).
#
#   tests/interop/client_extdiscod.sh BUILD_DIR
#
# 1. Standalone (extdiscod is the XMPP server of sa.test; the account is made
#    with extdiscoctl): info shows extdisco:2, :1, sic:1, sic:0; services
#    (table, --json validated with jq, --type turn, --v1, direct TLS),
#    credentials, ip (sic:1: 127.0.0.1 and the client's own source port, as
#    extdiscod logged it), --ice-servers, --uris; check exit 0 with STUN and
#    TURN udp/tcp/tls allocations; watch prints the pushes of a config change
#    + SIGHUP (a TURN service signed with a wrong secret, a STUN port where
#    nothing listens); check then exits 1 naming exactly those two failures.
# 2. Component (Prosody 0.12 + mod_delegation/mod_privilege, extdiscod as
#    the XEP-0114 component extdisco.example.org; the Prosody and extdiscod
#    configurations are examples/prosody/prosody.cfg.lua and
#    examples/extdiscod-component.yml with ports/paths substituted, as
#    tests/interop/component_prosody.sh does, plus TLS for the client):
#    services to the user's own domain come from extdiscod; check exit 0.
# 3. Scripted (tests/interop/client_scripted.sh): a scripted XMPP server
#    (client_fake_xmpp.py) for what no real peer does: TURN entries without
#    inline credentials, an extdisco:1-only server, stanza errors, empty and
#    payload-less results, failing refreshes, spoofed answers, a cut
#    connection, pushes that need credentials or modify loosely.
# Every process is started here and stopped by PID (lib.sh).
# Exit 0 all pass, 1 any failure, 77 skip (a peer missing).
# CE_ONLY=standalone|component|scripted runs one part (debugging).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"

BUILD_DIR=${1:-${BUILD:-$SRC/build}}
EXTDISCO=${EXTDISCO:-$BUILD_DIR/client/extdisco}
PROSODY=${PROSODY:-/usr/bin/prosody}
PROSODYCTL=${PROSODYCTL:-/usr/bin/prosodyctl}
TURNSERVER=${TURNSERVER:-/usr/bin/turnserver}
if [ ! -x "$EXTDISCO" ]; then
    echo "FAIL: $EXTDISCO not built"
    exit 1
fi
peer_extdiscod_find "$BUILD_DIR" || exit 1
for t in "$TURNSERVER" jq openssl python3; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

il_init client_extdiscod
T=$IL_TMP
chmod 755 "$T"
SECRET="turn-$RANDOM$RANDOM$RANDOM"
WRONG="wrong-$RANDOM$RANDOM$RANDOM"
printf '%s\n' "$SECRET" >"$T/turn.secret"
printf '%s\n' "$WRONG" >"$T/wrong.secret"
printf '%s\n' "alice-pw-$RANDOM$RANDOM" >"$T/alice.pw"

# One certificate for every name the client verifies: both XMPP domains and
# 127.0.0.1 (the turns check connects to coturn's TLS port by address).
peer_cert_make --key-mode 644 "$T" sa.test DNS:sa.test DNS:example.org DNS:localhost IP:127.0.0.1

# ---------------------------------------------------------------- coturn
if ! peer_coturn_start --realm extdiscod.test --relays 60 --also-listen 127.0.0.2 \
        --tls "$T/cert.pem" "$T/key.pem" "$SECRET"; then
    echo "FAIL: coturn did not start"
    exit 1
fi
TURN_PORT=$PEER_TURN_PORT
TLS_PORT=$PEER_TURN_TLS_PORT
TURN_PID=$PEER_TURN_PID
DEAD_PORT=$(peer_turn_free_port)
echo "coturn pid $TURN_PID on 127.0.0.1:$TURN_PORT + 127.0.0.2:$TURN_PORT (tls $TLS_PORT); nothing on $DEAD_PORT"

# ---------------------------------------------------------------- helpers
# ed OUT JID SERVER [ARGS...]: run extdisco (bounded), stdout to OUT.out,
# stderr to OUT.err, exit status in RC.
ed() {
    local out=$1 jid=$2 server=$3
    shift 3
    RC=0
    timeout 120 "$EXTDISCO" --jid "$jid" --server "$server" --ca-file "$T/cert.pem" \
        --password-file "$T/alice.pw" "$@" >"$T/$out.out" 2>"$T/$out.err" || RC=$?
}

show() { sed 's/^/    /' "$@" 2>/dev/null | cut -c1-400 | head -n 30 || true; }

# expect NAME WANT_RC JQ-EXPR FILE: exit status and a jq predicate
expect() {
    local name=$1 want=$2 expr=$3 file=$4
    if [ "$RC" -ne "$want" ]; then
        il_fail "$name: exit $RC, want $want"
        show "$file" "${file%.out}.err"
    elif [ -z "$expr" ] || jq -e "$expr" "$file" >/dev/null 2>&1; then
        il_pass "$name"
    else
        il_fail "$name: jq '$expr' is false"
        show "$file" "${file%.out}.err"
    fi
}

# expect_grep NAME WANT_RC REGEX FILE
expect_grep() {
    local name=$1 want=$2 re=$3 file=$4
    if [ "$RC" -eq "$want" ] && grep -Eq -- "$re" "$file"; then
        il_pass "$name"
    else
        il_fail "$name: exit $RC (want $want), /$re/ in $(basename "$file")?"
        show "$file" "${file%.out}.err"
    fi
}

# expect_same NAME WANT_RC EXPECTED-TEXT FILE: exact output
expect_same() {
    local name=$1 want=$2 text=$3 file=$4
    if [ "$RC" -eq "$want" ] && [ "$(cat "$file")" = "$text" ]; then
        il_pass "$name"
    else
        il_fail "$name: exit $RC (want $want)"
        echo "    want:"; printf '%s\n' "$text" | sed 's/^/      /'
        echo "    got:"; show "$file" "${file%.out}.err"
    fi
}

# The JSON schema of a service object (docs/extdisco.1), as a jq predicate
# (the same one tests/interop/client_peers.sh uses).
# shellcheck disable=SC2034  # used by the sourced parts
SVC_SCHEMA='(keys == (["expires","expires_unix","host","name","password","port","restricted","transport","type","uri","username"]))
  and (.type | type == "string") and (.host | type == "string")
  and (.port == null or (.port | type == "number"))
  and (.transport == null or (.transport | type == "string"))
  and (.restricted == null or (.restricted | type == "boolean"))
  and (.expires == null or ((.expires | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))
        and (.expires_unix | type == "number") and ((.expires_unix | todate) == .expires)))'

# A TURN REST credential minted by extdiscod for a ttl of $1 seconds:
# username EXPIRY:TOKEN, expires == EXPIRY, about now + ttl.
cred_expr() {
    local ttl=$1 now
    now=$(date +%s)
    printf '%s' "(.username | test(\"^[0-9]+:[a-z2-7]{26}\$\")) and (.password | length) > 20 and
        ((.username | split(\":\")[0] | tonumber) as \$e | \$e == .expires_unix and
         \$e >= $now + $ttl - 120 and \$e <= $now + $ttl + 120) and .restricted == true"
}

# shellcheck source=tests/interop/client_extdiscod_standalone.sh
. "$HERE/client_extdiscod_standalone.sh"
# shellcheck source=tests/interop/client_extdiscod_component.sh
. "$HERE/client_extdiscod_component.sh"
# shellcheck source=tests/interop/client_scripted.sh
. "$HERE/client_scripted.sh"

# ---------------------------------------------------------------- main
if [ "${CE_ONLY:-standalone}" = standalone ]; then
    if sa_start; then
        echo "extdiscod (standalone) pid $SA_PID: STARTTLS $SA_PORT, direct TLS $SA_DIRECT"
        sa_tests
    else
        il_fail "extdiscod standalone did not start"
        tail -n 30 "$T/sa/extdiscod.log" 2>/dev/null | cut -c1-300
    fi
fi

if [ "${CE_ONLY:-component}" = component ]; then
    if [ ! -x "$PROSODY" ] || [ ! -f /usr/lib/prosody/modules/mod_delegation/mod_delegation.lua ] ||
       [ ! -f /usr/lib/prosody/modules/mod_privilege/mod_privilege.lua ]; then
        il_fail "prosody or prosody-modules (mod_delegation, mod_privilege) not installed"
    elif cp_start; then
        echo "prosody pid $CP_PROSODY_PID on 127.0.0.1:$CP_C2S, extdiscod (component) pid $CP_ED_PID"
        cp_tests
    else
        il_fail "prosody + extdiscod component did not start"
        tail -n 20 "$T/cp/prosody/stdout.log" "$T/cp/extdiscod.log" 2>/dev/null | cut -c1-300
    fi
fi

if [ "${CE_ONLY:-scripted}" = scripted ]; then
    if sc_start; then
        echo "scripted XMPP server pid $SC_PID on 127.0.0.1:$SC_PORT"
        sc_tests
    else
        il_fail "scripted XMPP server (client_fake_xmpp.py) did not start"
        tail -n 20 "$T/sc/server.log" 2>/dev/null | cut -c1-300
    fi
fi

for f in standalone_check standalone_check_bad component_check; do
    if [ -f "$T/$f.txt" ]; then
        echo "---- $f"
        cat "$T/$f.txt"
    fi
done
il_summary
