#!/usr/bin/env bash
# tests/interop/provider_component.sh BUILD_DIR — per-network service sets
# and an HTTP credential provider in component mode: Prosody 0.12 serves
# two domains (example.org, corp.example.org) that both delegate XEP-0215
# to extdiscod (XEP-0355); a real slixmpp client of each domain asks.
#   - corp.example.org users get the corp TURN, not the provider's services;
#   - example.org users get the Cloudflare-shaped provider's services (the
#     local HTTPS server of provider_server.py), not the corp TURN;
#   - an address rule never matches in component mode (Prosody never tells
#     a component the client's address): nobody gets the "lan" service.
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
MODDIR=/usr/lib/prosody/modules
if [ ! -x /usr/bin/prosody ] || [ ! -f "$MODDIR/mod_delegation/mod_delegation.lua" ]; then
    echo "SKIP: prosody or prosody-modules not installed"
    exit 77
fi
il_init provider_component
peer_extdiscod_find "$BUILD_DIR" || exit 1
T=$IL_TMP
chmod 755 "$T"
LOG=$T/extdiscod.log

CF_KEY_ID=k$RANDOM
CF_TOKEN=cftoken-$RANDOM$RANDOM-secret
COMP_SECRET=comp-$RANDOM$RANDOM
printf '%s\n' "$CF_TOKEN" >"$T/cf.key"
printf '%s\n' "$COMP_SECRET" >"$T/component.secret"
printf 'corp-pass-%s\n' "$RANDOM" >"$T/corp.pass"
read -r HP C2S_PORT COMP_PORT <<<"$(il_free_ports 3)"
prov_server_start "$T" "$HP" "$CF_KEY_ID" "$CF_TOKEN" ACx twx || { echo "FAIL: provider server"; exit 1; }

# Prosody: the test settings and a second domain delegating to extdiscod
peer_prosody_example_config "$T/prosody" "$C2S_PORT" "$COMP_PORT" "$COMP_SECRET" \
    'run_as_root = true
prosody_user = "root"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
certificates = "certs-none"
VirtualHost "corp.example.org"
	delegations = {
		["urn:xmpp:extdisco:2"] = { jid = "extdisco.hosting.test" };
	}
	privileged_entities = {
		["extdisco.hosting.test"] = { presence = "managed_entity" };
	}
' || { echo "FAIL: prosody config"; exit 1; }
PCFG=$T/prosody/prosody.cfg.lua
# a component name under neither domain: the link speaks for both
# (component.c, link_domain)
sed -i 's/extdisco\.example\.org/extdisco.hosting.test/g' "$PCFG"
peer_prosody_start "$PCFG" "$T/prosody/stdout.log" "$C2S_PORT" "$COMP_PORT" ||
    { echo "FAIL: prosody did not start"; exit 1; }
peer_prosody_register "$PCFG" alice example.org alice-pw "$T/prosodyctl.log"
peer_prosody_register "$PCFG" dave corp.example.org dave-pw "$T/prosodyctl.log"

cat >"$T/extdiscod.yml" <<YAML
log: {level: debug, syslog: false}
domains: [example.org, corp.example.org]
networks:
  - {name: lan, addresses: [127.0.0.0/8, "::1/128"]}
  - {name: corp, domains: [corp.example.org]}
  - {name: rest}
services:
  - {type: stun, host: stun.example.org, port: 3478, transport: udp}
  - {type: turn, host: turn.corp.example.org, port: 3478, transport: udp, username: corp, password_file: corp.pass, networks: [corp]}
  - {type: turn, host: turn.lan.example.org, port: 3478, transport: udp, username: lan, password_file: corp.pass, networks: [lan]}
turn_providers:
  - {name: cf, preset: cloudflare, key_id: $CF_KEY_ID, api_key_file: cf.key, url: "https://127.0.0.1:$HP/v1", ca_file: ca.pem, ttl: 1h, networks: [rest]}
components:
  - {server: "127.0.0.1:$COMP_PORT", jid: extdisco.hosting.test, secret_file: component.secret}
YAML
peer_extdiscod_start "$T/extdiscod.yml" "$LOG"
if peer_extdiscod_delegated "$LOG" 20 2 && grep -q "corp.example.org delegates urn:xmpp:extdisco:2" "$LOG" && il_wait_for 15 grep -q 'turn_providers cf: fetched' "$LOG"; then
    il_pass "extdiscod linked, both domains delegate, the provider fetched"
else
    il_fail "delegation or fetch"; tail -n 20 "$LOG"; exit 1
fi
sleep 0.5

client() { # JID PASS OUT
    timeout 60 "$PY" "$HERE/xmpp_client.py" --jid "$1" --password "$2" --port "$C2S_PORT" \
        --timeout 15 services:2 >"$3.all" 2>>"$T/client.err" || true
    jq -c 'select(.op == "services:2")' "$3.all" >"$3"
}
client alice@example.org alice-pw "$T/alice.json"
client dave@corp.example.org dave-pw "$T/dave.json"
hosts() { jq -r '[.services[]?.host] | unique | join(" ")' "$1"; }
echo "example.org:      $(hosts "$T/alice.json")"
echo "corp.example.org: $(hosts "$T/dave.json")"
if jq -e '.type == "result" and (.services | any(.host == "turn.cloudflare.com" and .username != null and .password != null and .restricted == "true")) and (.services | all(.host != "turn.corp.example.org"))' "$T/alice.json" >/dev/null; then
    il_pass "example.org user: the provider's TURN with credentials, not the corp TURN"
else
    il_fail "example.org user: $(cat "$T/alice.json")"
fi
if jq -e '.type == "result" and (.services | any(.host == "turn.corp.example.org" and .username == "corp")) and (.services | all(.host != "turn.cloudflare.com"))' "$T/dave.json" >/dev/null; then
    il_pass "corp.example.org user: the corp TURN, not the provider's"
else
    il_fail "corp.example.org user: $(cat "$T/dave.json")"
fi
if jq -s -e 'all(.[]; .services | all(.host != "turn.lan.example.org")) and all(.[]; .services | any(.host == "stun.example.org"))' "$T/alice.json" "$T/dave.json" >/dev/null; then
    il_pass "component mode: the address rule matches nobody; the unscoped STUN goes to both"
else
    il_fail "address rule in component mode"
fi
if grep -qF "$CF_TOKEN" "$LOG" "$T/alice.json" "$T/dave.json"; then
    il_fail "the API key appears in the log or a reply"
else
    il_pass "no API key in the log or the replies"
fi
il_summary
