#!/bin/sh
# Fetch Debian's cloud kernel (linux-image-cloud-amd64 -> linux-image-<ver>-cloud-amd64) into the
# cache dir and unpack its vmlinuz there, only when it is missing. Prints the vmlinuz path.
# Usage: fetch-kernel.sh CACHE_DIR
set -eu
cache=${1:?usage: fetch-kernel.sh CACHE_DIR}
meta=linux-image-cloud-amd64
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# The metapackage only depends on the versioned image; resolve it so we fetch the real kernel.
resolve() {
	apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n 1
}
pkg=$(resolve)
if [ -z "$pkg" ]; then
	# A fresh machine may have no package lists yet.
	apt-get update -qq >/dev/null 2>&1 || true
	pkg=$(resolve)
fi
if [ -z "$pkg" ]; then
	echo "test-vm: cannot resolve the kernel package $meta depends on" \
		"(run apt-get update?)" >&2
	exit 1
fi
kdir=$cache/$pkg
vmlinuz=$kdir/vmlinuz
if [ -r "$vmlinuz" ]; then
	echo "$vmlinuz"
	exit 0
fi

deb=$(ls "$cache"/"$pkg"_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
	echo "test-vm: downloading $pkg" >&2
	# apt-get download writes into the current directory; _apt needs to be able to write there.
	if ! out=$(cd "$cache" && apt-get download "$pkg" 2>&1); then
		echo "test-vm: apt-get download failed: $out" >&2
		exit 1
	fi
	deb=$(ls "$cache"/"$pkg"_*.deb 2>/dev/null | head -n 1 || true)
	[ -n "$deb" ] || { echo "test-vm: apt-get download left no $pkg .deb in $cache" >&2; exit 1; }
fi

rm -rf "$kdir.tmp"
mkdir -p "$kdir.tmp"
dpkg -x "$deb" "$kdir.tmp/root" || { echo "test-vm: dpkg -x $deb failed" >&2; exit 1; }
img=$(ls "$kdir.tmp"/root/boot/vmlinuz-* 2>/dev/null | head -n 1 || true)
[ -n "$img" ] || { echo "test-vm: no /boot/vmlinuz-* in $deb" >&2; exit 1; }
cp "$img" "$kdir.tmp/vmlinuz"
# Only the kernel image is needed: the test kernel boots without modules.
rm -rf "$kdir.tmp/root" "$kdir"
mv "$kdir.tmp" "$kdir"
echo "$vmlinuz"
