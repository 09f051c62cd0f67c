/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal io_uring on raw syscalls (no liburing): one request at a time, waited for. */
#ifndef VIGIL_TESTS_URING_H
#define VIGIL_TESTS_URING_H

#include <linux/io_uring.h>
#include <stddef.h>

struct ring {
	int fd;
	struct io_uring_params p;
	void *sq, *cq;
	struct io_uring_sqe *sqes;
	size_t sq_len, cq_len;
};

/* 0, or -errno (-ENOSYS, -EPERM: this kernel or its io_uring_disabled sysctl has none). */
int ring_setup(struct ring *r);
/* Submit @sqe and wait for its completion: its result (an fd, a count or -errno). */
int ring_run(struct ring *r, const struct io_uring_sqe *sqe);
void ring_close(struct ring *r);

#endif
