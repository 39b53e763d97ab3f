# shellcheck shell=bash
# tests/interop/client_extdiscod_standalone.sh — part 1 of
# client_extdiscod.sh (sourced; uses its helpers and $T, $SECRET, $TURN_PORT,
# $TLS_PORT, $DEAD_PORT): the extdisco client against extdiscod's standalone
# XMPP server (domain sa.test).  The setup resembles
# tests/interop/c2s_common.sh but with a domain and certificate the client
# verifies, four services (turns on coturn's TLS port) and a second config
# with broken services for the reload.

# sa_write_config [bad]: the extdiscod configuration; "bad" adds a TURN
# service signed with a secret coturn does not know (on coturn's second
# listening address) and a STUN service on a port where nothing listens.
sa_write_config() {
    local extra=
    if [ "${1:-}" = bad ]; then
        extra="  - {type: turn, host: 127.0.0.2, port: $TURN_PORT, transport: udp, credentials: wrong, allow_local: true, name: wrong-secret}
  - {type: stun, host: 127.0.0.1, port: $DEAD_PORT, transport: udp, allow_local: true, name: dead-port}"
    fi
    cat >"$T/sa/extdiscod.yml.new" <<EOF
log: {level: debug, syslog: false}
domains: [sa.test]
turn_secrets:
  - {name: good, secret_files: [../turn.secret], ttl: 1h}
  - {name: wrong, secret_files: [../wrong.secret], ttl: 1h}
services:
  - {type: stun, host: 127.0.0.1, port: $TURN_PORT, transport: udp, allow_local: true, name: STUN}
  - {type: turn, host: 127.0.0.1, port: $TURN_PORT, transport: udp, credentials: good, allow_local: true}
  - {type: turn, host: 127.0.0.1, port: $TURN_PORT, transport: tcp, credentials: good, allow_local: true}
  - {type: turns, host: 127.0.0.1, port: $TLS_PORT, transport: tcp, credentials: good, allow_local: true}
$extra
$(peer_extdiscod_c2s_yaml sa.test ../cert.pem ../key.pem "127.0.0.1:$SA_PORT=starttls" \
    "127.0.0.1:$SA_DIRECT=direct")
limits:
  handshake_timeout: 20s
  idle_timeout: 10m
EOF
    mv "$T/sa/extdiscod.yml.new" "$T/sa/extdiscod.yml"
}

sa_start() {
    mkdir -p "$T/sa"
    read -r SA_PORT SA_DIRECT <<<"$(il_free_ports 2)"
    sa_write_config
    peer_extdiscod_check "$T/sa/extdiscod.yml" "$T/sa/check-config.log" || return 1
    "$EXTDISCOCTL" -c "$T/sa/extdiscod.yml" adduser alice@sa.test \
        --password-file "$T/alice.pw" >"$T/sa/adduser.log" 2>&1 ||
        { cat "$T/sa/adduser.log"; return 1; }
    local rc=0
    peer_extdiscod_start "$T/sa/extdiscod.yml" "$T/sa/extdiscod.log" "$SA_PORT" "$SA_DIRECT" || rc=$?
    SA_PID=$PEER_ED_PID
    return "$rc"
}

sa_tests() {
    local S="127.0.0.1:$SA_PORT" J=alice@sa.test P=$TURN_PORT

    # --- info: all four features
    ed sa_info $J "$S" info --json
    expect "standalone: info --json: extdisco:2, :1, sic:1, sic:0 advertised" 0 \
        '.entity == "sa.test" and .features == {"extdisco:2":true,"extdisco:1":true,"sic:1":true,"sic:0":true} and
         ([.all_features[] | select(test("^urn:xmpp:(extdisco|sic):"))] | sort) ==
         ["urn:xmpp:extdisco:1","urn:xmpp:extdisco:2","urn:xmpp:sic:0","urn:xmpp:sic:1"]' \
        "$T/sa_info.out"
    ed sa_info_t $J "$S" info
    if [ "$RC" -eq 0 ] && grep -Eq 'extdisco:2 +yes' "$T/sa_info_t.out" && grep -Eq 'extdisco:1 +yes' "$T/sa_info_t.out" &&
       grep -Eq 'sic:1 +yes' "$T/sa_info_t.out" && grep -Eq 'sic:0 +yes' "$T/sa_info_t.out"; then
        il_pass "standalone: info table: four 'yes'"
    else
        il_fail "standalone: info table (exit $RC)"; show "$T/sa_info_t.out" "$T/sa_info_t.err"
    fi

    # --- services: table, JSON, filter, v1, direct TLS
    ed sa_svc_t $J "$S" services
    if [ "$RC" -eq 0 ] && [ "$(grep -c "127\.0\.0\.1" "$T/sa_svc_t.out")" -eq 4 ] &&
       grep -q "turns" "$T/sa_svc_t.out"; then
        il_pass "standalone: services table: 4 rows"
    else
        il_fail "standalone: services table (exit $RC)"; show "$T/sa_svc_t.out" "$T/sa_svc_t.err"
    fi
    ed sa_svc $J "$S" services --json
    expect "standalone: services --json: 4 services in order, schema of every entry" 0 \
        ".entity == \"sa.test\" and .namespace == \"urn:xmpp:extdisco:2\" and .skipped == 0 and
         (.services | length == 4) and all(.services[]; $SVC_SCHEMA) and
         ([.services[] | [.type, .host, .port, .transport]] ==
          [[\"stun\",\"127.0.0.1\",$P,\"udp\"],[\"turn\",\"127.0.0.1\",$P,\"udp\"],
           [\"turn\",\"127.0.0.1\",$P,\"tcp\"],[\"turns\",\"127.0.0.1\",$TLS_PORT,\"tcp\"]])" \
        "$T/sa_svc.out"
    expect "standalone: services --json: stun exact (name, no credentials, stun: URI)" 0 \
        ".services[0] == {\"type\":\"stun\",\"host\":\"127.0.0.1\",\"port\":$P,\"transport\":\"udp\",\"name\":\"STUN\",\"restricted\":null,\"username\":null,\"password\":null,\"expires\":null,\"expires_unix\":null,\"uri\":\"stun:127.0.0.1:$P\"}" \
        "$T/sa_svc.out"
    expect "standalone: services --json: 3 TURN entries with inline credentials, expires == username expiry (1 h), URIs" 0 \
        "([.services[1:][] | select($(cred_expr 3600))] | length) == 3 and
         ([.services[1:][] | .uri] == [\"turn:127.0.0.1:$P?transport=udp\",\"turn:127.0.0.1:$P?transport=tcp\",\"turns:127.0.0.1:$TLS_PORT?transport=tcp\"])" \
        "$T/sa_svc.out"
    ed sa_turn $J "$S" services --type turn --json
    expect "standalone: services --type turn: turn/udp and turn/tcp only" 0 \
        "(.services | length) == 2 and all(.services[]; .type == \"turn\" and .port == $P and $(cred_expr 3600)) and
         ([.services[].transport] == [\"udp\",\"tcp\"])" "$T/sa_turn.out"
    ed sa_v1 $J "$S" --v1 services --json
    expect "standalone: --v1 services: same 4 in urn:xmpp:extdisco:1" 0 \
        '.namespace == "urn:xmpp:extdisco:1" and (.services | length) == 4 and ([.services[] | select(.password != null)] | length) == 3' \
        "$T/sa_v1.out"
    ed sa_direct $J "127.0.0.1:$SA_DIRECT" --direct-tls services --json
    expect "standalone: direct TLS login, services" 0 '(.services | length) == 4' "$T/sa_direct.out"

    # --- credentials
    ed sa_cred $J "$S" credentials --type turn --host 127.0.0.1 --port "$P" --transport udp --json
    expect "standalone: credentials turn/udp: exactly that entry (turn/tcp left out), fresh credentials" 0 \
        ".namespace == \"urn:xmpp:extdisco:2\" and (.services | length) == 1 and
         (.services[0] | .type == \"turn\" and .transport == \"udp\" and .port == $P and $(cred_expr 3600))" \
        "$T/sa_cred.out"
    # extdiscod matches the requested transport itself, so the client has
    # nothing to drop (it notes drops only for servers that ignore it).
    if grep -q 'another transport; left out' "$T/sa_cred.err"; then
        il_fail "standalone: credentials turn/udp: extdiscod sent another transport"
    else
        il_pass "standalone: credentials turn/udp: extdiscod matched the transport itself"
    fi
    ed sa_cred_t $J "$S" credentials --type turns --host 127.0.0.1 --port "$TLS_PORT"
    expect_grep "standalone: credentials table for turns" 0 "^turns +tcp +127\\.0\\.0\\.1 +$TLS_PORT +true" "$T/sa_cred_t.out"
    ed sa_cred_none $J "$S" credentials --type turn --host turn.elsewhere.test --port "$P" --json
    if [ "$RC" -eq 1 ]; then
        il_pass "standalone: credentials for an unknown host -> exit 1"
    else
        il_fail "standalone: credentials for an unknown host: exit $RC"; show "$T/sa_cred_none.out" "$T/sa_cred_none.err"
    fi

    # --- ip (sic:1): 127.0.0.1 and the client's own port, which extdiscod
    # logged when the session was bound ("c2s 127.0.0.1:PORT: bound JID").
    # That line is rate-limited (burst 10, then 1/s) and the logins above
    # come faster: a second's pause gives this one's line a token.
    sleep 1.2
    ed sa_ip $J "$S" ip --json
    local bound_port
    bound_port=$(grep -E 'c2s 127\.0\.0\.1:[0-9]+: bound alice@sa\.test/' "$T/sa/extdiscod.log" | tail -n1 |
        sed -E 's/.*c2s 127\.0\.0\.1:([0-9]+): bound.*/\1/')
    expect "standalone: ip --json (sic:1): 127.0.0.1 and the client's port ($bound_port, from extdiscod's log)" 0 \
        ".entity == \"sa.test\" and .namespace == \"urn:xmpp:sic:1\" and .ip == \"127.0.0.1\" and .port == ${bound_port:-0} and .port != $SA_PORT" \
        "$T/sa_ip.out"
    ed sa_ip_t $J "$S" ip
    expect_grep "standalone: ip table" 0 '127\.0\.0\.1' "$T/sa_ip_t.out"

    # --- --ice-servers, --uris
    ed sa_ice $J "$S" services --ice-servers
    expect "standalone: --ice-servers: RTCIceServer[] (stun without, turn/turns with credentials)" 0 \
        "type == \"array\" and length == 4 and
         .[0] == {\"urls\":[\"stun:127.0.0.1:$P\"]} and
         ([.[1:][] | .urls] == [[\"turn:127.0.0.1:$P?transport=udp\"],[\"turn:127.0.0.1:$P?transport=tcp\"],[\"turns:127.0.0.1:$TLS_PORT?transport=tcp\"]]) and
         all(.[1:][]; (keys == [\"credential\",\"urls\",\"username\"]) and (.username | test(\"^[0-9]+:\")) and (.credential | length) > 20)" \
        "$T/sa_ice.out"
    ed sa_uris $J "$S" services --uris
    expect_same "standalone: --uris: RFC 7064/7065 URIs" 0 \
        "stun:127.0.0.1:$P
turn:127.0.0.1:$P?transport=udp
turn:127.0.0.1:$P?transport=tcp
turns:127.0.0.1:$TLS_PORT?transport=tcp" "$T/sa_uris.out"

    # --- check: everything works
    ed sa_check $J "$S" check --json
    expect "standalone: check --json exit 0: STUN mapped, TURN udp/tcp/tls allocated+refreshed+deallocated" 0 \
        ".entity == \"sa.test\" and .summary.services == 4 and .summary.ok == 4 and .summary.failed == 0 and .summary.exit == 0 and
         all(.services[]; .ok and .checked and .result.ok and .result.fail == \"none\") and
         (.services[0].result.mapped | test(\"^127\\\\.0\\\\.0\\\\.1:[0-9]+\$\")) and
         ([.services[1:][] | .result] | all(.[]; (.relayed | test(\"^127\\\\.0\\\\.0\\\\.1:[0-9]+\$\")) and .lifetime > 0 and .refreshed and .deallocated and .realm == \"extdiscod.test\")) and
         .ip_check.ip == \"127.0.0.1\" and .ip_check.namespace == \"urn:xmpp:sic:1\" and all(.services[]; .nat_suspected == false)" \
        "$T/sa_check.out"
    # coturn saw the allocations, with extdiscod's usernames
    local n_alloc
    n_alloc=$(grep -c 'ALLOCATE processed, success' "$T/turnserver.log" || true)
    if [ "$n_alloc" -ge 3 ]; then
        il_pass "standalone: coturn logged $n_alloc successful allocations"
    else
        il_fail "standalone: coturn logged $n_alloc successful allocations, want >= 3"
    fi
    ed sa_check_t $J "$S" check
    cp "$T/sa_check_t.out" "$T/standalone_check.txt"
    expect_grep "standalone: check table: 4 ok" 0 '^summary: 4 services, 4 ok, 0 failed' "$T/sa_check_t.out"
    ed sa_check_turn $J "$S" check --type turn --json
    expect "standalone: check --type turn: 2 ok" 0 '.summary.services == 2 and .summary.ok == 2' "$T/sa_check_turn.out"

    sa_watch_and_bad
}

sa_reloads() { grep -c 'reloaded' "$T/sa/extdiscod.log" || true; }
sa_reloaded_since() { [ "$(sa_reloads)" -gt "$1" ]; }
sa_snapshot_lines() { [ "$(grep -c ' snapshot ' "$T/sa_watch_t.out" 2>/dev/null || true)" -ge "$1" ]; }

# watch: online, snapshot; then the config gains two broken services and
# extdiscod gets SIGHUP: watch prints both additions as pushes.  Then check
# fails exactly for those two.
sa_watch_and_bad() {
    local S="127.0.0.1:$SA_PORT" J=alice@sa.test W="$T/sa_watch.out"
    timeout 90 "$EXTDISCO" --jid $J --server "$S" --ca-file "$T/cert.pem" \
        --password-file "$T/alice.pw" watch --json --duration 15 >"$W" 2>"$T/sa_watch.err" &
    local WPID=$!
    IL_PIDS+=("$WPID")
    if ! il_wait_for 20 grep -q '"event":"snapshot"' "$W"; then
        il_fail "standalone: watch did not come online"; show "$W" "$T/sa_watch.err"
        il_stop "$WPID"
        return
    fi
    sleep 0.5
    sa_write_config bad
    kill -HUP "$SA_PID"
    il_wait_for 10 grep -q '"event":"push"' "$W" || true
    il_wait "$WPID"
    local wrc=$IL_RC
    if il_wait_for 5 grep -q 'reloaded' "$T/sa/extdiscod.log"; then
        il_pass "standalone: extdiscod reloaded on SIGHUP ($(grep 'reloaded' "$T/sa/extdiscod.log" | tail -n1 | sed 's/^.*reloaded/reloaded/'))"
    else
        il_fail "standalone: no reload in extdiscod's log"; tail -n 5 "$T/sa/extdiscod.log"
    fi
    if jq -n -e --arg p "$TURN_PORT" --arg d "$DEAD_PORT" '[inputs] as $e |
        ($e | map(select(.event == "online")) | length) == 1 and
        ($e | map(select(.event == "snapshot")) | length) == 4 and
        ($e | map(select(.event == "push")) | map([.action, .service.type, .service.host, .service.port, .service.name]) | sort) ==
          [["add","stun","127.0.0.1",($d | tonumber),"dead-port"],["add","turn","127.0.0.2",($p | tonumber),"wrong-secret"]]' "$W" >/dev/null; then
        il_pass "standalone: watch printed the snapshot (4) and 2 pushes (add wrong-secret turn, add dead-port stun) after SIGHUP"
    else
        il_fail "standalone: watch events"; show "$W" "$T/sa_watch.err"
    fi
    if jq -n -e '[inputs] | map(select(.event == "end"))[0] as $e |
        $e.pushes >= 1 and $e.rejected == 0 and ($e.view | length) == 6 and
        ($e.view | any(.[]; .name == "wrong-secret" and (.password | length) > 20)) and
        ($e.view | any(.[]; .name == "dead-port"))' "$W" >/dev/null; then
        il_pass "standalone: watch end: view = 6 services (the pushed turn carries credentials), nothing rejected"
    else
        il_fail "standalone: watch end event"; jq -c 'select(.event == "end")' "$W" | cut -c1-600
    fi
    if [ "$wrc" -eq 0 ]; then il_pass "standalone: watch exit 0 after --duration"; else il_fail "standalone: watch exit $wrc"; fi

    # the table form of watch shows pushes too: another reload, back to the
    # good configuration (both broken services deleted in one push)
    timeout 60 "$EXTDISCO" --jid $J --server "$S" --ca-file "$T/cert.pem" \
        --password-file "$T/alice.pw" watch --duration 8 >"$T/sa_watch_t.out" 2>"$T/sa_watch_t.err" &
    WPID=$!
    IL_PIDS+=("$WPID")
    il_wait_for 20 sa_snapshot_lines 6 || true
    sa_write_config
    kill -HUP "$SA_PID"
    il_wait "$WPID"
    if [ "$IL_RC" -eq 0 ] && grep -Eq "push delete +turn 127\.0\.0\.2:$TURN_PORT udp user [0-9]+:" "$T/sa_watch_t.out" &&
       grep -Eq "push delete +stun 127\.0\.0\.1:$DEAD_PORT udp" "$T/sa_watch_t.out" &&
       grep -q '^watch: 1 push applied, 0 rejected' "$T/sa_watch_t.out"; then
        il_pass "standalone: watch (table) printed the deletions after the second SIGHUP"
    else
        il_fail "standalone: watch (table): exit $IL_RC"; show "$T/sa_watch_t.out" "$T/sa_watch_t.err"
    fi
    # bad services back for the failing check
    sa_write_config bad
    local before
    before=$(sa_reloads)
    kill -HUP "$SA_PID"
    il_wait_for 5 sa_reloaded_since "$before" || true

    ed sa_bad $J "$S" check --json
    expect "standalone: check with broken services: exit 1, 4 ok, 2 failed" 1 \
        '.summary.services == 6 and .summary.ok == 4 and .summary.failed == 2 and .summary.exit == 1 and
         ([.services[] | select(.ok | not) | .service.name] == ["wrong-secret","dead-port"])' "$T/sa_bad.out"
    expect "standalone: wrong secret -> allocate failed, 401 from coturn" 1 \
        '.services[] | select(.service.name == "wrong-secret") | (.ok | not) and .checked and .result.step == "allocate" and .result.fail == "server" and .result.error_code == 401 and .result.server == "127.0.0.2:'"$TURN_PORT"'"' \
        "$T/sa_bad.out"
    expect "standalone: nothing listening -> binding refused" 1 \
        '.services[] | select(.service.name == "dead-port") | (.ok | not) and .result.step == "binding" and .result.fail == "refused"' \
        "$T/sa_bad.out"
    expect "standalone: the four good services still pass" 1 \
        '[.services[] | select(.service.name != "wrong-secret" and .service.name != "dead-port") | .ok] == [true,true,true,true]' \
        "$T/sa_bad.out"
    ed sa_bad_t $J "$S" check
    cp "$T/sa_bad_t.out" "$T/standalone_check_bad.txt"
    expect_grep "standalone: check table names the failures" 1 'allocate failed: error 401 .*authentication failed: the handed-out credentials were refused' "$T/sa_bad_t.out"
    if grep -q '^summary: 6 services, 4 ok, 2 failed' "$T/sa_bad_t.out"; then
        il_pass "standalone: check table summary 6/4/2"
    else
        il_fail "standalone: check table summary"; show "$T/sa_bad_t.out"
    fi
}
