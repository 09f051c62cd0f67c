// SPDX-License-Identifier: GPL-2.0
/*
 * The real `vigil shield` command inside namespaces this test creates: attach with a rule
 * file, status --json and top --json parsed with json-c, reload, detach, a foreign XDP
 * program refused, and bad interface/mode/rules rejected with exit 64 and a clear message.
 *
 * Client namespace 192.0.2.1 and 198.51.100.7 (blocked); server namespace 192.0.2.2 with the
 * shield on its veth end. The CLI runs under nsenter (not `ip netns exec`, which would hide
 * the host's /sys/fs/bpf and with it the pins). Everything is removed at exit.
 */
#include "harness.h"
#include "testlib.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SERVER	 "192.0.2.2"
#define BLOCKED	 "198.51.100.7"
#define PIN_ROOT "/sys/fs/bpf/vigil/shield"

static char ns_cli[32], ns_srv[32], if_srv[16], rules[64], rules2[64], bad_rules[64];
static bool env_ready, env_failed;
static char out[65536];

__attribute__((destructor)) static void env_down(void)
{
	if (!ns_srv[0])
		return;
	/* detach first: the pins would keep the program and maps alive */
	shf("nsenter --net=/run/netns/%s %s shield detach %s >/dev/null 2>&1", ns_srv, vigil_bin(),
	    if_srv);
	shf("rm -rf %s/%s", PIN_ROOT, if_srv);
	shf("ip netns del %s 2>/dev/null", ns_cli);
	shf("ip netns del %s 2>/dev/null", ns_srv);
	unlink(rules);
	unlink(rules2);
	unlink(bad_rules);
}

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return false;
	fputs(text, f);
	return !fclose(f);
}

static bool env_up(void)
{
	if (SKIP_UNLESS_ROOT())
		return false;
	if (env_ready)
		return true;
	if (env_failed) {
		SKIP("netns/veth set-up failed earlier");
		return false;
	}
	env_failed = true;
	snprintf(ns_cli, sizeof(ns_cli), "vsc_c_%d", getpid());
	snprintf(ns_srv, sizeof(ns_srv), "vsc_s_%d", getpid());
	snprintf(if_srv, sizeof(if_srv), "vsc%d", getpid() % 100000);
	snprintf(rules, sizeof(rules), "/tmp/vigil_cli_%d.yaml", getpid());
	snprintf(rules2, sizeof(rules2), "/tmp/vigil_cli_%d_2.yaml", getpid());
	snprintf(bad_rules, sizeof(bad_rules), "/tmp/vigil_cli_%d_bad.yaml", getpid());
	if (shf("ip netns add %s && ip netns add %s", ns_cli, ns_srv) ||
	    shf("ip link add vsc_peer netns %s type veth peer name %s netns %s", ns_cli, if_srv,
		ns_srv) ||
	    shf("ip -n %s addr add 192.0.2.1/24 dev vsc_peer && ip -n %s addr add %s/24 dev "
		"vsc_peer && ip -n %s link set vsc_peer up && ip -n %s link set lo up",
		ns_cli, ns_cli, BLOCKED, ns_cli, ns_cli) ||
	    shf("ip -n %s addr add %s/24 dev %s && ip -n %s link set %s up && ip -n %s link set lo "
		"up && ip -n %s route add 198.51.100.0/24 dev %s",
		ns_srv, SERVER, if_srv, ns_srv, if_srv, ns_srv, ns_srv, if_srv) ||
	    !write_file(rules, "shield:\n  block: [198.51.100.0/24]\n  ports:\n"
			       "    - {proto: tcp, port: 23, action: block, name: telnet}\n") ||
	    !write_file(rules2,
			"shield:\n  shadow: true\n  block: [198.51.100.0/24, 203.0.113.0/24]\n") ||
	    !write_file(bad_rules, "shield:\n  block: [1.2.3.4/33]\n")) {
		ASSERT_TRUE(false, "netns + veth set-up");
		return false;
	}
	env_failed = false;
	env_ready = true;
	return true;
}

/* Run `vigil shield ARGS` in the server namespace; stdout (and stderr) into out. */
static int cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int cli(const char *fmt, ...)
{
	char args[512], cmd[1024];
	size_t n = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "nsenter --net=/run/netns/%s %s shield %s 2>&1", ns_srv,
		 vigil_bin(), args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n < sizeof(out) - 1 && fgets(out + n, sizeof(out) - n, p))
		n += strlen(out + n);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The status entry of our interface, from `status --json`; caller puts *root. */
static struct json_object *status_json(struct json_object **root)
{
	struct json_object *ifs;

	*root = NULL;
	if (cli("status %s --json", if_srv))
		return NULL;
	*root = json_tokener_parse(out);
	ifs = *root ? jget(*root, "interfaces") : NULL;
	if (!ifs || json_object_array_length(ifs) < 1)
		return NULL;
	return json_object_array_get_idx(ifs, 0);
}

static struct json_object *rule_named(struct json_object *st, const char *name)
{
	struct json_object *rs = jget(st, "rules");

	for (size_t i = 0; rs && i < json_object_array_length(rs); i++) {
		struct json_object *r = json_object_array_get_idx(rs, i);

		if (jstr(r, "name") && !strcmp(jstr(r, "name"), name))
			return r;
	}
	return NULL;
}

/*
 * `top --json` while the blocked source pings: its packets are on the block list's line (drops,
 * or would-be drops in @shadow mode), not in the protocol table. The pings go on until top saw
 * them (a loaded machine may start them late), for at most 10 s.
 */
static void top_while_blocked_pings(bool shadow)
{
	struct json_object *top = NULL, *protos;
	bool icmp = false, seen = false;
	char pid[32] = "";

	shf_out(pid, sizeof(pid),
		"ip netns exec %s busybox ping -c 200 -i 0.05 -W 1 -I %s %s >/dev/null 2>&1 & "
		"echo $!",
		ns_cli, BLOCKED, SERVER);
	for (int round = 0; round < 5 && !seen; round++) {
		json_object_put(top);
		top = NULL;
		if (!ASSERT_EQ(cli("top %s -n 1 -i 0.6 --json", if_srv), 0, out))
			goto out;
		top = json_tokener_parse(out);
		if (!ASSERT_TRUE(top != NULL, "top --json parses"))
			goto out;
		seen = jget(top, "block_list_drops.pps") &&
		       json_object_get_double(jget(top, "block_list_drops.pps")) >= 1;
	}
	ASSERT_EQ(json_object_get_boolean(jget(top, "shadow")), shadow, "shadow mode said");
	ASSERT_TRUE(seen, "the blocked pings on the block line");
	protos = jget(top, "protocols");
	for (size_t i = 0; protos && i < json_object_array_length(protos); i++)
		icmp |= !strcmp(jstr(json_object_array_get_idx(protos, i), "protocol") ?: "",
				"icmp");
	ASSERT_TRUE(!icmp, "and not in the protocol table");
out:
	json_object_put(top);
	if (atoi(pid) > 0)
		kill(atoi(pid), SIGKILL);
}

TEST(attach_status_top_reload_detach)
{
	struct json_object *root, *st, *top;
	char pin[128];

	if (!env_up())
		return;
	if (!ASSERT_EQ(cli("attach %s --rules %s", if_srv, rules), 0, out))
		return;
	ASSERT_TRUE(strstr(out, "native") != NULL, "attach says which mode it got");

	/* traffic from the blocked source, to be counted */
	shf("ip netns exec %s busybox ping -c 3 -i 0.2 -W 1 -I %s %s >/dev/null 2>&1", ns_cli,
	    BLOCKED, SERVER);

	st = status_json(&root);
	if (ASSERT_TRUE(st != NULL, "status --json parses and lists the interface")) {
		ASSERT_TRUE(jstr(st, "ifname") && !strcmp(jstr(st, "ifname"), if_srv), "ifname");
		ASSERT_TRUE(jstr(st, "mode") && !strcmp(jstr(st, "mode"), "native"), "mode");
		ASSERT_TRUE(json_object_get_boolean(jget(st, "attached")), "attached");
		ASSERT_EQ(jint(st, "rules_seq"), 1, "first rule set");
		ASSERT_EQ(jint(st, "prefixes"), 1, "one prefix");
		ASSERT_TRUE(rule_named(st, "telnet") != NULL, "named port rule listed");
		ASSERT_GE(jint(st, "counters.drop.block_cidr.packets"), 1, "blocked pings counted");
		ASSERT_GE(jint(rule_named(st, "block"), "packets"), 1, "per-rule counter");
	}
	json_object_put(root);

	if (ASSERT_EQ(cli("top %s -n 1 -i 0.2 --json", if_srv), 0, out)) {
		top = json_tokener_parse(out);
		ASSERT_TRUE(top && jget(top, "sources") && jget(top, "protocols") &&
				    jget(top, "ports"),
			    "top --json: sources, protocols, ports");
		ASSERT_TRUE(jstr(top, "ifname") && !strcmp(jstr(top, "ifname"), if_srv),
			    "top names the interface");
		json_object_put(top);
	}
	/* blocked traffic meanwhile: on the block list's line, not in the tables */
	top_while_blocked_pings(false);
	/* on one interface, top needs no name */
	if (ASSERT_EQ(cli("top -n 1 -i 0.2 --json"), 0, out)) {
		top = json_tokener_parse(out);
		ASSERT_TRUE(top && jstr(top, "ifname") && !strcmp(jstr(top, "ifname"), if_srv),
			    "top without IFACE: the only interface");
		json_object_put(top);
	}

	ASSERT_EQ(cli("reload %s --rules %s", if_srv, rules2), 0, out);
	st = status_json(&root);
	if (ASSERT_TRUE(st != NULL, "status after reload")) {
		ASSERT_EQ(jint(st, "rules_seq"), 2, "second rule set");
		ASSERT_EQ(jint(st, "prefixes"), 2, "two prefixes");
		ASSERT_TRUE(rule_named(st, "telnet") == NULL, "old rule gone");
		ASSERT_GE(jint(st, "counters.drop.block_cidr.packets"), 1,
			  "totals survive the reload");
		ASSERT_TRUE(json_object_get_boolean(jget(st, "shadow")), "shadow mode shown");
	}
	json_object_put(root);
	top_while_blocked_pings(true);
	/* once more: the other generation's configuration is the one shown now */
	ASSERT_EQ(cli("reload %s --rules %s", if_srv, rules2), 0, out);
	st = status_json(&root);
	if (ASSERT_TRUE(st != NULL, "status after the second reload")) {
		ASSERT_EQ(jint(st, "rules_seq"), 3, "third rule set");
		ASSERT_TRUE(json_object_get_boolean(jget(st, "shadow")), "still shadow mode");
	}
	json_object_put(root);

	ASSERT_NEQ(cli("attach %s --rules %s", if_srv, rules), 0, "second attach refused");

	ASSERT_EQ(cli("detach %s", if_srv), 0, out);
	snprintf(pin, sizeof(pin), "%s/%s", PIN_ROOT, if_srv);
	ASSERT_NEQ(access(pin, F_OK), 0, "pins removed");
	ASSERT_EQ(cli("status --json"), 0, out);
	ASSERT_TRUE(strstr(out, if_srv) == NULL, "status no longer lists it");
	ASSERT_EQ(cli("detach %s", if_srv), 1, "detach twice: nothing to do");
	ASSERT_TRUE(strstr(out, "nothing to detach") != NULL, out);
	ASSERT_EQ(cli("top -n 1"), 1, "top with the shield nowhere: nothing to show");
	ASSERT_TRUE(strstr(out, "not attached anywhere") != NULL, out);
}

TEST(foreign_xdp_refused)
{
	struct bpf_insn prog[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 2 }, /* r0 = XDP_PASS */
		{ .code = 0x95 },			  /* exit */
	};
	int fd, ns, orig, ifindex, ret;
	char path[64];

	if (!env_up())
		return;
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "foreign", "GPL", prog, 2, NULL);
	snprintf(path, sizeof(path), "/run/netns/%s", ns_srv);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (!ASSERT_TRUE(fd >= 0 && ns >= 0 && orig >= 0, "foreign program and namespaces"))
		goto out;
	setns(ns, CLONE_NEWNET);
	ifindex = if_nametoindex(if_srv);
	ret = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_SKB_MODE, NULL);
	setns(orig, CLONE_NEWNET);
	if (!ASSERT_OK(ret, "attach the foreign program the old way"))
		goto out;
	ret = cli("attach %s --rules %s", if_srv, rules);
	ASSERT_NEQ(ret, 0, "attach refused");
	ASSERT_TRUE(strstr(out, "foreign") && strstr(out, "not replacing"), out);
	if (!ret)
		cli("detach %s", if_srv);
	setns(ns, CLONE_NEWNET);
	bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	setns(orig, CLONE_NEWNET);
out:
	if (fd >= 0)
		close(fd);
	if (ns >= 0)
		close(ns);
	if (orig >= 0)
		close(orig);
}

/*
 * A shield pinned by an older vigil kept one configuration entry per generation: reloading it
 * the new way would leave the idle generation's configuration stale. Its pinned map is put
 * back in that layout here: reload and status refuse it and say what to do; detach still works.
 */
TEST(older_pinned_layout_refused)
{
	char pin[160];
	int fd;

	if (!env_up())
		return;
	if (!ASSERT_EQ(cli("attach %s --rules %s", if_srv, rules), 0, out))
		return;
	snprintf(pin, sizeof(pin), "%s/%s/shield_cfg", PIN_ROOT, if_srv);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "shield_cfg", 4, 96, 2, NULL);
	if (ASSERT_TRUE(fd >= 0, "old-layout map") && ASSERT_OK(unlink(pin), "unpin") &&
	    ASSERT_OK(bpf_obj_pin(fd, pin), "pin the old layout")) {
		ASSERT_NEQ(cli("reload %s --rules %s", if_srv, rules2), 0, "reload refused");
		ASSERT_TRUE(strstr(out, "another version of vigil") && strstr(out, "detach"), out);
		ASSERT_NEQ(cli("status %s", if_srv), 0, "status refused");
	}
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(cli("detach %s", if_srv), 0, out);
	snprintf(pin, sizeof(pin), "%s/%s", PIN_ROOT, if_srv);
	ASSERT_NEQ(access(pin, F_OK), 0, "pins removed");
}

TEST(bad_input_exit_64_or_78)
{
	if (!env_up())
		return;
	ASSERT_EQ(cli("attach nosuch0"), 64, "unknown interface");
	ASSERT_TRUE(strstr(out, "no interface named 'nosuch0'") != NULL, out);
	ASSERT_EQ(cli("attach 'a/b'"), 64, "interface name with a slash");
	ASSERT_EQ(cli("attach"), 64, "no interface");
	ASSERT_EQ(cli("attach %s --mode bogus", if_srv), 64, "bad mode");
	ASSERT_TRUE(strstr(out, "--mode must be native, generic, tc or auto") != NULL, out);
	ASSERT_EQ(cli("attach %s --rules %s", if_srv, bad_rules), 78, "bad rules file");
	ASSERT_TRUE(strstr(out, ":2:") && strstr(out, "prefix length must be 0..32"), out);
	ASSERT_NEQ(cli("attach %s --rules /nonexistent/rules.yaml", if_srv), 0,
		   "missing rules file");
	ASSERT_TRUE(strstr(out, "/nonexistent/rules.yaml") != NULL, out);
	ASSERT_EQ(cli("reload %s", if_srv), 64, "reload without --rules");
	ASSERT_EQ(cli("frobnicate"), 64, "unknown action");
	/* none of the failures left anything attached */
	ASSERT_EQ(cli("status --json"), 0, out);
	ASSERT_TRUE(strstr(out, if_srv) == NULL, "nothing attached after the failures");
}
