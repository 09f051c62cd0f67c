/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fanotify's refusals as records of the event stream, the form BPF LSM sends its own in: an
 * open event, or an exec event of the caller with the file it tried to run, flagged denied and
 * naming the rule (POLICY_RULE_FANOTIFY | index into the agent's fanotify list).
 */
#ifndef VIGIL_AGENT_REFUSALS_H
#define VIGIL_AGENT_REFUSALS_H

#include <stdbool.h>

struct fandeny;
struct stream;

/*
 * Every refusal older than a moment (@all: every one), into @s: by then the file sensor's
 * record of the same failed open has been read and has taken the refusal it stands for
 * (policy/engine.h).
 */
void refusals_report(struct fandeny *f, struct stream *s, bool all);

#endif
