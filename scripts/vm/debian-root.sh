#!/bin/sh
# Build the root file system of the booted-Debian VM suite (scripts/vm/debian-run.sh): Debian
# bookworm made by debootstrap (minbase, systemd as init, the libraries vigil's .deb depends on,
# so the package installs offline), packed as an uncompressed cpio that the kernel unpacks as its
# initramfs and runs /init (systemd) from: Debian's cloud kernel has virtio-blk only as a module,
# so there is no disk. The archive is cached in CACHE_DIR under a hash of this script: it is
# rebuilt only when missing or when this script changed. Prints the archive's path.
# Usage: debian-root.sh CACHE_DIR   (env: DEBIAN_MIRROR)
set -eu
cache=${1:?usage: debian-root.sh CACHE_DIR}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# systemd and what the tests use, and the libraries vigil's package depends on
pkgs=systemd,systemd-sysv,dbus,iproute2,procps,python3,apt
pkgs=$pkgs,libbpf1,libelf1,zlib1g,libyaml-0-2,libsystemd0,libgnutls30,libmicrohttpd12
pkgs=$pkgs,libnats3.4,libjson-c5,libncursesw6,libtinfo6,libdw1
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

key=$(sha256sum "$0" | cut -c1-12)
out=$cache/debian-root-$key.cpio
if [ -r "$out" ]; then
	echo "$out"
	exit 0
fi
command -v debootstrap >/dev/null ||
	{ echo "test-service: debootstrap not found: install it (make deps)" >&2; exit 1; }

root=$cache/debian-root.tmp
rm -rf "$root" "$out.tmp"
mkdir -p "$root"
echo "test-service: debootstrap bookworm into $root (a few minutes, once)" >&2
start=$(date +%s)
# In a mount namespace of its own: the proc and sys debootstrap mounts in the target never
# reach the host's, even when it fails half-way. The packages it downloads are kept for the
# next build (a change of this script).
mkdir -p "$cache/debootstrap-debs"
if ! unshare --mount --propagation private debootstrap --variant=minbase --include="$pkgs" \
	--cache-dir="$cache/debootstrap-debs" bookworm "$root" "$mirror" \
	>"$cache/debootstrap.log" 2>&1; then
	echo "test-service: debootstrap failed; the end of $cache/debootstrap.log:" >&2
	tail -n 20 "$cache/debootstrap.log" >&2
	exit 1
fi
echo "test-service: debootstrap took $(($(date +%s) - start))s" >&2

# The kernel runs /init from an initramfs; this one is the real system.
ln -s /lib/systemd/systemd "$root/init"
echo vigil-vm >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 vigil-vm\n::1 localhost\n' >"$root/etc/hosts"
: >"$root/etc/fstab"
# A fixed machine id: no first-boot set-up at every boot.
echo 5669676c564d2d64656269616e2d766d >"$root/etc/machine-id"
# What only slows a TCG boot or writes on the test console: gettys, timers, a file system check
# of no disk, an automount that needs autofs (a module in this kernel).
for u in getty.target serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer \
	dpkg-db-backup.timer fstrim.timer systemd-tmpfiles-clean.timer e2scrub_reap.service \
	proc-sys-fs-binfmt_misc.automount; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
# Nothing in these is needed to boot or to install a package; apt's lists are not needed to
# install a local .deb whose dependencies are all installed.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
	"$root"/usr/share/info/* "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
	"$root"/var/lib/apt/lists/*

(cd "$root" && find . -mindepth 1 | cpio -o -H newc --quiet) >"$out.tmp"
rm -rf "$root"
rm -f "$cache"/debian-root-*.cpio # the versions of older scripts
mv "$out.tmp" "$out"
echo "test-service: $out: $(du -m "$out" | cut -f1) MB" >&2
echo "$out"
