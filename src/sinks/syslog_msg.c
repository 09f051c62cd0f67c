// SPDX-License-Identifier: GPL-2.0
#include "sinks/syslog_msg.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* 32473 is the enterprise number RFC 5612 reserves for documentation: vigil has none. */
#define SD_ID "vigil@32473"

static const char *const facilities[] = {
	"kern",	  "user",   "mail",   "daemon", "auth",	  "syslog", "lpr",    "news",
	"uucp",	  "cron",   "authpriv", "ftp",  "ntp",	  "audit",  "alert",  "clock",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

int syslog_facility(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (!strcmp(facilities[i], name))
			return i;
	return -1;
}

int syslog_severity(const struct sink_record *r)
{
	static const struct {
		const char *name;
		int level;
	} map[] = {
		{ "critical", 2 }, { "high", 3 }, { "medium", 4 }, { "low", 5 }, { "info", 6 },
	};

	if (r->type && !strcmp(r->type, "lost"))
		return 4;
	for (size_t i = 0; r->severity && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].name, r->severity))
			return map[i].level;
	return 6;
}

/* An SD-PARAM value: '"', '\' and ']' escaped (RFC 5424 6.3.3), cut to @max bytes. */
static size_t sd_value(char *buf, size_t size, const char *s, size_t max)
{
	size_t n = 0;

	for (; *s && max-- && n + 2 < size; s++) {
		if (*s == '"' || *s == '\\' || *s == ']')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
	return n;
}

/* A printable ASCII token without spaces (HOSTNAME, MSGID), or "-" (RFC 5424 NILVALUE). */
static void token(char *buf, size_t size, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s && n < max && n + 1 < size; s++)
		if (*s > ' ' && *s < 127)
			buf[n++] = *s;
	if (!n)
		buf[n++] = '-';
	buf[n] = '\0';
}

size_t syslog_5424_header(char *buf, size_t size, const struct sink_record *r, int facility,
			  const char *hostname, int procid)
{
	char host[256], msgid[33], rule[256], sev[32], ts[32];
	struct tm tm;
	int n;

	gmtime_r(&r->time.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	token(host, sizeof(host), hostname, 255);
	token(msgid, sizeof(msgid), r->type, 32);
	n = snprintf(buf, size,
		     "<%d>1 %s.%06ldZ %s vigil %d %s [" SD_ID " type=\"%s\" seq=\"%llu\" "
		     "pid=\"%d\"",
		     facility * 8 + syslog_severity(r), ts, r->time.tv_nsec / 1000, host, procid,
		     msgid, msgid, (unsigned long long)r->seq, (int)r->pid);
	if (r->rule_id) {
		sd_value(rule, sizeof(rule), r->rule_id, 200);
		sd_value(sev, sizeof(sev), r->severity ? r->severity : "", 16);
		n += snprintf(buf + n, size - n, " rule=\"%s\" severity=\"%s\"", rule, sev);
	}
	n += snprintf(buf + n, size - n, "] ");
	return (size_t)n < size ? (size_t)n : size - 1;
}

size_t syslog_local_header(char *buf, size_t size, const struct sink_record *r, int facility,
			   int procid)
{
	char ts[32];
	struct tm tm;
	int n;

	localtime_r(&r->time.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
	n = snprintf(buf, size, "<%d>%s vigil[%d]: ", facility * 8 + syslog_severity(r), ts,
		     procid);
	return (size_t)n < size ? (size_t)n : size - 1;
}
