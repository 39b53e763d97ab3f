#!/usr/bin/env bash
# scripts/package.sh [OUTDIR]   (make package; default OUTDIR build-deb)
#
# Builds the Debian packages (debian/) from a scratch copy of the working
# tree (the files git tracks plus untracked ones it does not ignore), so the
# source tree is never dirtied: `dpkg-buildpackage -us -uc -b` there, with
# the unit tests and transcripts unless DEB_BUILD_OPTIONS has nocheck, and
# `dpkg-source -b` for a source package that lintian checks too.  Then
# lintian over the source and binary packages: errors fail, warnings and
# infos are printed.  OUTDIR receives the .deb, .dsc, .changes, .buildinfo,
# build.log and lintian.txt; tests/package/check.sh installs the .debs.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
out=${1:-build-deb}
case $out in /*) ;; *) out=$src/$out ;; esac
out=${out%/}
case $out in ''|"$src"|"$src"/.|/*/..*|/tmp|"$HOME") echo "package: refusing OUTDIR $out (it is emptied)" >&2; exit 2 ;; esac

fail() { echo "package: $*" >&2; exit 1; }
for t in dpkg-buildpackage dpkg-source dh lintian; do
    command -v "$t" >/dev/null || fail "$t missing (bash scripts/deps.sh installs it)"
done

# The package version is the project's.
mver=$(sed -nE "s/^ *version *: *'([^']+)'.*/\1/p" meson.build | head -n1)
dver=$(dpkg-parsechangelog -l debian/changelog -S Version)
[ "$mver" = "$dver" ] || fail "debian/changelog says $dver, meson.build $mver: add a changelog entry"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/extdisco-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/extdisco-$dver"
# tracked files as they are in the working tree, and new ones not ignored
git ls-files -z -co --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$tmp/extdisco-$dver"

t0=$(date +%s)
( cd "$tmp" && dpkg-source -b "extdisco-$dver" ) >"$tmp/build.log" 2>&1 ||
    { tail -n 40 "$tmp/build.log" >&2; fail "dpkg-source -b failed"; }
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=$(nproc)}
( cd "$tmp/extdisco-$dver" && dpkg-buildpackage -us -uc -b ) >>"$tmp/build.log" 2>&1 ||
    { tail -n 60 "$tmp/build.log" >&2; fail "dpkg-buildpackage failed (log: $out/build.log)"; }
t1=$(date +%s)
# dpkg-gensymbols: a symbol gone fails the build above; a new one is only
# warned about (add it to debian/*.symbols with the version it came in)
grep -A20 '^dpkg-gensymbols: warning' "$tmp/build.log" >&2 || true

rm -rf "$out" && mkdir -p "$out"
cp "$tmp"/*.deb "$tmp"/*.dsc "$tmp"/*.tar.* "$tmp"/*.changes "$tmp"/*.buildinfo "$tmp/build.log" "$out"/
debs=$(cd "$out" && printf '%s ' *.deb | sed -E 's/[^ ]*-dbgsym_[^ ]* //g')
echo "package: built in $((t1 - t0)) s (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS): $debs"

# lintian: errors fail; everything it says is shown
rc=0
lintian --fail-on error --display-info --pedantic \
    "$out"/*.dsc "$out"/*.changes >"$out/lintian.txt" 2>&1 || rc=$?
t2=$(date +%s)
cat "$out/lintian.txt"
summary=$(awk -F: '/^[EWIPX]: /{n[$1]++} END{printf "%d errors, %d warnings, %d info, %d pedantic", n["E"], n["W"], n["I"], n["P"]}' "$out/lintian.txt")
echo "package: lintian ($((t2 - t1)) s): $summary"
[ $rc -eq 0 ] || fail "lintian failed (exit $rc): errors above"
