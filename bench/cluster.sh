#!/usr/bin/env bash
# bench/cluster.sh [BUILDDIR] — requests per second through a two-node
# ejabberd 23.01 cluster with one vs two extdiscod instances, and
# extdiscod's CPU per request in each (issue 14).
#
# The cluster is the one of tests/interop/cluster_ejabberd.sh
# (tests/interop/cluster_lib.sh: own epmd on loopback, two nodes joined with
# ejabberdctl join_cluster, examples/ejabberd/ejabberd.yml with the c2s
# shaper off).  Every extdiscod instance is linked to both nodes (topology
# B of docs/deploying.md): "one" = i1 alone (2 links), "two" = i1 and i2
# (4 links).  Per run: one bench/loadgen per node at the same time
# (CONNS connections x REQS <services/> requests each, INFLIGHT in flight,
# SASL PLAIN on loopback), the rate = all replies / the longer of the two
# measured phases; CPU (schedstat, all threads) of the extdiscod
# instances and of the two ejabberd nodes from the moment both loadgens
# have logged in to the end, per reply.  RUNS rounds, alternating one/two;
# the table gives the median and the range.  Nothing is pinned: ejabberd,
# extdiscod and the loadgens share the machine's cores (2 here).
#
# Environment: BENCH_CONNS=20 BENCH_REQS=500 BENCH_INFLIGHT=4
#   BENCH_USERS=40 BENCH_RUNS=3 BENCH_KIND=services|credentials
# Prints the table (markdown) on stdout; exit 1 when a run failed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$here/$build ;; esac
# shellcheck source=../tests/interop/lib.sh
. "$here/tests/interop/lib.sh"
# shellcheck source=../tests/interop/peers.sh
. "$here/tests/interop/peers.sh"
# shellcheck source=../tests/interop/cluster_lib.sh
. "$here/tests/interop/cluster_lib.sh"

CONNS=${BENCH_CONNS:-20} REQS=${BENCH_REQS:-500} INFLIGHT=${BENCH_INFLIGHT:-4}
NUSERS=${BENCH_USERS:-40} RUNS=${BENCH_RUNS:-3} KIND=${BENCH_KIND:-services}
loadgen=$build/bench/loadgen
[ -x "$loadgen" ] || { echo "cluster.sh: $loadgen missing; build first" >&2; exit 1; }
peer_extdiscod_find "$build" >&2 || exit 1
peer_ejabberd_find mod_delegation || { echo "cluster.sh: ejabberd missing" >&2; exit 1; }

il_init bench-cluster
chmod 755 "$IL_TMP"
T=$IL_TMP
SECRET="comp-$RANDOM$RANDOM"
printf '%s\n' "$SECRET" >"$T/component.secret"
printf 'bench-turn-secret-0123456789\n' >"$T/turn.secret"

cpu_of() { il_cpu_us "$@"; }

cl_epmd_start
for n in 1 2; do
    cl_node_init "$n" "$SECRET"
    cl_node_start "$n"
done
cl_join 2 1 || { echo "cluster.sh: join_cluster failed" >&2; exit 1; }
cl_env 1
timeout 60 "${CL_ENV[@]}" erl -sname "benchreg$RANDOM" -hidden -noshell -setcookie "$CL_COOKIE" \
    -kernel inet_dist_use_interface '{127,0,0,1}' -eval "
    R = [rpc:call('${CL_NODE[1]}', ejabberd_auth, try_register,
                  [list_to_binary(P ++ integer_to_list(I)), <<\"example.org\">>,
                   <<\"bench\">>]) || P <- [\"na\", \"nb\"], I <- lists:seq(0, $NUSERS - 1)],
    case lists:usort(R) of [ok] -> halt(0); E -> io:format(\"~p~n\", [E]), halt(1) end." \
    >"$T/register.log" 2>&1 || { cat "$T/register.log" >&2; exit 1; }

ed_config() { # I -> $T/edI.yml, linked to both nodes, log warn
    peer_extdiscod_component_config "$T/ed$1.yml" 3478 "${CL_COMP[1]}" "$T/turn.secret" \
        "$T/component.secret" "STUN-i$1"
    sed -i -e 's#level: debug#level: info#' -e 's#host: 127.0.0.1 #host: turn.example.org #' \
        "$T/ed$1.yml"
    printf '  - server: 127.0.0.1:%s\n    jid: extdisco.example.org\n    secret_file: %s\n' \
        "${CL_COMP[2]}" "$T/component.secret" >>"$T/ed$1.yml"
}
declare -a EDP=()
start_instances() { # COUNT
    local i
    EDP=()
    for ((i = 1; i <= $1; i++)); do
        ed_config "$i"
        il_start "$T/ed$i-$RANDOM.log" "$EXTDISCOD" -c "$T/ed$i.yml"
        EDP+=("$IL_LAST_PID")
    done
    # both nodes delegate (a fresh disco#info on each)
    local n ok
    for n in 1 2; do
        ok=0
        for ((i = 0; i < 60; i++)); do
            if timeout 30 /usr/bin/python3 "$here/tests/interop/xmpp_client.py" --jid na0@example.org \
                --password bench --port "${CL_C2S[n]}" --no-presence disco 2>/dev/null |
                grep -q 'urn:xmpp:extdisco:2'; then ok=1; break; fi
            sleep 0.5
        done
        [ "$ok" = 1 ] || { echo "cluster.sh: node $n not delegated" >&2; return 1; }
    done
}
stop_instances() { local p; for p in "${EDP[@]}"; do il_stop "$p"; done; EDP=(); sleep 1; }

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
PFX=(x na nb) # the account prefix of the users of node N
RES=$T/res.tsv
: >"$RES"
FAILED=0
run_one() { # COUNT ROUND
    local count=$1 round=$2 n pids=() i e0 e1 j0 j1 secs replies=0 s
    start_instances "$count" || { FAILED=1; return; }
    for n in 1 2; do
        # the users of node 1 are na*, of node 2 nb* (one account logged in
        # twice with the same resource: ejabberd closes the first, conflict)
        "$loadgen" -p "${CL_C2S[n]}" -d example.org -u "${PFX[n]}" -w bench \
            -U "$NUSERS" -c "$CONNS" \
            -r "$REQS" -f "$INFLIGHT" -k "$KIND" --mech PLAIN --turn-host turn.example.org \
            --turn-port 3478 --timeout 300 >"$T/lg$n.out" 2>"$T/lg$n.err" &
        pids+=("$!")
    done
    for ((i = 0; i < 3000; i++)); do
        grep -q 'connections logged in' "$T/lg1.err" 2>/dev/null &&
            grep -q 'connections logged in' "$T/lg2.err" 2>/dev/null && break
        if ! kill -0 "${pids[0]}" 2>/dev/null || ! kill -0 "${pids[1]}" 2>/dev/null; then break; fi
        sleep 0.1
    done
    e0=$(cpu_of "${EDP[@]}")
    j0=$(cpu_of "${CL_PID[1]}" "${CL_PID[2]}")
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    e1=$(cpu_of "${EDP[@]}")
    j1=$(cpu_of "${CL_PID[1]}" "${CL_PID[2]}")
    secs=0
    for n in 1 2; do
        line=$(grep '^RESULT' "$T/lg$n.out" || true)
        if [ -z "$line" ] || [ "$(field ok <<<"$line")" != 1 ]; then
            echo "cluster.sh: $count instance(s), node $n: run failed: $(tail -3 "$T/lg$n.err" | tr '\n' ' ')" >&2
            FAILED=1
            stop_instances
            return
        fi
        replies=$((replies + $(field replies <<<"$line")))
        s=$(field secs <<<"$line")
        secs=$(awk -v a="$secs" -v b="$s" 'BEGIN { print (b > a ? b : a) }')
        printf '%s\t%s\tnode%s\t%s\t%s\t%s\n' "$count" "$round" "$n" "$(field rps <<<"$line")" \
            "$(field p50_us <<<"$line")" "$(field p99_us <<<"$line")" >>"$T/pernode.tsv"
    done
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$count" "$round" "$replies" \
        "$(awk -v r="$replies" -v s="$secs" 'BEGIN { printf "%.0f", r / s }')" \
        "$(awk -v c=$((e1 - e0)) -v r="$replies" 'BEGIN { printf "%.1f", c / r }')" \
        "$(awk -v c=$((j1 - j0)) -v r="$replies" 'BEGIN { printf "%.1f", c / r }')" >>"$RES"
    stop_instances
}
for ((r = 1; r <= RUNS; r++)); do
    run_one 1 "$r"
    run_one 2 "$r"
done

# median and range per instance count
summ() { # COUNT COLUMN
    awk -F'\t' -v c="$1" -v k="$2" '$1 == c { print $k }' "$RES" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
             m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
             printf "%s (%s–%s)", m, v[1], v[NR] }'
}
echo "| extdiscod instances | links | requests/s, both nodes (median, range) | extdiscod CPU µs/request | ejabberd CPU µs/request (both nodes) |"
echo "|---|---|---|---|---|"
for c in 1 2; do
    echo "| $c | $((2 * c)) | $(summ "$c" 4) | $(summ "$c" 5) | $(summ "$c" 6) |"
done
echo
echo "runs: $RUNS per case, $KIND, $CONNS connections x $REQS requests per node, $INFLIGHT in flight each;"
echo "per round (instances, round, replies, req/s, extdiscod µs/req, ejabberd µs/req):"
sed 's/^/    /' "$RES"
echo "per node (instances, round, node, req/s, p50 µs, p99 µs):"
sed 's/^/    /' "$T/pernode.tsv"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$FAILED"
