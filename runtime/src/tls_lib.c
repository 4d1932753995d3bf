/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which TLS library a process really uses: the ELF files it maps that
 * define (not merely import) SSL_write or gnutls_record_send. Covers the
 * shared libssl.so.3 and libgnutls, and copies linked into an executable
 * (node exports OpenSSL's functions from its own binary). Results are
 * cached per file (device, inode).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aspend.h"

struct lib_cache_ent {
	dev_t dev;
	ino_t ino;
	int kinds;
};

static struct lib_cache_ent cache[256];
static int ncache;

static int symtab_kinds(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	int kinds = 0;
	size_t n;

	if (!data || !sh->sh_entsize)
		return 0;
	n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name)
			continue;
		if (!strcmp(name, "SSL_write"))
			kinds |= TLS_LIB_OPENSSL;
		else if (!strcmp(name, "gnutls_record_send"))
			kinds |= TLS_LIB_GNUTLS;
	}
	return kinds;
}

static int elf_kinds(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), kinds = 0;
	Elf *elf;
	Elf_Scn *scn = NULL;

	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) &&
		    (sh.sh_type == SHT_DYNSYM || sh.sh_type == SHT_SYMTAB))
			kinds |= symtab_kinds(elf, scn, &sh);
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return kinds;
}

int tls_lib_kinds(const char *path)
{
	struct stat st;
	int kinds;

	if (stat(path, &st) < 0)
		return 0;
	for (int i = 0; i < ncache; i++)
		if (cache[i].dev == st.st_dev && cache[i].ino == st.st_ino)
			return cache[i].kinds;
	kinds = elf_kinds(path);
	if (ncache < (int)(sizeof(cache) / sizeof(cache[0])))
		cache[ncache++] = (struct lib_cache_ent){ st.st_dev, st.st_ino, kinds };
	return kinds;
}

/* Executable file mappings of pid that define a TLS library's functions.
 * Paths are given through /proc/PID/root so that a process in another
 * mount namespace (a container) is probed in its own files. */
int tls_libs_of(pid_t pid, struct tls_lib *out, int max)
{
	char maps[64], line[4096];
	FILE *f;
	int n = 0;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	f = fopen(maps, "r");
	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		char perms[8], path[PATH_MAX];
		int kinds, dup = 0;

		if (sscanf(line, "%*s %7s %*s %*s %*s %4095s", perms, path) != 2 ||
		    perms[2] != 'x' || path[0] != '/')
			continue;
		for (int i = 0; i < n; i++)
			dup |= !strcmp(out[i].path + out[i].prefix, path);
		if (dup)
			continue;
		snprintf(out[n].path, sizeof(out[n].path), "/proc/%d/root%s", pid, path);
		out[n].prefix = (int)(strlen(out[n].path) - strlen(path));
		kinds = tls_lib_kinds(out[n].path);
		if (!kinds)
			continue;
		out[n].kinds = kinds;
		n++;
	}
	fclose(f);
	return n;
}
