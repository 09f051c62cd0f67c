/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The journal's MESSAGE_ID of each event type (docs/output.md): fixed 128-bit ids, so that
 * `journalctl MESSAGE_ID=...` finds one kind of event across hosts and versions. Never change
 * one; a new type gets a new id (from `systemd-id128 new`).
 */
#ifndef VIGIL_SINKS_MESSAGE_IDS_H
#define VIGIL_SINKS_MESSAGE_IDS_H

#include <stddef.h>

struct message_id {
	const char *type; /* event type, or "lost" */
	const char *id;	  /* 32 lowercase hex digits */
};

extern const struct message_id message_ids[];
extern const size_t n_message_ids;

/* The id of an event of @type; an id of its own for a type missing from the table. */
const char *message_id_of(const char *type);

#endif
