#!/usr/bin/env bash
# Install every Debian package extdisco needs to build and test.
# Idempotent and fast when all is present: dpkg is asked first, apt only runs
# for what is missing. Services that the packages would start (prosody,
# ejabberd, coturn) are kept from starting: the tests start their own copies
# on loopback ports and stop them by PID.
set -euo pipefail

BUILD_PKGS=(
  build-essential meson ninja-build pkg-config clang
  libevent-dev libssl-dev libexpat1-dev libgsasl-dev libidn-dev
  libsqlite3-dev libyaml-dev libstrophe-dev libcmocka-dev libnice-dev libjansson-dev
  libwslay-dev libhttp-parser-dev
  libcurl4-openssl-dev
)
TEST_PKGS=(
  prosody prosody-modules ejabberd coturn python3-slixmpp jq curl openssl prometheus
  libclang-rt-14-dev nodejs npm chromium esbuild node-events
  debhelper lintian systemd iproute2 man-db strace
)

want=("${BUILD_PKGS[@]}")
[ "${1:-}" = "--build-only" ] || want+=("${TEST_PKGS[@]}")

missing=()
for p in "${want[@]}"; do
  # A Node.js from elsewhere (NodeSource's nodejs bundles npm and conflicts
  # with Debian's npm package) is used as it is.
  case $p in nodejs | npm) command -v node >/dev/null && command -v npm >/dev/null && continue ;; esac
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: not root; install these packages, then run again: ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Keep maintainer scripts from starting daemons on the standard ports.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; made_policy=1
fi
cleanup() { [ $made_policy -eq 1 ] && rm -f "$policy"; return 0; }
trap cleanup EXIT

# Refresh package lists when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
  apt-get update -q
fi
apt-get install -y -q --no-install-recommends "${missing[@]}"

# Debian starts these services where it can; the project runs its own.
for svc in prosody ejabberd coturn prometheus; do
  if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
done
