#!/usr/bin/env bash
# tests/interop/c2s_roster.sh BUILD_DIR — issue 10 item 4: a roster at the
# documented limits (tests/interop/c2s_roster.py): the limits compose (a
# roster the server accepts is delivered in one result within the output
# queue: items past ED_ROSTER_MAX_WIRE are refused), and presence costs per
# contact, not per roster byte (another user's pings stay fast during a
# presence burst).  max_stanza_bytes is raised to 64 KiB so that an item
# with 32 groups of 1,023 bytes fits in one roster set.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?usage: $0 BUILD_DIR}
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/c2s_common.sh
. "$HERE/c2s_common.sh"

il_init c2s_roster
c2s_setup "$BUILD_DIR"
sed -i 's#max_stanza_bytes: 16384#max_stanza_bytes: 65536#' "$CFG"
grep -q 'max_stanza_bytes: 65536' "$CFG" || il_fail "config: max_stanza_bytes not raised"
c2s_start

out=$IL_TMP/roster.out
timeout 150 /usr/bin/python3 "$HERE/c2s_roster.py" "$P_DIRECT" >"$out" 2>"$out.err" || true
while IFS= read -r line; do
    case $line in
    ok:*) il_pass "${line#ok: }" ;;
    FAIL:*) il_fail "${line#FAIL: }" ;;
    *) echo "$line" ;;
    esac
done <"$out"
[ "$(grep -c '^ok:' "$out")" -ge 4 ] || il_fail "stopped early: $(tail -3 "$out.err")"
kill -0 "$D_PID" 2>/dev/null && il_pass "extdiscod still running" || il_fail "extdiscod died"
il_summary
