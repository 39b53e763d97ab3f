#!/usr/bin/env bash
# tests/interop/metrics_prometheus.sh — extdiscod's HTTP listener against a
# real Prometheus (Debian's prometheus 2.42), a real Prosody (the host server
# of a component link) and slixmpp clients:
#   - Prometheus scrapes /metrics every second with the bearer token
#     (examples/prometheus/prometheus.yml, lines marked @test substituted);
#     after a known number of services / credentials / sic / item-not-found
#     requests from slixmpp, the counters read back through Prometheus's
#     HTTP query API went up by exactly that; credentials minted and logins
#     too; `promtool check metrics` accepts the exposition; `promtool test
#     rules` passes examples/prometheus/alerts_test.yml; every metric the
#     alerts and the Grafana dashboard use exists, and every dashboard
#     expression is a valid query;
#   - /ready is 503 while Prosody (the link's host server) is stopped and 200
#     again after it is back; /health stays 200;
#   - access: a wrong or missing token gets 401, an address outside
#     http.allow 403 (from 127.0.0.2); an oversized header block is refused
#     and the connection closed; a slowloris client is cut at http.timeout;
#     silent connections past http.max_connections pause accepting until
#     they are cut; during an HTTP flood slixmpp's requests are all
#     answered, quickly;
#   - no secret, password or JID in /metrics or /status;
#   - /ready is 503 while a configured c2s listener cannot open (its port
#     taken), 200 once the configuration drops it;
#   - a refused reload is counted and makes the example alert
#     ExtdiscoReloadFailed pending in Prometheus; the good file again counts
#     as a successful reload;
#   - extdiscoctl status prints the tables.
#
#   tests/interop/metrics_prometheus.sh BUILD_DIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"
il_init metrics_prometheus
T=$IL_TMP
PY=/usr/bin/python3
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}
BUILD_DIR=${1:?usage: metrics_prometheus.sh BUILD_DIR}
peer_extdiscod_find "$BUILD_DIR" || exit 1

read -r C2S_PORT COMP_PORT ED_PORT HTTP_PORT PROM_PORT <<<"$(il_free_ports 5)"
COMP_SECRET="comp-$RANDOM$RANDOM-secret"
TURN_SECRET="turn-$RANDOM$RANDOM-secret"
TOKEN="tok-$RANDOM$RANDOM$RANDOM"
ALICE_PW="alice-$RANDOM-pw"
printf '%s\n' "$COMP_SECRET" >"$T/component.secret"
printf '%s\n' "$TURN_SECRET" >"$T/turn.secret"
printf '%s\n' "$TOKEN" >"$T/token"
printf 'wrong-%s\n' "$TOKEN" >"$T/wrong.token"
peer_cert_make "$T" localhost

# --- Prosody: the host server of the component link ------------------------
peer_prosody_example_config "$T/prosody" "$C2S_PORT" "$COMP_PORT" "$COMP_SECRET" \
    'run_as_root = true
prosody_user = "root"
c2s_require_encryption = false
certificates = "certs-none"
' || { echo "FAIL: prosody config substitution"; exit 1; }
start_prosody() {
    peer_prosody_start "$T/prosody/prosody.cfg.lua" "$T/prosody/stdout.$1.log" "$C2S_PORT" "$COMP_PORT"
    PROSODY_PID=$PEER_PROSODY_PID
}
start_prosody 1

# --- extdiscod: standalone server + component link + HTTP listener ----------
cat >"$T/extdiscod.yml" <<EOF
log: {level: info, syslog: false}
domains: [localhost, example.org]
turn_secrets:
  - {name: main, secret_files: [turn.secret], ttl: 1h, algorithm: sha256}
services:
  - {type: stun, host: 127.0.0.1, port: 3478, transport: udp, allow_local: true}
  - {type: turn, host: 127.0.0.1, port: 3478, transport: udp, credentials: main, allow_local: true}
components:
  - {server: "127.0.0.1:$COMP_PORT", jid: extdisco.example.org, secret_file: component.secret}
$(peer_extdiscod_c2s_yaml localhost cert.pem key.pem "127.0.0.1:$ED_PORT=starttls")
http:
  listen: ["127.0.0.1:$HTTP_PORT"]
  allow: ["127.0.0.1/32", "::1"]
  token_file: token
  max_connections: 24
  timeout: 3s
EOF
"$EXTDISCOCTL" -c "$T/extdiscod.yml" adduser alice@localhost <<<"$ALICE_PW" >/dev/null
peer_extdiscod_check "$T/extdiscod.yml" "$T/check.out"
peer_extdiscod_start "$T/extdiscod.yml" "$T/extdiscod.log" "$ED_PORT" "$HTTP_PORT"
ED_PID=$PEER_ED_PID

URL="http://127.0.0.1:$HTTP_PORT"
AUTH=(-H "Authorization: Bearer $TOKEN")
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" || true; }
expect_code() { # NAME WANT CURL-ARGS...
    local name=$1 want=$2 got
    shift 2
    got=$(code "$@")
    if [ "$got" = "$want" ]; then il_pass "$name: HTTP $got"; else il_fail "$name: HTTP $got, want $want"; fi
}
ready_is() { [ "$(code "$URL/ready")" = "$1" ]; }
# metric NAME: its value in /metrics (NAME with labels as written there)
metric() { curl -s --max-time 5 "${AUTH[@]}" "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

if il_wait_for 30 ready_is 200; then
    il_pass "/ready 200 once the link to Prosody is up with its delegation"
else
    il_fail "/ready never 200: $(curl -s --max-time 5 "$URL/ready")"
fi

# --- Prometheus with the example scrape configuration ------------------------
mkdir -p "$T/prom"
cp "$SRC/examples/prometheus/alerts.yml" "$T/prom/alerts.yml"
sed -e "s#^\(\s*scrape_interval:\).*@test#\1 1s#" \
    -e "s#^\(\s*evaluation_interval:\).*@test#\1 1s#" \
    -e "s#credentials_file: .*@test#credentials_file: $T/token#" \
    -e "s#targets: \[\"127.0.0.1:9215\"\].*@test#targets: [\"127.0.0.1:$HTTP_PORT\"]#" \
    "$SRC/examples/prometheus/prometheus.yml" >"$T/prom/prometheus.yml"
if ! grep -q "127.0.0.1:$HTTP_PORT" "$T/prom/prometheus.yml" || ! grep -q "scrape_interval: 1s" "$T/prom/prometheus.yml"; then
    il_fail "prometheus.yml substitution"
fi
il_start "$T/prom/prometheus.log" "$PROMETHEUS" --config.file="$T/prom/prometheus.yml" \
    --storage.tsdb.path="$T/prom/data" --web.listen-address="127.0.0.1:$PROM_PORT"
PROM_PID=$IL_LAST_PID
il_wait_port tcp "$PROM_PORT" 30 "$PROM_PID" || { tail -n 20 "$T/prom/prometheus.log"; il_fail "prometheus did not start"; il_summary; exit 1; }

PROM="http://127.0.0.1:$PROM_PORT"
# q EXPR: the value of the (single) sample of an instant query, or empty
q() { curl -s --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=$1" |
      jq -r 'if .status == "success" and (.data.result | length) == 1 then .data.result[0].value[1] else empty end'; }
q_is() { [ "$(q "$1")" = "$2" ]; }
# the last scrape's timestamp (seconds, float)
last_scrape() { q 'timestamp(up{job="extdisco"})'; }
# wait until Prometheus has a scrape that started after now
fresh_scrape() {
    local t0 i
    t0=$(date +%s.%N)
    for ((i = 0; i < 100; i++)); do
        if awk -v a="$(last_scrape)" -v b="$t0" 'BEGIN { exit !(a != "" && a > b + 0.05) }'; then return 0; fi
        sleep 0.2
    done
    return 1
}
if il_wait_for 30 q_is 'up{job="extdisco"}' 1; then
    il_pass "Prometheus scrapes /metrics with the bearer token (up == 1)"
else
    il_fail "Prometheus target not up: $(curl -s "$PROM/api/v1/targets" | head -c 600)"
fi

# --- exact increments read back through Prometheus ---------------------------
NSERV=7 NCRED=5 NSIC=3 NMISS=2
REQ='extdisco_requests_total{job="extdisco",protocol="%s",outcome="%s"}'
# shellcheck disable=SC2059
declare -A SEL=(
    [services]=$(printf "$REQ" services result)
    [credentials]=$(printf "$REQ" credentials result)
    [sic]=$(printf "$REQ" sic result)
    [miss]=$(printf "$REQ" credentials item-not-found)
    [minted]='extdisco_credentials_minted_total{job="extdisco",secret_set="main",algorithm="sha256"}'
    [logins]='extdisco_c2s_logins_total{job="extdisco",result="ok"}'
    [failed]='extdisco_c2s_logins_total{job="extdisco",result="failed"}'
)
declare -A WANT=([services]=$NSERV [credentials]=$NCRED [sic]=$NSIC [miss]=$NMISS
                 [minted]=$((NSERV + NCRED)) [logins]=1 [failed]=1)
declare -A BEFORE AFTER
fresh_scrape || il_fail "no fresh scrape before the requests"
for k in "${!SEL[@]}"; do BEFORE[$k]=$(q "${SEL[$k]}"); done
rc=0
timeout 120 "$PY" "$HERE/metrics_client.py" 127.0.0.1 "$ED_PORT" alice@localhost "$ALICE_PW" \
    "$NSERV" "$NCRED" "$NSIC" "$NMISS" >"$T/client1.json" 2>"$T/client1.err" || rc=$?
if [ "$rc" = 0 ]; then
    il_pass "slixmpp: $NSERV services, $NCRED credentials, $NSIC sic, $NMISS item-not-found answered"
else
    il_fail "slixmpp client: $(cat "$T/client1.json") $(tail -n 5 "$T/client1.err")"
fi
# one login with a wrong password (the project's client: it exits at once;
# libstrophe tries its next SASL mechanism after a failure, so the daemon may
# see more than one failed attempt: the counter must match its log lines)
nfail0=$(grep -c 'authentication failed' "$T/extdiscod.log" || true)
printf 'not-%s\n' "$ALICE_PW" >"$T/wrong.pw"
rc=0
timeout 60 "$BUILD_DIR/client/extdisco" --jid alice@localhost --server "127.0.0.1:$ED_PORT" \
    --ca-file "$T/cert.pem" --password-file "$T/wrong.pw" services >"$T/wrong.out" 2>&1 || rc=$?
if [ "$rc" != 0 ] && grep -qi 'password' "$T/wrong.out"; then
    il_pass "a login with a wrong password is refused (extdisco exit $rc)"
else
    il_fail "wrong password: exit $rc: $(head -c 300 "$T/wrong.out")"
fi
WANT[failed]=$(($(grep -c 'authentication failed' "$T/extdiscod.log" || true) - nfail0))
[ "${WANT[failed]}" -ge 1 ] || il_fail "the daemon logged no failed login for the wrong password"
sleep 0.5
fresh_scrape || il_fail "no fresh scrape after the requests"
for k in "${!SEL[@]}"; do AFTER[$k]=$(q "${SEL[$k]}"); done
for k in services credentials sic miss minted logins failed; do
    d=$(awk -v a="${AFTER[$k]:-x}" -v b="${BEFORE[$k]:-x}" 'BEGIN { if (a == "x" || b == "x") print "none"; else print a - b }')
    if [ "$d" = "${WANT[$k]}" ]; then
        il_pass "Prometheus query ${SEL[$k]}: ${BEFORE[$k]} -> ${AFTER[$k]} (+$d, exactly the requests made)"
    else
        il_fail "Prometheus query ${SEL[$k]}: ${BEFORE[$k]:-none} -> ${AFTER[$k]:-none}, want +${WANT[$k]}"
    fi
done
# the record of the test run: one query result as Prometheus returns it
curl -s --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=${SEL[services]}" >"$T/query.json"
printf '    query result: %s\n' "$(cat "$T/query.json")"
hist=$(q 'extdisco_request_duration_seconds_count{job="extdisco",protocol="services"}')
if [ -n "$hist" ] && awk -v h="$hist" -v n="$NSERV" 'BEGIN { exit !(h >= n) }'; then
    il_pass "request duration histogram counted the services requests ($hist)"
else
    il_fail "extdisco_request_duration_seconds_count{protocol=services} = ${hist:-none}"
fi

# --- the exposition, the examples -------------------------------------------
curl -s --max-time 5 "${AUTH[@]}" "$URL/metrics" >"$T/metrics.txt"
if "$PROMTOOL" check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1; then
    il_pass "promtool check metrics accepts /metrics ($(grep -vc '^#' "$T/metrics.txt") samples)"
else
    il_fail "promtool check metrics: $(head -n 5 "$T/promtool.out")"
fi
printf '    /metrics excerpt:\n'
grep -E '^extdisco_requests_total\{protocol="(services|credentials|sic)",outcome="result"\}|^extdisco_credentials_minted_total|^extdisco_component_(link_up|delegation_active)|^extdisco_ready|^process_(cpu|resident)' \
    "$T/metrics.txt" | sed 's/^/      /'
if (cd "$SRC/examples/prometheus" && "$PROMTOOL" test rules alerts_test.yml) >"$T/rules.out" 2>&1; then
    il_pass "promtool test rules examples/prometheus/alerts_test.yml"
else
    il_fail "promtool test rules: $(tail -n 20 "$T/rules.out")"
fi
# every extdisco_/process_ metric the alerts and the dashboard use is exported
# (service health ones only once a health provider is wired: not in this build;
# HTTP credential provider ones only with turn_providers: provider_http.sh)
missing=""
for m in $(grep -ohE '\b(extdisco|process)_[a-z0-9_]+' "$SRC/examples/prometheus/alerts.yml" \
             "$SRC/examples/grafana/extdisco.json" | sed -E 's/_(bucket|sum|count)$//' | sort -u); do
    case $m in extdisco_service_up|extdisco_service_*|extdisco_provider_*) continue ;; esac
    grep -qE "^# TYPE $m " "$T/metrics.txt" || missing="$missing $m"
done
if [ -z "$missing" ]; then
    il_pass "every metric named in alerts.yml and the Grafana dashboard is exported"
else
    il_fail "metrics used by the examples but not exported:$missing"
fi
bad=""
while IFS= read -r e; do
    e=${e//\$job/extdisco}
    e=${e//\$instance/.*}
    e=${e//\$__rate_interval/1m}
    st=$(curl -s --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=$e" | jq -r .status)
    [ "$st" = success ] || bad="$bad [$e]"
done < <(jq -r '.panels[].targets[].expr' "$SRC/examples/grafana/extdisco.json")
if [ -z "$bad" ]; then
    il_pass "every Grafana dashboard expression is a valid Prometheus query"
else
    il_fail "dashboard expressions Prometheus refuses:$bad"
fi
if [ "$(q 'extdisco_component_link_up{job="extdisco"}')" = 1 ] &&
   [ "$(q 'extdisco_component_delegation_active{job="extdisco",namespace="urn:xmpp:extdisco:2"}')" = 1 ]; then
    il_pass "Prometheus: component link up, urn:xmpp:extdisco:2 delegated"
else
    il_fail "link/delegation gauges: $(grep -E '^extdisco_component_(link_up|delegation)' "$T/metrics.txt")"
fi

# --- access ------------------------------------------------------------------
expect_code "/metrics without a token" 401 "$URL/metrics"
expect_code "/metrics with a wrong token" 401 -H "Authorization: Bearer wrong-$TOKEN" "$URL/metrics"
expect_code "/status with the token" 200 "${AUTH[@]}" "$URL/status"
expect_code "/health needs no token" 200 "$URL/health"
expect_code "unknown path" 404 "${AUTH[@]}" "$URL/nope"
expect_code "POST (GET and HEAD only; evhttp answers 501)" 501 -X POST "${AUTH[@]}" "$URL/metrics"
expect_code "a request body (none accepted)" 413 -X POST -d x "${AUTH[@]}" "$URL/metrics"
expect_code "HEAD /health" 200 -I "$URL/health"
expect_code "/metrics from 127.0.0.2 (outside http.allow)" 403 --interface 127.0.0.2 "${AUTH[@]}" "$URL/metrics"
expect_code "/health from 127.0.0.2 (the allow-list covers every path)" 403 --interface 127.0.0.2 "$URL/health"

# --- bounded headers, slow clients -------------------------------------------
out=$("$PY" "$HERE/http_abuse.py" bigheader 127.0.0.1 "$HTTP_PORT" 20000)
if printf '%s' "$out" | jq -e '(.status | test("^HTTP/1.1 4(00|13|31)")) and .closed' >/dev/null; then
    il_pass "20 kB of headers (http.max_header_bytes 8192): $(printf '%s' "$out" | jq -r .status), connection closed"
else
    il_fail "oversized headers: $out"
fi
out=$("$PY" "$HERE/http_abuse.py" slowloris 127.0.0.1 "$HTTP_PORT" 12)
after=$(printf '%s' "$out" | jq -r .closed_after)
if [ "$after" != null ] && awk -v a="$after" 'BEGIN { exit !(a >= 2 && a <= 6) }'; then
    il_pass "slowloris (one header byte per 0.5 s) cut after $after s (http.timeout 3s)"
else
    il_fail "slowloris: $out"
fi

# --- the connection limit ------------------------------------------------------
# 30 silent connections (one every 40 ms, so that accepts fall at every phase
# of the once-a-second sweep) against http.max_connections 24: the listener stops
# accepting at 24; a real request waits in the kernel's queue until the
# silent ones are cut at http.timeout (3 s), then it is answered.  Every one
# of the 30 is cut by extdiscod's sweep and counted: evhttp's own idle
# timeout, at http.timeout too once, ended some of them first, uncounted.
limit0=$(metric extdisco_http_connection_limit_reached_total)
cut0=$(metric extdisco_http_connections_cut_total)
"$PY" "$HERE/http_abuse.py" hold 127.0.0.1 "$HTTP_PORT" 30 12 0.04 >"$T/hold.json" 2>"$T/hold.err" &
HOLD_PID=$!
IL_PIDS+=("$HOLD_PID")
sleep 1
t0=$(date +%s.%N)
hc=$(code --max-time 15 "$URL/health")
waited=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
il_wait "$HOLD_PID"
limit1=$(metric extdisco_http_connection_limit_reached_total)
cut1=$(metric extdisco_http_connections_cut_total)
if [ "$hc" = 200 ] && awk -v w="$waited" 'BEGIN { exit !(w >= 1 && w < 10) }' &&
   [ "$((limit1 - limit0))" -ge 1 ] && [ "$((cut1 - cut0))" -eq 30 ]; then
    il_pass "30 silent connections, limit 24: accepting paused ($((limit1 - limit0))x), $((cut1 - cut0)) cut at http.timeout, a probe answered after ${waited} s ($(cat "$T/hold.json"))"
else
    il_fail "connection limit: probe HTTP $hc after ${waited} s, limit reached +$((limit1 - limit0)), cut +$((cut1 - cut0)), $(cat "$T/hold.json")"
fi

# --- the XMPP side during an HTTP flood ----------------------------------------
# 12 clients sending /metrics requests back to back (401: no token), within
# the connection limit, so that the listener is as busy as it can be.
"$PY" "$HERE/http_abuse.py" flood 127.0.0.1 "$HTTP_PORT" 10 12 0 >"$T/flood.json" 2>"$T/flood.err" &
FLOOD_PID=$!
IL_PIDS+=("$FLOOD_PID")
sleep 1
rc=0
timeout 120 "$PY" "$HERE/metrics_client.py" 127.0.0.1 "$ED_PORT" alice@localhost "$ALICE_PW" \
    20 10 5 0 >"$T/client2.json" 2>"$T/client2.err" || rc=$?
il_wait "$FLOOD_PID"
rtt=$(jq -r .max_rtt "$T/client2.json" 2>/dev/null || echo none)
if [ "$rc" = 0 ] && awk -v r="$rtt" 'BEGIN { exit !(r < 2.0) }'; then
    il_pass "during the HTTP flood ($(jq -r .answered "$T/flood.json") HTTP requests answered) slixmpp got all 35 answers, slowest ${rtt} s"
else
    il_fail "XMPP during the flood: rc $rc $(cat "$T/client2.json") flood $(cat "$T/flood.json")"
fi
expect_code "/health after the flood" 200 "$URL/health"
conns_back() { [ "$(curl -s --max-time 5 "${AUTH[@]}" "$URL/metrics" | awk '/^extdisco_http_connections /{print $2}')" -le 2 ]; }
if il_wait_for 10 conns_back; then
    il_pass "HTTP connection slots are given back after the flood"
else
    il_fail "extdisco_http_connections stays high: $(curl -s "${AUTH[@]}" "$URL/metrics" | grep '^extdisco_http')"
fi

# --- no secrets, passwords or JIDs -------------------------------------------
curl -s --max-time 5 "${AUTH[@]}" "$URL/metrics" >"$T/metrics2.txt"
curl -s --max-time 5 "${AUTH[@]}" "$URL/status" >"$T/status.json"
leaks=""
for s in "$COMP_SECRET" "$TURN_SECRET" "$TOKEN" "$ALICE_PW" alice@localhost alice extdisco.example.org; do
    if grep -qF -- "$s" "$T/metrics2.txt" "$T/status.json"; then leaks="$leaks $s"; fi
done
if [ -z "$leaks" ] && [ -s "$T/metrics2.txt" ] && jq -e .version "$T/status.json" >/dev/null; then
    il_pass "no secret, password or JID in /metrics or /status"
else
    il_fail "found in /metrics or /status:$leaks"
fi

# --- extdiscoctl status -------------------------------------------------------
if "$EXTDISCOCTL" -c "$T/extdiscod.yml" status >"$T/ctl.out" 2>&1 &&
   grep -qE "^extdiscod .*, up .*, ready$" "$T/ctl.out" &&
   grep -qE "^0 +127.0.0.1:$COMP_PORT +ready .*urn:xmpp:extdisco:2" "$T/ctl.out" &&
   grep -qE "^services +[0-9]+ " "$T/ctl.out"; then
    il_pass "extdiscoctl status prints the tables"
    sed 's/^/      /' "$T/ctl.out"
else
    il_fail "extdiscoctl status: $(cat "$T/ctl.out")"
fi

# --- /ready follows the host server -------------------------------------------
il_stop "$PROSODY_PID" 10
if il_wait_for 20 ready_is 503; then
    il_pass "/ready 503 while Prosody is stopped: $(curl -s --max-time 5 "$URL/ready")"
else
    il_fail "/ready with Prosody stopped: $(code "$URL/ready")"
fi
expect_code "/health while the link is down" 200 "$URL/health"
if il_wait_for 15 q_is 'extdisco_component_link_up{job="extdisco"}' 0; then
    il_pass "Prometheus sees extdisco_component_link_up 0"
else
    il_fail "Prometheus: extdisco_component_link_up not 0"
fi
start_prosody 2
if il_wait_for 90 ready_is 200; then
    il_pass "/ready 200 again once Prosody is back and delegates again"
else
    il_fail "/ready after Prosody's restart: $(curl -s --max-time 5 "$URL/ready")"
fi
if il_wait_for 15 q_is 'extdisco_component_link_reconnects_total{job="extdisco"}' 1; then
    il_pass "Prometheus: extdisco_component_link_reconnects_total 1"
else
    il_fail "reconnects: $(q 'extdisco_component_link_reconnects_total{job="extdisco"}')"
fi

# --- a refused reload: the counters, and the example alert in Prometheus ----
cp "$T/extdiscod.yml" "$T/extdiscod.yml.good"
printf 'services: [not, a, list, of, maps]\n' >>"$T/extdiscod.yml"
kill -HUP "$ED_PID"
reload_failed() { [ "$(metric 'extdisco_config_reloads_total{result="failed"}')" = 1 ]; }
if il_wait_for 10 reload_failed && [ "$(metric extdisco_config_last_reload_successful)" = 0 ]; then
    il_pass "a refused reload: reloads_total{result=failed} 1, last_reload_successful 0"
else
    il_fail "refused reload not counted: $(curl -s "${AUTH[@]}" "$URL/metrics" | grep extdisco_config)"
fi
alert_pending() {
    curl -s --max-time 5 "$PROM/api/v1/query" --data-urlencode 'query=ALERTS{alertname="ExtdiscoReloadFailed"}' |
        jq -e '.data.result | length == 1' >/dev/null
}
if il_wait_for 20 alert_pending; then
    il_pass "Prometheus evaluates examples/prometheus/alerts.yml: ExtdiscoReloadFailed pending"
else
    il_fail "ExtdiscoReloadFailed not pending: $(curl -s "$PROM/api/v1/rules" | head -c 400)"
fi
cp "$T/extdiscod.yml.good" "$T/extdiscod.yml"
kill -HUP "$ED_PID"
reload_ok() { [ "$(metric 'extdisco_config_reloads_total{result="ok"}')" = 1 ]; }
if il_wait_for 10 reload_ok && [ "$(metric extdisco_config_last_reload_successful)" = 1 ] &&
   [ "$(code "${AUTH[@]}" "$URL/metrics")" = 200 ]; then
    il_pass "the good file again: reloads_total{result=ok} 1, last_reload_successful 1, token still accepted"
else
    il_fail "reload after the fix: $(curl -s "${AUTH[@]}" "$URL/metrics" | grep extdisco_config)"
fi

# --- /ready also wants every c2s listener open --------------------------------
# a second listener on the port Prometheus holds: the reload is taken, that
# listener cannot open, /ready says so; the good file again: 200
sed "s|^    - {address: \"127.0.0.1:$ED_PORT\", tls: starttls}|&\n    - {address: \"127.0.0.1:$PROM_PORT\", tls: starttls}|" \
    "$T/extdiscod.yml.good" >"$T/extdiscod.yml"
grep -q "127.0.0.1:$PROM_PORT\", tls: starttls" "$T/extdiscod.yml" || il_fail "second listener not written"
kill -HUP "$ED_PID"
if il_wait_for 10 ready_is 503 &&
   [ "$(curl -s --max-time 5 "$URL/ready")" = "not ready: c2s listeners open: 1 of 2" ]; then
    il_pass "/ready 503 with a c2s listener that cannot open: $(curl -s --max-time 5 "$URL/ready")"
else
    il_fail "/ready with a c2s listener on a taken port: $(curl -s --max-time 5 "$URL/ready")"
fi
cp "$T/extdiscod.yml.good" "$T/extdiscod.yml"
kill -HUP "$ED_PID"
if il_wait_for 10 ready_is 200; then
    il_pass "/ready 200 again once every configured c2s listener is open"
else
    il_fail "/ready after dropping the listener: $(curl -s --max-time 5 "$URL/ready")"
fi

il_stop "$PROM_PID" 10
il_stop "$ED_PID"
il_summary
