/* SPDX-License-Identifier: GPL-2.0 */
/* Tearing down a skeleton's attachments quickly. */
#ifndef VIGIL_CORE_LINKS_H
#define VIGIL_CORE_LINKS_H

struct bpf_object_skeleton;

/*
 * Destroy every link of @s side by side, and leave the skeleton's pointers NULL for its
 * __destroy(). Closing a syscall tracepoint's link waits for an RCU grace period (70-90 ms
 * here): one after another, the agent's links took over 5 s to let go; from one thread each,
 * the waits overlap.
 */
void links_destroy_all(struct bpf_object_skeleton *s);

#endif
