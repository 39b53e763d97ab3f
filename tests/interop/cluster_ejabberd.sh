#!/usr/bin/env bash
# shellcheck disable=SC2034  # read -r fields kept for symmetry (err, to)
# tests/interop/cluster_ejabberd.sh — extdiscod scaled out behind a
# two-node ejabberd 23.01 cluster on loopback (issue 14; docs/deploying.md
# tells the story and the limits this test proves).
#
# Two ejabberd nodes (their own node names, ports and spool directories,
# joined with `ejabberdctl join_cluster`, Erlang distribution on 127.0.0.1
# through an epmd of our own: tests/interop/cluster_lib.sh), one coturn, two
# extdiscod instances i1, i2 with the same component JID
# extdisco.example.org.  Each instance names its STUN service after itself
# (STUN-i1, STUN-i2), so every answer says which instance gave it.
#
# Topology A, one link per instance: i1 -> node 1, i2 -> node 2.
#   A1 users on either node get services and credentials by delegation;
#      ejabberd prefers the component link on the user's own node
#   A2 both instances reloaded: each online requester gets the change once
#   A3 secret rotation (coturn [old] -> [new, old]; i1 signs with new; i2
#      too; old dropped everywhere), coturn allocating with the credentials
#      of both instances at every step
#   A4 SIGKILL i1 under load: node 2's users see nothing; node 1's users
#      get service-unavailable until i1 is back (ejabberd drops node 1's
#      delegation with the only link there: the limit of topology A)
# Topology B, each instance linked to both nodes (4 links).
#   B1 on each node ejabberd spreads requests over both instances
#   B2 SIGKILL i1 under load (both nodes): requests in flight to i1 are
#      lost (ejabberd answers them after 32 s); ejabberd then drops the
#      delegation on BOTH nodes although i2's links are up; i2 sees it in
#      its delegation probe and reconnects, after which every request is
#      answered by i2 again
#   B3 i1 back: both serve again
#   B4 pushes: a requester gets the push iff the instance that served its
#      request also got its presence (ejabberd picks a link at random per
#      stanza): the limit of topology B, measured and asserted
#   B5 node 2 stopped: node 1's users keep being served
#
#   tests/interop/cluster_ejabberd.sh BUILD_DIR
# Exit 0 when every check passes, 1 on any failure, 77 when a peer is
# missing.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"
# shellcheck source=tests/interop/cluster_lib.sh
. "$HERE/cluster_lib.sh"

NAME=cluster_ejabberd
PY=/usr/bin/python3
CLIENT="$HERE/xmpp_client.py"
LOAD="$HERE/cluster_load.py"
TURNSERVER=${TURNSERVER:-/usr/bin/turnserver}
UCLIENT=${UCLIENT:-/usr/bin/turnutils_uclient}
# extdiscod's delegation probe: period (2 s), reconnect delay (0.5 s), one
# retry after the minimum hold (4 s) if the first reconnect lost the race,
# delegation set-up on a loaded machine
PROBE_SLACK=${PROBE_SLACK:-8}

BUILD_DIR=${1:-${BUILD:-$(cd "$HERE/../.." && pwd)/build}}
peer_extdiscod_find "$BUILD_DIR" || exit 1
peer_ejabberd_find mod_delegation mod_privilege ejabberd_admin || { echo "SKIP: ejabberd not installed"; exit 77; }
for t in "$TURNSERVER" "$UCLIENT" "$PY" jq "${EPMD:-/usr/bin/epmd}" "${EJABBERDCTL:-/usr/sbin/ejabberdctl}"; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
"$PY" -c 'import slixmpp' 2>/dev/null || { echo "SKIP: python3-slixmpp not installed"; exit 77; }

il_init "$NAME"
T=$IL_TMP
chmod 755 "$T" # ejabberdctl runs its ctl node as the ejabberd user (cd to the spool)
COMP_SECRET="comp-$RANDOM$RANDOM$RANDOM"
printf '%s\n' "$COMP_SECRET" >"$T/component.secret"
TURN_OLD="old-$RANDOM$RANDOM$RANDOM"
TURN_NEW="new-$RANDOM$RANDOM$RANDOM"
printf '%s\n' "$TURN_OLD" >"$T/turn-old.secret"
printf '%s\n' "$TURN_NEW" >"$T/turn-new.secret"
declare -a ED_PID=() B2_SUMMARY=() B4_SUMMARY=()

pass() { il_pass "$NAME: $*"; }
fail() { il_fail "$NAME: $*"; }
info() { printf 'INFO: %s: %s\n' "$NAME" "$*"; }

# check NAME JSON JQ-EXPR
check() {
    if [ -n "$2" ] && printf '%s' "$2" | jq -e "$3" >/dev/null 2>&1; then
        pass "$1"
    else
        fail "$1"
        printf '    got: %s\n' "${2:-(nothing)}" | cut -c1-1200
    fi
}
jline() { jq -c --arg op "$2" 'select(.op == $op)' "$1" | head -n1; }

# client NODE USER OPS... -> JSON lines
client() {
    local n=$1 user=$2
    shift 2
    timeout 120 "$PY" "$CLIENT" --jid "$user@example.org" --password "$user-pw" \
        --port "${CL_C2S[n]}" --timeout 15 "$@" 2>>"$T/client.err"
}

# ---------------------------------------------------------------- coturn
start_coturn() { # SECRET... (the same port every time)
    local port=${TURN_PORT:+--port $TURN_PORT}
    # shellcheck disable=SC2086
    peer_coturn_start --realm example.org $port "$@" || return 1
    TURN_PORT=$PEER_TURN_PORT
}

# alloc NAME USER PASS: coturn allocates with these credentials (two tries:
# uclient sometimes loses a relayed packet on a loaded machine).
alloc_ok() {
    local name=$1 u=$2 p=$3 attempt rc
    for attempt in 1 2; do
        rc=0
        timeout 20 "$UCLIENT" -y -c -n 3 -m 1 -L 127.0.0.1 -X -u "$u" -w "$p" -p "$TURN_PORT" \
            127.0.0.1 >"$T/$name.out" 2>&1 || rc=$?
        if [ "$rc" -eq 0 ] && grep -q 'Total lost packets 0 ' "$T/$name.out"; then
            return 0
        fi
    done
    return 1
}
alloc_check() { # NAME USER PASS
    if alloc_ok "$@"; then
        pass "$1: coturn allocated"
    else
        fail "$1: coturn did not allocate"
        tail -n 5 "$T/$1.out" | sed 's/^    /'
    fi
}

# turn_cred JSON -> "USER PASS" of the turn/udp service
turn_cred() {
    printf '%s' "$1" | jq -r '.services[] | select(.type == "turn" and .transport == "udp") | "\(.username) \(.password)"'
}
# signed_by USER PASS SECRET: is PASS base64(HMAC-SHA1(SECRET, USER))?
signed_by() {
    [ "$(printf '%s' "$1" | openssl dgst -sha1 -hmac "$3" -binary | base64)" = "$2" ]
}

# ---------------------------------------------------------------- extdiscod
# write_ed I TOPO NAME SECRETFILE... : instance I's configuration.
# TOPO a: one link, to node I; b: links to node I and to the other node.
write_ed() {
    local i=$1 topo=$2 stun=$3 other list f
    shift 3
    list=$(IFS=,; printf '%s' "$*")
    peer_extdiscod_component_config "$T/ed$i.tmp" "$TURN_PORT" "${CL_COMP[i]}" \
        "$1" "$T/component.secret" "$stun"
    sed -i -e "s#secret_files: \[[^]]*\]#secret_files: [$list]#" "$T/ed$i.tmp"
    if [ "$topo" = b ]; then
        other=$((3 - i))
        printf '  - server: 127.0.0.1:%s\n    jid: extdisco.example.org\n    secret_file: %s\n' \
            "${CL_COMP[other]}" "$T/component.secret" >>"$T/ed$i.tmp"
    fi
    for f in "$@"; do grep -qF "$f" "$T/ed$i.tmp" || { echo "FAIL: ed$i config"; exit 1; }; done
    mv "$T/ed$i.tmp" "$T/ed$i.yml"
}

links_up() { # I COUNT: instance I has COUNT ready links more than at mark
    local c
    c=$(grep -c 'handshake -> ready' "$T/ed$1.log" 2>/dev/null || true)
    [ "$c" -ge "$2" ]
}

start_ed() { # I
    peer_extdiscod_check "$T/ed$1.yml" "$T/ed$1-n.log" || { echo "FAIL: extdiscod -n ed$1"; exit 1; }
    il_start "$T/ed$1.log" "$EXTDISCOD" -c "$T/ed$1.yml"
    ED_PID[$1]=$IL_LAST_PID
}

kill9_ed() { # I
    kill -KILL "${ED_PID[$1]}"
    il_wait "${ED_PID[$1]}"
    ED_PID[$1]=''
}

# node N lists urn:xmpp:extdisco:2 in example.org's disco#info
delegated_on() { # N USER
    client "$1" "$2" --no-presence disco >"$T/disco$1.json"
    jq -e 'select(.op == "disco") | .features | index("urn:xmpp:extdisco:2") != null' \
        "$T/disco$1.json" >/dev/null 2>&1
}
wait_delegated() { # N USER SECS
    local end=$((SECONDS + $3))
    while [ $SECONDS -lt $end ]; do
        if delegated_on "$1" "$2"; then return 0; fi
        sleep 0.5
    done
    return 1
}

# load NODE USER SECS KILLAT TAG: requests every 50 ms for SECS s from
# USER on NODE; JSON lines in $T/TAG.json.  Background; LOAD_PIDS.
declare -a LOAD_PIDS=()
load_start() {
    local n=$1 user=$2 secs=$3 tag=$4
    rm -f "$T/$tag.ready"
    timeout 120 "$PY" "$LOAD" --port "${CL_C2S[n]}" --user "$user" --password "$user-pw" \
        --interval-ms 50 --duration "$secs" --drain 40 --ready "$T/$tag.ready" \
        >"$T/$tag.json" 2>"$T/$tag.err" &
    LOAD_PIDS+=("$!")
    IL_PIDS+=("$!")
}
load_wait_ready() { # TAG...
    local tag
    for tag in "$@"; do
        il_wait_for 30 test -s "$T/$tag.ready" || { fail "load client $tag did not log in"; return 1; }
    done
}
load_join() {
    local p
    for p in "${LOAD_PIDS[@]}"; do il_wait "$p"; done
    LOAD_PIDS=()
}
# stats TAG [SINCE [UNTIL]] -> "total ok err timeout" of requests sent in
# [SINCE, UNTIL) (epoch seconds, decimals)
stats() {
    jq -s --argjson a "${2:-0}" --argjson b "${3:-1e12}" -r \
        '[.[] | select(.t >= $a and .t < $b)] |
         "\(length) \([.[] | select(.type == "result")] | length) \([.[] | select(.type == "error")] | length) \([.[] | select(.type == "timeout")] | length)"' \
        "$T/$1.json"
}
names() { # TAG -> the instances that answered, sorted, comma-separated
    jq -s -r '[.[] | select(.type == "result") | .name] | unique | join(",")' "$T/$1.json"
}
conds() { # TAG SINCE UNTIL -> error conditions with counts
    jq -s -r --argjson a "$2" --argjson b "$3" \
        '[.[] | select(.t >= $a and .t < $b and .type != "result") | (.cond // .type)] | group_by(.) | map("\(.[0]) x\(length)") | join(", ")' \
        "$T/$1.json"
}
now() { date +%s.%N | cut -c1-14; }

# ================================================================ set-up
start_coturn "$TURN_OLD" || { echo "FAIL: coturn did not start"; exit 1; }
cl_epmd_start || { echo "FAIL: epmd did not start"; exit 1; }
for n in 1 2; do
    cl_node_init "$n" "$COMP_SECRET" || exit 1
    cl_node_start "$n" || { echo "FAIL: ejabberd node $n did not start"; tail -n 20 "${CL_DIR[n]}/stdout.log"; exit 1; }
done
if cl_join 2 1; then
    pass "node 2 joined node 1 (ejabberdctl join_cluster); list_cluster shows both"
else
    fail "join_cluster"
    exit 1
fi
for u in alice bob carol; do
    cl_ctl 1 register "$u" example.org "$u-pw" >/dev/null || { fail "register $u"; exit 1; }
done
cl_listeners "${CL_PID[1]}" "${CL_PID[2]}" "$CL_EPMD_PID" >"$T/listeners"
# epmd (127.0.0.1 and ::1), per node: distribution, c2s, component
if [ "$(grep -c '^loopback ' "$T/listeners")" -ge 8 ] && ! grep -q '^NETWORK ' "$T/listeners"; then
    pass "epmd, the Erlang distribution and every ejabberd listener are on loopback only ($(grep -c '^loopback ' "$T/listeners") sockets)"
else
    fail "cluster listeners: $(tr '\n' ' ' <"$T/listeners")"
fi

# ================================================================ topology A
write_ed 1 a STUN-i1 "$T/turn-old.secret"
write_ed 2 a STUN-i2 "$T/turn-old.secret"
start_ed 1
start_ed 2
if wait_delegated 1 carol 30 && wait_delegated 2 carol 30; then
    pass "A: both nodes delegate urn:xmpp:extdisco:2 (one extdiscod link on each)"
else
    fail "A: delegation not set up"
    tail -n 5 "$T/ed1.log" "$T/ed2.log"
    exit 1
fi

# --- A1 services and credentials from either node
client 1 alice services:2 >"$T/a1-alice.json"
client 2 bob services:2 >"$T/a1-bob.json"
SA=$(jline "$T/a1-alice.json" services:2)
SB=$(jline "$T/a1-bob.json" services:2)
check "A1: alice on node 1 gets 3 services with TURN credentials, from i1 (ejabberd prefers the local link)" "$SA" \
    '.type == "result" and .from == "example.org" and (.services | length) == 3 and .services[0].name == "STUN-i1" and all(.services[] | select(.type == "turn"); (.username | length) > 0 and (.password | length) > 0)'
check "A1: bob on node 2 gets them from i2" "$SB" \
    '.type == "result" and .from == "example.org" and (.services | length) == 3 and .services[0].name == "STUN-i2"'
read -r U1 P1 <<<"$(turn_cred "$SA")"
read -r U2 P2 <<<"$(turn_cred "$SB")"
OLD_U=$U1 OLD_P=$P1
alloc_check "A1: credentials of i1" "$U1" "$P1"
alloc_check "A1: credentials of i2" "$U2" "$P2"

# --- A2 pushes after reloading both instances
client 1 alice services:2 wait-push:30 sleep:2 pushes >"$T/a2-alice.json" &
CA=$!
client 2 bob services:2 wait-push:30 sleep:2 pushes >"$T/a2-bob.json" &
CB=$!
il_wait_for 30 grep -q '"op": "services:2"' "$T/a2-alice.json" || true
il_wait_for 30 grep -q '"op": "services:2"' "$T/a2-bob.json" || true
sleep 1 # the presence reaches the instance after the reply
write_ed 1 a STUN-i1-r "$T/turn-old.secret"
write_ed 2 a STUN-i2-r "$T/turn-old.secret"
kill -HUP "${ED_PID[1]}" "${ED_PID[2]}"
wait "$CA" || true
wait "$CB" || true
check "A2: alice (node 1) got exactly one push, from i1 (STUN-i1 -> STUN-i1-r)" "$(jline "$T/a2-alice.json" pushes)" \
    '(.pushes | length) == 1 and any(.pushes[0].services[]; .action == "modify" and .name == "STUN-i1-r")'
check "A2: bob (node 2) got exactly one push, from i2" "$(jline "$T/a2-bob.json" pushes)" \
    '(.pushes | length) == 1 and any(.pushes[0].services[]; .action == "modify" and .name == "STUN-i2-r")'

# --- A3 secret rotation across both instances, coturn checked at every step
rotation_step() { # STEP EXPECT1 EXPECT2 (the secret each instance signs with)
    local step=$1 s1=$2 s2=$3 a b
    client 1 alice --no-presence services:2 >"$T/rot$step-a.json"
    client 2 bob --no-presence services:2 >"$T/rot$step-b.json"
    read -r a b <<<"$(turn_cred "$(jline "$T/rot$step-a.json" services:2)")"
    if signed_by "$a" "$b" "$s1"; then pass "A3 step $step: i1 signs with the expected secret"
    else fail "A3 step $step: i1 signs with another secret ($a)"; fi
    alloc_check "A3 step $step: credentials of i1" "$a" "$b"
    read -r a b <<<"$(turn_cred "$(jline "$T/rot$step-b.json" services:2)")"
    if signed_by "$a" "$b" "$s2"; then pass "A3 step $step: i2 signs with the expected secret"
    else fail "A3 step $step: i2 signs with another secret ($a)"; fi
    alloc_check "A3 step $step: credentials of i2" "$a" "$b"
}
restart_coturn() {
    il_stop "$PEER_TURN_PID"
    start_coturn "$@" || { fail "coturn restart"; exit 1; }
}
reloads_over() { [ "$(grep -c 'reloaded' "$T/ed$1.log" || true)" -gt "$2" ]; }
reload_ed() { # I SECRETFILE...
    local i=$1 n0
    shift
    n0=$(grep -c 'reloaded' "$T/ed$i.log" || true)
    write_ed "$i" a "STUN-i$i-r" "$@"
    kill -HUP "${ED_PID[i]}"
    il_wait_for 10 reloads_over "$i" "$n0" || fail "A3: i$i did not reload"
}
# 1: coturn verifies both (new first), extdiscod still signs with old
restart_coturn "$TURN_NEW" "$TURN_OLD"
rotation_step 1 "$TURN_OLD" "$TURN_OLD"
# 2: i1 signs with new (old still listed), i2 not yet
reload_ed 1 "$T/turn-new.secret" "$T/turn-old.secret"
rotation_step 2 "$TURN_NEW" "$TURN_OLD"
# 3: i2 too
reload_ed 2 "$T/turn-new.secret" "$T/turn-old.secret"
rotation_step 3 "$TURN_NEW" "$TURN_NEW"
# 4: once the old credentials have expired, old is dropped everywhere
restart_coturn "$TURN_NEW"
reload_ed 1 "$T/turn-new.secret"
reload_ed 2 "$T/turn-new.secret"
rotation_step 4 "$TURN_NEW" "$TURN_NEW"
if alloc_ok "A3-old-dropped" "$OLD_U" "$OLD_P"; then
    fail "A3 step 4: coturn still accepts a credential signed with the dropped secret"
else
    pass "A3 step 4: a credential signed with the dropped secret is refused by coturn"
fi

# --- A4 SIGKILL i1 under load
load_start 1 alice 7 a4-n1
load_start 2 bob 7 a4-n2
load_wait_ready a4-n1 a4-n2
sleep 2
KILL_T=$(now)
kill9_ed 1
load_join
read -r tot ok err to <<<"$(stats a4-n2)"
if [ "$tot" -gt 50 ] && [ "$ok" = "$tot" ]; then
    pass "A4: node 2's user: all $tot requests answered while i1 died"
else
    fail "A4: node 2's user: $ok of $tot answered ($(conds a4-n2 0 1e12))"
fi
read -r tot ok err to <<<"$(stats a4-n1 0 "$KILL_T")"
read -r tot2 ok2 err2 to2 <<<"$(stats a4-n1 "$KILL_T")"
info "A4: node 1's user: before the kill $ok/$tot answered; after it $ok2/$tot2 answered ($(conds a4-n1 "$KILL_T" 1e12))"
if [ "$ok" = "$tot" ] && [ "$tot" -gt 20 ]; then
    pass "A4: node 1's user: all $tot requests before the kill answered"
else
    fail "A4: node 1's user before the kill: $ok/$tot"
fi
# the limit of topology A: ejabberd 23.01 drops node 1's delegation with its
# only link, so node 1's users are not served until i1 is back (documented)
late=$(jq -s --argjson a "$KILL_T" '[.[] | select(.t >= $a + 1 and .type == "result")] | length' "$T/a4-n1.json")
if [ "$late" = 0 ] && [ "$tot2" -gt 40 ]; then
    pass "A4: node 1's user gets no answer from 1 s after the kill on (ejabberd dropped node 1's delegation: the documented limit of one link per node)"
else
    fail "A4: node 1 after the kill: $late answered (the documented limit no longer holds? docs/deploying.md)"
fi
start_ed 1
if wait_delegated 1 carol 30; then
    client 1 alice --no-presence services:2 >"$T/a4-back.json"
    check "A4: i1 back: node 1's user served by i1 again" "$(jline "$T/a4-back.json" services:2)" \
        '.type == "result" and .services[0].name == "STUN-i1-r"'
else
    fail "A4: node 1 not delegated again after i1 came back"
fi

# ================================================================ topology B
il_stop "${ED_PID[1]}"
il_stop "${ED_PID[2]}"
write_ed 1 b STUN-i1 "$T/turn-new.secret"
write_ed 2 b STUN-i2 "$T/turn-new.secret"
start_ed 1
start_ed 2
if il_wait_for 30 links_up 1 2 && il_wait_for 30 links_up 2 2 && wait_delegated 1 carol 30 &&
   wait_delegated 2 carol 30; then
    pass "B: 4 links up (each instance to both nodes), both nodes delegate"
else
    fail "B: links/delegation not up"
    exit 1
fi

# both_serve STEP TAG: 1.5 s of requests on each node, all answered, by
# both instances on each node (ejabberd picks a local link at random)
both_serve() {
    local step=$1 tag=$2 n tot ok err to
    load_start 1 alice 1.5 "$tag-n1"
    load_start 2 bob 1.5 "$tag-n2"
    load_join
    for n in 1 2; do
        read -r tot ok err to <<<"$(stats "$tag-n$n")"
        if [ "$ok" = "$tot" ] && [ "$tot" -ge 20 ] && [ "$(names "$tag-n$n")" = "STUN-i1,STUN-i2" ]; then
            pass "$step: node $n: $tot requests answered, by both instances (i1 $(jq -s '[.[] | select(.name == "STUN-i1")] | length' "$T/$tag-n$n.json"), i2 $(jq -s '[.[] | select(.name == "STUN-i2")] | length' "$T/$tag-n$n.json"))"
        else
            fail "$step: node $n: $ok/$tot answered, by $(names "$tag-n$n")"
        fi
    done
}

# --- B1 balancing on each node
both_serve B1 b1

# --- B2 SIGKILL i1 under load on both nodes
load_start 1 alice 13 b2-n1
load_start 2 bob 13 b2-n2
load_wait_ready b2-n1 b2-n2
sleep 2
KILL_T=$(now)
kill9_ed 1
load_join
for n in 1 2; do
    read -r tot ok err to <<<"$(stats "b2-n$n" 0 "$KILL_T")"
    read -r tot2 ok2 err2 to2 <<<"$(stats "b2-n$n" "$KILL_T")"
    T3=$(jq -n "$KILL_T + $PROBE_SLACK")
    read -r tot3 ok3 err3 to3 <<<"$(stats "b2-n$n" "$T3")"
    # the failure window: last failed request after the kill
    win=$(jq -s --argjson a "$KILL_T" -r '[.[] | select(.t >= $a and .type != "result") | .t - $a] | max // 0 | . * 1000 | floor' "$T/b2-n$n.json")
    info "B2: node $n: before the kill $ok/$tot answered; after it $ok2/$tot2 ($(conds "b2-n$n" "$KILL_T" 1e12)); last failure sent ${win} ms after the kill; from ${PROBE_SLACK} s on $ok3/$tot3"
    B2_SUMMARY[n]="$tot2 sent after the kill: $((tot2 - ok2)) failed ($(conds "b2-n$n" "$KILL_T" 1e12)), failure window ${win} ms"
    if [ "$ok" = "$tot" ] && [ "$tot" -gt 20 ]; then
        pass "B2: node $n: all $tot requests before the kill answered"
    else
        fail "B2: node $n before the kill: $ok/$tot"
    fi
    if [ "$tot3" -gt 20 ] && [ "$ok3" = "$tot3" ] && [ "$(names "b2-n$n")" != "" ] &&
       [ "$(jq -s --argjson a "$T3" '[.[] | select(.t >= $a and .name != "STUN-i2")] | length' "$T/b2-n$n.json" 2>/dev/null || echo x)" = 0 ]; then
        pass "B2: node $n: every request sent from ${PROBE_SLACK} s after the kill on answered by i2 ($ok3/$tot3)"
    else
        fail "B2: node $n: from ${PROBE_SLACK} s after the kill on only $ok3/$tot3 answered"
        grep -hE 'no longer delegates|connected to|lost' "$T/ed2.log" | tail -n 8 | sed 's/^/    i2: /'
        grep -hE 'delegat|external component' "${CL_DIR[n]}/logs/ejabberd.log" | tail -n 8 |
            cut -c1-220 | sed "s/^/    node $n: /"
    fi
done
if grep -q 'no longer delegates' "$T/ed2.log"; then
    pass "B2: i2 noticed the lost delegation and re-linked ($(grep -c 'no longer delegates' "$T/ed2.log") times)"
else
    fail "B2: i2 did not log a lost delegation"
fi

# --- B3 i1 back
start_ed 1
il_wait_for 30 links_up 1 2 || fail "B3: i1's links not up"
sleep 1
both_serve "B3: i1 back" b3

# --- B4 pushes with two links per node
for n in 1 2; do
    u=$([ "$n" = 1 ] && echo alice || echo bob)
    client "$n" "$u" --resource "push$n" services:2 wait-push:12 sleep:2 pushes >"$T/b4-$u.json" &
    eval "CP$n=\$!"
done
il_wait_for 30 grep -q '"op": "services:2"' "$T/b4-alice.json" || true
il_wait_for 30 grep -q '"op": "services:2"' "$T/b4-bob.json" || true
sleep 1
write_ed 1 b STUN-i1-r "$T/turn-new.secret"
write_ed 2 b STUN-i2-r "$T/turn-new.secret"
kill -HUP "${ED_PID[1]}" "${ED_PID[2]}"
wait "$CP1" || true
wait "$CP2" || true
B4_OK=0
for u in alice bob; do
    n=$([ "$u" = alice ] && echo 1 || echo 2)
    served=$(jline "$T/b4-$u.json" services:2 | jq -r '.services[0].name' | sed 's/STUN-//')
    pres=""
    for i in 1 2; do
        grep -q "$u@example.org/push$n is online" "$T/ed$i.log" && pres="$pres i$i"
    done
    npush=$(jline "$T/b4-$u.json" pushes | jq '.pushes | length')
    info "B4: $u (node $n): request served by $served, presence reached:${pres:- none}, pushes received: $npush"
    B4_SUMMARY+=("$u: served by $served, presence at${pres:- none}, $npush push(es)")
    if [[ " $pres " == *" $served "* ]]; then want=1; else want=0; fi
    if [ "$npush" = "$want" ]; then
        B4_OK=$((B4_OK + 1))
        pass "B4: $u got $npush push(es): expected, the serving instance $( [ "$want" = 1 ] && echo had || echo lacked) its presence"
    else
        fail "B4: $u got $npush push(es), expected $want"
    fi
done

# --- B5 node 2 stopped: node 1's users keep being served
cl_node_stop 2
load_start 1 alice 2 b5-n1
load_join
read -r tot ok err to <<<"$(stats b5-n1)"
if [ "$ok" = "$tot" ] && [ "$tot" -ge 30 ]; then
    pass "B5: node 2 stopped: node 1's user: all $tot requests answered ($(names b5-n1))"
else
    fail "B5: node 2 stopped: node 1: $ok/$tot ($(conds b5-n1 0 1e12))"
fi

for i in 1 2; do
    [ -n "${ED_PID[i]}" ] && ! kill -0 "${ED_PID[i]}" 2>/dev/null && fail "extdiscod i$i died"
done
printf 'SUMMARY: B2 node 1: %s\nSUMMARY: B2 node 2: %s\n' "${B2_SUMMARY[1]}" "${B2_SUMMARY[2]}"
printf 'SUMMARY: B4 %s\n' "${B4_SUMMARY[@]}"
il_summary
