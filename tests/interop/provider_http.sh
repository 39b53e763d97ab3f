#!/usr/bin/env bash
# tests/interop/provider_http.sh BUILD_DIR — HTTP credential providers and
# per-network service sets, extdiscod standalone on loopback:
#   - a local HTTPS server (test CA) speaking Cloudflare's and Twilio's
#     documented TURN credential APIs (provider_server.py) is the provider;
#     the requests are checked (method, path, auth header, body);
#   - real slixmpp clients (provider_client.py) get the returned ICE servers
#     as services with credentials, per network: 127.0.0.2 vs 127.0.0.3, and
#     through a PROXY header (198.51.100.7 vs 203.0.113.9);
#   - refresh ahead of expiry, a hanging server (requests still answered at
#     once from the cache), 500s with back-off and one warning, expiry of
#     the cache (answered without those services), recovery, 429, malformed
#     JSON, a wrong key (401: answered without, logged once);
#   - /metrics follows each provider by name: fetches by result (ok, timeout,
#     http_error, parse_error), last success, cache age and expiry, services
#     offered, failures in a row and the back-off delay; promtool accepts the
#     exposition; no key or URL in it;
#   - no key in the log (debug level) or in any reply.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"
# shellcheck source=tests/interop/provider_common.sh
. "$HERE/provider_common.sh"

BUILD_DIR=${1:?usage: $0 BUILD_DIR}
PY=/usr/bin/python3
il_init provider_http
peer_extdiscod_find "$BUILD_DIR" || exit 1
T=$IL_TMP
LOG=$T/extdiscod.log
REQS=$T/requests.jsonl
STATE=$T/state.json
echo '{}' >"$STATE"

peer_cert_make "$T" localhost

CF_KEY_ID=k$RANDOM$RANDOM
CF_TOKEN=cftoken-$RANDOM$RANDOM$RANDOM-secret
TW_SID=AC$RANDOM$RANDOM
TW_TOKEN=twtoken-$RANDOM$RANDOM$RANDOM-secret
WRONG=wrongkey-$RANDOM$RANDOM-secret
printf '%s\n' "$CF_TOKEN" >"$T/cf.key"
printf '%s\n' "$TW_TOKEN" >"$T/tw.key"
printf 'turn-%s\n' "$RANDOM$RANDOM" >"$T/turn.secret"
TW_BASIC=$(printf '%s:%s' "$TW_SID" "$TW_TOKEN" | base64 -w0)

read -r HP P_TLS P_PROXY P_HTTP <<<"$(il_free_ports 4)"
prov_server_start "$T" "$HP" "$CF_KEY_ID" "$CF_TOKEN" "$TW_SID" "$TW_TOKEN" ||
    { echo "FAIL: provider server"; exit 1; }

write_config() { # TW_KEY_FILE
    cat >"$T/extdiscod.yml.new" <<YAML
log: {level: debug, syslog: false}
domains: [localhost]
http: {listen: ["127.0.0.1:$P_HTTP"]}
turn_secrets:
  - {name: dev, secret_files: [turn.secret], ttl: 1h}
networks:
  - {name: internal, addresses: [127.0.0.2/32, 198.51.100.0/24]}
  - {name: public}
services:
  - {type: stun, host: 127.0.0.1, port: 3478, transport: udp, allow_local: true}
  - {type: turn, host: turn.internal.example, port: 3478, transport: udp, credentials: dev, networks: [internal]}
  - {type: turn, host: turn.public.example, port: 3478, transport: udp, credentials: dev, networks: [public]}
turn_providers:
  - name: cf
    preset: cloudflare
    key_id: $CF_KEY_ID
    api_key_file: cf.key
    url: https://127.0.0.1:$HP/v1
    ca_file: ca.pem
    ttl: 20s
    cache_percent: 25
    timeout: 3s
    retry_min: 1s
    retry_max: 4s
    networks: [public]
  - name: tw
    preset: twilio
    key_id: $TW_SID
    api_key_file: $1
    url: https://127.0.0.1:$HP/2010-04-01
    ca_file: ca.pem
    ttl: 1h
    networks: [internal]
$(peer_extdiscod_c2s_yaml localhost cert.pem key.pem "127.0.0.1:$P_TLS=starttls" \
    "127.0.0.1:$P_PROXY=starttls,proxy")
YAML
    mv "$T/extdiscod.yml.new" "$T/extdiscod.yml"
}
write_config tw.key
CFG=$T/extdiscod.yml
"$EXTDISCOCTL" -c "$CFG" adduser alice@localhost <<<"alice" >/dev/null
peer_extdiscod_start "$CFG" "$LOG" "$P_TLS" || { echo "FAIL: extdiscod did not start"; cat "$LOG"; exit 1; }
D_PID=$PEER_ED_PID

fetched() { [ "$(grep -c "turn_providers $1: fetched" "$LOG" || true)" -ge "${2:-1}" ]; }
cf_reqs() { grep -c '/credentials/generate-ice-servers' "$REQS" || true; }
cf_at_least() { [ "$(cf_reqs)" -ge "$1" ]; }
# ask NAME ARGS...: one client, its JSON lines in $T/NAME.out
ask() {
    local name=$1
    shift
    timeout 60 "$PY" "$HERE/provider_client.py" 127.0.0.1 "$@" >"$T/$name.out" 2>"$T/$name.err" ||
        { il_fail "$name: client failed"; tail -n 5 "$T/$name.err" >&2; }
}
# has NAME JQ-EXPR [LINE]: the test on the answer's services
has() {
    local name=$1 expr=$2 line=${3:-1}
    sed -n "${line}p" "$T/$name.out" | jq -e "$expr" >/dev/null 2>&1
}
check() { # NAME DESCRIPTION JQ-EXPR [LINE]
    if has "$1" "$3" "${4:-1}"; then il_pass "$1: $2"; else
        il_fail "$1: $2"; sed -n "${4:-1}p" "$T/$1.out" | cut -c1-1500; fi
}
# scrape NAME: /metrics into $T/NAME.prom; metric NAME SERIES: its value
scrape() { curl -s --max-time 5 "http://127.0.0.1:$P_HTTP/metrics" >"$T/$1.prom" || true; }
metric() { awk -v s="$2" '$1 == s { print $2 }' "$T/$1.prom"; }
# mcheck NAME DESCRIPTION AWK-CONDITION SERIES...: the condition on v1,
# v2, ... (the series' values; a missing series fails)
mcheck() {
    local name=$1 what=$2 cond=$3 s v
    local -a vals=()
    shift 3
    for s in "$@"; do
        v=$(metric "$name" "$s" | head -n 1)
        vals+=("${v:--}")
    done
    if awk -v vals="${vals[*]}" "BEGIN { n = split(vals, v, \" \"); for (i = 1; i <= n; i++) if (v[i] == \"-\") exit 1;
            v1 = v[1] + 0; v2 = v[2] + 0; v3 = v[3] + 0; v4 = v[4] + 0; exit !($cond) }"; then
        il_pass "metrics ($name): $what [${vals[*]}]"
    else
        il_fail "metrics ($name): $what [${vals[*]}]"; grep '^extdisco_provider_' "$T/$name.prom" | head -n 40
    fi
}
CF_TURN='(.services | any(.type == "turn" and .host == "turn.cloudflare.com" and .port == "3478" and .transport == "udp"))'
TW_TURN='(.services | any(.type == "turn" and .host == "global.turn.twilio.com"))'

# --- first fetch: the requests as the APIs document them ---------------------
if il_wait_for 15 fetched cf && il_wait_for 15 fetched tw; then
    il_pass "both providers fetched at start"
else
    il_fail "providers fetched at start"; tail -n 20 "$LOG"
fi
cfr=$(grep -m1 '/credentials/generate-ice-servers' "$REQS" || true)
if jq -e --arg p "/v1/turn/keys/$CF_KEY_ID/credentials/generate-ice-servers" \
        --arg a "Bearer $CF_TOKEN" \
        '.method == "POST" and .path == $p and .authorization == $a and
         .content_type == "application/json" and (.body | fromjson | .ttl == 20)' \
        <<<"$cfr" >/dev/null; then
    il_pass "cloudflare request: POST $(jq -r .path <<<"$cfr"), bearer token, body $(jq -r .body <<<"$cfr")"
else
    il_fail "cloudflare request: $cfr"
fi
twr=$(grep -m1 'Tokens.json' "$REQS" || true)
if jq -e --arg p "/2010-04-01/Accounts/$TW_SID/Tokens.json" --arg a "Basic $TW_BASIC" \
        '.method == "POST" and .path == $p and .authorization == $a and
         .content_type == "application/x-www-form-urlencoded" and .body == "Ttl=3600"' \
        <<<"$twr" >/dev/null; then
    il_pass "twilio request: POST $(jq -r .path <<<"$twr"), basic auth, body $(jq -r .body <<<"$twr")"
else
    il_fail "twilio request: $twr"
fi

# --- /metrics per provider --------------------------------------------------------
scrape m_start
mcheck m_start "cf: a good fetch, services offered, last success now, cache young" \
    'v1 >= 1 && v2 > 0 && v3 > 1700000000 && v4 >= 0 && v4 < 10' \
    'extdisco_provider_fetches_total{provider="cf",result="ok"}' 'extdisco_provider_services{provider="cf"}' \
    'extdisco_provider_last_success_timestamp_seconds{provider="cf"}' 'extdisco_provider_cache_age_seconds{provider="cf"}'
mcheck m_start "cf: cache expiry within ttl 20 s minus the 2 s margin, no failure, no back-off" \
    'v1 > 5 && v1 <= 18 && v2 == 0 && v3 == 0' \
    'extdisco_provider_cache_expiry_seconds{provider="cf"}' 'extdisco_provider_consecutive_failures{provider="cf"}' \
    'extdisco_provider_backoff_seconds{provider="cf"}'
mcheck m_start "tw: a good fetch, no error of any kind yet" \
    'v1 >= 1 && v2 + v3 + v4 == 0' \
    'extdisco_provider_fetches_total{provider="tw",result="ok"}' 'extdisco_provider_fetches_total{provider="tw",result="http_error"}' \
    'extdisco_provider_fetches_total{provider="tw",result="timeout"}' 'extdisco_provider_fetches_total{provider="tw",result="parse_error"}'
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}
if [ -x "$PROMTOOL" ]; then
    if "$PROMTOOL" check metrics <"$T/m_start.prom" >"$T/promtool.out" 2>&1; then
        il_pass "promtool check metrics accepts /metrics with the provider families"
    else
        il_fail "promtool check metrics: $(head -n 5 "$T/promtool.out")"
    fi
else
    il_fail "promtool not installed ($PROMTOOL)"
fi
echo "    /metrics, the providers:"
grep -E '^extdisco_provider_' "$T/m_start.prom" | grep -v 'network_error\|parse_error\|"timeout"' | sed 's/^/      /'

# --- per-network sets: address and PROXY source -------------------------------
ask public "$P_TLS" alice@localhost alice --src 127.0.0.3
check public "127.0.0.3 gets Cloudflare's TURN with credentials, restricted, expires" \
    "$CF_TURN and (.services | any(.host == \"turn.cloudflare.com\" and (.username | startswith(\"cf-user-\")) and (.password | startswith(\"cf-cred-\")) and .restricted == \"true\" and .expires != null))"
check public "127.0.0.3 gets stun.cloudflare.com (3478 and 53)" \
    '[.services[] | select(.host == "stun.cloudflare.com")] | length == 2'
check public "127.0.0.3: turns:turn.cloudflare.com:5349 as turns/tcp" \
    '.services | any(.type == "turns" and .port == "5349" and .transport == "tcp")'
check public "127.0.0.3 gets the public static TURN, not the internal one nor Twilio" \
    "(.services | any(.host == \"turn.public.example\")) and (.services | all(.host != \"turn.internal.example\")) and ($TW_TURN | not)"
ask internal "$P_TLS" alice@localhost alice --src 127.0.0.2
check internal "127.0.0.2 gets Twilio's TURN (tw-user-*) and the internal TURN, not Cloudflare" \
    "$TW_TURN and (.services | any(.host == \"global.turn.twilio.com\" and (.username | startswith(\"tw-user-\")))) and (.services | any(.host == \"turn.internal.example\")) and ($CF_TURN | not)"
check internal "twilio's turn:...:443?transport=tcp is turn/tcp 443" \
    '.services | any(.host == "global.turn.twilio.com" and .port == "443" and .transport == "tcp")'
ask proxy_int "$P_PROXY" alice@localhost alice --proxy 198.51.100.7
check proxy_int "PROXY source 198.51.100.7 (internal) gets Twilio and the internal TURN" \
    "$TW_TURN and (.services | any(.host == \"turn.internal.example\")) and ($CF_TURN | not)"
ask proxy_pub "$P_PROXY" alice@localhost alice --proxy 203.0.113.9
check proxy_pub "PROXY source 203.0.113.9 (public) gets Cloudflare and the public TURN" \
    "$CF_TURN and (.services | any(.host == \"turn.public.example\")) and ($TW_TURN | not)"

# --- refresh ahead of expiry ----------------------------------------------------
# ttl 20 s, cache_percent 25: a new fetch 5 s after each, long before expiry
if il_wait_for 30 cf_at_least 3; then
    gaps=$(grep 'generate-ice-servers' "$REQS" | jq -s -r '[.[0:3][] | .t] | "\(.[1] - .[0]) \(.[2] - .[1])"')
    read -r g1 g2 <<<"$gaps"
    if awk -v a="$g1" -v b="$g2" 'BEGIN { exit !(a >= 4 && a < 10 && b >= 4 && b < 10) }'; then
        il_pass "refreshed ahead of expiry: fetches ${g1%.*}/${g2%.*} s apart (ttl 20 s, 25 %)"
    else
        il_fail "refresh gaps $g1 $g2 (want about 5 s)"
    fi
else
    il_fail "no refresh within 30 s ($(cf_reqs) requests)"
fi
ask refreshed "$P_TLS" alice@localhost alice --src 127.0.0.3
n_cf=$(jq -r '[.services[] | select(.host == "turn.cloudflare.com") | .username][0]' "$T/refreshed.out")
if [ "${n_cf%%-ttl*}" != "cf-user-1" ] && [[ $n_cf == cf-user-* ]]; then
    il_pass "the refreshed credentials are served ($n_cf)"
else
    il_fail "refreshed credentials: $n_cf"
fi

# --- a hanging server: requests still answered at once ---------------------------
before=$(cf_reqs)
echo '{"cf": "hang"}' >"$STATE"
il_wait_for 15 cf_at_least $((before + 1)) ||
    il_fail "no request reached the hanging server"
ask slow "$P_TLS" alice@localhost alice --src 127.0.0.3 --count 3 --every 0.5
if [ "$(jq -s '[.[] | select(.ms < 1000 and ([.services[] | select(.host == "turn.cloudflare.com")] | length) == 4)] | length' "$T/slow.out")" -eq 3 ]; then
    il_pass "while the server hangs, 3 requests answered at once from the cache ($(jq -s -r '[.[].ms] | map(tostring) | join(", ")' "$T/slow.out") ms)"
else
    il_fail "answers while the server hangs: $(cat "$T/slow.out")"
fi
if il_wait_for 10 grep -q 'turn_providers cf: fetch failed: timeout; serving the cached result' "$LOG"; then
    il_pass "the hang ends in a timeout (3 s), logged once, the cache still served"
else
    il_fail "no timeout line"; grep 'turn_providers cf' "$LOG" | tail -n 5
fi
scrape m_hang
mcheck m_hang "cf: the hang counted as a timeout, one failure in a row, the cache still offered" \
    'v1 >= 1 && v2 >= 1 && v3 > 0' \
    'extdisco_provider_fetches_total{provider="cf",result="timeout"}' 'extdisco_provider_consecutive_failures{provider="cf"}' \
    'extdisco_provider_services{provider="cf"}'

# --- 500s: back-off, one warning, the cache until it expires --------------------
echo '{"cf": "500"}' >"$STATE"
mark=$(date +%s.%N)
sleep 12
ask expired "$P_TLS" alice@localhost alice --src 127.0.0.3
times=$(jq -s -r --argjson m "$mark" '[.[] | select(.path | test("generate-ice-servers")) | select(.t > $m) | .t] | map(tostring) | join(" ")' "$REQS")
read -r -a ts <<<"$times"
gaps_ok=1
prev_gap=0
for ((i = 1; i < ${#ts[@]}; i++)); do
    gap=$(awk -v a="${ts[i - 1]}" -v b="${ts[i]}" 'BEGIN { printf "%.1f", b - a }')
    awk -v g="$gap" -v p="$prev_gap" 'BEGIN { exit !(g + 0.5 >= p && g <= 5.5) }' || gaps_ok=0
    prev_gap=$gap
done
if [ "${#ts[@]}" -ge 2 ] && [ "${#ts[@]}" -le 6 ] && [ "$gaps_ok" -eq 1 ]; then
    il_pass "500s: ${#ts[@]} retries in 12 s, gaps growing to the 4 s cap"
else
    il_fail "500s: retries at $times"
fi
warns=$(grep -c 'turn_providers cf: fetch failed:' "$LOG" || true)
if [ "$warns" -eq 1 ] && grep -q 'turn_providers cf: fetch failed again.*HTTP 500' "$LOG"; then
    il_pass "one warning for the whole failing streak (the 500s at debug level)"
else
    il_fail "$warns warnings for one failing streak"; grep 'turn_providers cf' "$LOG" | tail -n 8
fi
if grep -q 'turn_providers cf: cached credentials expire' "$LOG" &&
    has expired "(.services | any(.host == \"turn.public.example\")) and ([.services[] | select(.host | test(\"cloudflare\"))] | length == 0) and .ms < 1000"; then
    il_pass "past the cache's life: answered at once without Cloudflare's services ($(jq -r .ms "$T/expired.out") ms)"
else
    il_fail "after expiry: $(cat "$T/expired.out")"; grep 'turn_providers cf' "$LOG" | tail -n 3
fi
scrape m_500
mcheck m_500 "cf after 12 s of 500s: http errors counted, failures in a row, back-off at the 4 s cap" \
    'v1 >= 2 && v2 >= 2 && v3 >= 2 && v3 <= 4' \
    'extdisco_provider_fetches_total{provider="cf",result="http_error"}' \
    'extdisco_provider_consecutive_failures{provider="cf"}' 'extdisco_provider_backoff_seconds{provider="cf"}'
mcheck m_500 "cf past its cache: no services, expiry 0, last success still the old one" \
    'v1 == 0 && v2 == 0 && v3 > 1700000000' \
    'extdisco_provider_services{provider="cf"}' 'extdisco_provider_cache_expiry_seconds{provider="cf"}' \
    'extdisco_provider_last_success_timestamp_seconds{provider="cf"}'
if [ -z "$(metric m_500 'extdisco_provider_cache_age_seconds{provider="cf"}')" ]; then
    il_pass "metrics (m_500): no cache age without a cached result"
else
    il_fail "metrics (m_500): a cache age without a cache"
fi

# --- recovery, 429, malformed JSON ----------------------------------------------
echo '{}' >"$STATE"
if il_wait_for 15 grep -q 'turn_providers cf: fetched after [0-9]* failed attempts' "$LOG"; then
    il_pass "recovered: $(grep -o 'turn_providers cf: fetched after [0-9]* failed attempts' "$LOG" | tail -n1)"
else
    il_fail "no recovery"
fi
ask recovered "$P_TLS" alice@localhost alice --src 127.0.0.3
check recovered "Cloudflare's services are back" "$CF_TURN"
# a provider's new result with another URL set is pushed (XEP-0215 §3.2)
READY=$T/push.ready
timeout 60 "$PY" "$HERE/provider_client.py" 127.0.0.1 "$P_TLS" alice@localhost alice \
    --src 127.0.0.3 --wait-push 20 --ready "$READY" >"$T/push.out" 2>"$T/push.err" &
PUSH_PID=$!
IL_PIDS+=("$PUSH_PID")
il_wait_for 20 test -e "$READY" || il_fail "push client not ready"
echo '{"cf": "more"}' >"$STATE"
il_wait "$PUSH_PID"
if tail -n1 "$T/push.out" | jq -e '.push | length == 1 and .[0].host == "turn.cloudflare.com" and .[0].port == "443" and .[0].type == "turns" and .[0].action == "add" and (.[0].username | startswith("cf-user-")) and .[0].expires != null' >/dev/null; then
    il_pass "a new URL from the provider is pushed (add, with credentials) to the online requester"
else
    il_fail "push on a provider change: $(tail -n1 "$T/push.out")"
fi
echo '{}' >"$STATE"
echo '{"cf": "429"}' >"$STATE"
il_wait_for 15 grep -q 'turn_providers cf: fetch failed: HTTP 429 (rate limited)' "$LOG" &&
    il_pass "429 logged as rate limited" || il_fail "no 429 line"
echo '{"cf": "malformed"}' >"$STATE"
il_wait_for 15 grep -q 'turn_providers cf: fetch failed again.*malformed response: malformed JSON' "$LOG" &&
    il_pass "a body that is not JSON is refused" || il_fail "no malformed-JSON line"
echo '{}' >"$STATE"
scrape m_parse
mcheck m_parse "cf: the malformed body counted as a parse error, the 429 as an http error" \
    'v1 >= 1 && v2 >= 3' \
    'extdisco_provider_fetches_total{provider="cf",result="parse_error"}' \
    'extdisco_provider_fetches_total{provider="cf",result="http_error"}'

# --- a wrong key: 401, answered without, logged once -------------------------------
printf '%s\n' "$WRONG" >"$T/tw-wrong.key"
write_config tw-wrong.key
kill -HUP "$D_PID"
if il_wait_for 15 grep -q 'turn_providers tw: fetch failed: HTTP 401 (is the API key right?)' "$LOG"; then
    il_pass "a wrong key: HTTP 401 logged"
else
    il_fail "no 401 line"; grep 'turn_providers tw' "$LOG" | tail -n 5
fi
ask nokey "$P_TLS" alice@localhost alice --src 127.0.0.2 --count 2 --every 0.2
if [ "$(jq -s "[.[] | select(.ms < 1000 and ($TW_TURN | not) and (.services | any(.host == \"turn.internal.example\")))] | length" "$T/nokey.out")" -eq 2 ]; then
    il_pass "without Twilio's credentials: answered at once with the rest"
else
    il_fail "answers without Twilio: $(cat "$T/nokey.out")"
fi
n=$(grep -c 'turn_providers tw: no credentials fetched yet' "$LOG" || true)
[ "$n" -eq 1 ] && il_pass "'answering without' logged once for two requests" ||
    il_fail "'answering without' logged $n times"
scrape m_401
mcheck m_401 "tw with a wrong key (a new provider: its counters start over): http errors, no services, never a success" \
    'v1 >= 1 && v2 == 0 && v3 == 0 && v4 == 0' \
    'extdisco_provider_fetches_total{provider="tw",result="http_error"}' 'extdisco_provider_services{provider="tw"}' \
    'extdisco_provider_last_success_timestamp_seconds{provider="tw"}' 'extdisco_provider_fetches_total{provider="tw",result="ok"}'

# --- no key anywhere ---------------------------------------------------------------
leak=0
for f in "$LOG" "$T"/*.out "$T"/*.prom; do
    if grep -qF -e "$CF_TOKEN" -e "$TW_TOKEN" -e "$WRONG" -e "$TW_BASIC" "$f"; then
        leak=1; il_fail "a key appears in ${f##*/}"
    fi
done
[ "$leak" -eq 0 ] && il_pass "no API key in the log ($(wc -l <"$LOG") lines, debug level), any reply or /metrics"
if cat "$T"/*.prom | grep -qE -e "https?://" -e "127\.0\.0\.1:$HP" -e "$CF_KEY_ID" -e "$TW_SID"; then
    il_fail "a provider's URL or key id in /metrics"
else
    il_pass "no provider URL or key id in /metrics (providers named by their configured name)"
fi
kill -0 "$D_PID" 2>/dev/null && il_pass "extdiscod still running" || il_fail "extdiscod died"
# a stop with fetches cached and a provider failing: everything freed (a
# sanitizer build reports leaks and errors into the log)
il_stop "$D_PID" 10
if grep -q -e 'Sanitizer' -e 'runtime error' "$LOG"; then
    il_fail "sanitizer report"; grep -A15 -e 'Sanitizer' -e 'runtime error' "$LOG" | head -n 40
else
    il_pass "stopped cleanly (no sanitizer report)"
fi
il_summary
