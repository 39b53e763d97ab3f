# shellcheck shell=bash
# tests/interop/client_scripted.sh — part 3 of client_extdiscod.sh (sourced;
# uses its helpers ed/expect/expect_grep/show and $T, $EXTDISCO): the
# `extdisco` client against a scripted XMPP server
# (tests/interop/client_fake_xmpp.py, domain fake.test), for what no real
# server here does.  The account's localpart picks the server's behaviour:
#   creds       TURN entries without inline credentials: services/watch send
#               one <credentials/> (XEP-0215 §3.3); --ice-servers leaves out
#               what still has none (warning), stun over tcp and repeated
#               URLs
#   v1only      only urn:xmpp:extdisco:1: services, credentials and watch
#               fall back to it
#   error       every XEP-0215 request answered with forbidden: exit 1
#               (services, credentials, watch), not 2
#   empty       no services advertised: exit 1
#   nopayload   a result without <services/>: exit 1
#   refreshfail the refresh fails: watch retries one floor apart, then exit 1
#   shortttl    credentials that expire at once: one request per floor, and
#               --floor 0 refused
#   spoof       an answer with the right id from another account first:
#               ignored; nofrom: an answer without 'from' from our server
#               accepted, not for a --to entity
#   drop        the connection cut without TLS close_notify: a TLS error
#               text, not strerror(1)
#   push        a push adds a TURN service without credentials (fetched),
#               then a modify without port/transport updates it in place
#   bracket     check with an IPv6 host in brackets: shown bracketed once
#   oldejabberd check lints: <credentials/> answered in <services/>
#               (credentials-wrong-element), turns without credentials
#               (missing-credentials naming mod_turn_external), credentials
#               for 48 h (long-lifetime)

# sc_ed OUT USER [ARGS...]: extdisco against the scripted server.
sc_ed() {
    local out=$1 user=$2
    shift 2
    RC=0
    timeout 90 "$EXTDISCO" --jid "$user@fake.test" --server "127.0.0.1:$SC_PORT" \
        --ca-file "$T/sc/cert.pem" --password-file "$T/alice.pw" "$@" \
        >"$T/sc_$out.out" 2>"$T/sc_$out.err" || RC=$?
}

# sc_count USER NAME: how many NAME requests (services, credentials) USER sent.
sc_count() {
    jq -s --arg u "$1" --arg n "$2" '[.[] | select(.user == $u and .name == $n)] | length' \
        "$T/sc/requests.log"
}

sc_start() {
    mkdir -p "$T/sc"
    peer_cert_make "$T/sc" fake.test DNS:fake.test IP:127.0.0.1 || return 1
    SC_PORT=$(il_free_port)
    : >"$T/sc/requests.log"
    il_start "$T/sc/server.log" python3 "$HERE/client_fake_xmpp.py" "$SC_PORT" \
        "$T/sc/cert.pem" "$T/sc/key.pem" "$T/sc/requests.log" 600
    SC_PID=$IL_LAST_PID
    il_wait_port tcp "$SC_PORT" 10 "$SC_PID"
}

sc_tests() {
    # --- 1. credentials for services that came without
    sc_ed creds_json creds services --json
    expect "scripted: services fetched the missing TURN credentials with one <credentials/>" 0 \
        '(.services | length) == 6 and
         (.services[3] | .host == "turn.example.org" and .transport == "udp" and .username == "cu" and .password == "pw-cu" and .expires != null) and
         (.services[4] | .host == "nocreds.example.org" and .username == null) and
         (.services[5] | .username == "u2")' "$T/sc_creds_json.out"
    if jq -s -e '[.[] | select(.user == "creds" and .name == "credentials")][0].services ==
            [{"type":"turn","host":"turn.example.org","port":"3478"},{"type":"turn","host":"nocreds.example.org","port":"3478"}]' \
            "$T/sc/requests.log" >/dev/null; then
        il_pass "scripted: the <credentials/> request names type, host and port of both (no transport)"
    else
        il_fail "scripted: <credentials/> request"; show "$T/sc/requests.log"
    fi
    sc_ed creds_ice creds services --ice-servers
    expect "scripted: --ice-servers: no stun over tcp, no repeated URL, no TURN without credentials" 0 \
        '. == [{"urls":["stun:stun.example.org:3478"]},
               {"urls":["turn:turn.example.org:3478?transport=udp"],"username":"cu","credential":"pw-cu"},
               {"urls":["turns:turn.example.org:5349?transport=tcp"],"username":"u2","credential":"p2"}]' \
        "$T/sc_creds_ice.out"
    expect_grep "scripted: --ice-servers warns about the TURN service left out" 0 \
        'turn:nocreds\.example\.org:3478\?transport=tcp left out of --ice-servers: no credentials' \
        "$T/sc_creds_ice.err"
    sc_ed creds_watch creds watch --json --duration 1
    if [ "$RC" -eq 0 ] && jq -n -e '[inputs] | map(select(.event == "snapshot" and .service.type == "turn" and .service.host == "turn.example.org"))[0].service.username == "cu"' \
            "$T/sc_creds_watch.out" >/dev/null; then
        il_pass "scripted: watch fetched the missing credentials for the snapshot"
    else
        il_fail "scripted: watch snapshot without credentials: exit $RC"; show "$T/sc_creds_watch.out" "$T/sc_creds_watch.err"
    fi

    # --- 2. extdisco:1 fallback everywhere; exit 1 when answered with an error
    sc_ed v1_svc v1only services --json
    expect "scripted: services falls back to :1 (and fetches credentials there)" 0 \
        '.namespace == "urn:xmpp:extdisco:1" and (.services | length) == 2 and .services[1].username == "v1u"' \
        "$T/sc_v1_svc.out"
    sc_ed v1_cred v1only credentials --type turn --host turn.example.org --port 3478 --json
    expect "scripted: credentials falls back to :1" 0 \
        '.namespace == "urn:xmpp:extdisco:1" and (.services | length) == 1 and .services[0].username == "v1u"' \
        "$T/sc_v1_cred.out"
    sc_ed v1_watch v1only watch --json --duration 1
    if [ "$RC" -eq 0 ] && jq -n -e '[inputs] | (map(select(.event == "snapshot")) | length) == 2 and
            (map(select(.event == "end"))[0].view | any(.[]; .username == "v1u"))' "$T/sc_v1_watch.out" >/dev/null; then
        il_pass "scripted: watch falls back to :1"
    else
        il_fail "scripted: watch on a :1-only server: exit $RC"; show "$T/sc_v1_watch.out" "$T/sc_v1_watch.err"
    fi
    sc_ed err_svc error services
    expect_grep "scripted: services answered with forbidden (both versions) -> exit 1" 1 'stanza error forbidden' "$T/sc_err_svc.err"
    sc_ed err_cred error credentials --type turn --host turn.example.org
    expect_grep "scripted: credentials answered with forbidden -> exit 1" 1 'credentials: stanza error forbidden' "$T/sc_err_cred.err"
    sc_ed err_watch error watch --duration 2
    expect_grep "scripted: watch answered with forbidden -> exit 1" 1 'stanza error forbidden' "$T/sc_err_watch.err"
    sc_ed nopayload nopayload services
    expect_grep "scripted: a result without <services/> -> exit 1" 1 'result without <services' "$T/sc_nopayload.err"

    # --- 7. no services advertised -> exit 1
    sc_ed empty empty services --json
    expect "scripted: no services advertised -> exit 1 (JSON still printed)" 1 '(.services | length) == 0' "$T/sc_empty.out"

    # --- 4. refresh: at most one request per floor, bounded retries
    sc_ed floor0 shortttl watch --floor 0 --duration 2
    expect_grep "scripted: watch --floor 0 refused (usage, exit 2)" 2 '--floor: 1\.\.86400' "$T/sc_floor0.err"
    sc_ed shortttl shortttl watch --json --floor 1 --duration 4
    local n
    n=$(sc_count shortttl services)
    if [ "$RC" -eq 0 ] && [ "$n" -ge 2 ] && [ "$n" -le 6 ]; then
        il_pass "scripted: credentials expiring at once, --floor 1 for 4 s: $n services requests (1 + one per floor)"
    else
        il_fail "scripted: short TTL: exit $RC, $n services requests in 4 s (want 2..6)"
    fi
    sc_ed refreshfail refreshfail watch --json --floor 1 --duration 30
    n=$(sc_count refreshfail services)
    if [ "$RC" -eq 1 ] && [ "$n" -eq 5 ] &&
       jq -n -e '[inputs] | (map(select(.event == "refresh-failed")) | length) == 4 and
           (map(select(.event == "refresh-failed"))[0].error | test("internal-server-error"))' \
           "$T/sc_refreshfail.out" >/dev/null; then
        il_pass "scripted: failing refreshes: 4 tries one floor apart, then exit 1 ($n requests in all)"
    else
        il_fail "scripted: failing refreshes: exit $RC, $n services requests (want 1, 5)"
        show "$T/sc_refreshfail.out" "$T/sc_refreshfail.err"
    fi

    # --- replies must come from the entity asked
    sc_ed spoof spoof services --json
    expect "scripted: an answer with our id from another account is ignored" 0 \
        '[.services[].host] == ["stun.example.org"]' "$T/sc_spoof.out"
    sc_ed nofrom nofrom services --json
    expect "scripted: our own server may answer without 'from'" 0 '(.services | length) == 1' "$T/sc_nofrom.out"
    sc_ed nofrom_to nofrom --to comp.fake.test --timeout 2 services
    expect_grep "scripted: an answer without 'from' does not count for --to comp.fake.test (exit 2)" 2 \
        'no answer within 2000 ms' "$T/sc_nofrom_to.err"

    # --- connection cut: the TLS error is named as such
    sc_ed drop drop services
    if [ "$RC" -eq 2 ] && grep -q 'connection lost: TLS' "$T/sc_drop.err" &&
       ! grep -q 'Operation not permitted' "$T/sc_drop.err"; then
        il_pass "scripted: connection cut without close_notify -> exit 2, $(cut -c1-90 "$T/sc_drop.err")"
    else
        il_fail "scripted: connection cut: exit $RC"; show "$T/sc_drop.err"
    fi

    # --- 3. pushes: credentials for an added TURN service, loose modify
    sc_ed push push watch --json --duration 5
    if [ "$RC" -eq 0 ] && jq -n -e '[inputs] as $e |
            ($e | map(select(.event == "credentials")) | length) == 1 and
            ($e | map(select(.event == "credentials"))[0].service.username == "pu") and
            ($e | map(select(.event == "end"))[0].view | length == 2 and
              any(.[]; .type == "turn" and .name == "Relay" and .port == 3478 and .transport == "udp" and .username == "pu"))' \
            "$T/sc_push.out" >/dev/null; then
        il_pass "scripted: watch fetched credentials for a pushed TURN service; modify without port/transport updated it (no ghost entry)"
    else
        il_fail "scripted: watch with pushes: exit $RC"; show "$T/sc_push.out" "$T/sc_push.err"
    fi

    # --- 5. check: an IPv6 literal in brackets shown bracketed once
    sc_ed bracket bracket check --timeout 2
    if grep -q '\[::1\]' "$T/sc_bracket.out" && ! grep -q '\[\[' "$T/sc_bracket.out"; then
        il_pass "scripted: check shows [::1] once bracketed (exit $RC)"
    else
        il_fail "scripted: check with a bracketed host"; show "$T/sc_bracket.out"
    fi

    # --- 6. check: what the server hands out (issue 13)
    sc_ed oldej oldejabberd check --json --timeout 2
    expect "scripted: check flags <credentials/> answered in <services/>, turns without credentials, 48 h credentials" 1 \
        '(.services | length) == 3
         and (.services[0] | .service.username == "ou" and any(.flags[]; .code == "credentials-wrong-element" and .severity == "warning"))
         and (.services[1] | (.checked | not) and any(.flags[]; .code == "missing-credentials" and .severity == "error" and (.message | test("mod_turn_external"))))
         and (.services[2] | any(.flags[]; .code == "long-lifetime" and .severity == "warning" and (.message | test("4[78] h"))))' \
        "$T/sc_oldej.out"
}
