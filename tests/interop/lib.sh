# shellcheck shell=bash disable=SC2034
# tests/interop/lib.sh — shared helpers for the interop scripts (bash).
#
#   . "$(dirname "$0")/lib.sh"
#   il_init NAME            temp dir in $IL_TMP, EXIT trap that stops and
#                           cleans up everything registered below
#   il_free_port [tcp|udp|both]      a free 127.0.0.1 port -> stdout
#   il_free_port_range COUNT         first port of COUNT free consecutive
#                                    UDP+TCP loopback ports -> stdout
#   il_free_ports COUNT              COUNT distinct free ports, on one line
#                                    (read -r A B <<<"$(il_free_ports 2)")
#   il_start LOG CMD ARGS...         start CMD in the background, output to
#                                    LOG; PID in $IL_LAST_PID, stopped on exit
#   il_wait_port tcp|udp PORT SECS [PID]
#                                    wait (bounded) until 127.0.0.1:PORT
#                                    listens; fails early if PID died
#   il_wait_for SECS CMD ARGS...     poll CMD every 0.2 s until it succeeds,
#                                    at most SECS s
#   il_log_mark FILE [LINES]         il_log_since/il_log_wait look at FILE
#                                    past its LINES first lines (default:
#                                    all it has now)
#   il_log_since                     the marked file's lines past the mark
#   il_log_wait SECS ERE             poll every 0.1 s, at most SECS s, until
#                                    a line past the mark matches ERE
#   il_wait PID                      wait for a process started by il_start
#                                    to end by itself; its status in $IL_RC
#   il_stop PID [SECS]               TERM, wait up to SECS (default 5), KILL
#   il_pass MSG / il_fail MSG        print "PASS: MSG" / "FAIL: MSG", count
#   il_summary                       print the totals; returns 1 if any FAIL
#   il_cpu_us PID...                 CPU time (µs, all threads, schedstat)
#                                    of these processes so far (benches)
#
# Only processes started with il_start are ever signalled, by PID.  Ports
# are found by reading /proc/net/{tcp,udp}{,6}, so no extra tools are needed.
# Requires bash 4; works under `set -euo pipefail`.

IL_NAME=${IL_NAME:-interop}
IL_TMP=${IL_TMP:-}
IL_PIDS=()
IL_LAST_PID=
IL_RC=0
IL_PASSED=0
IL_FAILED=0

il_log() { printf '[%s] %s\n' "$IL_NAME" "$*" >&2; }

il_pass() { IL_PASSED=$((IL_PASSED + 1)); printf 'PASS: %s\n' "$*"; }
il_fail() { IL_FAILED=$((IL_FAILED + 1)); printf 'FAIL: %s\n' "$*"; }

il_summary() {
    printf '%s: %d passed, %d failed\n' "$IL_NAME" "$IL_PASSED" "$IL_FAILED"
    [ "$IL_FAILED" -eq 0 ] && [ "$IL_PASSED" -gt 0 ]
}

# Forget a PID once it has been reaped, so that cleanup never signals a
# recycled PID that belongs to someone else.
il_forget() {
    local pid=$1 i
    for i in "${!IL_PIDS[@]}"; do
        if [ "${IL_PIDS[$i]}" = "$pid" ]; then unset 'IL_PIDS[i]'; fi
    done
}

# il_wait PID: block until it exits (bound it with `timeout` when starting);
# exit status in IL_RC.
il_wait() {
    local pid=$1
    IL_RC=0
    wait "$pid" || IL_RC=$?
    il_forget "$pid"
}

# Stop one PID we started: TERM, bounded wait, then KILL.
il_stop() {
    local pid=$1 secs=${2:-5} i
    [ -n "$pid" ] || return 0
    il_forget "$pid"
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        il_log "pid $pid ignored SIGTERM, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

il_cpu_us() {
    local p t sum=0 ns rest
    for p in "$@"; do
        for t in /proc/"$p"/task/*/schedstat; do
            read -r ns rest <"$t" 2>/dev/null || continue
            sum=$((sum + ns))
        done
    done
    echo $((sum / 1000))
}

il_cleanup() {
    local rc=$? pid
    trap - EXIT
    for pid in "${IL_PIDS[@]}"; do
        il_stop "$pid" 5
    done
    if [ -n "$IL_TMP" ] && [ -d "$IL_TMP" ]; then
        if [ -n "${IL_KEEP_TMP:-}" ]; then
            il_log "kept $IL_TMP"
        else
            rm -rf -- "$IL_TMP"
        fi
    fi
    exit "$rc"
}

il_init() {
    IL_NAME=$1
    IL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/${IL_NAME}.XXXXXX")
    trap il_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# il_start LOG CMD ARGS... : background process, PID recorded for cleanup.
il_start() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 &
    IL_LAST_PID=$!
    IL_PIDS+=("$IL_LAST_PID")
}

# Is 127.0.0.1:PORT (or [::]/0.0.0.0:PORT) bound?  proto: tcp (LISTEN) or udp.
il_port_bound() {
    local proto=$1 port=$2 hex files f
    hex=$(printf '%04X' "$port")
    if [ "$proto" = tcp ]; then
        files="/proc/net/tcp /proc/net/tcp6"
    else
        files="/proc/net/udp /proc/net/udp6"
    fi
    for f in $files; do
        [ -r "$f" ] || continue
        # Columns: sl local_address rem_address st ...; TCP LISTEN is 0A,
        # any UDP socket bound to the port counts.
        if awk -v hex=":$hex" -v proto="$proto" '
            NR > 1 {
                n = split($2, a, ":")
                if (":" a[n] == hex && (proto == "udp" || $4 == "0A")) found = 1
            }
            END { exit !found }' "$f"; then
            return 0
        fi
    done
    return 1
}

# Every local port with a TCP or UDP socket (any state), decimal, one a line.
il_used_ports() {
    local f files=()
    for f in /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6; do
        [ -r "$f" ] && files+=("$f")
    done
    [ "${#files[@]}" -gt 0 ] || return 0
    awk 'FNR > 1 { n = split($2, a, ":"); print a[n] }' "${files[@]}" |
        sort -u | while read -r hex; do printf '%d\n' "$((16#$hex))"; done
}

# il_free_port_range COUNT: COUNT consecutive unused ports (TCP and UDP)
# between 20000 and 59999, first one on stdout.  Bounded: 200 attempts.
il_free_port_range() {
    local count=${1:-1} attempt base p ok
    local -A used=()
    for p in $(il_used_ports); do used[$p]=1; done
    for ((attempt = 0; attempt < 200; attempt++)); do
        base=$((20000 + (RANDOM * 32768 + RANDOM) % (40000 - count)))
        ok=1
        for ((p = base; p < base + count; p++)); do
            if [ -n "${used[$p]:-}" ]; then ok=0; break; fi
        done
        if [ "$ok" -eq 1 ]; then
            printf '%d\n' "$base"
            return 0
        fi
    done
    il_log "no free port range of $count found"
    return 1
}

# il_free_port: one port unused for both TCP and UDP.
il_free_port() { il_free_port_range 1; }

# il_free_ports COUNT: COUNT distinct unused ports on one line, separated
# by spaces.  Bounded: 100 draws.
il_free_ports() {
    local count=$1 p tries seen=" "
    local -a out=()
    for ((tries = 0; ${#out[@]} < count && tries < 100; tries++)); do
        p=$(il_free_port) || return 1
        case $seen in *" $p "*) continue ;; esac
        seen+="$p "
        out+=("$p")
    done
    [ "${#out[@]}" -eq "$count" ] || { il_log "no $count distinct free ports"; return 1; }
    printf '%s\n' "${out[*]}"
}

# il_wait_for SECS CMD ARGS...: poll CMD every 0.2 s, at most SECS s.
il_log_mark() {
    IL_LOG_FILE=$1
    IL_LOG_FROM=${2:-$(wc -l <"$1")}
}
il_log_since() { tail -n +"$((IL_LOG_FROM + 1))" "$IL_LOG_FILE"; }
il_log_wait() {
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        il_log_since | grep -Eq -- "$2" && return 0
        sleep 0.1
    done
    return 1
}

il_wait_for() {
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 5; i++)); do
        if "$@"; then return 0; fi
        sleep 0.2
    done
    return 1
}

# il_wait_port tcp|udp PORT SECS [PID]: poll every 0.1 s, at most SECS s.
il_wait_port() {
    local proto=$1 port=$2 secs=$3 pid=${4:-} i
    for ((i = 0; i < secs * 10; i++)); do
        if il_port_bound "$proto" "$port"; then
            return 0
        fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            il_log "pid $pid exited before $proto port $port listened"
            return 1
        fi
        sleep 0.1
    done
    il_log "$proto port $port not listening after ${secs}s"
    return 1
}
