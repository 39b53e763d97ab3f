#!/usr/bin/env bash
# Install the JavaScript clients the interop tests use (StanzaJS) into
# BUILD_DIR/npm with `npm ci` from tests/interop/npm/package-lock.json (exact
# versions and integrity hashes).  Idempotent: nothing runs when the
# installed tree matches the lockfile.
#   scripts/npm_deps.sh BUILD_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/../tests/interop/npm" && pwd)
dst=${1:?usage: npm_deps.sh BUILD_DIR}/npm
mkdir -p "$dst"
if [ -f "$dst/node_modules/.extdisco-lock" ] &&
   cmp -s "$src/package-lock.json" "$dst/node_modules/.extdisco-lock"; then
  exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dst/"
(cd "$dst" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
cp "$src/package-lock.json" "$dst/node_modules/.extdisco-lock"
