#!/bin/sh
# make test-vm: boot Debian's cloud kernel (BPF LSM built in; VM_RELEASE: bookworm, 6.1, the
# default, or trixie, 6.12) under qemu (TCG) with an
# initramfs holding busybox, the static vigil and the static test binaries; print the serial
# console; add up the tests' closing lines ("N passed, N failed, N skipped"). A test without a
# closing line, a test that exited non-zero with no failure counted, and a VM that did not reach
# the end of /init each count as one failure. Exits non-zero when anything failed.
# Usage: run.sh VIGIL TEST_BIN...   (env: VM_RELEASE, VM_CACHE, VM_TIMEOUT seconds, QEMU)
set -eu
[ $# -ge 1 ] || { echo "usage: run.sh VIGIL TEST_BIN..." >&2; exit 2; }
here=$(dirname "$0")
cache=${VM_CACHE:-.vm-cache}
# The whole suite ran 633 s here alone (single-threaded TCG). Two suites side by side
# (suites.sh) share the two cores with everything else the machine runs: under a load of 11
# from other work each VM got 40% of a core: 6.1's suite took 1001 s, 6.12's was cut at 1200.
timeout_s=${VM_TIMEOUT:-2400}
qemu=${QEMU:-qemu-system-x86_64}
release=${VM_RELEASE:-bookworm}

command -v "$qemu" >/dev/null ||
	{ echo "test-vm: $qemu not found: install qemu-system-x86 (make deps)" >&2; exit 1; }
vmlinuz=$("$here/fetch-kernel.sh" "$cache" "$release")
kernel=$(basename "$(dirname "$vmlinuz")")
kernel=${kernel#linux-image-}

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$here/build-initramfs.sh" "$work/initrd.cpio.gz" "$@"

echo "test-vm: booting $vmlinuz (timeout ${timeout_s}s)"
start=$(date +%s)
# VM_KERNEL_ARGS replaces "quiet" on the kernel command line (e.g. "loglevel=5" to see
# soft lockup backtraces).
# thread=single: one host thread runs both vCPUs in turn. With a thread per vCPU (MTTCG, qemu
# 7.2), a vCPU making syscalls while the other patches syscall_trace_enter (a tracepoint's static
# key turned on or off) kept executing the int3 of the patch after the bytes were restored: both
# vCPUs looped in the int3 handler for good (soft lockups, then the timeout). A loop turning a
# syscall tracepoint on and off beside a getppid() loop hung 2 boots of 2 within its first 500
# turns that way; single-threaded, 3,000 turns went through.
timeout -k 10 "$timeout_s" "$qemu" -accel tcg,thread=single -cpu max -m 1G -smp 2 -nographic \
	-no-reboot -kernel "$vmlinuz" -initrd "$work/initrd.cpio.gz" \
	-append "console=ttyS0 ${VM_KERNEL_ARGS:-quiet} lsm=lockdown,capability,landlock,bpf panic=-1" \
	</dev/null 2>&1 | tr -d '\r' | tee "$work/console.log"
# The pipeline's status is tee's: a timeout or a crash shows up as a missing "vigil-vm: done".
echo "test-vm: VM ran $(($(date +%s) - start))s"

# what probe called available must be what the suite proved (a framed test of its own)
awk -f "$here/probe-proof.awk" "$here/probe-proof.txt" "$work/console.log" >"$work/proof.log"
tee -a "$work/console.log" <"$work/proof.log"

awk -v timeout_s="$timeout_s" -v suite="test-vm ($release)" -v label="VM, $kernel" \
	-f "$here/console.awk" "$work/console.log"
