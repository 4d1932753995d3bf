/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BoringSSL's SSL_write and SSL_read in an executable that has no symbol
 * for them (rt_sslpat.h). The signature is the error reporting their
 * source carries, not their machine code, which changes with every
 * compiler and build:
 *
 *   1. BoringSSL's ssl/ssl_lib.cc is in the file: its __FILE__ string, a
 *      C string "ssl/ssl_lib.cc" or ending in "/ssl/ssl_lib.cc" (OpenSSL's
 *      is ssl_lib.c), in a read-only segment.
 *   2. Every reference to it in the code is an OPENSSL_PUT_ERROR(SSL,
 *      reason) of ssl_lib.cc: ERR_put_error(library, unused, reason, file,
 *      line). The reference loads the file argument (`mov r32, imm32` in
 *      a non-PIE executable, `lea r64, [rip + d]` otherwise), next to the
 *      other arguments' immediates. Two register assignments are read:
 *      file in rcx (the declared one: reason edx, line r8d) and file in
 *      rdx (link-time optimization dropped the unused argument, as in
 *      Bun: reason esi, line ecx); library (edi), when set there, is 16
 *      (ERR_LIB_SSL). The argument instructions are read back and forth
 *      from the reference, through one jmp to a tail that reports share.
 *      A reference that does not decode so taints its function: it
 *      never matches.
 *   3. Each report belongs to the function whose unwind entry (.eh_frame,
 *      found through the .eh_frame_hdr table) covers it; the entry is
 *      where the probe goes.
 *   4. SSL_write is the one function whose reports are exactly
 *      ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED (66), SSL_R_UNINITIALIZED (226),
 *      SSL_R_SSL_HANDSHAKE_FAILURE (215) and SSL_R_BAD_LENGTH (111): its
 *      source since BoringSSL of 2022-07-28 (commit 4bd32a848).
 *   5. SSL_read (with SSL_peek inlined, or SSL_peek itself) holds the
 *      report with the highest line below SSL_write's first: SSL_peek's
 *      ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED, just above SSL_write in the
 *      source. Its function reports nothing else than 66, 226 and 215,
 *      and either reports 226 and 215 itself (ssl_read_impl inlined) or
 *      calls the function that reports exactly those two (ssl_read_impl).
 *
 * Not exactly one function for either: not found or ambiguous, and the
 * caller refuses the process (never a guess). Everything read is
 * bounds-checked: a malformed file is never a crash.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_sslpat.h"

#define ERR_LIB_SSL 16
#define R_NOT_CALLED 66	    /* ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED */
#define R_UNINITIALIZED 226 /* SSL_R_UNINITIALIZED */
#define R_HANDSHAKE 215	    /* SSL_R_SSL_HANDSHAKE_FAILURE */
#define R_BAD_LENGTH 111    /* SSL_R_BAD_LENGTH */

/* a function's reports, as a set */
#define B_NOT_CALLED 1u
#define B_UNINIT 2u
#define B_HANDSHAKE 4u
#define B_BAD_LENGTH 8u
#define B_OTHER 16u /* another reason, or a reference that did not decode */

#define SET_WRITE (B_NOT_CALLED | B_UNINIT | B_HANDSHAKE | B_BAD_LENGTH)
#define SET_READ_IMPL (B_UNINIT | B_HANDSHAKE)

#define MAX_STRS 8
#define MAX_SITES 4096
#define SITE_WINDOW 6 /* argument instructions read on each side of a reference */

struct img {
	const uint8_t *m;
	size_t len;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
};

struct site {
	uint64_t va;
	uint64_t fn, fn_size; /* the function covering it; fn 0: none found */
	uint32_t reason;      /* ~0u: the reference did not decode */
	uint32_t line;
	bool pad; /* its function was found by padding, not the unwind table */
};

struct func {
	uint64_t addr, size;
	unsigned set;
	uint32_t min_line;
	uint64_t last_site; /* address of its last report */
	bool pad;	    /* found by padding (checked by entry_ok()) */
};

/* ---- the file -------------------------------------------------------------- */

static const void *at(const struct img *im, uint64_t off, uint64_t n)
{
	return off <= im->len && n <= im->len - off ? im->m + off : NULL;
}

static int img_open(const char *path, struct img *im)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *m;

	memset(im, 0, sizeof(*im));
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return -1;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	im->m = m;
	im->len = (size_t)st.st_size;
	im->eh = (const Elf64_Ehdr *)im->m;
	if (memcmp(im->eh->e_ident, ELFMAG, SELFMAG) || im->eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    im->eh->e_ident[EI_DATA] != ELFDATA2LSB || im->eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    im->eh->e_phnum > 256 || im->eh->e_phoff % _Alignof(Elf64_Phdr) ||
	    !(im->ph = at(im, im->eh->e_phoff, (uint64_t)im->eh->e_phnum * sizeof(Elf64_Phdr))))
		return -1;
	return 0;
}

static void img_close(struct img *im)
{
	if (im->m)
		munmap((void *)im->m, im->len);
}

/* the file bytes of [va, va + n) through the PT_LOAD segment mapping them */
static const uint8_t *va_ptr(const struct img *im, uint64_t va, uint64_t n, uint64_t *off)
{
	for (unsigned i = 0; i < im->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &im->ph[i];

		if (p->p_type != PT_LOAD || va < p->p_vaddr || va - p->p_vaddr > p->p_filesz ||
		    n > p->p_filesz - (va - p->p_vaddr))
			continue;
		if (off)
			*off = p->p_offset + (va - p->p_vaddr);
		return at(im, p->p_offset + (va - p->p_vaddr), n);
	}
	return NULL;
}

/* needle in h[0..n): memchr on the needle's byte at pivot (one chosen to be
 * rare there), then a compare; glibc's memmem was 60% of the time here */
static const uint8_t *find(const uint8_t *h, size_t n, const void *needle, size_t len, size_t pivot)
{
	const uint8_t *nd = needle, *p = h + pivot, *end = h + n;

	while (n >= len && p + (len - pivot) <= end) {
		p = memchr(p, nd[pivot], (size_t)(end - (len - pivot) + 1 - p));
		if (!p)
			return NULL;
		if (!memcmp(p - pivot, nd, len))
			return p - pivot;
		p++;
	}
	return NULL;
}

/* ---- 1. ssl_lib.cc's file name ---------------------------------------------- */

static int find_strings(const struct img *im, uint64_t *va, int max)
{
	static const char tail[] = "ssl/ssl_lib.cc"; /* with its NUL */
	int n = 0;

	for (unsigned i = 0; i < im->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &im->ph[i];
		const uint8_t *seg = p->p_type == PT_LOAD && !(p->p_flags & (PF_X | PF_W))
					 ? at(im, p->p_offset, p->p_filesz)
					 : NULL;
		size_t pos = 0;

		while (seg && n < max && pos < p->p_filesz) {
			const uint8_t *h =
			    find(seg + pos, p->p_filesz - pos, tail, sizeof(tail), 3);
			size_t s;

			if (!h)
				break;
			s = (size_t)(h - seg);
			pos = s + 1;
			if (s && seg[s - 1] != '/' && seg[s - 1] != 0)
				continue; /* "xssl/ssl_lib.cc" */
			while (s && seg[s - 1] != 0 && (size_t)(h - seg) - s < 4096)
				s--;
			if (s && seg[s - 1] != 0)
				continue;
			va[n++] = p->p_vaddr + s;
		}
	}
	return n;
}

/* ---- 3. functions from the unwind table --------------------------------------- */

struct ehdr_tab {
	uint64_t hdr_va;
	const int32_t *t; /* pairs: initial location, FDE address (from hdr_va) */
	uint32_t n;
};

static int ehdr_open(const struct img *im, struct ehdr_tab *e)
{
	for (unsigned i = 0; i < im->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &im->ph[i];
		const uint8_t *h;
		uint32_t n;

		if (p->p_type != PT_GNU_EH_FRAME)
			continue;
		/* the table is read as int32_t: a linker aligns it, a file
		 * that does not is refused (fuzz_elf: UBSan's misaligned load) */
		h = p->p_offset % 4 ? NULL : at(im, p->p_offset, 12);
		/* version 1; eh_frame_ptr pcrel sdata4; count udata4; table datarel sdata4 */
		if (!h || h[0] != 1 || h[1] != 0x1b || h[2] != 0x03 || h[3] != 0x3b)
			return -1;
		memcpy(&n, h + 8, 4);
		if (!at(im, p->p_offset + 12, (uint64_t)n * 8))
			return -1;
		e->hdr_va = p->p_vaddr;
		e->t = (const int32_t *)(h + 12);
		e->n = n;
		return 0;
	}
	return -1;
}

static uint64_t uleb(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	int shift = 0;

	while (*p < end && shift < 64) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	return v;
}

/* a DW_EH_PE-encoded value at *p (va: its address, for pcrel) */
static int enc_read(const uint8_t **p, const uint8_t *end, uint8_t enc, uint64_t va, uint64_t *out)
{
	int64_t v;

	switch (enc & 0x0f) {
	case 0x00: /* absptr */
	case 0x04: /* udata8 */
	case 0x0c: /* sdata8 */
		if (end - *p < 8)
			return -1;
		memcpy(&v, *p, 8);
		*p += 8;
		break;
	case 0x03: { /* udata4 */
		uint32_t u;

		if (end - *p < 4)
			return -1;
		memcpy(&u, *p, 4);
		v = u;
		*p += 4;
		break;
	}
	case 0x0b: { /* sdata4 */
		int32_t s;

		if (end - *p < 4)
			return -1;
		memcpy(&s, *p, 4);
		v = s;
		*p += 4;
		break;
	}
	default: return -1;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case 0x10: v += (int64_t)va; break;
	default: return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

/* The pointer encoding (augmentation 'R') of the CIE at cie_va */
static int cie_encoding(const struct img *im, uint64_t cie_va, uint8_t *enc)
{
	const uint8_t *p = va_ptr(im, cie_va, 8, NULL), *end, *aug;
	uint32_t len, id;

	if (!p)
		return -1;
	memcpy(&len, p, 4);
	memcpy(&id, p + 4, 4);
	if (len < 8 || len == 0xffffffffu || id != 0 ||
	    !(p = va_ptr(im, cie_va, 4 + (uint64_t)len, NULL)))
		return -1;
	end = p + 4 + len;
	p += 8;
	if (p >= end || (*p != 1 && *p != 3))
		return -1;
	aug = ++p;
	while (p < end && *p)
		p++;
	if (p >= end)
		return -1;
	p++;
	*enc = 0; /* absptr when no 'R' */
	if (aug[0] != 'z')
		return aug[0] ? -1 : 0;
	uleb(&p, end);	    /* code alignment */
	uleb(&p, end);	    /* data alignment (sleb: skipped alike) */
	if (aug[-1] == 1) { /* return register: a byte in version 1 */
		if (p >= end)
			return -1;
		p++;
	} else {
		uleb(&p, end);
	}
	uleb(&p, end); /* augmentation length */
	for (const uint8_t *a = aug + 1; *a; a++) {
		uint64_t skip;

		if (p >= end)
			return -1;
		switch (*a) {
		case 'R': *enc = *p++; return 0;
		case 'P': {
			uint8_t penc = *p++;

			if (enc_read(&p, end, penc & 0x0f, 0, &skip))
				return -1;
			break;
		}
		case 'L': p++; break;
		case 'S':
		case 'B': break;
		default: return -1;
		}
	}
	return 0;
}

/* The function (unwind entry) covering va: 0 and its range, or -1 */
static int func_of(const struct img *im, const struct ehdr_tab *e, uint64_t va, uint64_t *start,
		   uint64_t *size)
{
	uint32_t lo = 0, hi = e->n;
	uint64_t fde_va, cie_va, pc, range;
	const uint8_t *p, *end;
	uint32_t len, cie_ptr;
	uint8_t enc;

	while (lo < hi) { /* the last entry starting at or below va */
		uint32_t mid = lo + (hi - lo) / 2;

		if (e->hdr_va + (uint64_t)(int64_t)e->t[2 * mid] <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	fde_va = e->hdr_va + (uint64_t)(int64_t)e->t[2 * (lo - 1) + 1];
	p = va_ptr(im, fde_va, 8, NULL);
	if (!p)
		return -1;
	memcpy(&len, p, 4);
	memcpy(&cie_ptr, p + 4, 4);
	if (len < 8 || len == 0xffffffffu || !cie_ptr ||
	    !(p = va_ptr(im, fde_va, 4 + (uint64_t)len, NULL)))
		return -1;
	end = p + 4 + len;
	cie_va = fde_va + 4 - cie_ptr;
	if (cie_encoding(im, cie_va, &enc))
		return -1;
	p += 8;
	if (enc_read(&p, end, enc, fde_va + 8, &pc) || enc_read(&p, end, enc & 0x0f, 0, &range))
		return -1;
	/* the function's bytes in the file too (fuzz_elf: a table's range ran
	 * 16 MB past a 12 KB file, and the function was taken) */
	if (va < pc || va - pc >= range || !va_ptr(im, pc, range, NULL))
		return -1;
	*start = pc;
	*size = range;
	return 0;
}

/* Code without unwind entries (most of Bun's since 1.3): functions are
 * 16-byte aligned with int3 (0xcc) padding before each. The function
 * covering c[pos] starts at the last aligned address at or below it that
 * follows a 0xcc and is not one, and ends at the next such address. A
 * function not preceded by padding (the one before ended on the
 * alignment) is not seen here: entry_ok() refuses what that could hide. */
#define PAD_SCAN (64u << 10)

static int func_by_padding(const uint8_t *c, size_t n, uint64_t base, size_t pos, uint64_t *start,
			   uint64_t *size)
{
	size_t i = pos - (size_t)((base + pos) % 16), j;

	for (size_t k = 0;; k++, i -= 16) {
		if (k >= PAD_SCAN / 16 || i < 16)
			return -1;
		if (c[i - 1] == 0xcc && c[i] != 0xcc)
			break;
	}
	for (j = i + 16; j < n && j - i < PAD_SCAN; j += 16)
		if (j > pos && c[j - 1] == 0xcc && c[j] != 0xcc)
			break;
	if (j >= n || j - i >= PAD_SCAN)
		return -1;
	*start = base + i;
	*size = j - i;
	return 0;
}

/* push %rbp; mov %rsp,%rbp (Bun's functions keep frame pointers) */
static bool frame_prologue(const uint8_t *p)
{
	return !memcmp(p, "\x55\x48\x89\xe5", 4);
}

/* A function found by padding is trusted as SSL_write or SSL_read only if
 * it begins with a frame-pointer prologue (endbr64 before it allowed) and
 * no other aligned address up to its last report does: one would be a
 * function the padding did not show, whose code the reports may be in. */
static bool entry_ok(const struct img *im, const struct func *f)
{
	const uint8_t *c;

	if (!f->pad)
		return true;
	c = va_ptr(im, f->addr, f->last_site - f->addr + 8, NULL);
	if (!c ||
	    (!frame_prologue(c) && !(!memcmp(c, "\xf3\x0f\x1e\xfa", 4) && frame_prologue(c + 4))))
		return false;
	for (uint64_t a = 16; a <= f->last_site - f->addr; a += 16)
		if (frame_prologue(c + a))
			return false;
	return true;
}

/* ---- 2. the error reports ------------------------------------------------------ */

/* The argument-setting instructions read around a reference (x86-64):
 *   b8+r id / 41 b8+r id        mov r32, imm32
 *   31|33 /r, 45 31|33 /r       xor r32, r32 (same register: zero)
 *   48|4c 8d /r (rip + d32)     lea r64, [rip + d32]
 * Returns the length of the one at c[0..avail), its register and value. */
static int arg_insn(const uint8_t *c, size_t avail, uint64_t va, int *reg, uint64_t *val)
{
	int rex = 0, i = 0;

	if (avail >= 1 && (c[0] == 0x41 || c[0] == 0x45 || c[0] == 0x48 || c[0] == 0x4c)) {
		rex = c[0];
		i = 1;
	}
	if ((size_t)i + 5 <= avail && c[i] >= 0xb8 && c[i] <= 0xbf && (!rex || rex == 0x41)) {
		uint32_t imm;

		memcpy(&imm, c + i + 1, 4);
		*reg = (c[i] - 0xb8) + (rex ? 8 : 0);
		*val = imm;
		return i + 5;
	}
	if ((size_t)i + 2 <= avail && (c[i] == 0x31 || c[i] == 0x33) && (c[i + 1] & 0xc0) == 0xc0 &&
	    ((c[i + 1] >> 3) & 7) == (c[i + 1] & 7) && (!rex || rex == 0x45)) {
		*reg = (c[i + 1] & 7) + (rex ? 8 : 0);
		*val = 0;
		return i + 2;
	}
	if (i == 1 && (rex == 0x48 || rex == 0x4c) && avail >= 7 && c[1] == 0x8d &&
	    (c[2] & 0xc7) == 0x05) {
		int32_t d;

		memcpy(&d, c + 3, 4);
		*reg = ((c[2] >> 3) & 7) + (rex == 0x4c ? 8 : 0);
		*val = va + 7 + (uint64_t)(int64_t)d;
		return 7;
	}
	return 0;
}

enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI, R_8 };

/* The report whose file argument is loaded by the instruction at code[pos]
 * (file register freg): reason and line from the instructions around it. */
static int decode_site(const uint8_t *code, size_t n, uint64_t base, size_t pos, int freg,
		       struct site *s)
{
	uint64_t val[16];
	unsigned known = 0;
	size_t start = pos;
	int rr, lr, r;
	uint64_t v;

	/* back over argument instructions that end where the next begins */
	for (int k = 0; k < SITE_WINDOW; k++) {
		size_t back = 0;

		for (size_t l = 7; l >= 2 && !back; l--)
			if (start >= l &&
			    arg_insn(code + start - l, l, base + start - l, &r, &v) == (int)l)
				back = l;
		if (!back)
			break;
		start -= back;
	}
	/* forward: each register's last value before the call, through one
	 * jmp (rel8 or rel32) to a tail the reports share (clang's) */
	for (int k = 0, jumped = 0; k < 2 * SITE_WINDOW + 1 && start < n; k++) {
		int l = arg_insn(code + start, n - start, base + start, &r, &v);

		if (!l && !jumped && code[start] == 0xeb && start + 2 <= n) {
			start = start + 2 + (size_t)(int64_t)(int8_t)code[start + 1];
			jumped = 1;
			continue;
		}
		if (!l && !jumped && code[start] == 0xe9 && start + 5 <= n) {
			int32_t d;

			memcpy(&d, code + start + 1, 4);
			start = start + 5 + (size_t)(int64_t)d;
			jumped = 1;
			continue;
		}
		if (!l)
			break;
		val[r] = v;
		known |= 1u << r;
		start += (size_t)l;
	}
	if (freg == R_CX) { /* ERR_put_error(lib, unused, reason, file, line) */
		rr = R_DX;
		lr = R_8;
	} else if (freg == R_DX) { /* the unused argument dropped */
		rr = R_SI;
		lr = R_CX;
	} else {
		return -1;
	}
	if (!(known & (1u << rr)) || !(known & (1u << lr)) ||
	    ((known & (1u << R_DI)) && val[R_DI] != ERR_LIB_SSL) || val[rr] > 0xfff ||
	    val[lr] > 1000000)
		return -1;
	s->reason = (uint32_t)val[rr];
	s->line = (uint32_t)val[lr];
	return 0;
}

static unsigned reason_bit(uint32_t reason)
{
	switch (reason) {
	case R_NOT_CALLED: return B_NOT_CALLED;
	case R_UNINITIALIZED: return B_UNINIT;
	case R_HANDSHAKE: return B_HANDSHAKE;
	case R_BAD_LENGTH: return B_BAD_LENGTH;
	default: return B_OTHER;
	}
}

struct scan {
	const struct img *im;
	const struct ehdr_tab *eh;
	const uint64_t *str;
	int nstr;
	struct site *sites;
	unsigned nsites;
};

static bool is_str(const struct scan *sc, uint64_t va)
{
	for (int i = 0; i < sc->nstr; i++)
		if (sc->str[i] == va)
			return true;
	return false;
}

static void add_site(struct scan *sc, const uint8_t *code, size_t n, uint64_t base, size_t pos,
		     int freg)
{
	struct site s = {.va = base + pos, .reason = ~0u};

	if (sc->nsites >= MAX_SITES)
		return;
	if (decode_site(code, n, base, pos, freg, &s))
		s.reason = ~0u;
	if (sc->eh->n && !func_of(sc->im, sc->eh, base + pos, &s.fn, &s.fn_size))
		s.pad = false;
	else if (!func_by_padding(code, n, base, pos, &s.fn, &s.fn_size))
		s.pad = true;
	else
		s.fn = 0;
	sc->sites[sc->nsites++] = s;
}

/* References in one executable segment c[0..n) at base: `mov r32, imm32`
 * of the name's address (searched as its 4 bytes), `lea r64, [rip + d32]`
 * (at each 0x8d byte): about 0.1 s for Bun's 57 MB of code. */
static void scan_seg(struct scan *sc, const uint8_t *c, size_t n, uint64_t base)
{
	for (int k = 0; k < sc->nstr; k++) {
		uint32_t imm = (uint32_t)sc->str[k];
		const uint8_t *h;

		for (size_t j = 1; sc->str[k] <= UINT32_MAX && j + 4 <= n;
		     j = (size_t)(h - c) + 1) {
			h = find(c + j, n - j, &imm, 4, 1); /* a middle byte */
			if (!h)
				break;
			size_t op = (size_t)(h - c) - 1;
			bool rex = op && c[op - 1] == 0x41;

			if (c[op] >= 0xb8 && c[op] <= 0xbf)
				add_site(sc, c, n, base, rex ? op - 1 : op,
					 (c[op] - 0xb8) + (rex ? 8 : 0));
		}
	}
	for (size_t j = 1; j + 6 <= n; j++) {
		int32_t d;

		if (c[j] != 0x8d || (c[j + 1] & 0xc7) != 0x05 ||
		    (c[j - 1] != 0x48 && c[j - 1] != 0x4c))
			continue;
		memcpy(&d, c + j + 2, 4);
		if (is_str(sc, base + j + 6 + (uint64_t)(int64_t)d))
			add_site(sc, c, n, base, j - 1,
				 ((c[j + 1] >> 3) & 7) + (c[j - 1] == 0x4c ? 8 : 0));
	}
}

/* Every reference to the file name in the executable segments */
static void scan_code(struct scan *sc)
{
	for (unsigned i = 0; i < sc->im->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &sc->im->ph[i];
		const uint8_t *c = p->p_type == PT_LOAD && (p->p_flags & PF_X)
				       ? at(sc->im, p->p_offset, p->p_filesz)
				       : NULL;

		if (c && p->p_filesz > 8)
			scan_seg(sc, c, p->p_filesz, p->p_vaddr);
	}
}

/* ---- 4, 5. the two functions ----------------------------------------------------- */

static int site_cmp(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	return x->fn < y->fn ? -1 : x->fn > y->fn;
}

static unsigned group(struct site *s, unsigned n, struct func *f)
{
	unsigned nf = 0;

	qsort(s, n, sizeof(*s), site_cmp);
	for (unsigned i = 0; i < n; i++) {
		if (!s[i].fn)
			continue;
		if (!nf || f[nf - 1].addr != s[i].fn)
			f[nf++] =
			    (struct func){.addr = s[i].fn, .size = s[i].fn_size, .min_line = ~0u};
		f[nf - 1].set |= s[i].reason == ~0u ? B_OTHER : reason_bit(s[i].reason);
		f[nf - 1].pad |= s[i].pad;
		if (s[i].va > f[nf - 1].last_site)
			f[nf - 1].last_site = s[i].va;
		if (s[i].reason != ~0u && s[i].line < f[nf - 1].min_line)
			f[nf - 1].min_line = s[i].line;
	}
	return nf;
}

/* does fn's code call target (e8 rel32)? */
static bool calls(const struct img *im, const struct func *fn, uint64_t target)
{
	const uint8_t *c = va_ptr(im, fn->addr, fn->size, NULL);

	for (uint64_t j = 0; c && j + 5 <= fn->size; j++) {
		int32_t d;

		if (c[j] != 0xe8)
			continue;
		memcpy(&d, c + j + 1, 4);
		if (fn->addr + j + 5 + (uint64_t)(int64_t)d == target)
			return true;
	}
	return false;
}

static enum rt_ssl_status pick_write(const struct func *f, unsigned nf, const struct func **w)
{
	unsigned hits = 0;

	for (unsigned i = 0; i < nf; i++)
		if (f[i].set == SET_WRITE) {
			*w = &f[i];
			hits++;
		}
	return hits == 1 ? RT_SSL_OK : hits ? RT_SSL_AMBIGUOUS : RT_SSL_NOT_FOUND;
}

static bool has_line(const struct site *s, unsigned ns, uint64_t fn, uint32_t line)
{
	for (unsigned i = 0; i < ns; i++)
		if (s[i].fn == fn && s[i].reason != ~0u && s[i].line == line)
			return true;
	return false;
}

static enum rt_ssl_status pick_read(const struct img *im, const struct site *s, unsigned ns,
				    const struct func *f, unsigned nf, const struct func *w,
				    const struct func **rd)
{
	uint32_t top = 0;
	unsigned hits = 0;

	for (unsigned i = 0; i < ns; i++) /* the highest line below SSL_write's */
		if (s[i].reason != ~0u && s[i].line < w->min_line && s[i].line > top)
			top = s[i].line;
	for (unsigned i = 0; i < ns; i++)
		if (s[i].reason != ~0u && s[i].line == top && s[i].reason != R_NOT_CALLED)
			return RT_SSL_NOT_FOUND; /* not SSL_peek's report */
	for (unsigned i = 0; top && i < nf; i++) {
		bool impl = (f[i].set & SET_READ_IMPL) == SET_READ_IMPL;

		if (!has_line(s, ns, f[i].addr, top))
			continue;
		hits++; /* two functions with it: SSL_peek and SSL_read inlining it */
		if (f[i].set & ~(B_NOT_CALLED | SET_READ_IMPL))
			continue;
		for (unsigned j = 0; j < nf && !impl; j++)
			impl = f[j].set == SET_READ_IMPL && calls(im, &f[i], f[j].addr);
		if (impl)
			*rd = &f[i];
	}
	if (hits > 1)
		return RT_SSL_AMBIGUOUS;
	return hits == 1 && *rd ? RT_SSL_OK : RT_SSL_NOT_FOUND;
}

static void fill(const struct img *im, const struct func *f, struct rt_ssl_func *out)
{
	out->addr = f->addr;
	out->size = f->size;
	va_ptr(im, f->addr, 1, &out->off);
}

enum rt_ssl_status rt_ssl_inspect(const char *path, struct rt_ssl_info *info)
{
	uint64_t str[MAX_STRS];
	struct ehdr_tab eh = {0};
	struct img im;
	struct scan sc = {0};
	struct func *f = NULL;
	const struct func *w = NULL, *rd = NULL;
	unsigned nf;

	memset(info, 0, sizeof(*info));
	info->status = RT_SSL_NOT_BORINGSSL;
	if (img_open(path, &im))
		goto out;
	sc.nstr = find_strings(&im, str, MAX_STRS);
	if (!sc.nstr)
		goto out;
	info->status = RT_SSL_LAYOUT;
	if (im.eh->e_machine != EM_X86_64)
		goto out;
	if (ehdr_open(&im, &eh))
		eh.n = 0; /* no unwind table: functions by padding only */
	sc.im = &im;
	sc.eh = &eh;
	sc.str = str;
	sc.sites = calloc(MAX_SITES, sizeof(*sc.sites));
	f = calloc(MAX_SITES, sizeof(*f));
	info->status = RT_SSL_NOT_FOUND;
	if (!sc.sites || !f)
		goto out;
	scan_code(&sc);
	nf = group(sc.sites, sc.nsites, f);
	info->sites = sc.nsites;
	info->funcs = nf;
	info->status = pick_write(f, nf, &w);
	if (info->status == RT_SSL_OK)
		info->status = pick_read(&im, sc.sites, sc.nsites, f, nf, w, &rd);
	if (info->status == RT_SSL_OK && (!entry_ok(&im, w) || !entry_ok(&im, rd)))
		info->status = RT_SSL_NOT_FOUND;
	if (info->status == RT_SSL_OK) {
		fill(&im, w, &info->write);
		fill(&im, rd, &info->read);
	}
out:
	free(sc.sites);
	free(f);
	img_close(&im);
	return info->status;
}

/* ---- rustls: recognised, not probed ----------------------------------------
 * A Rust executable built with rustls keeps the source paths of the crate
 * for its panic messages, stripped or not: ".../rustls-0.23.46/src/...".
 * Only the crate named exactly "rustls" counts ("tokio-rustls-", "hyper-
 * rustls-" are wrappers around it, not TLS stacks of their own). */

static bool rustls_at(const uint8_t *seg, size_t n, size_t s, char *ver, size_t vlen)
{
	static const char crate[] = "/rustls-";
	size_t i = s + sizeof(crate) - 1, v = 0;

	while (i < n && v + 1 < vlen && ((seg[i] >= '0' && seg[i] <= '9') || seg[i] == '.'))
		ver[v++] = (char)seg[i++];
	ver[v] = 0;
	return v >= 3 && ver[0] != '.' && i + 5 <= n && !memcmp(seg + i, "/src/", 5);
}

bool rt_rustls_version(const char *path, char *ver, size_t vlen)
{
	static const char crate[] = "/rustls-";
	struct img im;
	bool found = false;

	if (!vlen || img_open(path, &im)) {
		img_close(&im);
		return false;
	}
	for (unsigned i = 0; i < im.eh->e_phnum && !found; i++) {
		const Elf64_Phdr *p = &im.ph[i];
		const uint8_t *seg = p->p_type == PT_LOAD && !(p->p_flags & (PF_X | PF_W))
					 ? at(&im, p->p_offset, p->p_filesz)
					 : NULL;
		size_t pos = 0;

		while (seg && !found && pos < p->p_filesz) {
			const uint8_t *h = find(seg + pos, p->p_filesz - pos, crate,
						sizeof(crate) - 1, 1);

			if (!h)
				break;
			pos = (size_t)(h - seg) + 1;
			found = rustls_at(seg, p->p_filesz, (size_t)(h - seg), ver, vlen);
		}
	}
	if (!found)
		ver[0] = 0;
	img_close(&im);
	return found;
}

const char *rt_ssl_status_name(enum rt_ssl_status s)
{
	switch (s) {
	case RT_SSL_OK: return "pattern";
	case RT_SSL_NOT_FOUND: return "pattern_not_found";
	case RT_SSL_AMBIGUOUS: return "pattern_ambiguous";
	case RT_SSL_LAYOUT: return "pattern_layout";
	case RT_SSL_NOT_BORINGSSL: break;
	}
	return "not_boringssl";
}
