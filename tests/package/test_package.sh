#!/bin/bash
# The install and the Debian package: make install / uninstall into a staging directory leave
# nothing behind, make deb builds a package with the binary, the unit and the conffiles, lintian
# finds no error in it, and systemd-analyze accepts the unit. Run from the repository root;
# no root needed. Prints "name: PASS|FAIL|SKIP (why)" and "N passed, N failed, N skipped".
set -u
make=${MAKE:-make}
passed=0 failed=0 skipped=0
tmp=$(mktemp -d /tmp/vigil-package-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# check CONDITION-COMMAND... : one assertion of the current test; says what failed
fails=0
check() {
	local what=$1
	shift
	if ! "$@"; then
		echo "  $what: failed ($*)"
		fails=$((fails + 1))
	fi
}

end_test() {
	if [ "$fails" -eq 0 ]; then
		echo "$1: PASS"
		passed=$((passed + 1))
	else
		echo "$1: FAIL"
		failed=$((failed + 1))
	fi
	fails=0
}

skip_test() {
	echo "$1: SKIP ($2)"
	skipped=$((skipped + 1))
}

# the files packaging/ holds today, as make install puts them under a root
optional_files() {
	[ -f packaging/vigil.yaml ] && echo etc/vigil/vigil.yaml
	[ -f packaging/bash-completion/vigil ] && echo usr/share/bash-completion/completions/vigil
	[ -f packaging/logrotate/vigil ] && echo etc/logrotate.d/vigil
	for m in packaging/man/*.5 packaging/man/*.8; do
		[ -f "$m" ] && echo "usr/share/man/man${m##*.}/${m##*/}"
	done
	return 0
}

test_install_uninstall() {
	local root=$tmp/root left
	$make -s install DESTDIR="$root" >"$tmp/install.log" 2>&1
	check "make install exits 0" test $? -eq 0
	check "the binary" test -x "$root/usr/sbin/vigil"
	check "the unit" test -f "$root/lib/systemd/system/vigil.service"
	check "the unit runs /usr/sbin/vigil" grep -q '^ExecStart=/usr/sbin/vigil run' \
		"$root/lib/systemd/system/vigil.service"
	check "the policies directory" test -d "$root/etc/vigil/policies.d"
	check "/var/lib/vigil is 0700" test "$(stat -c %a "$root/var/lib/vigil" 2>/dev/null)" = 700
	for f in $(optional_files); do
		check "$f" test -f "$root/$f"
	done
	$make -s uninstall DESTDIR="$root" >"$tmp/uninstall.log" 2>&1
	check "make uninstall exits 0" test $? -eq 0
	left=$(find "$root" \( -type f -o -type l -o -name '*vigil*' \) -print)
	check "nothing left after uninstall: $left" test -z "$left"
	end_test install_and_uninstall_leave_nothing
}

deb=
test_deb_contents() {
	local list ctl=$tmp/control f
	if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
		skip_test deb_holds_the_binary_unit_and_conffiles "no dpkg-buildpackage or debhelper"
		return
	fi
	if ! $make -s deb >"$tmp/deb.log" 2>&1; then
		tail -n 20 "$tmp/deb.log"
		check "make deb exits 0" false
		end_test deb_holds_the_binary_unit_and_conffiles
		return
	fi
	for deb in build/deb/vigil_*_amd64.deb; do
		break
	done
	echo "  $deb"
	check "a valid Debian version" dpkg --validate-version "$(dpkg-deb -f "$deb" Version)"
	list=$(dpkg-deb -c "$deb" | awk '{print $6}')
	for f in ./usr/sbin/vigil ./lib/systemd/system/vigil.service ./etc/vigil/policies.d/ \
		./var/lib/vigil/ ./usr/share/doc/vigil/copyright; do
		check "dpkg -c lists $f" grep -qxF "$f" <<<"$list"
	done
	for f in $(optional_files); do
		case $f in
		usr/share/man/*) f=$f.gz ;;
		esac
		check "dpkg -c lists ./$f" grep -qxF "./$f" <<<"$list"
	done
	dpkg-deb -e "$deb" "$ctl"
	for f in $(optional_files); do
		case $f in
		etc/*) check "/$f is a conffile" grep -qxF "/$f" "$ctl/conffiles" ;;
		esac
	done
	check "postinst enables the service" grep -q "deb-systemd-helper enable 'vigil.service'" \
		"$ctl/postinst"
	check "postinst starts it (restarts on upgrade)" grep -q "_dh_action=start" "$ctl/postinst"
	check "through deb-systemd-invoke" \
		grep -qF "deb-systemd-invoke \$_dh_action 'vigil.service'" "$ctl/postinst"
	# the service stops before the pins are unloaded: a running agent would pin again
	check "prerm stops the service, then unloads" awk '/deb-systemd-invoke stop/ { s = NR }
		/vigil unload --force/ { u = NR } END { exit !(s && u && s < u) }' "$ctl/prerm"
	check "postrm purges /etc/vigil, /var/lib/vigil, /var/log/vigil, /run/vigil" \
		grep -q 'rm -rf .*/etc/vigil /var/lib/vigil /var/log/vigil /run/vigil' "$ctl/postrm"
	for s in prerm postrm postinst; do
		check "$s parses" sh -n "$ctl/$s"
	done
	end_test deb_holds_the_binary_unit_and_conffiles
}

test_lintian() {
	local out
	if [ -z "$deb" ]; then
		skip_test lintian_finds_no_errors "no package was built"
		return
	fi
	if ! command -v lintian >/dev/null; then
		skip_test lintian_finds_no_errors "no lintian"
		return
	fi
	out=$(lintian "$deb" 2>&1)
	grep -E '^[EWI]:' <<<"$out" | sed 's/^/  /'
	check "no E: lines" test -z "$(grep '^E:' <<<"$out")"
	end_test lintian_finds_no_errors
}

test_unit_verifies() {
	local unit=$tmp/vigil.service out
	if ! command -v systemd-analyze >/dev/null; then
		skip_test the_unit_verifies "no systemd-analyze"
		return
	fi
	# the binary where it is here; man pages are checked against this host's, not ours
	sed "s|/usr/sbin/vigil|$PWD/vigil|" packaging/systemd/vigil.service >"$unit"
	out=$(systemd-analyze verify "$unit" 2>&1 | grep -v "Command 'man vigil")
	[ -n "$out" ] && echo "  ${out//$'\n'/$'\n'  }"
	check "systemd-analyze verify says nothing else" test -z "$out"
	end_test the_unit_verifies
}

test_install_uninstall
test_deb_contents
test_lintian
test_unit_verifies
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
