#!/usr/bin/env bash
# make bench: the library benchmarks (single core).  Daemon benchmarks
# against Prosody and ejabberd join here as the daemon lands.
set -euo pipefail
build=${1:-build}
echo "== library: parse + respond + serialise (bench_lib)"
"$build/bench/bench_lib" "${BENCH_N:-300000}"
echo "== TURN REST credential minting (bench_mint)"
"$build/bench/bench_mint"
