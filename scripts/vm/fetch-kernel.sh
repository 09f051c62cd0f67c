#!/bin/sh
# Fetch Debian's cloud kernel of a release (linux-image-cloud-amd64 -> linux-image-<ver>-cloud-amd64)
# into the cache dir and unpack its vmlinuz there, only when it is missing. Prints the vmlinuz path.
# The release's package lists are kept in the cache (CACHE/apt-RELEASE), apart from the host's
# apt, so a Debian 12 host can fetch Debian 13's kernel without changing its own sources.
# Usage: fetch-kernel.sh CACHE_DIR [RELEASE]   (RELEASE: bookworm (6.1, the default), trixie (6.12))
set -eu
cache=${1:?usage: fetch-kernel.sh CACHE_DIR [RELEASE]}
release=${2:-bookworm}
meta=linux-image-cloud-amd64
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

apt=$cache/apt-$release
mkdir -p "$apt/lists/partial" "$apt/archives/partial"
# the release with its security updates: the kernel its users run today
key=/usr/share/keyrings/debian-archive-keyring.gpg
printf 'deb [signed-by=%s] %s %s main\ndeb [signed-by=%s] %s-security %s-security main\n' \
	"$key" "$mirror" "$release" "$key" "$mirror" "$release" >"$apt/sources.list"
set -- -o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=- \
	-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt" -o Dir::Cache::pkgcache= \
	-o Dir::Cache::srcpkgcache=

# The metapackage only depends on the versioned image; resolve it so we fetch the real kernel.
resolve() {
	apt-cache "$@" depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n 1
}
pkg=$(resolve "$@")
if [ -z "$pkg" ]; then
	echo "test-vm: fetching $release's package lists" >&2
	out=$(apt-get "$@" update 2>&1) || echo "$out" >&2
	pkg=$(resolve "$@")
fi
[ -n "$pkg" ] || { echo "test-vm: cannot resolve $release's $meta (network?)" >&2; exit 1; }
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
	if ! out=$(cd "$cache" && apt-get "$@" download "$pkg" 2>&1); then
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
