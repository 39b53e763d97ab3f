#!/usr/bin/env bash
# tests/package/check.sh [DEBDIR]   (make test-package; DEBDIR from
# scripts/package.sh, default build-deb)
#
# Installs the built .debs into a scratch root and checks what an operator
# gets: this machine's root file system under a private overlay (the upper
# layer a tmpfs), in a private mount and network namespace (loopback only),
# entered with chroot.  Nothing reaches the real system: the overlay and
# the namespaces vanish with this script.  tests/package/in_root.sh runs in
# there: dpkg -i, the user, the state directory, the conffile and the
# secrets, `extdiscod -n` on the default configuration (as root and as the
# unit's user), systemd-analyze verify and security of the unit, the -dev
# package through pkg-config, the daemon started as the unit starts it
# (user extdisco, no capabilities, no new privileges): on the default
# configuration alone, in standalone mode and in component mode beside
# Debian's Prosody and beside its ejabberd, set up as the README's
# "Deploying" says with
# Debian's coturn as the TURN server, the installed client asking it
# (services, ip, and `extdisco check`: real STUN/TURN exchanges with coturn
# on the credentials minted from the generated turn.secret), every system
# call of those runs (strace) allowed by the unit's SystemCallFilter, a
# reinstall that keeps secrets and a changed conffile, then the purge.  Needs root (namespaces,
# mounts); fails otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "package check: $*" >&2; exit 1; }

if [ -z "${EXTDISCO_PKG_NS:-}" ]; then
    debdir=${1:-build-deb}
    debdir=$(cd "$debdir" 2>/dev/null && pwd) || fail "no $debdir: run scripts/package.sh (make package) first"
    [ "$(id -u)" -eq 0 ] || fail "must run as root (mount and network namespaces, dpkg in the scratch root)"
    ls "$debdir"/extdiscod_*.deb >/dev/null 2>&1 || fail "no extdiscod_*.deb in $debdir"
    # the mount point of the scratch root (empty again once the namespace,
    # which holds its mounts, is gone)
    top=$(mktemp -d "${TMPDIR:-/tmp}/extdisco-pkgroot.XXXXXX")
    rc=0
    EXTDISCO_PKG_NS=1 unshare --mount --net --propagation private bash "$0" "$debdir" "$top" || rc=$?
    rmdir "$top" || true
    exit $rc
fi

# --- in the private namespaces
debdir=$1 top=$2
for t in chroot mount ip systemd-analyze; do
    command -v "$t" >/dev/null || fail "$t missing (bash scripts/deps.sh installs it)"
done
ip link set lo up
# the overlay's lower layer is the root file system alone: the system's
# files must all be on it
for d in /usr /etc /var /var/lib; do
    [ "$(findmnt -n -o TARGET --target "$d")" = / ] ||
        fail "$d is a separate mount: the scratch root (an overlay of /) would miss it"
done
mount -t tmpfs -o mode=0700 tmpfs "$top"
mkdir "$top/upper" "$top/work" "$top/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$top/upper,workdir=$top/work" "$top/root"
r=$top/root
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
mount --rbind /sys "$r/sys"
mount -t tmpfs tmpfs "$r/run"
mount -t tmpfs tmpfs "$r/tmp"
chmod 1777 "$r/tmp"
# no service of any package is started in there (there is no systemd anyway)
printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
chmod 755 "$r/usr/sbin/policy-rc.d"
mkdir "$r/tmp/debs"
cp "$debdir"/*.deb "$r/tmp/debs/"
rm -f "$r"/tmp/debs/*-dbgsym_*.deb
cp "$here/in_root.sh" "$r/tmp/in_root.sh"

rc=0
# bounded: every wait in there is, and this is the backstop (TERM runs its
# EXIT trap, which stops what it started)
timeout -k 30 600 chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM=dumb bash /tmp/in_root.sh /tmp/debs || rc=$?
# the namespace and its mounts go with this process
exit $rc
