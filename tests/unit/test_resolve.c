/* SPDX-License-Identifier: Apache-2.0 */
/* resolve.c: imports (search order, namespaces, cycles), binding, tables. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "passes.h"

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *diag_text(const struct diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	diags_print(d, f);
	fclose(f);
	return buf;
}

/* Resolve dir/root.asp with dir/lib as an -I directory. */
static int resolve(struct program *p, struct diags *d)
{
	char root[256], lib[256];
	const char *dirs[2] = {lib, ""};
	struct compile_opts o = {dirs, 2};

	snprintf(root, sizeof(root), "%s/root.asp", dir);
	snprintf(lib, sizeof(lib), "%s/lib", dir);
	return resolve_program(root, &o, p, d);
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/aspen-test-resolve-XXXXXX");
	assert_non_null(mkdtemp(dir));
	{
		char lib[128];

		snprintf(lib, sizeof(lib), "%s/lib", dir);
		assert_int_equal(mkdir(lib, 0700), 0);
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_imports_namespaces_and_binding(void **state)
{
	struct program p;
	struct diags *d = diags_new();
	struct decl *r;

	write_file("lib/pii.asp", "pattern ssn = /[0-9]{3}-[0-9]{2}-[0-9]{4}/\n"
				  "provider llm { hosts = [\"llm.example.com\"] }\n");
	write_file("local.asp", "list bins = [\"/usr/bin/*\"]\n");
	write_file("root.asp",
		   "policy \"p\"\ndefault deny\nimport \"pii\"\nimport \"./local.asp\"\n"
		   "provider own { hosts = [\"own.example.com\"] }\n"
		   "list ai = [llm, own]\n"
		   "rule a { on connect when provider in [llm, own, any] and "
		   "process.exe in local.bins deny }\n"
		   "rule b { on request when request.body matches pii.ssn redact pii.ssn }\n");
	assert_int_equal(resolve(&p, d), 0);
	assert_int_equal(diags_errors(d), 0);
	assert_int_equal(p.nsources, 3);
	assert_int_equal(p.npolicies, 3);
	assert_ptr_equal(p.policies[0], p.root);
	/* imports first, in import order, then the root's own */
	assert_int_equal(p.nproviders, 2);
	assert_string_equal(p.providers[0]->name, "llm");
	assert_string_equal(p.providers[0]->ns, "pii");
	assert_string_equal(p.providers[1]->name, "own");
	assert_null(p.providers[1]->ns);
	assert_int_equal(p.nlists, 2);
	assert_string_equal(p.lists[0]->ns, "local");
	assert_int_equal(p.npatterns, 1);
	assert_int_equal(p.nrules, 2);
	assert_int_equal(p.rules[1]->index, 1);
	r = p.rules[0];
	assert_ptr_equal(r->when->lhs->rhs_val->items[0]->ref, p.providers[0]);
	assert_ptr_equal(r->when->lhs->rhs_val->items[1]->ref, p.providers[1]);
	assert_null(r->when->lhs->rhs_val->items[2]->ref); /* any */
	assert_ptr_equal(r->when->rhs->rhs_val->ref, p.lists[0]);
	assert_ptr_equal(p.rules[1]->when->rhs_val->ref, p.patterns[0]);
	assert_ptr_equal(p.rules[1]->actions[0].target->ref, p.patterns[0]);
	assert_ptr_equal(p.lists[1]->items->items[0]->ref, p.providers[0]);
	assert_ptr_equal(p.root->imports->policy, p.policies[1]);
	program_free(&p);
	diags_free(d);
}

static void test_unknown_names_suggest(void **state)
{
	struct program p;
	struct diags *d = diags_new();
	char *out;

	write_file("root.asp", "policy \"p\"\ndefault deny\n"
			       "provider openai { hosts = [\"api.openai.com\"] }\n"
			       "list models = [\"gpt-4o\"]\n"
			       "rule a { on connect when provider == opneai deny }\n"
			       "rule b { on request when request.model in modles deny }\n"
			       "rule c { on request when request.body matches secret deny }\n"
			       "rule d { on connect when process.exe == curl deny }\n");
	assert_int_equal(resolve(&p, d), -1);
	out = diag_text(d);
	assert_non_null(strstr(out, "root.asp:5:38: error: unknown provider 'opneai'\n"));
	assert_non_null(strstr(out, "hint: did you mean 'openai'?\n"));
	assert_non_null(strstr(out, "error: unknown list 'modles'\n"));
	assert_non_null(strstr(out, "hint: did you mean 'models'?\n"));
	assert_non_null(strstr(out, "error: unknown pattern 'secret'\n"));
	assert_non_null(strstr(out, "error: unknown name 'curl'\n"));
	assert_non_null(strstr(out, "hint: to compare with a string, quote it: \"curl\"\n"));
	free(out);
	program_free(&p);
	diags_free(d);
}

static void test_import_cycle_and_unknown_import(void **state)
{
	struct program p;
	struct diags *d = diags_new();
	char *out;

	write_file("a.asp", "import \"./b.asp\"\nlist x = [1]\n");
	write_file("b.asp", "import \"./a.asp\"\n");
	write_file("lib/providers.asp", "provider q { hosts = [\"q\"] }\n");
	write_file("root.asp",
		   "policy \"p\"\ndefault deny\nimport \"./a.asp\"\nimport \"provider\"\n");
	assert_int_equal(resolve(&p, d), -1);
	out = diag_text(d);
	assert_non_null(strstr(out, "b.asp:1:8: error: import cycle: a.asp -> b.asp -> a.asp\n"));
	assert_non_null(strstr(out, "root.asp:4:8: error: cannot find import 'provider'\n"
				    "   4 | import \"provider\"\n"));
	assert_non_null(strstr(out, "hint: did you mean 'providers'?\n"));
	assert_int_equal(p.nsources, 3);
	free(out);
	program_free(&p);
	diags_free(d);
}

static void test_file_roles_and_global_providers(void **state)
{
	struct program p;
	struct diags *d = diags_new();
	char *out;

	write_file("lib/x.asp", "policy \"no\"\nprovider dup { hosts = [\"a\"] }\n"
				"rule r { on connect deny }\n");
	write_file("root.asp", "import \"x\"\nprovider dup { hosts = [\"b\"] }\n");
	assert_int_equal(resolve(&p, d), -1);
	out = diag_text(d);
	assert_non_null(strstr(out, "root.asp:1:1: error: the policy has no name\n"));
	assert_non_null(strstr(out, "warning: no 'default' line"));
	assert_non_null(strstr(out, "x.asp:1:1: error: an imported file has no 'policy' line\n"));
	assert_non_null(
	    strstr(out, "error: rule 'r': rules are only allowed in the root policy\n"));
	assert_non_null(strstr(out, "root.asp:2:10: error: duplicate provider 'dup'\n"));
	assert_non_null(strstr(out, "x.asp:2:10: note: 'dup' was first defined here\n"));
	assert_int_equal(p.nrules, 0);
	assert_int_equal(p.root->default_deny, 0);
	assert_int_equal(p.root->mode, MODE_ENFORCE);
	free(out);
	program_free(&p);
	diags_free(d);
}

static void test_missing_root(void **state)
{
	struct program p;
	struct diags *d = diags_new();
	const char *dirs[] = {""};
	struct compile_opts o = {dirs, 1};

	assert_int_equal(resolve_program("/nonexistent/x.asp", &o, &p, d), -1);
	assert_null(p.root);
	assert_int_equal(diags_errors(d), 1);
	program_free(&p);
	diags_free(d);
}

static void test_stdlib_providers(void **state)
{
	struct program p;
	struct diags *d = diags_new();
	const char *dirs[] = {ASPEN_TEST_DIR "/../stdlib-policies"};
	struct compile_opts o = {dirs, 1};
	static const char *const expect[] = {
	    "openai",	"anthropic",  "azure_openai", "gemini",	     "vertex_ai", "bedrock",
	    "mistral",	"cohere",     "groq",	      "together",    "fireworks", "deepseek",
	    "xai",	"perplexity", "openrouter",   "huggingface", "replicate", "ai21",
	    "cerebras", "deepinfra",  "voyage",	      "moonshot"};

	write_file("root.asp", "policy \"p\"\ndefault deny\nimport \"providers\"\n");
	{
		char root[256];

		snprintf(root, sizeof(root), "%s/root.asp", dir);
		assert_int_equal(resolve_program(root, &o, &p, d), 0);
	}
	assert_true(p.nproviders >= 20);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		size_t j = 0;

		while (j < p.nproviders && strcmp(p.providers[j]->name, expect[i]))
			j++;
		assert_true(j < p.nproviders);
		assert_non_null(p.providers[j]->hosts);
		assert_int_equal(p.providers[j]->ports->items[0]->num, 443);
	}
	assert_int_equal(typecheck_program(&p, d), 0);
	assert_int_equal(diags_errors(d), 0);
	program_free(&p);
	diags_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_imports_namespaces_and_binding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_names_suggest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_import_cycle_and_unknown_import, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_roles_and_global_providers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stdlib_providers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
