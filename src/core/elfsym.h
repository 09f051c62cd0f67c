/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions of an ELF binary or library by name, for uprobes: the symbol in .symtab, or in
 * .dynsym when the file is stripped, turned into the file offset the kernel attaches at; and
 * its USDT probes (.note.stapsdt). Read with libelf.
 */
#ifndef VIGIL_CORE_ELFSYM_H
#define VIGIL_CORE_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

struct elf_func {
	uint64_t offset; /* in the file: what uprobes attach at */
	uint64_t addr;	 /* the symbol's value (virtual address) */
	uint64_t size;
	const char *table; /* ".symtab" or ".dynsym": where it was found */
};

/*
 * Find function @symbol in @path. 0, or -ENOENT (no such file), -ENOEXEC (not an ELF file, or
 * not one of this machine's), -ESRCH (no such function in it), another -errno.
 */
int elf_func_find(const char *path, const char *symbol, struct elf_func *out);

/* One USDT probe (a .note.stapsdt note), as `readelf -n` shows it. */
struct elf_usdt {
	char provider[64];
	char name[64];
	uint64_t pc;	    /* the probe's address */
	uint64_t offset;    /* in the file */
	uint64_t semaphore; /* its address, 0 when none */
	char args[256];	    /* the argument spec ("-4@%eax 8@%rdx") */
};

/*
 * The USDT probes of @path, malloc'd in *@out (free() it). 0 (*@n may be 0: none), or the
 * errors of elf_func_find() but -ESRCH.
 */
int elf_usdt_list(const char *path, struct elf_usdt **out, size_t *n);

/*
 * The path of shared library @name ("libssl.so.3") for this machine, as `ldconfig -p` lists
 * it, in @buf. 0, or -ENOENT.
 */
int elf_library_find(const char *name, char *buf, size_t size);

/* What an error of these means, for a message ("is not an ELF file"). */
const char *elf_strerror(int err);

#endif
