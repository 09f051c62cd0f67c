// SPDX-License-Identifier: GPL-2.0
/*
 * journald: each event as a journal entry with native fields (docs/output.md): MESSAGE,
 * PRIORITY, SYSLOG_IDENTIFIER=vigil, MESSAGE_ID per event type, VIGIL_TYPE, VIGIL_RULE_ID,
 * VIGIL_SEVERITY, VIGIL_SEQ, OBJECT_PID and VIGIL_PID, and the event as VIGIL_JSON.
 */
#include "sinks/message_ids.h"
#include "sinks/sink.h"
#include "sinks/syslog_msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define FIELDS_MAX     12
/* MESSAGE= and a message of events/message.h */
#define MESSAGE_FIELD_MAX 2100

struct journald_sink {
	char *json; /* "VIGIL_JSON=" and the line: a field is one iovec */
	size_t cap;
};

static int journald_open(void **ctx, const char *url, char *why, size_t len)
{
	if (strcmp(url, "journald:") && strcmp(url, "journald://")) {
		snprintf(why, len, "journald: takes no address or options");
		return -EINVAL;
	}
	if (access(JOURNAL_SOCKET, W_OK)) {
		snprintf(why, len, "no journald here (%s: %s)", JOURNAL_SOCKET, strerror(errno));
		return -ENOENT;
	}
	*ctx = calloc(1, sizeof(struct journald_sink));
	return *ctx ? 0 : -ENOMEM;
}

/* "NAME=" and a value as one iovec: a field may hold any bytes but a NUL. */
static size_t field(struct iovec *iov, size_t n, char *buf, size_t size, const char *name,
		    const char *value)
{
	int len = snprintf(buf, size, "%s=%s", name, value);

	iov[n] = (struct iovec){ buf, (size_t)len < size ? (size_t)len : size - 1 };
	return n + 1;
}

static int journald_send(void *ctx, const struct sink_record *r)
{
	char prio[16], seq[32], pid[32], opid[32], type[64], mid[48], rule[256], sev[32];
	struct journald_sink *j = ctx;
	char message[MESSAGE_FIELD_MAX];
	struct iovec iov[FIELDS_MAX];
	size_t n = 0, json_len = strlen("VIGIL_JSON=") + r->len;
	int err;

	if (json_len > j->cap) {
		char *p = realloc(j->json, json_len * 2);

		if (!p)
			return -ENOMEM;
		j->json = p;
		j->cap = json_len * 2;
	}
	n = field(iov, n, message, sizeof(message), "MESSAGE", r->message ? r->message : r->type);
	snprintf(prio, sizeof(prio), "PRIORITY=%d", syslog_severity(r));
	iov[n++] = (struct iovec){ prio, strlen(prio) };
	iov[n++] = (struct iovec){ "SYSLOG_IDENTIFIER=vigil", strlen("SYSLOG_IDENTIFIER=vigil") };
	n = field(iov, n, mid, sizeof(mid), "MESSAGE_ID", message_id_of(r->type));
	n = field(iov, n, type, sizeof(type), "VIGIL_TYPE", r->type);
	snprintf(seq, sizeof(seq), "VIGIL_SEQ=%llu", (unsigned long long)r->seq);
	iov[n++] = (struct iovec){ seq, strlen(seq) };
	if (r->rule_id) {
		n = field(iov, n, rule, sizeof(rule), "VIGIL_RULE_ID", r->rule_id);
		n = field(iov, n, sev, sizeof(sev), "VIGIL_SEVERITY",
			  r->severity ? r->severity : "");
	}
	if (r->pid > 0) {
		/* as root, the journal adds the process's OBJECT_COMM, OBJECT_EXE, ... */
		snprintf(opid, sizeof(opid), "OBJECT_PID=%d", (int)r->pid);
		iov[n++] = (struct iovec){ opid, strlen(opid) };
		snprintf(pid, sizeof(pid), "VIGIL_PID=%d", (int)r->pid);
		iov[n++] = (struct iovec){ pid, strlen(pid) };
	}
	memcpy(j->json, "VIGIL_JSON=", strlen("VIGIL_JSON="));
	memcpy(j->json + strlen("VIGIL_JSON="), r->json, r->len);
	iov[n++] = (struct iovec){ j->json, json_len };
	err = sd_journal_sendv(iov, n);
	/* journald restarting: wait for it */
	return err == -ENOENT ? -ECONNREFUSED : err;
}

#else

struct journald_sink {
	char *json;
};

static int journald_open(void **ctx, const char *url, char *why, size_t len)
{
	(void)ctx, (void)url;
	snprintf(why, len, "this vigil was built without libsystemd: no journald sink");
	return -EOPNOTSUPP;
}

static int journald_send(void *ctx, const struct sink_record *r)
{
	(void)ctx, (void)r;
	return -EOPNOTSUPP;
}

#endif

static void journald_close(void *ctx)
{
	struct journald_sink *j = ctx;

	if (j)
		free(j->json);
	free(j);
}

const struct sink_ops sink_journald_ops = {
	.scheme = "journald",
	.open = journald_open,
	.send = journald_send,
	.close = journald_close,
	.wants_message = true,
};
