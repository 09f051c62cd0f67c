// SPDX-License-Identifier: GPL-2.0
/*
 * Aligned columns for people. Everything a process controls (comm, paths, argv) is printed
 * with control and invalid bytes as \xNN: a hostile argv must not drive the terminal.
 */
#include "events/format.h"
#include "events/family.h"
#include "events/message.h"
#include "events/text.h"

#include <inttypes.h>
#include <signal.h>
#include <string.h>

#define C_RESET	 "\033[0m"
#define C_DIM	 "\033[2m"
#define C_GREEN	 "\033[32m"
#define C_BLUE	 "\033[34m"
#define C_RED	 "\033[31m"
#define C_YELLOW "\033[33m"

static void text_args(FILE *out, const struct proc *p)
{
	for (size_t i = 0; i < p->args_len;) {
		const char *end = memchr(p->args + i, '\0', p->args_len - i);
		size_t n = end ? (size_t)(end - (p->args + i)) : p->args_len - i;

		fputc(' ', out);
		text_arg(out, p->args + i, n);
		i += n + 1;
	}
	if (p->args_truncated)
		fputs(" ...", out);
}

/* exec: " [deleted,stdio_socket]" after the exe: its VIGIL_EXE_* flags, when any */
static void text_exe_flags(FILE *out, __u16 flags)
{
	static const char *const names[] = VIGIL_EXE_FLAG_NAMES;
	char sep = '[';

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & (1u << i)) {
			fprintf(out, "%s%c%s", sep == '[' ? " " : "", sep, names[i]);
			sep = ',';
		}
	}
	if (sep != '[')
		fputc(']', out);
}

static const char *type_colour(const struct event *ev)
{
	switch (ev->type) {
	case VIGIL_EV_EXEC:
		return C_GREEN;
	case VIGIL_EV_FORK:
		return C_BLUE;
	case VIGIL_EV_EXIT:
		return ev->status ? C_RED : C_DIM;
	default:
		return C_YELLOW; /* file, network, privilege and kernel events */
	}
}

static void text_header(struct formatter *f)
{
	if (f->header_done)
		return;
	f->header_done = true;
	fprintf(f->out, "%s%-12s %-8s %7s %7s %5s %-16s %s%s\n", f->colour ? C_DIM : "", "TIME",
		"EVENT", "PID", "PPID", "UID", "COMM", "DETAILS", f->colour ? C_RESET : "");
}

static void text_exit_details(FILE *out, const struct event *ev)
{
	unsigned int sig = ev->status & 0x7f;

	if (sig && sigabbrev_np(sig))
		fprintf(out, "signal=SIG%s%s", sigabbrev_np(sig),
			(ev->status & 0x80) ? " (core dumped)" : "");
	else if (sig)
		fprintf(out, "signal=%u", sig);
	else
		fprintf(out, "code=%u", (ev->status >> 8) & 0xff);
	fprintf(out, " after %.3fs", (double)ev->duration_ns / 1e9);
}

/* "  [alert high rule-id]", and the message on a line of its own under the columns */
static void text_verdict(struct formatter *f, const struct event_view *v)
{
	char message[MESSAGE_MAX];
	size_t len = event_message(message, sizeof(message), v,
				   formatter_user(f, v->ev->task->uid, v->ev->time_ns));

	fprintf(f->out, "  %s[%s %s %s]%s\n%13s", f->colour ? C_RED : "", v->verdict->action,
		v->verdict->severity, v->verdict->rule_id, f->colour ? C_RESET : "", "");
	text_bytes(f->out, message, len);
}

void format_text_event(struct formatter *f, const struct event_view *v)
{
	const struct event *ev = v->ev;
	const struct vigil_task *t = ev->task;
	FILE *out = f->out;
	char time[32];

	text_header(f);
	wallclock_local_hms(&f->clock, ev->time_ns, time, sizeof(time));
	fprintf(out, "%-12s %s%-8s%s %7" PRIu32 " %7" PRIu32 " %5" PRIu32 " ", time,
		f->colour ? type_colour(ev) : "", event_type_name(ev->type),
		f->colour ? C_RESET : "", t->pid, t->ppid, t->uid);
	text_bytes(out, t->comm, strnlen(t->comm, sizeof(t->comm)));
	fprintf(out, "%*s ", (int)(16 - strnlen(t->comm, sizeof(t->comm))), "");

	switch (ev->type) {
	case VIGIL_EV_EXEC:
		if (v->proc) {
			text_bytes(out, v->proc->exe, strlen(v->proc->exe));
			text_exe_flags(out, ev->exe_flags);
			text_args(out, v->proc);
		}
		break;
	case VIGIL_EV_FORK:
		fprintf(out, "from %" PRIu32, t->ppid);
		if (v->parent) {
			fputs(" (", out);
			text_bytes(out, v->parent->exe, strlen(v->parent->exe));
			fputc(')', out);
		}
		break;
	case VIGIL_EV_EXIT:
		text_exit_details(out, ev);
		break;
	default:
		if (event_family_of(ev->type))
			event_family_of(ev->type)->text(out, ev);
		break;
	}
	if (v->verdict)
		text_verdict(f, v);
	fputc('\n', out);
}

void format_text_lost(struct formatter *f, __u64 boot_ns, const struct losses *since, __u64 total)
{
	char time[32], types[256];
	FILE *out = f->out;

	text_header(f);
	wallclock_local_hms(&f->clock, boot_ns, time, sizeof(time));
	fprintf(out,
		"%-12s %sLOST     %" PRIu64 " events (%" PRIu64 " in all): %" PRIu64
		" over a uid's budget, %" PRIu64 " the ring buffer was full; %s",
		time, f->colour ? C_YELLOW : "", (uint64_t)since->total, (uint64_t)total,
		(uint64_t)losses_throttled(since), (uint64_t)losses_ring_full(since),
		losses_types_text(since, 4, types, sizeof(types)));
	for (size_t i = 0; i < since->n_uids && i < 4; i++) {
		const struct uid_losses *u = &since->uids[i];
		const char *name = formatter_user(f, u->uid, boot_ns);

		if (u->uid == LOSSES_OTHER_UIDS)
			fprintf(out, "%s other uids %" PRIu64,
				i ? "," : "; by uid:", (uint64_t)(u->throttled + u->ring_full));
		else
			fprintf(out, "%s %u%s%s%s %" PRIu64, i ? "," : "; by uid:", u->uid,
				name ? " (" : "", name ? name : "", name ? ")" : "",
				(uint64_t)(u->throttled + u->ring_full));
	}
	fprintf(out, "%s\n", f->colour ? C_RESET : "");
}
