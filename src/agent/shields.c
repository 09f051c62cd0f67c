// SPDX-License-Identifier: GPL-2.0
#include "agent/shields.h"
#include "core/log.h"
#include "shield/shield.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the last apply did to an interface, so that it can be undone. */
enum step { STEP_NONE, STEP_RELOADED, STEP_ATTACHED, STEP_REATTACHED, STEP_TAKEN_OVER };

struct slot {
	char ifname[IF_NAMESIZE];
	struct shield_handle h;
	bool attached;			  /* h is open and the shield is on the interface */
	struct policy_shield *cur;	  /* the rules in force, NULL: none of ours yet */
	const char *cur_policy;		  /* its policy's name */
	enum shield_mode cur_mode;	  /* what cur asked for */
	struct policy_shield *next;	  /* during an apply; NULL: no longer named */
	const struct policy *next_policy; /* for messages */
	unsigned int line, col;		  /* where next names the interface */
	enum step step;
};

struct agent_shields {
	struct slot *slots;
	size_t n;
};

int agent_shields_new(struct agent_shields **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void detach(struct slot *sl)
{
	char err[SHIELD_ERR_LEN];

	if (!sl->attached)
		return;
	if (shield_detach_pinned(sl->ifname, err, sizeof(err)))
		pr_warn("shield", "%s", err);
	shield_close(&sl->h);
	sl->attached = false;
}

void agent_shields_free(struct agent_shields *sh, bool keep_pinned)
{
	int lock;

	if (!sh)
		return;
	lock = sh->n ? shield_lock() : -1;
	for (size_t i = 0; i < sh->n; i++) {
		if (sh->slots[i].attached && keep_pinned) {
			/* the pinned link keeps it attached; the next agent takes it over */
			pr_info("shield", "left on %s for the next start", sh->slots[i].ifname);
			shield_close(&sh->slots[i].h);
			continue;
		}
		if (sh->slots[i].attached)
			pr_info("shield", "detached from %s", sh->slots[i].ifname);
		detach(&sh->slots[i]);
	}
	shield_unlock(lock);
	free(sh->slots);
	free(sh);
}

/* Is our link still on the interface (not detached by hand, the interface not gone)? */
static bool link_alive(const struct slot *sl)
{
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);
	char dir[128], path[PATH_MAX];

	if (shield_pin_dir(sl->ifname, dir, sizeof(dir)))
		return false;
	snprintf(path, sizeof(path), "%s/link", dir);
	if (access(path, F_OK) || bpf_obj_get_info_by_fd(sl->h.link_fd, &li, &len))
		return false;
	return li.xdp.ifindex != 0; /* xdp and tcx keep ifindex at the same place */
}

static int attach(struct slot *sl, struct policy_shield *ps, enum shield_mode want, char *err,
		  size_t errlen)
{
	int ret = shield_attach(&sl->h, sl->ifname, want, &ps->rules, true, err, errlen);

	sl->attached = !ret;
	return ret;
}

static int apply_one(struct slot *sl, char *err, size_t errlen)
{
	enum shield_mode want = sl->next->targets.mode;
	int ret;

	if (sl->attached && !link_alive(sl)) {
		pr_warn("shield",
			"the shield on %s was detached behind the agent's back: attaching "
			"it again",
			sl->ifname);
		shield_close(&sl->h);
		sl->attached = false;
	}
	ret = sl->attached ? -EALREADY : shield_open_pinned(&sl->h, sl->ifname, err, errlen);
	if (ret == -EPROTO) {
		/* pinned by a vigil whose maps are laid out otherwise: replace it */
		pr_warn("shield", "%s: detaching it to attach this version's", err);
		shield_detach_pinned(sl->ifname, err, errlen);
	}
	if (!ret) {
		/* attached by `vigil shield attach` or by an agent that was killed */
		sl->attached = true;
		sl->cur = NULL;
		if (!link_alive(sl)) {
			/* pins of an interface that went away: clear them, attach afresh */
			detach(sl);
		} else if (want == SHIELD_MODE_NONE || want == sl->h.mode) {
			ret = shield_install(&sl->h.maps, &sl->next->rules, err, errlen);
			if (ret) {
				shield_close(&sl->h);
				sl->attached = false;
				return ret;
			}
			sl->step = STEP_TAKEN_OVER;
			return 0;
		}
	}
	if (!sl->attached) {
		ret = attach(sl, sl->next, want, err, errlen);
		if (!ret)
			sl->step = STEP_ATTACHED;
		return ret;
	}
	if (want == SHIELD_MODE_NONE || want == sl->h.mode) {
		ret = shield_install(&sl->h.maps, &sl->next->rules, err, errlen);
		if (!ret)
			sl->step = STEP_RELOADED;
		return ret;
	}
	/* another attach mode: only a new link gives it (the interface is open meanwhile) */
	detach(sl);
	ret = attach(sl, sl->next, want, err, errlen);
	if (!ret) {
		sl->step = STEP_REATTACHED;
		return 0;
	}
	if (sl->cur) {
		char again[SHIELD_ERR_LEN];

		if (attach(sl, sl->cur, sl->cur_mode, again, sizeof(again)))
			pr_warn("shield", "%s: could not put the old shield back: %s", sl->ifname,
				again);
	}
	return ret;
}

static void undo(struct slot *sl)
{
	char err[SHIELD_ERR_LEN];

	switch (sl->step) {
	case STEP_NONE:
		break;
	case STEP_RELOADED:
		if (shield_install(&sl->h.maps, &sl->cur->rules, err, sizeof(err)))
			pr_warn("shield", "%s: could not put the old rules back: %s", sl->ifname,
				err);
		break;
	case STEP_ATTACHED:
		detach(sl);
		break;
	case STEP_REATTACHED:
		detach(sl);
		if (sl->cur && attach(sl, sl->cur, sl->cur_mode, err, sizeof(err)))
			pr_warn("shield", "%s: could not put the old shield back: %s", sl->ifname,
				err);
		break;
	case STEP_TAKEN_OVER:
		/* its former rules are unknown to us: it keeps the new ones, and is not ours */
		pr_warn("shield",
			"%s keeps the rules of the rejected policy; it is no longer the "
			"agent's",
			sl->ifname);
		shield_close(&sl->h);
		sl->attached = false;
		break;
	}
	sl->step = STEP_NONE;
}

/* Forget slots that hold nothing. */
static void compact(struct agent_shields *sh)
{
	size_t n = 0;

	for (size_t i = 0; i < sh->n; i++)
		if (sh->slots[i].attached || sh->slots[i].cur)
			sh->slots[n++] = sh->slots[i];
	sh->n = n;
}

static struct slot *slot_for(struct agent_shields *sh, const char *ifname)
{
	struct slot *sl;

	for (size_t i = 0; i < sh->n; i++)
		if (!strcmp(sh->slots[i].ifname, ifname))
			return &sh->slots[i];
	sl = realloc(sh->slots, (sh->n + 1) * sizeof(*sl));
	if (!sl)
		return NULL;
	sh->slots = sl;
	sl = &sh->slots[sh->n++];
	memset(sl, 0, sizeof(*sl));
	snprintf(sl->ifname, sizeof(sl->ifname), "%s", ifname);
	return sl;
}

int agent_shields_apply(struct agent_shields *sh, const struct policy_set *s, struct diags *d)
{
	char err[SHIELD_ERR_LEN];
	int lock, ret = 0;

	for (size_t i = 0; i < sh->n; i++) {
		sh->slots[i].next = NULL;
		sh->slots[i].step = STEP_NONE;
	}
	for (size_t i = 0; i < s->n_policies; i++) {
		struct policy_shield *ps = s->policies[i]->shield;

		for (size_t j = 0; ps && j < ps->targets.n; j++) {
			struct slot *sl = slot_for(sh, ps->targets.ifaces[j].name);

			if (!sl) {
				diags_add(d, DIAG_ERROR, s->policies[i]->file, 0, 0,
					  "out of memory");
				compact(sh);
				return -ENOMEM;
			}
			sl->next = ps;
			sl->next_policy = s->policies[i];
			sl->line = ps->targets.ifaces[j].line;
			sl->col = ps->targets.ifaces[j].col;
		}
	}
	/* a missing interface fails the apply before any shield is touched */
	for (size_t i = 0; i < sh->n && !ret; i++) {
		struct slot *sl = &sh->slots[i];

		ret = sl->next ? shield_check_ifname(sl->ifname, NULL, err, sizeof(err)) : 0;
		if (ret)
			diags_add(d, DIAG_ERROR, sl->next_policy->file, sl->line, sl->col,
				  "shield on %s: %s", sl->ifname, err);
	}
	if (ret) {
		compact(sh);
		return ret;
	}
	lock = sh->n ? shield_lock() : -1;
	for (size_t i = 0; i < sh->n && !ret; i++) {
		struct slot *sl = &sh->slots[i];

		if (!sl->next)
			continue;
		ret = apply_one(sl, err, sizeof(err));
		if (ret) {
			diags_add(d, DIAG_ERROR, sl->next_policy->file, sl->line, sl->col,
				  "shield on %s: %s", sl->ifname, err);
			for (size_t j = 0; j < i; j++)
				undo(&sh->slots[j]);
		} else if (sl->step != STEP_RELOADED) {
			pr_info("shield", "%s %s in %s mode (policy %s)",
				sl->step == STEP_TAKEN_OVER ? "took over the shield on"
							    : "attached to",
				sl->ifname, shield_mode_name(sl->h.mode), sl->next_policy->name);
		}
	}
	shield_unlock(lock);
	compact(sh);
	return ret;
}

void agent_shields_commit(struct agent_shields *sh)
{
	int lock = sh->n ? shield_lock() : -1;

	for (size_t i = 0; i < sh->n; i++) {
		struct slot *sl = &sh->slots[i];

		if (!sl->next && sl->attached)
			pr_info("shield", "detached from %s: no policy names it now", sl->ifname);
		if (!sl->next)
			detach(sl);
		sl->cur = sl->next;
		sl->cur_policy = sl->next ? sl->next_policy->name : NULL;
		sl->cur_mode = sl->next ? sl->next->targets.mode : SHIELD_MODE_NONE;
		sl->next = NULL;
		sl->step = STEP_NONE;
	}
	shield_unlock(lock);
	compact(sh);
}

void agent_shields_each(const struct agent_shields *sh,
			void (*fn)(void *ctx, const char *ifname, const char *mode,
				   const char *policy),
			void *ctx)
{
	for (size_t i = 0; i < sh->n; i++)
		if (sh->slots[i].attached && sh->slots[i].cur)
			fn(ctx, sh->slots[i].ifname, shield_mode_name(sh->slots[i].h.mode),
			   sh->slots[i].cur_policy);
}

void agent_shields_each_maps(const struct agent_shields *sh,
			     void (*fn)(void *ctx, const char *ifname, const struct shield_maps *m),
			     void *ctx)
{
	for (size_t i = 0; i < sh->n; i++)
		if (sh->slots[i].attached && sh->slots[i].cur)
			fn(ctx, sh->slots[i].ifname, &sh->slots[i].h.maps);
}
