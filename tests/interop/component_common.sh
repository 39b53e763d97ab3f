# shellcheck shell=bash
# tests/interop/component_common.sh — the scenario shared by
# component_prosody.sh and component_ejabberd.sh: extdiscod as an XEP-0114
# component of a real XMPP server, reached by a real client (slixmpp) through
# XEP-0355 delegation, with TURN credentials checked on a real coturn.
#
# The sourcing script defines, then calls cx_main BUILD_DIR:
#   CX_NAME                      test name
#   cx_server_configure          write the server config into $T (uses
#                                $C2S_PORT $COMP_PORT $COMP_SECRET)
#   cx_server_start              start it (il_start), set SERVER_PID, wait
#                                until the c2s and component ports listen
#   cx_server_stop               stop SERVER_PID
#   cx_register USER DOMAIN PASS create an account
# Everything runs on 127.0.0.1 ports found free; every process is stopped
# by PID (lib.sh).  Requires bash, jq, coturn, python3-slixmpp.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/interop/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$HERE/peers.sh"

PY=/usr/bin/python3
CLIENT="$HERE/xmpp_client.py"
TURNSERVER=${TURNSERVER:-/usr/bin/turnserver}
UCLIENT=${UCLIENT:-/usr/bin/turnutils_uclient}

# client JID PASS OPS... -> JSON lines on stdout
client() {
    local jid=$1 pw=$2
    shift 2
    timeout 120 "$PY" "$CLIENT" --jid "$jid" --password "$pw" --port "$C2S_PORT" \
        --timeout 15 "$@" 2>>"$T/client.err"
}

# jline FILE OPNAME: the JSON line of operation OPNAME (first match)
jline() { jq -c --arg op "$2" 'select(.op == $op)' "$1" | head -n1; }

# check NAME JSON JQ-EXPR: pass when the expression is true
check() {
    local name=$1 json=$2 expr=$3
    if [ -n "$json" ] && printf '%s' "$json" | jq -e "$expr" >/dev/null 2>&1; then
        il_pass "$CX_NAME: $name"
    else
        il_fail "$CX_NAME: $name"
        printf '    got: %s\n' "${json:-(nothing)}" | cut -c1-1500
    fi
}

ed_connects() { grep -c 'connected to 127.0.0.1' "$T/extdiscod.log" 2>/dev/null || true; }
reconnected() { [ "$(ed_connects)" -gt "$1" ]; }


start_coturn() {
    peer_coturn_start --realm example.org "$TURN_SECRET" || return 1
    TURN_PORT=$PEER_TURN_PORT
}

# The extdiscod configuration: examples/extdiscod-component.yml with the
# lines marked @test substituted.  $1: STUN name (changed for the push test),
# $2: "notcp" drops the turn/tcp service.
write_ed_config() {
    local stun_name=$1 drop=${2:-}
    peer_extdiscod_component_config "$T/extdiscod.yml.new" "$TURN_PORT" "$COMP_PORT" \
        "$T/turn.secret" "$T/component.secret" "$stun_name"
    if [ "$drop" = notcp ]; then
        "$PY" - "$T/extdiscod.yml.new" <<'PYEOF'
import sys, re
p = sys.argv[1]
s = open(p).read()
blocks = re.split(r'(?m)^(?=  - type: )', s.split("\ncomponents:")[0])
head, svcs = blocks[0], blocks[1:]
svcs = [b for b in svcs if not ("type: turn" in b and "transport: tcp" in b)]
open(p, "w").write(head + "".join(svcs).rstrip("\n") + "\n\ncomponents:" + s.split("\ncomponents:")[1])
PYEOF
    fi
    mv "$T/extdiscod.yml.new" "$T/extdiscod.yml"
}

uclient_alloc() { # NAME USER PASS [-t]
    local name=$1 u=$2 p=$3
    shift 3
    local rc attempt
    # Two attempts: on a loaded 2-core machine uclient occasionally loses a
    # relayed packet; a wrong credential fails both (coturn logs a 401).
    for attempt in 1 2; do
        rc=0
        timeout 20 "$UCLIENT" -y -c -n 3 -m 1 -L 127.0.0.1 -X -u "$u" -w "$p" -p "$TURN_PORT" "$@" \
            127.0.0.1 >"$T/$name.out" 2>&1 || rc=$?
        # one grep, no pipe: under pipefail, `grep | grep -q` fails when the
        # first grep is killed by SIGPIPE (the second one stops at its match)
        if [ "$rc" -eq 0 ] && grep -q 'Total lost packets 0 ' "$T/$name.out" &&
           grep -qF "user <$u>: incoming packet ALLOCATE processed, success" "$T/turnserver.log"; then
            il_pass "$CX_NAME: $name: coturn allocated with the credentials from the delegated reply (attempt $attempt)"
            return 0
        fi
    done
    il_fail "$CX_NAME: $name: no allocation (uclient exit $rc)"
    tail -n 10 "$T/$name.out" | sed 's/^/    /'
    grep -F "user <$u>" "$T/turnserver.log" | tail -n 3 | sed 's/^/    /'
}

# A host server that sends malformed XML (tests/interop/fake_component_server.py):
# extdiscod logs it once, drops that stream, reconnects and answers again.
cx_garbage_from_server() {
    local port
    port=$(il_free_port)
    sed -e "s#server: 127.0.0.1:$COMP_PORT #server: 127.0.0.1:$port #" "$T/extdiscod.yml" >"$T/garbage.yml"
    "$PY" "$HERE/fake_component_server.py" "$port" extdisco.example.org "$COMP_SECRET" example.org \
        >"$T/garbage.json" 2>"$T/garbage.err" &
    local fake=$!
    IL_PIDS+=("$fake")
    il_wait_port tcp "$port" 10 "$fake" || true
    il_start "$T/garbage-ed.log" "$EXTDISCOD" -c "$T/garbage.yml"
    local ed2=$IL_LAST_PID
    local rc=0
    wait "$fake" || rc=$?
    il_stop "$ed2"
    local line
    while IFS= read -r line; do
        check "fake server: $(printf '%s' "$line" | jq -r .check)" "$line" '.ok == true'
    done <"$T/garbage.json"
    [ "$rc" -eq 0 ] || il_fail "$CX_NAME: fake server exited $rc ($(head -c 300 "$T/garbage.err"))"
    if [ "$(grep -c 'bad XML from the server' "$T/garbage-ed.log")" = 1 ]; then
        il_pass "$CX_NAME: malformed XML from the server logged once"
    else
        il_fail "$CX_NAME: 'bad XML from the server' logged $(grep -c 'bad XML from the server' "$T/garbage-ed.log") times"
    fi
}

# Requests over extdiscod's limits.max_attrs / max_depth (64 / 32 by
# default), sent by a real client through the real server: each gets
# policy-violation, the link stays (no reconnection) and the next request is
# answered.  A raw c2s client (SASL PLAIN without TLS on loopback, as the test
# servers allow): slixmpp cannot send such stanzas.  JSON lines on stdout.
shape_client() { # USER DOMAIN PASS
    timeout 60 "$PY" - "$C2S_PORT" "$1" "$2" "$3" <<'PYEOF'
import base64, json, re, socket, sys, time
port, user, dom, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
comp = "extdisco." + dom
s = socket.create_connection(("127.0.0.1", port), timeout=20)
buf = b""
def until(pat, secs=15):
    global buf
    end = time.time() + secs
    while time.time() < end:
        m = re.search(pat, buf, re.S)
        if m:
            buf = buf[m.end():]
            return m.group(0)
        s.settimeout(max(0.1, end - time.time()))
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        buf += d
    return None
hdr = ("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
       "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" % dom).encode()
s.sendall(hdr); until(rb"</stream:features>")
cred = base64.b64encode(("\0%s\0%s" % (user, pw)).encode()).decode()
s.sendall(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>" % cred).encode())
if not until(rb"<success[^>]*(/>|>.*?</success>)"):
    print(json.dumps({"op": "login", "type": "error"})); sys.exit(1)
s.sendall(hdr); until(rb"</stream:features>")
s.sendall(b"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
          b"<resource>shape</resource></bind></iq>")
until(rb"<iq[^>]*>.*?</iq>")
attrs = " ".join("a%d='v'" % i for i in range(70))
def deep(n, root):
    return root[:-2] + ">" + "<x>" * (n - 2) + "</x>" * (n - 2) + "</" + root[1:root.index(" ")] + ">"
ops = [
    ("attrs70-component", comp, "<shape xmlns='urn:example:shape' %s/>" % attrs),
    ("deep40-component", comp, deep(40, "<shape xmlns='urn:example:shape'/>")),
    ("deep40-services", dom, deep(40, "<services xmlns='urn:xmpp:extdisco:2'/>")),
    ("services-after", dom, "<services xmlns='urn:xmpp:extdisco:2' type='stun'/>"),
]
for op, to, payload in ops:
    s.sendall(("<iq type='get' id='%s' to='%s'>%s</iq>" % (op, to, payload)).encode())
    r = until((r"<iq[^>]*id=['\"]%s['\"][^>]*(/>|>.*?</iq>)" % op).encode(), 20)
    res = {"op": op, "type": "timeout"}
    if r:
        t = re.search(rb"type=['\"](\w+)['\"]", r)
        res["type"] = t.group(1).decode() if t else "?"
        c = re.search(rb"<([a-z-]+) xmlns=['\"]urn:ietf:params:xml:ns:xmpp-stanzas['\"]", r)
        res["condition"] = c.group(1).decode() if c else None
        res["services"] = len(re.findall(rb"<service ", r))
    print(json.dumps(res), flush=True)
s.sendall(b"</stream:stream>")
s.close()
PYEOF
}

cx_shape_requests() {
    local c0 out="$T/shape.json"
    c0=$(ed_connects)
    shape_client alice example.org alice-pw >"$out" 2>>"$T/client.err" || true
    check "70 attributes to the component -> policy-violation" "$(jline "$out" attrs70-component)" \
        '.type == "error" and .condition == "policy-violation"'
    check "40 deep to the component -> policy-violation" "$(jline "$out" deep40-component)" \
        '.type == "error" and .condition == "policy-violation"'
    check "40 deep <services/> to the domain (delegated) -> policy-violation" \
        "$(jline "$out" deep40-services)" '.type == "error" and .condition == "policy-violation"'
    check "a request after them is answered" "$(jline "$out" services-after)" \
        '.type == "result" and .services == 1'
    if [ "$(ed_connects)" = "$c0" ] && kill -0 "$ED_PID" 2>/dev/null; then
        il_pass "$CX_NAME: requests over the depth/attribute limits did not drop the link"
    else
        il_fail "$CX_NAME: the link was re-established after them ($c0 -> $(ed_connects))"
    fi
}

# One link to a fake host server (tests/interop/fake_component_server.py
# link): requests over limits.max_attrs / max_depth, results and errors that
# must get no answer, delegation and advertisements from the wrong domain,
# limits reloaded on the running link, a server that closes right after each
# handshake (the backoff must grow).
cx_fake_host_link() {
    local port cfg="$T/fakelink.yml"
    port=$(il_free_port)
    sed -e "s#server: 127.0.0.1:$COMP_PORT #server: 127.0.0.1:$port #" \
        -e 's#^domains: \[example.org\]#domains: [example.org, other.test]#' \
        "$T/extdiscod.yml" >"$cfg"
    grep -q 'other.test' "$cfg" || il_fail "$CX_NAME: fake link: config substitution"
    rm -f "$cfg.pid"
    "$PY" "$HERE/fake_component_server.py" "$port" extdisco.example.org "$COMP_SECRET" example.org \
        link "$cfg" "$cfg.pid" >"$T/fakelink.json" 2>"$T/fakelink.err" &
    local fake=$!
    IL_PIDS+=("$fake")
    il_wait_port tcp "$port" 10 "$fake" || true
    il_start "$cfg.log" "$EXTDISCOD" -c "$cfg"
    local ed2=$IL_LAST_PID
    echo "$ed2" >"$cfg.pid"
    local rc=0
    wait "$fake" || rc=$?
    il_forget "$fake"
    il_stop "$ed2"
    local line
    while IFS= read -r line; do
        check "fake link: $(printf '%s' "$line" | jq -r .check)" "$line" '.ok == true'
    done <"$T/fakelink.json"
    [ "$rc" -eq 0 ] || il_fail "$CX_NAME: fake link server exited $rc ($(head -c 300 "$T/fakelink.err"))"
}

cx_main() {
    BUILD_DIR=${1:-${BUILD:-$SRC/build}}
    peer_extdiscod_find "$BUILD_DIR" || exit 1
    for t in "$TURNSERVER" "$UCLIENT" "$PY" jq; do
        command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
    done
    "$PY" -c 'import slixmpp' 2>/dev/null || { echo "SKIP: python3-slixmpp not installed"; exit 77; }

    il_init "$CX_NAME"
    T=$IL_TMP
    chmod 755 "$T"
    COMP_SECRET="comp-$RANDOM$RANDOM$RANDOM"
    TURN_SECRET="turn-$RANDOM$RANDOM$RANDOM"
    printf '%s\n' "$COMP_SECRET" >"$T/component.secret"
    printf '%s\n' "$TURN_SECRET" >"$T/turn.secret"
    read -r C2S_PORT COMP_PORT <<<"$(il_free_ports 2)"

    start_coturn || { echo "FAIL: coturn did not start"; exit 1; }
    cx_server_configure
    cx_server_start || { echo "FAIL: $CX_NAME server did not start"; exit 1; }
    cx_register alice example.org alice-pw
    cx_register bob example.org bob-pw
    cx_register carol foreign.test carol-pw

    write_ed_config STUN
    peer_extdiscod_check "$T/extdiscod.yml" "$T/extdiscod-n.log" || { echo "FAIL: extdiscod -n"; exit 1; }
    peer_extdiscod_start "$T/extdiscod.yml" "$T/extdiscod.log"
    ED_PID=$PEER_ED_PID
    if peer_extdiscod_delegated "$T/extdiscod.log" 20 1; then
        il_pass "$CX_NAME: extdiscod connected, handshake done, delegation advertised"
    else
        il_fail "$CX_NAME: extdiscod did not connect / no delegation advertised"
        tail -n 20 "$T/extdiscod.log"
        exit 1
    fi
    sleep 0.5 # the server finishes its disco#info nesting

    # --- 1. services through delegation, v2 and v1, with/without filter
    local out="$T/alice1.json"
    client alice@example.org alice-pw services:2 services:1 services:2:turn services:1:stun \
        "credentials:2:turn:127.0.0.1:$TURN_PORT:udp" disco >"$out"
    local now exp_ok
    now=$(date +%s)
    local svc2 svc1 turn1 stun1 cred disco
    svc2=$(jline "$out" services:2)
    svc1=$(jline "$out" services:1)
    turn1=$(jline "$out" services:2:turn)
    stun1=$(jline "$out" services:1:stun)
    cred=$(jline "$out" "credentials:2:turn:127.0.0.1:$TURN_PORT:udp")
    disco=$(jline "$out" disco)
    local P=$TURN_PORT
    check "services v2 to the domain: answered by extdiscod from example.org" "$svc2" \
        '.type == "result" and .from == "example.org" and .payload == "{urn:xmpp:extdisco:2}services" and (.services | length) == 3'
    check "services v2: stun entry exact" "$svc2" \
        ".services[0] == {\"type\":\"stun\",\"host\":\"127.0.0.1\",\"port\":\"$P\",\"transport\":\"udp\",\"name\":\"STUN\"}"
    # TURN entries: restricted, inline credentials, expires = expiry in the
    # username (EXPIRY:token), about now + 12 h.
    local turn_expr="[.services[] | select(.type == \"turn\")] | length == 2 and all(.[];
        .host == \"127.0.0.1\" and .port == \"$P\" and .restricted == \"true\" and
        (.username | test(\"^[0-9]+:[a-z2-7]{26}\$\")) and (.password | length) > 20 and
        ((.username | split(\":\")[0] | tonumber) as \$e |
           (\$e | todate) == .expires and \$e >= $now + 43200 - 120 and \$e <= $now + 43200 + 120))
        and ([.[].transport] | sort) == [\"tcp\", \"udp\"]"
    check "services v2: turn/udp + turn/tcp with inline credentials, expires == username expiry (12 h)" \
        "$svc2" "$turn_expr"
    check "services v1 to the domain: same set in urn:xmpp:extdisco:1" "$svc1" \
        ".type == \"result\" and .from == \"example.org\" and .payload == \"{urn:xmpp:extdisco:1}services\" and (.services | length) == 3 and ($turn_expr)"
    check "services v2 type=turn: only turn, filter echoed" "$turn1" \
        '.type == "result" and .filter == "turn" and (.services | length) == 2 and all(.services[]; .type == "turn")'
    check "services v1 type=stun: only stun" "$stun1" \
        '.type == "result" and .filter == "stun" and (.services | length) == 1 and .services[0].type == "stun" and (.services[0] | has("username") | not)'
    check "credentials v2 for turn/udp: username, password, expires" "$cred" \
        ".type == \"result\" and .payload == \"{urn:xmpp:extdisco:2}credentials\" and any(.services[]; .type == \"turn\" and .transport == \"udp\" and .port == \"$P\" and (.username | test(\":\")) and (.password | length) > 20 and (.expires | test(\"Z\$\")))"
    check "the domain's disco#info lists urn:xmpp:extdisco:2 and :1" "$disco" \
        '.type == "result" and (.features | index("urn:xmpp:extdisco:2")) != null and (.features | index("urn:xmpp:extdisco:1")) != null'

    # --- 2. the credentials allocate on coturn (UDP and TCP)
    local tu tp
    tu=$(printf '%s' "$svc2" | jq -r '.services[] | select(.type == "turn" and .transport == "udp") | .username')
    tp=$(printf '%s' "$svc2" | jq -r '.services[] | select(.type == "turn" and .transport == "udp") | .password')
    uclient_alloc turn_udp "$tu" "$tp"
    tu=$(printf '%s' "$svc2" | jq -r '.services[] | select(.type == "turn" and .transport == "tcp") | .username')
    tp=$(printf '%s' "$svc2" | jq -r '.services[] | select(.type == "turn" and .transport == "tcp") | .password')
    uclient_alloc turn_tcp "$tu" "$tp" -t

    # --- 3. a user of a foreign domain is refused
    out="$T/carol.json"
    client carol@foreign.test carol-pw services:2@example.org \
        "credentials:2:turn:127.0.0.1:$TURN_PORT:udp@example.org" >"$out"
    check "foreign user: services forbidden" "$(jline "$out" services:2)" \
        '.type == "error" and .condition == "forbidden"'
    check "foreign user: credentials forbidden" "$(jline "$out" "credentials:2:turn:127.0.0.1:$TURN_PORT:udp")" \
        '.type == "error" and .condition == "forbidden"'

    # --- 4. bad input: IQ-set, unknown namespace, oversized request; the link
    # and the session survive (same connection count, next request answered)
    local c0
    c0=$(ed_connects)
    out="$T/bad.json"
    client alice@example.org alice-pw set-services:2 unknown-ns big:70000 services:2:stun >"$out"
    check "IQ-set <services/> -> not-allowed" "$(jline "$out" set-services:2)" \
        '.type == "error" and .condition == "not-allowed"'
    check "unknown namespace -> service-unavailable" "$(jline "$out" unknown-ns)" \
        '.type == "error" and .condition == "service-unavailable"'
    check "oversized request (70 kB > max_stanza_bytes) -> policy-violation" "$(jline "$out" big:70000)" \
        '.type == "error" and .condition == "policy-violation"'
    check "a request after the bad ones is answered" "$(jline "$out" services:2:stun)" \
        '.type == "result" and (.services | length) == 1'
    if [ "$(ed_connects)" = "$c0" ] && kill -0 "$ED_PID" 2>/dev/null; then
        il_pass "$CX_NAME: bad input did not drop the component link"
    else
        il_fail "$CX_NAME: the link was re-established after bad input ($c0 -> $(ed_connects))"
    fi

    # --- 4b. requests over the depth and attribute limits (raw client)
    cx_shape_requests

    # --- 5. pushes on SIGHUP: to the online requester, not to the offline one
    client bob@example.org bob-pw services:2 >"$T/bob1.json"
    check "bob asked, then went offline" "$(jline "$T/bob1.json" services:2)" '.type == "result"'
    sleep 0.5
    client alice@example.org alice-pw services:2 wait-push:25 >"$T/alice-push.json" &
    local alice_client=$!
    il_wait_for 30 grep -q '"op": "services:2"' "$T/alice-push.json" || true
    sleep 0.5
    local before
    before=$(grep -c 'pushes sent' "$T/extdiscod.log" || true)
    write_ed_config STUN-renamed notcp
    kill -HUP "$ED_PID"
    wait "$alice_client" || true
    local push
    push=$(jline "$T/alice-push.json" push)
    check "online requester got the push from example.org: stun modify (renamed), turn/tcp delete" "$push" \
        ".from == \"example.org\" and .ns == \"urn:xmpp:extdisco:2\" and (.services | length) == 2 and
         any(.services[]; .action == \"modify\" and .type == \"stun\" and .name == \"STUN-renamed\") and
         any(.services[]; .action == \"delete\" and .type == \"turn\" and .transport == \"tcp\" and (has(\"username\") | not))"
    if il_wait_for 5 grep -q 'reloaded .*: 2 services, 1 pushes sent' "$T/extdiscod.log"; then
        il_pass "$CX_NAME: exactly one push sent (none to the offline requester)"
    else
        il_fail "$CX_NAME: push count: $(grep 'pushes sent' "$T/extdiscod.log" | tail -n1)"
    fi

    # --- 6. the host server restarts: extdiscod reconnects and answers again
    c0=$(ed_connects)
    cx_server_stop
    cx_server_start || { il_fail "$CX_NAME: server restart failed"; il_summary; exit 1; }
    if il_wait_for 90 reconnected "$c0"; then
        il_pass "$CX_NAME: extdiscod reconnected after the server restarted"
    else
        il_fail "$CX_NAME: no reconnection after the restart"
        tail -n 20 "$T/extdiscod.log"
    fi
    peer_extdiscod_delegated "$T/extdiscod.log" 20 2 || true
    sleep 0.5
    out="$T/alice2.json"
    client alice@example.org alice-pw services:2 >"$out"
    check "answered again after the restart (new configuration: 2 services)" "$(jline "$out" services:2)" \
        '.type == "result" and .from == "example.org" and (.services | length) == 2 and any(.services[]; .name == "STUN-renamed")'

    if ! kill -0 "$ED_PID" 2>/dev/null; then
        il_fail "$CX_NAME: extdiscod died"
    fi
    # the link was up well over ED_LINK_DELEGATION_WARN_SECS, delegated
    if grep -q 'has not delegated' "$T/extdiscod.log"; then
        il_fail "$CX_NAME: the delegated link was warned as never delegated"
    else
        il_pass "$CX_NAME: the delegated link got no 'has not delegated' warning"
    fi
    if declare -F cx_extra >/dev/null; then cx_extra; fi
    il_summary
}
