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

/* The policy text after HEAD (and `uninspectable deny`, `import "pii"`):
 * no error, `warnings` warnings; returns what aspenc printed. */
static char *analysed(const char *rules, int warnings)
{
	char text[4096];
	struct program p;
	int e, w;
	char *out;

	snprintf(text, sizeof(text), "%suninspectable deny\nimport \"pii\"\n%s", HEAD, rules);
	out = check(text, &p, &e, &w);
	program_free(&p);
	if (e != 0 || w != warnings)
		print_message("%d errors, %d warnings:\n%s", e, w, out);
	assert_int_equal(e, 0);
	assert_int_equal(w, warnings);
	return out;
}

/* Line numbers below: HEAD is 3 lines, then 2 more: the first rule is on line 6. */
static void test_covered_by_several_rules(void **state)
{
	char *out = analysed("rule low { on connect when process.uid < 1000 allow }\n"
			     "rule high { on connect when process.uid >= 1000 deny }\n"
			     "rule curl { on connect when process.exe == \"/usr/bin/curl\" deny }\n"
			     "rule everywhere { on connect any when process.uid == 0 deny }\n",
			     1);

	(void)state;
	assert_non_null(strstr(out,
			       "t.asp:8:6: warning: rule 'curl' can never fire: every "
			       "connection it matches is decided first by rules 'low' (line 6) "
			       "and 'high' (line 7)\n"));
	assert_non_null(strstr(out, "hint: remove it, or move it before 'low'\n"));
	/* `on connect any` sees connections to no provider too */
	assert_null(strstr(out, "'everywhere'"));
	free(out);
}

static void test_covered_by_globs_and_lists(void **state)
{
	char *out = analysed("list approved = [\"gpt-4o*\", \"o1\"]\n"
			     "rule models { on request when request.model in approved allow }\n"
			     "rule mini { on request when request.model == \"gpt-4o-mini\" and "
			     "process.uid == 0 deny }\n"
			     "rule o3 { on request when request.model == \"o3\" deny }\n"
			     "rule host { on request when http.host == \"API.OpenAI.com\" and "
			     "request.model == \"o1\" "
			     "deny }\n"
			     "rule nets { on connect any when dst.ip in [\"10.0.0.0/8\"] deny }\n"
			     "rule subnet { on connect any when dst.ip == \"10.1.0.0/16\" deny }\n"
			     "rule beside { on connect any when dst.ip == \"11.0.0.0/16\" deny }\n",
			     3);

	(void)state;
	assert_non_null(strstr(out, "rule 'mini' can never fire: every request it matches is "
				    "decided first by rule 'models' (line 7)"));
	assert_null(strstr(out, "'o3'"));
	assert_non_null(strstr(out, "rule 'host' can never fire"));
	assert_non_null(strstr(out, "rule 'subnet' can never fire: every connection it matches "
				    "is decided first by rule 'nets' (line 11)"));
	assert_null(strstr(out, "'beside'"));
	free(out);
}

/* process.exe can be unknown (a process gone before it was read): `== "*"`
 * does not hold then, so it covers nothing a later rule could see. */
static void test_unknown_values_are_values(void **state)
{
	char *out = analysed("rule any_exe { on connect when process.exe == \"*\" allow }\n"
			     "rule root { on connect when process.uid == 0 deny }\n"
			     "rule empty { on request when request.user == \"*\" allow }\n"
			     "rule nobody { on request when request.stream == true deny }\n",
			     1);

	(void)state;
	assert_null(strstr(out, "'root'"));
	/* request fields are never unknown: absent is "" */
	assert_non_null(strstr(out, "rule 'nobody' can never fire: every request it matches is "
				    "decided first by rule 'empty' (line 8)"));
	free(out);
}

/* Redactions are not ordered: an earlier allow does not stop them, an
 * earlier deny in enforce mode does (session 41: the old check said an
 * allow with no `when` made every later redact rule dead). */
static void test_redact_is_not_stopped_by_allow(void **state)
{
	char *out = analysed("rule all { on request allow }\n"
			     "rule mask { on request redact pii.ssn }\n",
			     0);

	(void)state;
	free(out);
	out = analysed(
	    "rule openai { on request when provider == openai deny }\n"
	    "rule watch { on request mode monitor when provider == anthropic deny }\n"
	    "rule mask { on request when provider in [openai, anthropic] redact pii.ssn }\n"
	    "rule mask_openai { on request when provider == openai redact pii.email }\n",
	    1);
	assert_null(strstr(out, "'mask' "));
	assert_non_null(strstr(out, "rule 'mask_openai' never masks anything: every request it "
				    "matches is denied, by rule 'openai' (line 6)"));
	free(out);
	/* nothing allows a request to anthropic: `default deny` denies them all,
	 * also those of a deny rule after the masking one */
	out = analysed(
	    "rule openai { on request when provider == openai allow }\n"
	    "rule mask { on request when provider == anthropic redact pii.ssn }\n"
	    "rule late { on request when provider == anthropic and process.uid == 0 deny }\n",
	    1);
	assert_non_null(strstr(out, "rule 'mask' never masks anything: every request it matches "
				    "is denied, by rule 'late' (line 8) and by `default deny`"));
	free(out);
}

static void test_conditions_nothing_satisfies(void **state)
{
	char *out = analysed(
	    "rule names { on request when request.model == \"gpt*\" and request.model == "
	    "\"claude*\" "
	    "deny }\n"
	    "rule ports { on connect any when dst.port > 500 and dst.port < 400 audit }\n"
	    "rule hosts { on connect when dst.host == \"a.example\" and dst.host == \"b.example\" "
	    "audit }\n"
	    "rule neither { on connect when not (process.uid == 0 or process.uid != 0) deny }\n",
	    3);

	(void)state;
	assert_non_null(strstr(out, "rule 'names' can never fire: no request satisfies its "
				    "'when' condition"));
	assert_non_null(strstr(out, "rule 'ports' can never fire: no connection satisfies"));
	/* a connection may have several names */
	assert_null(strstr(out, "'hosts'"));
	assert_non_null(strstr(out, "rule 'neither' can never fire"));
	free(out);
}

/* More exact strings in one field than a 64-bit mask holds: each is a
 * value by index (before, such a rule was left unreported) */
static void test_big_lists(void **state)
{
	char rules[3072];
	size_t o = (size_t)snprintf(rules, sizeof(rules), "list big = [\"m0\"");
	char *out;

	(void)state;
	for (int i = 1; i < 100; i++)
		o += (size_t)snprintf(rules + o, sizeof(rules) - o, ", \"m%d\"", i);
	snprintf(
	    rules + o, sizeof(rules) - o,
	    "]\n"
	    "rule a { on request when request.model in big allow }\n"
	    "rule b { on request when request.model == \"m57\" and process.uid == 0 deny }\n"
	    "rule c { on request when request.model == \"m100\" deny }\n"
	    "rule e { on request when request.model in big and request.model not in big deny }\n");
	out = analysed(rules, 2);
	assert_non_null(strstr(out, "t.asp:8:6: warning: rule 'b' can never fire: every request it "
				    "matches is decided first by rule 'a' (line 7)"));
	assert_null(strstr(out, "'c'"));
	assert_non_null(strstr(out, "rule 'e' can never fire: no request satisfies"));
	free(out);
}

static void test_no_provider(void **state)
{
	struct program p;
	int e, w;
	char *out = check("policy \"p\"\ndefault allow\n"
			  "rule r { on connect when dst.port == 8080 deny }\n"
			  "rule any { on connect any when dst.port == 8080 deny }\n",
			  &p, &e, &w);

	(void)state;
	assert_int_equal(e, 0);
	assert_int_equal(w, 1);
	assert_non_null(strstr(out, "t.asp:3:6: warning: rule 'r' can never fire: it sees AI "
				    "traffic only, and the policy declares no provider\n"));
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
	    cmocka_unit_test(test_covered_by_several_rules),
	    cmocka_unit_test(test_covered_by_globs_and_lists),
	    cmocka_unit_test(test_unknown_values_are_values),
	    cmocka_unit_test(test_redact_is_not_stopped_by_allow),
	    cmocka_unit_test(test_conditions_nothing_satisfies),
	    cmocka_unit_test(test_big_lists),
	    cmocka_unit_test(test_no_provider),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
