#!/usr/bin/env bash
# tests/package/in_root.sh DEBDIR — run by check.sh inside the scratch root
# (overlay of this machine's root, private mount and network namespaces).
# Installs the packages, checks them as an operator would use them, purges
# them.  Every check prints "ok: ..." or fails the run with "FAIL: ...".
set -euo pipefail
debdir=$1
cd "$debdir"
export DEBIAN_FRONTEND=noninteractive
log=/tmp/pkgcheck
mkdir -p $log
n=0
ok() { n=$((n + 1)); echo "ok: $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# cmd, expected output: exact match
expect() {
    local want=$1 got
    shift
    got=$("$@" 2>&1) || fail "$* exited $?: $got"
    [ "$got" = "$want" ] || fail "$*: got '$got', want '$want'"
}
# as the unit runs extdiscod: User=extdisco, no capabilities, no new
# privileges; every run is traced (strace), and the system calls it made are
# checked against the unit's SystemCallFilter at the end
as_unit() {
    strace -f -qq -o "$(mktemp $log/strace.XXXXXX)" setpriv --reuid=extdisco --regid=extdisco --clear-groups \
        --no-new-privs --bounding-set=-all --inh-caps=-all "$@"
}

# every TURN credential in a services JSON is what coturn with
# static-auth-secret=turn.secret accepts: base64(HMAC-SHA1(secret, username))
coturn_accepts() {
    local u p n=0
    while IFS=$'\t' read -r u p; do
        [ "$(printf %s "$u" | openssl dgst -sha1 -hmac "$(cat /etc/extdisco/turn.secret)" -binary |
             base64)" = "$p" ] || return 1
        n=$((n + 1))
    done < <(jq -r '.services[] | select(.type == "turn" or .type == "turns") |
                    [.username, .password] | @tsv' <<<"$1")
    [ $n -eq 3 ]
}

debs=(extdiscod_*.deb extdisco_*.deb libextdisco0_*.deb libextdisco-client0_*.deb libextdisco-dev_*.deb)
pkgs=(extdiscod extdisco libextdisco0 libextdisco-client0 libextdisco-dev)
ver=$(dpkg-deb -f extdiscod_*.deb Version)
cfg=/etc/extdisco/extdiscod.yml

user_before=no
getent passwd extdisco >/dev/null && user_before=yes
dpkg -i "${debs[@]}" >$log/dpkg-i.log 2>&1 || { cat $log/dpkg-i.log >&2; fail "dpkg -i"; }
for p in "${pkgs[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p")" = "install ok installed" ] || fail "$p not installed"
done
ok "dpkg -i ${pkgs[*]} ($ver)"

# --- the user, the state directory, the conffile, the secrets
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd extdisco) || fail "no user extdisco"
if [ "$uid" -ge 1000 ] || [ "$uid" -eq 0 ]; then fail "extdisco has uid $uid, not a system uid"; fi
[ "$(getent group extdisco | cut -d: -f3)" = "$gid" ] || fail "extdisco's primary group is not extdisco"
[ "$home" = /var/lib/extdisco ] || fail "extdisco's home is $home"
case $shell in */nologin|/bin/false) ;; *) fail "extdisco's shell is $shell" ;; esac
ok "system user extdisco (uid $uid, home $home, shell $shell; existed before: $user_before)"
expect "extdisco:extdisco 700" stat -c '%U:%G %a' /var/lib/extdisco
ok "/var/lib/extdisco extdisco:extdisco 0700"
grep -q "^ $cfg " <<<"$(dpkg-query -W -f='${Conffiles}\n' extdiscod)" || fail "$cfg is not a conffile"
expect "root:root 644" stat -c '%U:%G %a' $cfg
ok "$cfg is a conffile (root:root 0644; it holds no secret)"
for s in component turn; do
    f=/etc/extdisco/$s.secret
    expect "root:extdisco 640 33" stat -c '%U:%G %a %s' "$f"
    grep -qxE '[A-Za-z0-9]{32}' "$f" || fail "$f: not 32 random alphanumerics"
done
cmp -s /etc/extdisco/component.secret /etc/extdisco/turn.secret && fail "the two secrets are equal"
ok "component.secret, turn.secret: 32 random characters, root:extdisco 0640"

# --- the default configuration passes -n, as root and as the unit's user
summary="$cfg: OK (4 services, 1 component links, no standalone server)"
expect "$summary" extdiscod -n
expect "$summary" as_unit /usr/sbin/extdiscod -n -c $cfg
ok "extdiscod -n accepts the installed default: $summary"
dump=$(extdiscod -n -v)
for s in component turn; do
    grep -qF "$(cat /etc/extdisco/$s.secret)" <<<"$dump" && fail "extdiscod -n -v prints $s.secret"
done
ok "extdiscod -n -v shows no secret"
expect "extdiscod $ver" extdiscod -V
extdisco --help >/dev/null 2>&1 || fail "extdisco --help"
extdiscoctl --help >/dev/null 2>&1 || fail "extdiscoctl --help"
ok "installed programs run (extdiscod -V: $ver)"
for b in /usr/sbin/extdiscod /usr/sbin/extdiscoctl /usr/bin/extdisco; do
    h=$(readelf -dlhW $b)
    if ! { grep -q 'Type: *DYN' <<<"$h" && grep -q 'FLAGS_1.*PIE' <<<"$h"; }; then fail "$b is not PIE"; fi
    if ! { grep -q 'GNU_RELRO' <<<"$h" && grep -q 'BIND_NOW' <<<"$h"; }; then fail "$b: no full RELRO"; fi
    grep -q '_chk@' <<<"$(nm -D $b)" || fail "$b: no _FORTIFY_SOURCE functions"
    grep -q 'GNU_STACK.* RW ' <<<"$h" || fail "$b: executable stack"
done
ok "extdiscod, extdiscoctl, extdisco: PIE, full RELRO (BIND_NOW), fortified, no executable stack"
for m in man1/extdisco.1 man8/extdiscod.8 man8/extdiscoctl.8 man5/extdiscod.yml.5; do
    [ -s /usr/share/man/$m.gz ] || fail "no /usr/share/man/$m.gz"
    [ "$(man -w "${m#*/}" 2>/dev/null)" = /usr/share/man/$m.gz ] || fail "man -w ${m#*/}"
done
ok "man pages extdisco(1), extdiscod(8), extdiscoctl(8), extdiscod.yml(5)"

# --- the unit
unit=/lib/systemd/system/extdiscod.service
[ -f $unit ] || fail "no $unit"
out=$(systemd-analyze verify $unit 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify says: $out"
ok "systemd-analyze verify $unit: no complaint"
# exposure 0 (best) .. 10 (worst); the hardened unit stays below 2.0
sec=$(systemd-analyze security --offline=yes --threshold=20 $unit 2>&1) ||
    { echo "$sec" >&2; fail "systemd-analyze security: exposure above 2.0"; }
ok "systemd-analyze security: $(grep -o 'Overall exposure level.*' <<<"$sec")"
grep -qx 'WantedBy=multi-user.target' $unit || fail "unit has no [Install]"
[ ! -e /etc/systemd/system/multi-user.target.wants/extdiscod.service ] ||
    fail "extdiscod.service was enabled on install (it serves example.org until configured)"
ok "extdiscod.service installed, not enabled"

# --- libextdisco-dev: a program through pkg-config, against the shared libraries
cat >/tmp/prog.c <<'C'
#include <stdio.h>
#include "extdisco/client.h"
#include "extdisco/extdisco.h"
int main(void)
{
    ed_client_opts o = {.jid = "user@example.org", .password = "pw"};
    ed_client *c = ed_client_new(&o);
    ed_jid *j = NULL;
    int good = c && ed_jid_parse("user@example.org", 16, &j) == ED_OK;
    ed_jid_free(j);
    ed_client_free(c);
    puts(good ? "ok" : "FAIL");
    return !good;
}
C
# shellcheck disable=SC2046
cc -o /tmp/prog /tmp/prog.c $(pkg-config --cflags --libs extdisco-client) 2>$log/cc.log ||
    { cat $log/cc.log >&2; fail "building against libextdisco-dev"; }
expect ok /tmp/prog
lddo=$(ldd /tmp/prog)
grep -qE 'libextdisco-client.so.0 => (/usr)?/lib/' <<<"$lddo" || fail "not linked to the installed library: $lddo"
ok "libextdisco-dev: pkg-config extdisco-client builds a program, it runs on libextdisco0 + libextdisco-client0"

# --- the daemon as the unit starts it (wait for a log line, bounded)
# dpid: the daemon, tpid: strace, whose child it is (strace exits with the
# daemon's status once it is gone)
dpid='' tpid=''
stop_daemon() {
    [ -n "$tpid" ] || return 0
    local i rc=0
    [ -z "$dpid" ] || kill -TERM "$dpid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$tpid" 2>/dev/null; then
        # not gone in 10 s: kill it (or, not identified, strace's children)
        if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; else pkill -KILL -P "$tpid" || true; fi
        for ((i = 0; i < 50; i++)); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$tpid" 2>/dev/null || true
        wait "$tpid" 2>/dev/null || true
        dpid='' tpid=''
        return 1
    fi
    wait "$tpid" || rc=$?
    dpid='' tpid=''
    return $rc
}
trap 'stop_daemon || true' EXIT
start_daemon() {  # LOG
    local i p st
    st=$(mktemp $log/strace.XXXXXX)
    (umask 0077; cd /; exec strace -f -qq -o "$st" setpriv --reuid=extdisco \
        --regid=extdisco --clear-groups --no-new-privs --bounding-set=-all --inh-caps=-all \
        /usr/sbin/extdiscod -c $cfg) >"$1" 2>&1 &
    tpid=$! dpid=''
    # the daemon is the child of strace that runs /usr/sbin/extdiscod (strace
    # forks short-lived children of its own at start)
    for ((i = 0; i < 200; i++)); do
        for p in $(pgrep -P "$tpid" || true); do
            if [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = /usr/sbin/extdiscod ]; then
                dpid=$p
                return 0
            fi
        done
        kill -0 "$tpid" 2>/dev/null || { cat "$1" >&2; fail "extdiscod exited at once"; }
        sleep 0.1
    done
    fail "extdiscod did not start within 20 s: $(cat "$1")"
}
wait_log() {  # LOG PATTERN
    local i
    for ((i = 0; i < 200; i++)); do
        grep -qE "$2" "$1" && return 0
        kill -0 "$tpid" 2>/dev/null || { cat "$1" >&2; fail "extdiscod exited"; }
        sleep 0.1
    done
    cat "$1" >&2
    fail "no '$2' in the log within 20 s"
}

# default (component mode): nothing listens on 127.0.0.1:5347 in this
# network namespace; the daemon runs, retries, reloads and stops cleanly
start_daemon $log/component.log
wait_log $log/component.log "started with $cfg \(4 services\)"
wait_log $log/component.log "127.0.0.1:5347"
kill -HUP "$dpid"
wait_log $log/component.log "reloaded $cfg: 4 services"
stop_daemon || fail "extdiscod did not exit 0 on SIGTERM: $(tail -n 3 $log/component.log)"
ok "default config: extdiscod as user extdisco starts, tries 127.0.0.1:5347, reloads on SIGHUP, exits 0 on SIGTERM"

# --- the peers of the README's deployment, on loopback in this network
# namespace: one self-signed certificate for example.org and
# turn.example.org (given to the client as --ca-file), turn.example.org
# resolving to 127.0.0.1, and Debian's coturn as the TURN server that the
# services name (3478 udp/tcp, 5349 TLS), configured as README "Deploying"
# says (use-auth-secret, static-auth-secret = turn.secret) and run as
# Debian's coturn.service runs it (User=turnserver)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=example.org -addext subjectAltName=DNS:example.org,DNS:turn.example.org \
    -keyout /tmp/key.pem -out /tmp/cert.pem >$log/openssl.log 2>&1 ||
    { cat $log/openssl.log >&2; fail openssl; }
echo '127.0.0.1 turn.example.org' >>/etc/hosts
put_pair() {  # CERT KEY GROUP: the certificate, the key root:GROUP 0640
    install -m 0644 /tmp/cert.pem "$1"
    install -m 0640 -g "$3" /tmp/key.pem "$2"
}
# PID listens on every PROTO:PORT (udp, tcp) within 20 s
wait_listen() {
    local pid=$1 i p up
    shift
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        up=1
        for p in "$@"; do
            [ -n "$(ss -Hln "--${p%%:*}" "sport = :${p#*:}")" ] || up=0
        done
        [ $up = 0 ] || return 0
        sleep 0.1
    done
    return 1
}
# stop the background process whose PID the variable NAME holds
stop_bg() {
    local pid=${!1} i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    printf -v "$1" ''
}
cpid='' ppid=''
trap 'stop_daemon || true; stop_bg ppid; stop_bg cpid' EXIT
[ -x /usr/bin/turnserver ] || fail "coturn is not installed (bash scripts/deps.sh installs it)"
install -d -m 0755 /etc/coturn
put_pair /etc/coturn/cert.pem /etc/coturn/key.pem turnserver
install -d -o turnserver -g turnserver $log/turn
cat >/etc/turnserver.conf <<TURN
listening-ip=127.0.0.1
relay-ip=127.0.0.1
listening-port=3478
tls-listening-port=5349
min-port=49152
max-port=49407
use-auth-secret
static-auth-secret=$(cat /etc/extdisco/turn.secret)
realm=example.org
cert=/etc/coturn/cert.pem
pkey=/etc/coturn/key.pem
no-dtls
no-cli
no-rfc5780
no-stun-backward-compatibility
allow-loopback-peers
userdb=$log/turn/turndb
log-file=$log/turn/turnserver.log
simple-log
no-stdout-log
TURN
(cd /; exec setpriv --reuid=turnserver --regid=turnserver --init-groups \
    turnserver -c /etc/turnserver.conf --pidfile=) >$log/turnserver.out 2>&1 &
cpid=$!
wait_listen "$cpid" udp:3478 tcp:3478 tcp:5349 ||
    { cat $log/turnserver.out $log/turn/* >&2 2>/dev/null; fail "coturn does not listen on 3478 udp/tcp and 5349"; }
client=(extdisco --jid alice@example.org --server 127.0.0.1:5222 --ca-file /tmp/cert.pem --json)
# `extdisco check` as README says: every service works with coturn
check_all() {  # WHAT; prints what was checked
    local out rc=0
    out=$(echo 'correct horse' | "${client[@]}" check 2>$log/check.log) || rc=$?
    if [ $rc -ne 0 ] ||
       [ "$(jq -c '[.summary.services, .summary.ok, .summary.failed]' <<<"$out")" != '[4,4,0]' ]; then
        cat $log/check.log >&2
        fail "$1: extdisco check exited $rc: $out"
    fi
    jq -r '[.services[] | "\(.service.type)/\(.service.transport): \(.summary)"] | join("; ")' <<<"$out"
}

# standalone, as README "Deploying" says (examples/extdiscod-standalone.yml)
ex=/usr/share/doc/extdiscod/examples/extdiscod-standalone.yml
cp $cfg /tmp/default.yml
if [ -f $ex ]; then cp $ex $cfg; else zcat $ex.gz >$cfg; fi
sed -i 's/syslog: true/syslog: false/' $cfg  # no syslog in here: the log to check
# README "Deploying", Watch: the http: listener (loopback) for /metrics, /ready
# and extdiscoctl status, with the installed Prometheus examples
printf 'http:\n  listen: ["127.0.0.1:9215"]\n' >>$cfg
install -d -m 0750 -g extdisco /etc/extdisco/tls
put_pair /etc/extdisco/tls/fullchain.pem /etc/extdisco/tls/privkey.pem extdisco
echo 'correct horse' | extdiscoctl adduser alice@example.org >$log/ctl.log 2>&1 ||
    { cat $log/ctl.log >&2; fail "extdiscoctl adduser"; }
expect "extdisco:extdisco" stat -c '%U:%G' /var/lib/extdisco/accounts.sqlite
expect "$cfg: OK (4 services, 0 component links, standalone server)" as_unit /usr/sbin/extdiscod -n
start_daemon $log/standalone.log
wait_log $log/standalone.log "started with $cfg \(4 services\)"
out=$(echo 'correct horse' | "${client[@]}" services 2>$log/client.log) ||
    { cat $log/client.log >&2; fail "extdisco services against the installed daemon"; }
[ "$(jq '.services | length' <<<"$out")" = 4 ] || fail "extdisco services: $out"
coturn_accepts "$out" || fail "TURN credentials not signed with turn.secret: $out"
out=$(echo 'correct horse' | "${client[@]}" ip 2>$log/client.log) ||
    { cat $log/client.log >&2; fail "extdisco ip"; }
[ "$(jq -r .ip <<<"$out")" = 127.0.0.1 ] || fail "extdisco ip: $out"
out=$(echo 'correct horse' | "${client[@]/5222/5223}" --direct-tls ip 2>$log/client.log) ||
    { cat $log/client.log >&2; fail "extdisco --direct-tls ip"; }
[ "$(jq -r .ip <<<"$out")" = 127.0.0.1 ] || fail "extdisco --direct-tls ip: $out"
checked=$(check_all standalone)
m=$(curl -sS --max-time 5 http://127.0.0.1:9215/metrics) || fail "GET /metrics of the installed daemon"
grep -Eq '^extdisco_c2s_logins_total\{result="ok"\} [1-9]' <<<"$m" &&
    grep -Eq '^extdisco_requests_total\{protocol="services",outcome="result"\} [1-9]' <<<"$m" &&
    grep -q '^process_resident_memory_bytes ' <<<"$m" ||
    fail "/metrics of the installed daemon: $(grep -E '^(extdisco_c2s_logins|extdisco_requests)_total' <<<"$m" | head -5)"
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:9215/ready)" = 200 ] ||
    fail "/ready of the installed daemon"
st=$(extdiscoctl status 2>&1) || fail "extdiscoctl status: $st"
grep -q '^extdiscod .*, up ' <<<"$st" && grep -Eq '^services +[1-9]' <<<"$st" || fail "extdiscoctl status: $st"
for f in prometheus/prometheus.yml prometheus/alerts.yml prometheus/alerts_test.yml grafana/extdisco.json; do
    [ -e /usr/share/doc/extdiscod/examples/$f ] || [ -e /usr/share/doc/extdiscod/examples/$f.gz ] ||
        fail "examples/$f not installed"
done
zcat -f /usr/share/doc/extdiscod/examples/prometheus/alerts.yml* >/tmp/alerts.yml
zcat -f /usr/share/doc/extdiscod/examples/prometheus/alerts_test.yml* >/tmp/alerts_test.yml
(cd /tmp && promtool test rules alerts_test.yml >$log/promtool.log 2>&1) ||
    { cat $log/promtool.log >&2; fail "promtool test rules on the installed alert examples"; }
ok "watch (README Deploying): the installed daemon's /metrics counts the logins and services requests, /ready is 200, extdiscoctl status reads it; the Prometheus and Grafana examples are installed and promtool test rules passes on them"
stop_daemon || fail "extdiscod (standalone) did not exit 0 on SIGTERM"
ok "standalone (README Deploying): extdiscoctl adduser as root, extdiscod as extdisco; the installed extdisco gets 4 services (TURN credentials signed with turn.secret) and its address over STARTTLS (5222) and direct TLS (5223); extdisco check with coturn: $checked"
cp /tmp/default.yml $cfg
rm -rf /etc/extdisco/tls

# component mode with Prosody, as README "Deploying" says: Debian's prosody
# and prosody-modules with examples/prosody/prosody.cfg.lua, its
# component_secret the content of /etc/extdisco/component.secret, and
# extdiscod on the installed default configuration, unchanged
[ -x /usr/bin/prosody ] || fail "prosody is not installed (bash scripts/deps.sh installs it)"
pex=/usr/share/doc/extdiscod/examples/prosody/prosody.cfg.lua
if [ -f $pex ]; then cp $pex /etc/prosody/prosody.cfg.lua; else zcat $pex.gz >/etc/prosody/prosody.cfg.lua; fi
sed -i "s|^\(\s*component_secret = \).*|\1\"$(cat /etc/extdisco/component.secret)\"|" /etc/prosody/prosody.cfg.lua
grep -qF "component_secret = \"$(cat /etc/extdisco/component.secret)\"" /etc/prosody/prosody.cfg.lua ||
    fail "component_secret not set in prosody.cfg.lua"
put_pair /etc/prosody/certs/example.org.crt /etc/prosody/certs/example.org.key prosody
install -d -o prosody -g prosody /run/prosody /var/log/prosody /var/lib/prosody
rm -rf /var/lib/prosody/example%2eorg /var/lib/prosody/extdisco%2eexample%2eorg  # a fresh host
prosodyctl register alice example.org 'correct horse' >$log/prosodyctl.log 2>&1 ||
    { cat $log/prosodyctl.log >&2; fail "prosodyctl register"; }
# as Debian's prosody.service runs it (User=prosody)
(cd /; exec setpriv --reuid=prosody --regid=prosody --init-groups prosody -F) >$log/prosody.out 2>&1 &
ppid=$!
wait_listen "$ppid" tcp:5222 tcp:5347 ||
    { cat $log/prosody.out /var/log/prosody/prosody.* >&2; fail "prosody does not listen on 5222 and 5347"; }
start_daemon $log/prosody-link.log
wait_log $log/prosody-link.log "delegates urn:xmpp:extdisco:2 to us"
out=$(echo 'correct horse' | "${client[@]}" services 2>$log/client.log) ||
    { cat $log/client.log $log/prosody-link.log >&2; fail "extdisco services through Prosody"; }
[ "$(jq '.services | length' <<<"$out")" = 4 ] || fail "extdisco services through Prosody: $out"
coturn_accepts "$out" || fail "TURN credentials through Prosody not signed with turn.secret: $out"
checked=$(check_all "beside Prosody")
stop_daemon || fail "extdiscod (component) did not exit 0 on SIGTERM"
stop_bg ppid
ok "component mode (README Deploying): Prosody with examples/prosody and the generated component.secret, extdiscod on the unchanged default config as user extdisco; alice@example.org gets the 4 default services through delegation (TURN credentials signed with turn.secret); extdisco check with coturn: $checked"

# component mode with ejabberd, as README "Deploying" says: Debian's
# ejabberd with examples/ejabberd/ejabberd.yml, the service password the
# content of /etc/extdisco/component.secret, the certificate in certfiles;
# epmd and ejabberd run as Debian's epmd.service and ejabberd.service run
# them (User=epmd, User=ejabberd with ejabberdctl foreground); extdiscod
# again on the unchanged default configuration
[ -x /usr/sbin/ejabberdctl ] || fail "ejabberd is not installed (bash scripts/deps.sh installs it)"
eex=/usr/share/doc/extdiscod/examples/ejabberd/ejabberd.yml
if [ -f $eex ]; then cp $eex /etc/ejabberd/ejabberd.yml; else zcat $eex.gz >/etc/ejabberd/ejabberd.yml; fi
sed -i -e "s|password: \"CHANGE-ME[^\"]*\"|password: \"$(cat /etc/extdisco/component.secret)\"|" \
    -e 's|^# certfiles:|certfiles:|' -e 's|^#   - /etc/ejabberd/example.org.pem|  - /etc/ejabberd/example.org.pem|' \
    /etc/ejabberd/ejabberd.yml
grep -qF "password: \"$(cat /etc/extdisco/component.secret)\"" /etc/ejabberd/ejabberd.yml ||
    fail "the service password not set in ejabberd.yml"
grep -qx '  - /etc/ejabberd/example.org.pem' /etc/ejabberd/ejabberd.yml || fail "certfiles not set in ejabberd.yml"
cat /tmp/cert.pem /tmp/key.pem >/etc/ejabberd/example.org.pem
chgrp ejabberd /etc/ejabberd/example.org.pem
chmod 0640 /etc/ejabberd/example.org.pem
install -d -o ejabberd -g ejabberd /run/ejabberd /var/log/ejabberd
as_ejabberd() { (cd /; exec setpriv --reuid=ejabberd --regid=ejabberd --init-groups env HOME=/var/lib/ejabberd "$@"); }
epid='' ejpid=''
stop_ejabberd() {
    [ -n "$ejpid" ] || return 0
    local i
    timeout 60 setpriv --reuid=ejabberd --regid=ejabberd --init-groups env HOME=/var/lib/ejabberd \
        ejabberdctl stop >/dev/null 2>&1 || true
    for ((i = 0; i < 300; i++)); do kill -0 "$ejpid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$ejpid" 2>/dev/null; then pkill -KILL -P "$ejpid" || true; fi
    stop_bg ejpid
}
trap 'stop_daemon || true; stop_ejabberd; stop_bg epid; stop_bg ppid; stop_bg cpid' EXIT
(cd /; exec setpriv --reuid=epmd --regid=epmd --init-groups epmd -address 127.0.0.1) >$log/epmd.out 2>&1 &
epid=$!
wait_listen "$epid" tcp:4369 || { cat $log/epmd.out >&2; fail "epmd does not listen on 4369"; }
as_ejabberd ejabberdctl foreground >$log/ejabberd.out 2>&1 &
ejpid=$!
# ejabberd takes a while (Erlang, Mnesia): 60 s at most
for ((i = 0; i < 3; i++)); do wait_listen "$ejpid" tcp:5222 tcp:5347 && break; done
[ "$i" -lt 3 ] || { tail -n 40 $log/ejabberd.out /var/log/ejabberd/ejabberd.log >&2; fail "ejabberd does not listen on 5222 and 5347"; }
out=$(timeout 60 setpriv --reuid=ejabberd --regid=ejabberd --init-groups env HOME=/var/lib/ejabberd \
      ejabberdctl register alice example.org 'correct horse' 2>&1) || fail "ejabberdctl register: $out"
start_daemon $log/ejabberd-link.log
wait_log $log/ejabberd-link.log "delegates urn:xmpp:extdisco:2 to us"
out=$(echo 'correct horse' | "${client[@]}" services 2>$log/client.log) ||
    { cat $log/client.log $log/ejabberd-link.log >&2; fail "extdisco services through ejabberd"; }
[ "$(jq '.services | length' <<<"$out")" = 4 ] || fail "extdisco services through ejabberd: $out"
coturn_accepts "$out" || fail "TURN credentials through ejabberd not signed with turn.secret: $out"
checked=$(check_all "beside ejabberd")
stop_daemon || fail "extdiscod (component, ejabberd) did not exit 0 on SIGTERM"
stop_ejabberd
stop_bg epid
ok "component mode (README Deploying): ejabberd with examples/ejabberd and the generated component.secret, extdiscod on the unchanged default config as user extdisco; alice@example.org gets the 4 default services through delegation (TURN credentials signed with turn.secret); extdisco check with coturn: $checked"
stop_bg cpid

# --- the unit's SystemCallFilter allows every system call extdiscod made
# above (-n, the default, standalone, beside Prosody; from its execve on).
# A denied call would fail with EPERM (SystemCallErrorNumber) under systemd.
expand_set() {  # @SET -> its system calls, nested sets expanded
    local l
    systemd-analyze syscall-filter "$1" | tail -n +2 | sed -E 's/^ +//; /^#/d; /^$/d' |
        while read -r l; do
            case $l in @*) expand_set "$l" ;; *) echo "$l" ;; esac
        done
}
allowed=() denied=()
while read -r l; do
    l=${l#SystemCallFilter=}
    case $l in ~*) read -ra w <<<"${l#\~}"; denied+=("${w[@]}") ;; *) read -ra w <<<"$l"; allowed+=("${w[@]}") ;; esac
done < <(grep '^SystemCallFilter=' $unit)
[ ${#allowed[@]} -gt 0 ] || fail "no SystemCallFilter= in $unit"
for g in "${allowed[@]}"; do case $g in @*) expand_set "$g" ;; *) echo "$g" ;; esac; done | sort -u >$log/allow
for g in "${denied[@]}"; do case $g in @*) expand_set "$g" ;; *) echo "$g" ;; esac; done | sort -u >$log/deny
comm -23 $log/allow $log/deny >$log/permitted
traces=("$log"/strace.*)
[ ${#traces[@]} -ge 5 ] || fail "only ${#traces[@]} traced runs"
for t in "${traces[@]}"; do
    grep -q 'execve("/usr/sbin/extdiscod", .* = 0$' "$t" || fail "$t: no execve of extdiscod"
    sed -n '/execve("\/usr\/sbin\/extdiscod", .* = 0$/,$p' "$t" | sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p'
done | sort -u >$log/used
bad=$(comm -23 $log/used $log/permitted | tr '\n' ' ')
[ -z "$bad" ] || fail "extdiscod made system calls the unit's SystemCallFilter denies: $bad"
ok "SystemCallFilter ($(grep '^SystemCallFilter=' $unit | tr '\n' ' ')): allows all $(wc -l <$log/used) system calls extdiscod made in ${#traces[@]} traced runs"

# --- reinstall: secrets kept, a changed conffile kept
sums=$(sha256sum /etc/extdisco/*.secret)
echo '# changed by the operator' >>$cfg
dpkg -i extdiscod_*.deb >$log/dpkg-re.log 2>&1 || { cat $log/dpkg-re.log >&2; fail "dpkg -i again"; }
[ "$(sha256sum /etc/extdisco/*.secret)" = "$sums" ] || fail "reinstall changed the secrets"
[ "$(tail -n 1 $cfg)" = '# changed by the operator' ] || fail "reinstall lost the changed conffile"
[ -e /var/lib/extdisco/accounts.sqlite ] || fail "reinstall lost the account database"
ok "reinstall keeps the secrets, the changed conffile and the database"

# --- purge
dpkg --purge "${pkgs[@]}" >$log/dpkg-purge.log 2>&1 || { cat $log/dpkg-purge.log >&2; fail "dpkg --purge"; }
for p in "${pkgs[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case $st in ''|'unknown ok not-installed'|'purge ok not-installed') ;; *) fail "$p still: $st" ;; esac
done
for f in /etc/extdisco /var/lib/extdisco /usr/sbin/extdiscod /usr/bin/extdisco $unit \
         /usr/lib/sysusers.d/extdiscod.conf /usr/include/extdisco; do
    [ ! -e "$f" ] || fail "$f left after purge"
done
ls /usr/lib/*/libextdisco* >/dev/null 2>&1 && fail "libraries left after purge"
getent passwd extdisco >/dev/null || fail "purge removed the user (Debian keeps system users)"
ok "dpkg --purge removes every file, /etc/extdisco and /var/lib/extdisco; the user stays"
echo "package check: $n checks passed"
