/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aspenc fmt: golden input -> canonical output pairs (comments, lists,
 * continuation lines, blank lines, one-line blocks), fmt of fmt is
 * identical (on the pairs and on every shipped policy), the token check
 * catches a changed token, and the command's --check / rewrite / refusal.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
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

#include "fmt.h"

static void expect_fmt(const char *in, const char *want)
{
	char *got = fmt_text(in, strlen(in)), *again;

	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(fmt_same_tokens(in, got), 0);
	again = fmt_text(got, strlen(got));
	assert_non_null(again);
	assert_string_equal(again, got); /* idempotent */
	free(again);
	free(got);
}

static void test_one_line_blocks_expand(void **state)
{
	expect_fmt("policy \"p\" default deny fronting allow import \"providers\"\n"
		   "rule a { on connect when provider in [openai,anthropic] allow }\n"
		   "provider x { hosts = [\"x.example\"] ports = [443, 8443,] }\n",
		   "policy \"p\"\n"
		   "default deny\n"
		   "fronting allow\n"
		   "import \"providers\"\n"
		   "rule a {\n"
		   "  on connect\n"
		   "  when provider in [openai, anthropic]\n"
		   "  allow\n"
		   "}\n"
		   "provider x {\n"
		   "  hosts = [\"x.example\"]\n"
		   "  ports = [443, 8443]\n"
		   "}\n");
}

static void test_comments_kept_and_aligned(void **state)
{
	expect_fmt("# head\n"
		   "policy \"p\"   # name\n"
		   "default deny\t\t# default   \n"
		   "\n\n\n"
		   "rule a {   # the rule\n"
		   "    # before on\n"
		   "on connect\n"
		   "      allow # ok\n"
		   "  # last\n"
		   "}\n",
		   "# head\n"
		   "policy \"p\"   # name\n"
		   "default deny # default\n"
		   "\n"
		   "rule a { # the rule\n"
		   "  # before on\n"
		   "  on connect\n"
		   "  allow # ok\n"
		   "  # last\n"
		   "}\n");
}

static void test_multiline_lists(void **state)
{
	expect_fmt("list l = [\"a\", \"b\"\n"
		   "   , \"c\"]\n"
		   "list m = [\n"
		   "  1, # one\n"
		   "  # two next\n"
		   "  2,\n"
		   "]\n"
		   "list e = [ ]\n"
		   "list n = [\"a\" # c\n]\n"
		   "list o = [[1, 2], [\n3]]\n",
		   "list l = [\n"
		   "  \"a\",\n"
		   "  \"b\",\n"
		   "  \"c\",\n"
		   "]\n"
		   "list m = [\n"
		   "  1, # one\n"
		   "  # two next\n"
		   "  2,\n"
		   "]\n"
		   "list e = []\n"
		   "list n = [\n"
		   "  \"a\", # c\n" /* the comma goes before the comment */
		   "]\n"
		   "list o = [\n"
		   "  [1, 2],\n"
		   "  [\n"
		   "    3,\n"
		   "  ],\n"
		   "]\n");
}

static void test_continuation_lines_and_parens(void **state)
{
	expect_fmt("policy \"p\"\n"
		   "rule r {\n"
		   "  on request\n"
		   "  when ( request.model == \"a*\" or not http.host==\"x\" )\n"
		   "        and request.body matches secrets.key\n"
		   "  deny \"no\"\n"
		   "  redact pii.ssn with \"X\"\n"
		   "}\n"
		   "pattern k = /a\\/b #c/i   validate luhn\n",
		   "policy \"p\"\n"
		   "rule r {\n"
		   "  on request\n"
		   "  when (request.model == \"a*\" or not http.host == \"x\")\n"
		   "    and request.body matches secrets.key\n"
		   "  deny \"no\"\n"
		   "  redact pii.ssn with \"X\"\n"
		   "}\n"
		   "pattern k = /a\\/b #c/i validate luhn\n");
}

static void test_strings_and_regexes_untouched(void **state)
{
	/* '#' inside a string or regex is not a comment; spaces inside stay */
	expect_fmt("list s = [\"a  # b\", \"\\\"q\\\" \"]\npattern p = /x  y/\n",
		   "list s = [\"a  # b\", \"\\\"q\\\" \"]\npattern p = /x  y/\n");
}

static void test_same_tokens_catches_changes(void **state)
{
	assert_int_equal(fmt_same_tokens("list a = [1, 2]", "list   a=[1,2,]"), 0);
	assert_int_not_equal(fmt_same_tokens("list a = [1, 2]", "list a = [1, 3]"), 0);
	assert_int_not_equal(fmt_same_tokens("list a = [1, 2] # x", "list a = [1, 2]"), 0);
	assert_int_not_equal(fmt_same_tokens("list a = [1]", "list a = [1] list"), 0);
}

/* Inputs tests/fuzz/fuzz_fmt.c found (not policies: aspenc fmt refuses
 * them, but the formatter must still keep its promises on them). */
static void test_fuzz_regressions(void **state)
{
	char deep[300];
	const char *inputs[] = {
	    "\"\n]",		/* an open string ran into the next token */
	    "[\"\n]",		/* the trailing comma went into an open string */
	    "[{p",		/* a brace made a one-line list multi-line */
	    "[,,]",		/* a comma before the trailing comma */
	    "[\"a\" # c\n]\n",	/* a comment between the last item and `]` */
	    "/x\nlist a = [1]", /* an open regex */
	    deep,
	};

	memset(deep, '{', sizeof(deep) - 1); /* deeper than the formatter's stack */
	deep[sizeof(deep) - 1] = 0;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		char *once = fmt_text(inputs[i], strlen(inputs[i])), *twice;

		assert_non_null(once);
		twice = fmt_text(once, strlen(once));
		assert_non_null(twice);
		assert_string_equal(twice, once);
		assert_int_equal(fmt_same_tokens(inputs[i], once), 0);
		free(twice);
		free(once);
	}
}

/* The keywords that start a grammar rule's alternatives in grammar/parser.y:
 * `item:` (top level), `rule_body:` (after rule_body) and `action:`. */
static size_t grammar_keywords(const char *rule, int after_self, char kw[][32], size_t max)
{
	FILE *f = fopen(ASPEN_SRC_DIR "/grammar/parser.y", "r");
	char line[512], head[64];
	int in = 0;
	size_t n = 0;

	assert_non_null(f);
	snprintf(head, sizeof(head), "%s:", rule);
	while (fgets(line, sizeof(line), f) && n < max) {
		char *p = line, word[32];

		if (!strncmp(line, head, strlen(head))) {
			in = 1;
			p += strlen(head);
		} else if (in && strspn(line, " \t") < strlen(line) && line[strspn(line, " \t")] == ';') {
			break;
		} else if (in && (p = strstr(line, "| ")) != NULL && p == line + strspn(line, " \t")) {
			p += 2;
		} else {
			continue;
		}
		p += strspn(p, " \t");
		if (after_self) {
			if (strncmp(p, rule, strlen(rule)))
				continue;
			p += strlen(rule);
			p += strspn(p, " \t");
		}
		if (sscanf(p, "%31[A-Z]", word) == 1 && strlen(word) > 1) {
			for (char *c = word; *c; c++)
				*c = (char)(*c - 'A' + 'a');
			strcpy(kw[n++], word);
		}
	}
	fclose(f);
	return n;
}

/* Every keyword the grammar starts an item with starts a line: a keyword
 * added to parser.y but not to fmt.c fails here. */
static void test_every_grammar_keyword_starts_a_line(void **state)
{
	char kw[64][32], in[256], want[64];
	size_t n = grammar_keywords("item", 0, kw, 64);

	assert_true(n >= 10);
	for (size_t i = 0; i < n; i++) {
		char *out;

		snprintf(in, sizeof(in), "policy \"p\" %s x", kw[i]);
		snprintf(want, sizeof(want), "\n%s ", kw[i]);
		out = fmt_text(in, strlen(in));
		if (!strstr(out, want))
			fail_msg("top-level keyword '%s' does not start a line: %s", kw[i], out);
		free(out);
	}
	n = grammar_keywords("rule_body", 1, kw, 64);
	n += grammar_keywords("action", 0, kw + n, 64 - n);
	assert_true(n >= 10);
	for (size_t i = 0; i < n; i++) {
		char *out;

		snprintf(in, sizeof(in), "rule r { on connect %s x }", kw[i]);
		snprintf(want, sizeof(want), "\n  %s", kw[i]);
		out = fmt_text(in, strlen(in));
		if (!strstr(out, want))
			fail_msg("rule keyword '%s' does not start a line: %s", kw[i], out);
		free(out);
	}
}

/* Every shipped policy is already formatted, and fmt of it is identical. */
static void test_shipped_policies_are_formatted(void **state)
{
	const char *dirs[] = {ASPEN_SRC_DIR "/examples", ASPEN_SRC_DIR "/stdlib-policies"};
	int files = 0;

	for (size_t i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		assert_non_null(d);
		while ((e = readdir(d))) {
			char path[4096], *text, *out;
			size_t len = strlen(e->d_name);
			FILE *f;
			long n;

			if (len < 5 || strcmp(e->d_name + len - 4, ".asp"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[i], e->d_name);
			f = fopen(path, "r");
			assert_non_null(f);
			fseek(f, 0, SEEK_END);
			n = ftell(f);
			rewind(f);
			text = calloc(1, (size_t)n + 1);
			assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
			fclose(f);
			out = fmt_text(text, (size_t)n);
			if (strcmp(out, text) != 0)
				fail_msg("%s is not formatted (aspenc fmt %s)", path, path);
			free(out);
			free(text);
			files++;
		}
		closedir(d);
	}
	assert_true(files >= 8);
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static char *read_all(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* The command: --check names the unformatted file and exits 1, rewriting
 * fixes it, a file that does not parse is refused and left alone. */
static void test_command(void **state)
{
	char dir[] = "/tmp/aspen-fmt-XXXXXX";
	char *good, *bad, *broken;
	const char *messy = "policy \"p\"   default deny\n";

	assert_non_null(mkdtemp(dir));
	good = write_tmp(dir, "good.asp", "policy \"p\"\ndefault deny\n");
	bad = write_tmp(dir, "bad.asp", messy);
	broken = write_tmp(dir, "broken.asp", "policy \"p\" rule {\n");
	{
		char *argv[] = {"fmt", "--check", good, NULL};

		assert_int_equal(aspenc_fmt_main(3, argv), 0);
	}
	{
		char *argv[] = {"fmt", "--check", bad, NULL};

		assert_int_equal(aspenc_fmt_main(3, argv), 1);
		assert_string_equal(read_all(bad), messy); /* --check writes nothing */
	}
	{
		char *argv[] = {"fmt", bad, NULL};

		assert_int_equal(aspenc_fmt_main(2, argv), 0);
		assert_string_equal(read_all(bad), "policy \"p\"\ndefault deny\n");
	}
	{
		char *argv[] = {"fmt", broken, NULL};

		assert_int_equal(aspenc_fmt_main(2, argv), 1);
		assert_string_equal(read_all(broken), "policy \"p\" rule {\n");
	}
	{
		char *argv[] = {"fmt", "--check", dir, NULL}; /* a directory: broken.asp fails */

		assert_int_equal(aspenc_fmt_main(3, argv), 1);
	}
	{
		char *argv[] = {"fmt", NULL};

		assert_int_equal(aspenc_fmt_main(1, argv), 2);
	}
	unlink(good);
	unlink(bad);
	unlink(broken);
	rmdir(dir);
	free(good);
	free(bad);
	free(broken);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_line_blocks_expand),
	    cmocka_unit_test(test_comments_kept_and_aligned),
	    cmocka_unit_test(test_multiline_lists),
	    cmocka_unit_test(test_continuation_lines_and_parens),
	    cmocka_unit_test(test_strings_and_regexes_untouched),
	    cmocka_unit_test(test_same_tokens_catches_changes),
	    cmocka_unit_test(test_fuzz_regressions),
	    cmocka_unit_test(test_every_grammar_keyword_starts_a_line),
	    cmocka_unit_test(test_shipped_policies_are_formatted),
	    cmocka_unit_test(test_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
