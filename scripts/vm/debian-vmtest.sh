#!/bin/bash
# Run by vigil-vmtest.service in the booted-Debian VM: wait until the boot is over, run
# debian-tests.sh framed with "vigil-vm: begin/end" markers on the console (scripts/vm/debian-run.sh
# parses them as scripts/vm/run.sh does the busybox suite's), and power off.
# The boot's own jobs (this unit's included: it is Type=simple) end before the tests start.
state=$(timeout 300 systemctl is-system-running --wait)
echo "vigil-vm: kernel $(uname -r), lsm $(cat /sys/kernel/security/lsm), systemd" \
	"$(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p'), system $state," \
	"$(systemd-analyze time 2>/dev/null | sed -n 's/^Startup finished in //p')"
[ "$state" = running ] || systemctl --failed --no-legend --plain
# where the boot's time goes
systemd-analyze blame --no-pager 2>/dev/null | head -n 8 | sed 's/^ */vigil-vm: boot: /'
echo "vigil-vm: begin debian-tests"
start=$(date +%s)
/payload/debian-tests.sh /payload/*.deb 2>&1
rc=$?
echo "vigil-vm: end debian-tests rc=$rc seconds=$(($(date +%s) - start))"
echo "vigil-vm: done"
sync
systemctl poweroff -f
