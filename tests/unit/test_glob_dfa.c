/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel DFAs must agree with the reference matcher (docs/internals.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "glob.h"
#include "glob_dfa.h"

static const char *const globs[] = {
    "",
    "*",
    "abc",
    "a*",
    "*a",
    "a*b",
    "a*b*c",
    "?",
    "??*",
    "*?a?",
    "[abc]*",
    "[!a-c]x*",
    "[]a]*[!]]",
    "\\*a\\?",
    "a\\[b",
    "*ab*ab*",
    "/usr/bin/*",
    "/usr/bin/python3*",
    "*.openai.com",
    "ab?c*[0-9]",
    "[a-]?*-",
    "*aa*",
    "a*a*a*a",
    "x[!x]*[x]",
};

/* Strings over a small alphabet so that random ones actually match. */
static void random_string(char *buf, size_t max, unsigned *seed)
{
	static const char alpha[] = "abcx019-.*?[]!/AB\\\xc3\xff";
	size_t len = (size_t)rand_r(seed) % max;

	for (size_t i = 0; i < len; i++)
		buf[i] = alpha[(size_t)rand_r(seed) % (sizeof(alpha) - 1)];
	buf[len] = 0;
}

static void check_agree(int flags)
{
	unsigned seed = 12345;
	char buf[24], err[128];

	for (size_t g = 0; g < sizeof(globs) / sizeof(globs[0]); g++) {
		struct dfa *d = glob_dfa_build(globs[g], flags, err, sizeof(err));

		if (!d)
			fail_msg("glob '%s': %s", globs[g], err);
		assert_int_equal(d->accept[0], aspen_glob_match(globs[g], ""));
		for (int i = 0; i < 4000; i++) {
			bool want, got;

			random_string(buf, sizeof(buf) - 1, &seed);
			want = flags & GLOB_DFA_ICASE ? aspen_glob_match_ci(globs[g], buf)
						      : aspen_glob_match(globs[g], buf);
			got = dfa_match(d, buf);
			if (want != got)
				fail_msg("glob '%s' on '%s': reference %d, dfa %d", globs[g], buf,
					 want, got);
		}
		dfa_free(d);
	}
}

static void test_agree(void **state)
{
	(void)state;
	check_agree(0);
}

static void test_agree_icase(void **state)
{
	(void)state;
	check_agree(GLOB_DFA_ICASE);
}

static int nstates(const char *glob)
{
	char err[128];
	struct dfa *d = glob_dfa_build(glob, 0, err, sizeof(err));
	int n;

	assert_non_null(d);
	n = d->nstates;
	dfa_free(d);
	return n;
}

static void test_minimal(void **state)
{
	(void)state;
	assert_int_equal(nstates("*"), 2);   /* accept-all + dead (NUL) */
	assert_int_equal(nstates("abc"), 5); /* 4 on the path + dead */
	assert_int_equal(nstates("a*"), 3);
	assert_int_equal(nstates("**a**"), 3); /* '**' is '*' */
	assert_int_equal(nstates("*a"), 3);    /* seen-a / not: 2 + dead */
}

static void test_classes(void **state)
{
	char err[128];
	struct dfa *d = glob_dfa_build("[a-c]x", 0, err, sizeof(err));

	(void)state;
	assert_non_null(d);
	/* a,b,c alike; x; NUL and everything else alike */
	assert_int_equal(d->nclasses, 3);
	assert_int_equal(d->cls['a'], d->cls['c']);
	assert_int_not_equal(d->cls['a'], d->cls['x']);
	assert_true(d->dead >= 0);
	dfa_free(d);
}

static void test_budget(void **state)
{
	char err[128], glob[700];
	struct dfa *d;

	(void)state;
	/* 300 literal bytes need over 255 states */
	memset(glob, 'a', 300);
	glob[300] = 0;
	d = glob_dfa_build(glob, 0, err, sizeof(err));
	assert_null(d);
	assert_non_null(strstr(err, "DFA states"));
	d = glob_dfa_build("[abc", 0, err, sizeof(err));
	assert_null(d);
	assert_non_null(strstr(err, "unterminated"));
}

static void test_nfa_epsilon(void **state)
{
	/* (ab|c) built by hand: the builder is shared with future regexes */
	struct nfa *n = nfa_new();
	struct aspen_byteset a = {0}, b = {0}, c = {0};
	char err[128];
	int s0 = nfa_add_state(n), s1 = nfa_add_state(n), s2 = nfa_add_state(n),
	    s3 = nfa_add_state(n), s4 = nfa_add_state(n), acc = nfa_add_state(n);
	struct dfa *d;

	(void)state;
	aspen_byteset_add(&a, 'a');
	aspen_byteset_add(&b, 'b');
	aspen_byteset_add(&c, 'c');
	nfa_add_edge(n, s0, s1, NULL);
	nfa_add_edge(n, s0, s3, NULL);
	nfa_add_edge(n, s1, s2, &a);
	nfa_add_edge(n, s2, acc, &b);
	nfa_add_edge(n, s3, s4, &c);
	nfa_add_edge(n, s4, acc, NULL);
	nfa_set_accept(n, acc);
	d = nfa_to_dfa(n, DFA_MAX_STATES, err, sizeof(err));
	assert_non_null(d);
	assert_true(dfa_match(d, "ab"));
	assert_true(dfa_match(d, "c"));
	assert_false(dfa_match(d, "a"));
	assert_false(dfa_match(d, "abc"));
	assert_int_equal(d->nstates, 4); /* start, after a, accept, dead */
	dfa_free(d);
	nfa_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_agree),   cmocka_unit_test(test_agree_icase),
	    cmocka_unit_test(test_minimal), cmocka_unit_test(test_classes),
	    cmocka_unit_test(test_budget),  cmocka_unit_test(test_nfa_epsilon),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
