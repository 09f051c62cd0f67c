/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Function symbols of each ELF file, sorted once and shared by every process that maps the
 * file (keyed by build-id): libdwfl searches a module's symbols linearly on each lookup, which
 * costs milliseconds in a library of 100k symbols. Bounded: the least recently used files go
 * past SYMTAB_FILES files or SYMTAB_BYTES.
 */
#ifndef VIGIL_PROFILE_SYMTAB_H
#define VIGIL_PROFILE_SYMTAB_H

#include <elfutils/libdwfl.h>
#include <stddef.h>
#include <stdint.h>

#define SYMTAB_FILES 256
#define SYMTAB_BYTES (256u << 20)

struct symfile;

struct symtabs {
	struct symfile *files[SYMTAB_FILES];
	size_t bytes;
	uint64_t tick;
};

/* The function of @mod holding @pc (an address in the process), or NULL. */
const char *symtabs_find(struct symtabs *t, Dwfl_Module *mod, uint64_t pc);
void symtabs_free(struct symtabs *t);

#endif
