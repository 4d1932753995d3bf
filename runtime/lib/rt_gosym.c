/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go's symbol table and build info, read from the ELF file (see
 * rt_gosym.h). The layouts, from Go's runtime/symtab.go and
 * debug/buildinfo:
 *
 *   .gopclntab (Go 1.18+, magic 0xfffffff0; 1.20+ 0xfffffff1, same layout)
 *     u32 magic; u8 pad[2]; u8 minLC; u8 ptrSize; then ptrSize words:
 *     nfunc, nfiles, textStart, funcnameOffset, cuOffset, filetabOffset,
 *     pctabOffset, pclnOffset (offsets from the header's start)
 *     functab at pclnOffset: nfunc + 1 pairs { u32 entryoff; u32 funcoff }
 *       (entry = textStart + entryoff; the last pair ends the last function)
 *     _func at pclnOffset + funcoff: { u32 entryoff; i32 nameOff; ... }
 *     its name: a C string at funcnameOffset + nameOff
 *
 *   .go.buildinfo: "\xff Go buildinf:" (14 bytes), u8 ptrSize, u8 flags;
 *     flags & 2 (Go 1.18+): at offset 32 the version string, a uvarint
 *     length and its bytes. Older layouts (pointers) are not read.
 *
 *   RETs of a function (read side): its bytes, entry to the next
 *   function's entry (Go pads between functions with INT3), decoded
 *   instruction by instruction (rt_x86len.c); the decode must land
 *   exactly on that end, else no RET is trusted.
 *
 * Everything read is bounds-checked: a malformed file is "not Go" or
 * "layout not known", never a crash.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_gosym.h"
#include "rt_x86len.h"

#define GO_PCLN_118 0xfffffff0u
#define GO_PCLN_120 0xfffffff1u
#define GO_PCLN_MAX (256u << 20) /* a larger .gopclntab is refused */

/* Go versions the probe's register and structure use was tested with
 * (tests/e2e/test_tls_go.sh, Debian's golang-go). Another version is
 * refused (`unparsed` go_version) until it is tested and added here. */
static const char *const tested[] = {"go1.19"};

struct elf_file {
	int fd;
	Elf64_Ehdr eh;
	Elf64_Shdr *sh;
	char *shstr;
	size_t shstr_len;
};

static int rd(int fd, void *buf, size_t n, uint64_t off)
{
	return pread(fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

static void elf_close(struct elf_file *e)
{
	free(e->sh);
	free(e->shstr);
	if (e->fd >= 0)
		close(e->fd);
}

static int elf_open(const char *path, struct elf_file *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (e->fd < 0 || rd(e->fd, &e->eh, sizeof(e->eh), 0) ||
	    memcmp(e->eh.e_ident, ELFMAG, SELFMAG) || e->eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    e->eh.e_shentsize != sizeof(Elf64_Shdr) || !e->eh.e_shnum || e->eh.e_shnum > 4096 ||
	    e->eh.e_shstrndx >= e->eh.e_shnum)
		return -1;
	e->sh = calloc(e->eh.e_shnum, sizeof(Elf64_Shdr));
	if (!e->sh || rd(e->fd, e->sh, e->eh.e_shnum * sizeof(Elf64_Shdr), e->eh.e_shoff))
		return -1;
	const Elf64_Shdr *ss = &e->sh[e->eh.e_shstrndx];

	if (ss->sh_size > (1u << 20))
		return -1;
	e->shstr_len = ss->sh_size;
	e->shstr = malloc(e->shstr_len + 1);
	if (!e->shstr || rd(e->fd, e->shstr, e->shstr_len, ss->sh_offset))
		return -1;
	e->shstr[e->shstr_len] = 0;
	return 0;
}

static const Elf64_Shdr *section(const struct elf_file *e, const char *name)
{
	for (unsigned i = 0; i < e->eh.e_shnum; i++)
		if (e->sh[i].sh_name < e->shstr_len && !strcmp(e->shstr + e->sh[i].sh_name, name) &&
		    e->sh[i].sh_type != SHT_NOBITS)
			return &e->sh[i];
	return NULL;
}

/* File offset of vaddr through the PT_LOAD segment that maps it. */
static int vaddr_off(const struct elf_file *e, uint64_t vaddr, uint64_t *off)
{
	for (unsigned i = 0; i < e->eh.e_phnum && i < 256; i++) {
		Elf64_Phdr ph;

		if (rd(e->fd, &ph, sizeof(ph), e->eh.e_phoff + (uint64_t)i * sizeof(ph)))
			return -1;
		if (ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
		    vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -1;
}

struct pcln {
	uint8_t *d;
	uint64_t len;
	uint64_t nfunc, text, names, ftab;
};

static uint64_t word(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* 0, or -1 with *st saying why */
static int pcln_load(const struct elf_file *e, struct pcln *t, enum rt_go_status *st)
{
	const Elf64_Shdr *s = section(e, ".gopclntab");
	const Elf64_Shdr *text = section(e, ".text");

	memset(t, 0, sizeof(*t));
	*st = RT_GO_NOT_GO;
	if (!s || s->sh_size < 8 + 8 * 8 || s->sh_size > GO_PCLN_MAX)
		return -1;
	*st = RT_GO_LAYOUT;
	if (e->eh.e_machine != EM_X86_64)
		return -1; /* the probe reads amd64 registers only */
	t->len = s->sh_size;
	t->d = malloc(t->len);
	if (!t->d || rd(e->fd, t->d, t->len, s->sh_offset))
		return -1;
	uint32_t magic = u32(t->d);

	if ((magic != GO_PCLN_118 && magic != GO_PCLN_120) || t->d[7] != 8)
		return -1;
	t->nfunc = word(t->d + 8);
	t->text = word(t->d + 24);
	t->names = word(t->d + 32);
	t->ftab = word(t->d + 64);
	if (!t->text && text)
		t->text = text->sh_addr; /* a PIE's header is relocated at load: runtime.text */
	if (t->names >= t->len || t->ftab >= t->len || t->nfunc > (t->len - t->ftab) / 8 - 1)
		return -1;
	*st = RT_GO_OK;
	return 0;
}

/* The i-th function's name, or NULL */
static const char *pcln_name(const struct pcln *t, uint64_t i)
{
	uint64_t fo = t->ftab + u32(t->d + t->ftab + i * 8 + 4), no;
	int32_t name;

	if (fo + 8 > t->len)
		return NULL;
	memcpy(&name, t->d + fo + 4, 4);
	if (name < 0)
		return NULL;
	no = t->names + (uint64_t)name;
	if (no >= t->len || !memchr(t->d + no, 0, t->len - no))
		return NULL;
	return (const char *)t->d + no;
}

static int pcln_find(const struct elf_file *e, const struct pcln *t, const char *want,
		     struct rt_go_func *f)
{
	for (uint64_t i = 0; i < t->nfunc; i++) {
		const char *name = pcln_name(t, i);

		if (!name || strcmp(name, want))
			continue;
		uint32_t a = u32(t->d + t->ftab + i * 8), b = u32(t->d + t->ftab + (i + 1) * 8);

		f->addr = t->text + a;
		f->size = b > a ? b - a : 0;
		return vaddr_off(e, f->addr, &f->off);
	}
	return -1;
}

#define GO_FUNC_MAX (1u << 20) /* a larger function is not decoded */

static int func_rets(int fd, const struct rt_go_func *f, struct rt_go_rets *r)
{
	uint32_t rel[RT_GO_MAX_RETS];
	uint8_t *code;
	size_t bad = 0;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (!f->size || f->size > GO_FUNC_MAX || !(code = malloc(f->size)))
		return -1;
	if (!rd(fd, code, f->size, f->off) &&
	    !rt_x86_rets(code, f->size, rel, RT_GO_MAX_RETS, &r->n, &bad) && r->n) {
		for (unsigned i = 0; i < r->n; i++)
			r->off[i] = f->off + rel[i];
		r->ok = 1;
		rc = 0;
	} else {
		r->n = 0;
		r->bad = bad;
	}
	free(code);
	return rc;
}

int rt_go_rets(const char *path, const struct rt_go_func *f, struct rt_go_rets *r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	memset(r, 0, sizeof(*r));
	if (fd < 0)
		return -1;
	rc = func_rets(fd, f, r);
	close(fd);
	return rc;
}

static void buildinfo_version(const struct elf_file *e, char *out, size_t outlen)
{
	const Elf64_Shdr *s = section(e, ".go.buildinfo");
	uint8_t h[32 + 10 + 64];
	uint64_t n = 0;
	unsigned shift = 0, i = 32;

	out[0] = 0;
	if (!s || s->sh_size < sizeof(h))
		return;
	if (rd(e->fd, h, sizeof(h), s->sh_offset) || memcmp(h, "\xff Go buildinf:", 14) ||
	    !(h[15] & 2))
		return;
	for (; i < 42; i++, shift += 7) { /* uvarint */
		n |= (uint64_t)(h[i] & 0x7f) << shift;
		if (!(h[i] & 0x80))
			break;
	}
	i++;
	if (i > 42 || !n || n >= outlen || i + n > sizeof(h))
		return;
	for (uint64_t k = 0; k < n; k++)
		if (h[i + k] < 0x21 || h[i + k] > 0x7e)
			return; /* not a version string */
	memcpy(out, h + i, n);
	out[n] = 0;
}

bool rt_go_version_tested(const char *v)
{
	for (size_t i = 0; i < sizeof(tested) / sizeof(tested[0]); i++) {
		size_t n = strlen(tested[i]);

		if (!strncmp(v, tested[i], n) && (v[n] == 0 || v[n] == '.'))
			return true;
	}
	return false;
}

uint64_t rt_go_past_stack_check(const uint8_t *c, size_t n, uint64_t off)
{
	size_t i = 0;

	if (n >= 8 && !memcmp(c, "\x4c\x8d\x64\x24", 4))
		i = 5; /* LEA R12, [RSP+disp8] (a frame over 128 bytes) */
	else if (n >= 8 && !memcmp(c, "\x4c\x8d\xa4\x24", 4))
		i = 8; /* LEA R12, [RSP+disp32] */
	/* CMP R12 (or RSP), [R14+16]: the goroutine's stack guard */
	if (i + 6 > n || memcmp(c + i, i ? "\x4d\x3b\x66\x10" : "\x49\x3b\x66\x10", 4))
		return 0;
	i += 4;
	if (c[i] == 0x76)
		i += 2; /* JBE rel8 */
	else if (i + 6 <= n && c[i] == 0x0f && c[i + 1] == 0x86)
		i += 6; /* JBE rel32 */
	else
		return 0;
	return off + i;
}

/* where Write's probe goes (info->write_probe), 0 when not known */
static uint64_t write_probe(int fd, const struct rt_go_func *f)
{
	uint8_t c[24];

	if (f->size < sizeof(c) || rd(fd, c, sizeof(c), f->off))
		return 0;
	return rt_go_past_stack_check(c, sizeof(c), f->off);
}

enum rt_go_status rt_go_inspect(const char *path, struct rt_go_info *info)
{
	struct elf_file e;
	struct pcln t = {0};
	enum rt_go_status st = RT_GO_NOT_GO;

	memset(info, 0, sizeof(*info));
	if (!elf_open(path, &e) && !pcln_load(&e, &t, &st)) {
		info->nfunc = t.nfunc;
		buildinfo_version(&e, info->version, sizeof(info->version));
		if (!rt_go_version_tested(info->version))
			st = RT_GO_VERSION;
		else if (pcln_find(&e, &t, "crypto/tls.(*Conn).Write", &info->write))
			st = RT_GO_NOFUNC;
		else if (!(info->write_probe = write_probe(e.fd, &info->write)))
			st = RT_GO_LAYOUT; /* no stack check where Go puts it */
		else if (pcln_find(&e, &t, "crypto/tls.(*Conn).Read", &info->read))
			memset(&info->read, 0, sizeof(info->read)); /* a client that never reads */
		else
			func_rets(e.fd, &info->read, &info->read_rets); /* ok 0: not probed */
	}
	free(t.d);
	elf_close(&e);
	info->status = st;
	return st;
}

int rt_go_func(const char *path, const char *name, struct rt_go_func *f)
{
	struct elf_file e;
	struct pcln t = {0};
	enum rt_go_status st;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if (!elf_open(path, &e) && !pcln_load(&e, &t, &st))
		rc = pcln_find(&e, &t, name, f);
	free(t.d);
	elf_close(&e);
	return rc;
}

const char *rt_go_status_name(enum rt_go_status s)
{
	switch (s) {
	case RT_GO_OK: return "pclntab";
	case RT_GO_VERSION: return "go_version";
	case RT_GO_NOFUNC: return "go_no_tls";
	case RT_GO_LAYOUT: return "go_layout";
	case RT_GO_NOT_GO: break;
	}
	return "not_go";
}
