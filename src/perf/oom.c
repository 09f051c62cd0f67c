// SPDX-License-Identifier: GPL-2.0
/* OOM kills from oom:mark_victim: load the typed program or its raw_tp twin, collect records. */
#include "perf/oom.h"
#include "core/cgroup.h"
#include "core/log.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oom.skel.h"

struct oom_session {
	struct oom_bpf *skel;
	struct ring_buffer *rb;
	bool raw_tp;
	/* what oom_read collects */
	struct vigil_oom_kill *kills;
	size_t n, cap;
	int err;
};

/* Does mark_victim pass the task (task, uid: 6.8 and later), not only a pid? */
static bool victim_has_task(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	bool ok = false;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "btf_trace_mark_victim", BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	/* a typedef of a pointer to the prototype (void *ctx, task, uid) */
	if (t)
		t = btf__type_by_id(btf, t->type);
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);
	ok = t && btf_is_func_proto(t) && btf_vlen(t) == 3;
	btf__free(btf);
	return ok;
}

static int on_kill(void *ctx, void *data, size_t size)
{
	struct oom_session *s = ctx;
	struct vigil_oom_kill *grown;

	if (size < sizeof(*s->kills))
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		grown = realloc(s->kills, s->cap * sizeof(*s->kills));
		if (!grown) {
			s->err = -ENOMEM;
			return -ENOMEM;
		}
		s->kills = grown;
	}
	memcpy(&s->kills[s->n++], data, sizeof(*s->kills));
	return 0;
}

static int open_load(const struct oom_config *cfg, const struct vigil_deny_scope *scope, bool raw,
		     struct oom_bpf **out)
{
	struct oom_bpf *skel = oom_bpf__open();
	int ret;

	if (!skel)
		return -errno;
	bpf_program__set_autoload(raw ? skel->progs.mark_victim_btf : skel->progs.mark_victim_raw,
				  false);
	skel->rodata->targ_tgid = cfg->tgid;
	skel->rodata->targ_cgroup = scope->cgroup_id;
	skel->rodata->targ_cgroup_level = scope->level;
	ret = oom_bpf__load(skel);
	if (!ret)
		ret = oom_bpf__attach(skel);
	if (ret) {
		oom_bpf__destroy(skel);
		return ret < 0 ? ret : -EINVAL;
	}
	*out = skel;
	return 0;
}

int oom_open(const struct oom_config *cfg, struct oom_session **out)
{
	struct vigil_deny_scope scope = { 0 };
	struct oom_session *s;
	int ret;

	if (cfg->cgroup) {
		ret = cgroup_scope(cfg->cgroup, &scope);
		if (ret)
			return ret;
	}
	if (!victim_has_task())
		return -EOPNOTSUPP;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = cfg->raw_tp ? -ENOTSUP : open_load(cfg, &scope, false, &s->skel);
	if (ret) {
		pr_debug("oom", "typed tracepoint not used (%s), trying raw_tp", strerror(-ret));
		s->raw_tp = true;
		ret = open_load(cfg, &scope, true, &s->skel);
	}
	if (ret)
		goto fail;
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.kills), on_kill, s, NULL);
	if (!s->rb) {
		ret = -errno;
		oom_bpf__destroy(s->skel);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	free(s);
	return ret;
}

const char *oom_mode(const struct oom_session *s)
{
	return s->raw_tp ? "raw_tp" : "tp_btf";
}

int oom_read(struct oom_session *s, struct vigil_oom_kill **kills, size_t *n)
{
	int ret = ring_buffer__consume(s->rb);

	if (s->err)
		ret = s->err;
	if (ret < 0) {
		s->err = 0;
		return ret;
	}
	*kills = s->kills;
	*n = s->n;
	s->kills = NULL;
	s->n = s->cap = 0;
	return 0;
}

uint64_t oom_lost(const struct oom_session *s)
{
	return s->skel->bss->lost;
}

void oom_close(struct oom_session *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	oom_bpf__destroy(s->skel);
	free(s->kills);
	free(s);
}
