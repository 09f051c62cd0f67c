#!/bin/bash
# Run test binaries one after another, echo their output, and add up their closing lines
# ("N passed, N failed, N skipped"). A binary that crashes or prints no closing line counts as
# one failure. Exits non-zero when anything failed.
# Each runs in a mount namespace of its own where bpffs, tracefs, debugfs and securityfs start
# unmounted, as on a fresh host, whatever this machine has mounted (scripts/test-ns.sh);
# TEST_NS=mounted runs them where all are mounted instead.
set -u
ns=${TEST_NS:-fresh}
here=$(dirname "$0")
passed=0 failed=0 skipped=0
for t in "$@"; do
	echo "=== ${t#build/tests/} ($ns mounts)"
	log=$(mktemp)
	"$here/test-ns.sh" "$ns" "$t" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "${t#build/tests/}: exited $rc without a summary line: counted as a failure"
		failed=$((failed + 1))
		continue
	fi
	read -r p _ f _ s _ <<<"${line//,/}"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "${t#build/tests/}: exited $rc: counted as a failure"
		failed=$((failed + 1))
	fi
done
echo "=== total"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
