#!/bin/sh
# make bench: every benchmark, one after the other, each printing its own table.
# Benchmarks are not tests: they assert nothing, they measure. Run as root.
set -u
cd "$(dirname "$0")/.."
status=0
for b in exec_bench open_bench budget_bench throughput_bench policy_bench enforce_bench \
	fanotify_bench shield_bench shield_veth_bench shield_flood_bench balance_bench latency_bench \
	top_bench profile_bench sink_bench nats_bench baseline_bench; do
	echo "=== $b"
	build/bench/$b || status=1
	echo
done
# The false-positive rate of a baseline over a 10-minute benign replay of the service's normal
# load with its natural variation, then its detection of each misbehaviour (test_baseline).
echo "=== baseline replay (600 s monitored)"
VIGIL_BL_REPLAY=600 build/tests/integration/test_baseline benign_replay || status=1
# Overhead on real work (a build, redis, nginx, process churn); a script: --quick for one round
echo "=== workload_bench"
bench/workload_bench.sh || status=1
exit $status
