#!/bin/sh
# A stand-in for vigil's Debian package until `make deb` exists: ./vigil as /usr/sbin/vigil, a
# minimal unit (Type=simple: no readiness notification yet) that loads /etc/vigil/policies.d,
# and maintainer scripts that enable and start it, as debhelper's would. Only for the booted-
# Debian VM suite (make test-service). Prints the .deb's path.
# Usage: standin-deb.sh VIGIL OUT_DIR
set -eu
[ $# -eq 2 ] || { echo "usage: standin-deb.sh VIGIL OUT_DIR" >&2; exit 2; }
vigil=$1 outdir=$2
pkg=$(mktemp -d "${TMPDIR:-/tmp}/vigil-standin.XXXXXX")
trap 'rm -rf "$pkg"' EXIT
chmod 755 "$pkg"
mkdir -p "$pkg/DEBIAN" "$pkg/usr/sbin" "$pkg/lib/systemd/system" "$pkg/etc/vigil/policies.d"
install -m 755 "$vigil" "$pkg/usr/sbin/vigil"
cat >"$pkg/lib/systemd/system/vigil.service" <<'UNIT'
[Unit]
Description=vigil eBPF security agent (stand-in unit)

[Service]
Type=simple
ExecStart=/usr/sbin/vigil run --policy /etc/vigil/policies.d
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=1

[Install]
WantedBy=multi-user.target
UNIT
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: vigil
Version: 0~standin
Architecture: amd64
Maintainer: vigil developers <vigil@localhost>
Depends: libbpf1, libelf1, zlib1g, libyaml-0-2
Description: eBPF runtime security agent (stand-in package for the VM suite)
CONTROL
cat >"$pkg/DEBIAN/postinst" <<'SH'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable vigil.service
	systemctl start vigil.service
fi
SH
cat >"$pkg/DEBIAN/prerm" <<'SH'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl stop vigil.service || true
fi
if [ "$1" = remove ]; then
	systemctl disable vigil.service || true
fi
SH
cat >"$pkg/DEBIAN/postrm" <<'SH'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
SH
chmod 755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/prerm" "$pkg/DEBIAN/postrm"
mkdir -p "$outdir"
out=$outdir/vigil_0~standin_amd64.deb
dpkg-deb --root-owner-group -Zgzip --build "$pkg" "$out" >/dev/null
echo "$out"
