#!/usr/bin/env bash
# tests/interop/daemon_files.sh BUILD_DIR — issue 10 item 7 (files): a file
# extdiscod reads that is not a regular file never blocks it.
#   1. `extdiscod -n` exits 1 within LIMIT_N seconds, with "FILE: not a
#      regular file" (or "larger than"), when the configuration file, a TURN
#      secret file, a component secret file, the TLS certificate, the TLS key
#      or the account database is a FIFO (no writer: a blocking open(2) never
#      returns), a directory or a character device (/dev/zero: endless
#      bytes); and when one of the files is larger than its bound (2 MiB).
#   2. A running daemon SIGHUPed while the TURN secret, the TLS key or the
#      configuration file itself is a FIFO logs the refusal, keeps its
#      configuration (TURN credentials still minted) and answers a new
#      client's ping and services request within LIMIT_HUP seconds; with the
#      files restored the next SIGHUP reloads.
#   3. The certificate and key are read by extdiscod and handed to OpenSSL
#      from memory: a chain (leaf + CA) is served whole after a reload; an
#      encrypted key is refused at once, even with a terminal (no prompt).
# On 16d8f94 every FIFO case hangs (-n killed by timeout, the SIGHUPed
# daemon answers nothing).  Every process is started here and stopped by PID.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/c2s_common.sh
. "$HERE/c2s_common.sh"

BUILD_DIR=${1:?usage: $0 BUILD_DIR}
LIMIT_N=5     # seconds; a refused file takes ~0.05 s, a blocked open forever
LIMIT_HUP=3   # seconds for a login, a ping and a services request after SIGHUP
il_init daemon_files
c2s_setup "$BUILD_DIR"
T=$IL_TMP
printf 'comp-secret\n' >"$T/component.secret"

# make_bad KIND PATH: PATH becomes a FIFO, a directory, /dev/zero or 2 MiB
make_bad() {
    rm -rf -- "$2"
    case $1 in
    fifo) mkfifo "$2" ;;
    dir) mkdir "$2" ;;
    chardev) ln -s /dev/zero "$2" ;;
    big) head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' a >"$2" ;;
    esac
}

# case_n KIND FILE PATTERN: a copy of the setup with FILE made KIND; -n
# must exit 1 within LIMIT_N s and print PATTERN (grep -F) naming the file
n=0
case_n() {
    local kind=$1 file=$2 pat=$3 d out rc=0 t0 t1
    n=$((n + 1))
    d=$T/case$n
    mkdir "$d"
    cp "$T"/{extdiscod.yml,turn.secret,component.secret,cert.pem,key.pem,accounts.sqlite} "$d/"
    cat >>"$d/extdiscod.yml" <<EOF2
components:
  - server: 127.0.0.1:$TURN_PORT
    jid: extdisco.localhost
    secret_file: component.secret
EOF2
    make_bad "$kind" "$d/$file"
    t0=$(date +%s.%N)
    out=$(timeout "$LIMIT_N" "$EXTDISCOD" -n -c "$d/extdiscod.yml" 2>&1 </dev/null) || rc=$?
    t1=$(date +%s.%N)
    local secs
    secs=$(printf '%.2f' "$(bc <<<"$t1 - $t0")")
    if [ "$rc" -eq 1 ] && grep -qF -- "$d/$file: $pat" <<<"$out"; then
        il_pass "-n, $file a $kind: refused in $secs s (bound $LIMIT_N s): $out"
    else
        il_fail "-n, $file a $kind: rc=$rc after $secs s (124: timed out), wanted '$d/$file: $pat': $out"
    fi
}

# a good setup passes first (the cases below differ by one file)
mkdir "$T/case0"
cp "$T"/{extdiscod.yml,turn.secret,cert.pem,key.pem,accounts.sqlite} "$T/case0/"
timeout "$LIMIT_N" "$EXTDISCOD" -n -c "$T/case0/extdiscod.yml" >"$T/n0.out" 2>&1 &&
    il_pass "-n accepts the unchanged setup" || il_fail "-n unchanged: $(cat "$T/n0.out")"

for kind in fifo dir chardev; do
    for f in extdiscod.yml turn.secret component.secret cert.pem key.pem accounts.sqlite; do
        case_n "$kind" "$f" "not a regular file"
    done
done
for f in extdiscod.yml cert.pem key.pem; do
    case_n big "$f" "larger than 1048576 bytes"
done
for f in turn.secret component.secret; do
    case_n big "$f" "larger than 4096 bytes"
done

# --- 2. SIGHUP while a file is a FIFO ------------------------------------------------
c2s_start
ask() { timeout $((LIMIT_HUP + 5)) /usr/bin/python3 "$HERE/c2s_files.py" "$P_DIRECT" "$LIMIT_HUP" 2>&1; }
out=$(ask) && grep -q '^services: [1-9]' <<<"$out" &&
    il_pass "before any reload: $(tr '\n' ' ' <<<"$out")" ||
    il_fail "before any reload: $out"
before=$(grep '^services:' <<<"$out" || true)

# hup_fifo FILE: FILE (in $T) becomes a FIFO, SIGHUP, the daemon answers
hup_fifo() {
    local f=$1 out
    mv "$T/$f" "$T/$f.keep"
    mkfifo "$T/$f"
    kill -HUP "$D_PID"
    sleep 0.3
    if out=$(ask) && [ "$(grep '^services:' <<<"$out")" = "$before" ]; then
        il_pass "SIGHUP with $f a FIFO: still answering, same services: $(tr '\n' ' ' <<<"$out")"
    else
        il_fail "SIGHUP with $f a FIFO: $out (before: $before)"
    fi
    il_wait_for 3 grep -qF "$T/$f: not a regular file" "$T/extdiscod.log" &&
        il_pass "the refusal of $f is logged" ||
        il_fail "no '$T/$f: not a regular file' in the log"
    rm -f "$T/$f"
    mv "$T/$f.keep" "$T/$f"
}
hup_fifo turn.secret
hup_fifo key.pem
hup_fifo extdiscod.yml

kill -HUP "$D_PID"
il_wait_for 3 grep -q "reloaded $CFG" "$T/extdiscod.log" &&
    il_pass "with the files restored, SIGHUP reloads" ||
    il_fail "no 'reloaded' after restoring the files"
out=$(ask) && il_pass "answering after the good reload" || il_fail "after the good reload: $out"
# --- 3. TLS material read from memory --------------------------------------------
# a chain (leaf + CA) is served whole after a reload; an encrypted key is
# refused at once, never prompted for on the terminal (script(1) gives -n one)
mkdir "$T/chain"
(
    cd "$T/chain"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=TestCA -keyout ca.key -out ca.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj /CN=localhost -keyout key.pem -out leaf.csr
    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -out leaf.pem
    openssl pkey -in key.pem -aes256 -passout pass:secret -out enc.pem
) >/dev/null 2>&1
cat "$T/chain/leaf.pem" "$T/chain/ca.pem" >"$T/cert.pem"
cp "$T/chain/key.pem" "$T/key.pem"
kill -HUP "$D_PID"
sleep 1
certs=$(timeout 10 openssl s_client -connect "127.0.0.1:$P_DIRECT" -showcerts </dev/null 2>/dev/null |
    grep -c 'BEGIN CERTIFICATE' || true)
[ "$certs" = 2 ] && il_pass "the reloaded chain is served whole (2 certificates)" ||
    il_fail "the reloaded chain: $certs certificates served, wanted 2"
mkdir "$T/enc"
cp "$T"/{extdiscod.yml,turn.secret,cert.pem,accounts.sqlite} "$T/enc/"
cp "$T/chain/enc.pem" "$T/enc/key.pem"
rc=0
out=$(timeout "$LIMIT_N" script -qec "$EXTDISCOD -n -c $T/enc/extdiscod.yml" /dev/null 2>&1 </dev/null) || rc=$?
if [ "$rc" -eq 1 ] && grep -qF "c2s.tls.key $T/enc/key.pem" <<<"$out" && ! grep -qi 'Enter PEM pass phrase' <<<"$out"; then
    il_pass "an encrypted key is refused without a prompt: $(tr -d '\r' <<<"$out")"
else
    il_fail "an encrypted key, -n on a terminal: rc=$rc (124: waited for a pass phrase): $out"
fi
kill -0 "$D_PID" 2>/dev/null && il_pass "extdiscod still running" || il_fail "extdiscod died"
il_summary
