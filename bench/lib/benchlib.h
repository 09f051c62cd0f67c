/* SPDX-License-Identifier: GPL-2.0 */
/* What the benchmarks share: clocks, medians, and starting and stopping the tools compared. */
#ifndef VIGIL_BENCH_BENCHLIB_H
#define VIGIL_BENCH_BENCHLIB_H

#include <stddef.h>
#include <linux/types.h>
#include <sys/types.h>

double now_ns(void);
/* The median of @n values (sorts them). */
double median(double *v, size_t n);
/* The lowest of @n values: the round least disturbed by the rest of the machine. */
double minimum(const double *v, size_t n);

/*
 * Start @argv (argv[0] a path) with stdout and stderr into a pipe, and wait up to 30 s until
 * it prints @ready. Returns the pid, or -1 (and prints what it said).
 */
pid_t start_until(char *const argv[], const char *ready);
/* SIGTERM (then SIGKILL after 10 s) and reap. */
void stop_child(pid_t pid);
/* Run a command line with sh -c, quietly; returns its exit status. */
int quiet(const char *cmd);
/* quiet() of a command line made from @fmt. */
int quietf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The ids of the BPF programs process @pid holds (its fdinfo "prog_id:" lines), @max at most. */
int prog_ids_of(pid_t pid, __u32 *ids, int max);
/* The run time of programs @ids so far (kernel.bpf_stats_enabled), ns. */
double prog_time(const __u32 *ids, int n);

#endif
