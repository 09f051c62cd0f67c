/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The small service of the baseline tests: a copy of the test binary run with --serve, a
 * loopback server that, for each normal request, reads its config, appends to its log, connects
 * to a peer and runs a helper script, and misbehaves on request (each misbehaviour answers
 * whether it got what it was after). Each test binary using it calls svc_serve_mode() from a
 * constructor (glibc passes main's arguments to constructors).
 */
#ifndef VIGIL_TESTS_BLSERVICE_H
#define VIGIL_TESTS_BLSERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "testlib.h"

/* In a copy run with --serve (or --read FILE), be the service and exit; else return. */
void svc_serve_mode(int argc, char **argv);

struct svc_fixture {
	char dir[64], svc[128], bl[128];
	int port, peer_port, peer_fd;
	int new_port, new_fd; /* a listener the service never connects to when it behaves */
	pid_t server;
};

/* A temporary directory with the service's copy, config, helper script and peers. */
bool svc_fixture_setup(struct svc_fixture *f);
/* Stop the service, close the peers, remove the directory (kept with KEEP=1). */
void svc_fixture_cleanup(struct svc_fixture *f);

/* Start the service and wait until it answers (false when it never did). */
bool svc_start(struct svc_fixture *f);
/* Ask it to quit and reap it. */
void svc_stop(struct svc_fixture *f);
/* Send @req and read the answer into @answer: false when it did not answer. */
bool svc_ask(struct svc_fixture *f, const char *req, char *answer, size_t len);
/* Send @req: true when it answered. */
bool svc_request(struct svc_fixture *f, const char *req);
/* Close the connections the peer holds unaccepted: a full backlog would stall the service. */
void svc_drain_peer(struct svc_fixture *f);
/* The normal load: five normal requests, each answered. */
bool svc_normal_load(struct svc_fixture *f);

/* `vigil baseline learn --exe SVC` (quiet period 2 s), anomalies to @anomalies. */
bool svc_learn_start(struct svc_fixture *f, struct vigil_child *v, const char *anomalies);

#endif
