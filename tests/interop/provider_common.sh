# shellcheck shell=bash
# tests/interop/provider_common.sh — what provider_http.sh and
# provider_component.sh share: the test CA and the local HTTPS server that
# speaks the providers' APIs (provider_server.py).  Source after lib.sh.
#
#   prov_server_start DIR PORT CF_KEY_ID CF_TOKEN TW_SID TW_TOKEN
#       a test CA (DIR/ca.pem, for extdiscod's ca_file) and a certificate
#       for 127.0.0.1 signed by it; the server on 127.0.0.1:PORT (PID in
#       PROV_PID, requests logged to DIR/requests.jsonl, behaviour read from
#       DIR/state.json); waits until it listens.

prov_server_start() {
    local d=$1 port=$2
    shift 2
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=extdisco test CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$d/api.key" -out "$d/api.csr" 2>/dev/null &&
    printf 'subjectAltName=IP:127.0.0.1\n' >"$d/san.ext" &&
    openssl x509 -req -in "$d/api.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 2 -extfile "$d/san.ext" -out "$d/api.pem" 2>/dev/null || return 1
    [ -e "$d/state.json" ] || echo '{}' >"$d/state.json"
    : >"$d/requests.jsonl"
    il_start "$d/provider_server.log" /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/provider_server.py" \
        "$port" "$d/api.pem" "$d/api.key" "$d/state.json" "$d/requests.jsonl" "$@"
    PROV_PID=$IL_LAST_PID
    il_wait_port tcp "$port" 10 "$PROV_PID" || { cat "$d/provider_server.log" >&2; return 1; }
}
