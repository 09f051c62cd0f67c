#!/bin/sh
# Build the test VM's initramfs: busybox-static (with its applets as links), scripts/vm/init,
# the static vigil, the static test binaries, and bpftool with the shared libraries it needs.
# Usage: build-initramfs.sh OUT.cpio.gz VIGIL TEST_BIN...
set -eu
[ $# -ge 2 ] || { echo "usage: build-initramfs.sh OUT.cpio.gz VIGIL TEST_BIN..." >&2; exit 2; }
out=$1 vigil=$2
shift 2
here=$(dirname "$0")
busybox=/bin/busybox
bpftool=$(command -v bpftool || true)

ldd "$busybox" >/dev/null 2>&1 &&
	{ echo "test-vm: $busybox is not static: install busybox-static (make deps)" >&2; exit 1; }

root=$(mktemp -d "${TMPDIR:-/tmp}/vigil-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin "$root"/tests "$root"/proc \
	"$root"/sys "$root"/dev "$root"/tmp "$root"/run "$root"/root "$root"/etc
cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list-full); do
	[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done
# Tests exec /usr/bin/dash and /bin/bash by name in places; busybox sh stands in for both.
ln -sf /bin/busybox "$root/usr/bin/dash"
cp "$here/init" "$root/init"
cp "$vigil" "$root/vigil"
for t in "$@"; do
	cp "$t" "$root/tests/"
done

# bpftool is dynamically linked in Debian: copy it with the loader and libraries ldd names.
if [ -n "$bpftool" ]; then
	real=$(readlink -f "$bpftool")
	cp "$real" "$root/usr/sbin/bpftool"
	for lib in $(ldd "$real" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
else
	echo "test-vm: bpftool not found: tests that list programs with it will skip" >&2
fi

echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
echo "nogroup:x:65534:" >>"$root/etc/group"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
