/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Application events, from uprobes on user-space code: what was typed into interactive bash
 * (readline's return) and the connections made through OpenSSL's libssl. Every record starts
 * with struct vigil_event_hdr and struct vigil_task, like the others; both are fixed-size.
 */
#ifndef VIGIL_EV_APP_H
#define VIGIL_EV_APP_H

#include "vigil/events.h"

/* Types (plain ints: they extend enum vigil_event_type). */
#define VIGIL_EV_SHELL	  (VIGIL_EV_APP_FIRST + 0) /* struct vigil_shell_event */
#define VIGIL_EV_TLS	  (VIGIL_EV_APP_FIRST + 1) /* struct vigil_tls_event */
#define VIGIL_EV_APP_LAST VIGIL_EV_TLS

/* Bytes of a typed line kept; a longer one is cut and flagged. */
#define VIGIL_SHELL_LINE_MAX 1024

/* hdr.flags of a shell record */
#define VIGIL_SHELL_TRUNCATED (1 << 0) /* the line was longer than VIGIL_SHELL_LINE_MAX - 1 */

/* shell: one line an interactive bash read (readline returned it); not the empty ones. */
struct vigil_shell_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__u32 line_len; /* bytes of line used, without a NUL */
	__u32 pad;
	char line[VIGIL_SHELL_LINE_MAX];
};
VIGIL_ASSERT_SIZE(struct vigil_shell_event, 88 + VIGIL_SHELL_LINE_MAX);
VIGIL_ASSERT_OFFSET(struct vigil_shell_event, line, 88);

/* Bytes of a server name (SNI) kept: a DNS name has at most 253. */
#define VIGIL_TLS_SNI_MAX 256

/* hdr.flags of a tls record */
#define VIGIL_TLS_PEER (1 << 0) /* family, daddr, dport hold the peer (seen at a send) */

/*
 * tls: one connection (one SSL object) through libssl, reported when it is freed, with what
 * went through it in both directions: byte counts only, never the plaintext.
 */
struct vigil_tls_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__u64 rx_bytes; /* returned by SSL_read and SSL_read_ex */
	__u64 tx_bytes; /* returned by SSL_write and SSL_write_ex */
	__u32 reads;	/* calls that returned data */
	__u32 writes;
	__u64 duration_ns; /* from the first call seen on it to SSL_free */
	__u8 daddr[16];	   /* IPv4 in the first 4 bytes */
	__u16 dport;	   /* host order */
	__u16 family;	   /* AF_INET, AF_INET6; 0 when not seen */
	__u16 sni_len;	   /* bytes of sni used, without a NUL */
	__u16 pad;
	char sni[VIGIL_TLS_SNI_MAX];
};
VIGIL_ASSERT_SIZE(struct vigil_tls_event, 136 + VIGIL_TLS_SNI_MAX);
VIGIL_ASSERT_OFFSET(struct vigil_tls_event, rx_bytes, 80);
VIGIL_ASSERT_OFFSET(struct vigil_tls_event, daddr, 112);
VIGIL_ASSERT_OFFSET(struct vigil_tls_event, sni, 136);

#endif
