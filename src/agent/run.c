// SPDX-License-Identifier: GPL-2.0
#include "agent/run.h"
#include "agent/control.h"
#include "agent/guard.h"
#include "agent/notify.h"
#include "agent/sandbox.h"
#include "cli/cli.h"
#include "core/control.h"
#include "core/log.h"
#include "sensors/sensor.h"
#include "sensors/sensors.h"
#include "sinks/output.h"
#include "vigil/ev_file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 100
/* Wake the consumer for 1 MiB of pending records; otherwise it polls every POLL_MS. */
#define WAKEUP_BYTES (1 << 20)

static volatile sig_atomic_t stop_signal, hangup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hangup = 1;
	else
		stop_signal = sig;
}

/* A terminal gets stdio's line by line; a file or pipe, blocks of a MiB (sinks/output.h). */
static int open_output(struct run_options *a, bool *out_tty)
{
	int fd = STDOUT_FILENO, err;

	if (a->output) {
		fd = open(a->output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
	}
	*out_tty = isatty(fd);
	if (!*out_tty)
		a->cfg.out = output_open(fd, a->output);
	else
		a->cfg.out = a->output ? fdopen(fd, "a") : stdout;
	if (!a->cfg.out) {
		err = -errno;
		if (a->output)
			close(fd);
		return err;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a signal must interrupt the wait for records. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

#define PATH_WATCH_BITS (VIGIL_WATCH_ALL | VIGIL_WATCH_PATH | VIGIL_WATCH_BELOW_PATH)

int run_main(struct run_options *o)
{
	struct sensors_opts sopts = { .wakeup_bytes = WAKEUP_BYTES };
	struct agent *agent = NULL;
	struct agent_status_ctx status = { 0 };
	struct control *control = NULL;
	struct agent_guard guard = { 0 };
	struct watch_entry trace_watches[FILTER_MAX_ITEMS];
	struct sensors *sensors = NULL;
	struct stream *stream = NULL;
	struct sandbox sb = { 0 };
	struct notify_watchdog watchdog;
	int child_status = 0;
	const struct stream_stats *st;
	double deadline = 0, next_flush, next_refresh;
	int agg_fd;
	char what[256];
	__u64 lost;
	bool out_tty = false;
	int err, ret = EXIT_RUNTIME;

	err = open_output(o, &out_tty);
	if (err) {
		pr_err(o->name, "cannot open %s: %s", o->output ? o->output : "standard output",
		       strerror(-err));
		goto out;
	}
	if (!o->format_set)
		o->cfg.format = out_tty ? FORMAT_TEXT : FORMAT_JSON;
	o->cfg.colour = o->colour == -1 ? out_tty && !getenv("NO_COLOR") : o->colour;
	o->cfg.procfs = "/proc";
	sopts.ring_bytes = o->ring_bytes;
	sopts.types = o->cfg.filter.type_mask;
	sopts.named_types = o->cfg.filter.type_mask;
	/* Every open on a busy host is a flood: opens come when named or watched. */
	if (!sopts.types && !o->cfg.filter.n_paths)
		sopts.types = ~0ull & ~EVENT_BIT(VIGIL_EV_OPEN);
	/* --path: any access, marked so that its opens say so beside the rules' own watches */
	for (size_t i = 0; i < o->cfg.filter.n_paths; i++)
		trace_watches[i] = (struct watch_entry){ .path = o->cfg.filter.paths[i],
							 .bits = PATH_WATCH_BITS };
	sopts.watches = trace_watches;
	sopts.n_watches = o->cfg.filter.n_paths;
	if (o->policies) {
		/* Every sensor runs, so that a reload can bring rules on any event type; opens
		 * come only as the rules' watch list asks. Events no rule matched are shown
		 * only when traced with --events or --path. */
		o->agent.trace_watches = trace_watches;
		o->agent.n_trace_watches = o->cfg.filter.n_paths;
		if (o->sandbox) {
			err = sandbox_create(&sb);
			if (err) {
				pr_err(o->name, "cannot create the sandbox's cgroup: %s%s",
				       strerror(-err),
				       err == -EACCES || err == -EPERM ? " (run as root)" : "");
				ret = err == -EACCES || err == -EPERM ? EX_NOPERM : EXIT_RUNTIME;
				goto out;
			}
			o->agent.scope = sb.scope;
		}
		if (agent_new(&agent, &o->agent)) {
			pr_err(o->name, "the policies have errors (above): nothing was started");
			ret = EX_CONFIG;
			goto out;
		}
		/* a sandbox answers nobody: it ends with its command */
		err = o->sandbox ? 0
				 : control_open(&control, control_path(), agent_control_handle,
						&status);
		if (err == -EADDRINUSE) {
			pr_err(o->name, "another vigil agent is running (%s answers)",
			       control_path());
			goto out;
		}
		if (err)
			pr_warn(o->name,
				"no control socket (%s): vigil status and policy apply will not "
				"reach this agent",
				strerror(-err));
		agent_watches(agent, &sopts.watches, &sopts.n_watches);
		sopts.watch = true;
		sopts.types = ~0ull;
		o->cfg.judge = policy_engine_judge;
		o->cfg.judge_ctx = agent_engine(agent);
		o->cfg.show_unmatched = o->cfg.filter.type_mask || o->cfg.filter.n_paths;
	}
	sopts.file_access = o->cfg.filter.access;
	sopts.agg_window_ns = o->aggregate_s * 1e9;
	if (o->ring_bytes && o->ring_bytes / 2 < sopts.wakeup_bytes)
		sopts.wakeup_bytes = o->ring_bytes / 2;

	err = sensors_start(&sensors, &sopts);
	if (err) {
		pr_err(o->name, "%s", sensors_strerror(err));
		ret = err == -EPERM					       ? EX_NOPERM
		      : err == -ENOENT || err == -EOPNOTSUPP || err == -EACCES ? EX_UNAVAILABLE
									       : EXIT_RUNTIME;
		goto out;
	}
	/* Seed the process table after attaching, so no process falls in between. */
	err = stream_new(&stream, &o->cfg);
	if (!err)
		err = stream_attach_ringbuf(stream, sensors_ringbuf_fd(sensors));
	if (err) {
		pr_err(o->name, "cannot set up the event stream: %s", strerror(-err));
		goto out;
	}
	install_signals();
	if (agent) {
		agent_attach(agent, sensors);
		/* After every BPF object of the agent is made: the guard protects them all. A
		 * sandbox ends with its command and has no control socket: it is not guarded. */
		if (!o->sandbox)
			agent_guard_start(&guard, !o->no_guard);
		status = (struct agent_status_ctx){ .agent = agent,
						    .stream = stream,
						    .pid = getpid(),
						    .started_s = now_s(),
						    .guard = &guard };
	}
	sensors_describe(sensors, what, sizeof(what));
	pr_info(o->name, "watching %s events%s; Ctrl-C to stop", what,
		o->output ? ", writing to the output file" : "");
	if (agent) {
		const struct policy_set *ps = policy_engine_set(agent_engine(agent));

		notify_ready("watching %s events; %zu policies, %zu rules in force; %s", what,
			     ps->n_policies, ps->n_rules, guard.state);
	} else {
		notify_ready("watching %s events", what);
	}
	if (o->sandbox) {
		err = sandbox_spawn(&sb, o->command);
		if (err) {
			pr_err(o->name, "cannot run %s: %s", o->command[0], strerror(-err));
			ret = err == -ENOENT ? 127 : 126;
			goto out;
		}
		pr_info(o->name, "running %s in cgroup %s", o->command[0], sb.scope);
	}
	if (o->duration > 0)
		deadline = now_s() + o->duration;
	agg_fd = sopts.agg_window_ns ? sensors_map_fd(sensors, "open_agg") : -1;
	next_flush = now_s() + 1;
	next_refresh = now_s() + WATCH_REFRESH_S;
	notify_watchdog_init(&watchdog);
	while (!stop_signal && !status.stop && (!deadline || now_s() < deadline)) {
		if (sb.pid && waitpid(sb.pid, &child_status, WNOHANG) == sb.pid) {
			sb.pid = 0;
			break;
		}
		err = stream_poll(stream, POLL_MS);
		if (err < 0 && err != -EINTR) {
			pr_err(o->name, "writing events failed: %s", strerror(-err));
			goto out;
		}
		if (!sensors_lost(sensors, &lost))
			stream_update_lost(stream, lost);
		if (agent) {
			bool hup = hangup;

			hangup = 0;
			agent_tick(agent, hup);
			agent_guard_tick(&guard);
			if (control)
				control_serve(control);
		}
		/* the agent follows its own list; a trace's --path files are followed here */
		if (!agent && sopts.n_watches && now_s() >= next_refresh) {
			sensors_set_watches(sensors, sopts.watches, sopts.n_watches);
			next_refresh = now_s() + WATCH_REFRESH_S;
		}
		if (agg_fd >= 0 && now_s() >= next_flush) {
			stream_flush_aggregates(stream, agg_fd, sopts.agg_window_ns);
			next_flush = now_s() + 1;
		}
		notify_watchdog_tick(&watchdog);
	}
	notify_stopping();
	if (status.stop)
		pr_info(o->name, "stopping: asked to over the control socket (vigil stop)");
	if (sb.pid) {
		/* stopped from outside: the command goes too (what it left, with the cgroup) */
		kill(sb.pid, SIGKILL);
		waitpid(sb.pid, &child_status, 0);
		sb.pid = 0;
	}
	/*
	 * Drain what is queued, report every folded open, account for every loss. Detached
	 * first: on a busy host events would keep coming and the drain would never end.
	 */
	sensors_detach(sensors);
	while ((err = stream_poll(stream, 0)) > 0)
		;
	if (agg_fd >= 0)
		stream_flush_aggregates(stream, agg_fd, 0);
	if (!sensors_lost(sensors, &lost))
		stream_update_lost(stream, lost);
	fflush(o->cfg.out);
	st = stream_stats(stream);
	pr_info(o->name, "%llu events seen, %llu shown, %llu lost%s",
		(unsigned long long)st->records, (unsigned long long)st->written,
		(unsigned long long)st->lost, st->malformed ? " (and some malformed)" : "");
	if (agent) {
		const struct policy_engine_stats *ps = policy_engine_stats(agent_engine(agent));

		pr_info(o->name,
			"%llu events matched a rule; %llu operations denied, %llu "
			"processes killed",
			(unsigned long long)ps->alerts, (unsigned long long)ps->denied,
			(unsigned long long)ps->kills);
	}
	ret = err < 0 && err != -EINTR ? EXIT_RUNTIME : 0;
	if (o->sandbox) {
		/* the command's status, as a shell would give it */
		ret = WIFSIGNALED(child_status) ? 128 + WTERMSIG(child_status)
						: WEXITSTATUS(child_status);
		pr_info(o->name, "%s %s %d", o->command[0],
			WIFSIGNALED(child_status) ? "was killed by signal" : "exited with",
			WIFSIGNALED(child_status) ? WTERMSIG(child_status)
						  : WEXITSTATUS(child_status));
	}
out:
	sandbox_destroy(&sb);
	stream_free(stream);
	sensors_stop(sensors);
	agent_guard_stop(&guard);
	control_close(control);
	agent_free(agent);
	/* fclose waits for the writer: the last blocks' errors come here */
	if (o->cfg.out && o->cfg.out != stdout && fclose(o->cfg.out) && ret == 0) {
		pr_err(o->name, "writing events failed: %s", strerror(errno));
		ret = EXIT_RUNTIME;
	}
	return ret;
}
