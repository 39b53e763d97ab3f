#!/usr/bin/env bash
# tests/interop/daemon_admin.sh BUILD_DIR — what an operator sees of
# extdiscod, extdiscoctl and extdisco (review r5), on loopback:
#   1. options: all three accept -h/--help and -V/--version, refuse unknown
#      ones with 2, and their man pages list exactly those;
#   2. `extdiscod -n` refuses what starting would refuse (TLS key not
#      matching the certificate, a missing certificate, an unknown `user`, a
#      missing database directory, c2s without database, the same listen
#      address twice, the same component twice), with the config key named
#      and never "(null)"; a missing file is "FILE: cannot open" (no line);
#      -n binds nothing (it passes while the daemon runs); -n -v prints
#      the effective configuration (defaults, no secret) and it loads again;
#   3. start-time errors name the key (a listen address in use); a reload
#      whose TLS key is gone logs the real reason;
#   4. SIGTERM: the host server of a component link receives
#      </stream:stream>, clients (plain, STARTTLS, direct TLS) a
#      system-shutdown stream error and </stream:stream>, then the
#      connections close and extdiscod exits 0 within the flush bound;
#   5. extdiscoctl list (sorted bare JIDs); a password with a NUL byte is
#      refused (1, the reason named, no account made) on standard input
#      and from -p FILE, as secret files with one are; as root with `user:`, the
#      database is given to that user, a directory the user cannot write
#      is pointed out, and extdiscod started as root refuses such a
#      directory after dropping privileges and runs when it is right.
# Every process is started here and stopped by PID (lib.sh).
# Exit 0 all pass, 1 any failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"

BUILD_DIR=${1:?usage: $0 BUILD_DIR}
EXTDISCO=${EXTDISCO:-$BUILD_DIR/client/extdisco}
peer_extdiscod_find "$BUILD_DIR" || exit 1
PY=/usr/bin/python3
PEERS="$HERE/daemon_peers.py"
VERSION=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$SRC/meson.build" | head -1)

il_init daemon_admin
T=$IL_TMP
chmod 755 "$T"
read -r P_COMP P_PLAIN P_STARTTLS P_DIRECT <<<"$(il_free_ports 4)"
peer_cert_make "$T" localhost
mkdir "$T/other"
peer_cert_make "$T/other" localhost
printf 'comp-%s\n' "$RANDOM$RANDOM" >"$T/component.secret"
COMP_SECRET=$(head -1 "$T/component.secret")
mkdir "$T/db"

# write_config FILE [EXTRA_TOP_LEVEL_LINE]: components + c2s, all on loopback
write_config() {
    cat >"$1" <<EOF
log: {level: info, syslog: false}
${2:-}
domains: [localhost]
services:
  - {type: stun, host: 127.0.0.1, port: 3478, transport: udp, allow_local: true}
components:
  - server: 127.0.0.1:$P_COMP
    jid: extdisco.localhost
    secret_file: component.secret
c2s:
  domain: localhost
  database: db/accounts.sqlite
  tls: {cert: cert.pem, key: key.pem}
  listen:
    - {address: "127.0.0.1:$P_PLAIN", tls: none}
    - {address: "127.0.0.1:$P_STARTTLS", tls: starttls}
    - {address: "127.0.0.1:$P_DIRECT", tls: direct}
EOF
}
CFG=$T/extdiscod.yml
write_config "$CFG"

# expect_n NAME PATTERN FILE: -n exits 1 with PATTERN (a grep -E) in its
# output, and no "(null)"
expect_n() {
    local name=$1 pat=$2 file=$3 out rc=0
    out=$(timeout 20 "$EXTDISCOD" -n -c "$file" 2>&1) || rc=$?
    if [ "$rc" -eq 1 ] && grep -qE -- "$pat" <<<"$out" && ! grep -q '(null)' <<<"$out"; then
        il_pass "-n refuses $name: $out"
    else
        il_fail "-n $name: rc=$rc, wanted /$pat/: $out"
    fi
}

# --- 1. options ---------------------------------------------------------------
for prog in "$EXTDISCOD" "$EXTDISCOCTL" "$EXTDISCO"; do
    name=$(basename "$prog")
    for o in -h --help; do
        out=$("$prog" "$o" 2>&1) && grep -q usage <<<"$out" &&
            il_pass "$name $o" || il_fail "$name $o: $out"
    done
    for o in -V --version; do
        out=$("$prog" "$o" 2>&1) && [ "$out" = "$name $VERSION" ] &&
            il_pass "$name $o: $out" || il_fail "$name $o: '$out' (want '$name $VERSION')"
    done
    rc=0
    "$prog" --no-such-option >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq 2 ] && il_pass "$name refuses an unknown option (2)" ||
        il_fail "$name --no-such-option: rc=$rc"
    usage=$("$prog" --help 2>&1 || true)
    for o in -h --help -V --version; do
        grep -qe "$o" <<<"$usage" || il_fail "$name: usage does not show $o"
    done
done
# the man pages list the same options (roff: \-h, \-\-help)
man_has() { grep -q -- "$2" "$SRC/docs/$1" || il_fail "docs/$1 does not list ${3:-$2}"; }
for page in extdiscod.8 extdiscoctl.8 extdisco.1; do
    man_has "$page" '\\-h\b' -h
    man_has "$page" '\\-\\-help' --help
    man_has "$page" '\\-V\b' -V
    man_has "$page" '\\-\\-version' --version
done
man_has extdiscoctl.8 '\\-p\b' -p
man_has extdiscoctl.8 '^\.B list' "the list command"
man_has extdiscod.8 '^\.B \\-n' -n
man_has extdiscod.8 '^\.B \\-v' -v
il_pass "man pages list -h, --help, -V, --version (and extdiscoctl's -p, list)"

# --- 2. -n -------------------------------------------------------------------
out=$("$EXTDISCOD" -n -c "$CFG" 2>&1) && il_pass "-n: $out" || il_fail "-n refuses a good config: $out"
# -n -v: the effective configuration (defaults filled in, paths absolute), no
# secret, the summary a comment; the output loads again as the same
rc=0
"$EXTDISCOD" -n -v -c "$CFG" >"$T/effective.yml" 2>"$T/effective.err" || rc=$?
eff=$(cat "$T/effective.yml" "$T/effective.err")
if [ "$rc" -eq 0 ] && ! grep -qF -- "$COMP_SECRET" "$T/effective.yml" &&
   grep -qx '  max_stanza_bytes: 65536' "$T/effective.yml" &&
   grep -qx '  require_tls: true' "$T/effective.yml" &&
   grep -qx '  idle_timeout: 600' "$T/effective.yml" &&
   grep -qxF "    secret_file: \"$T/component.secret\"  # contents: <redacted>" "$T/effective.yml" &&
   grep -qxF "  database: \"$T/db/accounts.sqlite\"" "$T/effective.yml" &&
   [ "$(tail -1 "$T/effective.yml")" = "# $CFG: OK (1 services, 1 component links, standalone server)" ]; then
    il_pass "-n -v prints the effective configuration without the secret"
else
    il_fail "-n -v: rc=$rc: $eff"
fi
out=$("$EXTDISCOD" -n -c "$T/effective.yml" 2>&1) && il_pass "-n -v output loads: $out" ||
    il_fail "the output of -n -v does not load: $out"
rc=0
"$EXTDISCOD" -v -c "$CFG" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] && il_pass "-v without -n is a usage error (2)" || il_fail "-v alone: rc=$rc"
sed "s#key: key.pem#key: other/key.pem#" "$CFG" >"$T/m-keymismatch.yml"
expect_n "a key that does not match the certificate" \
    "^$T/m-keymismatch.yml: c2s\.tls\.key $T/other/key\.pem: key values mismatch$" \
    "$T/m-keymismatch.yml"
sed "s#cert: cert.pem#cert: nocert.pem#" "$CFG" >"$T/m-nocert.yml"
expect_n "a missing certificate" \
    "^$T/m-nocert.yml: c2s\.tls\.cert $T/nocert\.pem: No such file or directory$" \
    "$T/m-nocert.yml"
sed "s#key: key.pem#key: nokey.pem#" "$CFG" >"$T/m-nokey.yml"
expect_n "a missing key" "c2s\.tls\.key $T/nokey\.pem: No such file or directory$" \
    "$T/m-nokey.yml"
write_config "$T/m-user.yml" "user: extdisco-no-such-user"
expect_n "an unknown user" "^$T/m-user.yml: user: no such user 'extdisco-no-such-user'$" \
    "$T/m-user.yml"
sed "s#database: db/#database: nodir/#" "$CFG" >"$T/m-nodir.yml"
expect_n "a missing database directory" \
    "c2s\.database $T/nodir/accounts\.sqlite: directory $T/nodir: No such file or directory" \
    "$T/m-nodir.yml"
sed "/database:/d" "$CFG" >"$T/m-nodb.yml"
expect_n "c2s without database" "^$T/m-nodb.yml:[0-9]+: c2s: missing required key 'database'" \
    "$T/m-nodb.yml"
sed "s#^    - {address: \"127.0.0.1:$P_DIRECT\", tls: direct}#&\n    - {address: \"127.0.0.1:$P_DIRECT\", tls: starttls}#" \
    "$CFG" >"$T/m-duplisten.yml"
expect_n "the same listen address twice" \
    "^$T/m-duplisten.yml:[0-9]+: c2s\.listen\[3\]\.address: '127\.0\.0\.1:$P_DIRECT' is the same address as c2s\.listen\[2\]" \
    "$T/m-duplisten.yml"
sed "s#^components:#&\n  - {server: \"127.0.0.1:$P_COMP\", jid: extdisco.localhost, secret_file: component.secret}#" \
    "$CFG" >"$T/m-dupcomp.yml"
expect_n "the same component twice" \
    "^$T/m-dupcomp.yml:[0-9]+: components\[1\]: same server and jid as components\[0\]" \
    "$T/m-dupcomp.yml"
expect_n "a missing file" "^$T/nothere.yml: cannot open: No such file or directory$" \
    "$T/nothere.yml"

# --- 3 + 4. start, -n while running, reload, SIGTERM --------------------------
STOP=$T/stop
mkdir "$STOP"
timeout 60 "$PY" "$PEERS" component "$P_COMP" extdisco.localhost "$COMP_SECRET" \
    "$STOP/comp.ready" >"$STOP/comp.out" 2>&1 &
COMP_PID=$!
IL_PIDS+=("$COMP_PID")
il_wait_port tcp "$P_COMP" 10 "$COMP_PID" || il_fail "fake host server did not listen"
cp "$T/key.pem" "$T/key.pem.orig"
peer_extdiscod_start "$CFG" "$T/extdiscod.log" "$P_PLAIN" "$P_STARTTLS" "$P_DIRECT" ||
    { il_fail "extdiscod did not start"; cat "$T/extdiscod.log" >&2; il_summary; exit 1; }
D_PID=$PEER_ED_PID
# a second daemon on the same addresses: refused, naming the key
rc=0
out=$(timeout 10 "$EXTDISCOD" -c "$CFG" 2>&1) || rc=$?
if [ "$rc" -eq 1 ] &&
   grep -q "$CFG: c2s.listen\[0\].address 127.0.0.1:$P_PLAIN: Address already in use" <<<"$out"; then
    il_pass "start: an address in use names c2s.listen[0].address"
else
    il_fail "start with the addresses in use: rc=$rc: $out"
fi
out=$("$EXTDISCOD" -n -c "$CFG" 2>&1) && il_pass "-n passes while the daemon holds the ports" ||
    il_fail "-n while running: $out"
# reload without the key file: the old certificate stays, the reason is real
rm "$T/key.pem"
kill -HUP "$D_PID"
il_wait_for 10 grep -q "keeping the old certificate" "$T/extdiscod.log" || true
line=$(grep "keeping the old certificate" "$T/extdiscod.log" || true)
if grep -q "c2s.tls.key $T/key.pem: No such file or directory" <<<"$line" &&
   ! grep -q '(null)' <<<"$line"; then
    il_pass "reload without the key logs: ${line#* extdiscod\[error\] }"
else
    il_fail "reload without the key: '$line'"
fi
mv "$T/key.pem.orig" "$T/key.pem"
il_wait_for 15 test -e "$STOP/comp.ready" || il_fail "the component link did not connect"
CLIENTS=()
for mode in plain starttls direct; do
    case $mode in plain) p=$P_PLAIN ;; starttls) p=$P_STARTTLS ;; direct) p=$P_DIRECT ;; esac
    timeout 60 "$PY" "$PEERS" c2s "$p" "$mode" localhost "$STOP/$mode.ready" \
        >"$STOP/$mode.out" 2>&1 &
    CLIENTS+=("$!")
    IL_PIDS+=("$!")
done
for mode in plain starttls direct; do
    il_wait_for 15 test -e "$STOP/$mode.ready" || il_fail "c2s $mode client: no stream"
done
t0=$(date +%s%N)
kill -TERM "$D_PID"
il_wait "$D_PID"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$IL_RC" -eq 0 ] && il_pass "SIGTERM: exit 0 after $ms ms" || il_fail "SIGTERM: exit $IL_RC"
[ "$ms" -lt 3500 ] || il_fail "SIGTERM: stopping took $ms ms (bound: 3 s)"
grep -q "stopped" "$T/extdiscod.log" || il_fail "SIGTERM: no 'stopped' log line"
il_wait "$COMP_PID"
if grep -q "RESULT close-tag=yes .*eof=yes" "$STOP/comp.out"; then
    il_pass "SIGTERM: the host server received </stream:stream>, then the close"
else
    il_fail "SIGTERM: host server: $(cat "$STOP/comp.out")"
fi
for i in 0 1 2; do
    mode=$(echo plain starttls direct | cut -d' ' -f$((i + 1)))
    il_wait "${CLIENTS[$i]}"
    if grep -q "RESULT close-tag=yes shutdown=yes eof=yes" "$STOP/$mode.out"; then
        il_pass "SIGTERM: $mode client received system-shutdown and </stream:stream>"
    else
        il_fail "SIGTERM: $mode client: $(cat "$STOP/$mode.out")"
    fi
done

# --- 5. extdiscoctl list, ownership -------------------------------------------
for u in zoe alice bob; do
    "$EXTDISCOCTL" -c "$CFG" adduser "$u@localhost" <<<"pw-$u" >/dev/null ||
        il_fail "extdiscoctl adduser $u"
done
out=$("$EXTDISCOCTL" -c "$CFG" list 2>&1 || true)
[ "$out" = $'alice@localhost\nbob@localhost\nzoe@localhost' ] &&
    il_pass "extdiscoctl list: sorted, one bare JID a line" || il_fail "extdiscoctl list: '$out'"
rc=0
"$EXTDISCOCTL" -c "$CFG" list alice@localhost >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] && il_pass "extdiscoctl list takes no argument (2)" || il_fail "list with an argument: $rc"
printf 'ab\0cd\n' >"$T/nul.pass"
for how in stdin file; do
    rc=0
    if [ $how = stdin ]; then
        out=$(printf 'ab\0cd\n' | "$EXTDISCOCTL" -c "$CFG" adduser nul@localhost 2>&1) || rc=$?
    else
        out=$("$EXTDISCOCTL" -c "$CFG" adduser nul@localhost -p "$T/nul.pass" 2>&1) || rc=$?
    fi
    if [ "$rc" -eq 1 ] && grep -q 'NUL byte' <<<"$out" &&
        ! "$EXTDISCOCTL" -c "$CFG" list | grep -q '^nul@'; then
        il_pass "extdiscoctl refuses a password with a NUL byte ($how): '$out'"
    else
        il_fail "password with a NUL byte ($how): rc $rc, '$out'"
        "$EXTDISCOCTL" -c "$CFG" deluser nul@localhost >/dev/null 2>&1 || true
    fi
done
rc=0
out=$(printf 'ab\0cd\n' | "$EXTDISCOCTL" -c "$CFG" passwd alice@localhost 2>&1) || rc=$?
[ "$rc" -eq 1 ] && grep -q 'NUL byte' <<<"$out" &&
    il_pass "extdiscoctl passwd refuses it too" || il_fail "passwd with a NUL byte: rc $rc, '$out'"
# the client reads its password the same way (it connects to nothing here:
# the password is read before any connection)
for how in stdin file; do
    rc=0
    if [ $how = stdin ]; then
        out=$(printf 'ab\0cd\n' | timeout 10 "$EXTDISCO" --jid alice@localhost \
              --server 127.0.0.1:1 services 2>&1) || rc=$?
    else
        out=$(timeout 10 "$EXTDISCO" --jid alice@localhost --server 127.0.0.1:1 \
              --password-file "$T/nul.pass" services 2>&1) || rc=$?
    fi
    [ "$rc" -eq 2 ] && grep -q 'NUL byte' <<<"$out" &&
        il_pass "extdisco refuses a password with a NUL byte ($how)" ||
        il_fail "extdisco password with a NUL byte ($how): rc $rc, '$out'"
done

if [ "$(id -u)" -eq 0 ] && getent passwd nobody >/dev/null; then
    NOGROUP=$(id -gn nobody)
    U=$T/u
    mkdir -p "$U/db"
    cp "$T/cert.pem" "$T/key.pem" "$T/component.secret" "$U/"
    # the daemon's files: owned by root, group of the daemon's user, 0640
    chgrp "$NOGROUP" "$U/key.pem" "$U/component.secret"
    chmod 0640 "$U/key.pem" "$U/component.secret"
    write_config "$U/extdiscod.yml" "user: nobody"
    out=$("$EXTDISCOCTL" -c "$U/extdiscod.yml" adduser carol@localhost <<<"pw" 2>&1 || true)
    owner=$(stat -c %U "$U/db/accounts.sqlite" 2>&1 || true)
    [ "$owner" = nobody ] && il_pass "extdiscoctl as root gives the database to user nobody" ||
        il_fail "database owner after adduser: $owner"
    grep -q "$U/db is not writable by nobody" <<<"$out" &&
        il_pass "extdiscoctl points out a directory nobody cannot write" ||
        il_fail "no note about the directory: $out"
    rc=0
    out=$(timeout 20 "$EXTDISCOD" -c "$U/extdiscod.yml" 2>&1) || rc=$?
    if [ "$rc" -eq 1 ] && grep -q "c2s.database: $U/db/accounts.sqlite: not writable" <<<"$out"; then
        il_pass "extdiscod refuses a database directory its user cannot write"
    else
        il_fail "start with an unwritable database directory: rc=$rc: $out"
    fi
    chown nobody "$U/db"
    chmod 0700 "$U/db"
    if peer_extdiscod_start "$U/extdiscod.yml" "$U/extdiscod.log" "$P_PLAIN"; then
        grep -q "running as nobody" "$U/extdiscod.log" &&
            il_pass "extdiscod runs as nobody with the documented file layout" ||
            il_fail "no 'running as nobody': $(cat "$U/extdiscod.log")"
        # reload as nobody: secrets and key are read again (group-readable)
        kill -HUP "$PEER_ED_PID"
        il_wait_for 10 grep -q "reloaded" "$U/extdiscod.log" &&
            ! grep -q "keeping the old certificate" "$U/extdiscod.log" &&
            il_pass "reload as nobody reads the 0640 root:$NOGROUP files" ||
            il_fail "reload as nobody: $(tail -3 "$U/extdiscod.log")"
        il_stop "$PEER_ED_PID"
    else
        il_fail "extdiscod as nobody did not start: $(cat "$U/extdiscod.log")"
    fi
else
    il_log "not root (or no user nobody): ownership checks skipped"
fi


# --- 6. out of file descriptors: accept pauses, then resumes -------------------
# The listener pauses 100 ms after an accept error (EMFILE) on a timer the
# listener owns; once connections close, new ones are accepted again.
il_start "$T/emfile.log" bash -c 'ulimit -n 40 && exec "$0" "$@"' "$EXTDISCOD" -c "$CFG"
E_PID=$IL_LAST_PID
if il_wait_port tcp "$P_PLAIN" 10 "$E_PID"; then
    r=$(timeout 30 "$PY" - "$P_PLAIN" <<'PYEOF'
import socket, sys, time
port = int(sys.argv[1])
# from 60 addresses: limits.max_unauthenticated_per_address would close
# the 17th connection of one address at once, freeing its descriptor
held = [socket.create_connection(('127.0.0.1', port), timeout=2,
                                 source_address=('127.0.3.%d' % (i + 1), 0)) for i in range(60)]
time.sleep(1.0)
for s in held:
    s.close()
time.sleep(1.0)
s = socket.create_connection(('127.0.0.1', port), timeout=5)
s.sendall(b"<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
s.settimeout(5)
data = b''
try:
    while b'<stream:features' not in data:
        c = s.recv(4096)
        if not c:
            break
        data += c
except OSError:
    pass
print('features' if b'<stream:features' in data else 'none')
PYEOF
)
    grep -q "c2s: accept: Too many open files" "$T/emfile.log" &&
        il_pass "out of descriptors: accept errors logged (EMFILE)" ||
        il_fail "no EMFILE accept error with 40 descriptors and 60 connections"
    [ "$r" = features ] && il_pass "after they close, a new connection is served" ||
        il_fail "after EMFILE, a new connection got no features ($r)"
    kill -0 "$E_PID" 2>/dev/null && il_pass "extdiscod survived EMFILE" ||
        il_fail "extdiscod died at EMFILE"
else
    il_fail "extdiscod with 40 descriptors did not start: $(tail -3 "$T/emfile.log")"
fi
il_stop "$E_PID"

il_summary
