#!/usr/bin/env bash
# tests/interop/coturn_turn_rest.sh — credentials minted by libextdisco
# (lib/turn_rest.c, through tests/interop/mint_cred) against a real coturn
# with use-auth-secret, on loopback only.
#
#   tests/interop/coturn_turn_rest.sh BUILD_DIR      (or BUILD=... env)
#
# mint_cred is looked up as $MINT_CRED, else BUILD_DIR/tests/interop/mint_cred,
# BUILD_DIR/tests/mint_cred, BUILD_DIR/mint_cred.  Exit 0 when every case
# passes, 1 on any failure, 77 (skip) when coturn is not installed.
#
# Cases: allocation over UDP and over TCP with a fresh credential; with a
# token-mode username; with a credential signed by an older secret that the
# server still lists (rotation); refusal (401) of a credential signed with a
# wrong secret and of an expired one.  Every allocation is checked three
# ways: uclient's exit status, uclient's own report, and coturn's log line
# for that username (verbose mode logs "ALLOCATE processed, success" or
# "error 401").
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"

BUILD_DIR=${1:-${BUILD:-}}
if [ -z "$BUILD_DIR" ]; then
    echo "usage: $0 BUILD_DIR (or BUILD=... $0)" >&2
    exit 2
fi
TURNSERVER=${TURNSERVER:-/usr/bin/turnserver}
UCLIENT=${UCLIENT:-/usr/bin/turnutils_uclient}
if [ ! -x "$TURNSERVER" ] || [ ! -x "$UCLIENT" ]; then
    echo "SKIP: coturn (turnserver, turnutils_uclient) not installed"
    exit 77
fi
MINT=${MINT_CRED:-}
if [ -z "$MINT" ]; then
    for c in "$BUILD_DIR/tests/interop/mint_cred" "$BUILD_DIR/tests/mint_cred" \
             "$BUILD_DIR/mint_cred"; do
        if [ -x "$c" ]; then MINT=$c; break; fi
    done
fi
if [ -z "$MINT" ] || [ ! -x "$MINT" ]; then
    echo "FAIL: mint_cred not found under $BUILD_DIR (set MINT_CRED=...)"
    exit 1
fi

il_init coturn_turn_rest
T=$IL_TMP
REALM=extdisco.test
SECRET_NEW="new-$RANDOM$RANDOM-secret"
SECRET_OLD="old-$RANDOM$RANDOM-secret"
SECRET_WRONG="wrong-$RANDOM$RANDOM-secret"
printf '%s\n' "$SECRET_NEW" >"$T/secret.new"
printf '%s\n' "$SECRET_OLD" >"$T/secret.old"
printf '%s\n' "$SECRET_WRONG" >"$T/secret.wrong"

# coturn tries every static-auth-secret it knows (rotation); no TLS/DTLS,
# no CLI, relays on loopback, its database and pidfile in the temp dir;
# its log in $LOG (flushed each line, verbose).
if ! peer_coturn_start --realm "$REALM" --relays 100 "$SECRET_NEW" "$SECRET_OLD"; then
    echo "FAIL: turnserver did not start on 127.0.0.1:$PEER_TURN_PORT"
    exit 1
fi
PORT=$PEER_TURN_PORT
RELAY_MIN=$PEER_TURN_RELAY_MIN
RELAY_MAX=$PEER_TURN_RELAY_MAX
LOG=$PEER_TURN_LOG
TURN_PID=$PEER_TURN_PID
echo "turnserver pid $TURN_PID on 127.0.0.1:$PORT (relay $RELAY_MIN-$RELAY_MAX)"

NOW=$(date +%s)

# mint SECRET_FILE USER TTL NOW [sha1] [jid|token] -> sets U and P
mint() {
    local out
    if ! out=$("$MINT" "$@"); then
        echo "FAIL: mint_cred $*" >&2
        return 1
    fi
    U=${out% *}
    P=${out#* }
    if [ -z "$U" ] || [ -z "$P" ] || [ "$U" = "$out" ]; then
        echo "FAIL: mint_cred printed '$out'" >&2
        return 1
    fi
}

# The cases run concurrently (uclient spends seconds in fixed waits even
# for 3 messages); each has its own username, so coturn's log lines can be
# told apart.  launch NAME allocated|refused [uclient flags...] uses $U/$P.
CASES=()
declare -A CASE_PID CASE_KIND CASE_USER RCS
launch() {
    local name=$1 kind=$2
    shift 2
    il_start "$T/$name.out" timeout 20 "$UCLIENT" -y -c -n 3 -m 1 -L 127.0.0.1 -X \
        -u "$U" -w "$P" -p "$PORT" "$@" 127.0.0.1
    CASES+=("$name")
    CASE_PID[$name]=$IL_LAST_PID
    CASE_KIND[$name]=$kind
    CASE_USER[$name]=$U
}

# server_saw USER PATTERN: coturn's log has a line for exactly this user.
server_saw() {
    # no -q on the second grep: under pipefail, its early exit would kill
    # the first with SIGPIPE and fail a line that is there
    grep -F "user <$1>: incoming packet" "$LOG" 2>/dev/null | grep -F "$2" >/dev/null
}

# server_logs USER PATTERN: the same, waiting up to 5 s for the line.
server_logs() {
    local i
    for ((i = 0; i < 50; i++)); do
        server_saw "$1" "$2" && return 0
        sleep 0.1
    done
    return 1
}

check_allocated() {
    local name=$1 rc=$2 user=$3 out="$T/$1.out" why=""
    [ "$rc" -eq 0 ] || why="uclient exit $rc"
    grep -q 'Total lost packets 0 ' "$out" || why="$why; no 'Total lost packets 0'"
    grep -qE 'tot_send_msgs=[1-9][0-9]*, tot_recv_msgs=[1-9]' "$out" \
        || why="$why; no messages relayed"
    ! grep -q 'ERROR' "$out" || why="$why; uclient printed ERROR"
    server_logs "$user" "ALLOCATE processed, success" \
        || why="$why; coturn logged no successful ALLOCATE for <$user>"
    if [ -z "$why" ]; then
        il_pass "$name: coturn allocated for $user"
    else
        il_fail "$name: ${why#; }"
        sed 's/^/    /' "$out" | tail -n 15
    fi
}

check_refused() {
    local name=$1 rc=$2 user=$3 out="$T/$1.out" why=""
    [ "$rc" -ne 0 ] || why="uclient exit 0"
    [ "$rc" -ne 124 ] || why="uclient timed out"
    grep -q 'Cannot complete Allocation' "$out" || why="$why; no 'Cannot complete Allocation'"
    ! grep -q 'Total lost packets' "$out" || why="$why; data was relayed"
    server_logs "$user" "error 401" || why="$why; coturn logged no 401 for <$user>"
    ! server_saw "$user" "ALLOCATE processed, success" \
        || why="$why; coturn allocated for <$user>"
    if [ -z "$why" ]; then
        il_pass "$name: coturn refused $user with 401"
    else
        il_fail "$name: ${why#; }"
        sed 's/^/    /' "$out" | tail -n 15
    fi
}

# 1-2: fresh credential, newest secret, JID user, over UDP and TCP.
mint "$T/secret.new" "udp-user@$REALM" 600 "$NOW"
launch udp_fresh allocated
mint "$T/secret.new" "tcp-user@$REALM" 600 "$NOW"
launch tcp_fresh allocated -t

# 3: token-mode username (EXPIRY:26-char base32 token).
mint "$T/secret.new" "token-user@$REALM" 600 "$NOW" sha1 token
if [[ "$U" =~ ^[0-9]+:[a-z2-7]{26}$ ]]; then
    launch udp_token allocated
else
    il_fail "udp_token: minted username '$U' is not EXPIRY:token"
fi

# 4: signed by the older secret the server still holds (rotation window).
mint "$T/secret.old" "rotated-user@$REALM" 600 "$NOW"
launch udp_older_secret allocated

# 5: username EXPIRY only (no user part).
mint "$T/secret.new" - 600 "$NOW"
if [[ "$U" =~ ^[0-9]+$ ]]; then
    launch tcp_expiry_only allocated -t
else
    il_fail "tcp_expiry_only: minted username '$U' is not a bare expiry"
fi

# 6-7: signed with a secret coturn does not know.
mint "$T/secret.wrong" "mallory@$REALM" 600 "$NOW"
launch udp_wrong_secret refused
mint "$T/secret.wrong" "mallory-tcp@$REALM" 600 "$NOW"
launch tcp_wrong_secret refused -t

# 8: expired: minted an hour ago with a 60 s lifetime (expiry < now).
mint "$T/secret.new" "late@$REALM" 60 $((NOW - 3600))
launch udp_expired refused

# 9: correct secret, password of another username (signature binds it).
mint "$T/secret.new" "victim@$REALM" 600 "$NOW"
P_VICTIM=$P
mint "$T/secret.new" "thief@$REALM" 600 "$NOW"
P=$P_VICTIM
launch udp_swapped_password refused

for name in "${CASES[@]}"; do
    il_wait "${CASE_PID[$name]}"
    RCS[$name]=$IL_RC
done
for name in "${CASES[@]}"; do
    "check_${CASE_KIND[$name]}" "$name" "${RCS[$name]}" "${CASE_USER[$name]}"
done

il_summary
