// SPDX-License-Identifier: GPL-2.0
/* Names for the numbers histograms are keyed by, from the kernel's own descriptions. */
#include "perf/names.h"

#include <bpf/btf.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* x32 syscalls are numbered with this bit set, the same names otherwise */
#define X32_SYSCALL_BIT 0x40000000u

const char *syscall_name(uint32_t nr, char *buf, size_t size)
{
	uint32_t n = nr & ~X32_SYSCALL_BIT;

	if (n < syscall_names_count && syscall_names[n])
		return syscall_names[n];
	snprintf(buf, size, "syscall_%u", nr);
	return buf;
}

int syscall_number(const char *name)
{
	for (unsigned int i = 0; i < syscall_names_count; i++)
		if (syscall_names[i] && !strcmp(syscall_names[i], name))
			return (int)i;
	return -ENOENT;
}

/* The enumerator of value @vec named *_SOFTIRQ in the kernel's BTF, lower-cased, cut there. */
static int softirq_from_btf(uint32_t vec, char *buf, size_t size)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int ret = -ENOENT;

	if (!btf)
		return -errno;
	for (uint32_t id = 1; id < btf__type_cnt(btf) && ret; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++, e++) {
			const char *n = btf__name_by_offset(btf, e->name_off);
			const char *end = n ? strstr(n, "_SOFTIRQ") : NULL;
			size_t len;

			if (!end || strcmp(end, "_SOFTIRQ") || (uint32_t)e->val != vec ||
			    !strcmp(n, "NR_SOFTIRQ"))
				continue;
			len = (size_t)(end - n) < size - 1 ? (size_t)(end - n) : size - 1;
			for (size_t k = 0; k < len; k++)
				buf[k] = (char)tolower((unsigned char)n[k]);
			buf[len] = '\0';
			ret = 0;
			break;
		}
	}
	btf__free(btf);
	return ret;
}

const char *softirq_name(uint32_t vec, char *buf, size_t size)
{
	if (softirq_from_btf(vec, buf, size))
		snprintf(buf, size, "softirq_%u", vec);
	return buf;
}

const char *irq_name(uint32_t irq, char *buf, size_t size)
{
	char line[512], want[16];
	FILE *f = fopen("/proc/interrupts", "re");
	int ncpu = 0;

	snprintf(buf, size, "irq_%u", irq);
	if (!f)
		return buf;
	snprintf(want, sizeof(want), "%u:", irq);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *tok, *save = NULL, *last = NULL;
		int field = 0;

		while (*p == ' ')
			p++;
		if (!ncpu) { /* the heading: one column per CPU */
			for (tok = strtok_r(p, " \n", &save); tok;
			     tok = strtok_r(NULL, " \n", &save))
				ncpu++;
			continue;
		}
		if (strncmp(p, want, strlen(want)))
			continue;
		/* irq:, one count per CPU, the chip, the hw irq and trigger, then the devices */
		for (tok = strtok_r(p, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
			if (++field > ncpu + 1)
				last = tok;
		if (last)
			snprintf(buf, size, "%s", last);
		break;
	}
	fclose(f);
	return buf;
}

const char *disk_name(uint64_t dev, char *buf, size_t size)
{
	unsigned int major = (unsigned int)(dev >> 20), minor = (unsigned int)(dev & 0xfffff);
	char link[64], target[PATH_MAX];
	const char *slash;
	ssize_t n;

	snprintf(buf, size, "%u:%u", major, minor);
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major, minor);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return buf;
	target[n] = '\0';
	slash = strrchr(target, '/');
	snprintf(buf, size, "%s", slash ? slash + 1 : target);
	return buf;
}
