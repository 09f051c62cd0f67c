// SPDX-License-Identifier: GPL-2.0
#include "uring.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int ring_setup(struct ring *r)
{
	memset(r, 0, sizeof(*r));
	r->sq = r->cq = r->sqes = MAP_FAILED;
	r->fd = syscall(__NR_io_uring_setup, 4, &r->p);
	if (r->fd < 0)
		return -errno;
	r->sq_len = r->p.sq_off.array + r->p.sq_entries * sizeof(__u32);
	r->cq_len = r->p.cq_off.cqes + r->p.cq_entries * sizeof(struct io_uring_cqe);
	r->sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_SQ_RING);
	r->cq = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sq == MAP_FAILED || r->cq == MAP_FAILED || r->sqes == MAP_FAILED) {
		ring_close(r);
		return -ENOMEM;
	}
	return 0;
}

int ring_run(struct ring *r, const struct io_uring_sqe *sqe)
{
	__u32 *sq_tail = (void *)((char *)r->sq + r->p.sq_off.tail);
	__u32 *sq_mask = (void *)((char *)r->sq + r->p.sq_off.ring_mask);
	__u32 *sq_array = (void *)((char *)r->sq + r->p.sq_off.array);
	__u32 *cq_head = (void *)((char *)r->cq + r->p.cq_off.head);
	__u32 *cq_tail = (void *)((char *)r->cq + r->p.cq_off.tail);
	__u32 *cq_mask = (void *)((char *)r->cq + r->p.cq_off.ring_mask);
	struct io_uring_cqe *cqes = (void *)((char *)r->cq + r->p.cq_off.cqes);
	__u32 tail = *sq_tail, head;
	int res;

	r->sqes[tail & *sq_mask] = *sqe;
	sq_array[tail & *sq_mask] = tail & *sq_mask;
	__atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = *cq_head;
	if (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	res = cqes[head & *cq_mask].res;
	__atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

void ring_close(struct ring *r)
{
	if (r->sqes != MAP_FAILED)
		munmap(r->sqes, r->p.sq_entries * sizeof(struct io_uring_sqe));
	if (r->cq != MAP_FAILED)
		munmap(r->cq, r->cq_len);
	if (r->sq != MAP_FAILED)
		munmap(r->sq, r->sq_len);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->sq = r->cq = r->sqes = MAP_FAILED;
}
