/* SPDX-License-Identifier: GPL-2.0 */
/* One logger for vigil and libbpf: "vigil: <subsystem>: message" on stderr. */
#ifndef VIGIL_CORE_LOG_H
#define VIGIL_CORE_LOG_H

enum log_level {
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

/* Messages above this level are dropped; libbpf's own messages are LOG_DEBUG (shown with -v). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Route libbpf's messages through this logger. */
void log_bridge_libbpf(void);

void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define pr_err(subsys, ...)   log_msg(LOG_ERROR, subsys, __VA_ARGS__)
#define pr_warn(subsys, ...)  log_msg(LOG_WARN, subsys, __VA_ARGS__)
#define pr_info(subsys, ...)  log_msg(LOG_INFO, subsys, __VA_ARGS__)
#define pr_debug(subsys, ...) log_msg(LOG_DEBUG, subsys, __VA_ARGS__)

#endif
