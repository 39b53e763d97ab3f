#!/usr/bin/env bash
# make bench: the library benchmarks (single core).  Daemon benchmarks
# against Prosody and ejabberd join here as the daemon lands.
set -euo pipefail
build=${1:-build}
echo "== library: parse + respond + serialise (bench_lib)"
"$build/bench/bench_lib" "${BENCH_N:-300000}"
echo "== TURN REST credential minting (bench_mint)"
"$build/bench/bench_mint"
echo "== servers side by side: extdiscod, Prosody, ejabberd (run_servers.sh)"
# BENCH_QUICK=1 for a smoke run; BENCH_SERVERS / BENCH_KINDS to narrow it.
bash "$(dirname "$0")/run_servers.sh" "$build"
echo "== health checks: 100 services every 10 s, daemon CPU and request latency (health_cpu.sh)"
# BENCH_HEALTH=0 to leave it out.
if [ "${BENCH_HEALTH:-1}" != 0 ]; then
    bash "$(dirname "$0")/health_cpu.sh" "$build"
fi
echo "== scale: 100,000 idle STARTTLS connections (as many as the open files limit lets one process hold), the 10,000-client login storm (scale.sh)"
# BENCH_SCALE=0 to leave it out; needs root (a private network namespace).
if [ "${BENCH_SCALE:-1}" != 0 ] && [ "$(id -u)" != 0 ]; then
    echo "(skipped: scale.sh needs root for its network namespace)"
elif [ "${BENCH_SCALE:-1}" != 0 ]; then
    bash "$(dirname "$0")/scale.sh" "$build"
fi
