// SPDX-License-Identifier: GPL-2.0
/* Functions and USDT probes of an ELF file, located for uprobes (libelf). */
#include "core/elfsym.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NT_STAPSDT 3

struct elf_file {
	int fd;
	Elf *elf;
};

static int elf_file_open(const char *path, struct elf_file *f)
{
	GElf_Ehdr ehdr;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &ehdr) ||
	    ehdr.e_ident[EI_CLASS] != ELFCLASS64 || ehdr.e_machine != EM_X86_64) {
		if (f->elf)
			elf_end(f->elf);
		close(f->fd);
		return -ENOEXEC;
	}
	return 0;
}

static void elf_file_close(struct elf_file *f)
{
	elf_end(f->elf);
	close(f->fd);
}

/* The file offset of virtual address @addr: in which loadable segment it lies. */
static int addr_to_offset(Elf *elf, uint64_t addr, uint64_t *offset)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_memsz) {
			*offset = addr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOEXEC;
}

/* @symbol among the defined functions of symbol table section @scn. */
static bool find_in_table(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, const char *symbol,
			  GElf_Sym *out)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; data && i < n; i++) {
		GElf_Sym sym;
		const char *name;
		int type;

		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (name && !strcmp(name, symbol)) {
			*out = sym;
			return true;
		}
	}
	return false;
}

int elf_func_find(const char *path, const char *symbol, struct elf_func *out)
{
	static const char *const tables[] = { ".symtab", ".dynsym" };
	static const Elf64_Word types[] = { SHT_SYMTAB, SHT_DYNSYM };
	struct elf_file f;
	GElf_Sym sym;
	int ret;

	ret = elf_file_open(path, &f);
	if (ret)
		return ret;
	ret = -ESRCH;
	/* the full table first: a stripped file has only the dynamic one */
	for (int t = 0; t < 2 && ret == -ESRCH; t++) {
		Elf_Scn *scn = NULL;

		while ((scn = elf_nextscn(f.elf, scn))) {
			GElf_Shdr sh;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != types[t] ||
			    !find_in_table(f.elf, scn, &sh, symbol, &sym))
				continue;
			out->addr = sym.st_value;
			out->size = sym.st_size;
			out->table = tables[t];
			ret = addr_to_offset(f.elf, sym.st_value, &out->offset);
			break;
		}
	}
	elf_file_close(&f);
	return ret;
}

/* The address .stapsdt.base has in this file (0: none): notes record where it was at link. */
static uint64_t stapsdt_base(Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".stapsdt.base"))
			return sh.sh_addr;
	}
	return 0;
}

/* Copy the NUL-terminated string at *@p (before @end) into @dst; false when there is none. */
static bool take_string(const char **p, const char *end, char *dst, size_t size)
{
	size_t len = strnlen(*p, (size_t)(end - *p));

	if (*p + len >= end)
		return false;
	snprintf(dst, size, "%s", *p);
	*p += len + 1;
	return true;
}

/* Parse one stapsdt note's description (pc, base, semaphore, provider, name, args). */
static bool parse_note(Elf *elf, const char *desc, size_t len, uint64_t base, struct elf_usdt *u)
{
	const char *p = desc + 24, *end = desc + len;
	uint64_t link_base;

	if (len < 24)
		return false;
	memset(u, 0, sizeof(*u));
	memcpy(&u->pc, desc, 8);
	memcpy(&link_base, desc + 8, 8);
	memcpy(&u->semaphore, desc + 16, 8);
	/* prelinked or moved since: shift by how far .stapsdt.base moved */
	if (base && link_base)
		u->pc += base - link_base;
	if (!take_string(&p, end, u->provider, sizeof(u->provider)) ||
	    !take_string(&p, end, u->name, sizeof(u->name)))
		return false;
	take_string(&p, end, u->args, sizeof(u->args));
	return !addr_to_offset(elf, u->pc, &u->offset);
}

int elf_usdt_list(const char *path, struct elf_usdt **out, size_t *n)
{
	struct elf_usdt *list = NULL, *grown;
	size_t len = 0, cap = 0;
	Elf_Scn *scn = NULL;
	struct elf_file f;
	uint64_t base;
	int ret;

	ret = elf_file_open(path, &f);
	if (ret)
		return ret;
	base = stapsdt_base(f.elf);
	while (!ret && (scn = elf_nextscn(f.elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			const char *d = (const char *)data->d_buf;

			if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
			    memcmp(d + name_off, "stapsdt", 8))
				continue;
			if (len == cap) {
				cap = cap ? 2 * cap : 16;
				grown = realloc(list, cap * sizeof(*list));
				if (!grown) {
					ret = -ENOMEM;
					break;
				}
				list = grown;
			}
			if (parse_note(f.elf, d + desc_off, nh.n_descsz, base, &list[len]))
				len++;
		}
	}
	elf_file_close(&f);
	if (ret) {
		free(list);
		return ret;
	}
	*out = list;
	*n = len;
	return 0;
}

int elf_library_find(const char *name, char *buf, size_t size)
{
	FILE *p = popen("/sbin/ldconfig -p 2>/dev/null", "re");
	char *line = NULL, *arrow;
	size_t len = 0, nlen = strlen(name);
	int ret = -ENOENT;

	if (!p)
		return -errno;
	/* "\tlibssl.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so.3" */
	while (ret && getline(&line, &len, p) > 0) {
		const char *l = line + strspn(line, " \t");

		if (strncmp(l, name, nlen) || l[nlen] != ' ' || !strstr(l, "x86-64") ||
		    !(arrow = strstr(l, "=> ")))
			continue;
		arrow[strcspn(arrow, "\n")] = '\0';
		snprintf(buf, size, "%s", arrow + 3);
		ret = 0;
	}
	free(line);
	pclose(p);
	return ret;
}

const char *elf_strerror(int err)
{
	switch (err) {
	case -ENOENT:
		return "no such file";
	case -ENOEXEC:
		return "not an ELF file of this machine (x86_64)";
	case -ESRCH:
		return "no such function in its symbol tables (.symtab, .dynsym)";
	default:
		return strerror(-err);
	}
}
