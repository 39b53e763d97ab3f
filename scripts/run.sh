#!/bin/bash
# scripts/run.sh BUILDDIR — `make run`: the development server.
#
# Once: a self-signed certificate, a TURN secret and a configuration under
# dev/ (git-ignored), and the accounts alice@localhost (password alice) and
# bob@localhost (password bob).  Then extdiscod runs in the foreground for
# the domain localhost on 127.0.0.1:5222 and [::1]:5222 (STARTTLS) and
# 127.0.0.1:5223 (direct TLS), and XMPP over WebSocket for browsers at
# wss://localhost:5443/xmpp-websocket (with XEP-0156 host-meta), announcing
# STUN and TURN (udp and tcp) on 127.0.0.1:3478.  Set DEV_DIR to use another folder, DEV_NO_EXEC=1 to set
# up without starting the server (the tests use that).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$here/$build ;; esac
dev=${DEV_DIR:-$here/dev}
extdiscod=$build/daemon/extdiscod
extdiscoctl=$build/daemon/extdiscoctl
for p in "$extdiscod" "$extdiscoctl"; do
    [ -x "$p" ] || { echo "run.sh: $p is missing; build first (make build)" >&2; exit 1; }
done

# shellcheck source=tests/interop/lib.sh
. "$here/tests/interop/lib.sh"
# shellcheck source=tests/interop/peers.sh
. "$here/tests/interop/peers.sh"

mkdir -p "$dev"
chmod 700 "$dev"

if [ ! -f "$dev/key.pem" ] || [ ! -f "$dev/cert.pem" ]; then
    echo "run.sh: generating a self-signed certificate for localhost in $dev"
    peer_cert_make --days 3650 --key-mode 600 "$dev" localhost DNS:localhost IP:127.0.0.1 IP:::1
fi
if [ ! -f "$dev/turn.secret" ]; then
    openssl rand -hex 24 > "$dev/turn.secret"
    chmod 600 "$dev/turn.secret"
fi

if [ ! -f "$dev/extdiscod.yml" ]; then
    { cat <<'EOF'
# Development configuration written by scripts/run.sh (make run).
# Relative paths are relative to this file.
log: {level: info, syslog: false}
domains: [localhost]
turn_secrets:
  - name: dev
    secret_files: [turn.secret]
    ttl: 12h
services:
  - {type: stun, host: 127.0.0.1, port: 3478, transport: udp, allow_local: true}
  - {type: turn, host: 127.0.0.1, port: 3478, transport: udp, credentials: dev,
     restricted: true, allow_local: true}
  - {type: turn, host: 127.0.0.1, port: 3478, transport: tcp, credentials: dev,
     restricted: true, allow_local: true}
EOF
      peer_extdiscod_c2s_yaml localhost cert.pem key.pem "127.0.0.1:5222=starttls" \
          "[::1]:5222=starttls" "127.0.0.1:5223=direct"
    } >"$dev/extdiscod.yml"
fi
# the WebSocket listener (also added to a dev config written before it
# existed: c2s.listen is the last list of the file run.sh writes)
if ! grep -q 'kind: websocket' "$dev/extdiscod.yml" &&
   head -n1 "$dev/extdiscod.yml" | grep -q 'written by scripts/run.sh'; then
    printf '    - {address: "127.0.0.1:5443", tls: direct, kind: websocket, path: /xmpp-websocket}\n' \
        >>"$dev/extdiscod.yml"
fi

for u in alice bob; do
    if [ ! -f "$dev/.account-$u" ]; then
        "$extdiscoctl" -c "$dev/extdiscod.yml" adduser "$u@localhost" <<<"$u" >/dev/null 2>&1 || true
        "$extdiscoctl" -c "$dev/extdiscod.yml" passwd "$u@localhost" <<<"$u" >/dev/null
        touch "$dev/.account-$u"
    fi
done

cat <<EOF
extdiscod development server (domain localhost)
  accounts:   alice@localhost / alice, bob@localhost / bob
  STARTTLS:   127.0.0.1:5222 and [::1]:5222;  direct TLS: 127.0.0.1:5223
  WebSocket:  wss://localhost:5443/xmpp-websocket  (RFC 7395, browsers; any Origin)
              host-meta: https://localhost:5443/.well-known/host-meta(.json)
  certificate: $dev/cert.pem (self-signed; tell your client to accept it;
              a browser: open https://localhost:5443/.well-known/host-meta
              once and accept the certificate, then connect)
  e.g.        profanity/gajim/dino with "alice@localhost", server 127.0.0.1
              or: echo alice | $build/client/extdisco --jid alice@localhost \\
                    --server 127.0.0.1:5222 --ca-file $dev/cert.pem services
  browser:    StanzaJS: createClient({jid: 'alice@localhost', password: 'alice',
                transports: {websocket: 'wss://localhost:5443/xmpp-websocket'}})
              Converse.js: converse.initialize({websocket_url:
                'wss://localhost:5443/xmpp-websocket', ...})
  config:     $dev/extdiscod.yml  (kill -HUP \$PID reloads it)
  accounts:   $extdiscoctl -c $dev/extdiscod.yml adduser carol@localhost
The matching TURN server (coturn), in another terminal:
  turnserver -n --listening-ip=127.0.0.1 --listening-port=3478 --realm=localhost \\
    --use-auth-secret --static-auth-secret=$(cat "$dev/turn.secret") \\
    --allow-loopback-peers --no-cli --no-tls --no-dtls
EOF

[ -n "${DEV_NO_EXEC:-}" ] && exit 0
exec "$extdiscod" -c "$dev/extdiscod.yml"
