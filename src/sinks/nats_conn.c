// SPDX-License-Identifier: GPL-2.0
#include "sinks/nats_conn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define WRITE_DEADLINE_MS 5000

int nats_errno(natsStatus s, char *why, size_t len)
{
	const char *text = nats_GetLastError(NULL);

	snprintf(why, len, "%s", text && *text ? text : natsStatus_GetText(s));
	switch (s) {
	case NATS_NO_SERVER:
		return -ECONNREFUSED;
	case NATS_TIMEOUT:
		return -ETIMEDOUT;
	case NATS_CONNECTION_CLOSED:
		return -ENOTCONN;
	case NATS_SSL_ERROR:
		return -EPROTO;
	case NATS_CONNECTION_AUTH_FAILED:
	case NATS_NOT_PERMITTED:
		return -EACCES;
	case NATS_NO_MEMORY:
		return -ENOMEM;
	case NATS_NOT_FOUND:
		return -ENOENT;
	default:
		return -EIO;
	}
}

static natsStatus set_options(natsOptions *o, const struct nats_url *u, int64_t timeout_ms)
{
	natsStatus s;

	s = natsOptions_SetServers(o, (const char **)u->servers, u->n_servers);
	if (s == NATS_OK)
		s = natsOptions_SetName(o, "vigil");
	/* the caller reconnects, so that nothing is resent behind its back, out of order */
	if (s == NATS_OK)
		s = natsOptions_SetAllowReconnect(o, false);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, timeout_ms);
	/* a server that stopped reading must not hold a sink's thread (or collect) for ever */
	if (s == NATS_OK)
		s = natsOptions_SetWriteDeadline(o, WRITE_DEADLINE_MS);
	if (s == NATS_OK && u->tls)
		s = natsOptions_SetSecure(o, true);
	if (s == NATS_OK && u->ca)
		s = natsOptions_LoadCATrustedCertificates(o, u->ca);
	if (s == NATS_OK && u->cert)
		s = natsOptions_LoadCertificatesChain(o, u->cert, u->key);
	if (s == NATS_OK && u->tls_name)
		s = natsOptions_SetExpectedHostname(o, u->tls_name);
	if (s == NATS_OK && u->creds)
		s = natsOptions_SetUserCredentialsFromFiles(o, u->creds, NULL);
	return s;
}

int nats_connect(natsConnection **nc, const struct nats_url *u, int64_t timeout_ms, char *why,
		 size_t len)
{
	natsOptions *o = NULL;
	natsStatus s;

	s = natsOptions_Create(&o);
	if (s == NATS_OK)
		s = set_options(o, u, timeout_ms);
	if (s == NATS_OK)
		s = natsConnection_Connect(nc, o);
	natsOptions_Destroy(o);
	return s == NATS_OK ? 0 : nats_errno(s, why, len);
}

int nats_stream_ensure(jsCtx *js, const struct nats_url *u, char *why, size_t len)
{
	jsStreamInfo *si = NULL;
	jsStreamConfig sc;
	jsErrCode jerr = 0;
	char subjects[256];
	const char *list[1] = { subjects };
	natsStatus s;

	s = js_GetStreamInfo(&si, js, u->stream, NULL, &jerr);
	if (s == NATS_OK) {
		jsStreamInfo_Destroy(si);
		return 0;
	}
	if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr)
		return nats_errno(s, why, len);
	if (!u->create_stream) {
		snprintf(why, len, "no stream %s on the server (create-stream=off)", u->stream);
		return -ENOENT;
	}
	snprintf(subjects, sizeof(subjects), "%s.>", u->prefix);
	jsStreamConfig_Init(&sc);
	sc.Name = u->stream;
	sc.Subjects = list;
	sc.SubjectsLen = 1;
	sc.Storage = js_FileStorage;
	s = js_AddStream(&si, js, &sc, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	/* another agent may have made it meanwhile */
	if (s != NATS_OK && jerr != JSStreamNameExistErr)
		return nats_errno(s, why, len);
	return 0;
}
