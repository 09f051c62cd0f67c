/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The human line of an event that matched a rule (docs/events.md, "message"), like Falco's
 * output line: what the rule says it catches, then the event's key fields.
 *   "An SSH private key read by a process outside the OpenSSH tools (process=/usr/bin/cat
 *    pid=42 user=nobody parent=/usr/bin/bash file=/root/.ssh/id_ed25519 action=alert)"
 */
#ifndef VIGIL_EVENTS_MESSAGE_H
#define VIGIL_EVENTS_MESSAGE_H

#include <stddef.h>

#include "events/format.h"

/* Room for a message; longer values are cut ("...") to keep it one readable line. */
#define MESSAGE_MAX	  2048
#define MESSAGE_VALUE_MAX 200

/*
 * A rule's description shortened to what it catches: its first clause (up to ": ", "; " or
 * the end of the first sentence), without parenthesised lists. Returns the length written.
 */
size_t message_summary(char *buf, size_t size, const char *description);

/*
 * The message of @v, which has a verdict, in @buf (NUL-terminated); @user is the name of the
 * process's uid, or NULL. Returns its length.
 */
size_t event_message(char *buf, size_t size, const struct event_view *v, const char *user);

#endif
