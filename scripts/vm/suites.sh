#!/bin/bash
# make test-vm: the VM suite (scripts/vm/run.sh) on each Debian kernel of VM_RELEASES (default
# "bookworm trixie": Debian 12's 6.1 and Debian 13's 6.12), the whole suite on each, booted side
# by side: qemu's TCG runs a VM on one host thread, so two VMs take the two cores of a small
# machine. One after the other would add the whole 6.12 suite (11-13 min) to make test; side by
# side the VM step lasts as long as the slower kernel (an earlier run here: 11.5 and 12.9 min,
# where 6.1 alone took 10.5). Prints each kernel's console and total, then their sum; exits
# non-zero when anything failed on either.
# Usage: suites.sh VIGIL TEST_BIN...   (env: VM_RELEASES, and run.sh's)
set -u -o pipefail
here=$(dirname "$0")
read -r -a releases <<<"${VM_RELEASES:-bookworm trixie}"
logs=$(mktemp -d "${TMPDIR:-/tmp}/vigil-vms.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$logs"' EXIT
declare -A pid
for r in "${releases[@]}"; do
	VM_RELEASE=$r "$here/run.sh" "$@" >"$logs/$r" 2>&1 &
	pid[$r]=$!
done
echo "test-vm: ${releases[*]} booting side by side; each console follows once all have ended"
status=0 passed=0 failed=0 skipped=0
for r in "${releases[@]}"; do
	wait "${pid[$r]}" || status=1
done
for r in "${releases[@]}"; do
	echo "=== VM suite on $r's kernel"
	cat "$logs/$r"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$logs/$r" | tail -n 1)
	[ -n "$line" ] || line="0 passed, 1 failed, 0 skipped"
	read -r p _ f _ s _ <<<"${line//,/}"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
[ "$failed" -eq 0 ] || status=1
echo "=== total (VM suites: ${releases[*]})"
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
