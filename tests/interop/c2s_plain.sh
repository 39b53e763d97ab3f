#!/usr/bin/env bash
# tests/interop/c2s_plain.sh BUILD_DIR — a STARTTLS listener with
# require_tls: false, authenticated without TLS (tests/interop/c2s_plain.py):
# issue 10 item 11, STARTTLS is not offered once the stream is
# authenticated (on 16d8f94 it was, and then refused with a stream error).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?usage: $0 BUILD_DIR}
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/c2s_common.sh
. "$HERE/c2s_common.sh"

il_init c2s_plain
c2s_setup "$BUILD_DIR"
sed -i 's#require_tls: true#require_tls: false#' "$CFG"
grep -q 'require_tls: false' "$CFG" || il_fail "config: require_tls not turned off"
c2s_start

out=$IL_TMP/plain.out
timeout 60 /usr/bin/python3 "$HERE/c2s_plain.py" "$P_STARTTLS" >"$out" 2>"$out.err" || true
while IFS= read -r line; do
    case $line in
    ok:*) il_pass "${line#ok: }" ;;
    FAIL:*) il_fail "${line#FAIL: }" ;;
    esac
done <"$out"
[ "$(grep -c '^ok:' "$out")" -ge 3 ] || il_fail "stopped early: $(tail -3 "$out.err")"
il_summary
