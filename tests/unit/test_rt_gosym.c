/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go symbol lookup from .gopclntab (runtime/lib/rt_gosym.c), against the
 * tests' Go client built here twice: with its ELF symbol table and
 * stripped (-ldflags="-s -w"). The oracle is `go tool nm` on the first;
 * the stripped one must give the same addresses without any ELF symbol.
 * Without a Go toolchain the Go cases are skipped outside CI and fail
 * under CI=true (scripts/install-deps.sh installs golang-go).
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

static char dir[] = "/tmp/aspen-gosym.XXXXXX";
static char plain[64], stripped[64];
static int have_go;

static int setup(void **state)
{
	int rc = goclient_setup(dir, plain, sizeof(plain), stripped, sizeof(stripped),
				"command -v go >/dev/null 2>&1",
				"go is not installed (scripts/install-deps.sh installs golang-go)");

	(void)state;
	have_go = rc > 0;
	return rc < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return goclient_teardown(dir, have_go);
}

/* `go tool nm` address of a symbol in the unstripped build */
static uint64_t nm_addr(const char *sym)
{
	char cmd[512], line[512];
	unsigned long long a = 0, found = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "go tool nm %s", plain);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char name[400], t;

		if (sscanf(line, "%llx %c %399s", &a, &t, name) == 3 && !strcmp(name, sym))
			found = a; /* read on: nm must not die of a closed pipe */
	}
	pclose(p);
	return found;
}

static void go_version(char *out, size_t n)
{
	FILE *p = popen("go env GOVERSION", "r");

	assert_non_null(p);
	assert_non_null(fgets(out, (int)n, p));
	out[strcspn(out, "\n")] = 0;
	pclose(p);
}

/* amd64 register ABI: a Go function that checks its stack compares the
 * stack pointer (or, for a large frame, lea'd into r12) with the
 * goroutine's stack guard, 0x10(%r14), in its first instructions: the
 * file offset really is the entry of a Go function, and g is in r14 */
static void assert_go_prologue(const char *path, uint64_t off)
{
	FILE *f = fopen(path, "rb");
	unsigned char b[16];
	int seen = 0;

	assert_non_null(f);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	assert_int_equal(fread(b, 1, sizeof(b), f), sizeof(b));
	fclose(f);
	for (int i = 0; i + 4 <= (int)sizeof(b); i++)
		seen |= (b[i] == 0x49 || b[i] == 0x4d) && !memcmp(b + i + 1, "\x3b\x66\x10", 3);
	assert_true(seen);
}

static void check_binary(const char *path)
{
	struct rt_go_info info;
	char want[32];
	uint64_t w = nm_addr("crypto/tls.(*Conn).Write"), r = nm_addr("crypto/tls.(*Conn).Read");

	go_version(want, sizeof(want));
	assert_int_not_equal(w, 0);
	assert_int_not_equal(r, 0);
	assert_int_equal(rt_go_inspect(path, &info), RT_GO_OK);
	assert_string_equal(info.version, want);
	assert_true(info.nfunc > 1000);
	assert_int_equal(info.write.addr, w);
	assert_int_equal(info.read.addr, r);
	assert_true(info.write.size > 16 && info.write.size < 4096);
	assert_go_prologue(path, info.write.off);
	assert_go_prologue(path, info.read.off);
	/* Write's probe: past its stack check (LEA, CMP, JBE rel32 here) */
	assert_true(info.write_probe > info.write.off + 4 &&
		    info.write_probe <= info.write.off + 17);
	assert_string_equal(rt_go_status_name(info.status), "pclntab");
}

/* where Write's probe goes: past the stack check, whatever its form; 0
 * (not probed) for code that does not begin with one */
static void test_past_stack_check(void **state)
{
	/* small frame: CMP RSP, [R14+16]; JBE rel8 */
	static const uint8_t small[] = {0x49, 0x3b, 0x66, 0x10, 0x76, 0x20, 0x48, 0x83, 0xec, 0x18};
	/* LEA R12, [RSP-0x68]; CMP R12, [R14+16]; JBE rel32 (crypto/tls Write) */
	static const uint8_t lea8[] = {0x4c, 0x8d, 0x64, 0x24, 0x98, 0x4d, 0x3b, 0x66, 0x10,
				       0x0f, 0x86, 0x64, 0x07, 0x00, 0x00, 0x48, 0x81};
	/* LEA R12, [RSP-0x1000] (disp32) */
	static const uint8_t lea32[] = {0x4c, 0x8d, 0xa4, 0x24, 0x00, 0xf0, 0xff, 0xff,
					0x4d, 0x3b, 0x66, 0x10, 0x76, 0x10, 0x90, 0x90};
	/* no stack check (a NOSPLIT function), a LEA with RSP compared, truncated */
	static const uint8_t none[] = {0x48, 0x83, 0xec, 0x18, 0x49, 0x3b, 0x66, 0x10, 0x76, 0x20};
	static const uint8_t mixed[] = {0x4c, 0x8d, 0x64, 0x24, 0x98, 0x49,
					0x3b, 0x66, 0x10, 0x76, 0x20};

	(void)state;
	assert_int_equal(rt_go_past_stack_check(small, sizeof(small), 1000), 1006);
	assert_int_equal(rt_go_past_stack_check(lea8, sizeof(lea8), 1000), 1015);
	assert_int_equal(rt_go_past_stack_check(lea32, sizeof(lea32), 1000), 1014);
	assert_int_equal(rt_go_past_stack_check(none, sizeof(none), 1000), 0);
	assert_int_equal(rt_go_past_stack_check(mixed, sizeof(mixed), 1000), 0);
	assert_int_equal(rt_go_past_stack_check(lea8, 10, 1000), 0);
	assert_int_equal(rt_go_past_stack_check(small, 3, 1000), 0);
}

static void test_unstripped(void **state)
{
	(void)state;
	if (!have_go)
		skip();
	check_binary(plain);
}

static void test_stripped(void **state)
{
	char cmd[512];

	(void)state;
	if (!have_go)
		skip();
	/* really stripped: no ELF symbol table left to find the function by */
	snprintf(cmd, sizeof(cmd), "readelf -S %s | grep -q '\\.symtab'", stripped);
	assert_int_not_equal(system(cmd), 0);
	check_binary(stripped);
}

static void test_lookup_by_name(void **state)
{
	struct rt_go_func f;

	(void)state;
	if (!have_go)
		skip();
	assert_int_equal(rt_go_func(stripped, "internal/poll.(*FD).Write", &f), 0);
	assert_int_equal(f.addr, nm_addr("internal/poll.(*FD).Write"));
	assert_int_equal(rt_go_func(stripped, "no/such.Function", &f), -1);
}

/* A version not tested is refused, by name */
static void test_versions(void **state)
{
	(void)state;
	assert_true(rt_go_version_tested("go1.19"));
	assert_true(rt_go_version_tested("go1.19.8"));
	assert_false(rt_go_version_tested("go1.190"));
	assert_false(rt_go_version_tested("go1.21.3"));
	assert_false(rt_go_version_tested("go1.1"));
	assert_false(rt_go_version_tested(""));
	assert_string_equal(rt_go_status_name(RT_GO_VERSION), "go_version");
}

/* Not Go, or not ELF at all: never a crash, never "ok" */
static void test_not_go(void **state)
{
	struct rt_go_info info;
	char path[] = "/tmp/aspen-notelf.XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_int_equal(rt_go_inspect("/bin/sh", &info), RT_GO_NOT_GO);
	assert_int_equal(rt_go_inspect("/nonexistent", &info), RT_GO_NOT_GO);
	assert_true(fd >= 0);
	assert_int_equal(write(fd,
			       "\x7f"
			       "ELF\2\1\1garbage-garbage-garbage-garbage-garbage-garbage-garbage",
			       62),
			 62);
	close(fd);
	assert_int_equal(rt_go_inspect(path, &info), RT_GO_NOT_GO);
	unlink(path);
}

/* A pclntab whose header points outside itself is refused as a layout
 * Aspen does not know (a copy of the built client with its nfunc word
 * made huge). */
static void test_corrupt_pclntab(void **state)
{
	struct rt_go_info info;
	char cmd[1024], bad[96];

	(void)state;
	if (!have_go)
		skip();
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	snprintf(cmd, sizeof(cmd),
		 "cp %s %s && off=$(readelf -SW %s | sed -n 's/.*[.]gopclntab *PROGBITS *[0-9a-f]* "
		 "\\([0-9a-f]*\\).*/\\1/p') && "
		 "printf '\\377\\377\\377\\377' | dd of=%s bs=1 seek=$((0x$off + 12)) conv=notrunc "
		 "status=none",
		 stripped, bad, stripped, bad);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(rt_go_inspect(bad, &info), RT_GO_LAYOUT);
}

/* The client with its build info saying another Go version (same length):
 * refused as go_version, the version still read */
static void test_untested_version(void **state)
{
	struct rt_go_info info;
	char cmd[512], path[96];

	(void)state;
	if (!have_go)
		skip();
	snprintf(path, sizeof(path), "%s/other-version", dir);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys; b = open(sys.argv[1], \"rb\").read(); "
		 "i = b.index(b\"\\xff Go buildinf:\") + 33; "
		 "open(sys.argv[2], \"wb\").write(b[:i] + b\"go1.99\" + b[i + 6:])' %s %s",
		 stripped, path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(rt_go_inspect(path, &info), RT_GO_VERSION);
	assert_int_equal(strncmp(info.version, "go1.99", 6), 0);
	assert_int_equal(info.write.addr, 0); /* nothing to probe */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unstripped),	     cmocka_unit_test(test_stripped),
	    cmocka_unit_test(test_lookup_by_name),   cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_not_go),	     cmocka_unit_test(test_corrupt_pclntab),
	    cmocka_unit_test(test_untested_version), cmocka_unit_test(test_past_stack_check),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
