#!/bin/bash
# make test: the host suites, then the VM suite on Debian's 6.1 kernel, then one grand total.
# usage: test-all.sh "HOST_TEST_BINS" STATIC_VIGIL VM_TEST_BINS...
set -u -o pipefail # a suite's status, not tee's
host_bins=$1
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

# shellcheck disable=SC2086
scripts/run-tests.sh $host_bins | tee "$log" || status=1
host=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
echo "=== VM suite (Debian's 6.1 kernel under qemu)"
scripts/vm/run.sh "$@" | tee "$log" || status=1
vm=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)

read -r hp _ hf _ hs _ <<<"${host//,/}"
read -r vp _ vf _ vs _ <<<"${vm:-0 passed, 1 failed, 0 skipped}"
vf=${vf//,/}
[ -z "$vm" ] && status=1
[ "${hf:-1}" != 0 ] || [ "$vf" != 0 ] && status=1
echo "=== total (host + VM)"
echo "$((hp + ${vp//,/})) passed, $((hf + vf)) failed, $((hs + ${vs//,/})) skipped"
exit $status
