#!/usr/bin/env bash
# tests/interop/c2s_rules.sh BUILD_DIR — RFC 6120/6121 rules of extdiscod's
# standalone server checked with raw XML (tests/interop/c2s_rules.py):
# replacing a session by binding its resource again, a client cut for not
# reading while presence is being routed, no presence leak through
# withdrawn or denied subscription requests, subscription presence and
# probes to full JIDs, roster and IQ errors, unavailable presence with its
# status, the stream's xml:lang on stanzas, directed presence answered by
# unavailable on disconnect.  The daemon must still run at the end.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/c2s_common.sh
. "$HERE/c2s_common.sh"

BUILD_DIR=${1:?usage: $0 BUILD_DIR}
il_init c2s_rules
c2s_setup "$BUILD_DIR"
for u in carol dave erin fred gina vic att; do
    "$EXTDISCOCTL" -c "$CFG" adduser "$u@localhost" <<<"$u" >/dev/null
done
c2s_start

out=$IL_TMP/rules.out
timeout 120 /usr/bin/python3 "$HERE/c2s_rules.py" "$P_DIRECT" >"$out" 2>"$IL_TMP/rules.err" || true
while IFS= read -r line; do
    case $line in
        ok:*) il_pass "${line#ok: }" ;;
        FAIL:*) il_fail "${line#FAIL: }" ;;
    esac
done <"$out"
[ "$(grep -c '^ok:' "$out")" -ge 22 ] || {
    il_fail "rules script stopped early ($(grep -c '^ok:' "$out") checks passed)"
    tail -5 "$IL_TMP/rules.err" >&2
}
if grep -qE 'AddressSanitizer|runtime error' "$IL_TMP/extdiscod.log"; then
    il_fail "sanitizer report in the daemon log"
fi
kill -0 "$D_PID" 2>/dev/null && il_pass "extdiscod still running" || il_fail "extdiscod died"
grep -q "output queue full" "$IL_TMP/extdiscod.log" &&
    il_pass "the flooding client was cut for its full output queue" ||
    il_fail "no 'output queue full' in the log"
il_summary
