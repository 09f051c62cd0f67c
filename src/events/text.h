/* SPDX-License-Identifier: GPL-2.0 */
/* Printing bytes a process controls on a terminal, safely. */
#ifndef VIGIL_EVENTS_TEXT_H
#define VIGIL_EVENTS_TEXT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Printable ASCII and valid UTF-8 as they are; control and invalid bytes as \xNN; C1 controls
 * and bidi overrides (utf8_format_control) as \uNNNN.
 */
void text_bytes(FILE *out, const char *s, size_t len);
/* The same, single-quoted when a shell would split or expand it. */
void text_arg(FILE *out, const char *s, size_t len);
/* A syscall's result: " = 3", or " = -13 (EACCES)". */
void text_result(FILE *out, long long result);

#endif
