#!/usr/bin/env bash
# tests/install_check.sh MESON BUILDDIR PREFIX LIBDIR INCLUDEDIR CC
#
# `meson install --destdir` into a temp directory, then: the installed
# headers and libraries match (every function the headers of
# include/extdisco/ declare is exported by an installed shared library and
# defined in an installed static one, and the shared libraries export
# nothing else), each header compiles on its own, and a small program
# built with the installed pkg-config files (extdisco-client.pc, which
# requires extdisco.pc) links shared and static and runs.
set -euo pipefail
meson=$1 build=$2 prefix=$3 libdir=$4 incdir=$5 cc=${6:-cc}
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
case $incdir in /*) ;; *) incdir=$prefix/$incdir ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/extdisco-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
fail() { echo "install_check: $*" >&2; exit 1; }

"$meson" install -C "$build" --no-rebuild --destdir "$dest" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "meson install failed"; }
L=$dest$libdir I=$dest$incdir

for f in libextdisco.so libextdisco.a libextdisco-client.so libextdisco-client.a \
         pkgconfig/extdisco.pc pkgconfig/extdisco-client.pc; do
    [ -e "$L/$f" ] || fail "$libdir/$f not installed"
done
headers=("$I"/extdisco/*.h)
[ -e "${headers[0]}" ] || fail "no headers in $incdir/extdisco"

# Every header on its own; the declarations of all of them (gcc's
# -aux-info lists each prototype with its file; F = defined there, e.g.
# static inline: not a library's business).
for h in "${headers[@]}"; do
    printf '#include "extdisco/%s"\n' "${h##*/}" >>"$tmp/all.c"
    printf '#include "extdisco/%s"\nint main(void) { return 0; }\n' "${h##*/}" >"$tmp/one.c"
    "$cc" -std=gnu11 -I"$I" -fsyntax-only "$tmp/one.c" || fail "${h##*/} does not compile alone"
done
auxcc=$(command -v gcc || echo "$cc") # -aux-info is gcc's
"$auxcc" -std=gnu11 -I"$I" -fsyntax-only -aux-info "$tmp/aux" "$tmp/all.c"
grep -F "/* $I/" "$tmp/aux" | grep -E ':[NO]C \*/' |
    sed -E 's|^/\* [^ ]* \*/ ||; s/^([^(]*[^A-Za-z0-9_(])([A-Za-z_][A-Za-z0-9_]*) \(.*/\2/' |
    sort -u >"$tmp/declared"
[ -s "$tmp/declared" ] || fail "no function declarations found in the headers"
nm -D --defined-only "$L"/lib*.so | awk '$2 ~ /^[TWi]$/ {print $3}' | sort -u >"$tmp/exported"
nm --defined-only "$L"/lib*.a 2>/dev/null | awk '$2 ~ /^[TW]$/ {print $3}' | sort -u >"$tmp/archived"
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
[ -z "$missing" ] || fail "declared in installed headers, exported by no installed library:" $missing
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
[ -z "$extra" ] || fail "exported by an installed library, declared in no installed header:" $extra
missing=$(comm -23 "$tmp/declared" "$tmp/archived")
[ -z "$missing" ] || fail "declared in installed headers, in no installed static library:" $missing
echo "install_check: $(wc -l <"$tmp/declared") functions declared = exported, ${#headers[@]} headers"

# A client program, through pkg-config only (the sysroot points the -I and
# -L of the installed .pc files into the destdir).
cat >"$tmp/prog.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include "extdisco/client.h"
#include "extdisco/extdisco.h"
int main(void)
{
    ed_client_opts o = {.jid = "user@example.org", .password = "pw"};
    ed_client *c = ed_client_new(&o);               /* libextdisco-client */
    ed_jid *j = NULL;                               /* libextdisco */
    int ok = c && !ed_client_is_connected(c) &&
             ed_jid_parse("user@example.org", 16, &j) == ED_OK &&
             strcmp(ed_strerror(ED_ENOMEM), "") != 0;
    ed_jid_free(j);
    ed_client_free(c);
    puts(ok ? "ok" : "FAIL");
    return !ok;
}
EOF
export PKG_CONFIG_PATH=$L/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
cflags=$(pkg-config --cflags extdisco-client) || fail "pkg-config extdisco-client"
libs=$(pkg-config --libs extdisco-client)
# shellcheck disable=SC2086
"$cc" -o "$tmp/prog" "$tmp/prog.c" $cflags $libs || fail "linking against the shared libraries"
out=$(LD_LIBRARY_PATH=$L "$tmp/prog") || fail "the shared-linked program: $out"
ldd_out=$(LD_LIBRARY_PATH=$L ldd "$tmp/prog")
grep -q "libextdisco-client.so.0 => $L/" <<<"$ldd_out" || fail "not linked to the installed library"
# static: the two archives, the rest as --static asks
slibs=$(pkg-config --static --libs extdisco-client)
slibs=${slibs//-lextdisco-client/-l:libextdisco-client.a}
slibs=$(sed -E 's/-lextdisco( |$)/-l:libextdisco.a\1/' <<<"$slibs")
# shellcheck disable=SC2086
"$cc" -o "$tmp/prog-static" "$tmp/prog.c" $cflags $slibs || fail "linking against the static libraries"
ldd "$tmp/prog-static" | grep -q libextdisco && fail "static program still needs a shared libextdisco"
out=$("$tmp/prog-static") || fail "the static-linked program: $out"
echo "install_check: a program built from the installed pkg-config files links (shared, static) and runs"
