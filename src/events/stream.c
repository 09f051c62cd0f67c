// SPDX-License-Identifier: GPL-2.0
#include "events/stream.h"
#include "events/message.h"
#include "events/aggregate.h"
#include "events/pathmark.h"
#include "events/pipes.h"
#include "events/text.h"
#include "events/cgroup.h"
#include "core/log.h"
#include "vigil/ev_file.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_PROCTAB_CAPACITY 65536

struct stream {
	struct stream_config cfg;
	struct formatter fmt;
	struct proctab *procs;
	struct pipes *pipes;	      /* who feeds each new image's stdin */
	struct cgroup_names *cgroups; /* NULL without a cgroup2 mount */
	struct ring_buffer *ring;
	struct aggregate *agg;
	struct stream_stats stats;
	/* losses since the start; the kernel's counters as last read; those last reported */
	struct losses losses, kernel_losses, reported_losses;
	/* a poll's records so far and its deadline: a flood must not keep the main loop from
	 * turning (lost records, the control socket, the watchdog) */
	unsigned int batch;
	double batch_end;
	/* the last operation vigil's LSM program refused and reported: (thread, type) */
	__u32 refused_tid;
	unsigned int refused_type;
	/* a refused exec's image, shown as its caller's for that event */
	char refused_exe[PATH_MARK_LEN + VIGIL_PATH_MAX + 1];
	char refused_cwd[PATH_MARK_LEN + VIGIL_PATH_MAX + 1];
	/* the alert log's budget: lines in the current second, and those left out */
	__u64 alert_second;
	unsigned int alert_lines, alert_skipped;
	/* sinks: each line as JSON in memory, by the output's formatter or its own (text) */
	FILE *sink_mem;
	struct sink_line {
		char *p;
		size_t len, cap;
	} sink_line;
	struct formatter sink_fmt;
	bool sink_fmt_init;
};

/* stdio's write into the sinks' line buffer. */
static ssize_t sink_line_write(void *cookie, const char *buf, size_t size)
{
	struct sink_line *l = cookie;

	if (l->len + size > l->cap) {
		size_t cap = (l->len + size) * 2;
		char *p = realloc(l->p, cap);

		if (!p)
			return -1;
		l->p = p;
		l->cap = cap;
	}
	memcpy(l->p + l->len, buf, size);
	l->len += size;
	return size;
}

static int sinks_setup(struct stream *s)
{
	static const cookie_io_functions_t io = { .write = sink_line_write };

	s->sink_mem = fopencookie(&s->sink_line, "w", io);
	if (!s->sink_mem)
		return -errno;
	setvbuf(s->sink_mem, NULL, _IOFBF, 1 << 16);
	/* text output: a JSON formatter of its own, numbered as the output's lines */
	if (s->cfg.format != FORMAT_JSON) {
		formatter_init(&s->sink_fmt, FORMAT_JSON, s->sink_mem, false);
		s->sink_fmt_init = true;
	}
	return 0;
}

int stream_new(struct stream **out, const struct stream_config *cfg)
{
	struct stream *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	formatter_init(&s->fmt, cfg->format, cfg->out, cfg->colour);
	s->agg = aggregate_new();
	s->pipes = pipes_new();
	s->procs = proctab_new(cfg->proctab_capacity ? cfg->proctab_capacity
						     : DEFAULT_PROCTAB_CAPACITY);
	if (!s->procs || !s->agg || !s->pipes) {
		err = -ENOMEM;
		goto fail;
	}
	if (cfg->sinks) {
		err = sinks_setup(s);
		if (err)
			goto fail;
	}
	s->cgroups = cgroup_names_new();
	if (!s->cgroups)
		pr_warn("stream", "no cgroup2 mount: events will carry cgroup ids only");
	if (cfg->procfs) {
		err = proctab_seed(s->procs, cfg->procfs);
		if (err)
			pr_warn("stream",
				"cannot read %s (%s): processes started before vigil "
				"have no ancestry",
				cfg->procfs, strerror(-err));
	}
	*out = s;
	return 0;
fail:
	stream_free(s);
	return err;
}

void stream_free(struct stream *s)
{
	if (!s)
		return;
	ring_buffer__free(s->ring);
	formatter_free(&s->fmt);
	if (s->sink_fmt_init)
		formatter_free(&s->sink_fmt);
	if (s->sink_mem)
		fclose(s->sink_mem);
	free(s->sink_line.p);
	aggregate_free(s->agg);
	cgroup_names_free(s->cgroups);
	proctab_free(s->procs);
	pipes_free(s->pipes);
	free(s);
}

/* How long one poll handles records at most: the rest waits for the next turn of the loop. */
#define POLL_BUDGET_S 0.1
/* The clock is read every this many records. */
#define POLL_CLOCK_EVERY 64

static double coarse_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int ring_callback(void *ctx, void *data, size_t size)
{
	struct stream *s = ctx;

	stream_handle_record(s, data, size);
	/* the record is consumed; an error ends the poll (libbpf hands it back) */
	if (++s->batch % POLL_CLOCK_EVERY == 0 && coarse_now_s() >= s->batch_end)
		return -EAGAIN;
	return 0;
}

int stream_attach_ringbuf(struct stream *s, int ringbuf_fd)
{
	s->ring = ring_buffer__new(ringbuf_fd, ring_callback, s, NULL);
	return s->ring ? 0 : -errno;
}

static void view_init(struct stream *s, struct event_view *v, const struct event *ev,
		      struct proc *proc)
{
	v->ev = ev;
	v->proc = proc;
	v->parent = proctab_lookup(s->procs, ev->task->ppid);
	v->stdin = ev->type == VIGIL_EV_EXEC && !(ev->flags & VIGIL_EXEC_DENIED)
			   ? pipes_writer(s->pipes, s->procs, ev)
			   : NULL;
	v->procs = s->procs;
	v->cgroup = s->cgroups ? cgroup_names_get(s->cgroups, ev->task->cgroup_id) : NULL;
	v->proctab_gen = proctab_generation(s->procs);
}

/* At most this many alert lines a second: a flood of alerts must not flood the journal. */
#define ALERT_LOG_PER_S 10

/* "vigil: alert: [killed high rule-id] message": one line for the agent's log. */
static void log_alert(struct stream *s, const struct event_view *v)
{
	__u64 second = v->ev->time_ns / 1000000000ull;
	char message[MESSAGE_MAX];
	size_t len;

	if (second != s->alert_second) {
		if (s->alert_skipped)
			fprintf(s->cfg.alert_log,
				"vigil: alert: %u more alerts in that second, in the events file "
				"only\n",
				s->alert_skipped);
		s->alert_second = second;
		s->alert_lines = s->alert_skipped = 0;
	}
	if (s->alert_lines++ >= ALERT_LOG_PER_S) {
		s->alert_skipped++;
		return;
	}
	len = event_message(message, sizeof(message), v,
			    formatter_user(&s->fmt, v->ev->task->uid, v->ev->time_ns));
	fprintf(s->cfg.alert_log, "vigil: alert: [%s %s %s] ", v->verdict->action,
		v->verdict->severity, v->verdict->rule_id);
	text_bytes(s->cfg.alert_log, message, len);
	fputc('\n', s->cfg.alert_log);
}

/* An event's line (@v), or a lost record's (@v NULL). */
static void format_line(struct formatter *f, const struct event_view *v, __u64 boot_ns,
			const struct losses *lost, __u64 lost_total)
{
	if (v)
		format_event(f, v);
	else
		format_lost(f, boot_ns, lost, lost_total);
}

/*
 * Write a line to the output and make it as JSON for the sinks, in s->sink_line: a JSON
 * output's line is made once, in memory, and copied to the output; a text output's is made
 * again as JSON, with the same seq. Returns the JSON line's length without its newline.
 */
static size_t format_for_sinks(struct stream *s, const struct event_view *v, __u64 boot_ns,
			       const struct losses *lost, __u64 lost_total)
{
	s->sink_line.len = 0;
	if (s->sink_fmt_init) {
		format_line(&s->fmt, v, boot_ns, lost, lost_total);
		s->sink_fmt.seq = s->fmt.seq - 1;
		format_line(&s->sink_fmt, v, boot_ns, lost, lost_total);
		fflush(s->sink_mem);
	} else {
		s->fmt.out = s->sink_mem;
		format_line(&s->fmt, v, boot_ns, lost, lost_total);
		fflush(s->sink_mem);
		s->fmt.out = s->cfg.out;
		fwrite(s->sink_line.p, 1, s->sink_line.len, s->cfg.out);
	}
	return s->sink_line.len && s->sink_line.p[s->sink_line.len - 1] == '\n'
		       ? s->sink_line.len - 1
		       : s->sink_line.len;
}

/* The line of @v to the sinks, with what they may filter on. */
static void publish_event(struct stream *s, const struct event_view *v, size_t len)
{
	const struct event *ev = v->ev;
	struct sink_record r = {
		.json = s->sink_line.p,
		.len = len,
		.seq = s->fmt.seq,
		.type = event_type_name(ev->type) ?: "unknown",
		.severity = v->verdict ? v->verdict->severity : NULL,
		.rule_id = v->verdict ? v->verdict->rule_id : NULL,
		.pid = ev->task->pid,
	};
	char message[MESSAGE_MAX];
	__s64 sec;
	long nsec;

	wallclock_real(&s->fmt.clock, ev->time_ns, &sec, &nsec);
	r.time = (struct timespec){ .tv_sec = sec, .tv_nsec = nsec };
	if (sinks_want_message(s->cfg.sinks)) {
		if (v->verdict)
			event_message(message, sizeof(message), v,
				      formatter_user(&s->fmt, ev->task->uid, ev->time_ns));
		else
			snprintf(message, sizeof(message), "%s by %s (pid %d)", r.type,
				 v->proc && *v->proc->exe ? v->proc->exe : ev->task->comm,
				 (int)ev->task->pid);
		r.message = message;
	}
	sinks_publish(s->cfg.sinks, &r);
}

static void write_event(struct stream *s, const struct event_view *v)
{
	if (!s->cfg.sinks)
		format_event(&s->fmt, v);
	else
		publish_event(s, v, format_for_sinks(s, v, 0, NULL, 0));
}

/*
 * Write @ev if the filter or a rule wants it; with @summary_of, as that open was. Returns
 * whether a rule matched.
 */
static bool show_event(struct stream *s, const struct event *ev, struct proc *proc,
		       const struct event_verdict **summary_of)
{
	struct event_view view = { 0 };
	bool shown;

	view_init(s, &view, ev, proc);
	if (summary_of)
		view.verdict = *summary_of;
	else if (s->cfg.judge)
		view.verdict = s->cfg.judge(s->cfg.judge_ctx, &view);
	shown = view.verdict ||
		((!s->cfg.judge || s->cfg.show_unmatched) && filter_match(&s->cfg.filter, ev));
	if (!summary_of)
		aggregate_note_outcome(s->agg, ev, shown, view.verdict);
	if (!shown)
		return false;
	write_event(s, &view);
	if (view.verdict && !summary_of && s->cfg.alert_log)
		log_alert(s, &view);
	/* a summary is a count, not a record seen: "shown" never exceeds "seen" */
	if (summary_of)
		s->stats.summaries++;
	else
		s->stats.written++;
	s->stats.folded += ev->repeats;
	return view.verdict;
}

/*
 * A held reader's exec (@record), judged again now that a writer is known: shown on a match.
 * Returns whether it is done with (matched, or its process has moved on).
 */
static bool judge_reader_again(struct stream *s, const void *record, size_t size)
{
	struct event_view view = { 0 };
	struct proc *proc;
	struct event ev;

	if (event_decode(record, size, &ev))
		return true;
	proc = proctab_lookup(s->procs, ev.task->pid);
	if (!proc || proc->exec_time != ev.time_ns)
		return true; /* it runs another image now, or is gone */
	view_init(s, &view, &ev, proc);
	if (!view.stdin || !(view.verdict = s->cfg.judge(s->cfg.judge_ctx, &view)))
		return false;
	write_event(s, &view);
	if (s->cfg.alert_log)
		log_alert(s, &view);
	s->stats.written++;
	return true;
}

/*
 * The two ends of a pipeline exec in either order, and a pipe may have several writers in
 * turn ((sleep 1; base64 -d f) | sh). A reader no rule matched is held: when a writer's exec
 * (@ev) arrives, the reader is judged again with it and written if a rule matches then.
 * Holding the first judgement back instead would delay the line of every exec reading a pipe
 * that no exec ever writes (a shell builtin's).
 */
static void link_pipes(struct stream *s, const struct event *ev, bool matched)
{
	const void *record;
	size_t cursor = 0, size;

	if (!s->cfg.judge || ev->type != VIGIL_EV_EXEC || (ev->flags & VIGIL_EXEC_DENIED))
		return;
	if (!matched && ev->stdin_ino)
		pipes_hold_reader(s->pipes, ev);
	while ((record = pipes_held_reader(s->pipes, ev, &cursor, &size)))
		if (judge_reader_again(s, record, size))
			pipes_drop_reader(s->pipes, cursor);
}

/* A summary of opens folded after the last one reported (events/aggregate.h). */
static void show_summary(void *ctx, const void *record, size_t size, __u64 repeats, bool shown,
			 const struct event_verdict *verdict)
{
	struct stream *s = ctx;
	struct event ev;

	if (!shown || event_decode(record, size, &ev))
		return;
	/*
	 * fanotify's refusals the kernel folded had no record to stand for them: the agent
	 * reported each one itself (agent/refusals.c), so a count of them would be a repeat.
	 */
	if (verdict && verdict->mechanism && !strcmp(verdict->mechanism, "fanotify"))
		return;
	ev.repeats = repeats;
	show_event(s, &ev, proctab_lookup(s->procs, ev.task->pid), &verdict);
}

int stream_flush_aggregates(struct stream *s, int map_fd, __u64 window_ns)
{
	struct timespec now;

	clock_gettime(CLOCK_BOOTTIME, &now);
	return aggregate_flush(s->agg, map_fd, (__u64)now.tv_sec * 1000000000 + now.tv_nsec,
			       window_ns, show_summary, s);
}

/*
 * Is @ev the file sensor's record of an operation that vigil's LSM program refused and already
 * reported (with the object it resolved)? It follows that report on the same thread.
 */
static bool repeats_refusal(struct stream *s, const struct event *ev)
{
	bool repeat = false;

	if (ev->type >= VIGIL_EV_FILE_FIRST && ev->type <= VIGIL_EV_FILE_LAST) {
		const struct vigil_file_event *r = ev->raw;

		if (ev->flags & VIGIL_FILE_DENIED) {
			s->refused_tid = ev->task->tid;
			s->refused_type = ev->type;
			return false;
		}
		repeat = s->refused_tid == ev->task->tid && s->refused_type == ev->type &&
			 r->result == -EPERM;
	}
	if (s->refused_tid == ev->task->tid)
		s->refused_tid = 0;
	return repeat;
}

/*
 * A refused exec: the caller keeps its image, so the table is left alone; the event shows the
 * caller as running the file it tried to run.
 */
static struct proc *refused_image(struct stream *s, const struct event *ev, struct proc *tmp)
{
	struct proc *caller = proctab_lookup(s->procs, ev->task->pid);

	*tmp = caller ? *caller
		      : (struct proc){ .pid = ev->task->pid,
				       .ppid = ev->task->ppid,
				       .exec_time = ev->task->start_ns,
				       .parent_exec_time = ev->task->parent_start_ns };
	tmp->exe_truncated = ev->flags & VIGIL_EXEC_EXE_TRUNCATED;
	tmp->cwd_truncated = ev->flags & VIGIL_EXEC_CWD_TRUNCATED;
	path_mark(s->refused_exe, sizeof(s->refused_exe), ev->exe, ev->exe_len, tmp->exe_truncated);
	path_mark(s->refused_cwd, sizeof(s->refused_cwd), ev->cwd, ev->cwd_len, tmp->cwd_truncated);
	memcpy(tmp->comm, ev->task->comm, sizeof(tmp->comm));
	tmp->exe = s->refused_exe;
	tmp->cwd = s->refused_cwd;
	tmp->args = NULL;
	tmp->args_len = 0;
	tmp->args_truncated = false;
	return tmp;
}

int stream_handle_record(struct stream *s, const void *data, size_t size)
{
	struct proc *proc = NULL, refused;
	struct event ev;

	s->stats.records++;
	if (event_decode(data, size, &ev)) {
		s->stats.malformed++;
		pr_debug("stream", "malformed record of %zu bytes dropped", size);
		return -EINVAL;
	}
	if (ev.type < VIGIL_EV_TYPE_MAX)
		s->stats.by_type[ev.type]++;
	/* The table follows every process, whatever the filter shows. */
	if (repeats_refusal(s, &ev))
		return 0;
	switch (ev.type) {
	case VIGIL_EV_EXEC:
		if (ev.flags & VIGIL_EXEC_DENIED)
			proc = refused_image(s, &ev, &refused);
		else if ((proc = proctab_exec(s->procs, &ev)))
			pipes_note_writer(s->pipes, &ev, proc);
		break;
	case VIGIL_EV_FORK:
		proc = proctab_fork(s->procs, &ev);
		break;
	default:
		proc = proctab_lookup(s->procs, ev.task->pid);
		break;
	}
	ev.repeats = aggregate_on_event(s->agg, &ev, show_summary, s);
	link_pipes(s, &ev, show_event(s, &ev, proc, NULL));
	if (ev.type == VIGIL_EV_EXIT)
		proctab_remove(s->procs, ev.task->pid);
	return 0;
}

int stream_poll(struct stream *s, int timeout_ms)
{
	__u64 before = s->stats.records;
	int n;

	s->batch = 0;
	s->batch_end = coarse_now_s() + timeout_ms / 1000.0 + POLL_BUDGET_S;
	n = ring_buffer__poll(s->ring, timeout_ms);
	/* The kernel wakes us only for large batches: take what is queued after each wait. */
	if (n >= 0)
		n = ring_buffer__consume(s->ring);
	if (n >= 0 || n == -EAGAIN)
		n = s->stats.records - before;

	/*
	 * One flush per batch: lines reach a pipe or file promptly without a write per event. A
	 * write that fails is the output's to count and report (sinks/output.h), not the stream's.
	 */
	fflush(s->cfg.out);
	sinks_kick(s->cfg.sinks);
	return n;
}

void stream_update_losses(struct stream *s, const struct losses *now)
{
	struct losses since;
	struct timespec ts;
	__u64 boot_ns;

	losses_accumulate(&s->losses, &s->kernel_losses, now);
	s->kernel_losses = *now;
	if (s->losses.total <= s->reported_losses.total)
		return;
	losses_since(&s->losses, &s->reported_losses, &since);
	clock_gettime(CLOCK_BOOTTIME, &ts);
	boot_ns = (__u64)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (!s->cfg.sinks) {
		format_lost(&s->fmt, boot_ns, &since, s->losses.total);
	} else {
		char message[128];
		struct sink_record r = { .type = "lost", .message = message };
		__s64 sec;
		long nsec;

		r.len = format_for_sinks(s, NULL, boot_ns, &since, s->losses.total);
		r.json = s->sink_line.p;
		r.seq = s->fmt.seq;
		wallclock_real(&s->fmt.clock, boot_ns, &sec, &nsec);
		r.time = (struct timespec){ .tv_sec = sec, .tv_nsec = nsec };
		snprintf(message, sizeof(message), "%llu events lost in the kernel (%llu in all)",
			 (unsigned long long)since.total, (unsigned long long)s->losses.total);
		sinks_publish(s->cfg.sinks, &r);
	}
	s->reported_losses = s->losses;
	s->stats.lost = s->losses.total;
}

const struct losses *stream_losses(const struct stream *s)
{
	return &s->losses;
}

void stream_stats_by_type(const struct stream_stats *st, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int t = 0; t < VIGIL_EV_TYPE_MAX && used < len; t++)
		if (st->by_type[t])
			used += snprintf(buf + used, len - used, "%s%s %llu", used ? ", " : "",
					 event_type_name(t), (unsigned long long)st->by_type[t]);
}

const struct stream_stats *stream_stats(const struct stream *s)
{
	return &s->stats;
}

struct proctab *stream_proctab(struct stream *s)
{
	return s->procs;
}
