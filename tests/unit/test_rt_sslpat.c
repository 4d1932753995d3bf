/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BoringSSL's SSL_write and SSL_read found by signature
 * (runtime/lib/rt_sslpat.c), against tests/unit/sslpat_fixture/ssl_lib.c:
 * a stand-in for ssl_lib.cc with BoringSSL's error reports, built here in
 * the ways the method must handle (gcc with unwind tables, PIE and not,
 * ERR_put_error with and without its unused argument; clang + lld without
 * unwind tables, functions found by their int3 padding, as Bun's). The
 * oracle is `nm` on the fixture: the finder reads no symbol. Then the
 * refusals: two functions with SSL_write's reports (ambiguous), SSL_write
 * of before BoringSSL 2022-07 (not found), files that are not BoringSSL.
 * The real Claude Code binaries (400 MB) are not in git: the e2e test
 * test_tls_boringssl runs one. Last, rustls recognised (and only rustls)
 * by its crate's source paths; test_agent_codex runs the real one.
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

#include "rt_sslpat.h"

static char dir[] = "/tmp/aspen-sslpat.XXXXXX";
static int have_clang;

/* build variant NAME with COMPILER FLAGS; 0 on success */
static int build(const char *name, const char *cc, const char *flags)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "%s %s -o %s/%s %s/unit/sslpat_fixture/ssl_lib.c >>%s/build.log 2>&1", cc, flags,
		 dir, name, ASPEN_TEST_DIR, dir);
	return system(cmd);
}

#define GCC_FLAGS "-O2 -fno-reorder-blocks-and-partition"
#define CLANG_FLAGS                                                                                \
	"-O2 -Wno-unknown-attributes -fuse-ld=lld -ffunction-sections -fno-omit-frame-pointer "    \
	"-fno-asynchronous-unwind-tables -fno-unwind-tables -Wl,--no-eh-frame-hdr"

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	if (build("pie", "gcc", GCC_FLAGS " -fpie -pie") ||
	    build("nopie", "gcc", GCC_FLAGS " -fno-pie -no-pie") ||
	    build("drop", "gcc", GCC_FLAGS " -fpie -pie -DDROP_UNUSED") ||
	    build("two", "gcc", GCC_FLAGS " -fpie -pie -DTWO_WRITES") ||
	    build("nolen", "gcc", GCC_FLAGS " -fpie -pie -DNO_BAD_LENGTH"))
		return -1;
	have_clang = system("command -v clang >/dev/null && command -v ld.lld >/dev/null") == 0;
	if (!have_clang && getenv("CI") && !strcmp(getenv("CI"), "true"))
		fail_msg("clang and ld.lld are needed for the padding cases (aspenc needs clang)");
	if (have_clang && (build("pad", "clang", CLANG_FLAGS " -fno-pie -no-pie") ||
			   build("paddrop", "clang", CLANG_FLAGS " -DDROP_UNUSED") ||
			   build("padtwo", "clang", CLANG_FLAGS " -DTWO_WRITES")))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

/* `nm` address of a symbol of variant name */
static uint64_t nm_addr(const char *name, const char *sym)
{
	char cmd[512], line[512];
	unsigned long long a, found = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm %s/%s", dir, name);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char s[400], t;

		if (sscanf(line, "%llx %c %399s", &a, &t, s) == 3 && !strcmp(s, sym))
			found = a;
	}
	pclose(p);
	return found;
}

/* the file offset is where the entry's bytes are: compare them with the
 * bytes at the symbol's address read through the same offset rule */
static void assert_found(const char *name)
{
	struct rt_ssl_info info;
	char path[128];
	uint64_t w = nm_addr(name, "fx_SSL_write"), r = nm_addr(name, "fx_SSL_read");

	path_of(path, sizeof(path), name);
	assert_int_not_equal(w, 0);
	assert_int_not_equal(r, 0);
	assert_int_equal(rt_ssl_inspect(path, &info), RT_SSL_OK);
	assert_int_equal(info.write.addr, w);
	assert_int_equal(info.read.addr, r);
	/* non-PIE at 0x400000 (ld) or 0x200000 (lld), PIE at 0: offset = address - base */
	assert_int_equal(info.write.addr - info.write.off, info.read.addr - info.read.off);
	assert_true((info.write.addr - info.write.off) % 0x1000 == 0);
	assert_true(info.write.size > 16 && info.write.size < 4096);
	assert_int_equal(info.sites, 12); /* every report of the fixture */
	assert_string_equal(rt_ssl_status_name(info.status), "pattern");
}

static void test_gcc_pie(void **state)
{
	(void)state;
	assert_found("pie"); /* lea rcx, [rip + file] */
}

static void test_gcc_nopie(void **state)
{
	(void)state;
	assert_found("nopie"); /* mov ecx, file */
}

static void test_gcc_unused_dropped(void **state)
{
	(void)state;
	assert_found("drop"); /* file in rdx, reason esi, line ecx */
}

/* no unwind table at all: functions from their int3 padding (lld) */
static void test_clang_lld_padding(void **state)
{
	(void)state;
	if (!have_clang)
		skip();
	assert_found("pad");
	assert_found("paddrop");
}

static void assert_status(const char *name, enum rt_ssl_status want, const char *want_name)
{
	struct rt_ssl_info info;
	char path[128];

	path_of(path, sizeof(path), name);
	assert_int_equal(rt_ssl_inspect(path, &info), want);
	assert_int_equal(info.write.off, 0);
	assert_int_equal(info.read.off, 0);
	assert_string_equal(rt_ssl_status_name(info.status), want_name);
}

/* two functions with SSL_write's reports: refused, not one of them picked */
static void test_ambiguous(void **state)
{
	(void)state;
	assert_status("two", RT_SSL_AMBIGUOUS, "pattern_ambiguous");
	if (have_clang)
		assert_status("padtwo", RT_SSL_AMBIGUOUS, "pattern_ambiguous");
}

/* SSL_write without SSL_R_BAD_LENGTH (BoringSSL before 2022-07): refused */
static void test_not_found(void **state)
{
	(void)state;
	assert_status("nolen", RT_SSL_NOT_FOUND, "pattern_not_found");
}

/* not BoringSSL, not ELF, not there: never a crash, never "pattern" */
static void test_not_boringssl(void **state)
{
	struct rt_ssl_info info;
	char path[] = "/tmp/aspen-notelf.XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_int_equal(rt_ssl_inspect("/bin/sh", &info), RT_SSL_NOT_BORINGSSL);
	assert_int_equal(rt_ssl_inspect("/nonexistent", &info), RT_SSL_NOT_BORINGSSL);
	assert_true(fd >= 0);
	static const char junk[] = "\x7f"
				   "ELF\2\1\1 ssl/ssl_lib.cc";

	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(rt_ssl_inspect(path, &info), RT_SSL_NOT_BORINGSSL);
	unlink(path);
	assert_string_equal(rt_ssl_status_name(RT_SSL_NOT_BORINGSSL), "not_boringssl");
}

/* a fixture cut short: never a crash (ASan), and "pattern" only with the
 * whole file's answer (the section headers at its end are not read) */
static void test_truncated(void **state)
{
	struct rt_ssl_info info, whole;
	char src[128], dst[160], cmd[512];
	FILE *f;
	long size;

	(void)state;
	path_of(src, sizeof(src), "pie");
	snprintf(dst, sizeof(dst), "%s/cut", dir);
	assert_int_equal(rt_ssl_inspect(src, &whole), RT_SSL_OK);
	f = fopen(src, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	fclose(f);
	for (long keep = 16; keep < size; keep = keep * 3 / 2 + 7) {
		snprintf(cmd, sizeof(cmd), "head -c %ld %s >%s", keep, src, dst);
		assert_int_equal(system(cmd), 0);
		if (rt_ssl_inspect(dst, &info) != RT_SSL_OK)
			continue;
		assert_int_equal(info.write.off, whole.write.off);
		assert_int_equal(info.read.off, whole.read.off);
	}
}

/* a program whose read-only data holds the panic path text */
static void build_with_string(const char *name, const char *text)
{
	char src[160], cmd[1024];
	FILE *f;

	snprintf(src, sizeof(src), "%s/%s.c", dir, name);
	f = fopen(src, "w");
	assert_non_null(f);
	fprintf(f, "#include <stdio.h>\nint main(int c, char **v){ if (c > 5) puts(\"%s\"); "
		   "return v[0][0] == 0; }\n", text);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gcc -O1 -s -o %s/%s %s >>%s/build.log 2>&1", dir, name, src,
		 dir);
	assert_int_equal(system(cmd), 0);
}

static void assert_rustls(const char *name, const char *text, const char *want)
{
	char path[128], ver[16];

	build_with_string(name, text);
	path_of(path, sizeof(path), name);
	assert_int_equal(rt_rustls_version(path, ver, sizeof(ver)), want != NULL);
	assert_string_equal(ver, want ? want : "");
}

/* rustls is recognised by its crate's source paths in a stripped binary,
 * and only the crate itself: its wrappers (tokio-rustls, hyper-rustls)
 * and look-alikes are not */
static void test_rustls(void **state)
{
	char ver[16] = "x";

	(void)state;
	assert_rustls("rl", "/root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/"
			    "rustls-0.23.46/src/record_layer.rs",
		      "0.23.46");
	assert_rustls("rlrel", "rustls-0.9/src/a.rs x/rustls-/src y/rustls-0.21.12/src/conn.rs",
		      "0.21.12");
	assert_rustls("tokio", "/cargo/registry/src/x/tokio-rustls-0.26.4/src/client.rs", NULL);
	assert_rustls("hyper", "/cargo/registry/src/x/hyper-rustls-0.27.7/src/connector.rs",
		      NULL);
	assert_rustls("nosrc", "/vendor/rustls-0.23.46/README.md", NULL);
	assert_rustls("nover", "/vendor/rustls-/src/lib.rs", NULL);
	assert_false(rt_rustls_version("/nonexistent", ver, sizeof(ver)));
	assert_false(rt_rustls_version("/bin/sh", ver, sizeof(ver)));
	assert_string_equal(ver, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gcc_pie),
	    cmocka_unit_test(test_gcc_nopie),
	    cmocka_unit_test(test_gcc_unused_dropped),
	    cmocka_unit_test(test_clang_lld_padding),
	    cmocka_unit_test(test_ambiguous),
	    cmocka_unit_test(test_not_found),
	    cmocka_unit_test(test_not_boringssl),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_rustls),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
