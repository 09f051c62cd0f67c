#!/bin/sh
# Build the test VM's initramfs: busybox-static (with its applets as links), scripts/vm/init,
# the static vigil, the static test binaries, static true/echo/sleep, and dash and bpftool with the shared libraries it needs.
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
chmod 755 "$root" # mktemp made it 0700: tests running as nobody must reach /vigil
mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin "$root"/tests "$root"/proc \
	"$root"/sys "$root"/dev "$root"/tmp "$root"/run "$root"/root "$root"/etc
cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list-full); do
	[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done
# true, echo and sleep as executables of their own (see tool.c), replacing the applet links.
for t in true echo sleep; do
	T=$(echo "$t" | tr a-z A-Z)
	rm -f "$root/bin/$t"
	${CC:-cc} -O2 -Wall -Werror -static -DTOOL_$T -o "$root/bin/$t" "$here/tool.c" ||
		{ echo "test-vm: cannot build the VM's $t from $here/tool.c" >&2; exit 1; }
done
cp "$here/init" "$root/init"
cp "$vigil" "$root/vigil"
for t in "$@"; do
	cp "$t" "$root/tests/"
done

# Copy a dynamically linked Debian tool with the loader and libraries ldd names.
copy_dynamic() {
	real=$(readlink -f "$1")
	mkdir -p "$root$(dirname "$2")"
	cp "$real" "$root$2"
	for lib in $(ldd "$real" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
# dash is /bin/sh as on the host: busybox sh execs a -c script's last command in place of the
# shell, which changes the process trees test_process checks.
copy_dynamic /usr/bin/dash /usr/bin/dash
ln -sf /usr/bin/dash "$root/bin/sh"
if [ -n "$bpftool" ]; then
	copy_dynamic "$bpftool" /usr/sbin/bpftool
else
	echo "test-vm: bpftool not found: tests that list programs with it will skip" >&2
fi

echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
echo "nogroup:x:65534:" >>"$root/etc/group"
# Name resolution for the static tests: glibc's getaddrinfo loads the NSS modules at run time
# (the DNS test points /etc/resolv.conf at its own server with a bind mount).
for lib in libnss_dns.so.2 libnss_files.so.2 libresolv.so.2; do
	cp -L "/lib/x86_64-linux-gnu/$lib" "$root/lib/x86_64-linux-gnu/$lib"
done
echo "hosts: files dns" >"$root/etc/nsswitch.conf"
: >"$root/etc/resolv.conf"
: >"$root/etc/hosts"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
