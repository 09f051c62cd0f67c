/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Telling the service manager how the agent is doing (systemd's sd_notify protocol, for
 * Type=notify units): ready, reloading, stopping, a status line, watchdog keep-alives.
 * Without a service manager ($NOTIFY_SOCKET unset) every call does nothing.
 */
#ifndef VIGIL_AGENT_NOTIFY_H
#define VIGIL_AGENT_NOTIFY_H

/*
 * Started, or a reload done: the sensors attached, the policies in force. @status_fmt: a
 * status line for `systemctl status`.
 */
void notify_ready(const char *status_fmt, ...) __attribute__((format(printf, 1, 2)));
/* A reload begins; notify_ready() says it ended. */
void notify_reloading(void);
void notify_stopping(void);

struct notify_watchdog {
	double interval_s; /* 0: the service manager watches nothing */
	double next_s;	   /* CLOCK_MONOTONIC seconds of the next keep-alive */
};

/* Is a watchdog asked for (WatchdogSec=)? Keep-alives go at half its timeout. */
void notify_watchdog_init(struct notify_watchdog *w);
/* From the main loop: WATCHDOG=1 when one is due. */
void notify_watchdog_tick(struct notify_watchdog *w);

#endif
