/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which TLS library a process really uses: the ELF files it maps that
 * define (not merely import) SSL_write or gnutls_record_send. Covers the
 * shared libssl.so.3 and libgnutls, and copies linked into an executable
 * (node exports OpenSSL's functions from its own binary). Without such
 * symbols: a Go executable's crypto/tls (rt_gosym.c), or BoringSSL found
 * by its signature (rt_sslpat.c: Bun's single-file executables); rustls is
 * recognised and refused with its own reason, never probed. Results
 * are cached per file (device, inode).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/types.h>

#include "aspen_shared.h"
#include "log.h"
#include "rt_gosym.h"
#include "rt_sslpat.h"
#include "tls_lib.h"

_Static_assert(TLS_GO_MAX_RETS == RT_GO_MAX_RETS, "tls_lib.h and rt_gosym.h differ");

struct lib_cache_ent {
	dev_t dev;
	ino_t ino;
	int kinds;
	char go_version[32];
	__u64 go_write_off;
	__u64 go_read_off, go_read_rets[TLS_GO_MAX_RETS];
	unsigned go_read_nrets;
	__u64 ssl_write_off, ssl_read_off;
	char rustls_version[16];
	unsigned refused;
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

/* A Go executable: its crypto/tls from the Go symbol table, when its Go
 * version is one the probe was tested with (runtime/lib/rt_gosym.c). */
static int go_kinds(const char *path, struct lib_cache_ent *e)
{
	struct rt_go_info info;

	switch (rt_go_inspect(path, &info)) {
	case RT_GO_OK:
		e->go_write_off = info.write_probe; /* past its stack check */
		if (info.read_rets.ok) {
			e->go_read_off = info.read.off;
			e->go_read_nrets = info.read_rets.n;
			memcpy(e->go_read_rets, info.read_rets.off, sizeof(e->go_read_rets));
		} else {
			log_warn("%s: Go's crypto/tls.(*Conn).Read %s: its responses are not "
				 "seen (no response rule, status or token count for them)",
				 path,
				 !info.read.size ? "not found"
						 : "not decoded to its end or with too many RETs");
		}
		snprintf(e->go_version, sizeof(e->go_version), "%s", info.version);
		return TLS_LIB_GO;
	case RT_GO_VERSION:
	case RT_GO_LAYOUT:
		snprintf(e->go_version, sizeof(e->go_version), "%s", info.version);
		return TLS_LIB_GO_REFUSED;
	case RT_GO_NOFUNC:
	case RT_GO_NOT_GO:
		break;
	}
	return 0;
}

/* BoringSSL with no symbols: SSL_write and SSL_read by their signature,
 * or refused (pattern_not_found, pattern_ambiguous), never a guess. */
static int pattern_kinds(const char *path, struct lib_cache_ent *e)
{
	struct rt_ssl_info info;
	enum rt_ssl_status st = rt_ssl_inspect(path, &info);

	switch (st) {
	case RT_SSL_OK:
		e->ssl_write_off = info.write.off;
		e->ssl_read_off = info.read.off;
		return TLS_LIB_BORINGSSL;
	case RT_SSL_AMBIGUOUS:
		e->refused = ASPEN_UNPARSED_PATTERN_AMBIGUOUS;
		break;
	case RT_SSL_NOT_FOUND:
	case RT_SSL_LAYOUT:
		e->refused = ASPEN_UNPARSED_PATTERN_NOT_FOUND;
		break;
	case RT_SSL_NOT_BORINGSSL:
		return 0;
	}
	log_warn("%s: BoringSSL without symbols, SSL_write/SSL_read %s (%u error reports in "
		 "%u functions): not probed",
		 path, st == RT_SSL_LAYOUT ? "not searched (not x86-64, or no unwind table)"
		       : st == RT_SSL_AMBIGUOUS ? "ambiguous" : "not found",
		 info.sites, info.funcs);
	return TLS_LIB_PATTERN_REFUSED;
}

/* rustls compiled into an executable (Rust; the Codex CLI): recognised by
 * its crate's source paths and refused with its own reason. Where its
 * plaintext could be probed, and why it is not: docs/internals.md "rustls". */
static int rustls_kinds(const char *path, struct lib_cache_ent *e)
{
	if (!rt_rustls_version(path, e->rustls_version, sizeof(e->rustls_version)))
		return 0;
	e->refused = ASPEN_UNPARSED_RUSTLS;
	log_warn("%s: rustls %s compiled in: not probed (its requests are decided by "
		 "`uninspectable`)",
		 path, e->rustls_version);
	return TLS_LIB_RUSTLS;
}

int tls_lib_kinds(const char *path, struct tls_lib *info)
{
	struct lib_cache_ent e = { 0 }, *hit = NULL;
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	for (int i = 0; i < ncache && !hit; i++)
		if (cache[i].dev == st.st_dev && cache[i].ino == st.st_ino)
			hit = &cache[i];
	if (!hit) {
		e.dev = st.st_dev;
		e.ino = st.st_ino;
		e.kinds = elf_kinds(path);
		if (!e.kinds)
			e.kinds = go_kinds(path, &e);
		if (!e.kinds)
			e.kinds = pattern_kinds(path, &e);
		if (!e.kinds)
			e.kinds = rustls_kinds(path, &e);
		hit = &e;
		if (ncache < (int)(sizeof(cache) / sizeof(cache[0])))
			cache[ncache++] = e;
	}
	if (info) {
		snprintf(info->go_version, sizeof(info->go_version), "%s", hit->go_version);
		info->go_write_off = hit->go_write_off;
		info->go_read_off = hit->go_read_off;
		info->go_read_nrets = hit->go_read_nrets;
		memcpy(info->go_read_rets, hit->go_read_rets, sizeof(info->go_read_rets));
		info->ssl_write_off = hit->ssl_write_off;
		info->ssl_read_off = hit->ssl_read_off;
		snprintf(info->rustls_version, sizeof(info->rustls_version), "%s",
			 hit->rustls_version);
		info->refused = hit->refused;
	}
	return hit->kinds;
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
		kinds = tls_lib_kinds(out[n].path, &out[n]);
		if (!kinds)
			continue;
		out[n].kinds = kinds;
		n++;
	}
	fclose(f);
	return n;
}

/* ---- where to probe OpenSSL's write (x86-64 only) -------------------------
 * Finding OpenSSL's internal write function reads x86-64 machine code (the
 * `call rel32` opcode, `push %reg` prologues). Libraries of any other
 * architecture are refused here, and their exported SSL_write and
 * SSL_write_ex are probed by name instead. */

/* File offset of vaddr, through the PT_LOAD segment that maps it. */
static int vaddr_to_off(Elf *elf, GElf_Addr vaddr, __u64 *off)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -1;
}

static int dynsym_addr(Elf *elf, const char *want, GElf_Addr *addr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && !strcmp(name, want)) {
				*addr = sym.st_value;
				return 0;
			}
		}
	}
	return -1;
}

#define SCAN_BYTES 64

/* x86-64: targets of `call rel32` (e8) in the first bytes of a function. Without a
 * decoder an e8 may be an operand byte: callers keep only targets that two
 * functions share, which is what an internal function called by both is. */
static int call_targets(int fd, Elf *elf, GElf_Addr fn, GElf_Addr *out, int max)
{
	__u8 code[SCAN_BYTES];
	__u64 off;
	int n = 0;

	if (vaddr_to_off(elf, fn, &off) || pread(fd, code, sizeof(code), (off_t)off) != sizeof(code))
		return 0;
	for (int i = 0; i + 5 <= SCAN_BYTES && n < max; i++) {
		if (code[i] != 0xe8)
			continue;
		__s32 rel;

		memcpy(&rel, &code[i + 1], 4);
		out[n++] = fn + (GElf_Addr)i + 5 + (GElf_Addr)(__s64)rel;
	}
	return n;
}

/* x86-64: the kernel emulates push/nop/jmp/call at a probe and
 * single-steps the rest (an extra trap, ~10 us here): accept a point only
 * if it starts with push %reg (50+r, or 41 50+r for r8-r15), as OpenSSL
 * 3's internal write function does. */
static bool emulated_prologue(int fd, Elf *elf, GElf_Addr fn)
{
	__u8 b[2];
	__u64 off;

	if (vaddr_to_off(elf, fn, &off) || pread(fd, b, 2, (off_t)off) != 2)
		return false;
	return (b[0] >= 0x50 && b[0] <= 0x57) || (b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57);
}

static bool is_x86_64(Elf *elf)
{
	GElf_Ehdr eh;

	return gelf_getehdr(elf, &eh) && eh.e_machine == EM_X86_64;
}

/* OpenSSL 3: SSL_write and SSL_write_ex both call ssl_write_internal(s,
 * buf, num, written), SSL_read and SSL_read_ex ssl_read_internal(s, buf,
 * num, readbytes) (> 0 on success, *readbytes the bytes read), whose first
 * instruction the kernel emulates. One probe there sees every write (read),
 * with the same first three arguments, at no single-step cost. Returns 0
 * and its file offset, or -1 (then probe the exported functions by name):
 * always -1 for a library that is not x86-64 code. */
static int internal_point(const char *path, const char *fn, const char *fn_ex, __u64 *file_off,
			  const char *fn_newer, bool *has_newer)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	GElf_Addr w, wx, tw[8], twx[8], nx;
	Elf *elf;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && is_x86_64(elf) && !dynsym_addr(elf, fn, &w) && !dynsym_addr(elf, fn_ex, &wx)) {
		int a = call_targets(fd, elf, w, tw, 8), b = call_targets(fd, elf, wx, twx, 8);

		for (int i = 0; i < a && rc; i++)
			for (int j = 0; j < b && rc; j++)
				if (tw[i] == twx[j] && emulated_prologue(fd, elf, tw[i]) &&
				    !vaddr_to_off(elf, tw[i], file_off))
					rc = 0;
		if (has_newer)
			*has_newer = !dynsym_addr(elf, fn_newer, &nx);
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return rc;
}

/* OpenSSL 3.3 added SSL_write_ex2 and a flags argument to the internal
 * write, before `written`. */
int tls_openssl_write_point(const char *path, __u64 *file_off, int *written_arg)
{
	bool v33 = false;
	int rc = internal_point(path, "SSL_write", "SSL_write_ex", file_off, "SSL_write_ex2", &v33);

	*written_arg = v33 ? ASPEN_COOKIE_WRITTEN_ARG5 : ASPEN_COOKIE_WRITTEN_ARG4;
	return rc;
}

int tls_openssl_read_point(const char *path, __u64 *file_off)
{
	return internal_point(path, "SSL_read", "SSL_read_ex", file_off, NULL, NULL);
}
