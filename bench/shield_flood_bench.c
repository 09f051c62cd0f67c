// SPDX-License-Identifier: GPL-2.0
/*
 * The shield under a paced flood, with legitimate traffic measured on its own.
 *
 * Three namespaces this program creates, joined to the server's by two veth pairs:
 *   flood  --fgen/fsrv-->  server  <--csrv/ccli--  client
 * The flood: frames from random sources in 198.18.0.0/16 to a closed UDP port of the server,
 * at a set rate (flood_gen.c, bench_flood.bpf.c: XDP live frames, each sent on time). The
 * legitimate client: persistent TCP connections doing request/response (64 bytes each way)
 * against a server in the server's namespace (tcp_rr.c); answers per second, p50/p99, and
 * every retransmission (a legitimate segment lost).
 * Filters, one at a time, on the flood's interface: none, nftables (a netdev ingress chain,
 * `ip saddr 198.18.0.0/15 counter drop`), and vigil's shield (native XDP, the same prefix
 * blocked).
 *
 * Why two veth pairs: on one pair the flood's frames and the client's segments share the
 * receiver's ring and page pool, and a legitimate segment lost there measured the veth, not the
 * filter (issue 26). Two pairs keep what the server shares with a real one: its CPU. Both
 * receiving veths run threaded NAPI pinned to CPU 1 with the server; the flood and the client
 * run on CPU 0, the client (its threads and its veth's NAPI thread) at real-time priority: it
 * stands for another machine, the generator must not slow it down. The filter sits on the
 * flood's interface alone: at the client's rate its cost per legitimate packet is lost in the
 * noise, and a native XDP program on the client's veth would copy each of its segments into an
 * XDP buffer, a cost of veth, not of the filter.
 *
 * The quiet rate is measured with the generator keeping time but sending nothing: it spins on
 * CPU 0 either way, and a CPU that never idles answers faster than one woken from idle (without
 * this, legitimate traffic "gained" 40% under a flood).
 *
 * A filter holds a flood rate when legitimate requests keep >= 90% of their quiet rate with no
 * segment lost; it has collapsed when they fall under half of it.
 *
 * usage: shield_flood_bench [rounds] [seconds per measurement]
 */
#include "benchlib.h"
#include "flood_gen.h"
#include "tcp_rr.h"
#include "shield/shield.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define IF_GEN	    "fgen"
#define IF_FSRV	    "fsrv"
#define IF_CSRV	    "csrv"
#define IF_CLI	    "ccli"
#define ADDR_FSRV   "10.201.1.1"
#define ADDR_GEN    "10.201.1.2"
#define ADDR_CSRV   "10.201.2.1"
#define ADDR_CLI    "10.201.2.2"
#define RR_PORT	    7007
#define FLOOD_PORT  9 /* discard: nobody listens */
#define BLOCKED	    "198.18.0.0/15"
#define CONNS	    2
#define CPU_SENDERS 0 /* the flood and the client */
#define CPU_SERVER  1 /* the server's receive path and the server */
/*
 * Client and generator stand for other machines. The client runs at real-time priority, ahead of
 * the generator; the generator, which spins to keep time, does not: a CPU whose real-time tasks
 * never rest is throttled, the client with it.
 */
#define CLIENT_RT 10
#define GEN_NICE  (-20)
/*
 * The server's threads (its veths' NAPI and the server) share their CPU fairly among themselves,
 * as on a server, and ahead of whatever else runs on this machine.
 */
#define SERVER_NICE (-20)
#define HOLD	    0.90
#define COLLAPSE    0.50
#define WARMUP_US   200000
#define SETTLE_US   100000

static const double rates[] = { 100e3, 141e3,  200e3, 283e3,  400e3, 566e3,
				800e3, 1.13e6, 1.6e6, 2.26e6, 3.2e6, 4.5e6 };
#define N_RATES (sizeof(rates) / sizeof(rates[0]))

enum filter { F_NONE, F_NFT, F_SHIELD, F_MAX };
static const char *const filter_name[F_MAX] = { "none", "nftables", "shield" };

struct net {
	char ns_fl[32], ns_cl[32], ns_sv[32];
	int orig, fl, cl, sv; /* namespace fds */
};

static struct net net = { .orig = -1, .fl = -1, .cl = -1, .sv = -1 };

/* Deleting the namespaces takes the veths, the XDP programs and the nft table with them. */
static void cleanup(void)
{
	if (net.orig >= 0)
		setns(net.orig, CLONE_NEWNET);
	if (net.ns_fl[0])
		quietf("ip netns del %s", net.ns_fl);
	if (net.ns_cl[0])
		quietf("ip netns del %s", net.ns_cl);
	if (net.ns_sv[0])
		quietf("ip netns del %s", net.ns_sv);
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int open_ns(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int iface_ioctl(int ns, const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int s, ret = 0;

	if (setns(ns, CLONE_NEWNET))
		return -errno;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	if (s < 0 || ioctl(s, req, ifr))
		ret = -errno;
	if (s >= 0)
		close(s);
	setns(net.orig, CLONE_NEWNET);
	return ret;
}

static int get_mac(int ns, const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = {};
	int ret = iface_ioctl(ns, ifname, SIOCGIFHWADDR, &ifr);

	if (!ret)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return ret;
}

/* Onto @cpu, at real-time priority @rt_prio, or at @nice when @rt_prio is 0. */
static int pin_to(pid_t pid, int cpu, int rt_prio, int nice)
{
	struct sched_param sp = { .sched_priority = rt_prio };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(pid, sizeof(set), &set) ||
	    (rt_prio ? sched_setscheduler(pid, SCHED_FIFO, &sp)
		     : setpriority(PRIO_PROCESS, pid, nice)))
		return -errno;
	return 0;
}

/*
 * Give @ifname (in @ns) a NAPI of its own, as a kernel thread as pin_to() puts it: veth has
 * NAPI with GRO on (or XDP attached), and only then takes XDP_TX'd frames.
 */
static int threaded_napi(int ns, const char *ns_name, const char *ifname, int cpu, int rt_prio,
			 int nice)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_SGRO, .data = 1 };
	struct ifreq ifr = { .ifr_data = (void *)&ev };
	char want[32], path[300], comm[32];
	struct dirent *d;
	int ret;
	DIR *dir;

	ret = iface_ioctl(ns, ifname, SIOCETHTOOL, &ifr);
	if (ret)
		return ret;
	if (quietf("ip netns exec %s sh -c 'echo 1 > /sys/class/net/%s/threaded'", ns_name, ifname))
		return -EOPNOTSUPP;
	/* its thread is "napi/<ifname>-<napi id>" */
	snprintf(want, sizeof(want), "napi/%s-", ifname);
	dir = opendir("/proc");
	if (!dir)
		return -errno;
	ret = -ENOENT;
	while ((d = readdir(dir))) {
		FILE *fp;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		if (fgets(comm, sizeof(comm), fp) && !strncmp(comm, want, strlen(want)))
			ret = pin_to(atoi(d->d_name), cpu, rt_prio, nice);
		fclose(fp);
	}
	closedir(dir);
	return ret;
}

static int veth(const char *ns_a, const char *if_a, const char *addr_a, const char *ns_b,
		const char *if_b, const char *addr_b)
{
	return quietf("ip link add %s netns %s type veth peer name %s netns %s", if_a, ns_a, if_b,
		      ns_b) ||
	       quietf("ip -n %s addr add %s/24 dev %s && ip -n %s link set %s up", ns_a, addr_a,
		      if_a, ns_a, if_a) ||
	       quietf("ip -n %s addr add %s/24 dev %s && ip -n %s link set %s up", ns_b, addr_b,
		      if_b, ns_b, if_b);
}

static int setup_net(void)
{
	snprintf(net.ns_fl, sizeof(net.ns_fl), "vfb_fl_%d", getpid());
	snprintf(net.ns_cl, sizeof(net.ns_cl), "vfb_cl_%d", getpid());
	snprintf(net.ns_sv, sizeof(net.ns_sv), "vfb_sv_%d", getpid());
	if (quietf("ip netns add %s && ip netns add %s && ip netns add %s", net.ns_fl, net.ns_cl,
		   net.ns_sv) ||
	    veth(net.ns_fl, IF_GEN, ADDR_GEN, net.ns_sv, IF_FSRV, ADDR_FSRV) ||
	    veth(net.ns_cl, IF_CLI, ADDR_CLI, net.ns_sv, IF_CSRV, ADDR_CSRV) ||
	    /* a route back to the flood's sources, as a server on the internet has */
	    quietf("ip -n %s route add default via %s", net.ns_sv, ADDR_GEN))
		return -1;
	net.fl = open_ns(net.ns_fl);
	net.cl = open_ns(net.ns_cl);
	net.sv = open_ns(net.ns_sv);
	if (net.fl < 0 || net.cl < 0 || net.sv < 0)
		return -1;
	if (threaded_napi(net.sv, net.ns_sv, IF_FSRV, CPU_SERVER, 0, SERVER_NICE) ||
	    threaded_napi(net.sv, net.ns_sv, IF_CSRV, CPU_SERVER, 0, SERVER_NICE) ||
	    threaded_napi(net.cl, net.ns_cl, IF_CLI, CPU_SENDERS, CLIENT_RT, 0)) {
		fprintf(stderr, "shield_flood_bench: cannot give the veths pinned NAPI threads\n");
		return -1;
	}
	return 0;
}

/* Frames out of the ring of the flood's interface on the server (into XDP or the stack). */
static unsigned long long fsrv_rx(void)
{
	unsigned long long rx = 0;
	struct ifaddrs *ifa, *i;

	if (setns(net.sv, CLONE_NEWNET))
		return 0;
	if (!getifaddrs(&ifa)) {
		for (i = ifa; i; i = i->ifa_next) {
			struct rtnl_link_stats *st = i->ifa_data;

			if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET && st &&
			    !strcmp(i->ifa_name, IF_FSRV))
				rx = st->rx_packets;
		}
		freeifaddrs(ifa);
	}
	setns(net.orig, CLONE_NEWNET);
	return rx;
}

static char err[SHIELD_ERR_LEN];

static int filter_on(enum filter f, struct shield_handle *h)
{
	struct shield_ruleset rs;
	int ret;

	if (f == F_NONE)
		return 0;
	if (f == F_NFT) {
		snprintf(err, sizeof(err), "nft -f failed");
		return quietf("echo 'table netdev vfb { chain flood { type filter hook ingress "
			      "device "
			      "\"%s\" priority -500; policy accept; ip saddr %s counter drop; }; "
			      "}' | "
			      "ip netns exec %s nft -f -",
			      IF_FSRV, BLOCKED, net.ns_sv)
			       ? -EIO
			       : 0;
	}
	ret = shield_rules_init(&rs);
	if (ret)
		return ret;
	ret = shield_rules_add_cidr(&rs, BLOCKED, SHIELD_ACT_BLOCK, -1, err, sizeof(err));
	if (!ret && setns(net.sv, CLONE_NEWNET))
		ret = -errno;
	if (!ret)
		ret = shield_attach(h, IF_FSRV, SHIELD_MODE_NATIVE, &rs, false, err, sizeof(err));
	setns(net.orig, CLONE_NEWNET);
	shield_rules_free(&rs);
	return ret;
}

static void filter_off(enum filter f, struct shield_handle *h)
{
	if (f == F_NFT)
		quietf("ip netns exec %s nft delete table netdev vfb", net.ns_sv);
	else if (f == F_SHIELD)
		shield_close(h);
}

/*
 * The filter's own count of the flood's frames it dropped, and when it was read (ns): the middle
 * of nft's run, which takes a while.
 */
static unsigned long long filter_drops(enum filter f, struct shield_handle *h, double *when)
{
	unsigned long long n = 0;
	char cmd[160], line[512], *p;
	struct shield_totals t;
	double t0 = now_ns();
	FILE *fp;

	*when = t0;
	if (f == F_SHIELD)
		return shield_read_counters(&h->maps, &t)
			       ? 0
			       : t.c[SHIELD_V_DROP][SHIELD_R_BLOCK_CIDR].packets;
	if (f != F_NFT)
		return 0;
	snprintf(cmd, sizeof(cmd), "ip netns exec %s nft list chain netdev vfb flood 2>/dev/null",
		 net.ns_sv);
	fp = popen(cmd, "r");
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if ((p = strstr(line, "counter packets ")))
			n = strtoull(p + 16, NULL, 10);
	pclose(fp);
	*when = (t0 + now_ns()) / 2;
	return n;
}

/* One measurement: the flood at a rate (quiet: the generator keeps time, sends nothing). */
struct step {
	double target, sent, reached, ring_lost, dropped; /* packets/s */
	double skipped; /* slots the schedule gave up on (the generator preempted), packets/s */
	struct rr_result rr;
	unsigned long long lost; /* retransmissions of both sides, late answers */
	bool not_run;		 /* collapsed at lower rates already */
};

struct bench {
	struct flood_gen gen;
	struct rr_server srv;
	struct rr_client cli;
	struct shield_handle h;
	double secs;
};

static unsigned long long server_retrans(const struct rr_server *s)
{
	unsigned long long n = 0;

	for (int i = 0; i < s->n; i++)
		n += rr_retrans(s->fd[i]);
	return n;
}

static int measure(struct bench *b, enum filter f, double rate, bool quiet, struct step *st)
{
	unsigned long long rx0, rx1, s0, s1, d0, d1, sr0;
	double t0, t1, td0, td1;
	int ret;

	memset(st, 0, sizeof(*st));
	st->target = quiet ? 0 : rate;
	b->gen.rate = rate;
	b->gen.dry = quiet;
	ret = flood_gen_start(&b->gen, CPU_SENDERS, GEN_NICE);
	if (ret)
		return ret;
	usleep(WARMUP_US);
	d0 = filter_drops(f, &b->h, &td0);
	sr0 = server_retrans(&b->srv);
	rx0 = fsrv_rx();
	s0 = flood_gen_sent(&b->gen);
	t0 = now_ns();
	ret = rr_client_run(&b->cli, b->secs, &st->rr);
	s1 = flood_gen_sent(&b->gen);
	rx1 = fsrv_rx();
	t1 = now_ns();
	d1 = filter_drops(f, &b->h, &td1);
	st->lost = st->rr.retrans + server_retrans(&b->srv) - sr0 + st->rr.slow;
	flood_gen_stop(&b->gen);
	if (!ret && b->gen.err)
		ret = b->gen.err;
	st->skipped = b->gen.skipped / ((b->gen.t1 - b->gen.t0) / 1e9);
	usleep(SETTLE_US);
	st->sent = (s1 - s0) / ((t1 - t0) / 1e9);
	st->reached = (rx1 - rx0) / ((t1 - t0) / 1e9);
	/* what the ring did not take (sent a little before the window and taken in it: < 0) */
	st->ring_lost = st->sent > st->reached ? st->sent - st->reached : 0;
	st->dropped = (d1 - d0) / ((td1 - td0) / 1e9);
	return ret;
}

static bool holds(const struct step *st, const struct step *quiet)
{
	return !st->not_run && st->rr.rps >= HOLD * quiet->rr.rps && !st->lost;
}

static bool collapsed(const struct step *st, const struct step *quiet)
{
	return st->not_run || st->rr.rps < COLLAPSE * quiet->rr.rps;
}

/* A filter's sweep in one round: quiet, then each rate until it collapsed twice running. */
static int sweep(struct bench *b, enum filter f, struct step *quiet, struct step *steps)
{
	int ret, down = 0;

	ret = filter_on(f, &b->h);
	if (ret) {
		fprintf(stderr, "shield_flood_bench: cannot set up %s: %s\n", filter_name[f], err);
		return ret;
	}
	ret = measure(b, f, rates[0], true, quiet);
	for (size_t i = 0; !ret && i < N_RATES; i++) {
		if (down >= 2) {
			memset(&steps[i], 0, sizeof(steps[i]));
			steps[i].target = rates[i];
			steps[i].not_run = true;
			continue;
		}
		ret = measure(b, f, rates[i], false, &steps[i]);
		down = collapsed(&steps[i], quiet) ? down + 1 : 0;
	}
	filter_off(f, &b->h);
	return ret;
}

struct results {
	int rounds;
	struct step *quiet[F_MAX];	    /* [round] */
	struct step *steps[F_MAX][N_RATES]; /* [round] */
};

#define MED(arr, n, expr)                                                                          \
	({                                                                                         \
		double _v[64];                                                                     \
		for (int _r = 0; _r < (n); _r++)                                                   \
			_v[_r] = (arr)[_r].expr;                                                   \
		median(_v, (n));                                                                   \
	})

static double fmt_k(double v)
{
	return v / 1e3;
}

/* The step up to which a filter held, at it and every rate below, in every round; -1: none. */
static int held_up_to(const struct results *res, enum filter f)
{
	for (size_t i = 0; i < N_RATES; i++)
		for (int r = 0; r < res->rounds; r++)
			if (!holds(&res->steps[f][i][r], &res->quiet[f][r]))
				return (int)i - 1;
	return N_RATES - 1;
}

/* The first step where most rounds collapsed; -1: none did. */
static int collapse_at(const struct results *res, enum filter f)
{
	for (size_t i = 0; i < N_RATES; i++) {
		int n = 0;

		for (int r = 0; r < res->rounds; r++)
			n += collapsed(&res->steps[f][i][r], &res->quiet[f][r]);
		if (2 * n > res->rounds)
			return i;
	}
	return -1;
}

/* What the generator really sent at step @i of filter @f (median over rounds), packets/s. */
static double sent_at(const struct results *res, enum filter f, int i)
{
	return i < 0 ? 0 : MED(res->steps[f][i], res->rounds, sent);
}

static void print_filter(const struct results *res, enum filter f)
{
	int n = res->rounds;
	double q = MED(res->quiet[f], n, rr.rps);

	printf("\n%s: quiet %.0f req/s, p50 %.0f us, p99 %.0f us\n", filter_name[f], q,
	       MED(res->quiet[f], n, rr.p50_us), MED(res->quiet[f], n, rr.p99_us));
	printf("%7s %7s %7s %7s %7s %7s %8s %6s %7s %7s %5s\n", "target", "sent", "late", "reached",
	       "ring", "dropped", "legit", "quiet", "p50", "p99", "lost");
	printf("%7s %7s %7s %7s %7s %7s %8s %6s %7s %7s %5s\n", "kpps", "kpps", "kpps", "kpps",
	       "kpps", "kpps", "req/s", "x", "us", "us", "max");
	for (size_t i = 0; i < N_RATES; i++) {
		const struct step *s = res->steps[f][i];
		unsigned long long lost = 0;
		int run = 0;

		for (int r = 0; r < n; r++) {
			run += !s[r].not_run;
			lost = s[r].lost > lost ? s[r].lost : lost;
		}
		if (!run) {
			printf("%7.0f   (not run: collapsed at lower rates)\n", fmt_k(rates[i]));
			continue;
		}
		printf("%7.0f %7.0f %7.0f %7.0f %7.0f %7.0f %8.0f %5.2fx %7.0f %7.0f %5llu%s\n",
		       fmt_k(rates[i]), fmt_k(MED(s, n, sent)), fmt_k(MED(s, n, skipped)),
		       fmt_k(MED(s, n, reached)), fmt_k(MED(s, n, ring_lost)),
		       fmt_k(MED(s, n, dropped)), MED(s, n, rr.rps), MED(s, n, rr.rps) / q,
		       MED(s, n, rr.p50_us), MED(s, n, rr.p99_us), lost,
		       run < n ? " (some rounds collapsed lower)" : "");
	}
}

static void print_step(const struct results *res, enum filter f, const char *what, int i)
{
	if (i >= 0)
		printf("%s %.0f kpps sent (target %.0f)", what, fmt_k(sent_at(res, f, i)),
		       fmt_k(rates[i]));
	else
		printf("%s none", what);
}

/* How close the generator came to its targets: the lowest median sent/target of any step. */
static double gen_accuracy(const struct results *res)
{
	double worst = 1e9;

	for (enum filter f = F_NONE; f < F_MAX; f++)
		for (size_t i = 0; i < N_RATES; i++) {
			double a = sent_at(res, f, i) / rates[i];

			if (!res->steps[f][i][0].not_run && a < worst)
				worst = a;
		}
	return worst;
}

static void print_summary(const struct results *res)
{
	int held[F_MAX];
	bool shield_kept = true;
	double acc = gen_accuracy(res);

	printf("\ngenerator: at least %.0f%% of its target rate at every step%s\n", acc * 100,
	       acc < 0.9 ? "\n(it was preempted: the machine is busy; the rates below are what it "
			   "sent)"
			 : "");
	printf("summary (a filter holds a rate: legit >= %.0f%% of quiet, nothing lost, every "
	       "round;\ncollapse: legit < %.0f%% of quiet in most rounds)\n",
	       HOLD * 100, COLLAPSE * 100);
	for (enum filter f = F_NONE; f < F_MAX; f++) {
		held[f] = held_up_to(res, f);
		printf("  %-9s", filter_name[f]);
		print_step(res, f, " holds up to", held[f]);
		print_step(res, f, ", collapses at", collapse_at(res, f));
		printf("%s\n", held[f] == (int)N_RATES - 1 ? " (the highest rate tried)" : "");
	}
	for (int i = 0; i <= held[F_NFT]; i++)
		for (int r = 0; r < res->rounds; r++)
			shield_kept &= holds(&res->steps[F_SHIELD][i][r], &res->quiet[F_SHIELD][r]);
	if (held[F_NFT] >= 0)
		printf("shield / nftables, highest flood held: %.2fx%s (%.0f vs %.0f kpps sent; "
		       "target >= 3x)\n",
		       sent_at(res, F_SHIELD, held[F_SHIELD]) / sent_at(res, F_NFT, held[F_NFT]),
		       held[F_SHIELD] == (int)N_RATES - 1 ? " at least" : "",
		       fmt_k(sent_at(res, F_SHIELD, held[F_SHIELD])),
		       fmt_k(sent_at(res, F_NFT, held[F_NFT])));
	else
		printf("shield / nftables: nftables held no rate tried (the shield: %.0f kpps "
		       "sent)\n",
		       fmt_k(sent_at(res, F_SHIELD, held[F_SHIELD])));
	printf("legit with the shield at every rate nftables holds: %s (target: >= %.0f%% of "
	       "quiet)\n",
	       held[F_NFT] < 0 ? "n/a"
	       : shield_kept   ? "kept"
			       : "NOT kept",
	       HOLD * 100);
}

static int setup_traffic(struct bench *b)
{
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(RR_PORT) };
	uint8_t mac_gen[6], mac_fsrv[6];
	int ret;

	inet_pton(AF_INET, ADDR_CSRV, &srv.sin_addr);
	ret = get_mac(net.fl, IF_GEN, mac_gen);
	if (!ret)
		ret = get_mac(net.sv, IF_FSRV, mac_fsrv);
	if (ret)
		return ret;
	if (setns(net.fl, CLONE_NEWNET))
		return -errno;
	ret = flood_gen_init(&b->gen, net.fl, if_nametoindex(IF_GEN), mac_gen, mac_fsrv, ADDR_FSRV,
			     FLOOD_PORT);
	if (!ret && setns(net.sv, CLONE_NEWNET))
		ret = -errno;
	if (!ret)
		ret = rr_server_listen(&b->srv, &srv);
	if (!ret && setns(net.cl, CLONE_NEWNET))
		ret = -errno;
	if (!ret)
		ret = rr_client_connect(&b->cli, &srv, CONNS, CPU_SENDERS, CLIENT_RT);
	if (!ret)
		ret = rr_server_accept(&b->srv, CONNS, CPU_SERVER, SERVER_NICE);
	setns(net.orig, CLONE_NEWNET);
	return ret;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 2, ret = 1;
	static struct bench b = { .srv = { .listen_fd = -1 } };
	struct results res = {};

	b.secs = argc > 2 ? atof(argv[2]) : 1.0;
	if (rounds < 1 || rounds > 64 || b.secs <= 0 || b.secs > 10) {
		fprintf(stderr, "usage: shield_flood_bench [rounds 1-64] [seconds 0-10]\n");
		return 64;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("shield_flood_bench: skipped: needs 2 CPUs (flood and client on one, the "
		       "server on the other)\n");
		return 0;
	}
	log_bridge_libbpf();
	net.orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (setup_net()) {
		fprintf(stderr, "shield_flood_bench: netns/veth set-up failed (root? iproute2?)\n");
		return 1;
	}
	ret = setup_traffic(&b);
	if (ret) {
		fprintf(stderr,
			"shield_flood_bench: set-up of the flood or the client failed: %s\n",
			strerror(-ret));
		goto out;
	}
	res.rounds = rounds;
	for (enum filter f = F_NONE; f < F_MAX; f++) {
		res.quiet[f] = calloc(rounds, sizeof(struct step));
		for (size_t i = 0; i < N_RATES; i++)
			res.steps[f][i] = calloc(rounds, sizeof(struct step));
	}
	for (int r = 0; r < rounds; r++) {
		/* interleaved: A B C, then C B A */
		for (int k = 0; k < F_MAX; k++) {
			enum filter f = r % 2 ? F_MAX - 1 - k : k;
			struct step steps[N_RATES];

			ret = sweep(&b, f, &res.quiet[f][r], steps);
			if (ret) {
				fprintf(stderr, "shield_flood_bench: %s, round %d: %s\n",
					filter_name[f], r + 1, strerror(-ret));
				goto out;
			}
			for (size_t i = 0; i < N_RATES; i++)
				res.steps[f][i][r] = steps[i];
		}
	}
	printf("legit TCP request/response (%d connections, %d bytes) during a paced UDP flood "
	       "from "
	       "%s/16,\n%d interleaved rounds x %.1f s, medians; figures measured on a loaded "
	       "machine\n",
	       CONNS, RR_MSG, FLOOD_SRC_NET, rounds, b.secs);
	printf("sent: the generator's rate; late: slots it gave up, preempted for > 50 us; "
	       "reached: frames out\nof the server's veth ring; ring: lost at it; dropped: the "
	       "filter's counter; lost: legit\nretransmissions + answers > 200 ms, the worst "
	       "round\n");
	for (enum filter f = F_NONE; f < F_MAX; f++)
		print_filter(&res, f);
	print_summary(&res);
	ret = 0;
out:
	rr_client_close(&b.cli);
	rr_server_stop(&b.srv);
	flood_gen_close(&b.gen);
	return ret ? 1 : 0;
}
