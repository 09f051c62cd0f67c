/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Syslog messages of events (docs/output.md): RFC 5424 with vigil's structured data for the
 * network, the local form of glibc's syslog() for /dev/log. The message is the event's JSON
 * line: a SIEM gets every field, losslessly, and parses it as JSON.
 */
#ifndef VIGIL_SINKS_SYSLOG_MSG_H
#define VIGIL_SINKS_SYSLOG_MSG_H

#include <stddef.h>

#include "sinks/sink.h"

/* RFC 5424's facilities by name ("authpriv", "local0", ...): the code, or -1. */
int syslog_facility(const char *name);

/*
 * The syslog severity (0 emerg .. 7 debug) of an event: its rule's severity (critical 2, high
 * 3, medium 4, low 5, info 6), 6 for an event no rule matched, 4 for a "lost" record.
 */
int syslog_severity(const struct sink_record *r);

/*
 * The RFC 5424 header and structured data of @r, up to the message, with the space before it:
 * "<PRI>1 TIMESTAMP HOSTNAME vigil PROCID MSGID [vigil@32473 ...] ". Returns its length
 * (cut to fit @size, which must be at least SYSLOG_HEADER_MAX to hold any).
 */
#define SYSLOG_HEADER_MAX 1024
size_t syslog_5424_header(char *buf, size_t size, const struct sink_record *r, int facility,
			  const char *hostname, int procid);

/* The header of glibc's syslog() for /dev/log: "<PRI>Mmm dd hh:mm:ss vigil[PROCID]: ". */
size_t syslog_local_header(char *buf, size_t size, const struct sink_record *r, int facility,
			   int procid);

#endif
