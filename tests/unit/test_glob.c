/* SPDX-License-Identifier: Apache-2.0 */
/* The reference glob matcher: a table of (glob, string, expected). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "glob.h"

struct gcase {
	const char *glob, *s;
	bool match;
};

static const struct gcase cases[] = {
    {"", "", true},
    {"", "a", false},
    {"abc", "abc", true},
    {"abc", "abcd", false},
    {"abc", "ab", false},
    {"*", "", true},
    {"*", "/usr/bin/curl", true},
    {"/usr/bin/*", "/usr/bin/curl", true},
    {"/usr/bin/*", "/usr/bin/sub/dir", true}, /* '*' crosses '/' */
    {"/usr/bin/*", "/usr/lib/x", false},
    {"*.openai.com", "api.openai.com", true},
    {"*.openai.com", "openai.com", false},
    {"a*b*c", "aXXbYYc", true},
    {"a*b*c", "aXXbYY", false},
    {"a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
    {"?", "x", true},
    {"?", "", false},
    {"??", "x", false},
    {"python3.1?", "python3.11", true},
    {"[abc]", "b", true},
    {"[abc]", "d", false},
    {"[a-z]x", "qx", true},
    {"[a-z]x", "Qx", false},
    {"[!a-z]", "Q", true},
    {"[!a-z]", "q", false},
    {"[]]", "]", true},
    {"[!]]", "]", false},
    {"[a-]", "-", true},
    {"[\\]]", "]", true},
    {"\\*", "*", true},
    {"\\*", "x", false},
    {"\\?\\[", "?[", true},
    {"claude-sonnet-4*", "claude-sonnet-4-20250514", true},
    {"gpt-4o", "gpt-4o-mini", false},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = aspen_glob_match(cases[i].glob, cases[i].s);

		if (got != cases[i].match)
			fail_msg("glob '%s' vs '%s': got %d", cases[i].glob, cases[i].s, got);
	}
}

static void test_case_insensitive(void **state)
{
	(void)state;
	assert_true(aspen_glob_match_ci("*.OpenAI.com", "API.openai.COM"));
	assert_true(aspen_glob_match_ci("[a-c]x", "BX"));
	assert_false(aspen_glob_match("*.OpenAI.com", "api.openai.com"));
	assert_false(aspen_glob_match_ci("[!a-c]", "B"));
}

static void test_valid(void **state)
{
	const char *err = NULL;

	(void)state;
	assert_int_equal(aspen_glob_valid("/usr/*/[a-z]?\\*", &err), 0);
	assert_int_equal(aspen_glob_valid("[abc", &err), -1);
	assert_non_null(strstr(err, "unterminated"));
	assert_int_equal(aspen_glob_valid("x\\", &err), -1);
	assert_non_null(strstr(err, "trailing"));
	assert_int_equal(aspen_glob_valid("[z-a]", &err), -1);
	assert_non_null(strstr(err, "reversed"));
	assert_false(aspen_glob_match("[abc", "[abc")); /* malformed matches nothing */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_case_insensitive),
	    cmocka_unit_test(test_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
