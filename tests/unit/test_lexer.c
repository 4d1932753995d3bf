/* SPDX-License-Identifier: Apache-2.0 */
/* The lexer alone: token kinds, decoded values, byte-offset spans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parser.h"
#include "lexer.h"
#include "passes.h"

struct tok {
	int kind;
	YYSTYPE val;
	struct span at;
};

/* Lex all of text into toks (at most max); returns the count. */
static size_t lex_all(const char *text, struct tok *toks, size_t max, struct diags *d,
		      struct source **srcp)
{
	struct source *src = source_from_string("t.asp", text);
	struct policy pol = {0};
	struct parse_ctx ctx = {.src = src, .d = d, .pol = &pol, .line = 1, .col = 1};
	yyscan_t sc;
	size_t n = 0;

	assert_int_equal(yylex_init_extra(&ctx, &sc), 0);
	yy_scan_bytes(src->text, (int)src->len, sc);
	while (n < max) {
		struct tok *t = &toks[n];

		t->kind = yylex(&t->val, &t->at, sc);
		if (t->kind == 0)
			break;
		n++;
	}
	yylex_destroy(sc);
	*srcp = src;
	return n;
}

static void test_keywords_and_idents(void **state)
{
	struct diags *d = diags_new();
	struct source *src;
	struct tok t[16];
	size_t n = lex_all("rule request.model provider pii.ssn not in", t, 16, d, &src);

	assert_int_equal(n, 6);
	assert_int_equal(t[0].kind, RULE);
	assert_int_equal(t[1].kind, IDENT); /* dotted names are one token */
	assert_string_equal(t[1].val.str, "request.model");
	assert_int_equal(t[2].kind, PROVIDER);
	assert_int_equal(t[3].kind, IDENT);
	assert_string_equal(t[3].val.str, "pii.ssn");
	assert_int_equal(t[4].kind, NOT);
	assert_int_equal(t[5].kind, IN);
	free(t[1].val.str);
	free(t[3].val.str);
	assert_int_equal(diags_errors(d), 0);
	diags_free(d);
	source_free(src);
}

static void test_spans(void **state)
{
	struct diags *d = diags_new();
	struct source *src;
	struct tok t[8];
	size_t n = lex_all("# c\n  list x = [443]", t, 8, d, &src);

	assert_int_equal(n, 6);
	assert_int_equal(t[0].kind, LIST);
	assert_int_equal(t[0].at.off, 6);
	assert_int_equal(t[0].at.len, 4);
	assert_int_equal(t[0].at.line, 2);
	assert_int_equal(t[0].at.col, 3);
	assert_ptr_equal(t[0].at.src, src);
	assert_int_equal(t[4].kind, INT);
	assert_int_equal(t[4].val.num, 443);
	assert_int_equal(t[4].at.col, 13);
	assert_int_equal(t[4].at.len, 3);
	free(t[1].val.str);
	diags_free(d);
	source_free(src);
}

static void test_strings_and_escapes(void **state)
{
	struct diags *d = diags_new();
	struct source *src;
	struct tok t[4];
	size_t n = lex_all("\"a\\\"b\\\\c\\n\\*\"", t, 4, d, &src);

	assert_int_equal(n, 1);
	assert_int_equal(t[0].kind, STRING);
	/* \" \\ \n decoded; \* kept for the glob checker */
	assert_string_equal(t[0].val.str, "a\"b\\c\n\\*");
	assert_int_equal(t[0].at.len, strlen(src->text));
	free(t[0].val.str);
	assert_int_equal(diags_errors(d), 0);
	diags_free(d);
	source_free(src);
}

static void test_operators_and_regex(void **state)
{
	struct diags *d = diags_new();
	struct source *src;
	struct tok t[12];
	size_t n = lex_all("== != <= >= < > = /a\\/b[0-9]+/i", t, 12, d, &src);

	assert_int_equal(n, 8);
	assert_int_equal(t[0].kind, EQ);
	assert_int_equal(t[1].kind, NE);
	assert_int_equal(t[2].kind, LE);
	assert_int_equal(t[3].kind, GE);
	assert_int_equal(t[4].kind, LT);
	assert_int_equal(t[5].kind, GT);
	assert_int_equal(t[6].kind, '=');
	assert_int_equal(t[7].kind, REGEX);
	assert_string_equal(t[7].val.str, "/a\\/b[0-9]+/i");
	free(t[7].val.str);
	diags_free(d);
	source_free(src);
}

static void test_errors_are_reported_and_skipped(void **state)
{
	struct diags *d = diags_new();
	struct source *src;
	struct tok t[8];
	size_t n = lex_all("$ list \"open\n99999999999999999999", t, 8, d, &src);

	/* '$' skipped; the unterminated string still becomes a token */
	assert_int_equal(n, 3);
	assert_int_equal(t[0].kind, LIST);
	assert_int_equal(t[1].kind, STRING);
	assert_string_equal(t[1].val.str, "open");
	assert_int_equal(t[2].kind, INT);
	assert_int_equal(diags_errors(d), 3);
	free(t[1].val.str);
	diags_free(d);
	source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keywords_and_idents),
	    cmocka_unit_test(test_spans),
	    cmocka_unit_test(test_strings_and_escapes),
	    cmocka_unit_test(test_operators_and_regex),
	    cmocka_unit_test(test_errors_are_reported_and_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
