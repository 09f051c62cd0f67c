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
# Every host suite ran where bpffs, tracefs and securityfs start unmounted (a fresh host); those
# that mount or adopt them run once more where all are mounted (a host systemd set up). The VM
# suite mounts everything too.
echo "=== again, where bpffs, tracefs, debugfs and securityfs are mounted"
mounted_bins=$(printf '%s\n' $host_bins | grep -E '/test_(pin|probe|shield_cli)$' | tr '\n' ' ')
# shellcheck disable=SC2086
TEST_NS=mounted scripts/run-tests.sh $mounted_bins | tee "$log" || status=1
mounted=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
read -r mp _ mf _ ms _ <<<"${mounted:-0 passed, 1 failed, 0 skipped}"
mp=${mp//,/} mf=${mf//,/} ms=${ms//,/}
read -r hp _ hf _ hs _ <<<"${host:-0 passed, 1 failed, 0 skipped}"
hp=${hp//,/} hf=${hf//,/} hs=${hs//,/}
host="$((hp + mp)) passed, $((hf + mf)) failed, $((hs + ms)) skipped"
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
