# shellcheck shell=bash
# tests/interop/client_extdiscod_component.sh — part 2 of client_extdiscod.sh
# (sourced; uses its helpers and $T, $SECRET, $TURN_PORT): the extdisco
# client against extdiscod as the XEP-0114 component extdisco.example.org of
# Prosody 0.12, reached through XEP-0355 delegation of urn:xmpp:extdisco:2/:1
# on example.org.  Prosody and extdiscod run the example configurations
# (examples/prosody/prosody.cfg.lua, examples/extdiscod-component.yml) with
# the @test lines substituted by the same helpers as
# tests/interop/component_prosody.sh and component_common.sh use
# (tests/interop/peers.sh), plus STARTTLS with the test certificate, which
# extdisco requires.

# cp_write_ed_config STUN_NAME
cp_write_ed_config() {
    peer_extdiscod_component_config "$T/cp/extdiscod.yml" "$TURN_PORT" "$CP_COMP" \
        "$T/turn.secret" "$T/cp/component.secret" "$1"
}

cp_start() {
    read -r CP_C2S CP_COMP <<<"$(il_free_ports 2)"
    local secret="comp-$RANDOM$RANDOM$RANDOM" cfg="$T/cp/prosody/prosody.cfg.lua"
    mkdir -p "$T/cp/prosody"
    printf '%s\n' "$secret" >"$T/cp/component.secret"
    # Test-only globals before the first VirtualHost: root in a temp dir,
    # STARTTLS required with the test certificate (no certs directory).
    peer_prosody_example_config "$T/cp/prosody" "$CP_C2S" "$CP_COMP" "$secret" \
        "run_as_root = true
prosody_user = \"root\"
c2s_require_encryption = true
certificates = \"$T/cp/certs-none\"
ssl = { certificate = \"$T/cert.pem\"; key = \"$T/key.pem\" }
" || return 1
    grep -q "^ssl = " "$cfg" || { echo "prosody config substitution failed"; return 1; }
    peer_prosody_start "$cfg" "$T/cp/prosody/stdout.log" "$CP_C2S" "$CP_COMP" || return 1
    # shellcheck disable=SC2034  # printed by client_extdiscod.sh
    CP_PROSODY_PID=$PEER_PROSODY_PID
    peer_prosody_register "$cfg" alice example.org "$(cat "$T/alice.pw")" "$T/cp/prosodyctl.log" ||
        { cat "$T/cp/prosodyctl.log"; return 1; }

    cp_write_ed_config STUN
    peer_extdiscod_check "$T/cp/extdiscod.yml" "$T/cp/check-config.log" || return 1
    peer_extdiscod_start "$T/cp/extdiscod.yml" "$T/cp/extdiscod.log"
    CP_ED_PID=$PEER_ED_PID
    if ! peer_extdiscod_delegated "$T/cp/extdiscod.log" 20; then
        echo "extdiscod: no delegation advertised"
        tail -n 20 "$T/cp/extdiscod.log"
        return 1
    fi
    sleep 0.5 # Prosody finishes nesting the delegated features into disco#info
}

cp_tests() {
    local S="127.0.0.1:$CP_C2S" J=alice@example.org P=$TURN_PORT

    ed cp_info $J "$S" info --json
    expect "component: info --json to example.org: extdisco:2 and :1 (delegated), no sic (Prosody has none)" 0 \
        '.entity == "example.org" and .features == {"extdisco:2":true,"extdisco:1":true,"sic:1":false,"sic:0":false}' \
        "$T/cp_info.out"

    ed cp_svc $J "$S" services --json
    expect "component: services to the user's own domain: extdiscod's 3 services, answered from example.org" 0 \
        ".entity == \"example.org\" and .namespace == \"urn:xmpp:extdisco:2\" and (.services | length) == 3 and
         all(.services[]; $SVC_SCHEMA) and
         .services[0] == {\"type\":\"stun\",\"host\":\"127.0.0.1\",\"port\":$P,\"transport\":\"udp\",\"name\":\"STUN\",\"restricted\":null,\"username\":null,\"password\":null,\"expires\":null,\"expires_unix\":null,\"uri\":\"stun:127.0.0.1:$P\"} and
         ([.services[1:][] | [.type, .transport, .port]] == [[\"turn\",\"udp\",$P],[\"turn\",\"tcp\",$P]]) and
         all(.services[1:][]; $(cred_expr 43200))" \
        "$T/cp_svc.out"
    ed cp_v1 $J "$S" --v1 services --json
    expect "component: --v1 services (delegated urn:xmpp:extdisco:1)" 0 \
        '.namespace == "urn:xmpp:extdisco:1" and (.services | length) == 3' "$T/cp_v1.out"
    ed cp_cred $J "$S" credentials --type turn --host 127.0.0.1 --port "$P" --transport tcp --json
    expect "component: credentials turn/tcp through delegation" 0 \
        "(.services | length) == 1 and (.services[0] | .transport == \"tcp\" and $(cred_expr 43200))" "$T/cp_cred.out"
    ed cp_uris $J "$S" services --uris
    expect_same "component: --uris" 0 \
        "stun:127.0.0.1:$P
turn:127.0.0.1:$P?transport=udp
turn:127.0.0.1:$P?transport=tcp" "$T/cp_uris.out"

    ed cp_check $J "$S" check --json
    expect "component: check --json exit 0: STUN mapped, TURN udp/tcp allocated+refreshed+deallocated with extdiscod's credentials" 0 \
        ".entity == \"example.org\" and .summary.services == 3 and .summary.ok == 3 and .summary.failed == 0 and
         all(.services[]; .ok and .checked and .result.ok) and
         (.services[0].result.mapped | test(\"^127\\\\.0\\\\.0\\\\.1:\")) and
         ([.services[1:][] | .result] | all(.[]; (.relayed | test(\"^127\\\\.0\\\\.0\\\\.1:\")) and .refreshed and .deallocated))" \
        "$T/cp_check.out"
    ed cp_check_t $J "$S" check
    cp "$T/cp_check_t.out" "$T/component_check.txt"
    expect_grep "component: check table: 3 ok" 0 '^summary: 3 services, 3 ok, 0 failed' "$T/cp_check_t.out"

    # watch through delegation: a reload that renames the STUN service is
    # pushed (from example.org) to the watching client.
    local W="$T/cp_watch.out" WPID
    timeout 60 "$EXTDISCO" --jid $J --server "$S" --ca-file "$T/cert.pem" \
        --password-file "$T/alice.pw" watch --json --duration 10 >"$W" 2>"$T/cp_watch.err" &
    WPID=$!
    IL_PIDS+=("$WPID")
    if il_wait_for 20 grep -q '"event":"snapshot"' "$W"; then
        sleep 1 # extdiscod learns the client is online (XEP-0356 presence)
        cp_write_ed_config STUN-renamed
        kill -HUP "$CP_ED_PID"
    fi
    il_wait "$WPID"
    if [ "$IL_RC" -eq 0 ] && jq -n -e '[inputs] as $e |
        ($e | map(select(.event == "push")) | map([.action, .service.type, .service.name])) == [["modify","stun","STUN-renamed"]] and
        ($e | map(select(.event == "end"))[0] | .rejected == 0 and (.view | length) == 3 and
           any(.view[]; .name == "STUN-renamed"))' "$W" >/dev/null; then
        il_pass "component: watch printed the pushed modify after extdiscod's SIGHUP"
    else
        il_fail "component: watch (exit $IL_RC)"; show "$W" "$T/cp_watch.err"
        grep 'reloaded' "$T/cp/extdiscod.log" | tail -n 2
    fi

    # It was extdiscod answering: with extdiscod stopped, the domain has
    # no services any more (Prosody's own mod_external_services is off).
    il_stop "$CP_ED_PID"
    sleep 0.5
    ed cp_gone $J "$S" services --json
    # a stanza error (service-unavailable) is an answer: exit 1, not 2
    if [ "$RC" -eq 1 ] && [ ! -s "$T/cp_gone.out" ] && grep -q 'stanza error' "$T/cp_gone.err"; then
        il_pass "component: extdiscod stopped -> example.org answers services with an error, exit 1 ($(tail -n1 "$T/cp_gone.err" | cut -c1-100))"
    else
        il_fail "component: services still answered without extdiscod (exit $RC)"; show "$T/cp_gone.out" "$T/cp_gone.err"
    fi
}
