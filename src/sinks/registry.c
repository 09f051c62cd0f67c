// SPDX-License-Identifier: GPL-2.0
/* The kinds of sink built in, by URL scheme: a new sink is a line here. */
#include "sinks/sink.h"

extern const struct sink_ops sink_file_ops;
extern const struct sink_ops sink_syslog_udp_ops, sink_syslog_tcp_ops, sink_syslog_tls_ops,
	sink_syslog_local_ops;
extern const struct sink_ops sink_journald_ops;
extern const struct sink_ops sink_nats_ops;

const struct sink_ops *const sink_kinds[] = {
	&sink_file_ops,		&sink_syslog_udp_ops, &sink_syslog_tcp_ops, &sink_syslog_tls_ops,
	&sink_syslog_local_ops, &sink_journald_ops,   &sink_nats_ops,	    NULL,
};
