#!/usr/bin/env bash
# tests/interop/client_peers.sh — the `extdisco` client against real peers on
# loopback: Prosody 0.12 (mod_external_services) and ejabberd 23.01
# (mod_stun_disco + mod_sic), both handing out TURN REST credentials for a
# real coturn (use-auth-secret; plain and TLS listeners).
#
#   tests/interop/client_peers.sh BUILD_DIR
#
# Prosody serves two hosts: good.test (stun/udp, turn/udp, turn/tcp,
# turns/tcp: everything works) and bad.test (a TURN service signed with a
# wrong secret, a STUN port where nothing listens, an expired credential).
# ejabberd serves ej.test with mod_stun_disco and mod_sic.  The client logs
# in over STARTTLS (and direct TLS for Prosody) with the test CA; checks:
# info/services/credentials/ip in table, --json (validated with jq),
# --ice-servers and --uris; `check` exit 0 with every service ok on the good
# peers, exit 1 with the precise failure for each broken service; login
# failure -> exit 2; watch with pushes (valid and malformed) sent through
# Prosody's admin shell.  Every process is started here and stopped by PID.
# Exit 0 all pass, 1 any failure, 77 skip (a peer missing).
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
EJABBERDCTL=${EJABBERDCTL:-/usr/sbin/ejabberdctl}
TURNSERVER=${TURNSERVER:-/usr/bin/turnserver}
if [ ! -x "$EXTDISCO" ]; then
    echo "FAIL: $EXTDISCO not built"
    exit 1
fi
for t in "$TURNSERVER" "$PROSODY" jq openssl; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ -f /usr/lib/prosody/modules/mod_external_services.lua ] ||
    { echo "SKIP: Prosody without mod_external_services"; exit 77; }

il_init client_peers
T=$IL_TMP
chmod 755 "$T"
SECRET="turn-$RANDOM$RANDOM$RANDOM"
WRONG="wrong-$RANDOM$RANDOM"

# One certificate for every name used: the XMPP hosts (verified by
# libstrophe against the domain) and 127.0.0.1 (turns checks).
peer_cert_make --rsa --key-mode 644 "$T" good.test \
    DNS:good.test DNS:bad.test DNS:ej.test DNS:localhost IP:127.0.0.1

# ---------------------------------------------------------------- coturn
if ! peer_coturn_start --realm peers.test --relays 60 --tls "$T/cert.pem" "$T/key.pem" "$SECRET"; then
    echo "FAIL: coturn did not start"
    exit 1
fi
TURN_PORT=$PEER_TURN_PORT
TLS_PORT=$PEER_TURN_TLS_PORT
TURN_PID=$PEER_TURN_PID
DEAD_PORT=$(peer_turn_free_port)
echo "coturn pid $TURN_PID on 127.0.0.1:$TURN_PORT (tls $TLS_PORT); nothing on $DEAD_PORT"

# ---------------------------------------------------------------- helpers
printf '%s\n' "alice-pw-$RANDOM" >"$T/alice.pw"
printf '%s\n' "not-the-password" >"$T/wrong.pw"

# ed OUT JID SERVER [ARGS...]: run extdisco (bounded), stdout to OUT.json,
# stderr to OUT.err, exit status in RC.
ed() {
    local out=$1 jid=$2 server=$3
    shift 3
    RC=0
    timeout 120 "$EXTDISCO" --jid "$jid" --server "$server" --ca-file "$T/cert.pem" \
        --password-file "$T/alice.pw" "$@" >"$T/$out.out" 2>"$T/$out.err" || RC=$?
}

# expect NAME WANT_RC JQ-EXPR FILE: exit status and a jq predicate
expect() {
    local name=$1 want=$2 expr=$3 file=$4
    if [ "$RC" -ne "$want" ]; then
        il_fail "$name: exit $RC, want $want"
        sed 's/^/    /' "$file" "${file%.out}.err" | cut -c1-400 | head -n 30
        return
    fi
    if [ -z "$expr" ] || jq -e "$expr" "$file" >/dev/null 2>&1; then
        il_pass "$name"
    else
        il_fail "$name: jq '$expr' is false"
        sed 's/^/    /' "$file" "${file%.out}.err" | cut -c1-600 | head -n 30
    fi
}

# expect_grep NAME WANT_RC REGEX FILE
expect_grep() {
    local name=$1 want=$2 re=$3 file=$4
    if [ "$RC" -eq "$want" ] && grep -Eq -- "$re" "$file"; then
        il_pass "$name"
    else
        il_fail "$name: exit $RC (want $want), /$re/ in $(basename "$file")?"
        sed 's/^/    /' "$file" "${file%.out}.err" | cut -c1-400 | head -n 30
    fi
}

# The JSON schema of a service object (docs/extdisco.1), as a jq predicate.
SVC_SCHEMA='(keys == (["expires","expires_unix","host","name","password","port","restricted","transport","type","uri","username"]))
  and (.type | type == "string") and (.host | type == "string")
  and (.port == null or (.port | type == "number"))
  and (.transport == null or (.transport | type == "string"))
  and (.restricted == null or (.restricted | type == "boolean"))
  and (.expires == null or ((.expires | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))
        and (.expires_unix | type == "number") and ((.expires_unix | todate) == .expires)))'

# ---------------------------------------------------------------- Prosody
start_prosody() {
    read -r C2S_PORT C2S_TLS_PORT <<<"$(il_free_ports 2)"
    mkdir -p "$T/prosody/data"
    local cfg="$T/prosody/prosody.cfg.lua"
    cat >"$cfg" <<EOF
-- test-only Prosody: root in a temp dir, TLS with the test certificate
run_as_root = true
prosody_user = "root"
admins = { }
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "posix";
                    "admin_shell"; "external_services"; }
modules_disabled = { "s2s" }
interfaces = { "127.0.0.1" }
c2s_ports = { $C2S_PORT }
c2s_direct_tls_ports = { $C2S_TLS_PORT }
c2s_require_encryption = true
data_path = "$T/prosody/data"
pidfile = "$T/prosody/prosody.pid"
admin_socket = "$T/prosody/admin.sock"
log = { debug = "$T/prosody/prosody.log" }
authentication = "internal_hashed"
certificates = "$T/prosody/certs-none"
ssl = { certificate = "$T/cert.pem"; key = "$T/key.pem" }
c2s_direct_tls_ssl = { certificate = "$T/cert.pem"; key = "$T/key.pem" }

VirtualHost "good.test"
  external_service_secret = "$SECRET"
  external_service_host = "127.0.0.1"
  external_service_ttl = 7200
  external_services = {
    { type = "stun", transport = "udp", port = $TURN_PORT };
    { type = "turn", transport = "udp", port = $TURN_PORT, secret = true, ttl = 7200, username = "alice" };
    { type = "turn", transport = "tcp", port = $TURN_PORT, secret = true, ttl = 7200 };
    -- Prosody mints only for type "turn" unless told the algorithm
    { type = "turns", transport = "tcp", port = $TLS_PORT, secret = true, ttl = 7200, algorithm = "turn" };
  }

VirtualHost "bad.test"
  external_service_secret = "$SECRET"
  external_service_host = "127.0.0.1"
  external_services = {
    { type = "stun", transport = "udp", port = $TURN_PORT };
    { type = "turn", transport = "udp", port = $TURN_PORT, secret = "$WRONG" };
    { type = "stun", transport = "udp", port = $DEAD_PORT };
    { type = "turn", transport = "tcp", port = $TURN_PORT, secret = true, ttl = -3600 };
    -- no algorithm: Prosody hands out turns without credentials
    { type = "turns", transport = "tcp", port = $TLS_PORT, secret = true };
  }
EOF
    peer_prosody_start "$cfg" "$T/prosody/stdout.log" "$C2S_PORT" "$C2S_TLS_PORT" || return 1
    PROSODY_PID=$PEER_PROSODY_PID
    local u
    for u in alice@good.test alice@bad.test; do
        peer_prosody_register "$cfg" "${u%@*}" "${u#*@}" "$(cat "$T/alice.pw")" "$T/prosodyctl.log" || return 1
    done
}

prosody_tests() {
    local S="127.0.0.1:$C2S_PORT" now
    now=$(date +%s)

    # info
    ed p_info alice@good.test "$S" info --json
    expect "prosody: info --json: extdisco:2 and :1 advertised, no sic" 0 \
        '.entity == "good.test" and .features == {"extdisco:2":true,"extdisco:1":true,"sic:1":false,"sic:0":false} and (.all_features | index("urn:xmpp:extdisco:2")) != null' \
        "$T/p_info.out"
    ed p_info_t alice@good.test "$S" info
    expect_grep "prosody: info table" 0 'extdisco:2 +yes' "$T/p_info_t.out"

    # services --json: 4 entries, schema, inline TURN REST credentials
    ed p_svc alice@good.test "$S" services --json
    expect "prosody: services --json: 4 services, schema of every entry" 0 \
        "(.entity == \"good.test\") and (.namespace == \"urn:xmpp:extdisco:2\") and (.skipped == 0) and (.services | length == 4) and all(.services[]; $SVC_SCHEMA)" \
        "$T/p_svc.out"
    expect "prosody: services --json: turn entries carry credentials, restricted, expires = username expiry (2 h)" 0 \
        "[.services[] | select(.type | startswith(\"turn\"))] | length == 3 and all(.[]; .restricted == true and (.password | length) > 20 and ((.username | split(\":\")[0] | tonumber) == .expires_unix) and .expires_unix > $now + 7000 and .expires_unix < $now + 7400)" \
        "$T/p_svc.out"
    expect "prosody: services --json: uris" 0 \
        "([.services[].uri] | sort) == ([\"stun:127.0.0.1:$TURN_PORT\", \"turn:127.0.0.1:$TURN_PORT?transport=udp\", \"turn:127.0.0.1:$TURN_PORT?transport=tcp\", \"turns:127.0.0.1:$TLS_PORT?transport=tcp\"] | sort)" \
        "$T/p_svc.out"

    # --type filter, v1, direct TLS
    ed p_turn alice@good.test "$S" services --type turn --json
    expect "prosody: services --type turn" 0 '(.services | length) == 2 and all(.services[]; .type == "turn")' "$T/p_turn.out"
    ed p_v1 alice@good.test "$S" services --v1 --json
    expect "prosody: services --v1 (urn:xmpp:extdisco:1)" 0 '.namespace == "urn:xmpp:extdisco:1" and (.services | length) == 4' "$T/p_v1.out"
    ed p_dtls alice@good.test "127.0.0.1:$C2S_TLS_PORT" --direct-tls services --json
    expect "prosody: login over direct TLS" 0 '(.services | length) == 4' "$T/p_dtls.out"

    # --ice-servers and --uris
    ed p_ice alice@good.test "$S" services --ice-servers
    expect "prosody: --ice-servers is an RTCIceServer[]" 0 \
        "length == 4 and all(.[]; (.urls | type == \"array\") and (.urls | length) == 1) and ([.[] | select(.urls[0] | startswith(\"turn\"))] | all(.[]; (.username | length) > 0 and (.credential | length) > 0)) and ([.[] | select(.urls[0] | startswith(\"stun:\"))] | all(.[]; has(\"username\") | not))" \
        "$T/p_ice.out"
    ed p_uris alice@good.test "$S" services --uris
    expect_grep "prosody: --uris" 0 "^turns:127\.0\.0\.1:$TLS_PORT\?transport=tcp$" "$T/p_uris.out"
    if [ "$(wc -l <"$T/p_uris.out")" -eq 4 ] && grep -qx "stun:127.0.0.1:$TURN_PORT" "$T/p_uris.out"; then
        il_pass "prosody: --uris lists 4 URIs, stun without ?transport"
    else
        il_fail "prosody: --uris"; cat "$T/p_uris.out"
    fi
    ed p_tab alice@good.test "$S" services
    expect_grep "prosody: services table hides passwords" 0 ' / \*\*\*' "$T/p_tab.out"

    # credentials
    ed p_cred alice@good.test "$S" credentials --type turn --host 127.0.0.1 --port "$TURN_PORT" --json
    expect "prosody: credentials for turn 127.0.0.1:$TURN_PORT" 0 \
        '(.services | length) >= 1 and all(.services[]; .type == "turn" and (.username | length) > 0 and (.password | length) > 0)' \
        "$T/p_cred.out"

    # ip: Prosody 0.12 has no XEP-0279 -> the request fails, exit 1
    ed p_ip alice@good.test "$S" ip --json
    expect_grep "prosody: ip: no sic -> exit 1 with both stanza errors" 1 'sic:1: stanza error .*; sic:0: stanza error' "$T/p_ip.err"

    # check: all ok on good.test
    ed p_check alice@good.test "$S" check --json
    expect "prosody good.test: check --json exit 0, 4 services ok (STUN mapped, TURN relayed+refreshed+deallocated over udp/tcp/tls)" 0 \
        '.summary.failed == 0 and .summary.ok == 4 and all(.services[]; .ok and .result.ok) and ([.services[] | select(.service.type != "stun") | .result] | all(.[]; (.relayed | test("^127\\.0\\.0\\.1:[0-9]+$")) and .lifetime > 0 and .refreshed and .deallocated)) and (.services[] | select(.service.type == "stun") | .result.mapped | test("^127\\.0\\.0\\.1:"))' \
        "$T/p_check.out"
    expect "prosody good.test: check flags restricted='1' and the loopback host as warnings" 0 \
        '[.services[] | select(.service.type | startswith("turn")) | .flags[] | select(.code == "restricted-spelling" and .severity == "warning")] | length == 3' \
        "$T/p_check.out"
    ed p_check_t alice@good.test "$S" check
    cp "$T/p_check_t.out" "$T/prosody_good_check.txt"
    expect_grep "prosody good.test: check table" 0 '^summary: 4 services, 4 ok, 0 failed' "$T/p_check_t.out"

    # check: precise failures on bad.test
    ed p_bad alice@bad.test "$S" check --json
    expect "prosody bad.test: check exit 1: 1 ok, 4 failed" 1 '.summary.ok == 1 and .summary.failed == 4' "$T/p_bad.out"
    expect "prosody bad.test: turn without expires -> missing-expires warning" 1 \
        '.services[1].flags | any(.[]; .code == "missing-expires" and .severity == "warning")' "$T/p_bad.out"
    expect "prosody bad.test: turns without credentials -> missing-credentials, not checked" 1 \
        '.services[4] | (.ok | not) and (.checked | not) and any(.flags[]; .code == "missing-credentials" and .severity == "error")' "$T/p_bad.out"
    expect "prosody bad.test: wrong secret -> allocate 401" 1 \
        '.services[1] | (.ok | not) and .result.step == "allocate" and .result.error_code == 401 and .result.fail == "server"' "$T/p_bad.out"
    expect "prosody bad.test: nothing listening -> refused" 1 \
        '.services[2] | (.ok | not) and .result.fail == "refused" and .result.step == "binding"' "$T/p_bad.out"
    expect "prosody bad.test: expired credential -> flagged expired and coturn 401" 1 \
        '.services[3] | (.ok | not) and (any(.flags[]; .code == "expired" and .severity == "error")) and .result.error_code == 401' "$T/p_bad.out"
    ed p_bad_t alice@bad.test "$S" check
    cp "$T/p_bad_t.out" "$T/prosody_bad_check.txt"
    expect_grep "prosody bad.test: check table names the failures" 1 'allocate failed: error 401' "$T/p_bad_t.out"

    # login failure -> exit 2
    RC=0
    timeout 60 "$EXTDISCO" --jid alice@good.test --server "$S" --ca-file "$T/cert.pem" \
        --password-file "$T/wrong.pw" services >"$T/p_wrongpw.out" 2>"$T/p_wrongpw.err" || RC=$?
    expect_grep "prosody: wrong password -> exit 2, authentication failed (SASL not-authorized)" 2 'authentication failed: wrong JID or password \(SASL not-authorized' "$T/p_wrongpw.err"
    # no CA -> certificate not trusted -> exit 2
    RC=0
    timeout 60 "$EXTDISCO" --jid alice@good.test --server "$S" \
        --password-file "$T/alice.pw" services >"$T/p_noca.out" 2>"$T/p_noca.err" || RC=$?
    if [ "$RC" -eq 2 ]; then il_pass "prosody: untrusted certificate -> exit 2"; else il_fail "prosody: untrusted certificate: exit $RC"; cat "$T/p_noca.err"; fi
    # --insecure accepts it
    RC=0
    timeout 60 "$EXTDISCO" --jid alice@good.test --server "$S" --insecure \
        --password-file "$T/alice.pw" services --json >"$T/p_insec.out" 2>"$T/p_insec.err" || RC=$?
    expect "prosody: --insecure logs in without the CA" 0 '(.services | length) == 4' "$T/p_insec.out"
    # password from stdin
    RC=0
    timeout 60 "$EXTDISCO" --jid alice@good.test --server "$S" --ca-file "$T/cert.pem" \
        info --json <"$T/alice.pw" >"$T/p_stdin.out" 2>"$T/p_stdin.err" || RC=$?
    expect "prosody: password from stdin" 0 '.features["extdisco:2"]' "$T/p_stdin.out"
    # nothing listening for XMPP -> exit 2, bounded
    ed p_noxmpp alice@good.test "127.0.0.1:$DEAD_PORT" info
    expect_grep "no XMPP server -> exit 2" 2 'connect|refused|failed' "$T/p_noxmpp.err"
}

# push FILE XML: route an IQ-set from good.test to the watching client
# through Prosody's admin shell (raw Lua, util.xml parses the stanza).
push() {
    local name=$1 xml=$2
    timeout 30 "$PROSODYCTL" --config "$T/prosody/prosody.cfg.lua" shell \
        "> local x = require'util.xml'.parse([[$xml]]); local r = prosody.core_route_stanza or _G.core_route_stanza; r(prosody.hosts['good.test'], x); return 'pushed'" \
        >"$T/push_$name.out" 2>&1
}

# watch: stays online, applies pushes (valid, 'remove', malformed), answers
# each with a result or bad-request, keeps the view intact on rejection.
watch_tests() {
    local S="127.0.0.1:$C2S_PORT" jid i W="$T/watch.out"
    RC=0
    timeout 60 "$EXTDISCO" --jid alice@good.test --server "$S" --ca-file "$T/cert.pem" \
        --password-file "$T/alice.pw" watch --json --duration 12 >"$W" 2>"$T/watch.err" &
    local WPID=$!
    IL_PIDS+=("$WPID")
    for ((i = 0; i < 100; i++)); do
        jid=$(jq -r 'select(.event == "online") | .jid' "$W" 2>/dev/null | head -n1)
        [ -n "$jid" ] && grep -q '"snapshot"' "$W" && break
        sleep 0.1
    done
    if [ -z "$jid" ]; then
        il_fail "watch: did not come online"; cat "$W" "$T/watch.err"; return
    fi
    local NS="urn:xmpp:extdisco:2" P=$TURN_PORT
    push add "<iq type='set' id='push1' from='good.test' to='$jid'><services xmlns='$NS'><service action='add' type='stun' host='stun2.good.test' port='3478' transport='udp'/><service action='remove' type='turns' host='127.0.0.1' port='$TLS_PORT' transport='tcp'/></services></iq>"
    sleep 0.5
    push bad "<iq type='set' id='push2' from='good.test' to='$jid'><services xmlns='$NS'><service action='delete' type='stun' host='127.0.0.1' port='$P' transport='udp'/><service action='add' type='turn' host='x.good.test' port='99999'/></services></iq>"
    sleep 0.5
    push modify "<iq type='set' id='push3' from='good.test' to='$jid'><services xmlns='$NS'><service action='modify' type='turn' host='127.0.0.1' port='$P' transport='tcp' name='TCP relay'/></services></iq>"
    sleep 0.5
    push stranger "<iq type='set' id='push4' from='mallory@good.test/x' to='$jid'><services xmlns='$NS'><service action='delete' type='stun' host='127.0.0.1' port='$P' transport='udp'/></services></iq>"
    il_wait "$WPID"
    RC=$IL_RC
    expect "watch: push add + 'remove' applied" 0 \
        '[inputs] as $e | ($e | map(select(.event == "push")) | map([.action, .service.type, .service.host]))
         | index([["add","stun","stun2.good.test"]]) != null' "$W"
    # (jq -n reads all lines with inputs)
    if jq -n -e '[inputs] | map(select(.event == "push" and .action == "delete" and .service.type == "turns")) | length == 1' "$W" >/dev/null; then
        il_pass "watch: action='remove' deleted the turns entry"
    else
        il_fail "watch: remove"; cat "$W"
    fi
    if jq -n -e '[inputs] | map(select(.event == "rejected")) | length == 1 and (.[0].error | test("port"))' "$W" >/dev/null; then
        il_pass "watch: malformed push (bad port after a valid delete) rejected"
    else
        il_fail "watch: malformed push not rejected"; cat "$W"
    fi
    if jq -n -e --arg p "$P" '[inputs] | map(select(.event == "end"))[0] as $e |
        $e.pushes == 2 and $e.rejected == 1 and ($e.view | length) == 4 and
        ($e.view | any(.[]; .type == "stun" and .host == "127.0.0.1")) and
        ($e.view | any(.[]; .host == "stun2.good.test")) and
        ($e.view | all(.[]; .type != "turns")) and
        ($e.view | any(.[]; .type == "turn" and .transport == "tcp" and .name == "TCP relay" and (.password | length) > 0)) and
        ($e.next_refresh | test("Z$"))' "$W" >/dev/null; then
        il_pass "watch: final view = snapshot + valid pushes only (stun kept after the rejected push, stranger ignored, modify kept credentials)"
    else
        il_fail "watch: final view wrong"; jq -c 'select(.event == "end")' "$W"
    fi
    # Prosody saw our answers: result for push1/push3, bad-request for push2.
    local L="$T/prosody/prosody.log"
    if grep -q "push1" "$L" && grep -Eq "<iq[^>]*id='push2'[^>]*type='error'|<iq[^>]*type='error'[^>]*id='push2'" "$L"; then
        il_pass "watch: answers seen by Prosody (result, bad-request)"
    else
        il_fail "watch: answers not in Prosody's log"; grep -n "push[1-4]" "$L" | cut -c1-300 | head
    fi
    [ "$RC" -eq 0 ] && il_pass "watch: exit 0 after --duration" || il_fail "watch: exit $RC"
}

# ---------------------------------------------------------------- ejabberd
# A plain `erl` node of its own (tests/interop/peers.sh, as
# tests/interop/component_ejabberd.sh does): made-up node name and cookie,
# Erlang distribution on a free loopback port without epmd, spool and logs
# in the temp dir.
start_ejabberd() {
    peer_ejabberd_init "$T/ejabberd"
    EJ_C2S=$(il_free_port)
    while [ "$EJ_C2S" = "$PEER_EJ_DIST" ]; do EJ_C2S=$(il_free_port); done
    cat "$T/cert.pem" "$T/key.pem" >"$T/ejabberd/cert+key.pem"
    cat >"$T/ejabberd/ejabberd.yml" <<EOF
hosts:
  - ej.test
loglevel: info
certfiles:
  - "$T/ejabberd/cert+key.pem"
listen:
  - port: $EJ_C2S
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: true
auth_method: internal
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
shaper_rules:
  max_user_sessions: 10
modules:
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
  mod_sic: {}
  mod_stun_disco:
    offer_local_services: false
    secret: "$SECRET"
    credentials_lifetime: 12h
    services:
      - host: 127.0.0.1
        port: $TURN_PORT
        type: stun
        transport: udp
        restricted: false
      - host: 127.0.0.1
        port: $TURN_PORT
        type: turn
        transport: udp
        restricted: true
      - host: 127.0.0.1
        port: $TURN_PORT
        type: turn
        transport: tcp
        restricted: true
      - host: 127.0.0.1
        port: $TLS_PORT
        type: turns
        transport: tcp
        restricted: true
EOF
    peer_ejabberd_start "$T/ejabberd/stdout.log" "$EJ_C2S" || return 1
    EJ_PID=$PEER_EJ_PID
    peer_ejabberd_register alice ej.test "$(cat "$T/alice.pw")"
}

ejabberd_tests() {
    local S="127.0.0.1:$EJ_C2S" now
    now=$(date +%s)
    ed e_info alice@ej.test "$S" info --json
    expect "ejabberd: info --json: extdisco:2 and sic advertised" 0 \
        '.entity == "ej.test" and .features["extdisco:2"] and (.features["sic:1"] or .features["sic:0"])' "$T/e_info.out"
    ed e_svc alice@ej.test "$S" services --json
    expect "ejabberd: services --json: 4 services, schema of every entry" 0 \
        "(.services | length == 4) and all(.services[]; $SVC_SCHEMA)" "$T/e_svc.out"
    expect "ejabberd: turn entries: restricted=true, inline credentials, expires = username expiry (12 h)" 0 \
        "[.services[] | select(.type | startswith(\"turn\"))] | length == 3 and all(.[]; .restricted == true and (.password | length) > 20 and ((.username | split(\":\")[0] | tonumber) == .expires_unix) and .expires_unix > $now + 43000 and .expires_unix < $now + 43400)" \
        "$T/e_svc.out"
    ed e_cred alice@ej.test "$S" credentials --type turn --host 127.0.0.1 --port "$TURN_PORT" --json
    expect "ejabberd: credentials for turn (answered with <services/>, accepted)" 0 \
        '(.services | length) == 2 and all(.services[]; .type == "turn" and (.username | length) > 0 and .expires != null)' "$T/e_cred.out"
    expect_grep "ejabberd: the <services/> answer to <credentials/> is noted" 0 'answered <credentials/> with <services/>' "$T/e_cred.err"
    ed e_cred2 alice@ej.test "$S" credentials --type turn --host 127.0.0.1 --port "$TURN_PORT" --transport udp --json
    expect "ejabberd: credentials for turn/udp (empty with transport; asked again without, filtered)" 0 \
        '(.services | length) == 1 and .services[0].transport == "udp" and (.services[0].password | length) > 0' "$T/e_cred2.out"
    ed e_ip alice@ej.test "$S" ip --json
    expect "ejabberd: ip (mod_sic): 127.0.0.1" 0 \
        '.ip == "127.0.0.1" and (.namespace | test("^urn:xmpp:sic:[01]$")) and (.namespace == "urn:xmpp:sic:0" or (.port > 0))' "$T/e_ip.out"
    ed e_check alice@ej.test "$S" check --json
    expect "ejabberd: check --json exit 0, 4 services ok, ip check answered, no NAT on loopback" 0 \
        '.summary.failed == 0 and .summary.ok == 4 and .ip_check.ip == "127.0.0.1" and all(.services[]; .ok and .result.ok and .nat_suspected == false)' \
        "$T/e_check.out"
    ed e_check_t alice@ej.test "$S" check
    cp "$T/e_check_t.out" "$T/ejabberd_check.txt"
    expect_grep "ejabberd: check table" 0 '^summary: 4 services, 4 ok, 0 failed' "$T/e_check_t.out"
}

# ---------------------------------------------------------------- main
# CP_ONLY=prosody|ejabberd runs one peer (debugging).
if [ "${CP_ONLY:-prosody}" != prosody ]; then
    :
elif start_prosody; then
    echo "prosody pid $PROSODY_PID on 127.0.0.1:$C2S_PORT (direct TLS $C2S_TLS_PORT)"
    prosody_tests
    watch_tests
else
    il_fail "prosody did not start"
    tail -n 30 "$T/prosody/stdout.log" "$T/prosody/prosody.log" 2>/dev/null | cut -c1-300
fi

if [ "${CP_ONLY:-ejabberd}" != ejabberd ]; then
    :
elif peer_ejabberd_find mod_stun_disco; then
    if start_ejabberd; then
        echo "ejabberd pid $EJ_PID on 127.0.0.1:$EJ_C2S"
        ejabberd_tests
    else
        il_fail "ejabberd did not start"
        tail -n 30 "$T/ejabberd/stdout.log" "$T/ejabberd/logs/ejabberd.log" 2>/dev/null | cut -c1-300
    fi
else
    il_fail "ejabberd 23.01 with mod_stun_disco not installed"
fi

for f in prosody_good_check prosody_bad_check ejabberd_check; do
    if [ -f "$T/$f.txt" ]; then
        echo "---- $f"
        cat "$T/$f.txt"
    fi
done
il_summary
