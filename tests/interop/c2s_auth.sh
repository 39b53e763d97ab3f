#!/usr/bin/env bash
# tests/interop/c2s_auth.sh BUILD_DIR — SASL and the account database of
# extdiscod's standalone server (issue 10), with tests/interop/c2s_auth.py:
#   1. account enumeration (item 8): an unknown user's SCRAM salt and
#      iteration count have the form of a real one's and are the same after
#      a restart (a persistent server secret); a failed PLAIN login takes as
#      long for an unknown account as for an existing one (medians within a
#      factor of 2);
#   2. user names (item 9): PLAIN and SCRAM normalise the user name alike
#      (nodeprep), an authzid naming the user after normalisation is
#      accepted, any other refused with invalid-authzid;
#   3. a locked database (item 7): with the database held by BEGIN
#      EXCLUSIVE from another process, another user's pings are answered
#      within 300 ms while logins fail with temporary-auth-failure and a
#      roster get with internal-server-error; the lock is logged at most
#      twice; once released, logins work again;
#   4. a deleted database file: logged once as an error, the daemon keeps
#      using the file it opened (documented in extdiscod(8)).
# Every process is started here and stopped by PID (lib.sh).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/c2s_common.sh
. "$HERE/c2s_common.sh"

BUILD_DIR=${1:?usage: $0 BUILD_DIR}
il_init c2s_auth
c2s_setup "$BUILD_DIR"
"$EXTDISCOCTL" -c "$CFG" adduser carol@localhost <<<"carol" >/dev/null
c2s_start
PY=/usr/bin/python3
AUTH=$HERE/c2s_auth.py
LOG=$IL_TMP/extdiscod.log

# run_py NAME ARGS...: the script's ok:/FAIL: lines become checks; it must
# have printed at least one
run_py() {
    local name=$1 out=$IL_TMP/$1.out line
    shift
    timeout 180 "$PY" "$AUTH" "$@" >"$out" 2>"$IL_TMP/$name.err" || true
    while IFS= read -r line; do
        case $line in
            ok:*) il_pass "${line#ok: }" ;;
            FAIL:*) il_fail "${line#FAIL: }" ;;
            *) echo "  $line" ;;
        esac
    done <"$out"
    grep -q '^ok:\|^FAIL:' "$out" || { il_fail "$name: no checks ran"; tail -5 "$IL_TMP/$name.err" >&2; }
}

# --- 1. account enumeration ---------------------------------------------------
run_py salts1 salts "$P_DIRECT" alice nobody Nobody2 zz
grep '^salt:' "$IL_TMP/salts1.out" >"$IL_TMP/salts1" || true
il_stop "$D_PID"
c2s_start
run_py salts2 salts "$P_DIRECT" alice nobody Nobody2 zz
grep '^salt:' "$IL_TMP/salts2.out" >"$IL_TMP/salts2" || true
if [ -s "$IL_TMP/salts1" ] && diff "$IL_TMP/salts1" "$IL_TMP/salts2" >/dev/null; then
    il_pass "after a restart every salt and iteration count is the same, unknown users' too"
else
    il_fail "salts changed across a restart: $(diff "$IL_TMP/salts1" "$IL_TMP/salts2" | tr '\n' ' ')"
fi
fake=$(grep ' nobody SCRAM-SHA-256 ' "$IL_TMP/salts1" | cut -d' ' -f4 | head -1)
[ -n "$fake" ] && ! grep -qF -- "$fake" "$LOG" && il_pass "no fake salt in the log" ||
    il_fail "a fake salt appears in the log (or none was read)"
run_py timing timing "$P_PROXY_DIRECT" 25

# --- 2. user names -------------------------------------------------------------
run_py names names "$P_DIRECT"

# --- 3. a locked database --------------------------------------------------------
run_py lock lock "$P_DIRECT" "$IL_TMP/accounts.sqlite"
n=$(grep -c 'is locked by another process' "$LOG" || true)
[ "$n" -ge 1 ] && [ "$n" -le 2 ] && il_pass "the lock is logged, rate-limited ($n lines)" ||
    il_fail "the lock logged $n times"

# --- 4. a deleted database file ---------------------------------------------------
rm -f "$IL_TMP/accounts.sqlite" "$IL_TMP/accounts.sqlite-journal"
sleep 1.1
r=$(timeout 30 "$PY" "$AUTH" login "$P_DIRECT" alice alice 2>&1 || true)
[ "$r" = "result: success" ] && il_pass "database file deleted: alice still logs in (the open file)" ||
    il_fail "after deleting the database file: alice '$r'"
"$EXTDISCOCTL" -c "$CFG" adduser newbie@localhost <<<"newbie" >/dev/null
sleep 1.1
r=$(timeout 30 "$PY" "$AUTH" login "$P_DIRECT" newbie newbie 2>&1 || true)
[ "$r" = "result: not-authorized" ] &&
    il_pass "an account added to the new file is not seen until restart (as documented)" ||
    il_fail "newbie in the new file: '$r'"
n=$(grep -c 'was deleted while extdiscod runs' "$LOG" || true)
[ "$n" -eq 1 ] && il_pass "the deleted database file is logged once as an error" ||
    il_fail "deleted database file logged $n times"
grep -q "$IL_TMP/accounts.sqlite.*restart extdiscod" "$LOG" &&
    il_pass "the log line names the file and what to do" || il_fail "no file/advice in the log line"

if grep -qE 'AddressSanitizer|runtime error' "$LOG"; then
    il_fail "sanitizer report in the daemon log"
fi
kill -0 "$D_PID" 2>/dev/null && il_pass "extdiscod still running" || il_fail "extdiscod died"
il_summary
