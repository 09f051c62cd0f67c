// SPDX-License-Identifier: GPL-2.0
#include "agent/notify.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#else
/* Built without libsystemd (the static VM build has no libsystemd.a): no manager to tell. */
static int sd_notify(int unset_environment, const char *state)
{
	(void)unset_environment;
	(void)state;
	return 0;
}

static int sd_watchdog_enabled(int unset_environment, uint64_t *usec)
{
	(void)unset_environment;
	(void)usec;
	return 0;
}
#endif

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void notify_ready(const char *status_fmt, ...)
{
	char state[512] = "READY=1\nSTATUS=";
	size_t n = strlen(state);
	va_list ap;

	va_start(ap, status_fmt);
	vsnprintf(state + n, sizeof(state) - n, status_fmt, ap);
	va_end(ap);
	sd_notify(0, state);
}

void notify_reloading(void)
{
	struct timespec ts;
	char state[64];

	/* systemd 253+ matches the reload to its request by this timestamp */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	sd_notify(0, state);
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void notify_watchdog_init(struct notify_watchdog *w)
{
	uint64_t usec = 0;

	w->interval_s = sd_watchdog_enabled(0, &usec) > 0 ? usec / 2e6 : 0;
	w->next_s = now_s();
}

void notify_watchdog_tick(struct notify_watchdog *w)
{
	double now;

	if (!w->interval_s)
		return;
	now = now_s();
	if (now < w->next_s)
		return;
	sd_notify(0, "WATCHDOG=1");
	w->next_s = now + w->interval_s;
}
