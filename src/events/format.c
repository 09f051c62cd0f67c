// SPDX-License-Identifier: GPL-2.0
#include "events/format.h"

#include <stdio_ext.h>
#include <stdlib.h>
#include <unistd.h>

#define FILE_BUFFER (1 << 20)

void formatter_init(struct formatter *f, enum output_format format, FILE *out, bool colour)
{
	f->format = format;
	f->out = out;
	f->colour = colour;
	f->header_done = false;
	f->time_sec = -1;
	f->context = NULL;
	wallclock_init(&f->clock);
	/* One thread writes: no stdio locking. To a file or pipe, write in large blocks. */
	__fsetlocking(out, FSETLOCKING_BYCALLER);
	if (!isatty(fileno(out)))
		setvbuf(out, NULL, _IOFBF, FILE_BUFFER);
}

void formatter_free(struct formatter *f)
{
	free(f->context);
	f->context = NULL;
}

void format_event(struct formatter *f, const struct event_view *v)
{
	if (f->format == FORMAT_JSON)
		format_json_event(f, v);
	else
		format_text_event(f, v);
}

void format_lost(struct formatter *f, __u64 boot_ns, __u64 count, __u64 total)
{
	if (f->format == FORMAT_JSON)
		format_json_lost(f, boot_ns, count, total);
	else
		format_text_lost(f, boot_ns, count, total);
}
