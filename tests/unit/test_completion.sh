#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# packaging/bash-completion/vigil in bash with bash-completion, as TAB would call it: each case
# sets COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT, calls _vigil and checks COMPREPLY. Runs the
# real vigil ($VIGIL_BIN, else ./vigil) for its help. Prints "name: PASS|FAIL|SKIP" per case and
# "N passed, N failed, N skipped" like the C test binaries; no root needed.
set -u
bin=${VIGIL_BIN:-./vigil}
passed=0 failed=0 skipped=0

if [[ ! -r /usr/share/bash-completion/bash_completion ]]; then
	echo "completion: SKIP (bash-completion is not installed; make deps installs it)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
# shellcheck disable=SC1091
source /usr/share/bash-completion/bash_completion
# shellcheck disable=SC1091
source packaging/bash-completion/vigil

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/sub"
touch "$tmp/a.yaml" "$tmp/b.yml" "$tmp/notes.txt"

# complete WORD... : COMPREPLY for the command line of these words, the last one being completed.
complete_words()
{
	COMP_WORDS=("$bin" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_LINE=${COMP_LINE// = /=} # readline makes "=" a word of its own
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_vigil "$bin" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

result()
{
	if [[ $2 == ok ]]; then
		echo "$1: PASS"
		passed=$((passed + 1))
	else
		echo "$1: FAIL ($2)"
		failed=$((failed + 1))
	fi
}

# expect NAME "SORTED WORDS" WORD... : the completions are exactly these.
expect()
{
	local name=$1 want=$2 got
	shift 2
	got=$(complete_words "$@")
	if [[ $got == "$want" ]]; then
		result "$name" ok
	else
		result "$name" "'$*<TAB>' gave '$got', want '$want'"
	fi
}

# expect_has NAME "WORDS" WORD... : the completions include each of these words.
expect_has()
{
	local name=$1 want=$2 got w
	shift 2
	got=" $(complete_words "$@") "
	for w in $want; do
		if [[ $got != *" $w "* ]]; then
			result "$name" "'$*<TAB>' gave '$got', without '$w'"
			return
		fi
	done
	result "$name" ok
}

expect command_prefix "trace" tr
expect_has every_command "run trace sandbox policy config status reopen stop probe shield unload latency top profile collect baseline version help" ""
expect help_takes_a_command "shield" help sh
expect long_option_prefix "--format" run --for
expect option_of_its_command_only "--duration" trace --dur
expect option_of_another_command "" run --dur
expect_has short_and_long_options "-e --events --policy --no-guard --ring-buffer" run -
expect format_values "auto json text" run --format ""
expect format_value_after_equals "json" run --format = j
expect color_values "always auto never" trace --color ""
expect access_values "read read,write write" trace -a ""
expect sink_schemes "syslog+tcp:// syslog+tls:// syslog+udp:// syslog:" run --sink sys
expect event_type "exec" trace -e exe
expect event_types_by_prefix "exec exit" trace -e ex
expect event_type_list "exec,fork" trace --events exec,fo
expect_has event_types_all "exec open connect dns module_load proc_mem_write shell tls" run -e ""
expect output_file "$tmp/a.yaml $tmp/b.yml $tmp/notes.txt $tmp/sub" run -o "$tmp/"
expect policy_file "$tmp/a.yaml $tmp/b.yml $tmp/sub" run --policy "$tmp/"
expect metrics_address_is_no_option "" run --metrics -
expect option_after_metrics_address "--bpf-stats" run --metrics 127.0.0.1:9464 --bpf
expect policy_actions "apply check explain list remove" policy ""
expect policy_check_files "$tmp/a.yaml $tmp/b.yml $tmp/sub" policy check "$tmp/"
expect policy_options "--builtin" policy list --b
expect shield_actions "top" shield t
expect shield_health_action "health" shield he
expect_has shield_health_interface "lo" shield health ""
expect config_actions "check show" config ""
expect baseline_actions "check diff export learn mode show" baseline ""
expect_has baseline_options "--exe --cgroup --unit --quiet-period --fold --network" baseline learn -
expect status_policy_is_no_pid "" status -p ""
expect status_rule_is_no_file "" status -r "$tmp/"
expect_has shield_interface "lo" shield attach ""
expect shield_one_interface "" shield detach lo ""
expect shield_mode "auto generic native tc" shield attach lo --mode ""
expect shield_rules_file "$tmp/a.yaml $tmp/b.yml $tmp/sub" shield reload lo --rules "$tmp/"
# _command_offset calls compopt, which complains outside a real TAB.
expect_has sandbox_command "echo" sandbox --policy "$tmp/a.yaml" -- ech 2>/dev/null
expect no_actions_for_status "" status ""
expect latency_targets "block irq offcpu oom runq syscall tcp uprobe:" latency ""
expect latency_uprobe_target "uprobe:" latency up
expect_has probe_options "--usdt --json --verbose" probe --
expect latency_groupings_of_target "--per-cgroup --per-cpu --per-pid" latency runq ""
expect latency_units "ms ns us" latency syscall --unit ""
expect_has latency_options "--duration --interval --per-disk --top --json" latency --
expect_has top_options "--batch --json --iterations --interval --pid --cgroup --per-cgroup --tree --sort --filter --rows" top --
expect run_histograms "block irq offcpu runq syscall tcp" run --histograms ""
expect top_sort_columns "blklat cpu errors name offcpu pid read retrans runq rx syscalls tx write" top --sort ""
expect profile_formats "folded svg text" profile --format ""
expect_has profile_options "--duration --hz --off-cpu --kernel-only --user-only --stack-size" profile --
expect profile_output_file "$tmp/a.yaml $tmp/b.yml $tmp/notes.txt $tmp/sub" profile -o "$tmp/"
expect collect_severity_list "high,critical" collect --severity high,cr
expect_has collect_options "--host --follow --since" collect --

ids=" $(_vigil_rule_ids "$bin" | tr '\n' ' ') "
if [[ $ids == *" shadow-file-read "* && $ids != *RULE* && $ids != *" 88 "* ]]; then
	result rule_ids_from_policy_list ok
else
	result rule_ids_from_policy_list "got '$ids'"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
