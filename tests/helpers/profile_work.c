// SPDX-License-Identifier: GPL-2.0
/*
 * Work of known shape for test_profile, built without frame pointers (-O2
 * -fomit-frame-pointer, as Debian builds):
 *   profile_work cpu S    spin for S seconds in main -> level1 -> ... -> level5
 *   profile_work sleep S  for S seconds: 10 ms busy (wall time) in busy_half, then 10 ms asleep
 *                         in sleep_half: half of the time off CPU in sleep_half
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))

static volatile unsigned long sink;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each level does something after its call: no tail call may fold it away. */
NOINLINE void level5(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i * i;
}

NOINLINE void level4(unsigned long n)
{
	level5(n);
	sink++;
}

NOINLINE void level3(unsigned long n)
{
	level4(n);
	sink++;
}

NOINLINE void level2(unsigned long n)
{
	level3(n);
	sink++;
}

NOINLINE void level1(unsigned long n)
{
	level2(n);
	sink++;
}

NOINLINE void busy_half(double seconds)
{
	double until = now_s() + seconds;

	while (now_s() < until)
		sink++;
}

NOINLINE void sleep_half(double seconds)
{
	struct timespec ts = { 0, (long)(seconds * 1e9) };

	nanosleep(&ts, NULL);
	sink++;
}

int main(int argc, char **argv)
{
	double end;

	if (argc != 3 || (strcmp(argv[1], "cpu") && strcmp(argv[1], "sleep"))) {
		fprintf(stderr, "usage: profile_work cpu|sleep SECONDS\n");
		return 64;
	}
	end = now_s() + atof(argv[2]);
	while (now_s() < end) {
		if (argv[1][0] == 'c') {
			level1(200000);
		} else {
			busy_half(0.01);
			sleep_half(0.01);
		}
	}
	return 0;
}
