#!/usr/bin/env bash
# tests/interop/health_coturn.sh BUILD_DIR — health-aware discovery against
# three real coturn servers on loopback, seen by a real slixmpp client
# (health_client.py) of extdiscod's standalone server.
#
#   coturn A: the shared secret extdiscod has, TLS with a certificate for
#             localhost from a test CA (made here with openssl);
#   coturn B: the same secret, TLS certificate for wrong.example;
#   coturn C: ANOTHER secret, TLS certificate for localhost that expired.
#
# Checks every 2 s (timeout 2 s, fall 2, rise 2; check.ca_file the test CA;
# loopback answers in milliseconds, the margin is for a loaded machine):
#   - C's TURN goes down with the 401 reason, C's STUN stays up; B's turns
#     is down (host name mismatch), C's turns down (expired), A's turns up;
#     a services request leaves the down ones out, <credentials/> too (also
#     when asked for C's down TURN by name: item-not-found);
#   - a STUN with `check: {enabled: false}` on a port where nothing answers
#     is served, dumped as unchecked, and never probed (a UDP listener on
#     its port counts what arrives);
#   - stuns on A's TLS port: up; a turn with static credentials
#     (username/password_file) on B: allocates, up;
#   - probes go only to the configured loopback addresses (debug log);
#   - SIGUSR1 dumps every service's state;
#   - coturn A stopped: marked down within 12 s (fall x interval + jitter +
#     timeout is 6.4 s); the online client gets a `delete` push for each of
#     A's stun/turn services; every turns service is then down, so all three
#     are announced again (fail open: `add` pushes for B's and C's) and one
#     error is logged; a new request leaves A's stun/turn out;
#   - coturn A restarted: `add` pushes for A's services, fail open ends
#     (`delete` for B's and C's turns), a new request has them back;
#   - a reload that changes nothing keeps every state (since, counters) and
#     pushes nothing; a reload that changes one service's check resets only
#     that one.
# The push sequence the client saw is printed at the end.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"

BUILD_DIR=${1:?usage: $0 BUILD_DIR}
PY=/usr/bin/python3
TURNSERVER=${TURNSERVER:-/usr/bin/turnserver}
for tool in "$TURNSERVER" openssl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not installed"
        exit 77
    fi
done
if ! "$PY" -c 'import slixmpp' 2>/dev/null; then
    echo "SKIP: python3-slixmpp not installed"
    exit 77
fi
peer_extdiscod_find "$BUILD_DIR" || exit 1
CLIENT="$HERE/health_client.py"

il_init health_coturn
T=$IL_TMP
LOG=$T/extdiscod.log

# --- test CA and certificates -------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=extdisco health test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null
# leaf NAME SAN DAYS (negative: already expired)
leaf() {
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj "/CN=$1" -keyout "$T/$1.key" -out "$T/$1.csr" 2>/dev/null
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$2" >"$T/$1.ext"
    openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
        -CAcreateserial -days "$3" -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
}
leaf good DNS:localhost 2
leaf badhost DNS:wrong.example 2
leaf expired DNS:localhost -1
peer_cert_make "$T" localhost   # the c2s listener's own certificate

# --- three coturns --------------------------------------------------------------
SECRET="h-$RANDOM$RANDOM-secret"
printf '%s\n' "$SECRET" >"$T/turn.secret"
# start_turn NAME CERT SECRET -> NAME_PORT, NAME_TLS, NAME_PID
start_turn() {
    mkdir -p "$T/$1"
    if ! peer_coturn_start --dir "$T/$1" --realm health.test --relays 10 \
            --tls "$T/$2.pem" "$T/$2.key" "$3"; then
        echo "FAIL: turnserver $1 did not start"
        exit 1
    fi
    printf -v "${1}_PORT" '%s' "$PEER_TURN_PORT"
    printf -v "${1}_TLS" '%s' "$PEER_TURN_TLS_PORT"
    printf -v "${1}_PID" '%s' "$PEER_TURN_PID"
}
start_turn A good "$SECRET"
start_turn B badhost "$SECRET"
start_turn C expired "other-$RANDOM-secret"
echo "coturn A $A_PORT/$A_TLS (pid $A_PID), B $B_PORT/$B_TLS, C $C_PORT/$C_TLS"

# --- extdiscod -----------------------------------------------------------------
P_C2S=$(il_free_port)
P_HTTP=$(il_free_port)
P_OFF=$(il_free_port) # a STUN nobody runs, with its checks off: served, never probed
# static TURN credentials for B, as coturn's use-auth-secret accepts them
# until 2033 (4102444800, in 2100, got 401 here: coturn seems to read the
# expiry as a signed 32-bit number); the daemon checks with them, mints nothing
STATIC_USER="2000000000:static"
printf '%s' "$STATIC_USER" | openssl dgst -sha1 -hmac "$SECRET" -binary | base64 >"$T/static.pw"
CFG=$T/extdiscod.yml
write_config() { # $1: extra check settings for B's stun
    cat >"$CFG.new" <<EOF
log: {level: debug, syslog: false}
domains: [localhost]
turn_secrets:
  - {name: rest, secret_files: [turn.secret], ttl: 1h}
check: {interval: 2s, timeout: 2s, fall: 2, rise: 2, ca_file: ca.pem}
http: {listen: ["127.0.0.1:$P_HTTP"]}
services:
  - {type: stun, host: 127.0.0.1, port: $A_PORT, transport: udp, allow_local: true}
  - {type: turn, host: 127.0.0.1, port: $A_PORT, transport: udp, credentials: rest, allow_local: true}
  - {type: turn, host: 127.0.0.1, port: $A_PORT, transport: tcp, credentials: rest, allow_local: true}
  - {type: turns, host: localhost, port: $A_TLS, transport: tcp, credentials: rest, allow_local: true}
  - {type: stun, host: 127.0.0.1, port: $B_PORT, transport: udp, allow_local: true$1}
  - {type: turn, host: 127.0.0.1, port: $B_PORT, transport: udp, credentials: rest, allow_local: true}
  - {type: turns, host: localhost, port: $B_TLS, transport: tcp, credentials: rest, allow_local: true}
  - {type: stun, host: 127.0.0.1, port: $C_PORT, transport: udp, allow_local: true}
  - {type: turn, host: 127.0.0.1, port: $C_PORT, transport: tcp, credentials: rest, allow_local: true}
  - {type: turns, host: localhost, port: $C_TLS, transport: tcp, credentials: rest, allow_local: true}
  - {type: stun, host: 127.0.0.1, port: $P_OFF, transport: udp, allow_local: true, check: {enabled: false}}
  - {type: stuns, host: localhost, port: $A_TLS, transport: tcp, allow_local: true}
  - {type: turn, host: 127.0.0.1, port: $B_PORT, transport: tcp, username: "$STATIC_USER", password_file: static.pw, allow_local: true}
$(peer_extdiscod_c2s_yaml localhost cert.pem key.pem "127.0.0.1:$P_C2S=starttls")
EOF
    mv "$CFG.new" "$CFG"
}
# a UDP listener on the unchecked STUN's port: any datagram is written down
"$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
n = 0
while True:
    s.recv(2048)
    n += 1
    open(sys.argv[2], "w").write(str(n))
' "$P_OFF" "$T/off.count" &
OFF_PID=$!
IL_PIDS+=("$OFF_PID")
T_OFF=$(date +%s)
write_config ""
"$EXTDISCOCTL" -c "$CFG" adduser alice@localhost <<<"alice" >/dev/null
"$EXTDISCOCTL" -c "$CFG" adduser bob@localhost <<<"bob" >/dev/null
if ! peer_extdiscod_start "$CFG" "$LOG" "$P_C2S"; then
    echo "FAIL: extdiscod did not start"
    cat "$LOG" >&2
    exit 1
fi
D_PID=$PEER_ED_PID

# the daemon's log, from its first line (il_log_mark moves the mark on)
il_log_mark "$LOG" 0
# expect_log SECONDS ERE WHAT
expect_log() {
    if il_log_wait "$1" "$2"; then il_pass "$3"; else il_fail "$3 (no log line /$2/)"; fi
}
# services NAME: one services request; SVC/CRED lines in $T/NAME.out
services() {
    timeout 60 "$PY" "$CLIENT" services 127.0.0.1 "$P_C2S" bob@localhost bob \
        >"$T/$1.out" 2>"$T/$1.err" || il_fail "$1: client exited $? ($(tail -n 3 "$T/$1.err"))"
}
# has NAME "type transport host port" / lacks NAME ...
has() { if grep -qx "SVC $2" "$T/$1.out"; then il_pass "$1: $2 served"; else il_fail "$1: $2 missing"; fi; }
lacks() { if grep -qx "SVC $2" "$T/$1.out"; then il_fail "$1: $2 served"; else il_pass "$1: $2 left out"; fi; }

# --- first checks ----------------------------------------------------------------
expect_log 20 "health: turn tcp 127\.0\.0\.1:$C_PORT down: allocate: error 401: Unauthorized" \
    "wrong secret: C's TURN down with the 401 reason"
expect_log 20 "health: stun udp 127\.0\.0\.1:$C_PORT up" "wrong secret: C's STUN up"
expect_log 20 "health: turns tcp localhost:$B_TLS down: tls: certificate verification failed: hostname mismatch" \
    "turns with a certificate for another host: down with that reason"
expect_log 20 "health: turns tcp localhost:$C_TLS down: tls: certificate verification failed: certificate has expired" \
    "turns with an expired certificate: down with that reason"
expect_log 20 "health: turns tcp localhost:$A_TLS up" "turns with a good certificate (test CA): up"
expect_log 20 "health: stuns tcp localhost:$A_TLS up: binding ok" "stuns with a good certificate (test CA): up"
expect_log 20 "health: turn tcp 127\.0\.0\.1:$B_PORT up: allocate ok" \
    "turn with static credentials (username/password_file): allocates, up"
for s in "stun udp 127\.0\.0\.1:$A_PORT" "turn udp 127\.0\.0\.1:$A_PORT" \
         "turn tcp 127\.0\.0\.1:$A_PORT" "stun udp 127\.0\.0\.1:$B_PORT" \
         "turn udp 127\.0\.0\.1:$B_PORT"; do
    expect_log 20 "health: $s up" "$(sed 's/\\//g' <<<"$s") up"
done

HEALTH_ASK_CRED="turn tcp 127.0.0.1 $C_PORT" services first
for s in "stun udp 127.0.0.1 $A_PORT" "turn udp 127.0.0.1 $A_PORT" "turn tcp 127.0.0.1 $A_PORT" \
         "turns tcp localhost $A_TLS" "stun udp 127.0.0.1 $B_PORT" "turn udp 127.0.0.1 $B_PORT" \
         "stun udp 127.0.0.1 $C_PORT"; do
    has first "$s"
done
for s in "turn tcp 127.0.0.1 $C_PORT" "turns tcp localhost $B_TLS" "turns tcp localhost $C_TLS"; do
    lacks first "$s"
done
has first "stun udp 127.0.0.1 $P_OFF"
if grep -qx "CRED turn udp 127.0.0.1 $A_PORT ok" "$T/first.out" &&
   ! grep -q "^CRED turn tcp 127.0.0.1 $C_PORT" "$T/first.out"; then
    il_pass "credentials for the served TURN services only"
else
    il_fail "credentials: $(grep CRED "$T/first.out" | tr '\n' ';')"
fi
if grep -qx "ASKED turn tcp 127.0.0.1 $C_PORT item-not-found" "$T/first.out"; then
    il_pass "credentials asked for C's down TURN by name: item-not-found"
else
    il_fail "credentials for C's down TURN: $(grep ASKED "$T/first.out" || echo no answer)"
fi

# --- probes go only to configured addresses -----------------------------------
# (localhost may also resolve to ::1; any other address, IPv6 included, fails)
allowed=" 127.0.0.1:$A_PORT 127.0.0.1:$A_TLS 127.0.0.1:$B_PORT 127.0.0.1:$B_TLS 127.0.0.1:$C_PORT 127.0.0.1:$C_TLS [::1]:$A_TLS [::1]:$B_TLS [::1]:$C_TLS "
targets=$(grep -oE 'checked at [^ ]+: ' "$LOG" | awk '{print $3}' | sed 's/:$//' | sort -u)
bad=0
for t in $targets; do
    case $allowed in *" $t "*) ;; *) bad=1; il_log "probe to $t" ;; esac
done
if [ -n "$targets" ] && [ "$bad" = 0 ]; then
    il_pass "probes went only to the configured loopback addresses ($(wc -w <<<"$targets") seen)"
else
    il_fail "probe targets: $targets"
fi

# --- SIGUSR1 ----------------------------------------------------------------------
il_log_mark "$LOG"
kill -USR1 "$D_PID"
if il_log_wait 10 "health: turn tcp 127\.0\.0\.1:$C_PORT down \(not served\) since [0-9]+ last_check [1-9][0-9]* latency_ms -1 checks [1-9][0-9]* failures [1-9][0-9]* changes 1 last_reason allocate: error 401"; then
    il_pass "SIGUSR1 dumps each service's state"
else
    il_fail "SIGUSR1 dump"
    grep 'health: [a-z]* [a-z-]* [^ ]* \(up\|down\|unknown\)' "$LOG" | tail -n 12 >&2 || true
fi
if il_log_wait 5 "health: stun udp 127\.0\.0\.1:$P_OFF unchecked since [0-9]+ last_check 0 latency_ms -1 checks 0 "; then
    il_pass "check: {enabled: false}: the dump says unchecked, no check made"
else
    il_fail "check: {enabled: false}: no 'unchecked ... checks 0' dump line"
fi

# --- the same states on /metrics and /status (the http: listener) ---------------
M=$(curl -s --max-time 5 "http://127.0.0.1:$P_HTTP/metrics" || true)
if grep -qx "extdisco_service_up{type=\"turn\",host=\"127.0.0.1\",port=\"$C_PORT\",transport=\"tcp\"} 0" <<<"$M" &&
   grep -qx "extdisco_service_up{type=\"stun\",host=\"127.0.0.1\",port=\"$B_PORT\",transport=\"udp\"} 1" <<<"$M"; then
    il_pass "/metrics: extdisco_service_up 0 for C's TURN (401), 1 for B's STUN"
else
    il_fail "/metrics service_up: $(grep '^extdisco_service_up' <<<"$M" | tr '\n' ';')"
fi
n=$(sed -n "s/^extdisco_service_check_duration_seconds_count{type=\"stun\",host=\"127.0.0.1\",port=\"$B_PORT\",transport=\"udp\"} \([0-9]*\)$/\1/p" <<<"$M")
[ "${n:-0}" -ge 1 ] && il_pass "/metrics: a check-duration histogram per service ($n checks of B's STUN)" ||
    il_fail "/metrics: no check-duration histogram for B's STUN"
S=$(curl -s --max-time 5 "http://127.0.0.1:$P_HTTP/status" || true)
if jq -e --argjson p "$C_PORT" '[.services[] | select(.type == "turn" and .port == $p and .transport == "tcp") | .health] == ["down"]' <<<"$S" >/dev/null 2>&1; then
    il_pass "/status: C's TURN is down"
else
    il_fail "/status: $(jq -c '[.services[] | {type, port, transport, health}]' <<<"$S" 2>&1 | head -c 600)"
fi

# --- coturn A stops, then comes back -------------------------------------------
READY=$T/listen.ready STOP=$T/listen.stop
timeout 260 "$PY" "$CLIENT" listen 127.0.0.1 "$P_C2S" alice@localhost alice "$READY" "$STOP" \
    >"$T/listen.out" 2>"$T/listen.err" &
LISTEN_PID=$!
IL_PIDS+=("$LISTEN_PID")
for ((i = 0; i < 300; i++)); do [ -e "$READY" ] && break; sleep 0.1; done
[ -e "$READY" ] && il_pass "listening client online" || il_fail "listening client not ready"

il_log_mark "$LOG"
il_stop "$A_PID"
T_STOP=$(date +%s)
expect_log 20 "health: stun udp 127\.0\.0\.1:$A_PORT down: " "A stopped: its stun down"
expect_log 20 "health: turn udp 127\.0\.0\.1:$A_PORT down: " "A stopped: its turn udp down"
expect_log 20 "health: turn tcp 127\.0\.0\.1:$A_PORT down: connect: .*refused" \
    "A stopped: its turn tcp down (connection refused)"
expect_log 20 "health: turns tcp localhost:$A_TLS down: " "A stopped: its turns down"
expect_log 10 "health: every turns service is down; announcing all of them anyway \(fail open\)" \
    "all turns down: fail open logged"
# fall x (interval + 10 % jitter) + one timeout is 6.4 s; 12 s leaves room for a
# loaded machine and the sanitizer build
el=$(($(date +%s) - T_STOP))
if [ "$el" -le 12 ]; then
    il_pass "down within $el s of the stop (fall 2 x interval 2 s, timeout 2 s; bound 12 s)"
else
    il_fail "down only $el s after the stop (bound 12 s)"
fi
sleep 1
n=$(grep -c "every turns service is down" "$LOG" || true)
[ "$n" = 1 ] && il_pass "the fail-open error is logged once" || il_fail "fail-open error logged $n times"
services stopped
for s in "stun udp 127.0.0.1 $A_PORT" "turn udp 127.0.0.1 $A_PORT" "turn tcp 127.0.0.1 $A_PORT"; do
    lacks stopped "$s"
done
for s in "turns tcp localhost $A_TLS" "turns tcp localhost $B_TLS" "turns tcp localhost $C_TLS"; do
    has stopped "$s"   # fail open
done
has stopped "stun udp 127.0.0.1 $B_PORT"

il_log_mark "$LOG"   # from here, only lines logged after the restart count
il_start "$T/A/turnserver.out2" "$TURNSERVER" -c "$T/A/turnserver.conf"
A_PID=$IL_LAST_PID
il_wait_port udp "$A_PORT" 10 "$A_PID" || il_fail "coturn A did not restart"
expect_log 20 "health: stun udp 127\.0\.0\.1:$A_PORT up" "A restarted: its stun up"
expect_log 20 "health: turn udp 127\.0\.0\.1:$A_PORT up" "A restarted: its turn udp up"
expect_log 20 "health: turn tcp 127\.0\.0\.1:$A_PORT up" "A restarted: its turn tcp up"
expect_log 20 "health: turns tcp localhost:$A_TLS up" "A restarted: its turns up"
expect_log 10 "health: turns services no longer all down: fail open ends" "fail open ends"
sleep 1
services back
for s in "stun udp 127.0.0.1 $A_PORT" "turn udp 127.0.0.1 $A_PORT" "turn tcp 127.0.0.1 $A_PORT" \
         "turns tcp localhost $A_TLS"; do
    has back "$s"
done
lacks back "turns tcp localhost $B_TLS"
lacks back "turns tcp localhost $C_TLS"

touch "$STOP"
il_wait "$LISTEN_PID"
[ "$IL_RC" = 0 ] || il_fail "listening client exited $IL_RC: $(tail -n 3 "$T/listen.err")"
# push_seen ACTION "type transport host port": in order after the previous one
pos=0
push_seen() {
    local line
    line=$(grep -n "^PUSH [0-9.]* $2 $1\$" "$T/listen.out" | head -n 1 | cut -d: -f1)
    if [ -n "$line" ]; then il_pass "push: $1 $2"; else il_fail "push: no $1 for $2"; fi
    LAST_LINE=${line:-0}
}
for s in "stun udp 127.0.0.1 $A_PORT" "turn udp 127.0.0.1 $A_PORT" "turn tcp 127.0.0.1 $A_PORT"; do
    push_seen delete "$s"; d=$LAST_LINE
    push_seen add "$s"; a=$LAST_LINE
    [ "$d" -gt 0 ] && [ "$a" -gt "$d" ] && il_pass "delete before add for $s" ||
        il_fail "order of delete/add for $s"
done
for s in "turns tcp localhost $B_TLS" "turns tcp localhost $C_TLS"; do
    push_seen add "$s"
    push_seen delete "$s"
done
if grep -q "^PUSH .* turns tcp localhost $A_TLS " "$T/listen.out"; then
    il_fail "turns A was served throughout (fail open), yet pushed"
else
    il_pass "no push for A's turns (served throughout: fail open)"
fi
echo "--- the push sequence the client saw (seconds since login) ---"
grep '^PUSH ' "$T/listen.out" || true
echo "--- push stanzas: the first delete (down), the first add of a TURN service (up), the last ---"
{ grep '^PUSHXML.*action="delete"' "$T/listen.out" | sed -n '1p'
  grep '^PUSHXML.*action="add" type="turn"' "$T/listen.out" | sed -n '1p'
  grep '^PUSHXML' "$T/listen.out" | sed -n '$p'; } | cut -c9- || true
echo "---"

# --- reloads ------------------------------------------------------------------------
dump_of() { # PATTERN -> the last dump line of that service (not a state
    # change's "up: binding ok" line, which a check right after a reload logs)
    grep -E "health: $1 (up|down|unknown|unchecked)( \([^)]*\))? since " "$LOG" | tail -n 1
}
field() { sed -E "s/.* $1 ([^ ]+).*/\1/" <<<"$2"; }
usr1_dump() {
    local before
    before=$(grep -c ' checks [0-9]* failures' "$LOG" || true)
    kill -USR1 "$D_PID"
    for ((i = 0; i < 100; i++)); do
        [ "$(grep -c ' checks [0-9]* failures' "$LOG" || true)" -ge $((before + 10)) ] && return 0
        sleep 0.1
    done
}
usr1_dump
c_before=$(dump_of "turn tcp 127\.0\.0\.1:$C_PORT")
b_before=$(dump_of "stun udp 127\.0\.0\.1:$B_PORT")
il_log_mark "$LOG"
kill -HUP "$D_PID"
il_log_wait 10 "reloaded " || il_fail "no reload"
usr1_dump
c_after=$(dump_of "turn tcp 127\.0\.0\.1:$C_PORT")
b_after=$(dump_of "stun udp 127\.0\.0\.1:$B_PORT")
if [ "$(field since "$c_before")" = "$(field since "$c_after")" ] && grep -q ' down ' <<<"$c_after" &&
   [ "$(field checks "$c_after")" -ge "$(field checks "$c_before")" ]; then
    il_pass "unchanged reload: C's TURN stays down, same since, counters kept"
else
    il_fail "unchanged reload: before '$c_before' after '$c_after'"
fi
if grep -q "reloaded .*, 0 pushes sent" "$LOG"; then
    il_pass "unchanged reload: no push"
else
    il_fail "unchanged reload pushed: $(grep 'reloaded ' "$LOG" | tail -n 1)"
fi
if [ "$(field checks "$b_after")" -ge "$(field checks "$b_before")" ]; then
    il_pass "unchanged reload: B's STUN counters kept"
else
    il_fail "unchanged reload reset B's STUN: '$b_before' -> '$b_after'"
fi
write_config ", check: {fall: 3}"
nrel=$(grep -c 'reloaded ' "$LOG" || true)
kill -HUP "$D_PID"
for ((i = 0; i < 100; i++)); do
    [ "$(grep -c 'reloaded ' "$LOG")" -gt "$nrel" ] && break
    sleep 0.1
done
usr1_dump
c2=$(dump_of "turn tcp 127\.0\.0\.1:$C_PORT")
b2=$(dump_of "stun udp 127\.0\.0\.1:$B_PORT")
if [ "$(field checks "$b2")" -lt "$(field checks "$b_after")" ] &&
   [ "$(field changes "$b2")" -le 1 ]; then
    il_pass "changed reload: the changed service starts over ($(field checks "$b_after") -> $(field checks "$b2") checks)"
else
    il_fail "changed reload did not reset B's STUN: '$b_after' -> '$b2'"
fi
if [ "$(field since "$c2")" = "$(field since "$c_after")" ] && grep -q ' down ' <<<"$c2"; then
    il_pass "changed reload: the other services keep their state"
else
    il_fail "changed reload touched C's TURN: '$c_after' -> '$c2'"
fi
# the disabled STUN's port had a listener all along that counts datagrams
# (the daemon's own "checked at" debug lines are rate-limited)
if [ -s "$T/off.count" ]; then
    il_fail "check: {enabled: false}: $(cat "$T/off.count") datagram(s) reached the unchecked STUN"
elif ! kill -0 "$OFF_PID" 2>/dev/null; then
    il_fail "check: {enabled: false}: the listener on its port died"
else
    il_pass "check: {enabled: false}: nothing reached its port in $(($(date +%s) - T_OFF)) s"
fi

il_summary
