#!/usr/bin/env bash
# tests/interop/c2s_subscribe.sh BUILD_DIR — subscriptions extdiscod's
# standalone server cannot carry out (tests/interop/c2s_subscribe.py):
#   1. issue 10 item 12: a subscribe to an account that does not exist is
#      answered with unsubscribed from the contact's bare JID (RFC 6121
#      §3.1.3, §8.5), after the roster pushes of §3.1.2 and §3.2.3;
#   2. the documented directed-presence limit: a 33rd target forgets the
#      oldest, which then gets no unavailable presence;
#   3. the database's file system is full: a subscribe is neither stored
#      nor delivered, the sender gets resource-constraint (wait); with the
#      space back it works.  The database lives on a 2 MiB tmpfs mounted in
#      a private mount namespace (unshare -m: root, as in CI).
# On 16d8f94 the first gets no answer, the second is delivered to bob.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?usage: $0 BUILD_DIR}
if [ -z "${C2S_SUBSCRIBE_NS:-}" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "FAIL: needs root (a tmpfs in a private mount namespace for the disk-full case)"
        exit 1
    fi
    C2S_SUBSCRIBE_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/c2s_common.sh
. "$HERE/c2s_common.sh"

il_init c2s_subscribe
T=$IL_TMP
mkdir "$T/db"
mount -t tmpfs -o size=2m,mode=0700 extdisco-test "$T/db"
trap 'rc=$?; umount -l "$T/db" 2>/dev/null || true; (exit $rc); il_cleanup' EXIT
c2s_setup "$BUILD_DIR"
sed -i 's#database: accounts.sqlite#database: db/accounts.sqlite#' "$CFG"
"$EXTDISCOCTL" -c "$CFG" adduser alice@localhost <<<"alice" >/dev/null
"$EXTDISCOCTL" -c "$CFG" adduser bob@localhost <<<"bob" >/dev/null
"$EXTDISCOCTL" -c "$CFG" adduser carol@localhost <<<"carol" >/dev/null
c2s_start

# run MODE MIN_OK ARGS...: the script's checks as PASS/FAIL lines
run() {
    local mode=$1 min=$2 out=$IL_TMP/$1.out
    shift 2
    timeout 60 /usr/bin/python3 "$HERE/c2s_subscribe.py" "$mode" "$@" >"$out" 2>"$out.err" || true
    while IFS= read -r line; do
        case $line in
        ok:*) il_pass "${line#ok: }" ;;
        FAIL:*) il_fail "${line#FAIL: }" ;;
        esac
    done <"$out"
    [ "$(grep -c '^ok:' "$out")" -ge "$min" ] ||
        il_fail "$mode: stopped early: $(tail -3 "$out.err")"
}
run nobody 10 "$P_DIRECT"
run directed 2 "$P_DIRECT"
run diskfull 6 "$P_DIRECT" "$T/db"
grep -q "cannot store alice@localhost in the roster of carol" "$T/extdiscod.log" &&
    il_pass "the refused write is logged" || il_fail "no 'cannot store' in the log"
kill -0 "$D_PID" 2>/dev/null && il_pass "extdiscod still running" || il_fail "extdiscod died"
il_summary
