// SPDX-License-Identifier: GPL-2.0
/*
 * Network sensor: connect, accept, bind, listen, raw/packet socket creation, DNS queries.
 *
 * Hooks, and why:
 * - connect/accept/bind/listen/socket: tp/syscalls sys_enter_* + sys_exit_*. Only the syscall
 *   exit knows the result (0, -ECONNREFUSED, -EINPROGRESS, the new fd), covers UDP and raw as
 *   well as TCP, and runs in the caller's context. The tp_btf sock/inet_sock_set_state
 *   tracepoint is TCP-only, fires in softirq for most transitions (no reliable task) and never
 *   sees a result, so it does not fit. fentry/kprobes are not available on this host.
 *   At enter we resolve the fd to its struct sock through the task's fd table (kernel objects,
 *   not the caller's word) and drop uninteresting families there; at exit we read what the
 *   kernel holds in that socket: local address and port after bind/listen/connect, the peer of
 *   an accepted socket from the fd it returned. Only when the kernel has dropped the address
 *   (a failed connect disconnects the socket; a failed bind binds nothing) do we report the
 *   sockaddr the caller passed, and flag it.
 * - dns: cgroup_skb/egress on the cgroup2 root. It sees the datagram the kernel actually sends,
 *   whatever the syscall (send, sendto, sendmsg, sendmmsg, write, io_uring, splice), so a
 *   resolver cannot slip past by choosing an unhooked one, and it costs a few instructions per
 *   packet instead of a program on every write(2). For UDP the egress hook runs synchronously
 *   in the sending task (udp_sendmsg -> ip_finish_output), so the current task is the sender.
 */
#include "vigil.bpf.h"

#include <bpf/bpf_endian.h>

#include "vigil/ev_net.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_UNIX	       1
#define AF_PACKET      17
#define SOCK_RAW       3
#define SOCK_PACKET    10
#define SOCK_TYPE_MASK 0xf
#define IPPROTO_UDP    17
#define ETH_P_IP       0x0800
#define ETH_P_IPV6     0x86DD
#define EAGAIN	       11
#define DNS_PORT       53
#define DNS_HDR_LEN    12

/* Reading a sockaddr_in6 covers sockaddr_in too. */
#define SOCKADDR_MAX 28

/* A syscall between its enter and its exit, per thread. */
struct pending {
	__u64 sk; /* struct sock *, resolved from the fd at enter */
	__u16 kind;
	__u16 family, type, protocol; /* socket(): the arguments */
	__u32 addrlen;
	__u8 addr[SOCKADDR_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct pending);
} net_pending SEC(".maps");

struct dns_scratch {
	struct vigil_net_event ev;
	__u8 name[VIGIL_DNS_NAME_MAX + 1];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_scratch);
} dns_scratch SEC(".maps");
_Static_assert((sizeof(((struct dns_scratch *)0)->name) &
		(sizeof(((struct dns_scratch *)0)->name) - 1)) == 0,
	       "the DNS name buffer's size is a power of two (see dns_question)");

static __always_inline bool inet_family(__u16 family)
{
	return family == AF_INET || family == AF_INET6;
}

/* Family, type, protocol and both ends, as the kernel holds them in @sk now. */
static __always_inline void read_sock(struct vigil_net_event *ev, struct sock *sk)
{
	ev->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ev->type = BPF_CORE_READ(sk, sk_type);
	ev->protocol = BPF_CORE_READ(sk, sk_protocol);
	if (!inet_family(ev->family))
		return;
	/* A raw socket keeps its protocol number where others keep the port. */
	if (ev->type != SOCK_RAW) {
		ev->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		/* Released from the port table (a connect that failed) but still remembered. */
		if (!ev->sport)
			ev->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	}
	ev->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (ev->family == AF_INET) {
		bpf_core_read(ev->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(ev->daddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(ev->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(ev->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

/*
 * The sockaddr the caller passed, written in the socket's family: an AF_INET address given to
 * an AF_INET6 socket becomes ::ffff:a.b.c.d, as the kernel would map it. False if unusable.
 */
static __always_inline bool asked_addr(const struct pending *p, __u16 sock_family, __u8 *addr,
				       __u16 *port)
{
	__u16 family = *(__u16 *)p->addr;

	*port = bpf_ntohs(*(__u16 *)&p->addr[2]);
	if (family == AF_INET && p->addrlen >= 8) {
		if (sock_family == AF_INET6) {
			addr[10] = 0xff;
			addr[11] = 0xff;
			__builtin_memcpy(addr + 12, &p->addr[4], 4);
		} else {
			__builtin_memcpy(addr, &p->addr[4], 4);
		}
		return true;
	}
	if (family == AF_INET6 && p->addrlen >= 24) {
		__builtin_memcpy(addr, &p->addr[8], 16);
		return true;
	}
	*port = 0;
	return false;
}

/* The syscall's return, read once: the verifier refuses loads through a moved ctx pointer. */
static __always_inline long exit_ret(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;

	asm volatile("" : "+r"(ret));
	return ret;
}

static __always_inline void fill_header(struct vigil_net_event *ev, __u16 type)
{
	ev->hdr.type = type;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.time_ns = bpf_ktime_get_boot_ns();
	fill_task(&ev->task, (struct task_struct *)bpf_get_current_task());
}

/* At enter: remember the socket behind @fd (inet families only) and the caller's sockaddr. */
static __always_inline void remember(__u16 kind, long fd, const void *uaddr, long addrlen)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending p = {};
	struct sock *sk = fd_sock(fd);

	/* In-kernel filter: AF_UNIX, AF_NETLINK, ... send nothing and store nothing. */
	if (!sk || !inet_family(BPF_CORE_READ(sk, __sk_common.skc_family)))
		return;
	p.sk = (__u64)sk;
	p.kind = kind;
	if (uaddr && addrlen > 0) {
		p.addrlen = addrlen < SOCKADDR_MAX ? addrlen : SOCKADDR_MAX;
		if (bpf_probe_read_user(p.addr, sizeof(p.addr), uaddr))
			p.addrlen = 0;
	}
	bpf_map_update_elem(&net_pending, &id, &p, BPF_ANY);
}

/* At exit: the pending entry of this thread for @kind, removed from the map; or NULL. */
static __always_inline bool take(__u16 kind, struct pending *out)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending *p = bpf_map_lookup_elem(&net_pending, &id);

	if (!p)
		return false;
	*out = *p;
	bpf_map_delete_elem(&net_pending, &id);
	return out->kind == kind;
}

SEC("tp/syscalls/sys_enter_connect")
int net_connect_in(struct trace_event_raw_sys_enter *ctx)
{
	remember(VIGIL_EV_CONNECT, ctx->args[0], (void *)ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tp/syscalls/sys_exit_connect")
int net_connect_out(struct trace_event_raw_sys_exit *ctx)
{
	struct vigil_net_event ev = {};
	struct pending p;

	if (!take(VIGIL_EV_CONNECT, &p))
		return 0;
	fill_header(&ev, VIGIL_EV_CONNECT);
	ev.result = exit_ret(ctx);
	read_sock(&ev, (struct sock *)p.sk);
	/*
	 * Connected (0) or on its way (-EINPROGRESS): the kernel's peer is the truth. Otherwise
	 * the kernel has already disconnected the socket (tcp_disconnect clears the peer), so
	 * the address is the one the caller asked for.
	 */
	if (!ev.dport) {
		__builtin_memset(ev.daddr, 0, sizeof(ev.daddr));
		if (asked_addr(&p, ev.family, ev.daddr, &ev.dport))
			ev.hdr.flags |= VIGIL_NET_DADDR_ASKED;
	}
	emit(&ev, sizeof(ev));
	return 0;
}

static __always_inline int accept_in(struct trace_event_raw_sys_enter *ctx)
{
	remember(VIGIL_EV_ACCEPT, ctx->args[0], NULL, 0);
	return 0;
}

static __always_inline int accept_out(struct trace_event_raw_sys_exit *ctx)
{
	struct vigil_net_event ev = {};
	long ret = exit_ret(ctx);
	struct sock *sk;
	struct pending p;

	/* A non-blocking server polls accept until -EAGAIN: that is no event. */
	if (!take(VIGIL_EV_ACCEPT, &p) || ret == -EAGAIN)
		return 0;
	fill_header(&ev, VIGIL_EV_ACCEPT);
	ev.result = ret;
	sk = ret >= 0 ? fd_sock(ret) : NULL;
	if (ret >= 0 && !sk)
		ev.hdr.flags |= VIGIL_NET_NO_SOCKET; /* closed by another thread already */
	/* The new connection's ends; on failure, the listening socket's address. */
	read_sock(&ev, sk ? sk : (struct sock *)p.sk);
	emit(&ev, sizeof(ev));
	return 0;
}

SEC("tp/syscalls/sys_enter_accept")
int net_accept_in(struct trace_event_raw_sys_enter *ctx)
{
	return accept_in(ctx);
}

SEC("tp/syscalls/sys_enter_accept4")
int net_accept4_in(struct trace_event_raw_sys_enter *ctx)
{
	return accept_in(ctx);
}

SEC("tp/syscalls/sys_exit_accept")
int net_accept_out(struct trace_event_raw_sys_exit *ctx)
{
	return accept_out(ctx);
}

SEC("tp/syscalls/sys_exit_accept4")
int net_accept4_out(struct trace_event_raw_sys_exit *ctx)
{
	return accept_out(ctx);
}

SEC("tp/syscalls/sys_enter_bind")
int net_bind_in(struct trace_event_raw_sys_enter *ctx)
{
	remember(VIGIL_EV_BIND, ctx->args[0], (void *)ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tp/syscalls/sys_exit_bind")
int net_bind_out(struct trace_event_raw_sys_exit *ctx)
{
	struct vigil_net_event ev = {};
	struct pending p;

	if (!take(VIGIL_EV_BIND, &p))
		return 0;
	fill_header(&ev, VIGIL_EV_BIND);
	ev.result = exit_ret(ctx);
	read_sock(&ev, (struct sock *)p.sk);
	/* Bound: the kernel's address (port 0 became a real port). Failed: what was asked. */
	if (ev.result) {
		__builtin_memset(ev.saddr, 0, sizeof(ev.saddr));
		if (asked_addr(&p, ev.family, ev.saddr, &ev.sport))
			ev.hdr.flags |= VIGIL_NET_SADDR_ASKED;
	}
	emit(&ev, sizeof(ev));
	return 0;
}

SEC("tp/syscalls/sys_enter_listen")
int net_listen_in(struct trace_event_raw_sys_enter *ctx)
{
	remember(VIGIL_EV_LISTEN, ctx->args[0], NULL, 0);
	return 0;
}

SEC("tp/syscalls/sys_exit_listen")
int net_listen_out(struct trace_event_raw_sys_exit *ctx)
{
	struct vigil_net_event ev = {};
	struct pending p;

	if (!take(VIGIL_EV_LISTEN, &p))
		return 0;
	fill_header(&ev, VIGIL_EV_LISTEN);
	ev.result = exit_ret(ctx);
	read_sock(&ev, (struct sock *)p.sk); /* listen binds an unbound socket: the port is real */
	emit(&ev, sizeof(ev));
	return 0;
}

SEC("tp/syscalls/sys_enter_socket")
int net_socket_in(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u16 family = ctx->args[0], type = ctx->args[1] & SOCK_TYPE_MASK;
	struct pending p = {};

	/* Only sockets that see raw traffic: raw IP, packet, and the old SOCK_PACKET. */
	if (family != AF_PACKET && !(inet_family(family) && type == SOCK_RAW) &&
	    !(family == AF_INET && type == SOCK_PACKET))
		return 0;
	p.kind = VIGIL_EV_SOCKET;
	p.family = family;
	p.type = type;
	p.protocol = ctx->args[2];
	bpf_map_update_elem(&net_pending, &id, &p, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_exit_socket")
int net_socket_out(struct trace_event_raw_sys_exit *ctx)
{
	struct vigil_net_event ev = {};
	long ret = exit_ret(ctx);
	struct pending p;
	struct sock *sk;

	if (!take(VIGIL_EV_SOCKET, &p))
		return 0;
	fill_header(&ev, VIGIL_EV_SOCKET);
	ev.result = ret;
	sk = ret >= 0 ? fd_sock(ret) : NULL;
	if (sk) {
		read_sock(&ev, sk);
	} else {
		/* Refused (e.g. -EPERM without CAP_NET_RAW): what was asked for. */
		ev.family = p.family;
		ev.type = p.type;
		if (ret >= 0)
			ev.hdr.flags |= VIGIL_NET_NO_SOCKET;
	}
	/*
	 * A packet socket keeps its ethertype in struct packet_sock, which lives in the af_packet
	 * module's BTF when that is a module; the kernel uses the argument unchanged, so take it.
	 */
	if (ev.family == AF_PACKET)
		ev.protocol = bpf_ntohs(p.protocol);
	else if (!sk)
		ev.protocol = p.protocol;
	emit(&ev, sizeof(ev));
	return 0;
}

/*
 * The question of a DNS query at @off in @skb: its name in wire format and its type. The name
 * is walked label by label (at most 255 bytes; a query carries no compression pointers); what
 * does not parse is sent flagged VIGIL_NET_DNS_MALFORMED with the bytes that did.
 */
static __always_inline void dns_question(struct __sk_buff *skb, __u32 off, struct dns_scratch *s)
{
	struct vigil_net_event *ev = &s->ev;
	__u8 hdr[DNS_HDR_LEN];
	__u32 avail, n, pos = 0;
	__u16 qtype;
	bool ok = false;

	if (bpf_skb_load_bytes(skb, off, hdr, sizeof(hdr)) || !(hdr[4] | hdr[5])) {
		ev->hdr.flags |= VIGIL_NET_DNS_MALFORMED; /* no header, or no question */
		return;
	}
	if (hdr[2] & 0x80)
		ev->hdr.flags |= VIGIL_NET_DNS_RESPONSE;
	off += DNS_HDR_LEN;
	avail = skb->len > off ? skb->len - off : 0;
	n = avail < sizeof(s->name) ? avail : sizeof(s->name);
	/*
	 * The same n, written so that older verifiers (6.1) can see 1 <= n <= 256 in the register
	 * passed to the helper: they do not carry "n != 0" over from the test of another register.
	 */
	n = ((n - 1) & (sizeof(s->name) - 1)) + 1;
	if (avail == 0 || bpf_skb_load_bytes(skb, off, s->name, n)) {
		ev->hdr.flags |= VIGIL_NET_DNS_MALFORMED;
		return;
	}
	for (int i = 0; i < 128; i++) {
		__u8 len;

		if (pos >= n)
			break;
		len = s->name[pos & VIGIL_DNS_NAME_MAX];
		if (len == 0) {
			ok = true;
			break;
		}
		if (len & 0xc0) /* a compression pointer or a reserved label type */
			break;
		pos += len + 1;
	}
	/* The terminating zero at pos: the name is pos + 1 bytes, at most 255 on the wire. */
	if (ok && pos < VIGIL_DNS_NAME_MAX &&
	    !bpf_skb_load_bytes(skb, off + pos + 1, &qtype, sizeof(qtype))) {
		ev->dns_qtype = bpf_ntohs(qtype);
		ev->name_len = pos + 1;
	} else {
		ev->hdr.flags |= VIGIL_NET_DNS_MALFORMED;
		ev->name_len = pos < n ? pos : n;
		if (ev->name_len > VIGIL_DNS_NAME_MAX)
			ev->name_len = VIGIL_DNS_NAME_MAX;
	}
}

SEC("cgroup_skb/egress")
int net_dns_egress(struct __sk_buff *skb)
{
	struct vigil_net_event *ev;
	struct dns_scratch *s;
	struct udphdr udp;
	__u32 zero = 0, off;
	__u16 family;

	if (skb->protocol == (__u32)bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) || ip.protocol != IPPROTO_UDP ||
		    (ip.frag_off & bpf_htons(0x1fff)))
			return 1;
		family = AF_INET;
		off = ip.ihl * 4;
	} else if (skb->protocol == (__u32)bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		/* Extension headers before UDP are not followed: resolvers do not send them. */
		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) || ip6.nexthdr != IPPROTO_UDP)
			return 1;
		family = AF_INET6;
		off = sizeof(ip6);
	} else {
		return 1;
	}
	if (bpf_skb_load_bytes(skb, off, &udp, sizeof(udp)) || udp.dest != bpf_htons(DNS_PORT))
		return 1;

	s = bpf_map_lookup_elem(&dns_scratch, &zero);
	if (!s)
		return 1;
	ev = &s->ev;
	__builtin_memset(ev, 0, sizeof(*ev));
	fill_header(ev, VIGIL_EV_DNS);
	ev->family = family;
	ev->type = 2; /* SOCK_DGRAM */
	ev->protocol = IPPROTO_UDP;
	ev->sport = bpf_ntohs(udp.source);
	ev->dport = DNS_PORT;
	if (family == AF_INET) {
		bpf_skb_load_bytes(skb, __builtin_offsetof(struct iphdr, saddr), ev->saddr, 4);
		bpf_skb_load_bytes(skb, __builtin_offsetof(struct iphdr, daddr), ev->daddr, 4);
	} else {
		bpf_skb_load_bytes(skb, __builtin_offsetof(struct ipv6hdr, saddr), ev->saddr, 16);
		bpf_skb_load_bytes(skb, __builtin_offsetof(struct ipv6hdr, daddr), ev->daddr, 16);
	}
	dns_question(skb, off + sizeof(udp), s);
	ev->hdr.size = sizeof(*ev) + (ev->name_len & 0x1ff);
	emit_fitting(s, ev->hdr.size, sizeof(*s));
	return 1; /* observe only: the packet always goes on */
}
