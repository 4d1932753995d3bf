/* SPDX-License-Identifier: Apache-2.0 */
/* analyse.c: rules that can never fire. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fields.h"
#include "passes.h"

#include "check_policy.h"

#define HEAD "policy \"p\"\ndefault deny\nimport \"providers\"\n"

static void test_shadowed_by_unconditional_rule(void **state)
{
	struct program p;
	int e, w;
	char *out = check(HEAD "rule first { on connect deny }\n"
			       "rule second { on connect when provider == openai allow }\n"
			       "rule req { on request allow }\n",
			  &p, &e, &w);

	assert_int_equal(e, 0);
	assert_int_equal(w, 2); /* and: no `uninspectable` setting */
	assert_non_null(strstr(out,
			       "t.asp:5:6: warning: rule 'second' can never fire: rule 'first' "
			       "(line 4) always decides first\n"));
	/* a connect rule never shadows a request rule */
	assert_null(strstr(out, "rule 'req' can never fire"));
	assert_non_null(strstr(out, "warning: no `uninspectable` setting: requests Aspen cannot "
				    "parse (HTTP/2, compressed bodies, bodies past the scan bound) "
				    "are denied\n"));
	free(out);
	program_free(&p);
}

static void test_non_terminal_and_conditional_rules_do_not_shadow(void **state)
{
	struct program p;
	int e, w;
	char *out = check(HEAD "rule log { on connect audit }\n"
			       "rule some { on connect when dst.port == 443 deny }\n"
			       "rule other { on connect allow }\n"
			       "rule any_conn { on connect any when dst.port == 80 allow }\n",
			  &p, &e, &w);

	assert_int_equal(e, 0);
	assert_int_equal(w, 0);
	free(out);
	program_free(&p);
}

static void test_connect_any_shadows_connect(void **state)
{
	struct program p;
	int e, w;
	char *out = check(HEAD "rule all { on connect any allow }\n"
			       "rule ai { on connect deny }\n"
			       "rule all2 { on connect any deny }\n",
			  &p, &e, &w);

	assert_int_equal(w, 2);
	assert_non_null(strstr(out, "rule 'ai' can never fire: rule 'all' (line 4)"));
	assert_non_null(strstr(out, "rule 'all2' can never fire: rule 'all' (line 4)"));
	free(out);
	program_free(&p);
}

static void test_connect_does_not_shadow_connect_any(void **state)
{
	struct program p;
	int e, w;
	char *out = check(HEAD "rule ai { on connect deny }\nrule all { on connect any audit }\n",
			  &p, &e, &w);

	assert_int_equal(w, 0);
	free(out);
	program_free(&p);
}

static void test_contradictions(void **state)
{
	struct program p;
	int e, w;
	char *out = check(
	    HEAD
	    "rule a { on connect when dst.port == 443 and dst.port == 80 deny }\n"
	    "rule b { on connect when provider == openai and provider == gemini deny }\n"
	    "rule c { on connect when process.uid == 0 and process.uid != 0 deny }\n"
	    "rule d { on connect when process.exe == \"/a*\" and process.exe == \"/ab\" deny }\n"
	    "rule e { on connect when dst.port == 443 or dst.port == 80 deny }\n",
	    &p, &e, &w);

	assert_int_equal(e, 0);
	assert_int_equal(w, 2);
	assert_non_null(
	    strstr(out, "warning: rule 'a' can never fire: its conditions on dst.port"));
	/* provider is a set (a CDN address may serve both): 'b' can fire */
	assert_null(strstr(out, "rule 'b' can never fire"));
	assert_non_null(
	    strstr(out, "warning: rule 'c' can never fire: its conditions on process.uid"));
	free(out);
	program_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shadowed_by_unconditional_rule),
	    cmocka_unit_test(test_non_terminal_and_conditional_rules_do_not_shadow),
	    cmocka_unit_test(test_connect_any_shadows_connect),
	    cmocka_unit_test(test_connect_does_not_shadow_connect_any),
	    cmocka_unit_test(test_contradictions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
