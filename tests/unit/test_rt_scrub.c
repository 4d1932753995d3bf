/* SPDX-License-Identifier: Apache-2.0 */
/* runtime/lib/rt_scrub.c: masking request values for the audit trail and traces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "json.h"
#include "luhn.h"
#include "rt_audit.h"
#include "rt_scrub.h"

/* The standard library's patterns these tests use (stdlib-policies/). */
#define SSN                                                                                        \
	"\\b(00[1-9]|0[1-9]\\d|[1-578]\\d\\d|6[0-57-9]\\d|66[0-57-9])-(0[1-9]|[1-9]\\d)-"          \
	"(000[1-9]|00[1-9]\\d|0[1-9]\\d\\d|[1-9]\\d\\d\\d)\\b"
#define AWS "\\b(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\\b"
#define CARD "\\b4\\d{3}([ -]?\\d{4}){3}\\b"

static struct rx *compile(const char *re)
{
	struct rx_error err;
	struct rx *rx = rx_new_short(re, 0, &err);

	assert_non_null(rx);
	return rx;
}

/* ssn masked with "#", the AWS key with the default, cards (Luhn) with "*" */
static int setup(void **state)
{
	struct rt_scrub *s = rt_scrub_new();

	assert_non_null(s);
	assert_int_equal(rt_scrub_add(s, compile(SSN), true, "#", NULL), 0);
	assert_int_equal(rt_scrub_add(s, compile(AWS), true, NULL, NULL), 0);
	assert_int_equal(rt_scrub_add(s, compile(CARD), true, "*", aspen_validator("luhn")), 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	rt_scrub_free(*state);
	return 0;
}

/* rt_scrub_field() over a copy of v in a buffer of size bytes */
static const char *mask(void **state, const char *v, size_t size, unsigned *count)
{
	static char buf[512];

	assert_true(size <= sizeof(buf));
	memset(buf, 0, sizeof(buf));
	memcpy(buf, v, strnlen(v, size));
	*count = rt_scrub_field(*state, NULL, buf, size);
	return buf;
}

static void test_ssn(void **state)
{
	unsigned n;

	assert_string_equal(mask(state, "123-45-6789", 64, &n), "###########");
	assert_int_equal(n, 1);
	assert_string_equal(mask(state, "user 123-45-6789!", 64, &n), "user ###########!");
	/* not an SSN: left alone */
	assert_string_equal(mask(state, "gpt-4o-2024-08-06", 64, &n), "gpt-4o-2024-08-06");
	assert_int_equal(n, 0);
}

static void test_key(void **state)
{
	unsigned n;

	assert_string_equal(mask(state, "AKIAIOSFODNN7EXAMPLE", 64, &n), "XXXXXXXXXXXXXXXXXXXX");
	assert_int_equal(n, 1);
}

static void test_several(void **state)
{
	unsigned n;

	assert_string_equal(
	    mask(state, "/v1/chat?u=123-45-6789&k=AKIAIOSFODNN7EXAMPLE&s=078-05-1120", 128, &n),
	    "/v1/chat?u=###########&k=XXXXXXXXXXXXXXXXXXXX&s=###########");
	assert_int_equal(n, 3);
	/* the validator: a card number that fails Luhn is not masked */
	assert_string_equal(mask(state, "4111111111111111 4111111111111112", 64, &n),
			    "**************** 4111111111111112");
	assert_int_equal(n, 1);
}

static void test_percent_encoded(void **state)
{
	unsigned n;

	/* a match in the decoded query masks the bytes it was decoded from */
	assert_string_equal(mask(state, "/v1/x?ssn=123%2D45%2d6789&a=1", 128, &n),
			    "/v1/x?ssn=###############&a=1");
	assert_string_equal(mask(state, "/v1/x?q=AKIA%49OSFODNN7EXAMPLE+x", 128, &n),
			    "/v1/x?q=XXXXXXXXXXXXXXXXXXXXXX+x");
	/* a stray '%' is kept as it is */
	assert_string_equal(mask(state, "100%+sure", 64, &n), "100%+sure");
	assert_int_equal(n, 0);
}

/* a value that fills its buffer was cut: the part that could begin a match
 * is masked too */
static void test_cut(void **state)
{
	unsigned n;

	assert_string_equal(mask(state, "abcdef 123-45-67", 17, &n), "abcdef #########");
	assert_int_equal(n, 1);
	assert_string_equal(mask(state, "abcdef AKIAIOSFO", 17, &n), "abcdef XXXXXXXXX");
	/* the same text, not cut: nothing looks like a secret */
	assert_string_equal(mask(state, "abcdef 123-45-67", 64, &n), "abcdef 123-45-67");
	assert_int_equal(n, 0);
}

/* invalid UTF-8 stays as it is (the JSON writer spells it \ufffd); matches
 * around it are found; the audit line is valid UTF-8 */
static void test_invalid_utf8(void **state)
{
	struct rt_audit_ev ev;
	const char *v;
	unsigned n;

	v = mask(state, "\xff\xfe 123-45-6789 \xc3", 64, &n);
	assert_int_equal(n, 1);
	assert_memory_equal(v, "\xff\xfe ########### \xc3", 17);
	/* a value cut in the middle of a UTF-8 sequence */
	v = mask(state, "caf\xc3\xa9 123-45-6789 \xe2\x82", 21, &n);
	assert_memory_equal(v, "caf\xc3\xa9 ########### \xe2\x82", 20);

	rt_audit_ev_init(&ev, "request");
	rt_audit_str(&ev, "path", v);
	for (size_t i = 0; i < ev.len;) {
		size_t l = utf8_len((const unsigned char *)ev.buf + i, ev.len - i);

		assert_true(l > 0);
		i += l;
	}
	assert_non_null(strstr(ev.buf, "\"caf\xc3\xa9 ########### \\ufffd\\ufffd\""));
	rt_audit_ev_free(&ev);
}

static void test_empty(void **state)
{
	char empty[8] = "";
	unsigned n;

	assert_int_equal(rt_scrub_field(*state, NULL, empty, sizeof(empty)), 0);
	assert_string_equal(empty, "");
	assert_string_equal(mask(state, "", 64, &n), "");
	assert_int_equal(n, 0);
	/* no scrubber, or one without patterns: nothing to mask */
	assert_int_equal(rt_scrub_apply(NULL, (const uint8_t *)"x", (uint8_t *)empty, 1, false), 0);
}

/* masks that are not printable ASCII (or are JSON specials) become "X" */
static void test_mask_choice(void **state)
{
	struct rt_scrub *s = rt_scrub_new();
	char v[32] = "123-45-6789";

	(void)state;
	assert_int_equal(rt_scrub_add(s, compile(SSN), true, "\xe2\x96\x88", NULL), 0);
	assert_int_equal(rt_scrub_field(NULL, s, v, sizeof(v)), 1);
	assert_string_equal(v, "XXXXXXXXXXX");
	rt_scrub_free(s);
	s = rt_scrub_new();
	assert_int_equal(rt_scrub_add(s, compile(SSN), true, "\"", NULL), 0);
	snprintf(v, sizeof(v), "123-45-6789");
	assert_int_equal(rt_scrub_field(s, NULL, v, sizeof(v)), 1);
	assert_string_equal(v, "XXXXXXXXXXX");
	rt_scrub_free(s);
}

/* two scrubbers (the standard library's, then the policy's): both apply,
 * the later mask wins where they overlap */
static void test_two_scrubbers(void **state)
{
	struct rt_scrub *std = rt_scrub_new();
	char v[64] = "123-45-6789 AKIAIOSFODNN7EXAMPLE";

	struct rx_error err;

	/* a matcher built for any length works the same */
	assert_int_equal(rt_scrub_add(std, rx_new(SSN, 0, &err), true, NULL, NULL), 0);
	assert_int_equal(rt_scrub_field(std, *state, v, sizeof(v)), 3);
	assert_string_equal(v, "########### XXXXXXXXXXXXXXXXXXXX");
	rt_scrub_free(std);
}

/* the standard library's pattern files read as aspenc reads them */
static void test_stdlib_files(void **state)
{
	static const char *files[] = {"pii.asp", "secrets.asp"};
	struct rt_scrub *s = rt_scrub_new();
	char path[1024], err[256];
	char v[128] = "ssn 123-45-6789 card 4111 1111 1111 1111 key AKIAIOSFODNN7EXAMPLE";

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/../stdlib-policies/%s", ASPEN_TEST_DIR, files[i]);
		assert_true(rt_scrub_add_asp(s, path, err, sizeof(err)) > 3);
	}
	rt_scrub_field(s, NULL, v, sizeof(v));
	assert_string_equal(v, "ssn XXXXXXXXXXX card XXXXXXXXXXXXXXXXXXX key XXXXXXXXXXXXXXXXXXXX");
	assert_int_equal(rt_scrub_add_asp(s, "/nonexistent.asp", err, sizeof(err)), -1);
	rt_scrub_free(s);
}

static void test_asp_reader(void **state)
{
	char path[] = "/tmp/aspen-scrub-XXXXXX", err[256];
	struct rt_scrub *s = rt_scrub_new();
	char v[48] = "Secret a/b 42 4111111111111111";
	FILE *f;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# pattern x = /not a declaration/\n"
	      "import \"pii\"\n"
	      "  pattern word = /secret/i\n"
	      "pattern slash = /a\\/b/\n"
	      "pattern num = /\\d+/ validate luhn\n",
	      f);
	fclose(f);
	assert_int_equal(rt_scrub_add_asp(s, path, err, sizeof(err)), 3);
	rt_scrub_field(s, NULL, v, sizeof(v));
	/* "42" fails the validator (too short for Luhn) */
	assert_string_equal(v, "XXXXXX XXX 42 XXXXXXXXXXXXXXXX");
	f = fopen(path, "w");
	fputs("pattern bad = /unclosed\n", f);
	fclose(f);
	assert_int_equal(rt_scrub_add_asp(s, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1:"));
	f = fopen(path, "w");
	fputs("pattern v = /x/ validate nosuch\n", f);
	fclose(f);
	assert_int_equal(rt_scrub_add_asp(s, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nosuch"));
	unlink(path);
	rt_scrub_free(s);
}

/* The clean-value cache: a value found clean is clean again without a
 * scan, but never across a change of the patterns (a pattern added after
 * it was cached masks it), nor for another buffer size (cut). */
static void test_clean_cache(void **state)
{
	struct rt_scrub *s = rt_scrub_new();
	void *st = s;
	unsigned n;

	(void)state;
	assert_non_null(s);
	assert_int_equal(rt_scrub_add(s, compile(SSN), true, "#", NULL), 0);
	assert_string_equal(mask(&st, "key AKIAABCDEFGHIJKLMNOP", 64, &n), "key AKIAABCDEFGHIJKLMNOP");
	assert_int_equal(n, 0);
	assert_string_equal(mask(&st, "key AKIAABCDEFGHIJKLMNOP", 64, &n), "key AKIAABCDEFGHIJKLMNOP");
	assert_int_equal(rt_scrub_add(s, compile(AWS), true, NULL, NULL), 0);
	assert_string_equal(mask(&st, "key AKIAABCDEFGHIJKLMNOP", 64, &n), "key XXXXXXXXXXXXXXXXXXXX");
	assert_int_equal(n, 1);
	/* a masked value is never cached: masked again */
	assert_string_equal(mask(&st, "key AKIAABCDEFGHIJKLMNOP", 64, &n), "key XXXXXXXXXXXXXXXXXXXX");
	assert_int_equal(n, 1);
	rt_scrub_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ssn, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_several, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_percent_encoded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cut, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	    cmocka_unit_test(test_mask_choice),
	    cmocka_unit_test_setup_teardown(test_two_scrubbers, setup, teardown),
	    cmocka_unit_test(test_stdlib_files),
	    cmocka_unit_test(test_asp_reader),
	    cmocka_unit_test(test_clean_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
