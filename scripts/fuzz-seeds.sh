#!/bin/sh
# The fuzzer's seed corpus: each policy of rules/ whole, each of its rules as a policy of its
# own (small inputs fuzz faster), and the YAML examples of docs/*.md.
# usage: fuzz-seeds.sh OUTDIR rules/a.yaml ... docs/policy.md ...
set -e
out=$1
shift
rm -rf "$out"
mkdir -p "$out"
for f in "$@"; do
	base=$(basename "$f")
	case "$f" in
	*.md)
		awk -v out="$out/$base" '/^```yaml/ { n++; on = 1; next }
			/^```/ { on = 0 } on { print > (out "-" n ".yaml") }' "$f"
		;;
	*)
		cp "$f" "$out/$base"
		# the lines before rules:, then one "  - id:" item at a time
		awk -v out="$out/${base%.yaml}" '
			!rules { head = head $0 "\n"; if ($0 ~ /^rules:/) rules = 1; next }
			/^  - id:/ { n++; printf "%s", head > (out "-" n ".yaml") }
			n { print > (out "-" n ".yaml") }' "$f"
		;;
	esac
done
