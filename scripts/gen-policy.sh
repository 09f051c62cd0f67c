#!/bin/sh
# A policy of N open rules, for tests and benchmarks of large rule sets: rule i alerts on
# reads of DIR/f<i> by anything but `true`. With CREATE=1 the N files are created as well
# (exact paths that exist are watched by inode in the kernel).
# usage: gen-policy.sh N DIR > policy.yaml
set -eu
n=$1
dir=$2
if [ "${CREATE:-0}" = 1 ]; then
	mkdir -p "$dir"
	(cd "$dir" && seq -f 'f%.0f' 0 $((n - 1)) | xargs touch)
fi
awk -v n="$n" -v dir="$dir" 'BEGIN {
	printf "policy: generated-%d\nmode: audit\nrules:\n", n
	for (i = 0; i < n; i++)
		printf "  - id: gen-%d\n    description: read of generated file %d\n" \
		       "    severity: %s\n    on: [open]\n    match:\n" \
		       "      file.path: %s/f%d\n      file.access: read\n" \
		       "    except:\n      process.comm: \"true\"\n",
		       i, i, i % 2 ? "low" : "medium", dir, i
}'
