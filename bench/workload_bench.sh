#!/bin/bash
# Overhead on real work (issue 26): a build, redis, nginx and a CI-like process churn, timed
# under six conditions in interleaved rounds (A B C ... A B C ...), medians:
#
#   none        nothing attached
#   vigil       vigil run: the built-in ruleset (audit mode), JSON to a file
#   vigil+1000  the same with 1,000 more open rules (scripts/gen-policy.sh)
#   vigil-all   every sensor and every event type written (--events: all of them), and the
#               runq and syscall latency histograms on (--histograms, the documented example);
#               opens are still those of watched files (run sends no others, as measured here)
#   auditd      auditd with the rule set below: the files and syscalls of the built-in rules
#   bpftrace    bpftrace on the same tracepoints and files, printing to a file
#
# A shell script, not C like the other benchmarks: it starts and stops servers, daemons and
# tools and parses what they print; the timing is the workloads' own (make's wall time,
# redis-benchmark's and wrk's figures), so C would add nothing but length.
#
# Servers and the churn start after a condition is in place (the kernel decides at fork
# whether a task is audited), on loopback ports nobody listens on, with configurations and
# data in a temporary directory; nothing of the host's is touched but the audit rules, which
# are put back as they were, and dpkg's database, which gets a tiny package for a moment.
#
# usage: bench/workload_bench.sh [--quick]   (root, from anywhere; `make bench` runs it)
#   --quick                  one round, smaller workloads (about 2 minutes on a quiet host)
#   WORKLOAD_ROUNDS=N        rounds (default 3)
#   WORKLOAD_CONDITIONS=...  a subset, e.g. "none vigil auditd" (none always runs)
set -u
cd "$(dirname "$0")/.." || exit 1
repo=$PWD

quick=0
[ "${1:-}" = --quick ] && quick=1
if [ "$(id -u)" -ne 0 ]; then
	echo "workload_bench: needs root (loads BPF, audit rules, dpkg)" >&2
	exit 77
fi

# Tracepoints need tracefs: mount it in a mount namespace of our own (the host's are unchanged),
# where vigil and bpftrace find it.
if [ -z "${WORKLOAD_NS:-}" ] && ! grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts; then
	WORKLOAD_NS=1 exec unshare -m --propagation slave "$repo/bench/workload_bench.sh" "$@"
fi
if ! grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts &&
	! mount -t tracefs tracefs /sys/kernel/tracing; then
	echo "workload_bench: cannot mount tracefs" >&2
	exit 1
fi

rounds=${WORKLOAD_ROUNDS:-$((quick ? 1 : 3))}
redis_n=$((quick ? 20000 : 50000))	   # requests per redis-benchmark test, no pipelining
redis_np=$((quick ? 200000 : 500000))	   # and with 16 in a pipeline
wrk_seconds=$((quick ? 2 : 3))
churn_loops=$((quick ? 60 : 150))
all_conditions="none vigil vigil+1000 vigil-all auditd bpftrace"
conditions="none ${WORKLOAD_CONDITIONS:-$all_conditions}"
conditions=$(echo "$conditions" | sed 's/,/ /g' | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ')
for c in $conditions; do
	case " $all_conditions " in *" $c "*) ;; *)
		echo "workload_bench: unknown condition $c (conditions: $all_conditions)" >&2
		exit 64
		;;
	esac
done

tmp=$(mktemp -d /tmp/vigil-workload.XXXXXX)
chmod 755 "$tmp" # nginx's workers (nobody) read the served file below it
res=$tmp/results
mkdir -p "$res"
churn_pkg=vigil-bench-churn
started=""	  # pids of what this script started and has not stopped
audit_saved=0	  # the host's audit rules and state are in $tmp/audit.prev
vigil_pid="" auditd_pid="" bpftrace_pid="" redis_pid="" nginx_pid=""

log() { echo "workload_bench: $*" >&2; }

# SIGTERM, 10 s, SIGKILL; reap. Only pids this script started.
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	started=$(echo "$started" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
}

# Wait up to $3 s (default 30) until file $2 holds $1; 0 when it does.
wait_for() {
	for _ in $(seq $((${3:-30} * 10))); do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# A TCP port on loopback nobody listens on.
free_port() {
	local p
	while :; do
		p=$(shuf -i 20000-29999 -n 1)
		[ -z "$(ss -Hltn "sport = :$p")" ] && echo "$p" && return
	done
}

### the conditions

vigil_env() {
	VIGIL_CONTROL_SOCKET=$tmp/vigil.sock VIGIL_BPF_ROOT=/sys/fs/bpf/vigil-bench-$$ \
		VIGIL_CONFIG=$tmp/vigil.yaml VIGIL_POLICY_DIR="" "$@"
}

start_vigil() {
	: >"$tmp/vigil.yaml"
	: >"$tmp/vigil.log"
	vigil_env ./vigil run -f json -o "$tmp/vigil.json" "$@" >"$tmp/vigil.log" 2>&1 &
	vigil_pid=$!
	started="$started $vigil_pid"
	if ! wait_for "Ctrl-C to stop" "$tmp/vigil.log" 60; then
		log "vigil did not start: $(cat "$tmp/vigil.log")"
		return 1
	fi
}

stop_vigil() {
	# vigil stop: SIGTERM is refused where the agent is tamper-protected (BPF LSM)
	vigil_env ./vigil stop >/dev/null 2>&1
	stop_pid "$vigil_pid"
	grep -h 'events seen' "$tmp/vigil.log" | sed "s/^vigil: run:/    $cond, round $round:/" \
		>>"$tmp/vigil.summary"
	vigil_env ./vigil unload --force >/dev/null 2>&1
	rm -f "$tmp/vigil.json"
}

# Files the built-in rules watch (rules/*.yaml), for auditd's -w and bpftrace's path filter:
# reads of secrets, and any access to configuration that persistence and evasion rules watch.
watched_reads="/etc/shadow /etc/shadow- /etc/gshadow /etc/gshadow- /etc/security/opasswd
	/etc/krb5.keytab /etc/ssh /root/.ssh /root/.aws /root/.kube /root/.docker /root/.gnupg
	/root/.git-credentials /root/.netrc /root/.pgpass /root/.my.cnf"
watched_writes="/etc/passwd /etc/group /etc/sudoers /etc/sudoers.d /etc/pam.d /etc/ld.so.preload
	/etc/crontab /etc/cron.d /etc/systemd/system /etc/profile.d /etc/init.d /etc/rc.local
	/root/.bashrc /root/.profile /root/.bash_history /var/log"
# The syscalls of the event types the built-in rules use (64-bit ABI).
audit_syscalls="execve execveat connect socket ptrace process_vm_writev init_module
	finit_module delete_module bpf mount umount2 setns unshare setuid setreuid setresuid setgid
	setregid setresgid capset setxattr lsetxattr fsetxattr chmod fchmod fchmodat chown fchown
	lchown fchownat rename renameat renameat2 unlink unlinkat rmdir truncate ftruncate symlink
	symlinkat link linkat mkdir mkdirat utimensat memfd_create"

audit_rules() {
	local p
	echo "-D"
	echo "-b 8192"
	echo "-f 1"
	for p in $watched_reads; do
		[ -d "$(dirname "$p")" ] && echo "-w $p -p r -k vigil-bench"
	done
	for p in $watched_writes; do
		[ -d "$(dirname "$p")" ] && echo "-w $p -p wa -k vigil-bench"
	done
	# shellcheck disable=SC2086 # one -S per syscall
	echo "-a always,exit -F arch=b64 $(printf -- '-S %s ' $audit_syscalls)-k vigil-bench"
	echo "-e 1"
}

start_auditd() {
	if [ $audit_saved = 0 ]; then
		auditctl -l >"$tmp/audit.prev" 2>&1 || return 1
		auditctl -s | awk '$1 == "enabled" { print $2 }' >"$tmp/audit.enabled"
		audit_saved=1
	fi
	mkdir -p "$tmp/audit"
	sed -e "s|^log_file = .*|log_file = $tmp/audit/audit.log|" \
		-e "s|^log_group = .*|log_group = root|" /etc/audit/auditd.conf \
		>"$tmp/audit/auditd.conf"
	auditd_pid=""
	# the host's auditd, when it runs, keeps running; we only add rules
	if ! pgrep -x auditd >/dev/null; then
		auditd -n -s nochange -c "$tmp/audit" >"$tmp/audit/out" 2>&1 &
		auditd_pid=$!
		started="$started $auditd_pid"
		sleep 1
		kill -0 "$auditd_pid" 2>/dev/null || {
			log "auditd did not start: $(cat "$tmp/audit/out")"
			return 1
		}
	fi
	audit_rules >"$tmp/audit.rules"
	auditctl -R "$tmp/audit.rules" >/dev/null || return 1
}

restore_audit() {
	[ $audit_saved = 1 ] || return 0
	auditctl -D >/dev/null 2>&1
	grep -qx 'No rules' "$tmp/audit.prev" || auditctl -R "$tmp/audit.prev" >/dev/null
	auditctl -e "$(cat "$tmp/audit.enabled")" >/dev/null
}

stop_auditd() {
	restore_audit
	stop_pid "$auditd_pid"
	rm -rf "$tmp/audit"
}

# Exact paths by a map lookup, directories by prefix: few string comparisons, as a user would
# write it (one comparison per path makes a program this kernel's verifier refuses).
bpftrace_script() {
	local p files="" dirs="" sys
	for p in $watched_reads $watched_writes; do
		if [ -d "$p" ]; then
			[ -n "$dirs" ] && dirs="$dirs || "
			dirs="${dirs}strncmp(\$f, \"$p/\", $((${#p} + 1))) == 0"
		else
			files="$files @watched[\"$p\"] = 1;"
		fi
	done
	sys=$(for s in $audit_syscalls; do
		[ -e "/sys/kernel/tracing/events/syscalls/sys_enter_$s" ] &&
			printf 'tracepoint:syscalls:sys_enter_%s,\n' "$s"
	done | sed '$ s/,$//')
	cat <<EOF
BEGIN {$files printf("ready\n"); }
tracepoint:sched:sched_process_exec { printf("exec %d %s\n", pid, str(args->filename)); }
tracepoint:sched:sched_process_fork { printf("fork %d %d\n", args->parent_pid, args->child_pid); }
tracepoint:sched:sched_process_exit { printf("exit %d\n", pid); }
tracepoint:syscalls:sys_enter_openat {
	\$f = str(args->filename);
	if (@watched[\$f] || ${dirs:-0}) { printf("open %d %s %s\n", pid, comm, \$f); }
}
$sys { printf("%s %d %s\n", probe, pid, comm); }
EOF
}

start_bpftrace() {
	bpftrace_script >"$tmp/bench.bt"
	bpftrace "$tmp/bench.bt" >"$tmp/bpftrace.out" 2>&1 &
	bpftrace_pid=$!
	started="$started $bpftrace_pid"
	wait_for '^ready' "$tmp/bpftrace.out" 60 || {
		log "bpftrace did not start: $(head -c 2000 "$tmp/bpftrace.out")"
		return 1
	}
}

every_event_type() {
	./vigil run --help | awk '/^Event types:/ { on = 1; $1 = $2 = "" } on' |
		tr -s ' \n' ',' | sed 's/^,*//; s/,*$//'
}

setup() {
	case $1 in
	none) ;;
	vigil) start_vigil ;;
	vigil+1000) start_vigil --policy "$tmp/gen1000.yaml" ;;
	vigil-all)
		start_vigil --events "$(every_event_type)" --metrics "127.0.0.1:$(free_port)" \
			--histograms runq,syscall
		;;
	auditd) start_auditd ;;
	bpftrace) start_bpftrace ;;
	esac
}

teardown() {
	case $1 in
	vigil*) stop_vigil ;;
	auditd) stop_auditd ;;
	bpftrace) stop_pid "$bpftrace_pid" ;;
	esac
}

### the workloads; each records "metric value" lines for the round

record() { echo "$round $2" >>"$res/$1.$cond"; }

# The 35 objects of src/policy and src/events, rebuilt with make -j2 into a build directory of
# their own (the skeletons they depend on copied from build/, up to date).
build_targets=$(for f in src/policy/*.c src/events/*.c; do echo "$tmp/build/${f%.c}.o"; done)

prepare_build() {
	mkdir -p "$tmp/build"
	cp -a build/vmlinux.h build/bpf build/skel "$tmp/build/" || return 1
	# shellcheck disable=SC2086
	make -s -j2 BUILD="$tmp/build" $build_targets >/dev/null 2>&1 # warm the page cache
}

run_build() {
	local t0 t1
	rm -rf "$tmp/build/src"
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	make -s -j2 BUILD="$tmp/build" $build_targets >"$tmp/build.log" 2>&1 || {
		log "build failed ($cond): $(tail -3 "$tmp/build.log")"
		return
	}
	t1=$(date +%s.%N)
	record build "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

start_servers() {
	redis_port=$(free_port)
	redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$tmp" --logfile "$tmp/redis.log" --daemonize no &
	redis_pid=$!
	started="$started $redis_pid"
	nginx_port=$(free_port)
	sed "s|@PORT@|$nginx_port|; s|@TMP@|$tmp|g" >"$tmp/nginx.conf" <<'EOF'
worker_processes 1;
pid @TMP@/nginx/nginx.pid;
error_log @TMP@/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log @TMP@/nginx/access.log;
	client_body_temp_path @TMP@/nginx/body;
	proxy_temp_path @TMP@/nginx/proxy;
	fastcgi_temp_path @TMP@/nginx/fastcgi;
	uwsgi_temp_path @TMP@/nginx/uwsgi;
	scgi_temp_path @TMP@/nginx/scgi;
	server {
		listen 127.0.0.1:@PORT@;
		root @TMP@/www;
	}
}
EOF
	mkdir -p "$tmp/nginx"
	nginx -c "$tmp/nginx.conf" -p "$tmp/nginx" -e "$tmp/nginx/error.log" -g 'daemon off;' &
	nginx_pid=$!
	started="$started $nginx_pid"
	for _ in $(seq 100); do
		[ -n "$(ss -Hltn "sport = :$redis_port")" ] &&
			[ -n "$(ss -Hltn "sport = :$nginx_port")" ] && return 0
		sleep 0.1
	done
	log "redis or nginx did not start ($cond)"
	return 1
}

stop_servers() {
	stop_pid "$redis_pid"
	stop_pid "$nginx_pid"
	rm -rf "$tmp/nginx" "$tmp/redis.log"
}

run_redis() {
	local pipe out
	for pipe in 1 16; do
		out=$(redis-benchmark -h 127.0.0.1 -p "$redis_port" -t set,get --csv -c 50 \
			-n $((pipe == 1 ? redis_n : redis_np)) -P $pipe 2>/dev/null)
		# "SET","41322.31",... -> redis_set_p1 41322.31
		echo "$out" | awk -F'"' -v p="$pipe" '$2 == "SET" || $2 == "GET" {
			print "redis_" tolower($2) "_p" p, $4 }' | while read -r m v; do
			record "$m" "$v"
		done
	done
}

# wrk prints latency as 812.00us, 2.51ms or 1.02s
run_nginx() {
	local out
	out=$(wrk -t1 -c32 -d"${wrk_seconds}s" --latency "http://127.0.0.1:$nginx_port/file.bin")
	record nginx_rps "$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')"
	record nginx_p99 "$(echo "$out" | awk '$1 == "99%" {
		v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
		print v * (u == "us" ? 0.001 : u == "s" ? 1000 : 1) }')"
}

# What a CI job or an admin's script does: many short processes, small file reads and writes,
# an archive, and a package installed with dpkg and removed.
churn_script() {
	cat <<'EOF'
set -e
dir=$1
for i in $(seq "$2"); do
	mkdir -p "$dir/w/$i"
	echo "line $i of the churn" >"$dir/w/$i/a"
	sed 's/churn/CHURN/' "$dir/w/$i/a" >"$dir/w/$i/b"
	grep -q CHURN "$dir/w/$i/b"
	cat "$dir/w/$i/a" "$dir/w/$i/b" | sort | uniq | wc -l >"$dir/w/$i/c"
	cp "$dir/w/$i/c" "$dir/w/$i/d"
	mv "$dir/w/$i/d" "$dir/w/$i/e"
	chmod 600 "$dir/w/$i/e"
	ln -s "$dir/w/$i/e" "$dir/w/$i/f"
	stat -c %s "$dir/w/$i/e" >/dev/null
	id -u >/dev/null
	date +%s >/dev/null
	test -f /etc/os-release && head -1 /etc/os-release >/dev/null
done
tar -C "$dir" -czf "$dir/w.tgz" w
rm -rf "$dir/w"
tar -C "$dir" -xzf "$dir/w.tgz"
find "$dir/w" -type f | xargs cat | md5sum >/dev/null
rm -rf "$dir/w" "$dir/w.tgz"
dpkg -i "$3" >/dev/null
dpkg -P "$4" >/dev/null
EOF
}

prepare_churn() {
	local p=$tmp/pkg
	mkdir -p "$p/DEBIAN" "$p/usr/share/$churn_pkg"
	seq 1000 >"$p/usr/share/$churn_pkg/numbers"
	cat >"$p/DEBIAN/control" <<EOF
Package: $churn_pkg
Version: 1.0
Architecture: all
Maintainer: vigil workload benchmark <root@localhost>
Description: installed and removed by vigil's workload benchmark
EOF
	dpkg-deb --root-owner-group -b "$p" "$tmp/churn.deb" >/dev/null || return 1
	churn_script >"$tmp/churn.sh"
	mkdir -p "$tmp/churn"
}

run_churn() {
	local t0 t1
	t0=$(date +%s.%N)
	if ! sh "$tmp/churn.sh" "$tmp/churn" "$churn_loops" "$tmp/churn.deb" "$churn_pkg" \
		>"$tmp/churn.log" 2>&1; then
		# dpkg's lock held by another install, most likely: this round has no figure
		log "churn failed ($cond): $(tail -2 "$tmp/churn.log")"
		dpkg -P "$churn_pkg" >/dev/null 2>&1
		rm -rf "$tmp/churn/w" "$tmp/churn/w.tgz"
		return
	fi
	t1=$(date +%s.%N)
	record churn "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

cleanup() {
	local pid
	for pid in $started; do
		stop_pid "$pid"
	done
	vigil_env ./vigil unload --force >/dev/null 2>&1
	restore_audit
	dpkg-query -W "$churn_pkg" >/dev/null 2>&1 && dpkg -P "$churn_pkg" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

### the run

for tool in redis-server redis-benchmark nginx wrk auditctl bpftrace dpkg-deb; do
	command -v $tool >/dev/null || {
		log "$tool is missing: run make deps"
		exit 1
	}
done
if [ ! -x ./vigil ] || [ ! -d build/skel ]; then
	log "build vigil first (make vigil)"
	exit 1
fi
mkdir -p "$tmp/www"
head -c 4096 /dev/urandom >"$tmp/www/file.bin"
chmod 644 "$tmp/www/file.bin"
CREATE=1 scripts/gen-policy.sh 1000 "$tmp/gen" >"$tmp/gen1000.yaml"
prepare_build || {
	log "cannot prepare the build workload"
	exit 1
}
prepare_churn || exit 1

echo "real workloads: $rounds round(s), conditions interleaved; loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
skip=""
for round in $(seq "$rounds"); do
	for cond in $conditions; do
		case " $skip " in *" $cond "*) continue ;; esac
		if ! setup "$cond"; then
			log "$cond unavailable, left out"
			teardown "$cond"
			skip="$skip $cond"
			continue
		fi
		if start_servers; then
			run_redis
			run_nginx
		fi
		stop_servers
		run_build
		run_churn
		teardown "$cond"
	done
done

### the summary

# medians of the rounds; and of each round's cost relative to the same round's "none"
# (added time per unit of work: t/t0 - 1 for times, r0/r - 1 for rates), which the machine's
# drift over a run moves far less than either figure
metrics="build redis_set_p1 redis_get_p1 redis_set_p16 redis_get_p16 nginx_rps nginx_p99 churn"
label() {
	case $1 in
	build) echo "build: make -j2, 35 objects (s)" ;;
	redis_set_p1) echo "redis SET (req/s)" ;;
	redis_get_p1) echo "redis GET (req/s)" ;;
	redis_set_p16) echo "redis SET, 16 pipelined (req/s)" ;;
	redis_get_p16) echo "redis GET, 16 pipelined (req/s)" ;;
	nginx_rps) echo "nginx 4 KiB file, wrk (req/s)" ;;
	nginx_p99) echo "nginx p99 latency (ms)" ;;
	churn) echo "churn: $churn_loops loops + dpkg (s)" ;;
	esac
}
is_rate() { case $1 in redis_* | nginx_rps) return 0 ;; esac; return 1; }

med() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (NR) print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# cost METRIC COND: the median relative cost in %, empty when unmeasured
cost() {
	local f0=$res/$1.none f=$res/$1.$2 rate=0
	[ -s "$f0" ] && [ -s "$f" ] || return
	is_rate "$1" && rate=1
	awk -v rate=$rate 'NR == FNR { base[$1] = $2; next }
		($1 in base) && $2 > 0 && base[$1] > 0 {
			print 100 * ((rate ? base[$1] / $2 : $2 / base[$1]) - 1) }' "$f0" "$f" | med
}

# noise METRIC: half the spread of "none"'s rounds, in % of its median
noise() {
	[ -s "$res/$1.none" ] || return
	awk '{ print $2 }' "$res/$1.none" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR > 1) print 100 * (v[NR] - v[1]) / 2 / v[int((NR + 1) / 2)] }'
}

ran=""
for c in $conditions; do
	case " $skip " in *" $c "*) ;; *) ran="$ran $c" ;; esac
done
printf '\n  medians                          '
for c in $ran; do printf '%11s' "$c"; done
echo
for m in $metrics; do
	printf '  %-33s' "$(label "$m")"
	for c in $ran; do
		v=$( [ -s "$res/$m.$c" ] && awk '{ print $2 }' "$res/$m.$c" | med)
		printf '%11s' "$(awk -v v="$v" 'BEGIN {
			if (v == "") print "-"; else if (v >= 100) printf "%.0f", v; else printf "%.2f", v
		}')"
	done
	echo
done
printf '\n  added cost vs none (%%)           '
for c in $ran; do [ "$c" = none ] || printf '%11s' "$c"; done
printf '%13s\n' "none's noise"
for m in $metrics; do
	printf '  %-33s' "$(label "$m")"
	for c in $ran; do
		[ "$c" = none ] && continue
		v=$(cost "$m" "$c")
		printf '%11s' "$( [ -n "$v" ] && printf '%+.1f' "$v" || echo -)"
	done
	v=$(noise "$m")
	printf '%13s\n' "$( [ -n "$v" ] && printf '%.1f' "$v" || echo -)"
done
if [ -s "$tmp/vigil.summary" ]; then
	echo "  vigil's own summaries (events seen and lost, per run):"
	cat "$tmp/vigil.summary"
fi

# the goals of issue 26
echo
in_ran() { case " $ran " in *" $1 "*) return 0 ;; esac; return 1; }
if in_ran vigil; then
	worst=""
	line=""
	for m in build redis_set_p1 redis_get_p1 redis_set_p16 redis_get_p16 nginx_rps; do
		v=$(cost "$m" vigil)
		[ -n "$v" ] || continue
		line="$line $m $(printf '%+.1f%%' "$v")"
		worst=$(printf '%s\n%s\n' "$worst" "$v" | sort -g | tail -1)
	done
	printf '  goal: vigil defaults add < 2%% on the build and the servers (Falco: 13%% on redis):'
	printf ' worst %+.1f%%: %s\n' "${worst:-0}" \
		"$(awk -v w="${worst:-99}" 'BEGIN { print w < 2 ? "met" : "NOT met" }')"
	echo "   ${line# }"
fi
if in_ran vigil && in_ran auditd; then
	echo "  goal: vigil's added cost at most a third of auditd's (vigil / auditd, <= 0.33):"
	for m in $metrics; do
		v=$(cost "$m" vigil)
		a=$(cost "$m" auditd)
		{ [ -n "$v" ] && [ -n "$a" ]; } || continue
		printf '    %-33s %s\n' "$(label "$m")" "$(awk -v v="$v" -v a="$a" 'BEGIN {
			if (a <= 0.5) printf "vigil %+.1f%%, auditd %+.1f%%: auditd added nothing measurable", v, a
			else if (v <= 0) printf "vigil %+.1f%%, auditd %+.1f%% (met)", v, a
			else printf "%.2f: vigil %+.1f%%, auditd %+.1f%% (%s)", v / a, v, a, v / a <= 0.33 ? "met" : "NOT met" }')"
	done
fi
if in_ran vigil && in_ran vigil+1000; then
	echo "  goal: 1,000 more rules within noise of the defaults (|difference| <= none's noise):"
	for m in $metrics; do
		v=$(cost "$m" vigil)
		k=$(cost "$m" vigil+1000)
		n=$(noise "$m")
		{ [ -n "$v" ] && [ -n "$k" ]; } || continue
		printf '    %-33s %s\n' "$(label "$m")" "$(awk -v v="$v" -v k="$k" -v n="$n" 'BEGIN {
			d = k - v
			if (n == "") printf "%+.1f%% (one round: no noise figure)", d
			else printf "%+.1f%%, noise %.1f%% (%s)", d, n, (d < 0 ? -d : d) <= n ? "met" : "NOT met" }')"
	done
fi
echo "  (took ${SECONDS} s; machine load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
