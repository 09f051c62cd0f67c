# After a VM suite: does what `vigil probe` called available on that kernel agree with what the
# suite proved there? For each feature of the map (scripts/vm/probe-proof.txt) that the probe
# line ("vigil-vm: probe {json}") calls supported, each listed test of a binary this boot ran
# ("vigil-vm: tests ...") must have passed; tests of binaries it did not run prove nothing here
# (a feature with none left is a skip). Prints a framed test ("vigil-vm: begin/end
# probe_vs_suite", a line per feature, the closing line) for console.awk to count.
# Usage: awk -f probe-proof.awk probe-proof.txt console.log
FNR == NR {
	if ($0 !~ /^#/ && NF >= 2) {
		features[++n] = $1
		proofs[$1] = $0
	}
	next
}
/^vigil-vm: tests / {
	for (i = 3; i <= NF; i++)
		in_suite[$i] = 1
	next
}
/^vigil-vm: begin / {
	binary = $3
	in_suite[binary] = 1 # also where the console has no tests line
	next
}
/^vigil-vm: probe / {
	line = $0
	while (match(line, /"[a-z0-9_]+":\{"supported":(true|false)/)) {
		item = substr(line, RSTART + 1, RLENGTH - 1)
		split(item, kv, /"/)
		supported[kv[1]] = item ~ /true$/
		line = substr(line, RSTART + RLENGTH)
	}
	probed = 1
	next
}
/^[a-z0-9_]+: (PASS|FAIL|SKIP)/ {
	name = $1
	sub(/:$/, "", name)
	result[binary ":" name] = $2
}
END {
	print "vigil-vm: begin probe_vs_suite"
	passed = failed = skipped = 0
	for (i = 1; i <= n; i++) {
		f = features[i]
		if (!probed || !(f in supported)) {
			printf "%s: FAIL (vigil probe printed no answer for it)\n", f
			failed++
			continue
		}
		if (!supported[f]) {
			printf "%s: SKIP (probe: not available on this kernel)\n", f
			skipped++
			continue
		}
		k = split(proofs[f], tests, /[ \t]+/)
		bad = proved = absent = ""
		for (j = 2; j <= k; j++) {
			split(tests[j], bt, ":")
			if (!(bt[1] in in_suite)) {
				absent = absent " " tests[j]
				continue
			}
			proved = proved " " tests[j]
			r = (tests[j] in result) ? result[tests[j]] : "not run"
			if (r != "PASS")
				bad = bad " " tests[j] " (" r ")"
		}
		if (bad == "" && proved == "") {
			printf "%s: SKIP (probe: available; proved by tests this boot did not run:%s)\n", \
				f, absent
			skipped++
		} else if (bad == "") {
			printf "%s: PASS (probe: available; proved by%s)\n", f, proved
			passed++
		} else {
			printf "%s: FAIL (probe: available, but not proved:%s)\n", f, bad
			failed++
		}
	}
	printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
	printf "vigil-vm: end probe_vs_suite rc=%d\n", failed != 0
}
