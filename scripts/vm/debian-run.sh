#!/bin/sh
# make test-service: boot Debian bookworm with systemd as pid 1 under qemu (TCG) on Debian's
# cloud kernel (6.1, BPF LSM on), install vigil's .deb there with apt and test the service
# (scripts/vm/debian-tests.sh); print the serial console and the total, as run.sh does for the
# busybox suite. The root file system (debian-root.sh, cached in VM_CACHE) is the initramfs; the
# payload (the .deb, the tests and their unit, enabled) is a second cpio archive after it, which
# the kernel unpacks over the first. Exits non-zero when anything failed.
# Usage: debian-run.sh VIGIL_DEB   (env: VM_CACHE, VM_TIMEOUT seconds, QEMU, VM_KERNEL_ARGS)
set -eu
[ $# -eq 1 ] || { echo "usage: debian-run.sh VIGIL_DEB" >&2; exit 2; }
deb=$1
here=$(dirname "$0")
cache=${VM_CACHE:-.vm-cache}
timeout_s=${VM_TIMEOUT:-1200}
qemu=${QEMU:-qemu-system-x86_64}

[ -r "$deb" ] || { echo "test-service: no package $deb" >&2; exit 1; }
command -v "$qemu" >/dev/null ||
	{ echo "test-service: $qemu not found: install qemu-system-x86 (make deps)" >&2; exit 1; }
vmlinuz=$("$here/fetch-kernel.sh" "$cache")
rootfs=$("$here/debian-root.sh" "$cache")

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-debvm.XXXXXX")
trap 'rm -rf "$work"' EXIT
p=$work/payload
mkdir -p "$p/payload" "$p/etc/systemd/system/multi-user.target.wants"
cp "$deb" "$here/debian-tests.sh" "$here/debian-vmtest.sh" "$p/payload/"
cp "$here/vigil-vmtest.service" "$p/etc/systemd/system/"
ln -s ../vigil-vmtest.service "$p/etc/systemd/system/multi-user.target.wants/"
chmod -R go+rX "$p"
# Not "." itself: the kernel would give the root directory the temporary directory's mode.
(cd "$p" && find . -mindepth 1 | cpio -o -H newc --quiet) >"$work/payload.cpio"
cat "$rootfs" "$work/payload.cpio" >"$work/initrd.cpio"

echo "test-service: booting Debian bookworm on $vmlinuz (timeout ${timeout_s}s)"
start=$(date +%s)
# thread=single: see run.sh. 2G: the root file system lives in RAM (tmpfs).
timeout -k 10 "$timeout_s" "$qemu" -accel tcg,thread=single -cpu max -m 2G -smp 2 -nographic \
	-no-reboot -kernel "$vmlinuz" -initrd "$work/initrd.cpio" \
	-append "console=ttyS0 ${VM_KERNEL_ARGS:-quiet} lsm=lockdown,capability,landlock,bpf panic=-1" \
	</dev/null 2>&1 | tr -d '\r' | tee "$work/console.log"
# The pipeline's status is tee's: a timeout or a crash shows up as a missing "vigil-vm: done".
echo "test-service: VM ran $(($(date +%s) - start))s"

awk -v timeout_s="$timeout_s" -v suite=test-service -v label="Debian VM" \
	-f "$here/console.awk" "$work/console.log"
