// SPDX-License-Identifier: GPL-2.0
/* Application events (vigil/ev_app.h): shell lines typed into bash, TLS connections. */
#include "events/family.h"
#include "events/json.h"
#include "events/text.h"
#include "vigil/ev_app.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <sys/socket.h>

static const char *const app_type_names[] = {
	[VIGIL_EV_SHELL - VIGIL_EV_APP_FIRST] = "shell",
	[VIGIL_EV_TLS - VIGIL_EV_APP_FIRST] = "tls",
};

static int app_decode(struct event *ev)
{
	if (ev->type == VIGIL_EV_SHELL) {
		const struct vigil_shell_event *r = ev->raw;
		size_t fixed = offsetof(struct vigil_shell_event, line);

		if (ev->raw_size < fixed || r->line_len >= VIGIL_SHELL_LINE_MAX ||
		    fixed + r->line_len > ev->raw_size)
			return -EINVAL;
		return 0;
	}
	if (ev->type == VIGIL_EV_TLS) {
		const struct vigil_tls_event *r = ev->raw;

		if (ev->raw_size < sizeof(*r) || r->sni_len >= VIGIL_TLS_SNI_MAX)
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

/* The peer as text ("127.0.0.1", "::1"), or false when the sensor did not see it. */
static bool tls_peer(const struct vigil_tls_event *r, char *buf, size_t size)
{
	int family = r->family == 2 ? AF_INET : r->family == 10 ? AF_INET6 : 0;

	return (r->hdr.flags & VIGIL_TLS_PEER) && family &&
	       inet_ntop(family, r->daddr, buf, (socklen_t)size);
}

static void app_json(FILE *out, const struct event *ev)
{
	char addr[INET6_ADDRSTRLEN];

	if (ev->type == VIGIL_EV_SHELL) {
		const struct vigil_shell_event *r = ev->raw;

		fputs(",\"shell\":{\"line\":", out);
		json_string(out, r->line, r->line_len);
		fprintf(out, ",\"truncated\":%s}",
			r->hdr.flags & VIGIL_SHELL_TRUNCATED ? "true" : "false");
		return;
	}
	const struct vigil_tls_event *r = ev->raw;

	fputs(",\"tls\":{\"sni\":", out);
	json_string(out, r->sni, r->sni_len);
	if (tls_peer(r, addr, sizeof(addr)))
		fprintf(out, ",\"peer\":{\"addr\":\"%s\",\"port\":%u}", addr, r->dport);
	fprintf(out,
		",\"rx_bytes\":%" PRIu64 ",\"tx_bytes\":%" PRIu64 ",\"reads\":%" PRIu32
		",\"writes\":%" PRIu32 ",\"duration_ns\":%" PRIu64 "}",
		(uint64_t)r->rx_bytes, (uint64_t)r->tx_bytes, r->reads, r->writes,
		(uint64_t)r->duration_ns);
}

static void app_text(FILE *out, const struct event *ev)
{
	char addr[INET6_ADDRSTRLEN];

	if (ev->type == VIGIL_EV_SHELL) {
		const struct vigil_shell_event *r = ev->raw;

		text_bytes(out, r->line, r->line_len);
		if (r->hdr.flags & VIGIL_SHELL_TRUNCATED)
			fputs(" (cut)", out);
		return;
	}
	const struct vigil_tls_event *r = ev->raw;

	if (r->sni_len)
		text_bytes(out, r->sni, r->sni_len);
	else
		fputs("(no sni)", out);
	if (tls_peer(r, addr, sizeof(addr)))
		fprintf(out, r->family == 10 ? " [%s]:%u" : " %s:%u", addr, r->dport);
	fprintf(out, " rx %" PRIu64 " tx %" PRIu64 " bytes", (uint64_t)r->rx_bytes,
		(uint64_t)r->tx_bytes);
}

static bool app_field(const struct event *ev, enum field_id id, struct field_value *out, char *buf)
{
	(void)buf;
	if (id == FIELD_SHELL_LINE && ev->type == VIGIL_EV_SHELL) {
		const struct vigil_shell_event *r = ev->raw;

		out->str = r->line;
		out->len = r->line_len;
		out->truncated = r->hdr.flags & VIGIL_SHELL_TRUNCATED;
		return true;
	}
	if (id == FIELD_TLS_SNI && ev->type == VIGIL_EV_TLS) {
		const struct vigil_tls_event *r = ev->raw;

		out->str = r->sni;
		out->len = r->sni_len;
		return true;
	}
	return false;
}

const struct event_family app_family = {
	.name = "app",
	.first = VIGIL_EV_APP_FIRST,
	.last = (enum vigil_event_type)VIGIL_EV_APP_LAST,
	.type_names = app_type_names,
	.decode = app_decode,
	.json = app_json,
	.text = app_text,
	.field = app_field,
};
