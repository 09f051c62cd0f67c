#!/bin/bash
# The booted-Debian VM suite's tests (run by debian-vmtest.sh, systemd as pid 1): vigil's .deb
# installed with apt, the service's readiness, an alert in the journal, a reload, a SIGKILL
# during which a denied connect never gets through, stop and purge. Each check prints
# "name: PASS|FAIL|SKIP (why)"; the last line is "N passed, N failed, N skipped". The checks
# run in order, each on the state the previous ones left.
# Usage: debian-tests.sh VIGIL_DEB
set -u
deb=${1:?usage: debian-tests.sh VIGIL_DEB}
export SYSTEMD_PAGER='' SYSTEMD_COLORS=0 DEBIAN_FRONTEND=noninteractive
policies=/etc/vigil/policies.d
port=8765
passed=0 failed=0 skipped=0
work=$(mktemp -d)
listener=

last=$SECONDS
# result STATUS NAME [WHY]: one line, with how long since the previous result (where the time goes)
result() {
	local why="${*:3}"
	echo "$2: $1 (${why:+$why; }$((SECONDS - last)) s)"
	last=$SECONDS
}
pass() { result PASS "$@"; passed=$((passed + 1)); }
# a failure shows the end of the service's journal too
fail() {
	result FAIL "$@"
	failed=$((failed + 1))
	journalctl -b -u vigil.service -o short-monotonic -n 15 | sed 's/^/  | /'
}
skip() { result SKIP "$@"; skipped=$((skipped + 1)); }

# wait_until SECONDS CMD...: succeeds as soon as CMD does, fails after SECONDS
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.5
	done
}

prop() { systemctl show -p "$1" --value vigil.service; }
active() { [ "$(prop ActiveState)/$(prop SubState)" = active/running ]; }
restarted_since() { [ "$(prop NRestarts)" -gt "$1" ]; }
# the agent with this pid said it watches (its sensors are attached)
watching() { journalctl -b _PID="$1" -o cat | grep -q 'watching .* events'; }
# The agent's events: its journal (stdout) and the files under /var/log/vigil (the package's
# unit writes them there), as "journal <json>" and "file <json>" lines.
events() {
	journalctl -b -u vigil.service -o cat | sed -n 's/^{/journal {/p'
	cat /var/log/vigil/* 2>/dev/null | sed -n 's/^{/file {/p'
}
# event_logged RULE PID [journal]: there is an event of the rule by the process (in the journal)
event_logged() {
	events | python3 -c '
import json, sys
rule, pid, where = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
for line in sys.stdin:
    src, _, msg = line.partition(" ")
    if where and src not in where:
        continue
    ev = json.loads(msg)
    if (ev.get("rule") or {}).get("id") == rule and (ev.get("process") or {}).get("pid") == pid:
        sys.exit(0)
sys.exit(1)' "$@"
}
# how long the agent of this pid took from its exec to its "watching" line
startup_s() {
	journalctl -b _PID="$1" -o json | python3 -c '
import json, sys
start = int(sys.argv[1])
for line in sys.stdin:
    e = json.loads(line)
    if "watching" in str(e.get("MESSAGE")):
        print("%.1f" % ((int(e["__MONOTONIC_TIMESTAMP"]) - start) / 1e6))
        break' "$(prop ExecMainStartTimestampMonotonic)"
}
# the unit runs the agent with --keep-enforcement: a stop leaves the enforcement pinned
keeps_enforcement() { prop ExecStart | grep -q -- --keep-enforcement; }
# connect to the listener: 0 connected, 1 refused by vigil (EPERM), 2 anything else
try_connect() {
	python3 -c '
import errno, socket, sys
s = socket.socket()
s.settimeout(5)
r = s.connect_ex(("127.0.0.1", int(sys.argv[1])))
sys.exit(0 if r == 0 else 1 if r == errno.EPERM else 2)' "$port"
}
# connect to the listener, print the pid that did it (for event_logged)
connect_pid() {
	python3 -c '
import os, socket, sys
print(os.getpid(), flush=True)
socket.socket().connect_ex(("127.0.0.1", int(sys.argv[1])))' "$port"
}
status_has() { vigil status --all 2>/dev/null | grep -Eq "$1"; }

cleanup() {
	[ -n "$listener" ] && kill "$listener" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# --- install
check_install() {
	if ! timeout 600 apt-get install -y "$deb" >"$work/apt.log" 2>&1; then
		fail install "apt-get install exited non-zero: $(tail -n 3 "$work/apt.log" | tr '\n' ' ')"
		return 1
	fi
	if ! dpkg-query -W -f='${Status}' vigil | grep -q 'install ok installed'; then
		fail install "dpkg does not have vigil installed"
		return 1
	fi
	dpkg -L vigil >"$work/files"
	pass install "$(basename "$deb") with apt-get, offline; $(wc -l <"$work/files") paths"
}

# --- the unit is active only once the agent is ready: an event at that very moment is caught
check_ready() {
	local type pid
	type=$(prop Type)
	# The package may have started it already (debhelper does): then restart it, so that the
	# event below comes right after systemctl returned.
	if active; then
		timeout 300 systemctl restart vigil.service
	else
		timeout 300 systemctl start vigil.service
	fi
	if [ "$type" != notify ]; then
		wait_until 300 watching "$(prop MainPID)"
		skip ready "the unit is Type=$type, not notify: active says nothing of readiness;" \
			"watching $(startup_s "$(prop MainPID)") s after its exec"
		return 0
	fi
	if ! active; then
		fail ready "ActiveState/SubState $(prop ActiveState)/$(prop SubState) after start"
		return 1
	fi
	setpriv --reuid=65534 --regid=65534 --clear-groups cat /etc/shadow >/dev/null 2>&1 &
	pid=$!
	wait "$pid"
	if ! wait_until 30 event_logged shadow-file-read "$pid"; then
		fail ready "a read of /etc/shadow right after systemctl returned was not seen"
		return 1
	fi
	pass ready "Type=notify, active $((($(prop ActiveEnterTimestampMonotonic) -
		$(prop ExecMainStartTimestampMonotonic)) / 1000000)) s after its exec; a read of" \
		"/etc/shadow at that moment was seen"
}

# --- an alert reaches the journal
check_alert() {
	local pid
	setpriv --reuid=65534 --regid=65534 --clear-groups cat /etc/shadow >/dev/null 2>&1 &
	pid=$!
	wait "$pid"
	# the event as JSON on the agent's stdout, or (its events in a file) its alert line
	if ! wait_until 30 sh -c "journalctl -b -u vigil.service -o cat |
		grep -q 'vigil: alert: \\[.* shadow-file-read\\] .* pid=$pid '" &&
		! event_logged shadow-file-read "$pid" journal; then
		if event_logged shadow-file-read "$pid"; then
			fail alert_in_journal "the shadow-file-read event of pid $pid is in" \
				"/var/log/vigil/, not in the journal"
		else
			fail alert_in_journal "no shadow-file-read event of pid $pid in 30 s"
		fi
		return 1
	fi
	pass alert_in_journal "shadow-file-read of 'cat /etc/shadow' as nobody (pid $pid)"
}

# --- systemctl reload applies a changed policy: an audit rule, then a connect deny
write_policy() { # MODE RULE_ID ACTION
	cat >"$policies/vmtest.yaml.tmp" <<EOF
policy: vmtest
mode: $1
rules:
  - id: $2
    description: connections to the VM test's listener on 127.0.0.1:$port
    severity: high
    on: [connect]
    match:
      net.daddr: 127.0.0.1
      net.dport: $port
    action: $3
EOF
	mv "$policies/vmtest.yaml.tmp" "$policies/vmtest.yaml"
}
reloads() { journalctl -b -u vigil.service -o cat | grep -c 'reloading (SIGHUP)'; }
check_reload() {
	local before pid r
	mkdir -p "$policies"
	python3 -m http.server --bind 127.0.0.1 --directory "$work" "$port" >/dev/null 2>&1 &
	listener=$!
	if ! wait_until 30 sh -c "ss -Htln 'sport = :$port' | grep -q ."; then
		fail reload "the test listener on port $port did not start"
		return 1
	fi
	write_policy audit vmtest-watch alert
	timeout 60 systemctl reload vigil.service
	if ! wait_until 60 status_has 'vmtest-watch'; then
		fail reload "vigil status does not list the first policy's rule after a reload"
		return 1
	fi
	pid=$(connect_pid)
	if ! wait_until 30 event_logged vmtest-watch "$pid"; then
		fail reload "no vmtest-watch event of a connect by pid $pid"
		return 1
	fi
	before=$(reloads)
	write_policy enforce vmtest-deny deny
	if ! timeout 60 systemctl reload vigil.service; then
		fail reload "systemctl reload exited non-zero"
		return 1
	fi
	if ! wait_until 60 status_has '^[0-9]+ +enforce +vmtest-deny '; then
		fail reload "vigil status does not list vmtest-deny in enforce mode: $(vigil status --all 2>&1 |
			grep vmtest)"
		return 1
	fi
	try_connect
	r=$?
	if [ "$r" -ne 1 ]; then
		fail reload "a connect to port $port after the reload: $r (0 connected, 2 other error)"
		return 1
	fi
	pid=$(connect_pid)
	if ! wait_until 30 event_logged vmtest-deny "$pid"; then
		fail reload "no vmtest-deny event of the refused connect by pid $pid"
		return 1
	fi
	if [ "$(reloads)" -le "$before" ]; then
		fail reload "the agent did not log 'reloading (SIGHUP)' for systemctl reload"
		return 1
	fi
	pass reload "the audit rule, then the connect deny in force after systemctl reload (SIGHUP)"
}

# --- kill -9 of the agent: systemd restarts it; the denied connect never gets through
check_restart() {
	local old new restarts ok denied other how
	old=$(prop MainPID)
	restarts=$(prop NRestarts)
	python3 -c '
import errno, os, socket, sys, time
port, stop = int(sys.argv[1]), sys.argv[2]
ok = denied = other = 0
while not os.path.exists(stop):
    s = socket.socket()
    s.settimeout(2)
    r = s.connect_ex(("127.0.0.1", port))
    s.close()
    if r == 0:
        ok += 1
    elif r == errno.EPERM:
        denied += 1
    else:
        other += 1
    time.sleep(0.05)
print(ok, denied, other)' "$port" "$work/stop" >"$work/loop" &
	local loop=$!
	sleep 2
	# A shell's SIGKILL: refused where the agent is tamper-protected; pid 1's always goes through.
	if kill -9 "$old" 2>/dev/null; then
		how="a shell's kill -9 went through: not tamper-protected"
	else
		how="a shell's kill -9 refused, pid 1's went through"
		systemctl kill -s KILL --kill-whom=main vigil.service
	fi
	if ! wait_until 300 restarted_since "$restarts"; then
		touch "$work/stop"
		wait "$loop"
		fail restart "systemd did not restart the agent in 300 s (NRestarts $(prop NRestarts))"
		return 1
	fi
	new=$(prop MainPID)
	wait_until 300 active
	wait_until 300 watching "$new"
	sleep 2
	touch "$work/stop"
	wait "$loop"
	read -r ok denied other <"$work/loop"
	if ! active || [ "$new" = "$old" ]; then
		fail restart "after the restart: $(prop ActiveState)/$(prop SubState), pid $old -> $new"
		return 1
	fi
	if [ "$ok" -ne 0 ] || [ "$other" -ne 0 ] || [ "$denied" -eq 0 ]; then
		fail restart "connects during the restart: $ok through, $denied denied, $other other"
		return 1
	fi
	pass restart "pid $old -> $new ($how); $denied connects tried during the restart, all denied"
}

# --- stop, then purge: nothing of vigil left
check_stop() {
	local r
	if ! timeout 120 systemctl stop vigil.service || [ "$(prop ActiveState)" != inactive ]; then
		fail stop "systemctl stop: $(prop ActiveState)/$(prop SubState)"
		return 1
	fi
	try_connect
	r=$?
	if keeps_enforcement; then
		[ "$r" -eq 1 ] || { fail stop "--keep-enforcement, yet the connect deny is gone"; return 1; }
		pass stop "inactive; its connect deny kept in force (--keep-enforcement)"
	else
		[ "$r" -eq 0 ] || { fail stop "the connect deny outlived systemctl stop"; return 1; }
		pass stop "inactive, its connect deny gone"
	fi
}

# --- the journald sink: an alert as a journal entry with vigil's native fields
check_journald_sink() {
	local pid entry
	cat >"$work/jd.yaml" <<EOF
policy: vmtest-journald
mode: audit
rules:
  - id: vmtest-journald-read
    description: the journald sink's test file was read
    severity: high
    on: open
    action: alert
    match:
      file.path: $work/jd-secret
      file.access: read
EOF
	echo secret >"$work/jd-secret"
	vigil run --no-default-rules --policy-dir "" --policy "$work/jd.yaml" -f json \
		-o "$work/jd.json" --sink journald: 2>"$work/jd.err" &
	pid=$!
	if ! wait_until 120 grep -q 'watching .* events' "$work/jd.err"; then
		fail journald_sink "vigil run --sink journald: did not start: $(tail -n 2 "$work/jd.err")"
		kill "$pid" 2>/dev/null
		return 1
	fi
	cat "$work/jd-secret" >/dev/null
	wait_until 30 sh -c "journalctl -b -o json VIGIL_RULE_ID=vmtest-journald-read | grep -q ."
	entry=$(journalctl -b -o json VIGIL_RULE_ID=vmtest-journald-read | tail -n 1)
	vigil stop >/dev/null 2>&1 || kill "$pid"
	wait "$pid"
	if [ -z "$entry" ]; then
		fail journald_sink "no journal entry with VIGIL_RULE_ID=vmtest-journald-read in 30 s"
		return 1
	fi
	# PRIORITY 3: high; the MESSAGE_ID of open events (src/sinks/message_ids.c)
	if ! printf '%s' "$entry" | python3 -c '
import json, sys
e = json.load(sys.stdin)
want = {"PRIORITY": "3", "SYSLOG_IDENTIFIER": "vigil", "VIGIL_SEVERITY": "high",
	"MESSAGE_ID": "8d5910f909b94ca0bc6e6c81ed961be7", "VIGIL_TYPE": "open"}
bad = [k for k, v in want.items() if e.get(k) != v]
bad += [k for k in ("VIGIL_SEQ", "OBJECT_PID", "VIGIL_PID", "VIGIL_JSON", "MESSAGE") if k not in e]
json.loads(e.get("VIGIL_JSON", "{}"))
sys.exit("wrong or missing: " + " ".join(bad) if bad else 0)'; then
		fail journald_sink "the entry: $entry"
		return 1
	fi
	pass journald_sink "an alert as a journal entry: PRIORITY 3, MESSAGE_ID, VIGIL_RULE_ID," \
		"VIGIL_SEVERITY, VIGIL_SEQ, OBJECT_PID, VIGIL_JSON"
}

check_purge() {
	local left
	rm -f "$policies/vmtest.yaml"
	if ! timeout 300 apt-get purge -y vigil >"$work/apt.log" 2>&1; then
		fail purge "apt-get purge exited non-zero: $(tail -n 3 "$work/apt.log" | tr '\n' ' ')"
		return 1
	fi
	systemctl daemon-reload
	left=$(while read -r f; do
		# shared directories (/usr, /lib/systemd/system) stay; vigil's own must go
		if [ -d "$f" ]; then
			case $f in *vigil*) echo "$f" ;; esac
		elif [ -e "$f" ] || [ -L "$f" ]; then
			echo "$f"
		fi
	done <"$work/files")
	left="$left $(find /sys/fs/bpf/vigil -mindepth 1 2>/dev/null | head -n 5)"
	left="$left $(find /etc/systemd /usr/lib/systemd -name 'vigil.*' -o -name 'vigil@*' 2>/dev/null)"
	[ "$(prop LoadState)" = not-found ] || left="$left unit:$(prop LoadState)"
	pgrep -x vigil >/dev/null && left="$left process:$(pgrep -x vigil)"
	try_connect
	[ $? -eq 1 ] && left="$left connect-deny"
	# shellcheck disable=SC2086,SC2116 # one line, single spaces
	left=$(echo $left)
	if [ -n "$left" ]; then
		fail purge "left behind: $left"
		return 1
	fi
	pass purge "no file of the package, no pin, no unit, no process, no connect deny"
}

if check_install; then
	check_ready
	check_alert
	if check_reload; then
		check_restart
	else
		skip restart "no connect deny in force to test it with"
	fi
	check_stop
	check_journald_sink
	check_purge
else
	for t in ready alert_in_journal reload restart stop journald_sink purge; do
		skip "$t" "vigil is not installed"
	done
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
