#!/usr/bin/env bash
# The long fuzzing run (not in CI): every libFuzzer target built in BUILD_DIR,
# one at a time under `nice -n 19`, each toward RUNS executions (default 10
# million) and all of them finished by END (a `date -d` time, e.g. 06:05 UTC).
# The time left is shared by weight (the XML parsers are the slowest), so
# what a fast target does not use goes to the ones after it.  Each target
# starts from a scratch copy of its committed corpus; afterwards only the
# inputs that add coverage are merged back into tests/fuzz/corpus/NAME/
# (libFuzzer -merge=1).  One line per target goes to stdout (the README's
# table); logs and any crash reproducer stay in WORK (default /tmp).
#   usage: [TARGETS='jid xml_stream'] campaign.sh BUILD_DIR END [WORK]
# A faster build for it: clang, --buildtype=release (-O2) with
# -Db_sanitize=address,undefined -Dfuzz=true (about 2x the exec/s of the
# -O0 build-san of `make fuzz`, same sanitizers).
set -euo pipefail
build=$(cd "${1:?usage: campaign.sh BUILD_DIR END [WORK]}" && pwd)
end=$(date -d "${2:?END time}" +%s)
work=${3:-$(mktemp -d)}
runs=${RUNS:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# fast first: whatever they leave over goes to the slow ones
order=${TARGETS:-"jid datetime proxy turncheck xep0279 xep0215 xml_stream xml_chunks"}
declare -A weight=([jid]=1 [datetime]=1 [proxy]=1 [turncheck]=1 [xep0279]=1.3
                   [xep0215]=1.8 [xml_stream]=2.6 [xml_chunks]=3)
merge_secs=${MERGE_SECS:-40} # kept back per target for the merge
mkdir -p "$work"
left="$order"
for name in $order; do
  left=${left#"$name"}; left=${left# }
  exe=$(find "$build" -type f -name "fuzz_$name" -perm -u+x ! -path '*.p/*' | head -n 1)
  [ -n "$exe" ] || { echo "$name: not built"; continue; }
  wsum=${weight[$name]:-1}
  for n in $left; do wsum=$(echo "$wsum + ${weight[$n]:-1}" | bc -l); done
  nleft=$(( $(echo "$left" | wc -w) + 1 ))
  avail=$(( end - $(date +%s) - merge_secs * nleft ))
  secs=$(echo "$avail * ${weight[$name]:-1} / $wsum" | bc)
  [ "$secs" -ge 10 ] || secs=10
  corpus="$here/corpus/$name"
  mkdir -p "$corpus" "$work/$name" "$work/art"
  cp -r "$corpus/." "$work/$name/"
  before=$(ls "$corpus" | wc -l)
  dict=()
  [ -f "$here/dict/$name.dict" ] && dict=(-dict="$here/dict/$name.dict")
  rc=0
  t0=$(date +%s)
  nice -n 19 "$exe" "${dict[@]}" -runs="$runs" -max_total_time="$secs" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/art/$name-" \
    "$work/$name" >"$work/$name.log" 2>&1 || rc=$?
  t1=$(date +%s)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name.log" | grep -o '[0-9]*$' || echo '?')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$work/$name.log" | grep -o '[0-9]*$' || echo '?')
  nice -n 19 "$exe" -merge=1 -timeout=10 -rss_limit_mb=2048 "$corpus" "$work/$name" \
    >"$work/$name.merge.log" 2>&1 || echo "$name: merge failed (see $work/$name.merge.log)"
  after=$(ls "$corpus" | wc -l)
  crashes=$(ls "$work/art" | grep -c "^$name-" || true)
  echo "$name: execs=$execs secs=$((t1 - t0)) budget=$secs exec/s=$rate new_corpus=$((after - before)) corpus=$after size=$(du -sk "$corpus" | cut -f1)K crashes=$crashes rc=$rc"
done
