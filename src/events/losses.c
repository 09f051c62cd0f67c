// SPDX-License-Identifier: GPL-2.0
#include "events/losses.h"
#include "events/event.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct uid_losses *find_uid(const struct losses *l, __u32 uid)
{
	for (size_t i = 0; i < l->n_uids; i++)
		if (l->uids[i].uid == uid)
			return &l->uids[i];
	return NULL;
}

struct uid_losses *losses_uid(struct losses *l, __u32 uid)
{
	struct uid_losses *u = (struct uid_losses *)find_uid(l, uid);

	if (u)
		return u;
	/* the last slot is the others' */
	if (l->n_uids >= LOSSES_UIDS_MAX - 1 && uid != LOSSES_OTHER_UIDS)
		return losses_uid(l, LOSSES_OTHER_UIDS);
	l->uids[l->n_uids] = (struct uid_losses){ .uid = uid };
	return &l->uids[l->n_uids++];
}

static __u64 grown(__u64 now, __u64 before)
{
	return now >= before ? now - before : now;
}

void losses_accumulate(struct losses *total, const struct losses *prev, const struct losses *now)
{
	total->total = now->total;
	memcpy(total->ring_full, now->ring_full, sizeof(total->ring_full));
	memcpy(total->throttled, now->throttled, sizeof(total->throttled));
	for (size_t i = 0; i < now->n_uids; i++) {
		const struct uid_losses *u = &now->uids[i], *p = find_uid(prev, u->uid);
		__u64 throttled = grown(u->throttled, p ? p->throttled : 0);
		__u64 ring_full = grown(u->ring_full, p ? p->ring_full : 0);
		struct uid_losses *t;

		if (!throttled && !ring_full)
			continue;
		t = losses_uid(total, u->uid);
		t->throttled += throttled;
		t->ring_full += ring_full;
		t->types |= u->types;
	}
}

void losses_since(const struct losses *to, const struct losses *from, struct losses *out)
{
	memset(out, 0, sizeof(*out));
	out->total = grown(to->total, from->total);
	for (size_t t = 0; t < VIGIL_EV_TYPE_MAX; t++) {
		out->ring_full[t] = grown(to->ring_full[t], from->ring_full[t]);
		out->throttled[t] = grown(to->throttled[t], from->throttled[t]);
	}
	for (size_t i = 0; i < to->n_uids; i++) {
		const struct uid_losses *u = &to->uids[i], *f = find_uid(from, u->uid);
		struct uid_losses d = {
			.uid = u->uid,
			.throttled = grown(u->throttled, f ? f->throttled : 0),
			.ring_full = grown(u->ring_full, f ? f->ring_full : 0),
			.types = u->types,
		};

		if (d.throttled || d.ring_full)
			out->uids[out->n_uids++] = d;
	}
}

__u64 losses_throttled(const struct losses *l)
{
	__u64 n = 0;

	for (size_t t = 0; t < VIGIL_EV_TYPE_MAX; t++)
		n += l->throttled[t];
	return n;
}

__u64 losses_ring_full(const struct losses *l)
{
	__u64 n = 0;

	for (size_t t = 0; t < VIGIL_EV_TYPE_MAX; t++)
		n += l->ring_full[t];
	return n;
}

const char *losses_types_text(const struct losses *l, size_t max, char *buf, size_t len)
{
	bool done[VIGIL_EV_TYPE_MAX] = { 0 };
	size_t off = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < max && off < len; k++) {
		size_t best = 0;
		__u64 most = 0;

		for (size_t t = 1; t < VIGIL_EV_TYPE_MAX; t++)
			if (!done[t] && l->ring_full[t] + l->throttled[t] > most) {
				most = l->ring_full[t] + l->throttled[t];
				best = t;
			}
		if (!most)
			break;
		done[best] = true;
		off += snprintf(buf + off, len - off, "%s%s %llu", off ? ", " : "",
				event_type_name(best) ?: "?", (unsigned long long)most);
	}
	return buf;
}

const char *losses_uids_text(const struct losses *l, size_t max, char *buf, size_t len)
{
	bool done[LOSSES_UIDS_MAX] = { 0 };
	size_t off = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < max && off < len; k++) {
		size_t best = 0;
		__u64 most = 0;

		for (size_t i = 0; i < l->n_uids; i++)
			if (!done[i] && l->uids[i].throttled + l->uids[i].ring_full > most) {
				most = l->uids[i].throttled + l->uids[i].ring_full;
				best = i;
			}
		if (!most)
			break;
		done[best] = true;
		if (l->uids[best].uid == LOSSES_OTHER_UIDS)
			off += snprintf(buf + off, len - off, "%sother uids %llu", off ? ", " : "",
					(unsigned long long)most);
		else
			off += snprintf(buf + off, len - off, "%suid %u %llu", off ? ", " : "",
					l->uids[best].uid, (unsigned long long)most);
	}
	return buf;
}

const char *losses_text(const struct losses *l, char *buf, size_t len)
{
	char types[256], uids[256];

	snprintf(buf, len,
		 "%llu over a uid's budget, %llu with the ring buffer full; by type: %s; "
		 "by uid: %s",
		 (unsigned long long)losses_throttled(l), (unsigned long long)losses_ring_full(l),
		 *losses_types_text(l, 4, types, sizeof(types)) ? types : "none",
		 *losses_uids_text(l, 4, uids, sizeof(uids)) ? uids : "none");
	return buf;
}
