/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The x86-64 instruction-length decoder (runtime/lib/rt_x86len.c) and the
 * RETs of Go functions it finds (rt_go_rets, rt_gosym.c), against
 * `objdump -d` as the oracle, on the tests' Go client built here with its
 * ELF symbols and stripped (-ldflags="-s -w"):
 *   - crypto/tls.(*Conn).Read and other large functions, compiled Go and
 *     hand-written assembly (AVX2/VEX, AES-NI, SHA): every instruction
 *     boundary agrees, the decode ends exactly on the function's end, the
 *     RETs are objdump's `ret`s;
 *   - the whole .text of the stripped client decoded in one sweep: every
 *     boundary agrees, except right after bytes objdump itself cannot
 *     decode (data tables inside assembly functions);
 *   - bytes it does not know, truncated instructions, a function cut short
 *     or with too many RETs: refused, never a wrong offset.
 * Without a Go toolchain or objdump the Go cases are skipped outside CI and
 * fail under CI=true.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "goclient_fixture.h"

#include "rt_gosym.h"
#include "rt_x86len.h"

static char dir[] = "/tmp/aspen-x86len.XXXXXX";
static char plain[64], stripped[64];
static int have_go;

static int setup(void **state)
{
	int rc = goclient_setup(dir, plain, sizeof(plain), stripped, sizeof(stripped),
				"command -v go >/dev/null 2>&1 && command -v objdump >/dev/null 2>&1",
				"go or objdump is not installed (scripts/install-deps.sh)");

	(void)state;
	have_go = rc > 0;
	return rc < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return goclient_teardown(dir, have_go);
}

/* objdump's view of [start, stop): instruction addresses, which are RETs,
 * and which it could not decode */
struct oracle {
	uint64_t *addr;
	unsigned char *ret, *bad;
	size_t n, cap;
};

static void oracle_free(struct oracle *o)
{
	free(o->addr);
	free(o->ret);
	free(o->bad);
	memset(o, 0, sizeof(*o));
}

static void oracle_add(struct oracle *o, uint64_t a, int ret, int bad)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 4096;
		o->addr = realloc(o->addr, o->cap * sizeof(*o->addr));
		o->ret = realloc(o->ret, o->cap);
		o->bad = realloc(o->bad, o->cap);
		assert_non_null(o->addr);
		assert_non_null(o->ret);
		assert_non_null(o->bad);
	}
	o->addr[o->n] = a;
	o->ret[o->n] = (unsigned char)ret;
	o->bad[o->n] = (unsigned char)bad;
	o->n++;
}

static void objdump(const char *path, uint64_t start, uint64_t stop, const char *section,
		    struct oracle *o)
{
	char cmd[1024], line[1024];
	FILE *p;

	memset(o, 0, sizeof(*o));
	if (section)
		snprintf(cmd, sizeof(cmd), "objdump -d --no-show-raw-insn -j %s %s", section, path);
	else
		snprintf(cmd, sizeof(cmd),
			 "objdump -d --no-show-raw-insn --start-address=%#llx "
			 "--stop-address=%#llx %s",
			 (unsigned long long)start, (unsigned long long)stop, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long a;
		char m1[64] = "", m2[64] = "";
		int used = 0;

		/* "  595ce0:\tcmp    0x10(%r14),%rsp" */
		if (sscanf(line, " %llx:%n", &a, &used) != 1 || !used || line[used] != '\t')
			continue;
		sscanf(line + used, "%63s %63s", m1, m2);
		int ret = !strcmp(m1, "ret") || !strcmp(m1, "retq") ||
			  ((!strcmp(m1, "repz") || !strcmp(m1, "rep")) &&
			   (!strcmp(m2, "ret") || !strcmp(m2, "retq")));
		int bad = !strcmp(m1, "(bad)") || !strcmp(m1, ".byte");

		oracle_add(o, a, ret, bad);
	}
	pclose(p);
}

static uint8_t *read_at(const char *path, uint64_t off, size_t n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = malloc(n);

	assert_non_null(f);
	assert_non_null(b);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	assert_int_equal(fread(b, 1, n, f), n);
	fclose(f);
	return b;
}

static int refused; /* functions of the list with too many RETs (or none) */

/* One function: every boundary and every RET as objdump says; the decode
 * ends on the function's end; rt_go_rets gives the RETs' file offsets. */
static void check_func(const char *path, const char *name)
{
	struct rt_go_func f;
	struct rt_go_rets r;
	struct oracle o;
	uint8_t *code;
	size_t at = 0, k = 0;
	unsigned nret = 0;

	assert_int_equal(rt_go_func(path, name, &f), 0);
	assert_true(f.size > 0);
	objdump(path, f.addr, f.addr + f.size, NULL, &o);
	assert_true(o.n > 0);
	code = read_at(path, f.off, f.size);
	while (at < f.size) {
		int ret, len = rt_x86_len(code + at, f.size - at, &ret);

		if (k >= o.n || o.addr[k] != f.addr + at)
			fail_msg("%s: instruction at +%#zx, objdump's at +%#llx", name, at,
				 k < o.n ? (unsigned long long)(o.addr[k] - f.addr) : 0ull);
		if (len <= 0)
			fail_msg("%s: +%#zx not decoded (%02x %02x %02x)", name, at, code[at],
				 code[at + 1], code[at + 2]);
		assert_int_equal(ret, o.ret[k]);
		nret += (unsigned)ret;
		at += (size_t)len;
		k++;
	}
	assert_int_equal(at, f.size);
	assert_int_equal(k, o.n);
	if (!nret || nret > RT_GO_MAX_RETS) { /* none to probe, or too many: refused */
		assert_int_equal(rt_go_rets(path, &f, &r), -1);
		assert_int_equal(r.ok, 0);
		assert_int_equal(r.n, 0);
		refused++;
		goto out;
	}
	assert_int_equal(rt_go_rets(path, &f, &r), 0);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.n, nret);
	for (unsigned i = 0, j = 0; i < o.n; i++)
		if (o.ret[i])
			assert_int_equal(r.off[j++], f.off + (o.addr[i] - f.addr));
out:
	print_message("%s: %zu instructions, %u RETs\n", name, k, nret);
	free(code);
	oracle_free(&o);
}

static const char *const funcs[] = {
    "crypto/tls.(*Conn).Read",
    "crypto/tls.(*Conn).Write",
    "crypto/tls.(*Conn).readRecordOrCCS",
    "net/http.(*persistConn).readLoop",
    "time.parse",
    "encoding/asn1.parseField",
    "crypto/internal/nistec/fiat.p521Mul",
    "runtime.mallocgc",
    "runtime.memmove",	    /* assembly: SSE, AVX, REP MOVS */
    "crypto/aes.gcmAesEnc", /* assembly: AES-NI, PCLMULQDQ */
    "crypto/sha256.block",  /* assembly: AVX2 (VEX), SHA-NI */
    "crypto/sha512.blockAMD64",
};

/* Every function of the list, in one build */
static void test_funcs(void **state, const char *path)
{
	(void)state;
	if (!have_go)
		skip();
	refused = 0;
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		check_func(path, funcs[i]);
	assert_true(refused > 0 && refused < 6); /* the refusal is seen on real code too */
}

static void test_funcs_plain(void **state)
{
	test_funcs(state, plain);
}

static void test_funcs_stripped(void **state)
{
	test_funcs(state, stripped);
}

/* What aspend probes: the Read RETs that rt_go_inspect returns are the
 * ones objdump shows, in both builds */
static void test_inspect_read(void **state)
{
	const char *paths[] = {plain, stripped};

	(void)state;
	if (!have_go)
		skip();
	for (int b = 0; b < 2; b++) {
		struct rt_go_info info;
		struct oracle o;
		unsigned j = 0;

		assert_int_equal(rt_go_inspect(paths[b], &info), RT_GO_OK);
		assert_int_equal(info.read_rets.ok, 1);
		assert_true(info.read_rets.n >= 1);
		objdump(paths[b], info.read.addr, info.read.addr + info.read.size, NULL, &o);
		for (size_t i = 0; i < o.n; i++)
			if (o.ret[i]) {
				assert_true(j < info.read_rets.n);
				assert_int_equal(info.read_rets.off[j++],
						 info.read.off + (o.addr[i] - info.read.addr));
			}
		assert_int_equal(j, info.read_rets.n);
		oracle_free(&o);
	}
}

/* The stripped client with the last byte of Read's INT3 padding (never
 * run) made 0x06, invalid in 64-bit mode: Write is still found, Read's
 * RETs are not (ok 0, none listed), never a partial list */
static void test_inspect_undecodable(void **state)
{
	struct rt_go_info info;
	char bad[96];
	uint8_t *b;
	size_t size;
	FILE *f;
	uint64_t last;

	(void)state;
	if (!have_go)
		skip();
	assert_int_equal(rt_go_inspect(stripped, &info), RT_GO_OK);
	last = info.read.off + info.read.size - 1;
	f = fopen(stripped, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = (size_t)ftell(f);
	fclose(f);
	b = read_at(stripped, 0, size);
	assert_int_equal(b[last], 0xcc);
	b[last] = 0x06;
	snprintf(bad, sizeof(bad), "%s/undecodable", dir);
	f = fopen(bad, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, size, f), size);
	fclose(f);
	free(b);
	assert_int_equal(rt_go_inspect(bad, &info), RT_GO_OK);
	assert_true(info.write.off != 0);
	assert_int_equal(info.read_rets.ok, 0);
	assert_int_equal(info.read_rets.n, 0);
	assert_int_equal(info.read_rets.bad, info.read.size - 1);
}

/* The whole .text of the stripped client in one sweep (objdump's is a
 * linear sweep too): the boundaries agree everywhere but in data that
 * objdump cannot decode either, and the two sweeps meet again after it */
static void test_whole_text(void **state)
{
	char cmd[512], line[256];
	unsigned long long va = 0, off = 0, size = 0;
	struct oracle o;
	FILE *p;
	uint8_t *text;
	size_t at = 0, k = 0, agree = 0, last_bad = (size_t)-1;
	int mismatches = 0;

	(void)state;
	if (!have_go)
		skip();
	snprintf(cmd, sizeof(cmd),
		 "readelf -SW %s | sed -n 's/.* [.]text *PROGBITS *\\([0-9a-f]*\\) "
		 "\\([0-9a-f]*\\) \\([0-9a-f]*\\).*/\\1 \\2 \\3/p'",
		 stripped);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	assert_int_equal(sscanf(line, "%llx %llx %llx", &va, &off, &size), 3);
	objdump(stripped, 0, 0, ".text", &o);
	assert_true(o.n > 100000);
	text = read_at(stripped, off, size);
	while (at < size) {
		int ret, len = rt_x86_len(text + at, size - at, &ret);

		while (k < o.n && o.addr[k] < va + at) {
			if (o.bad[k])
				last_bad = at;
			k++;
		}
		if (k < o.n && o.addr[k] == va + at) {
			agree++;
			if (o.bad[k])
				last_bad = at;
		} else {
			/* out of step: only just after what objdump calls (bad) */
			if (last_bad == (size_t)-1 || at - last_bad > 16)
				fail_msg(".text+%#zx (%#llx): out of step with objdump", at,
					 (unsigned long long)(va + at));
			mismatches++;
		}
		at += len > 0 ? (size_t)len : 1;
	}
	print_message("%zu of %zu objdump instructions at the same boundary, %d out of step "
		      "after (bad)\n",
		      agree, o.n, mismatches);
	assert_true(agree + 100 > o.n);
	free(text);
	oracle_free(&o);
}

/* Synthetic bytes: lengths of forms Go emits, and refusals */
static void test_lengths(void **state)
{
	static const struct {
		const char *bytes;
		size_t n;
		int len, ret;
	} cases[] = {
	    {"\x49\x3b\x66\x10", 4, 4, 0},		       /* cmp 0x10(%r14),%rsp */
	    {"\x0f\x86\xc2\x03\x00\x00", 6, 6, 0},	       /* jbe rel32 */
	    {"\x48\x8b\x15\x46\x5d\x2e\x00", 7, 7, 0},	       /* mov rip+disp32 */
	    {"\x48\xc7\x44\x24\x20\x00\x00\x00\x00", 9, 9, 0}, /* movq $0,0x20(%rsp) */
	    {"\x48\xb8\1\2\3\4\5\6\7\x08", 10, 10, 0},	       /* movabs imm64 */
	    {"\x66\xb8\1\2", 4, 4, 0},			       /* mov $imm16,%ax */
	    {"\x44\x0f\x11\x7c\x24\x38", 6, 6, 0},	       /* movups %xmm15,0x38(%rsp) */
	    {"\xc5\xfd\x6f\x04\x24", 5, 5, 0},		       /* vmovdqa (%rsp),%ymm0 */
	    {"\xc4\xe3\x7d\x0f\xc1\x08", 6, 6, 0},	       /* vpalignr $8 (map 0F3A) */
	    {"\x66\x0f\x3a\x0f\xc1\x08", 6, 6, 0},	       /* palignr $8 */
	    {"\xf6\x40\x08\x01", 4, 4, 0},		       /* testb $1,8(%rax) */
	    {"\xf7\xd8", 2, 2, 0},			       /* neg %eax: no imm */
	    {"\x0f\x1f\x44\x00\x00", 5, 5, 0},		       /* nopl 0(%rax,%rax) */
	    {"\xc3", 1, 1, 1},				       /* ret */
	    {"\xf3\xc3", 2, 2, 1},			       /* rep ret */
	    {"\xc2\x08\x00", 3, 3, 1},			       /* ret $8 */
	    {"\xcc", 1, 1, 0},				       /* int3 (padding) */
	    {"\x06", 1, -1, 0},				       /* push %es: invalid in 64-bit */
	    {"\x0f\x0f\xc1\x90", 4, -1, 0},		       /* 3DNow!: not known */
	    {"\x48\x8b", 2, -1, 0},			       /* truncated ModRM */
	    {"\xe8\x00\x00", 3, -1, 0},			       /* truncated rel32 */
	    {"\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90", 15, 15, 0},
	    {"\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90", 16, -1, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = -1, len = rt_x86_len((const uint8_t *)cases[i].bytes, cases[i].n, &ret);

		if (len != cases[i].len)
			fail_msg("case %zu: length %d, want %d", i, len, cases[i].len);
		if (len > 0)
			assert_int_equal(ret, cases[i].ret);
	}
}

/* A function cut mid-instruction, bytes not known, or more RETs than the
 * table holds: refused (-1), never a partial list */
static void test_refusals(void **state)
{
	const uint8_t fn[] = {0x48, 0x83, 0xec, 0x08, 0xc3, 0x48, 0x83, 0xc4, 0x08, 0xc3, 0xcc};
	uint8_t many[RT_GO_MAX_RETS + 1];
	uint32_t rets[RT_GO_MAX_RETS];
	unsigned n;
	size_t bad;

	(void)state;
	assert_int_equal(rt_x86_rets(fn, sizeof(fn), rets, RT_GO_MAX_RETS, &n, &bad), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rets[0], 4);
	assert_int_equal(rets[1], 9);
	assert_int_equal(rt_x86_rets(fn, 7, rets, RT_GO_MAX_RETS, &n, &bad), -1);
	assert_int_equal(bad, 5);
	uint8_t unknown[] = {0x90, 0x0f, 0x0f, 0xc1, 0x90, 0xc3};

	assert_int_equal(rt_x86_rets(unknown, sizeof(unknown), rets, RT_GO_MAX_RETS, &n, &bad), -1);
	assert_int_equal(bad, 1);
	memset(many, 0xc3, sizeof(many));
	assert_int_equal(rt_x86_rets(many, sizeof(many), rets, RT_GO_MAX_RETS, &n, &bad), -1);
	assert_int_equal(rt_x86_rets(many, RT_GO_MAX_RETS, rets, RT_GO_MAX_RETS, &n, &bad), 0);
	assert_int_equal(n, RT_GO_MAX_RETS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lengths),	 cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_funcs_plain),	 cmocka_unit_test(test_funcs_stripped),
	    cmocka_unit_test(test_inspect_read), cmocka_unit_test(test_inspect_undecodable),
	    cmocka_unit_test(test_whole_text),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
