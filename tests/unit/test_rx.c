/* SPDX-License-Identifier: Apache-2.0 */
/* runtime/lib/rx.c (spans aspend masks), common/luhn.c, common/meta.c pattern records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "luhn.h"
#include "meta.h"
#include "rx.h"

struct spans {
	char out[256];
	const char *buf;
};

static int collect(size_t s, size_t e, void *arg)
{
	struct spans *sp = arg;
	size_t l = strlen(sp->out);

	snprintf(sp->out + l, sizeof(sp->out) - l, "[%.*s]", (int)(e - s), sp->buf + s);
	return 0;
}

static const char *find(const char *re, int flags, const char *buf)
{
	static struct spans sp;
	struct rx_error err;
	struct rx *rx = rx_new(re, flags, &err);

	assert_non_null(rx);
	memset(&sp, 0, sizeof(sp));
	sp.buf = buf;
	rx_find(rx, (const uint8_t *)buf, strlen(buf), collect, &sp);
	rx_free(rx);
	return sp.out;
}

static void test_spans(void **state)
{
	(void)state;
	assert_string_equal(find("a+", 0, "xaaa ba"), "[aaa][a]");
	/* leftmost-longest, not leftmost-first */
	assert_string_equal(find("ab|abcd", 0, "abcd"), "[abcd]");
	assert_string_equal(find("\\bfoo\\b", 0, "foo xfoo foo_ foo."), "[foo][foo]");
	assert_string_equal(find("\\Bfoo", 0, "foo xfoo"), "[foo]");
	assert_string_equal(find("\\d{3}-\\d{2}-\\d{4}", 0, "a 123-45-6789 b"), "[123-45-6789]");
	assert_string_equal(find("hello", RX_FLAG_ICASE, "HeLLo hello"), "[HeLLo][hello]");
	assert_string_equal(find("[^\"]+@x\\.com", 0, "\"me@x.com\""), "[me@x.com]");
	assert_string_equal(find("a.c", 0, "a\nc abc"), "[abc]");
	/* non-overlapping: the search goes on after a match's end */
	assert_string_equal(find("aba", 0, "ababa"), "[aba]");
}

/* rx_find_at(): starts from `from` on, the byte before it their context.
 * aspend masks a write's body from its first byte: one that is an
 * escape's last hex digit (`\u003` | `001-01-0001`) begins no match (until
 * session 38 the search began at the body, the digit taken for a start) */
static void test_find_at(void **state)
{
	static const char buf[] = "\\u003001-01-0001 x 002-02-0002";
	struct spans sp = {.buf = buf};
	struct rx_error err;
	struct rx *rx = rx_new("\\b\\d{3}-\\d{2}-\\d{4}\\b", 0, &err);

	(void)state;
	assert_non_null(rx);
	/* from the escape's last digit: only the second SSN */
	rx_find_at(rx, (const uint8_t *)buf, strlen(buf), 5, collect, &sp);
	assert_string_equal(sp.out, "[002-02-0002]");
	/* the same bytes as a buffer of their own: the digit starts one */
	memset(sp.out, 0, sizeof(sp.out));
	sp.buf = buf + 5;
	rx_find(rx, (const uint8_t *)buf + 5, strlen(buf) - 5, collect, &sp);
	assert_string_equal(sp.out, "[001-01-0001][002-02-0002]");
	rx_free(rx);
}

/* rx_new_short(): the same spans without the unanchored DFA; rx_tail() */
static void test_short_and_tail(void **state)
{
	static const char *const res[] = { "a+", "ab|abcd", "\\bfoo\\b", "\\d{3}-\\d{2}-\\d{4}" };
	static const char *const bufs[] = { "xaaa ba", "abcd ab", "foo xfoo foo_ foo.",
					    "a 123-45-6789 b 1-2" };
	struct rx_error err;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct rx *full = rx_new(res[i], 0, &err), *shrt = rx_new_short(res[i], 0, &err);
		struct spans a = { .buf = bufs[i] }, b = { .buf = bufs[i] };
		size_t n = strlen(bufs[i]);

		assert_non_null(full);
		assert_non_null(shrt);
		rx_find(full, (const uint8_t *)bufs[i], n, collect, &a);
		rx_find(shrt, (const uint8_t *)bufs[i], n, collect, &b);
		assert_string_equal(a.out, b.out);
		assert_int_equal(rx_search(full, (const uint8_t *)"zz", 2),
				 rx_search(shrt, (const uint8_t *)"zz", 2));
		assert_true(rx_search(shrt, (const uint8_t *)bufs[i], n));
		rx_free(full);
		rx_free(shrt);
	}
	{
		struct rx *rx = rx_new("\\d{3}-\\d{2}-\\d{4}\\b", 0, &err);

		assert_int_equal(rx_tail(rx, (const uint8_t *)"id 123-4", 8), 3);
		assert_int_equal(rx_tail(rx, (const uint8_t *)"id 123-45-6789", 14), 3);
		assert_int_equal(rx_tail(rx, (const uint8_t *)"id 12a", 6), 6);
		assert_int_equal(rx_tail(rx, (const uint8_t *)"", 0), 0);
		rx_free(rx);
	}
}

static void test_errors(void **state)
{
	struct rx_error err;

	(void)state;
	assert_null(rx_new("(a)\\1", 0, &err));
	assert_int_equal(err.offset, 3);
	assert_null(rx_new("ab(?!c)", 0, &err));
	assert_int_equal(err.offset, 2);
	assert_null(rx_new("a{3,2}", 0, &err));
	assert_null(rx_new("x|a*", 0, &err));
	assert_null(rx_new("^abc", 0, &err));
	assert_int_equal(err.offset, 0);
	assert_null(rx_new("a)", 0, &err));
	assert_int_equal(err.offset, 1);
}

static void test_luhn(void **state)
{
	(void)state;
	assert_true(aspen_luhn_valid((const uint8_t *)"4111 1111 1111 1111", 19));
	assert_true(aspen_luhn_valid((const uint8_t *)"378282246310005", 15));
	assert_false(aspen_luhn_valid((const uint8_t *)"4111 1111 1111 1112", 19));
	assert_false(aspen_luhn_valid((const uint8_t *)"0", 1));
	assert_non_null(aspen_validator("luhn"));
	assert_null(aspen_validator("mod97"));
}

static void test_meta_pattern(void **state)
{
	const char *text = "aspen-meta\t1\nabi\t1\n"
			   "pattern\t0\tpii.ssn\tX\t-\t\\\\b\\\\d{3}\t-\n"
			   "pattern\t1\tcard\t-\tluhn\t4\\\\d+\ti\n";
	struct aspen_meta m;
	char err[128];

	(void)state;
	assert_int_equal(aspen_meta_parse(text, strlen(text), &m, err, sizeof(err)), 0);
	assert_int_equal(m.npatterns, 2);
	assert_string_equal(m.patterns[0].name, "pii.ssn");
	assert_true(m.patterns[0].redact);
	assert_string_equal(m.patterns[0].mask, "X");
	assert_null(m.patterns[0].validator);
	assert_string_equal(m.patterns[0].regex, "\\b\\d{3}");
	assert_false(m.patterns[0].icase);
	assert_false(m.patterns[1].redact);
	assert_string_equal(m.patterns[1].validator, "luhn");
	assert_true(m.patterns[1].icase);
	aspen_meta_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spans),	   cmocka_unit_test(test_find_at),
	    cmocka_unit_test(test_short_and_tail), cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_luhn),	   cmocka_unit_test(test_meta_pattern),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
