// SPDX-License-Identifier: GPL-2.0
/*
 * The flood of bench/shield_flood_bench.c, run with BPF_PROG_TEST_RUN and
 * BPF_F_TEST_XDP_LIVE_FRAMES: each run is one frame, transmitted (XDP_TX) once its time on the
 * schedule has come, from a random source in the template's /16.
 *
 * Why the program paces and not user space: each live-frames test run costs about 1 ms of CPU
 * to set up and tear down here, so paced from user space a flood comes in bursts of a
 * millisecond's worth of frames, sent at the generator's full speed; the receiving veth's ring
 * holds 256 frames, and a burst overflowing it measured the ring, not the filter.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define FRAME_SRC_LO 28 /* Ethernet 14 + 12, the IPv4 source, + 2: its low half */
#define FRAME_ID     18 /* Ethernet 14 + 4: the IPv4 identification */

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before each run; start_ns 0: the next frame starts the schedule. */
__u64 interval_ps; /* between frames */
__u64 slack_ns;	   /* behind by more: skip the frames missed rather than send them in a burst */
__u64 end_ns;	   /* frames run after it are dropped at once */
__u64 start_ns;
__u32 dry; /* keep the schedule, send nothing: the generator's CPU use without a flood */
/* Results. */
__u64 slots; /* schedule slots passed: sent or skipped */
__u64 sent, skipped;

static long wait_cb(__u64 i, void *due)
{
	return bpf_ktime_get_ns() >= *(__u64 *)due;
}

SEC("xdp")
int flood_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u64 now = bpf_ktime_get_ns(), due;
	__u32 r;

	if (!interval_ps || now >= end_ns || data + 34 > data_end)
		return XDP_DROP;
	if (!start_ns)
		start_ns = now;
	due = start_ns + slots * interval_ps / 1000;
	if (now > due + slack_ns) {
		__u64 late = (now - start_ns) * 1000 / interval_ps - slots;

		skipped += late;
		slots += late;
		due = start_ns + slots * interval_ps / 1000;
	}
	if (now < due)
		bpf_loop(1 << 23, wait_cb, &due, 0);
	slots++;
	if (dry)
		return XDP_DROP;
	/* the two halves' one's complement sum stays 0xffff: the header checksum holds */
	r = bpf_get_prandom_u32();
	*(__u16 *)(data + FRAME_SRC_LO) = r;
	*(__u16 *)(data + FRAME_ID) = ~r;
	sent++;
	return XDP_TX;
}
