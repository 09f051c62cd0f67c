// SPDX-License-Identifier: GPL-2.0
/* Sorted function symbols per ELF file (by build-id), from .symtab/.dynsym or a debug file. */
#include "profile/symtab.h"

#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

struct sym {
	uint64_t start, end; /* from the module's first mapped address */
	uint32_t name;	     /* offset in names */
};

struct symfile {
	unsigned char key[64]; /* the build-id, or the file's path when it has none */
	size_t keylen;
	struct sym *syms;
	size_t n;
	char *names;
	size_t bytes;
	uint64_t last_used;
};

static void symfile_free(struct symfile *f)
{
	if (!f)
		return;
	free(f->syms);
	free(f->names);
	free(f);
}

static int by_start(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int add_name(struct symfile *f, size_t *cap, const char *name, uint32_t *off)
{
	/* no symbol version: __libc_start_main, not __libc_start_main@@GLIBC_2.34 */
	size_t len = strcspn(name, "@"), used = f->bytes;

	if (used + len + 1 > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 4096) + len + 1;
		char *n = realloc(f->names, ncap);

		if (!n)
			return -ENOMEM;
		f->names = n;
		*cap = ncap;
	}
	memcpy(f->names + used, name, len);
	f->names[used + len] = 0;
	*off = (uint32_t)used;
	f->bytes += len + 1;
	return 0;
}

static struct symfile *symfile_read(Dwfl_Module *mod, const unsigned char *key, size_t keylen)
{
	struct symfile *f = calloc(1, sizeof(*f));
	int count = dwfl_module_getsymtab(mod);
	size_t names_cap = 0;
	Dwarf_Addr start = 0;

	if (!f)
		return NULL;
	memcpy(f->key, key, keylen);
	f->keylen = keylen;
	dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	if (count > 0 && !(f->syms = calloc((size_t)count, sizeof(*f->syms))))
		goto fail;
	for (int i = 1; i < count; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);
		struct sym *s = &f->syms[f->n];

		if (!name || !name[0] || shndx == SHN_UNDEF || addr < start ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC))
			continue;
		s->start = addr - start;
		s->end = s->start + sym.st_size;
		if (add_name(f, &names_cap, name, &s->name))
			goto fail;
		f->n++;
	}
	qsort(f->syms, f->n, sizeof(*f->syms), by_start);
	/* a symbol without a size reaches the next one */
	for (size_t i = 0; i < f->n; i++)
		if (f->syms[i].end == f->syms[i].start)
			f->syms[i].end = i + 1 < f->n ? f->syms[i + 1].start : UINT64_MAX;
	f->bytes += f->n * sizeof(*f->syms) + sizeof(*f);
	return f;
fail:
	symfile_free(f);
	return NULL;
}

/* Make room for @bytes more: the least recently used files go. Returns a free slot. */
static size_t evict(struct symtabs *t, size_t bytes)
{
	for (;;) {
		size_t victim = SYMTAB_FILES, free_slot = SYMTAB_FILES;

		for (size_t i = 0; i < SYMTAB_FILES; i++) {
			if (!t->files[i]) {
				free_slot = i;
				continue;
			}
			if (victim == SYMTAB_FILES ||
			    t->files[i]->last_used < t->files[victim]->last_used)
				victim = i;
		}
		if (free_slot < SYMTAB_FILES && t->bytes + bytes <= SYMTAB_BYTES)
			return free_slot;
		if (victim == SYMTAB_FILES)
			return 0; /* empty and still too large: keep this one alone */
		t->bytes -= t->files[victim]->bytes;
		symfile_free(t->files[victim]);
		t->files[victim] = NULL;
	}
}

static struct symfile *symfile_get(struct symtabs *t, Dwfl_Module *mod)
{
	const unsigned char *id = NULL;
	unsigned char key[64];
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &id, &vaddr);
	size_t keylen, slot;
	struct symfile *f;

	if (len > 0) {
		keylen = (size_t)len < sizeof(key) ? (size_t)len : sizeof(key);
		memcpy(key, id, keylen);
	} else {
		const char *path = NULL;

		dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &path, NULL);
		keylen = strnlen(path ? path : "", sizeof(key));
		memcpy(key, path ? path : "", keylen);
	}
	for (size_t i = 0; i < SYMTAB_FILES; i++) {
		f = t->files[i];
		if (f && f->keylen == keylen && !memcmp(f->key, key, keylen)) {
			f->last_used = ++t->tick;
			return f;
		}
	}
	f = symfile_read(mod, key, keylen);
	if (!f)
		return NULL;
	slot = evict(t, f->bytes);
	symfile_free(t->files[slot]);
	t->files[slot] = f;
	t->bytes += f->bytes;
	f->last_used = ++t->tick;
	return f;
}

const char *symtabs_find(struct symtabs *t, Dwfl_Module *mod, uint64_t pc)
{
	struct symfile *f = symfile_get(t, mod);
	Dwarf_Addr start = 0;
	size_t lo = 0, hi;
	uint64_t rel;

	if (!f || !f->n)
		return NULL;
	dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	rel = pc - start;
	hi = f->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->syms[mid].start <= rel)
			lo = mid;
		else
			hi = mid;
	}
	if (rel < f->syms[lo].start || rel >= f->syms[lo].end)
		return NULL;
	return f->names + f->syms[lo].name;
}

void symtabs_free(struct symtabs *t)
{
	for (size_t i = 0; i < SYMTAB_FILES; i++)
		symfile_free(t->files[i]);
	memset(t, 0, sizeof(*t));
}
