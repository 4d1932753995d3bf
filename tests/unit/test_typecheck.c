/* SPDX-License-Identifier: Apache-2.0 */
/* typecheck.c: fields, operators vs types, literals, rule shape. */
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

static void test_fields_are_set(void **state)
{
	struct program p;
	int e, w;
	char *out = check(HEAD "rule a { on connect when process.uid == 0 and dst.port in [443] "
			       "and provider != openai and process.exe == \"/bin/*\" deny }\n",
			  &p, &e, &w);
	struct expr *x = p.rules[0]->when;

	assert_int_equal(e, 0);
	assert_int_equal(x->rhs->field, F_PROC_EXE);
	assert_int_equal(x->lhs->rhs->field, F_PROVIDER);
	assert_int_equal(x->lhs->lhs->rhs->field, F_DST_PORT);
	assert_int_equal(x->lhs->lhs->lhs->field, F_PROC_UID);
	assert_int_equal(field_lookup("process.comm")->type, FT_GLOB);
	assert_int_equal(field_get(F_DST_PORT)->max, 65535);
	free(out);
	program_free(&p);
}

static void test_type_mismatches(void **state)
{
	struct program p;
	int e, w;
	char *out = check(HEAD "rule a { on connect when dst.port == \"443\" deny }\n"
			       "rule b { on connect when process.uid in [\"x\"] deny }\n"
			       "rule c { on connect when provider == \"openai\" deny }\n"
			       "rule d { on connect when process.exe > \"a\" deny }\n"
			       "rule e { on request when request.stream == 1 deny }\n"
			       "rule f { on request when request.body == \"x\" deny }\n",
			  &p, &e, &w);

	assert_int_equal(e, 6);
	assert_non_null(strstr(out, "t.asp:4:38: error: dst.port is an integer, not a string\n"));
	assert_non_null(strstr(out, "hint: drop the quotes: 443\n"));
	assert_non_null(strstr(out, "error: process.uid is an integer, not a string\n"));
	assert_non_null(strstr(out, "error: a provider is a name, not a string\n"));
	assert_non_null(strstr(out, "hint: drop the quotes: openai\n"));
	assert_non_null(strstr(out, "error: '>' does not apply to process.exe (a string)\n"));
	assert_non_null(strstr(out, "error: request.stream is true or false\n"));
	assert_non_null(
	    strstr(out, "error: '==' does not apply to request.body (a request body)\n"));
	free(out);
	program_free(&p);
}

static void test_literals(void **state)
{
	struct program p;
	int e, w;
	char *out = check(
	    HEAD "provider x { hosts = [\"a[b\"] ports = [70000] cidrs = [\"10.0.0.0/33\", "
		 "\"fd00::/8\", \"10.1.2.3/16\", \"::1/129\"] }\n"
		 "provider y { ports = [443] }\n"
		 "list l = [\"ok*\", \"bad\\\\\"]\n"
		 "rule a { on connect when process.uid == 4294967296 deny }\n"
		 "rule b { on connect when process.comm == \"a-very-long-command-name\" deny }\n",
	    &p, &e, &w);

	assert_non_null(strstr(out, "error: bad glob \"a[b\": "));
	assert_non_null(strstr(out, "error: port 70000 is out of range (1..65535)\n"));
	assert_non_null(strstr(out, "error: bad IP address or CIDR \"10.0.0.0/33\"\n"));
	assert_non_null(strstr(out, "error: bad IP address or CIDR \"::1/129\"\n"));
	assert_non_null(strstr(out, "warning: CIDR \"10.1.2.3/16\" is not a network address\n"));
	assert_non_null(strstr(out, "error: provider 'y' has no hosts and no cidrs\n"));
	assert_non_null(strstr(out, "error: bad glob \"bad\\\": "));
	assert_non_null(
	    strstr(out, "error: process.uid 4294967296 is out of range (0..4294967295)\n"));
	assert_non_null(strstr(out, "warning: process.comm is at most 15 characters"));
	assert_null(strstr(out, "CIDR \"fd00::/8\""));
	assert_int_equal(e, 7);
	free(out);
	program_free(&p);
}

static void test_field_visibility(void **state)
{
	struct program p;
	int e, w;
	char *out = check(
	    HEAD "rule a { on connect when request.model == \"gpt-4o\" deny }\n"
		 "rule b { on request when response.status == 500 deny }\n"
		 "rule c { on response when response.status >= 500 and request.model == \"x\" "
		 "and process.exe == \"/bin/x\" alert }\n"
		 "rule d { on connect when provider == unknown deny }\n"
		 "rule e { on connect any when provider == unknown deny }\n",
	    &p, &e, &w);

	assert_int_equal(e, 3);
	assert_non_null(strstr(out, "t.asp:4:26: error: field 'request.model' is not available in "
				    "'on connect' rules\n"));
	/* struct aspen_resp has no request fields */
	assert_non_null(strstr(out, "error: field 'request.model' is not available in "
				    "'on response' rules\n"));
	assert_non_null(strstr(out, "hint: a response rule sees the connection, the process and "
				    "response.status/response.tokens; request fields need "
				    "'on request'\n"));
	assert_non_null(strstr(out,
			       "hint: a connect rule sees only the connection and the process; "
			       "request fields need 'on request'\n"));
	assert_non_null(strstr(out, "error: field 'response.status' is not available in "
				    "'on request' rules\n"));
	assert_non_null(
	    strstr(out, "t.asp:7:26: warning: 'unknown' never matches in an 'on connect' rule"));
	assert_null(strstr(out, "t.asp:8:"));
	free(out);
	program_free(&p);
}

static void test_rule_shape(void **state)
{
	struct program p;
	int e, w;
	char *out = check(HEAD "rule a { deny }\nrule b { on connect }\n"
			       "rule c { on connect deny kill }\n"
			       "rule d { on connect redact pii }\n"
			       "pattern pii = /x/\n"
			       "rule f { on request redact pii with \"X\" audit kill }\n",
			  &p, &e, &w);

	assert_int_equal(e, 4);
	assert_non_null(strstr(out, "error: rule 'a' has no 'on'\n"));
	assert_non_null(strstr(out, "error: rule 'b' has no action\n"));
	assert_non_null(strstr(out, "t.asp:6:26: error: rule 'c' has two terminal actions\n"));
	assert_non_null(strstr(out, "t.asp:6:21: note: the first is here\n"));
	assert_non_null(strstr(out, "error: 'redact' rewrites request bodies\n"));
	free(out);
	program_free(&p);
}

static void test_operators_and_lists(void **state)
{
	struct program p;
	int e, w;
	char *out =
	    check(HEAD "list nums = [1, 2]\nlist strs = [\"a\"]\nlist mixed = [\"a\", 1]\n"
		       "list provs = [openai, gemini]\n"
		       "rule a { on connect when dst.port in strs deny }\n"
		       "rule b { on connect when provider in provs and dst.port in nums deny }\n"
		       "rule c { on connect when process.exe == strs deny }\n"
		       "rule d { on connect when dst.port in 443 deny }\n"
		       "rule e { on request when request.body matches strs deny }\n",
		  &p, &e, &w);

	assert_non_null(strstr(out, "error: list 'mixed' mixes kinds of items\n"));
	assert_non_null(
	    strstr(out, "error: list 'strs' does not hold an integer values (dst.port)\n"));
	assert_non_null(strstr(out, "error: '==' compares with one value, not a list\n"));
	assert_non_null(strstr(out, "error: 'in' needs a list\n"));
	assert_non_null(strstr(out, "error: unknown pattern 'strs'\n"));
	assert_null(strstr(out, "t.asp:9:"));
	free(out);
	program_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields_are_set), cmocka_unit_test(test_type_mismatches),
	    cmocka_unit_test(test_literals),	   cmocka_unit_test(test_field_visibility),
	    cmocka_unit_test(test_rule_shape),	   cmocka_unit_test(test_operators_and_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
