/* SPDX-License-Identifier: GPL-2.0 */
/* `vigil latency oom`: OOM kills, each with its victim and memory, as text or JSON. */
#ifndef VIGIL_CLI_LATENCY_OOM_H
#define VIGIL_CLI_LATENCY_OOM_H

#include <stdbool.h>

#include "perf/oom.h"

/*
 * Watch for @duration seconds (0: until SIGINT or SIGTERM), reporting every @interval seconds
 * (0: once, at the end). Returns the exit code.
 */
int latency_oom(const struct oom_config *cfg, double duration, double interval, bool json);

#endif
