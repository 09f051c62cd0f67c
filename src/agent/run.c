// SPDX-License-Identifier: GPL-2.0
#include "agent/run.h"
#include "agent/baselines.h"
#include "agent/control.h"
#include "agent/guard.h"
#include "agent/notify.h"
#include "agent/sandbox.h"
#include "cli/cli.h"
#include "core/cgroup.h"
#include "core/control.h"
#include "core/log.h"
#include "export/collectors.h"
#include "export/http.h"
#include "sensors/sensor.h"
#include "sensors/sensors.h"
#include "sinks/output.h"
#include "sinks/sink.h"
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
/* At a stop, the sinks get this long to deliver what is queued. */
#define SINK_DRAIN_S 3.0
/* Wake the consumer for 1 MiB of pending records; otherwise it polls every POLL_MS. */
#define WAKEUP_BYTES (1 << 20)

/*
 * What the agent does on each signal it can catch; vigil help run and docs/output.md say the
 * same. Faults (SEGV, BUS, ILL, FPE, ABRT) keep their default: a crash; the next agent replaces
 * the control socket it leaves. Default-ignored and job-control signals keep theirs.
 */
enum signal_action {
	SIGNAL_STOP,	      /* drain, summarise, detach, remove the control socket */
	SIGNAL_RELOAD_REOPEN, /* reload the policies (rsyslog's convention: and reopen) */
	SIGNAL_REOPEN,	      /* reopen the output file after log rotation (Falco's convention) */
	SIGNAL_IGNORE,	      /* the write it would interrupt fails instead, and is counted */
	SIGNAL_LOG,	      /* ignored, with a line naming it: a stray signal stops no policy */
};

static const struct {
	int sig;
	enum signal_action action;
} signal_table[] = {
	{ SIGTERM, SIGNAL_STOP },
	{ SIGINT, SIGNAL_STOP },
	{ SIGQUIT, SIGNAL_STOP },
	/* the soft CPU limit: stop cleanly before the hard one kills */
	{ SIGXCPU, SIGNAL_STOP },
	{ SIGHUP, SIGNAL_RELOAD_REOPEN },
	{ SIGUSR1, SIGNAL_REOPEN },
	{ SIGPIPE, SIGNAL_IGNORE },
	{ SIGXFSZ, SIGNAL_IGNORE },
	{ SIGUSR2, SIGNAL_LOG },
	{ SIGALRM, SIGNAL_LOG },
	{ SIGVTALRM, SIGNAL_LOG },
	{ SIGPROF, SIGNAL_LOG },
	{ SIGIO, SIGNAL_LOG },
	{ SIGPWR, SIGNAL_LOG },
	{ SIGSTKFLT, SIGNAL_LOG },
	{ SIGSYS, SIGNAL_LOG },
	{ SIGTRAP, SIGNAL_LOG },
	/* and every realtime signal, SIGRTMIN to SIGRTMAX: SIGNAL_LOG */
};

/* Set by the handler, taken by the main loop: the signal, and the process that sent it. */
static volatile sig_atomic_t signal_pending[NSIG], signal_sender[NSIG];

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	signal_sender[sig] = info->si_pid;
	signal_pending[sig] = 1;
}

static enum signal_action signal_action(int sig)
{
	for (size_t i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++)
		if (signal_table[i].sig == sig)
			return signal_table[i].action;
	return SIGNAL_LOG; /* realtime */
}

static void install_signals(void)
{
	/* No SA_RESTART: a stop must interrupt a blocking open of a FIFO nobody reads yet. */
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	struct sigaction ign = { .sa_handler = SIG_IGN };

	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++)
		sigaction(signal_table[i].sig, signal_table[i].action == SIGNAL_IGNORE ? &ign : &sa,
			  NULL);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaction(sig, &sa, NULL);
}

static const char *signal_name(int sig, char *buf, size_t len)
{
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "SIG%s", sigabbrev_np(sig));
	return buf;
}

struct signals_taken {
	int stop; /* the signal that stops the agent, or 0 */
	bool reload, reopen;
	const char *reopen_why; /* the signal that asked */
};

/* What the signals that came since the last call ask for; the ignored ones are logged. */
static void take_signals(const char *who, struct signals_taken *t)
{
	char name[32];

	for (int sig = 1; sig < NSIG; sig++) {
		if (!signal_pending[sig])
			continue;
		signal_pending[sig] = 0;
		switch (signal_action(sig)) {
		case SIGNAL_STOP:
			if (!t->stop && signal_sender[sig])
				pr_info(who, "stopping on SIG%s (from pid %d)", sigabbrev_np(sig),
					(int)signal_sender[sig]);
			else if (!t->stop)
				pr_info(who,
					"stopping on SIG%s (from the kernel: a terminal, a limit)",
					sigabbrev_np(sig));
			t->stop = sig;
			break;
		case SIGNAL_RELOAD_REOPEN:
			t->reload = true;
			/* fall through */
		case SIGNAL_REOPEN:
			t->reopen = true;
			t->reopen_why = sig == SIGHUP ? "SIGHUP" : "SIGUSR1";
			break;
		case SIGNAL_IGNORE:
			break;
		case SIGNAL_LOG:
			pr_warn(who,
				"ignored signal %d (%s) from pid %d: vigil stops on SIGTERM, "
				"SIGINT "
				"or SIGQUIT",
				sig, signal_name(sig, name, sizeof(name)), (int)signal_sender[sig]);
			break;
		}
	}
}

/*
 * -o FILE, checked (sinks/output.h), else standard output. On a terminal, text by default; the
 * writer's blocks go out at every batch of events either way.
 */
static int open_output(struct run_options *a, struct output **out, bool *out_tty)
{
	char why[256];
	int fd = STDOUT_FILENO, err;

	if (a->output) {
		fd = output_file_open(a->output, why, sizeof(why));
		if (fd < 0) {
			pr_err(a->name, "cannot write events to %s: %s", a->output, why);
			return fd;
		}
	}
	*out_tty = isatty(fd);
	err = output_new(out, fd, a->output);
	if (err) {
		pr_err(a->name, "cannot set up the output: %s", strerror(-err));
		if (a->output)
			close(fd);
		return err;
	}
	a->cfg.out = output_stream(*out);
	return 0;
}

/* SIGUSR1 or SIGHUP: a file is reopened; standard output stays as it is. */
static void reopen_output(const char *who, struct output *out, const char *asked_by)
{
	struct output_stats st;
	char msg[512];

	output_stats(out, &st);
	if (!st.path)
		return;
	if (output_reopen(out, msg, sizeof(msg)))
		pr_warn(who, "%s (%s)", msg, asked_by);
	else
		pr_info(who, "%s (%s)", msg, asked_by);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What the kernel lost, by type and uid, into the stream as a `lost` record. */
static void report_losses(const struct sensors *sensors, struct stream *stream)
{
	struct losses now;

	if (!sensors_losses(sensors, &now))
		stream_update_losses(stream, &now);
}

/* The stop summary's line for each sink: what it delivered and what it missed. */
static void report_sinks(const char *who, struct sinks *sinks)
{
	struct sink_stats ss;

	for (size_t i = 0; i < sinks_count(sinks); i++) {
		sinks_stats(sinks, i, &ss);
		log_msg(ss.dropped_queue_full || ss.failed ? LOG_WARN : LOG_INFO, who,
			"sink %s: %llu events sent, %llu dropped (queue full), %llu failed%s%s",
			ss.name, (unsigned long long)ss.sent,
			(unsigned long long)ss.dropped_queue_full, (unsigned long long)ss.failed,
			ss.error ? ": " : "", ss.error ? strerror(ss.error) : "");
	}
}

/*
 * --metrics: listen before anything is loaded, so that an address in use stops the start with
 * nothing done. What it serves comes from the collectors added once the agent runs.
 */
static int start_metrics(struct run_options *o, struct metrics **m, struct metrics_http **http)
{
	int err = metrics_new(m);

	if (!err)
		err = metrics_http_start(http, &o->metrics_addr, *m);
	if (!err)
		return 0;
	pr_err(o->name, "cannot serve metrics on %s: %s: nothing was started", o->metrics,
	       err == -EADDRINUSE      ? "the address is in use (another process listens there)"
	       : err == -EADDRNOTAVAIL ? "not an address of this host"
	       : err == -EOPNOTSUPP    ? "this build of vigil has no HTTP server"
				       : strerror(-err));
	return err;
}

/* The agent's parts, as metrics. */
static int add_collectors(struct metrics *m, struct agent_status_ctx *status,
			  struct bpf_metrics *bpf)
{
	return metrics_add_collector(m, agent_metrics_collect, status) ?:
	       metrics_add_collector(m, bpf_metrics_collect, bpf) ?:
	       metrics_add_collector(m, shield_metrics_collect, agent_shields(status->agent));
}

#define PATH_WATCH_BITS (VIGIL_WATCH_ALL | VIGIL_WATCH_PATH | VIGIL_WATCH_BELOW_PATH)

int run_main(struct run_options *o)
{
	struct sensors_opts sopts = { .wakeup_bytes = WAKEUP_BYTES };
	struct agent *agent = NULL;
	struct agent_status_ctx status = { 0 };
	struct control *control = NULL;
	struct agent_guard guard = { 0 };
	struct agent_baselines baselines = { 0 };
	struct watch_entry trace_watches[FILTER_MAX_ITEMS];
	struct sensors *sensors = NULL;
	struct stream *stream = NULL;
	struct sandbox sb = { 0 };
	struct output *out = NULL;
	struct sinks *sinks = NULL;
	struct output_stats os;
	char by_type[512];
	struct signals_taken sigs = { 0 };
	struct notify_watchdog watchdog;
	struct metrics *metrics = NULL;
	struct metrics_http *http = NULL;
	struct bpf_metrics bpf_metrics = { .stats_fd = -1 };
	struct latency_metrics histograms = { 0 };
	int child_status = 0;
	const struct stream_stats *st;
	double deadline = 0, next_flush, next_refresh, next_lost = 0;
	int agg_fd;
	char what[256], lost_text[640];
	__u64 lost;
	bool out_tty = false;
	int err, ret = EXIT_RUNTIME;

	/* from here on, no signal ends vigil without its clean-up (the control socket) */
	install_signals();
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
				ret = err == -EACCES || err == -EPERM ? EXIT_NO_PRIVILEGE
								      : EXIT_RUNTIME;
				goto out;
			}
			o->agent.scope = sb.scope;
			/* the kernel's kills, as the policies, for the command alone */
			err = cgroup_scope(sb.scope, &sopts.kill_scope);
			if (err) {
				pr_err(o->name, "cannot find the sandbox's cgroup %s: %s", sb.scope,
				       strerror(-err));
				goto out;
			}
		}
		/* One agent at a time, checked before anything is loaded. A sandbox answers
		 * nobody: it ends with its command. */
		err = o->sandbox ? 0
				 : control_open(&control, control_path(), agent_control_handle,
						&status);
		if (err == -EADDRINUSE) {
			pr_err(o->name,
			       "another vigil agent is running (%s answers): nothing was started",
			       control_path());
			goto out;
		}
		if (err == -ENOTSOCK || err == -ENOTDIR || err == -EPERM) {
			pr_err(o->name,
			       "the control socket %s is not this agent's to take "
			       "(above): nothing was started",
			       control_path());
			goto out;
		}
		if (err)
			pr_warn(o->name,
				"no control socket (%s): vigil status and policy apply will not "
				"reach this agent",
				strerror(-err));
		if (o->histograms && !o->metrics) {
			pr_err(o->name, "--histograms needs --metrics, where they are served: "
					"nothing was started");
			ret = EX_USAGE;
			goto out;
		}
		if (o->metrics && start_metrics(o, &metrics, &http))
			goto out;
		if (agent_new(&agent, &o->agent)) {
			pr_err(o->name, "the policies have errors (above): nothing was started");
			ret = EX_CONFIG;
			goto out;
		}
		agent_watches(agent, &sopts.watches, &sopts.n_watches);
		sopts.watch = true;
		/* `-e open` without --path: every open, as trace shows them */
		sopts.all_opens = (o->cfg.filter.type_mask & EVENT_BIT(VIGIL_EV_OPEN)) &&
				  !o->cfg.filter.n_paths;
		sopts.types = ~0ull;
		o->cfg.judge = policy_engine_judge;
		o->cfg.judge_ctx = agent_engine(agent);
		if (o->baseline_dir) {
			if (agent_baselines_start(&baselines, o->baseline_dir, agent_engine(agent),
						  o->name)) {
				ret = EX_CONFIG;
				goto out;
			}
			o->cfg.judge = agent_baselines_judge;
			o->cfg.judge_ctx = &baselines;
		}
		o->cfg.show_unmatched = o->cfg.filter.type_mask || o->cfg.filter.n_paths;
		/*
		 * Events in a file, and stderr the journal (systemd sets JOURNAL_STREAM): each
		 * alert in the journal too. Not to any stderr: one nobody reads would block.
		 */
		o->cfg.alert_log = o->output && strcmp(o->output, "-") && getenv("JOURNAL_STREAM")
					   ? stderr
					   : NULL;
	}
	/* after the check for another agent: a refused start leaves no file behind */
	err = open_output(o, &out, &out_tty);
	if (err) {
		ret = err == -ENOMEM ? EXIT_RUNTIME : EX_USAGE;
		goto out;
	}
	err = sinks_open(&sinks, o->sinks, o->n_sinks, o->sink_queue, what, sizeof(what));
	if (err) {
		pr_err(o->name, "%s", what);
		ret = err == -ENOMEM ? EXIT_RUNTIME : EX_USAGE;
		goto out;
	}
	o->cfg.sinks = sinks;
	if (!o->format_set)
		o->cfg.format = out_tty ? FORMAT_TEXT : FORMAT_JSON;
	o->cfg.colour = o->colour == -1 ? out_tty && !getenv("NO_COLOR") : o->colour;
	sopts.file_access = o->cfg.filter.access;
	sopts.agg_window_ns = o->aggregate_s * 1e9;
	sopts.budget_rate = o->budget_rate;
	sopts.budget_burst = o->budget_burst;
	if (o->ring_bytes && o->ring_bytes / 2 < sopts.wakeup_bytes)
		sopts.wakeup_bytes = o->ring_bytes / 2;

	err = sensors_start(&sensors, &sopts);
	if (err) {
		pr_err(o->name, "%s", sensors_strerror(err));
		ret = err == -EPERM					       ? EXIT_NO_PRIVILEGE
		      : err == -ENOENT || err == -EOPNOTSUPP || err == -EACCES ? EXIT_NO_FEATURE
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
						    .started_wall_s = time(NULL),
						    .guard = &guard,
						    .output = out,
						    .sinks = sinks,
						    .sensors = sensors };
		if (metrics && add_collectors(metrics, &status, &bpf_metrics)) {
			pr_err(o->name, "out of memory");
			goto out;
		}
		if (metrics && o->histograms &&
		    (latency_metrics_open(&histograms, o->histograms, o->name) ||
		     metrics_add_collector(metrics, latency_metrics_collect, &histograms))) {
			pr_err(o->name, "out of memory");
			goto out;
		}
		if (metrics)
			metrics_publish(metrics);
	}
	if (o->bpf_stats) {
		bpf_metrics.stats_fd = bpf_metrics_enable_stats();
		if (bpf_metrics.stats_fd < 0)
			pr_warn(o->name, "cannot count BPF programs' run time: %s",
				strerror(-bpf_metrics.stats_fd));
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
	for (;;) {
		take_signals(o->name, &sigs);
		if (sigs.stop || status.stop || (deadline && now_s() >= deadline))
			break;
		if (sb.pid && waitpid(sb.pid, &child_status, WNOHANG) == sb.pid) {
			sb.pid = 0;
			break;
		}
		if (sigs.reopen) {
			reopen_output(o->name, out, sigs.reopen_why);
			sinks_reopen(sinks);
		}
		sigs.reopen = false;
		stream_poll(stream, POLL_MS);
		/* one syscall a turn; the breakdown only when something was lost, once a second */
		if (!sensors_lost(sensors, &lost) && lost > stream_stats(stream)->lost &&
		    now_s() >= next_lost) {
			report_losses(sensors, stream);
			next_lost = now_s() + LOST_REPORT_S;
		}
		/* a trace's output is all it does; the agent outlives its output, and enforces */
		output_stats(out, &os);
		if (!agent && os.error) {
			pr_err(o->name, "writing events failed: %s", strerror(os.error));
			goto out;
		}
		if (agent) {
			agent_report_refusals(agent, stream, false);
			output_report(out, o->name);
			agent_tick(agent, sigs.reload);
			sigs.reload = false;
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
		if (metrics)
			metrics_tick(metrics);
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
	while (stream_poll(stream, 0) > 0)
		;
	if (agent)
		agent_report_refusals(agent, stream, true);
	if (agg_fd >= 0)
		stream_flush_aggregates(stream, agg_fd, 0);
	report_losses(sensors, stream);
	output_sync(out);
	output_stats(out, &os);
	sinks_drain(sinks, SINK_DRAIN_S);
	st = stream_stats(stream);
	stream_stats_by_type(st, by_type, sizeof(by_type));
	pr_info(o->name, "%llu events seen%s%s%s, %llu shown, %llu lost",
		(unsigned long long)st->records, by_type[0] ? " (" : "", by_type,
		by_type[0] ? ")" : "", (unsigned long long)st->written,
		(unsigned long long)st->lost);
	if (st->malformed)
		pr_warn(o->name, "%llu records could not be decoded and were dropped",
			(unsigned long long)st->malformed);
	if (st->lost)
		pr_warn(o->name, "lost: %s",
			losses_text(stream_losses(stream), lost_text, sizeof(lost_text)));
	if (os.unwritten)
		pr_warn(o->name, "%llu events could not be written to %s%s%s",
			(unsigned long long)os.unwritten, os.path ? os.path : "standard output",
			os.error ? ": " : "", os.error ? strerror(os.error) : "");
	report_sinks(o->name, sinks);
	if (st->folded)
		pr_info(o->name,
			"%llu repeated opens folded in the kernel, written as counts "
			"(file.repeats; %llu summary lines)",
			(unsigned long long)st->folded, (unsigned long long)st->summaries);
	if (agent) {
		const struct policy_engine_stats *ps = policy_engine_stats(agent_engine(agent));

		pr_info(o->name,
			"%llu events matched a rule; %llu operations denied, %llu processes "
			"killed before they could act, %llu killed after the fact, %llu kills "
			"failed",
			(unsigned long long)ps->alerts, (unsigned long long)ps->denied,
			(unsigned long long)ps->kills, (unsigned long long)ps->kills_after,
			(unsigned long long)ps->kills_failed);
	}
	ret = 0;
	if (!agent && os.error) {
		pr_err(o->name, "writing events failed: %s", strerror(os.error));
		ret = EXIT_RUNTIME;
	}
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
	/* the server thread goes first: nothing serves a snapshot after this */
	metrics_http_stop(http);
	metrics_free(metrics);
	latency_metrics_close(&histograms);
	if (bpf_metrics.stats_fd >= 0)
		close(bpf_metrics.stats_fd);
	sandbox_destroy(&sb);
	agent_baselines_stop(&baselines, o->name);
	stream_free(stream);
	sensors_stop(sensors);
	agent_guard_stop(&guard);
	control_close(control);
	agent_free(agent);
	sinks_close(sinks);
	output_close(out);
	return ret;
}
