// SPDX-License-Identifier: GPL-2.0
/*
 * Synchronous network denial: cgroup connect4/connect6 hooks on the cgroup2 root refuse, with
 * EPERM, a connect() to what an enforced deny rule names. Nothing is sent from here: the net
 * sensor reports the refused connect (result -1) and user space names the rule.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "vigil/enforce.h"

#define MAX_DENY 65536

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MAX_DENY);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vigil_net_deny_key);
	__type(value, __u32);
} net_deny SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MAX_DENY);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vigil_net_deny_any_key);
	__type(value, __u32);
} net_deny_any SEC(".maps");

/* Verdicts: 1 lets the connect go on, 0 refuses it with EPERM. */
static __always_inline int judge(const __u8 addr[16], __u16 port)
{
	struct vigil_net_deny_any_key any = { .prefixlen = 128 };
	struct vigil_net_deny_key key = { .prefixlen = 16 + 128, .port = port };

	__builtin_memcpy(any.addr, addr, 16);
	__builtin_memcpy(key.addr, addr, 16);
	if (bpf_map_lookup_elem(&net_deny_any, &any) || bpf_map_lookup_elem(&net_deny, &key))
		return 0;
	return 1;
}

SEC("cgroup/connect4")
int deny_connect4(struct bpf_sock_addr *ctx)
{
	__u8 addr[16] = { [10] = 0xff, [11] = 0xff };
	__u32 ip = ctx->user_ip4;

	__builtin_memcpy(addr + 12, &ip, 4);
	return judge(addr, ctx->user_port);
}

SEC("cgroup/connect6")
int deny_connect6(struct bpf_sock_addr *ctx)
{
	__u32 ip[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3] };

	return judge((const __u8 *)ip, ctx->user_port);
}

char LICENSE[] SEC("license") = "GPL";
