#!/usr/bin/env bash
# Run every libFuzzer target built in BUILD_DIR for FUZZ_SECONDS each, from
# its seed corpus (copied to a scratch dir, so the repo's corpus only changes
# by hand).  A crash, leak or timeout fails the run; the reproducer is kept in
# tests/fuzz/ (git-ignored) for inspection.
set -euo pipefail
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
secs=${FUZZ_SECONDS:-20}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
# Targets live beside the code they fuzz (tests/fuzz/, client/, daemon/).
for exe in $(find "$build" -type f -name 'fuzz_*' -perm -u+x ! -path '*.p/*' | sort); do
  name=${exe##*/fuzz_}
  mkdir -p "$work/$name"
  [ -d "$here/corpus/$name" ] && cp -r "$here/corpus/$name/." "$work/$name/"
  dict=()
  [ -f "$here/dict/$name.dict" ] && dict=(-dict="$here/dict/$name.dict")
  echo "fuzz: $name for ${secs}s"
  if (cd "$here" && "$exe" "${dict[@]}" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 "$work/$name" >"$work/$name.log" 2>&1); then
    pass=$((pass + 1)); echo "fuzz: $name ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name.log" | grep -o '[0-9]*$') runs)"
  else
    fail=$((fail + 1)); echo "fuzz: $name FAILED"; tail -n 40 "$work/$name.log"
  fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
