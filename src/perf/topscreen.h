/* SPDX-License-Identifier: GPL-2.0 */
/* vigil top's full-screen view (ncurses): the rows of perf/topview.h, live, with keys. */
#ifndef VIGIL_PERF_TOPSCREEN_H
#define VIGIL_PERF_TOPSCREEN_H

#include <signal.h>

#include "perf/topview.h"

/*
 * Refresh @v every @interval seconds and draw it on the terminal until `q` or *@stop. Keys:
 * `<` `>` the sort column, `P` CPU, `N` PID, `g` per process or per cgroup, `t` the cgroup
 * tree, `/` a filter (Enter sets, Esc cancels, empty clears), space refreshes now. 0, or -errno
 * (-ENOTTY: no usable terminal).
 */
int top_screen_run(struct top_view *v, const char *mode, double interval,
		   volatile sig_atomic_t *stop);

#endif
