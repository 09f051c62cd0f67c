/* SPDX-License-Identifier: GPL-2.0 */
/* Names for the numbers histograms are keyed by: syscalls, softirqs, irqs, disks. */
#ifndef VIGIL_PERF_NAMES_H
#define VIGIL_PERF_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* Generated at build time from <asm/unistd.h> (scripts/gen-syscalls.sh); NULL for gaps. */
extern const char *const syscall_names[];
extern const unsigned int syscall_names_count;

/* @nr's name ("getppid"), or "syscall_<nr>" when this build does not know it. */
const char *syscall_name(uint32_t nr, char *buf, size_t size);
/* The number of syscall @name, or -ENOENT. */
int syscall_number(const char *name);

/* The softirq vector's name from the kernel's BTF (NET_RX_SOFTIRQ: "net_rx"), or "softirq_<n>". */
const char *softirq_name(uint32_t vec, char *buf, size_t size);
/* The devices of irq @irq as /proc/interrupts lists them ("eth0"), or "irq_<n>". */
const char *irq_name(uint32_t irq, char *buf, size_t size);
/* The block device (major << 20 | minor) by name ("loop3"), or "<major>:<minor>". */
const char *disk_name(uint64_t dev, char *buf, size_t size);

#endif
