/* SPDX-License-Identifier: Apache-2.0 */
/* Diagnostics: format, caret, sorting, notes, suggestions. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"

/* noinline: GCC 12 at -O2 mistakes the memstream buffer for a dangling local */
static __attribute__((noinline)) char *diag_text(const struct diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	diags_print(d, f);
	fclose(f);
	return buf;
}

static struct span at(const struct source *s, uint32_t off, uint32_t len, uint32_t line,
		      uint32_t col)
{
	return (struct span){s, off, len, line, col};
}

static void test_format_with_caret_and_hint(void **state)
{
	struct source *s =
	    source_from_string("p.asp", "rule a {\n  when provider in [opneai]\n}\n");
	struct diags *d = diags_new();
	char *out;

	diag_error(d, at(s, 29, 6, 2, 21), "did you mean 'openai'?", "unknown provider '%s'",
		   "opneai");
	out = diag_text(d);
	assert_string_equal(out, "p.asp:2:21: error: unknown provider 'opneai'\n"
				 "   2 |   when provider in [opneai]\n"
				 "     |                     ^~~~~~\n"
				 "hint: did you mean 'openai'?\n");
	assert_int_equal(diags_errors(d), 1);
	assert_int_equal(diags_warnings(d), 0);
	free(out);
	diags_free(d);
	source_free(s);
}

static void test_sorted_and_notes_stay_with_their_error(void **state)
{
	struct source *s = source_from_string("p.asp", "aaa\nbbb\nccc\n");
	struct diags *d = diags_new();
	char *out, *w, *e, *n;

	diag_warn(d, at(s, 8, 3, 3, 1), NULL, "third");
	diag_error(d, at(s, 4, 3, 2, 1), NULL, "second");
	diag_report(d, DIAG_NOTE, at(s, 0, 3, 1, 1), NULL, "first defined here");
	diag_error(d, (struct span){0}, NULL, "no location");
	out = diag_text(d);
	assert_true(strncmp(out, "aspenc: error: no location\n", 27) == 0);
	e = strstr(out, "p.asp:2:1: error: second");
	n = strstr(out, "p.asp:1:1: note: first defined here");
	w = strstr(out, "p.asp:3:1: warning: third");
	assert_non_null(e);
	assert_non_null(n);
	assert_non_null(w);
	assert_true(e < n && n < w);
	assert_int_equal(diags_errors(d), 2);
	assert_int_equal(diags_warnings(d), 1);
	free(out);
	diags_free(d);
	source_free(s);
}

static void test_caret_clipped_to_line_and_tabs_kept(void **state)
{
	struct source *s = source_from_string("p.asp", "\tab\ncd\n");
	struct diags *d = diags_new();
	char *out;

	diag_error(d, at(s, 1, 10, 1, 2), NULL, "x");
	out = diag_text(d);
	assert_non_null(strstr(out, "     | \t^~\n"));
	free(out);
	diags_free(d);
	source_free(s);
}

static void test_suggest(void **state)
{
	const char *const names[] = {"openai", "anthropic", "gemini", "groq", "xai"};

	assert_string_equal(diag_suggest("opneai", names, 5), "openai");
	assert_string_equal(diag_suggest("antropic", names, 5), "anthropic");
	assert_string_equal(diag_suggest("grok", names, 5), "groq");
	assert_null(diag_suggest("mistral", names, 5));
	assert_null(diag_suggest("openai", names, 5)); /* exact: nothing to suggest */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_with_caret_and_hint),
	    cmocka_unit_test(test_sorted_and_notes_stay_with_their_error),
	    cmocka_unit_test(test_caret_clipped_to_line_and_tabs_kept),
	    cmocka_unit_test(test_suggest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
