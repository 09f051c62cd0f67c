// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel integrity and injection sensor end to end, plus process.exe_flags on exec:
 * real ptrace, process_vm_writev, /proc/<pid>/mem writes, memfd execution, BPF loads and
 * (failing, harmless) module loads, each with the exact fields the kernel knows.
 */
#include "harness.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static bool start(struct vigil_child *v, const char *events)
{
	const char *args[] = { "trace", "--events", events, NULL };

	return vigil_start_checked(v, args);
}

/* The first event of @type by @pid whose string at @key is @value. */
static struct json_object *find_by(struct json_object **ev, size_t n, const char *type, pid_t pid,
				   const char *key, const char *value)
{
	for (size_t i = 0; i < n; i++) {
		const char *t = jstr(ev[i], "type"), *s = jstr(ev[i], key);

		if (t && s && !strcmp(t, type) && !strcmp(s, value) &&
		    jint(ev[i], "process.pid") == pid)
			return ev[i];
	}
	return NULL;
}

/* exe_flags of @e as one string, "memfd,deleted", or "" when absent. */
static const char *exe_flags(struct json_object *e, char *buf, size_t len)
{
	struct json_object *a = jget(e, "process.exe_flags");
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; a && i < json_object_array_length(a) && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? "," : "",
				json_object_get_string(json_object_array_get_idx(a, i)));
	return buf;
}

static volatile unsigned long victim_word = 0x1122334455667788ul;

/* A child that waits to be poked at; the caller kills it. */
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

TEST(ptrace_attach_and_peekdata)
{
	struct json_object **ev, *e;
	struct vigil_child v;
	long word;
	size_t n = 0;
	pid_t child;

	if (SKIP_UNLESS_ROOT() || !start(&v, "ptrace"))
		return;
	child = spawn_victim();
	ASSERT_OK(ptrace(PTRACE_ATTACH, child, NULL, NULL), "PTRACE_ATTACH");
	waitpid(child, NULL, 0);
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, child, (void *)&victim_word, NULL);
	ASSERT_EQ(word, (long)victim_word, "PEEKDATA read the child's word");
	ptrace(PTRACE_DETACH, child, NULL, NULL);
	reap(child);
	ev = vigil_stop_and_load(&v, &n);

	e = find_by(ev, n, "ptrace", getpid(), "ptrace.request", "PTRACE_ATTACH");
	if (ASSERT_NOT_NULL(e, "PTRACE_ATTACH event")) {
		ASSERT_EQ(jint(e, "ptrace.target_pid"), child, "attach target");
		ASSERT_EQ(jint(e, "ptrace.request_id"), PTRACE_ATTACH, "request number");
		ASSERT_EQ(jint(e, "result"), 0, "attach result");
	}
	e = find_by(ev, n, "ptrace", getpid(), "ptrace.request", "PTRACE_PEEKDATA");
	if (ASSERT_NOT_NULL(e, "PTRACE_PEEKDATA event")) {
		ASSERT_EQ(jint(e, "ptrace.target_pid"), child, "peek target");
		ASSERT_EQ(jint(e, "ptrace.addr"), (long long)(unsigned long)&victim_word,
			  "address");
		ASSERT_EQ(jint(e, "result"), 0, "peek result");
	}
	ASSERT_NOT_NULL(find_by(ev, n, "ptrace", getpid(), "ptrace.request", "PTRACE_DETACH"),
			"PTRACE_DETACH event");
	events_free(ev, n);
	vigil_cleanup(&v);
}

TEST(process_vm_writev_into_a_child)
{
	unsigned long value = 0xdeadbeefcafef00dul;
	struct iovec local = { &value, sizeof(value) };
	struct iovec remote = { (void *)&victim_word, sizeof(value) };
	struct json_object **ev, *e;
	struct vigil_child v;
	size_t n = 0;
	pid_t child;
	ssize_t wrote;

	if (SKIP_UNLESS_ROOT() || !start(&v, "process_vm_write"))
		return;
	child = spawn_victim();
	wrote = process_vm_writev(child, &local, 1, &remote, 1, 0);
	ASSERT_EQ(wrote, sizeof(value), "process_vm_writev wrote 8 bytes");
	reap(child);
	ev = vigil_stop_and_load(&v, &n);

	e = find_event(ev, n, "process_vm_write", getpid());
	if (ASSERT_NOT_NULL(e, "process_vm_write event")) {
		ASSERT_EQ(jint(e, "process_vm.target_pid"), child, "target");
		ASSERT_EQ(jint(e, "process_vm.bytes"), 8, "bytes");
		ASSERT_EQ(jint(e, "process_vm.liovcnt"), 1, "liovcnt");
		ASSERT_EQ(jint(e, "process_vm.riovcnt"), 1, "riovcnt");
		ASSERT_EQ(jint(e, "result"), 8, "result");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}

TEST(proc_pid_mem_write_names_the_target_from_the_inode)
{
	unsigned long value = 42;
	struct json_object **ev, *e;
	struct vigil_child v;
	char path[64];
	int fd, dirfd, fd2;
	size_t n = 0;
	pid_t child;

	if (SKIP_UNLESS_ROOT() || !start(&v, "proc_mem_write"))
		return;
	child = spawn_victim();
	snprintf(path, sizeof(path), "/proc/%d/mem", child);
	fd = open(path, O_RDWR);
	ASSERT_TRUE(fd >= 0, "open /proc/<child>/mem read-write");
	ASSERT_EQ(pwrite(fd, &value, sizeof(value), (off_t)(unsigned long)&victim_word),
		  sizeof(value), "pwrite into the child");
	/* Relative to a directory fd: no pid in the string at all. */
	snprintf(path, sizeof(path), "/proc/%d", child);
	dirfd = open(path, O_RDONLY | O_DIRECTORY);
	fd2 = openat(dirfd, "mem", O_WRONLY);
	ASSERT_TRUE(fd2 >= 0, "openat(dirfd, \"mem\", O_WRONLY)");
	/* Read-only opens are not writes: nothing for them. */
	close(open("/proc/self/mem", O_RDONLY));
	close(fd2);
	close(dirfd);
	close(fd);
	reap(child);
	ev = vigil_stop_and_load(&v, &n);

	e = find_by(ev, n, "proc_mem_write", getpid(), "proc_mem.access", "read_write");
	if (ASSERT_NOT_NULL(e, "proc_mem_write event for O_RDWR")) {
		ASSERT_EQ(jint(e, "proc_mem.target_pid"), child, "target pid");
		ASSERT_EQ(jint(e, "proc_mem.target_tid"), child, "target tid");
		ASSERT_EQ(jint(e, "proc_mem.fd"), fd, "fd");
		ASSERT_EQ(jint(e, "result"), fd, "result");
	}
	e = find_by(ev, n, "proc_mem_write", getpid(), "proc_mem.access", "write");
	if (ASSERT_NOT_NULL(e, "proc_mem_write event for the dirfd-relative O_WRONLY"))
		ASSERT_EQ(jint(e, "proc_mem.target_pid"), child, "target pid from the inode");
	{
		int count = 0;

		for (size_t i = 0; i < n; i++)
			count += jstr(ev[i], "type") &&
				 !strcmp(jstr(ev[i], "type"), "proc_mem_write") &&
				 jint(ev[i], "process.pid") == getpid();
		ASSERT_EQ(count, 2, "exactly the two write opens are reported");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}

/*
 * Reads of another process's environ and mem are proc_read events with the target from the
 * inode; the process's own, and a write, are not.
 */
TEST(proc_read_of_another_process_environ_and_mem)
{
	struct json_object **ev, *e;
	struct vigil_child v;
	int env_fd, mem_fd, count = 0;
	char path[64];
	size_t n = 0;
	pid_t child;

	if (SKIP_UNLESS_ROOT() || !start(&v, "proc_read"))
		return;
	child = spawn_victim();
	snprintf(path, sizeof(path), "/proc/%d/environ", child);
	env_fd = open(path, O_RDONLY);
	ASSERT_TRUE(env_fd >= 0, "open /proc/<child>/environ");
	snprintf(path, sizeof(path), "/proc/%d/mem", child);
	mem_fd = open(path, O_RDONLY);
	ASSERT_TRUE(mem_fd >= 0, "open /proc/<child>/mem read-only");
	close(open("/proc/self/environ", O_RDONLY));
	close(open("/proc/self/mem", O_RDONLY));
	close(open(path, O_WRONLY)); /* a write is proc_mem_write, not proc_read */
	close(mem_fd);
	close(env_fd);
	reap(child);
	ev = vigil_stop_and_load(&v, &n);

	e = find_by(ev, n, "proc_read", getpid(), "proc_read.file", "environ");
	if (ASSERT_NOT_NULL(e, "proc_read event for environ")) {
		ASSERT_EQ(jint(e, "proc_read.target_pid"), child, "target pid");
		ASSERT_EQ(jint(e, "proc_read.fd"), env_fd, "fd");
	}
	e = find_by(ev, n, "proc_read", getpid(), "proc_read.file", "mem");
	if (ASSERT_NOT_NULL(e, "proc_read event for mem"))
		ASSERT_EQ(jint(e, "proc_read.target_pid"), child, "target pid");
	for (size_t i = 0; i < n; i++)
		count += jstr(ev[i], "type") && !strcmp(jstr(ev[i], "type"), "proc_read") &&
			 jint(ev[i], "process.pid") == getpid();
	ASSERT_EQ(count, 2, "exactly the two reads of the child are reported, not its own");
	events_free(ev, n);
	vigil_cleanup(&v);
}

/* Copy /bin/true into @fd. */
static bool copy_true(int fd)
{
	char buf[65536];
	int in = open("/bin/true", O_RDONLY);
	ssize_t r;
	bool ok = in >= 0;

	while (ok && (r = read(in, buf, sizeof(buf))) > 0)
		ok = write(fd, buf, r) == r;
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

TEST(memfd_create_and_exec_from_the_memfd)
{
	char *const argv[] = { "memtrue", NULL };
	struct json_object **ev, *e;
	struct vigil_child v;
	char flags[64];
	size_t n = 0;
	pid_t child;
	int fd;

	if (SKIP_UNLESS_ROOT() || !start(&v, "memfd,exec"))
		return;
	fd = memfd_create("vigil-test", MFD_CLOEXEC);
	ASSERT_TRUE(fd >= 0 && copy_true(fd), "memfd holds a copy of /bin/true");
	child = fork();
	if (child == 0) {
		fexecve(fd, argv, environ);
		_exit(127);
	}
	ASSERT_EQ(wait_code(child), 0, "fexecve of the memfd ran true");
	close(fd);
	ev = vigil_stop_and_load(&v, &n);

	e = find_event(ev, n, "memfd", getpid());
	if (ASSERT_NOT_NULL(e, "memfd event")) {
		ASSERT_STREQ(jstr(e, "memfd.name"), "vigil-test", "name");
		ASSERT_STREQ(jstr(e, "memfd.flags"), "MFD_CLOEXEC", "flags");
		ASSERT_EQ(jint(e, "memfd.fd"), fd, "fd");
		ASSERT_EQ(jint(e, "result"), fd, "result");
	}
	e = find_event(ev, n, "exec", child);
	if (ASSERT_NOT_NULL(e, "exec event of the memfd")) {
		ASSERT_STREQ(exe_flags(e, flags, sizeof(flags)), "memfd", "exe_flags");
		ASSERT_STREQ(jstr(e, "process.exe"), "memfd:vigil-test", "exe names the memfd");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}

/* Exec a copy of /bin/true at @path, or deleted through /proc/self/fd; the child's pid. */
static pid_t exec_copy(const char *path, bool delete_first)
{
	char fdpath[64];
	pid_t child;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);

	if (fd < 0 || fchmod(fd, 0755) || !copy_true(fd))
		return -1;
	close(fd);
	fd = open(path, O_RDONLY);
	if (delete_first)
		unlink(path);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	child = fork();
	if (child == 0) {
		char *const argv[] = { "copy", NULL };

		execve(delete_first ? fdpath : path, argv, environ);
		_exit(127);
	}
	close(fd);
	if (wait_code(child) != 0)
		child = -1;
	if (!delete_first)
		unlink(path);
	return child;
}

TEST(exec_of_a_deleted_binary_and_from_dev_shm)
{
	char tmp[] = "/tmp/vigil-test-deleted-XXXXXX", shm[64], flags[64];
	struct json_object **ev, *e;
	struct vigil_child v;
	pid_t deleted, from_shm;
	size_t n = 0;
	int fd;

	if (SKIP_UNLESS_ROOT() || !start(&v, "exec"))
		return;
	fd = mkstemp(tmp);
	if (fd >= 0)
		close(fd);
	deleted = exec_copy(tmp, true);
	ASSERT_TRUE(deleted > 0, "exec of the deleted copy ran");
	snprintf(shm, sizeof(shm), "/dev/shm/vigil-test-%d", getpid());
	from_shm = exec_copy(shm, false);
	ASSERT_TRUE(from_shm > 0, "exec from /dev/shm ran (is /dev/shm noexec?)");
	ev = vigil_stop_and_load(&v, &n);

	e = find_event(ev, n, "exec", deleted);
	if (ASSERT_NOT_NULL(e, "exec event of the deleted binary")) {
		ASSERT_STREQ(exe_flags(e, flags, sizeof(flags)), "deleted", "exe_flags");
		ASSERT_STREQ(jstr(e, "process.exe"), tmp, "exe is where the file was");
	}
	e = find_event(ev, n, "exec", from_shm);
	if (ASSERT_NOT_NULL(e, "exec event from /dev/shm")) {
		ASSERT_STREQ(exe_flags(e, flags, sizeof(flags)), "shm", "exe_flags");
		ASSERT_STREQ(jstr(e, "process.exe"), shm, "exe");
	}
	/* An ordinary exec carries no exe_flags at all. */
	e = find_exec(ev, n, "/bin/true", 0);
	if (!e)
		e = find_exec(ev, n, "/true", 0);
	ASSERT_TRUE(!e || !jget(e, "process.exe_flags"), "ordinary exec has no exe_flags");
	events_free(ev, n);
	vigil_cleanup(&v);
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

TEST(bpf_program_and_map_loads_by_another_process)
{
	struct bpf_insn ok_insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_insn bad_insns[] = { { .code = BPF_JMP | BPF_EXIT } }; /* r0 never set */
	union bpf_attr attr;
	struct json_object **ev, *e;
	struct vigil_child v;
	int prog, bad, map;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() || !start(&v, "bpf"))
		return;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (unsigned long)ok_insns;
	attr.insn_cnt = 2;
	attr.license = (unsigned long)"GPL";
	strcpy(attr.prog_name, "vigil_test");
	prog = sys_bpf(BPF_PROG_LOAD, &attr);
	ASSERT_TRUE(prog >= 0, "socket filter loads");
	attr.insns = (unsigned long)bad_insns;
	attr.insn_cnt = 1;
	strcpy(attr.prog_name, "vigil_bad");
	bad = sys_bpf(BPF_PROG_LOAD, &attr);
	ASSERT_TRUE(bad < 0, "the verifier rejects a program that leaves r0 unset");
	bad = -errno;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 8;
	attr.max_entries = 1;
	strcpy(attr.map_name, "vigil_tmap");
	map = sys_bpf(BPF_MAP_CREATE, &attr);
	ASSERT_TRUE(map >= 0, "array map created");
	ev = vigil_stop_and_load(&v, &n);

	e = find_by(ev, n, "bpf", getpid(), "bpf.name", "vigil_test");
	if (ASSERT_NOT_NULL(e, "bpf event of the program load")) {
		ASSERT_STREQ(jstr(e, "bpf.cmd"), "BPF_PROG_LOAD", "cmd");
		ASSERT_STREQ(jstr(e, "bpf.prog_type"), "socket_filter", "prog type");
		ASSERT_STREQ(jstr(e, "bpf.source"), "kernel", "read from the loaded program");
		ASSERT_GE(jint(e, "bpf.id"), 1, "program id");
		ASSERT_EQ(jint(e, "bpf.insn_cnt"), 2, "instructions");
		ASSERT_EQ(jint(e, "result"), prog, "result is the fd");
	}
	e = find_by(ev, n, "bpf", getpid(), "bpf.name", "vigil_bad");
	if (ASSERT_NOT_NULL(e, "bpf event of the rejected load")) {
		ASSERT_STREQ(jstr(e, "bpf.source"), "request", "only the request is known");
		ASSERT_EQ(jint(e, "bpf.id"), 0, "no id");
		ASSERT_EQ(jint(e, "result"), bad, "result is the error");
	}
	e = find_by(ev, n, "bpf", getpid(), "bpf.name", "vigil_tmap");
	if (ASSERT_NOT_NULL(e, "bpf event of the map")) {
		ASSERT_STREQ(jstr(e, "bpf.cmd"), "BPF_MAP_CREATE", "cmd");
		ASSERT_STREQ(jstr(e, "bpf.map_type"), "array", "map type");
		ASSERT_EQ(jint(e, "result"), map, "result");
	}
	/* vigil's own loads are not reported. */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(jstr(ev[i], "type"), "bpf"))
			ASSERT_NEQ(jint(ev[i], "process.pid"), v.pid,
				   "a bpf event of vigil itself");
	if (prog >= 0)
		close(prog);
	if (map >= 0)
		close(map);
	events_free(ev, n);
	vigil_cleanup(&v);
}

TEST(module_loads_that_fail_are_reported)
{
	static const char not_a_module[] = "this is not an ELF module";
	struct json_object **ev, *e;
	struct vigil_child v;
	char true_path[PATH_MAX];
	long finit_ret, init_ret;
	size_t n = 0;
	int fd;

	if (SKIP_UNLESS_ROOT() || !start(&v, "module_load"))
		return;
	if (!realpath("/bin/true", true_path))
		true_path[0] = '\0';
	fd = open("/bin/true", O_RDONLY);
	/* Neither can load: /bin/true and a text are not modules (or the kernel has none). */
	finit_ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	init_ret = syscall(SYS_init_module, not_a_module, sizeof(not_a_module), "") ? -errno : 0;
	close(fd);
	ASSERT_TRUE(finit_ret < 0, "finit_module of /bin/true fails");
	ASSERT_TRUE(init_ret < 0, "init_module of a text fails");
	ev = vigil_stop_and_load(&v, &n);

	e = find_by(ev, n, "module_load", getpid(), "syscall", "finit_module");
	if (ASSERT_NOT_NULL(e, "finit_module event")) {
		ASSERT_EQ(jint(e, "result"), finit_ret, "result is the syscall's error");
		ASSERT_STREQ(jstr(e, "module.path"), true_path, "path from the fd");
		ASSERT_EQ(jint(e, "module.fd"), fd, "fd");
		ASSERT_TRUE(json_object_is_type(jget(e, "module.name"), json_type_null),
			    "no name: nothing was loaded");
	}
	e = find_by(ev, n, "module_load", getpid(), "syscall", "init_module");
	if (ASSERT_NOT_NULL(e, "init_module event")) {
		ASSERT_EQ(jint(e, "result"), init_ret, "result");
		ASSERT_EQ(jint(e, "module.len"), sizeof(not_a_module), "image length");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}
