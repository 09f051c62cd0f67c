# Parse a VM suite's serial console (scripts/vm/run.sh, scripts/vm/debian-run.sh): each test
# is framed by "vigil-vm: begin NAME" and "vigil-vm: end NAME rc=N ..." and closes with
# "N passed, N failed, N skipped"; the boot ends with "vigil-vm: done". A test without a closing
# line, a test that exited non-zero with no failure counted, and a VM that did not reach "done"
# each count as one failure. Prints the total; exits non-zero when anything failed.
# Variables: suite (message prefix), label (of the total), timeout_s (for the message).
function close_test(rc) {
	if (summary == "") {
		printf "%s: %s: %s without a summary line: counted as a failure\n", suite, name, \
			(rc == "" ? "did not finish" : "exited " rc)
		failed++
	} else {
		split(summary, f, /[ ,]+/)
		passed += f[1]; failed += f[3]; skipped += f[5]
		if (rc != "" && rc != 0 && f[3] == 0) {
			printf "%s: %s: exited %s: counted as a failure\n", suite, name, rc
			failed++
		}
		if (rc == "") {
			printf "%s: %s: did not finish: counted as a failure\n", suite, name
			failed++
		}
	}
	name = ""
}
/^vigil-vm: begin / { name = $3; summary = ""; next }
/^vigil-vm: end / { sub(/^rc=/, "", $4); close_test($4); next }
/^vigil-vm: done$/ { done = 1; next }
name != "" && /^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ { summary = $0 }
END {
	if (name != "")
		close_test("")
	if (!done) {
		printf "%s: the VM did not reach its end (crash, panic or %ss timeout)\n", suite, \
			timeout_s
		failed++
	}
	print "=== total (" label ")"
	printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
	exit failed != 0
}
