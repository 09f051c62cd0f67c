#!/bin/sh
# Run a command in a private mount namespace of its own where bpffs, tracefs, debugfs and
# securityfs are all unmounted ("fresh": what a fresh host has, whatever this machine has
# mounted) or all mounted ("mounted": what a host set up by systemd has). Nothing changes in the
# caller's namespace. Without root (no namespace to make), the command runs as it is.
# usage: test-ns.sh fresh|mounted CMD [ARGS...]
set -eu
mode=${1:?usage: test-ns.sh fresh|mounted CMD [ARGS...]}
shift
[ "$(id -u)" -eq 0 ] || exec "$@"
exec unshare --mount --propagation private -- sh -eu -c '
mode=$1
shift
for fs in tracefs:/sys/kernel/debug/tracing tracefs:/sys/kernel/tracing \
	debugfs:/sys/kernel/debug securityfs:/sys/kernel/security bpf:/sys/fs/bpf; do
	type=${fs%%:*} dir=${fs#*:}
	if [ "$mode" = fresh ]; then
		while mountpoint -q "$dir"; do umount -l "$dir"; done
	elif ! mountpoint -q "$dir" && [ -d "$dir" ]; then
		mount -t "$type" "$type" "$dir" 2>/dev/null || true
	fi
done
exec "$@"' sh "$mode" "$@"
