#!/usr/bin/env bash
# scripts/no_skips.sh BUILDDIR — fail when the last `meson test` in BUILDDIR
# skipped anything.  `make test` installs every peer first, so a skip (exit
# 77: a peer or tool missing) means a broken set-up, not a pass.
set -euo pipefail
log=${1:?usage: no_skips.sh BUILDDIR}/meson-logs/testlog.json
[ -s "$log" ] || { echo "no_skips: $log missing" >&2; exit 1; }
/usr/bin/python3 - "$log" <<'PY'
import json, sys
skipped = [t["name"] for t in map(json.loads, open(sys.argv[1])) if t.get("result") == "SKIP"]
if skipped:
    print("no_skips: skipped tests (treated as failures: make test installs every peer):",
          *skipped, sep="\n  ", file=sys.stderr)
    sys.exit(1)
PY
