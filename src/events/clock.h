/* SPDX-License-Identifier: GPL-2.0 */
/* Sensors stamp records with CLOCK_BOOTTIME; people and SIEMs want wall-clock time. */
#ifndef VIGIL_EVENTS_CLOCK_H
#define VIGIL_EVENTS_CLOCK_H

#include <stddef.h>

#include "vigil/types.h"

struct wallclock {
	__s64 offset_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME */
};

void wallclock_init(struct wallclock *c);
/* The wall-clock time of @boot_ns as seconds and nanoseconds since the epoch. */
void wallclock_real(const struct wallclock *c, __u64 boot_ns, __s64 *sec, long *nsec);
/* "2026-11-21T11:41:36" for @sec, UTC. */
void wallclock_utc_seconds(__s64 sec, char *buf, size_t size);
/* "11:41:36.123" in local time, for text output. */
void wallclock_local_hms(const struct wallclock *c, __u64 boot_ns, char *buf, size_t size);

#endif
