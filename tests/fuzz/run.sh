#!/usr/bin/env bash
# Run every libFuzzer target built in BUILD_DIR for FUZZ_SECONDS each, from
# its seed corpus (copied to a scratch dir, so the repo's corpus only changes
# by hand), FUZZ_JOBS targets at a time (default 2: the machine's cores; each
# target is one process).  A crash, leak or timeout fails the run; the
# reproducer is kept in tests/fuzz/ (git-ignored) for inspection.
set -euo pipefail
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
secs=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-2}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# one target; its verdict goes to $work/NAME.rc, its report to stdout
one() {
  local exe=$1 name=${1##*/fuzz_} dict=()
  mkdir -p "$work/$name"
  [ -d "$here/corpus/$name" ] && cp -r "$here/corpus/$name/." "$work/$name/"
  [ -f "$here/dict/$name.dict" ] && dict=(-dict="$here/dict/$name.dict")
  if (cd "$here" && "$exe" "${dict[@]}" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 "$work/$name" >"$work/$name.log" 2>&1); then
    echo 0 >"$work/$name.rc"
    echo "fuzz: $name ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name.log" | grep -o '[0-9]*$') runs)"
  else
    echo 1 >"$work/$name.rc"
    echo "fuzz: $name FAILED"; tail -n 40 "$work/$name.log"
  fi
}

# Targets live beside the code they fuzz (tests/fuzz/, client/, daemon/).
targets=$(find "$build" -type f -name 'fuzz_*' -perm -u+x ! -path '*.p/*' | sort)
running=0
for exe in $targets; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  echo "fuzz: ${exe##*/fuzz_} for ${secs}s"
  one "$exe" &
  running=$((running + 1))
done
wait || true
pass=0 fail=0
for exe in $targets; do
  if [ "$(cat "$work/${exe##*/fuzz_}.rc" 2>/dev/null)" = 0 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
  fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
