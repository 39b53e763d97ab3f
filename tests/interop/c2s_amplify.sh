#!/usr/bin/env bash
# tests/interop/c2s_amplify.sh BUILD_DIR — output amplification between
# local users (issue 10 item 3), raw XML (tests/interop/c2s_amplify.py)
# against the real daemon with limits.max_stanza_bytes 65536: alice sends
# bob a 2,288-byte and a 61 kB message whose many small elements use a
# prefixed namespace with a long URI declared once, and a 62 kB message
# whose attribute value escapes to 6x.  Thresholds: bob stays connected and
# gets each message at most 2x the bytes alice sent, or alice gets a
# policy-violation stanza error and bob nothing; the 6x one must be refused
# (the cap is 2 x max_stanza_bytes).  On 16d8f94: 203,967 bytes (89x) for
# the first, bob cut ("output queue full") by the second.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/c2s_common.sh
. "$HERE/c2s_common.sh"

BUILD_DIR=${1:?usage: $0 BUILD_DIR}
il_init c2s_amplify
c2s_setup "$BUILD_DIR"
sed -i 's/^  max_stanza_bytes: .*/  max_stanza_bytes: 65536/' "$CFG"
grep -q '^  max_stanza_bytes: 65536$' "$CFG" || { il_fail "config not rewritten"; il_summary; }
c2s_start

out=$IL_TMP/amplify.out
# Under ASan freed memory stays in the allocator's quarantine: RSS cannot
# shrink back there, so that one check is made in the plain build only.
SANITIZED=0
grep -q __asan_init "$EXTDISCOD" && SANITIZED=1
timeout 120 /usr/bin/python3 "$HERE/c2s_amplify.py" "$P_DIRECT" "$D_PID" "$SANITIZED" >"$out" 2>"$IL_TMP/amplify.err" || true
while IFS= read -r line; do
    case $line in
        ok:*) il_pass "${line#ok: }" ;;
        FAIL:*) il_fail "${line#FAIL: }" ;;
        info:*) il_log "${line#info: }" ;;
    esac
done <"$out"
[ "$(grep -c '^ok:' "$out")" -ge $((11 - SANITIZED)) ] || {
    il_fail "amplify script stopped early ($(grep -c '^ok:' "$out") checks passed)"
    tail -5 "$IL_TMP/amplify.err" >&2
}
if grep -qE 'AddressSanitizer|runtime error' "$IL_TMP/extdiscod.log"; then
    il_fail "sanitizer report in the daemon log"
fi
# exactly the four slow readers of the last check are cut, no one else
n=$(grep -c "output queue full" "$IL_TMP/extdiscod.log" || true)
[ "$n" -eq 4 ] && il_pass "only the 4 slow readers were cut for a full output queue" ||
    il_fail "$n sessions cut for a full output queue (expected the 4 slow readers)"
kill -0 "$D_PID" 2>/dev/null && il_pass "extdiscod still running" || il_fail "extdiscod died"
[ "$IL_FAILED" -eq 0 ] || tail -n 15 "$IL_TMP/extdiscod.log" | cut -c1-300 >&2
il_summary
