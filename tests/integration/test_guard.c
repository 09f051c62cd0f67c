// SPDX-License-Identifier: GPL-2.0
/*
 * Tamper resistance of vigil run (bpf/guard.bpf.c): as another root process, try to signal,
 * ptrace, read the memory of, steal fds from, and get fds to the BPF objects of a running
 * agent, and remove a pin under /sys/fs/bpf/vigil; each is refused, while the same on a
 * process or BPF object that is not the agent's works (the twin). vigil stop then stops it.
 * Needs BPF LSM: proven in the VM suite; on a kernel without it the start-up line must say
 * that the agent is not protected.
 */
#include "harness.h"
#include "testlib.h"
#include "core/control.h"
#include "core/log.h"
#include "enforce/guard.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const agent_args[] = { "run", "--no-default-rules", NULL };

/* The BPF LSM probe's expected failures go through vigil's logger (debug), not to stderr. */
__attribute__((constructor)) static void quiet_libbpf(void)
{
	log_bridge_libbpf();
}

/* The errno of a call that returned -1, or 0 when it succeeded. */
#define ERRNO_OF(call) ((call) < 0 ? errno : 0)

TEST(start_up_line_says_whether_protected)
{
	struct vigil_child v;
	char why[256];
	bool lsm;

	if (SKIP_UNLESS_ROOT())
		return;
	lsm = guard_available(why, sizeof(why));
	if (!vigil_start_checked(&v, agent_args))
		return;
	if (lsm)
		ASSERT_NOT_NULL(strstr(v.err, "run: tamper-protected by BPF LSM"),
				"vigil run says it is tamper-protected");
	else
		ASSERT_NOT_NULL(strstr(v.err, "run: warning: not tamper-protected: no BPF LSM"),
				"vigil run says it is not tamper-protected, and why");
	ASSERT_EQ(shf("%s status | grep -q '^tamper protection: %s'", vigil_bin(),
		      lsm ? "active" : "none"),
		  0, "vigil status says the same");
	vigil_stop(&v);
	vigil_cleanup(&v);
}

TEST(no_guard_leaves_it_unprotected)
{
	struct vigil_child v;
	int status;

	if (SKIP_UNLESS_ROOT() ||
	    !vigil_start_checked(
		    &v, (const char *[]){ "run", "--no-default-rules", "--no-guard", NULL }))
		return;
	ASSERT_NOT_NULL(strstr(v.err, "not tamper-protected (--no-guard)"),
			"vigil run --no-guard says it is not protected");
	ASSERT_EQ(ERRNO_OF(kill(v.pid, SIGTERM)), 0, "SIGTERM from another process is delivered");
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "it exits 0 on that SIGTERM");
	vigil_cleanup(&v);
}

enum { PROG, MAP, LINK, KINDS };
#define MAX_IDS 1024

/* The ids of the BPF objects among @pid's fds (from /proc/PID/fdinfo), by kind. */
struct bpf_ids {
	__u32 id[KINDS][MAX_IDS];
	int n[KINDS];
	int fd; /* one fd number of the agent that is a BPF map */
};

static void read_ids(pid_t pid, struct bpf_ids *ids)
{
	char path[PATH_MAX], target[64], line[256];
	struct dirent *de;
	DIR *dir;

	memset(ids, 0, sizeof(*ids));
	ids->fd = -1;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		const char *key = NULL;
		int kind = -1;
		__u32 id;
		ssize_t n;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, "anon_inode:bpf-prog"))
			key = "prog_id:", kind = PROG;
		else if (!strcmp(target, "anon_inode:bpf-map"))
			key = "map_id:", kind = MAP;
		else if (!strcmp(target, "anon_inode:bpf_link"))
			key = "link_id:", kind = LINK;
		if (!key)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, de->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, key, strlen(key)) &&
			    sscanf(line + strlen(key), "%u", &id) == 1 && ids->n[kind] < MAX_IDS) {
				ids->id[kind][ids->n[kind]++] = id;
				if (kind == MAP && ids->fd < 0)
					ids->fd = atoi(de->d_name);
			}
		if (f)
			fclose(f);
	}
	closedir(dir);
}

/* A process of ours that is not the agent: the twin of every refusal. */
static pid_t start_twin(void)
{
	pid_t pid = fork();

	if (!pid) {
		signal(SIGUSR1, SIG_IGN); /* it outlives the signal twin */
		for (;;)
			pause();
	}
	return pid;
}

static void stop_twin(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static int pidfd_getfd_of(pid_t pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), got, err;

	if (pidfd < 0)
		return errno;
	got = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	err = got < 0 ? errno : 0;
	if (got >= 0)
		close(got);
	close(pidfd);
	return err;
}

static int read_memory_of(pid_t pid)
{
	static char probe;
	char buf;
	struct iovec local = { &buf, 1 }, remote = { &probe, 1 };

	/* the same binary: &probe is mapped in the twin (a fork) and in no other process */
	return ERRNO_OF(process_vm_readv(pid, &local, 1, &remote, 1, 0));
}

static int open_mem(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int ptrace_attach(pid_t pid)
{
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL))
		return errno;
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return 0;
}

static bool refused(int err)
{
	return err == EPERM || err == EACCES;
}

static int pidfd_signal(pid_t pid, int sig)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), err;

	if (pidfd < 0)
		return errno;
	err = ERRNO_OF(syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0));
	close(pidfd);
	return err;
}

static void check_signals(pid_t agent, pid_t twin)
{
	const int deadly[] = { SIGKILL, SIGTERM, SIGINT,  SIGQUIT, SIGSTOP,
			       SIGTSTP, SIGTTIN, SIGUSR2, SIGXCPU, SIGSEGV,
			       SIGABRT, SIGALRM, SIGPIPE, SIGSYS,  SIGRTMIN };
	char what[64];

	for (size_t i = 0; i < sizeof(deadly) / sizeof(deadly[0]); i++) {
		snprintf(what, sizeof(what), "kill(agent, %s)", strsignal(deadly[i]));
		ASSERT_EQ(ERRNO_OF(kill(agent, deadly[i])), EPERM, what);
	}
	ASSERT_EQ(ERRNO_OF(syscall(SYS_tgkill, agent, agent, SIGKILL)), EPERM,
		  "tgkill(agent, SIGKILL)");
	ASSERT_EQ(ERRNO_OF(syscall(SYS_tkill, agent, SIGKILL)), EPERM, "tkill(agent, SIGKILL)");
	ASSERT_EQ(pidfd_signal(agent, SIGKILL), EPERM, "pidfd_send_signal(agent, SIGKILL)");
	ASSERT_EQ(ERRNO_OF(kill(agent, 0)), 0, "kill(agent, 0) still tells it is there");
	ASSERT_EQ(ERRNO_OF(kill(agent, SIGHUP)), 0, "SIGHUP (reload) is still delivered");
	ASSERT_EQ(ERRNO_OF(kill(agent, SIGUSR1)), 0,
		  "SIGUSR1 (reopen the output: logrotate) is still delivered");
	ASSERT_EQ(waitpid(agent, NULL, WNOHANG), 0, "the agent is still alive");
	ASSERT_EQ(ERRNO_OF(kill(twin, SIGUSR1)), 0, "twin: a signal to another process works");
	ASSERT_EQ(pidfd_signal(twin, SIGUSR1), 0, "twin: and through a pidfd");
	ASSERT_EQ(waitpid(twin, NULL, WNOHANG), 0, "the twin ignored it and lives on");
}

static void check_ptrace(pid_t agent, pid_t twin, int agent_fd)
{
	ASSERT_TRUE(refused(ptrace_attach(agent)), "ptrace(PTRACE_SEIZE, agent) is refused");
	ASSERT_EQ(ptrace_attach(twin), 0, "twin: ptrace of another process works");
	ASSERT_TRUE(refused(open_mem(agent)), "open(/proc/agent/mem, O_RDWR) is refused");
	ASSERT_EQ(open_mem(twin), 0, "twin: another process's mem opens");
	ASSERT_TRUE(refused(read_memory_of(agent)), "process_vm_readv(agent) is refused");
	ASSERT_EQ(read_memory_of(twin), 0, "twin: process_vm_readv of another process works");
	ASSERT_TRUE(refused(pidfd_getfd_of(agent, agent_fd)),
		    "pidfd_getfd of the agent's map fd is refused");
	ASSERT_EQ(pidfd_getfd_of(twin, 0), 0, "twin: pidfd_getfd of another process works");
}

/* A program and its link (a raw tracepoint that does nothing) and a map that are ours. */
struct twin_objs {
	int prog, link, map;
	__u32 prog_id, link_id, map_id;
};

static bool make_twin_objs(struct twin_objs *t)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_prog_info pi = { 0 };
	struct bpf_link_info li = { 0 };
	struct bpf_map_info mi = { 0 };
	__u32 len;

	t->map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "guard_twin", 4, 4, 1, NULL);
	t->prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "guard_twin", "GPL", insns, 2, NULL);
	t->link = t->prog >= 0 ? bpf_raw_tracepoint_open("sched_process_exec", t->prog) : -1;
	if (t->map < 0 || t->link < 0)
		return false;
	len = sizeof(mi);
	bpf_obj_get_info_by_fd(t->map, &mi, &len);
	len = sizeof(pi);
	bpf_obj_get_info_by_fd(t->prog, &pi, &len);
	len = sizeof(li);
	bpf_obj_get_info_by_fd(t->link, &li, &len);
	t->map_id = mi.id;
	t->prog_id = pi.id;
	t->link_id = li.id;
	return t->map_id && t->prog_id && t->link_id;
}

static void free_twin_objs(struct twin_objs *t)
{
	if (t->link >= 0)
		close(t->link);
	if (t->prog >= 0)
		close(t->prog);
	if (t->map >= 0)
		close(t->map);
}

/* The errno of getting an fd by id, or 0 (the fd is closed at once). */
static int fd_by_id(int (*get)(__u32), __u32 id)
{
	int fd = get(id);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* How many of the agent's objects of @kind an fd was given for (each must be refused). */
static int not_refused(const struct bpf_ids *ids, int kind, int (*get)(__u32))
{
	int given = 0;

	for (int i = 0; i < ids->n[kind]; i++)
		given += fd_by_id(get, ids->id[kind][i]) != EPERM;
	return given;
}

static void check_bpf(pid_t agent)
{
	struct twin_objs t = { -1, -1, -1, 0, 0, 0 };
	static struct bpf_ids ids;

	read_ids(agent, &ids);
	ASSERT_TRUE(ids.n[PROG] && ids.n[MAP] && ids.n[LINK],
		    "the agent has programs, maps and links (/proc/PID/fdinfo)");
	/* every one of them, the guard's own included */
	ASSERT_EQ(not_refused(&ids, PROG, bpf_prog_get_fd_by_id), 0,
		  "BPF_PROG_GET_FD_BY_ID on the agent's programs not refused with EPERM");
	ASSERT_EQ(not_refused(&ids, MAP, bpf_map_get_fd_by_id), 0,
		  "BPF_MAP_GET_FD_BY_ID on the agent's maps not refused with EPERM");
	ASSERT_EQ(not_refused(&ids, LINK, bpf_link_get_fd_by_id), 0,
		  "BPF_LINK_GET_FD_BY_ID on the agent's links not refused with EPERM");
	printf("  refused an fd for each of the agent's %d programs, %d maps, %d links\n",
	       ids.n[PROG], ids.n[MAP], ids.n[LINK]);
	if (ASSERT_TRUE(make_twin_objs(&t), "twin: a program, link and map of our own")) {
		ASSERT_EQ(fd_by_id(bpf_prog_get_fd_by_id, t.prog_id), 0,
			  "twin: BPF_PROG_GET_FD_BY_ID on another program works");
		ASSERT_EQ(fd_by_id(bpf_map_get_fd_by_id, t.map_id), 0,
			  "twin: BPF_MAP_GET_FD_BY_ID on another map works");
		ASSERT_EQ(fd_by_id(bpf_link_get_fd_by_id, t.link_id), 0,
			  "twin: BPF_LINK_GET_FD_BY_ID on another link works");
	}
	free_twin_objs(&t);
}

/* Pins made before the agent starts: one under /sys/fs/bpf/vigil, a twin beside it. */
struct pins {
	bool made_vigil_dir;
	char dir[128], pin[160], empty[160], twin[128];
};

static bool make_pins(struct pins *p)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "guard_pin", 4, 4, 1, NULL);
	bool ok;

	snprintf(p->dir, sizeof(p->dir), "/sys/fs/bpf/vigil/guard-test-%d", (int)getpid());
	snprintf(p->pin, sizeof(p->pin), "%s/map", p->dir);
	snprintf(p->empty, sizeof(p->empty), "%s/empty", p->dir);
	snprintf(p->twin, sizeof(p->twin), "/sys/fs/bpf/guard-twin-%d", (int)getpid());
	p->made_vigil_dir = !mkdir("/sys/fs/bpf/vigil", 0700);
	ok = fd >= 0 && !mkdir(p->dir, 0700) && !mkdir(p->empty, 0700) &&
	     !bpf_obj_pin(fd, p->pin) && !bpf_obj_pin(fd, p->twin);
	if (fd >= 0)
		close(fd);
	return ok;
}

static void remove_pins(struct pins *p)
{
	unlink(p->pin);
	rmdir(p->empty);
	rmdir(p->dir);
	unlink(p->twin);
	if (p->made_vigil_dir)
		rmdir("/sys/fs/bpf/vigil");
}

static void check_pins(const struct pins *p)
{
	char moved[200];

	snprintf(moved, sizeof(moved), "%s-moved", p->pin);
	ASSERT_EQ(ERRNO_OF(unlink(p->pin)), EPERM, "unlink of a pin under /sys/fs/bpf/vigil");
	ASSERT_EQ(ERRNO_OF(rename(p->pin, moved)), EPERM, "rename of that pin");
	ASSERT_EQ(ERRNO_OF(rmdir(p->empty)), EPERM, "rmdir of a directory under it");
	ASSERT_EQ(access(p->pin, F_OK), 0, "the pin is still there");
	ASSERT_EQ(ERRNO_OF(unlink(p->twin)), 0, "twin: unlink of a pin elsewhere works");
}

TEST(guard_refuses_tampering)
{
	struct pins pins = { 0 };
	struct vigil_child v;
	static struct bpf_ids ids;
	char why[256];
	pid_t twin;
	int status;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!guard_available(why, sizeof(why))) {
		SKIP("vigil run cannot be tamper-protected on this kernel (%s); the VM suite "
		     "proves it",
		     why);
		return;
	}
	if (!ASSERT_TRUE(make_pins(&pins), "pins made under /sys/fs/bpf"))
		goto out_pins;
	if (!vigil_start_checked(&v, agent_args))
		goto out_pins;
	twin = start_twin();
	read_ids(v.pid, &ids);
	check_signals(v.pid, twin);
	check_ptrace(v.pid, twin, ids.fd);
	check_bpf(v.pid);
	check_pins(&pins);
	ASSERT_EQ(shf("%s status | grep -q '^tamper protection: active'", vigil_bin()), 0,
		  "vigil status says the agent is protected");
	ASSERT_EQ(waitpid(v.pid, NULL, WNOHANG), 0, "the agent is alive after all that");
	ASSERT_EQ(shf("%s stop > /dev/null", vigil_bin()), 0, "vigil stop succeeds");
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the agent exited 0 after vigil stop");
	ASSERT_NOT_NULL(strstr(v.err, "stopping: asked to over the control socket"),
			"it says why it stopped");
	ASSERT_NOT_NULL(strstr(v.err, "events seen"), "and prints its summary");
	stop_twin(twin);
	vigil_cleanup(&v);
	ASSERT_EQ(ERRNO_OF(unlink(pins.pin)), 0, "with the agent gone, the pin can be removed");
out_pins:
	remove_pins(&pins);
}

/* Append what @fd has to @buf within @ms milliseconds. */
static void read_some(int fd, char *buf, size_t size, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = strlen(buf);
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return;
	n = read(fd, buf + len, size - 1 - len);
	if (n > 0)
		buf[len + n] = '\0';
}

/* An agent whose controlling terminal is a pty of ours, so that we can type Ctrl-C on it. */
static pid_t start_on_pty(int *master)
{
	pid_t pid;

	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) || unlockpt(*master))
		return -1;
	pid = fork();
	if (!pid) {
		int tty;

		setsid();
		tty = open(ptsname(*master), O_RDWR); /* the session's controlling terminal */
		if (tty < 0 || ioctl(tty, TIOCSCTTY, 0))
			_exit(126);
		dup2(tty, 0);
		dup2(tty, 1);
		dup2(tty, 2);
		execl(vigil_bin(), "vigil", "run", "--no-default-rules", NULL);
		_exit(127);
	}
	return pid;
}

TEST(ctrl_c_on_its_terminal_still_stops_it)
{
	char out[16384] = "", why[256];
	int master = -1, status = -1;
	pid_t pid;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!guard_available(why, sizeof(why))) {
		SKIP("nothing to tell apart without BPF LSM (%s)", why);
		return;
	}
	vigil_test_env();
	pid = start_on_pty(&master);
	if (!ASSERT_TRUE(pid > 0, "vigil run started on a pty"))
		goto out;
	for (int i = 0; i < 200 && !strstr(out, "Ctrl-C to stop"); i++)
		read_some(master, out, sizeof(out), 100);
	if (!ASSERT_NOT_NULL(strstr(out, "Ctrl-C to stop"), "the agent is watching"))
		goto out;
	ASSERT_NOT_NULL(strstr(out, "tamper-protected by BPF LSM"), "and protected");
	ASSERT_EQ(ERRNO_OF(kill(pid, SIGINT)), EPERM, "SIGINT from another process is refused");
	ASSERT_EQ(write(master, "\003", 1), 1, "Ctrl-C typed on its terminal");
	/* by the clock: once the agent closes the tty, poll returns at once */
	for (time_t end = time(NULL) + 60; time(NULL) < end && !waitpid(pid, &status, WNOHANG);) {
		read_some(master, out, sizeof(out), 100);
		usleep(10000);
	}
	if (!ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			 "the tty's SIGINT (sent by the kernel) stopped it, exit 0"))
		printf("  wait status %#x; the agent wrote:\n%s\n", status, out);
	if (WIFEXITED(status))
		pid = 0;
out:
	if (pid > 0) {
		control_request(control_path(), "stop", NULL, 0, NULL);
		waitpid(pid, NULL, 0);
	}
	if (master >= 0)
		close(master);
}
