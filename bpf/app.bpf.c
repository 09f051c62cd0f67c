// SPDX-License-Identifier: GPL-2.0
/*
 * Application sensor, on uprobes (kprobes do not exist here, uprobes do; GUIDE §1):
 *
 *   shell  readline's return in /bin/bash: the line an interactive bash read. Only interactive
 *          shells call readline; scripts and `bash -c` never do.
 *   tls    OpenSSL's libssl: the server name a client asked for (SSL_ctrl with
 *          SSL_CTRL_SET_TLSEXT_HOSTNAME, which SSL_set_tlsext_host_name expands to), the bytes
 *          SSL_read/SSL_write and their _ex twins returned, and the peer, read from the socket
 *          of the first send made inside one of those calls (tp_btf/sock_send_length): libssl
 *          may write through a BIO of the application's own, so the fd it was given (if any)
 *          does not say where the bytes went. Kept per connection (SSL object) here and sent
 *          once, at SSL_free: one record per connection instead of one per call, and no
 *          buffer content is ever read.
 *
 * User space finds the functions' offsets (core/elfsym.h) and attaches each program.
 */
#include "vigil.bpf.h"
#include "vigil/ev_app.h"

char LICENSE[] SEC("license") = "GPL";

#define SSL_CTRL_SET_TLSEXT_HOSTNAME 55
#define TLSEXT_NAMETYPE_host_name    0

static __always_inline void fill_hdr(struct vigil_event_hdr *hdr, __u16 type, __u32 size)
{
	hdr->type = type;
	hdr->flags = 0;
	hdr->size = size;
	hdr->time_ns = bpf_ktime_get_boot_ns();
}

/* ---------------------------------------------------------------- shell */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_shell_event);
} shell_scratch SEC(".maps");

SEC("uretprobe")
int BPF_KRETPROBE(shell_readline, const char *line)
{
	struct vigil_shell_event *ev;
	__u32 zero = 0;
	long n;
	char next;

	if (!line)
		return 0; /* end of input (Ctrl-D) */
	ev = bpf_map_lookup_elem(&shell_scratch, &zero);
	if (!ev)
		return 0;
	n = bpf_probe_read_user_str(ev->line, sizeof(ev->line), line);
	if (n <= 1)
		return 0; /* an empty line, or unreadable */
	fill_hdr(&ev->hdr, VIGIL_EV_SHELL, 0);
	ev->line_len = n - 1;
	ev->pad = 0;
	if (n == sizeof(ev->line) && !bpf_probe_read_user(&next, 1, line + sizeof(ev->line) - 1) &&
	    next)
		ev->hdr.flags |= VIGIL_SHELL_TRUNCATED;
	fill_task(&ev->task, (struct task_struct *)bpf_get_current_task());
	ev->hdr.size = offsetof(struct vigil_shell_event, line) + ev->line_len;
	emit_fitting(ev, ev->hdr.size, sizeof(*ev), EMIT_RAW);
	return 0;
}

/* ---------------------------------------------------------------- tls */

struct tls_key {
	__u64 ssl;
	__u32 tgid;
	__u32 pad;
};

/* What is known of a connection so far. */
struct tls_conn {
	__u64 rx_bytes, tx_bytes;
	__u32 reads, writes;
	__u64 start_ns;
	__u8 daddr[16];
	__u16 dport, family;
	__u16 sni_len, flags;
	char sni[VIGIL_TLS_SNI_MAX];
};

/* LRU: a process that exits without SSL_free leaves entries that age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tls_key);
	__type(value, struct tls_conn);
} tls_conns SEC(".maps");

enum tls_op {
	TLS_READ,
	TLS_WRITE,
	TLS_READ_EX,
	TLS_WRITE_EX,
	TLS_HANDSHAKE,
};

/* A call under way in a thread: which connection, and where _ex puts its byte count. */
struct tls_call {
	__u64 ssl;
	__u64 count_ptr;
	__u32 op;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct tls_call);
} tls_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_tls_event);
} tls_scratch SEC(".maps");

static const struct tls_conn zero_conn;

static __always_inline struct tls_conn *conn_get(__u64 ssl)
{
	struct tls_key key = { .ssl = ssl, .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct tls_conn *c = bpf_map_lookup_elem(&tls_conns, &key);

	if (c)
		return c;
	bpf_map_update_elem(&tls_conns, &key, &zero_conn, BPF_NOEXIST);
	c = bpf_map_lookup_elem(&tls_conns, &key);
	if (c && !c->start_ns)
		c->start_ns = bpf_ktime_get_ns();
	return c;
}

static __always_inline int call_begin(void *ssl, enum tls_op op, void *count_ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tls_call call = { .ssl = (__u64)ssl, .count_ptr = (__u64)count_ptr, .op = op };

	if (!ssl || is_self() || !conn_get((__u64)ssl))
		return 0;
	bpf_map_update_elem(&tls_calls, &id, &call, BPF_ANY);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tls_read, void *ssl)
{
	return call_begin(ssl, TLS_READ, NULL);
}

SEC("uprobe")
int BPF_KPROBE(tls_write, void *ssl)
{
	return call_begin(ssl, TLS_WRITE, NULL);
}

/* int SSL_read_ex(SSL *ssl, void *buf, size_t num, size_t *readbytes) */
SEC("uprobe")
int BPF_KPROBE(tls_read_ex, void *ssl, void *buf, __u64 num, void *readbytes)
{
	return call_begin(ssl, TLS_READ_EX, readbytes);
}

SEC("uprobe")
int BPF_KPROBE(tls_write_ex, void *ssl, const void *buf, __u64 num, void *written)
{
	return call_begin(ssl, TLS_WRITE_EX, written);
}

SEC("uprobe")
int BPF_KPROBE(tls_handshake, void *ssl)
{
	return call_begin(ssl, TLS_HANDSHAKE, NULL);
}

/* The return of any of those: count what went through. */
SEC("uretprobe")
int BPF_KRETPROBE(tls_return, int ret)
{
	__u64 id = bpf_get_current_pid_tgid(), n = 0;
	struct tls_key key = { .tgid = id >> 32 };
	struct tls_call *call = bpf_map_lookup_elem(&tls_calls, &id);
	struct tls_conn *c;
	__u32 op;

	if (!call)
		return 0;
	key.ssl = call->ssl;
	op = call->op;
	if ((op == TLS_READ_EX || op == TLS_WRITE_EX) && ret == 1 && call->count_ptr)
		bpf_probe_read_user(&n, sizeof(n), (void *)call->count_ptr);
	else if ((op == TLS_READ || op == TLS_WRITE) && ret > 0)
		n = ret;
	bpf_map_delete_elem(&tls_calls, &id);
	c = bpf_map_lookup_elem(&tls_conns, &key);
	if (!c || !n)
		return 0;
	if (op == TLS_READ || op == TLS_READ_EX) {
		c->rx_bytes += n;
		c->reads++;
	} else {
		c->tx_bytes += n;
		c->writes++;
	}
	return 0;
}

/* long SSL_ctrl(SSL *s, int cmd, long larg, void *parg): the server name a client sends */
SEC("uprobe")
int BPF_KPROBE(tls_ctrl, void *ssl, int cmd, long larg, const char *parg)
{
	struct tls_conn *c;
	long n;

	if (cmd != SSL_CTRL_SET_TLSEXT_HOSTNAME || larg != TLSEXT_NAMETYPE_host_name || !ssl ||
	    !parg || is_self())
		return 0;
	c = conn_get((__u64)ssl);
	if (!c)
		return 0;
	n = bpf_probe_read_user_str(c->sni, sizeof(c->sni), parg);
	c->sni_len = n > 1 ? n - 1 : 0;
	return 0;
}

/* A send inside one of the calls above: its socket is the connection's. */
SEC("tp_btf/sock_send_length")
int BPF_PROG(tls_peer, struct sock *sk, int ret, int flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tls_key key = { .tgid = id >> 32 };
	struct tls_call *call = bpf_map_lookup_elem(&tls_calls, &id);
	struct tls_conn *c;

	if (!call)
		return 0;
	key.ssl = call->ssl;
	c = bpf_map_lookup_elem(&tls_conns, &key);
	if (!c || (c->flags & VIGIL_TLS_PEER))
		return 0;
	c->family = sk->__sk_common.skc_family;
	if (c->family == AF_INET)
		__builtin_memcpy(c->daddr, &sk->__sk_common.skc_daddr, 4);
	else if (c->family == AF_INET6)
		__builtin_memcpy(c->daddr, &sk->__sk_common.skc_v6_daddr, 16);
	else
		return 0;
	c->dport = __builtin_bswap16(sk->__sk_common.skc_dport);
	c->flags |= VIGIL_TLS_PEER;
	return 0;
}

/* void SSL_free(SSL *ssl): the connection is over; report it. */
SEC("uprobe")
int BPF_KPROBE(tls_free, void *ssl)
{
	struct tls_key key = { .ssl = (__u64)ssl, .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct tls_conn *c = bpf_map_lookup_elem(&tls_conns, &key);
	struct vigil_tls_event *ev;
	__u32 zero = 0;

	if (!c)
		return 0;
	ev = bpf_map_lookup_elem(&tls_scratch, &zero);
	if (!ev)
		goto out;
	fill_hdr(&ev->hdr, VIGIL_EV_TLS, sizeof(*ev));
	ev->hdr.flags = c->flags & VIGIL_TLS_PEER;
	fill_task(&ev->task, (struct task_struct *)bpf_get_current_task());
	ev->rx_bytes = c->rx_bytes;
	ev->tx_bytes = c->tx_bytes;
	ev->reads = c->reads;
	ev->writes = c->writes;
	ev->duration_ns = bpf_ktime_get_ns() - c->start_ns;
	__builtin_memcpy(ev->daddr, c->daddr, sizeof(ev->daddr));
	ev->dport = c->dport;
	ev->family = c->family;
	ev->sni_len = c->sni_len < VIGIL_TLS_SNI_MAX ? c->sni_len : 0;
	ev->pad = 0;
	__builtin_memcpy(ev->sni, c->sni, sizeof(ev->sni));
	emit(ev, sizeof(*ev));
out:
	bpf_map_delete_elem(&tls_conns, &key);
	return 0;
}
