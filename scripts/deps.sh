#!/bin/sh
# Install the Debian packages named on the command line, idempotently and non-interactively:
# nothing is fetched when all of them are already installed.
#
# They are tools for tests and benchmarks, which start their own servers on loopback (redis,
# nginx, nats-server, ...): no service of a package installed here is started, and none is left
# enabled, so that a fresh host has no stray server on a port a test uses. Debian's maintainer
# scripts start services through invoke-rc.d / deb-systemd-invoke, which ask
# /usr/sbin/policy-rc.d first (101: not allowed); enabling a systemd unit is undone after.
set -eu
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing; run as root (sudo make deps)" >&2
	exit 1
fi
echo "deps: installing$missing"
policy=/usr/sbin/policy-rc.d
if [ ! -e $policy ]; then
	printf '#!/bin/sh\n# scripts/deps.sh: start no service while it installs\nexit 101\n' \
		>$policy
	chmod 755 $policy
	trap 'rm -f $policy' EXIT INT TERM
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
# Units the packages just installed enabled for the next boot (systemd hosts only).
if [ -d /run/systemd/system ]; then
	for p in $missing; do
		for unit in $(dpkg-query -L "$p" 2>/dev/null |
			grep -E '^(/usr)?/lib/systemd/system/[^/]+\.(service|socket)$'); do
			systemctl disable --now "$(basename "$unit")" >/dev/null 2>&1 || true
		done
	done
fi
