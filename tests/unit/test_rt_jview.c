/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The decoded view aspend searches for matches to mask (runtime/lib/
 * rt_jview.c): JSON escapes decoded as the kernel's patterns read them,
 * each decoded byte traced to the wire, and which decoded ranges are plain
 * on the wire (a mask there covers exactly that text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rt_jview.h"

static struct rt_jview v;

static void build(const char *s)
{
	assert_true(rt_jview_build(&v, (const uint8_t *)s, strlen(s)));
}

static void assert_view(const char *want, size_t n)
{
	assert_int_equal(v.n, n);
	assert_memory_equal(v.dec, want, n);
}

/* s decodes to itself, each byte at its own offset */
static void assert_unchanged(const char *s)
{
	build(s);
	assert_view(s, strlen(s));
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(v.at[i], i);
}

static void test_plain_is_identity(void **state)
{
	(void)state;
	assert_unchanged("{\"content\":\"hello\"}");
}

static void test_short_escapes(void **state)
{
	(void)state;
	build("a\\nb\\\"c\\\\d\\/");
	assert_view("a\nb\"c\\d/", 8);
	assert_int_equal(v.at[0], 0);
	assert_int_equal(v.at[1], 1 | RT_JVIEW_ESC);
	assert_int_equal(v.at[2], 3);
	assert_int_equal(v.at[3], 4 | RT_JVIEW_ESC);
	assert_int_equal(v.at[7], 10 | RT_JVIEW_ESC);
}

static void test_unicode_escapes(void **state)
{
	(void)state;
	build("\\u00e9\\u002e\\ud83d\\ude00!");
	assert_view("\xc3\xa9.\xf0\x9f\x98\x80!", 8);
	assert_int_equal(v.at[0], 0 | RT_JVIEW_ESC);
	assert_int_equal(v.at[1], 0 | RT_JVIEW_ESC);
	assert_int_equal(v.at[2], 6 | RT_JVIEW_ESC);
	assert_int_equal(v.at[3], 12 | RT_JVIEW_ESC);
	assert_int_equal(v.at[6], 12 | RT_JVIEW_ESC);
	assert_int_equal(v.at[7], 24);
}

/* a lone high surrogate half is dropped, as the kernel drops it; a lone
 * low half is its own 3 bytes, as the kernel's scanner reads it (until
 * session 42 dropped too: fuzz_jview found the two views apart) */
static void test_lone_half_dropped(void **state)
{
	(void)state;
	build("ab\\ud800cd");
	assert_view("abcd", 4);
	assert_int_equal(v.at[2], 8);
	build("ab\\udc00cd");
	assert_view("ab\xed\xb0\x80"
		    "cd",
		    7);
	assert_int_equal(v.at[2], 2 | RT_JVIEW_ESC);
	assert_int_equal(v.at[5], 8);
	build("\\ud800\\udc01\\udc02");
	assert_view("\xf0\x90\x80\x81\xed\xb0\x82", 7);
}

/* no valid escape: the backslash is a plain byte */
static void test_invalid_escapes_plain(void **state)
{
	(void)state;
	assert_unchanged("\\x\\u12g4\\");
}

static void test_plain_ranges(void **state)
{
	size_t a, b;

	(void)state;
	/* an address right after an escape: plain, masked alone */
	build("to:\\njohn@x.com");
	assert_view("to:\njohn@x.com", 14);
	assert_true(rt_jview_plain(&v, 4, 14, &a, &b));
	assert_int_equal(a, 5);
	assert_int_equal(b, 15);
	/* one character escaped inside it: not plain */
	build("john\\u002esmith@x.com");
	assert_false(rt_jview_plain(&v, 0, v.n, &a, &b));
	assert_true(rt_jview_plain(&v, 5, v.n, &a, &b)); /* its tail alone is */
	assert_int_equal(a, 10);
	/* a dropped half between two plain bytes: not adjacent on the wire */
	build("ab\\ud800cd");
	assert_false(rt_jview_plain(&v, 0, 4, &a, &b));
	assert_true(rt_jview_plain(&v, 0, 2, &a, &b));
	assert_false(rt_jview_plain(&v, 2, 2, &a, &b));
	assert_false(rt_jview_plain(&v, 3, 5, &a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_is_identity),	  cmocka_unit_test(test_short_escapes),
	    cmocka_unit_test(test_unicode_escapes),	  cmocka_unit_test(test_lone_half_dropped),
	    cmocka_unit_test(test_invalid_escapes_plain), cmocka_unit_test(test_plain_ranges),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	rt_jview_free(&v);
	return rc;
}
