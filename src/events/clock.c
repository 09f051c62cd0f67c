// SPDX-License-Identifier: GPL-2.0
#include "events/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static __s64 ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__s64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void wallclock_init(struct wallclock *c)
{
	__s64 best_gap = -1;

	/* Sample boot-real-boot a few times and keep the tightest bracket. */
	for (int i = 0; i < 5; i++) {
		__s64 b0 = ns_of(CLOCK_BOOTTIME);
		__s64 r = ns_of(CLOCK_REALTIME);
		__s64 b1 = ns_of(CLOCK_BOOTTIME);

		if (best_gap < 0 || b1 - b0 < best_gap) {
			best_gap = b1 - b0;
			c->offset_ns = r - (b0 + (b1 - b0) / 2);
		}
	}
}

void wallclock_real(const struct wallclock *c, __u64 boot_ns, __s64 *sec, long *nsec)
{
	__s64 real = (__s64)boot_ns + c->offset_ns;

	*sec = real / 1000000000;
	*nsec = real % 1000000000;
}

void wallclock_utc_seconds(__s64 sec, char *buf, size_t size)
{
	time_t t = sec;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
}

void wallclock_local_hms(const struct wallclock *c, __u64 boot_ns, char *buf, size_t size)
{
	struct tm tm;
	__s64 real_sec;
	time_t sec;
	long nsec;
	size_t n;

	wallclock_real(c, boot_ns, &real_sec, &nsec);
	sec = real_sec;
	localtime_r(&sec, &tm);
	n = strftime(buf, size, "%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03ld", nsec / 1000000);
}
