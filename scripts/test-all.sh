#!/bin/bash
# make test: the host suites, the VM suites on Debian's 6.1 and 6.12 kernels, the booted-Debian
# suite (the package and its service under systemd), then one grand total.
# usage: test-all.sh "HOST_TEST_BINS" DEB_DIR STATIC_VIGIL VM_TEST_BINS...
set -u -o pipefail # a suite's status, not tee's
host_bins=$1 debdir=$2
shift 2
log=$(mktemp) failures=$(mktemp)
trap 'rm -f "$log" "$failures"' EXIT
status=0 passed=0 failed=0 skipped=0

# suite TITLE CMD...: run one suite, echo it, add its last "N passed, N failed, N skipped" line
# to the totals; a suite without one counts as one failure. Its failures are kept for the end
# with the section they were in (the binary, or the VM suite's kernel).
suite() {
	local title=$1 line p f s
	shift
	echo "=== $title"
	"$@" | tee "$log" || status=1
	awk -v title="$title" '/^=== / { section = substr($0, 5) ": " }
		/^  [^ ]+:[0-9]+: |: FAIL( |$)|counted as a failure|did not reach its end/ {
			print title ": " section $0 }' "$log" >>"$failures"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "=== $title: no total: counted as a failure"
		line="0 passed, 1 failed, 0 skipped"
		status=1
	fi
	read -r p _ f _ s _ <<<"${line//,/}"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# shellcheck disable=SC2086
suite "host suites" scripts/run-tests.sh $host_bins
# Every host suite ran where bpffs, tracefs and securityfs start unmounted (a fresh host); those
# that mount or adopt them run once more where all are mounted (a host systemd set up). The VM
# suites mount everything too.
mounted_bins=$(printf '%s\n' $host_bins | grep -E '/test_(pin|probe|shield_cli)$' | tr '\n' ' ')
# shellcheck disable=SC2086
suite "host suites again, where bpffs, tracefs, debugfs and securityfs are mounted" \
	env TEST_NS=mounted scripts/run-tests.sh $mounted_bins
suite "VM suites (Debian 12's and 13's kernels, 6.1 and 6.12, under qemu)" scripts/vm/suites.sh "$@"
# the package the host suites' package test built, else one built now
deb=$(ls "$debdir"/vigil_*_amd64.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { make -s deb >/dev/null && deb=$(ls "$debdir"/vigil_*_amd64.deb | head -n 1); }
suite "booted-Debian suite (the package under systemd, in qemu)" scripts/vm/debian-run.sh "$deb"

[ "$failed" -eq 0 ] || status=1
if [ -s "$failures" ]; then
	# the names again at the end, where a CI log's tail shows them
	echo "=== what failed"
	cat "$failures"
fi
echo "=== total (host + VM + booted Debian)"
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
