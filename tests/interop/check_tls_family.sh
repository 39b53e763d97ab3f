#!/usr/bin/env bash
# tests/interop/check_tls_family.sh — `extdisco check` (issue 13): TLS
# details of turns/stuns, address families, and login errors a person can
# act on.  One coturn (127.0.0.1 and ::1, TLS with a certificate from a
# test CA made here by openssl), three `openssl s_server`s with bad
# certificates, one extdiscod (standalone, check.test, same CA).
#
#   tests/interop/check_tls_family.sh BUILD_DIR
#
# Name resolution of the client: run in a private mount namespace (unshare
# -m, root as in CI) with its own /etc/hosts (dual.test -> 127.0.0.1 and
# ::1) and an /etc/nsswitch.conf of "hosts: files", so no DNS query leaves
# the machine.  Cases:
#   turns dual.test (certificate for dual.test from the test CA) and turn
#     udp dual.test -> one row per family, IPv4 and IPv6, all ok; TLS
#     version, certificate subject/issuer/notAfter reported; --ipv4 and
#     --ipv6 give only that family;
#   stuns on s_servers: wrong.test (-> 127.0.0.1) with a certificate for
#     wrongname.test -> FAIL hostname mismatch; expired -> FAIL "certificate has expired"; valid 5 days ->
#     cert-expires-soon warning (the s_server then does not speak STUN: FAIL);
#   login errors: connection refused, no route (unshare -n: a network
#     namespace whose lo is down), DNS failure, TLS certificate problem
#     (another CA), wrong password, then throttled — each its own message.
# Exit 0 all pass, 1 any failure (also when not root), 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${1:-${BUILD:-$SRC/build}}
if [ -z "${CHECK_TLS_NS:-}" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "FAIL: needs root (a private mount namespace for /etc/hosts)"
        exit 1
    fi
    CHECK_TLS_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"

EXTDISCO=${EXTDISCO:-$BUILD_DIR/client/extdisco}
TURNSERVER=${TURNSERVER:-/usr/bin/turnserver}
if [ ! -x "$EXTDISCO" ]; then
    echo "FAIL: $EXTDISCO not built"
    exit 1
fi
peer_extdiscod_find "$BUILD_DIR" || exit 1
for t in "$TURNSERVER" jq openssl; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

il_init check_tls_family
T=$IL_TMP
chmod 755 "$T"
SECRET="turn-$RANDOM$RANDOM$RANDOM"
printf '%s\n' "$SECRET" >"$T/turn.secret"
printf '%s\n' "alice-pw-$RANDOM$RANDOM" >"$T/alice.pw"
printf 'not-the-password\n' >"$T/wrong.pw"

# ---------------------------------------------------------------- resolver
printf '127.0.0.1 localhost\n::1 localhost\n127.0.0.1 dual.test\n::1 dual.test\n127.0.0.1 wrong.test\n' >"$T/hosts"
printf 'hosts: files\n' >"$T/nsswitch.conf"
mount --bind "$T/hosts" /etc/hosts
mount --bind "$T/nsswitch.conf" /etc/nsswitch.conf

# ---------------------------------------------------------------- test CA
# leaf NAME DAYS SAN...: $T/NAME.pem + $T/NAME.key signed by the test CA
# (DAYS may be negative: already expired)
ssl() { openssl "$@" >>"$T/openssl.log" 2>&1; }
ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3 \
    -subj "/CN=extdisco test CA" -keyout "$T/ca.key" -out "$T/ca.pem"
mkdir -p "$T/other"
ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3 \
    -subj "/CN=another CA" -keyout "$T/other/ca.key" -out "$T/other/ca.pem"
leaf() {
    local name=$1 days=$2 san
    shift 2
    san=$(IFS=,; printf '%s' "$*")
    ssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$name" \
        -keyout "$T/$name.key" -out "$T/$name.csr"
    printf 'subjectAltName=%s\n' "$san" >"$T/$name.ext"
    ssl x509 -req -in "$T/$name.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
        -days "$days" -extfile "$T/$name.ext" -out "$T/$name.pem"
    chmod 644 "$T/$name.key"
}
leaf check.test 3 DNS:check.test
leaf dual.test 30 DNS:dual.test
leaf wrongname.test 30 DNS:wrongname.test
leaf expired.test -1 IP:127.0.0.1
leaf soon.test 5 IP:127.0.0.1

# ---------------------------------------------------------------- servers
peer_coturn_start --realm tls.test --relays 30 --also-listen ::1 \
    --tls "$T/dual.test.pem" "$T/dual.test.key" "$SECRET" ||
    { echo "FAIL: coturn did not start"; exit 1; }
TURN=$PEER_TURN_PORT TLS=$PEER_TURN_TLS_PORT
read -r S_WRONG S_EXPIRED S_SOON XP DEAD <<<"$(il_free_ports 5)"
for s in "wrongname.test $S_WRONG" "expired.test $S_EXPIRED" "soon.test $S_SOON"; do
    read -r name port <<<"$s"
    il_start "$T/s_server_$name.log" timeout 120 openssl s_server -quiet -accept "127.0.0.1:$port" \
        -cert "$T/$name.pem" -key "$T/$name.key"
    il_wait_port tcp "$port" 10 "$IL_LAST_PID" || { echo "FAIL: s_server $name"; exit 1; }
done
mkdir -p "$T/ed"
{
    # no health checks: they would hold the single-connection s_servers
    printf 'log: {level: info, syslog: false}\ndomains: [check.test]\ncheck: {enabled: false}\n'
    printf 'turn_secrets:\n  - {name: main, secret_files: [../turn.secret], ttl: 1h}\nservices:\n'
    printf '  - {type: turns, host: dual.test, port: %s, transport: tcp, credentials: main}\n' "$TLS"
    printf '  - {type: turn, host: dual.test, port: %s, transport: udp, credentials: main}\n' "$TURN"
    printf '  - {type: stuns, host: wrong.test, port: %s, transport: tcp, name: wrongname}\n' "$S_WRONG"
    printf '  - {type: stuns, host: 127.0.0.1, port: %s, transport: tcp, allow_local: true, name: expired}\n' "$S_EXPIRED"
    printf '  - {type: stuns, host: 127.0.0.1, port: %s, transport: tcp, allow_local: true, name: soon}\n' "$S_SOON"
    peer_extdiscod_c2s_yaml check.test ../check.test.pem ../check.test.key "127.0.0.1:$XP=starttls"
} >"$T/ed/x.yml"
peer_extdiscod_check "$T/ed/x.yml" "$T/ed/check-config.log" || { echo "FAIL: config"; exit 1; }
"$EXTDISCOCTL" -c "$T/ed/x.yml" adduser alice@check.test --password-file "$T/alice.pw" \
    >"$T/ed/adduser.log" 2>&1 || { cat "$T/ed/adduser.log"; exit 1; }
peer_extdiscod_start "$T/ed/x.yml" "$T/ed/x.log" "$XP" || { echo "FAIL: extdiscod"; exit 1; }

# ---------------------------------------------------------------- helpers
# ed OUT [--server S] [--ca C] [--pw F] ARGS...: extdisco as alice, exit in RC
ed() {
    local out=$1 server="127.0.0.1:$XP" ca="$T/ca.pem" pw="$T/alice.pw"
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        --server) server=$2; shift 2 ;;
        --ca) ca=$2; shift 2 ;;
        --pw) pw=$2; shift 2 ;;
        *) break ;;
        esac
    done
    RC=0
    timeout 60 "$EXTDISCO" --jid alice@check.test --server "$server" --ca-file "$ca" \
        --password-file "$pw" --timeout 5 "$@" >"$T/$out.out" 2>"$T/$out.err" || RC=$?
}
show() { sed 's/^/    /' "$@" 2>/dev/null | cut -c1-600 | head -n 40 || true; }
expect() {
    local name=$1 want=$2 expr=$3 file=$4
    if [ "$RC" -ne "$want" ]; then
        il_fail "$name: exit $RC, want $want"; show "$file" "${file%.out}.err"
    elif jq -e "$expr" "$file" >/dev/null 2>&1; then
        il_pass "$name"
    else
        il_fail "$name: jq '$expr' is false"; show "$file" "${file%.out}.err"
    fi
}
expect_err() {
    local name=$1 want=$2 re=$3 file=$4
    if [ "$RC" -eq "$want" ] && grep -Eq -- "$re" "$file"; then
        il_pass "$name: $(head -c 200 "$file")"
    else
        il_fail "$name: exit $RC (want $want), /$re/?"; show "$file"
    fi
}

# ---------------------------------------------------------------- families + TLS
ed all check --json
cp "$T/all.out" "$T/all.json"
ed all_t check
cp "$T/all_t.out" "$T/all_table.txt"
# rows: turns v4, turns v6, turn v4, turn v6, then the three stuns
expect "dual.test: turns and turn each checked over IPv4 and IPv6 (::1), all ok, relay round trip ok, no NAT hint across families" 1 \
    '[.services[0:4][] | [.service.type, .family, .status != "failed", .result.server[0:1]]] ==
       [["turns","ipv4",true,"1"],["turns","ipv6",true,"["],["turn","ipv4",true,"1"],["turn","ipv6",true,"["]]
     and all(.services[0:4][]; any(.steps[]; .step == "relay" and .status == "ok"))
     and ([.services[0:4][] | .nat_suspected] == [false, null, false, null])' "$T/all.out"
expect "turns: TLS version, certificate subject, issuer (test CA) and notAfter (~30 days) reported, no expiry warning" 1 \
    '(.services[0].result.tls | (.version | test("^TLSv1\\.[23]$")) and (.cert_subject | test("CN *= *dual.test"))
       and (.cert_issuer | test("extdisco test CA")) and (.cert_not_after - now > 29 * 86400))
     and all(.services[0].flags[]; .code != "cert-expires-soon")' "$T/all.out"
expect "stuns wrong host name -> FAIL tls, hostname mismatch" 1 \
    '.services[4] | .service.host == "wrong.test" and .status == "failed" and .result.fail == "tls" and (.result.error_reason | test("[Hh]ostname mismatch"))' "$T/all.out"
expect "stuns expired certificate -> FAIL tls, certificate has expired" 1 \
    '.services[5] | .status == "failed" and .result.fail == "tls" and (.result.error_reason | test("expired"))' "$T/all.out"
expect "stuns certificate valid 5 days -> cert-expires-soon warning" 1 \
    '.services[6] | any(.flags[]; .code == "cert-expires-soon" and .severity == "warning" and (.message | test("expires in [45] days")))' "$T/all.out"
if grep -Eq '^(ok|warn) +turns +tcp +dual\.test:[0-9]+/IPv6 ' "$T/all_t.out" &&
   grep -Eq '^(ok|warn) +turn +udp +dual\.test:[0-9]+/IPv4 ' "$T/all_t.out"; then
    il_pass "table: one row per family (/IPv4, /IPv6)"
else
    il_fail "table rows per family"; show "$T/all_t.out"
fi
ed v6 check --json --ipv6 --type turn
expect "--ipv6 --type turn: one row, over ::1" 0 \
    '[.services[] | [.family, .result.server[0:4]]] == [["ipv6","[::1"]]' "$T/v6.out"
ed v4 check --json --ipv4 --type turns
expect "--ipv4 --type turns: one row, over 127.0.0.1" 0 \
    '[.services[] | [.family, .result.server[0:9]]] == [["ipv4","127.0.0.1"]]' "$T/v4.out"

# ---------------------------------------------------------------- login errors
ed refused --server "127.0.0.1:$DEAD" check
expect_err "refused connection" 2 '^extdisco: connection refused by 127\.0\.0\.1' "$T/refused.err"
# no route: a network namespace of our own where even lo is down
RC=0
timeout 30 unshare -n "$EXTDISCO" --jid alice@check.test --server "127.0.0.1:$XP" \
    --ca-file "$T/ca.pem" --password-file "$T/alice.pw" check >"$T/noroute.out" 2>"$T/noroute.err" || RC=$?
expect_err "no route (own network namespace, lo down)" 2 '^extdisco: no route to 127\.0\.0\.1: Network is unreachable' "$T/noroute.err"
ed dns --server "nothere.invalid:$XP" check
expect_err "DNS failure" 2 '^extdisco: DNS lookup of nothere\.invalid failed' "$T/dns.err"
ed badca --ca "$T/other/ca.pem" check
expect_err "TLS certificate problem" 2 '^extdisco: TLS certificate problem' "$T/badca.err"
ed badpw --pw "$T/wrong.pw" check
expect_err "wrong password" 2 '^extdisco: authentication failed: wrong JID or password' "$T/badpw.err"
throttled=0
for i in 1 2 3 4 5 6; do
    ed "throttle$i" --pw "$T/wrong.pw" check
    if grep -q 'login throttled' "$T/throttle$i.err"; then throttled=$i; break; fi
done
if [ "$throttled" -gt 0 ]; then
    RC=2
    expect_err "throttled (after $throttled more failures)" 2 '^extdisco: login throttled' "$T/throttle$throttled.err"
else
    il_fail "never throttled"; show "$T/throttle6.err"
fi
il_summary
