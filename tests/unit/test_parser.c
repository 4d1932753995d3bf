/* SPDX-License-Identifier: Apache-2.0 */
/* The parser: tree shape, spans on every node, error recovery. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "passes.h"

struct parsed {
	struct source *src;
	struct policy *pol;
	struct diags *d;
};

static struct parsed parse(const char *text)
{
	struct parsed p;

	p.src = source_from_string("t.asp", text);
	p.d = diags_new();
	p.pol = parse_source(p.src, p.d);
	assert_non_null(p.pol);
	return p;
}

static void done(struct parsed *p)
{
	policy_free(p->pol);
	diags_free(p->d);
	source_free(p->src);
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

/* The text a span covers, for comparing spans by what they underline. */
static char *spanned(const struct parsed *p, struct span s)
{
	return strndup(p->src->text + s.off, s.len);
}

#define assert_span(p, s, text)                                                                    \
	do {                                                                                       \
		char *got_ = spanned(p, s);                                                        \
		assert_string_equal(got_, text);                                                   \
		free(got_);                                                                        \
	} while (0)

static void test_header_lines(void **state)
{
	struct parsed p =
	    parse("policy \"acme\"\ndefault deny\nmode monitor\nimport \"providers\"\n"
		  "import \"./x.asp\"\n");

	assert_int_equal(diags_errors(p.d), 0);
	assert_string_equal(p.pol->name, "acme");
	assert_int_equal(p.pol->default_deny, 1);
	assert_int_equal(p.pol->mode, MODE_MONITOR);
	assert_span(&p, p.pol->default_span, "default deny");
	assert_string_equal(p.pol->imports->name, "providers");
	assert_span(&p, p.pol->imports->span, "\"providers\"");
	assert_string_equal(p.pol->imports->next->name, "./x.asp");
	done(&p);
}

static void test_decls(void **state)
{
	struct parsed p =
	    parse("list l = [\"a*\", 2,]\n"
		  "provider x { hosts = [\"h\"] ports = [443, 8443] cidrs = [\"10.0.0.0/8\"] }\n"
		  "pattern pem = /BEGIN [A-Z]+ KEY/i\n");
	struct decl *l = p.pol->decls, *x = l->next, *pat = x->next;

	assert_int_equal(diags_errors(p.d), 0);
	assert_int_equal(l->kind, DECL_LIST);
	assert_string_equal(l->name, "l");
	assert_int_equal(l->items->nitems, 2);
	assert_string_equal(l->items->items[0]->str, "a*");
	assert_int_equal(l->items->items[1]->num, 2);
	assert_span(&p, l->name_span, "l");
	assert_span(&p, l->span, "list l = [\"a*\", 2,]");
	assert_int_equal(x->kind, DECL_PROVIDER);
	assert_int_equal(x->ports->nitems, 2);
	assert_int_equal(x->ports->items[1]->num, 8443);
	assert_string_equal(x->cidrs->items[0]->str, "10.0.0.0/8");
	assert_int_equal(pat->kind, DECL_PATTERN);
	assert_string_equal(pat->regex, "BEGIN [A-Z]+ KEY");
	assert_string_equal(pat->flags, "i");
	assert_null(pat->next);
	assert_null(l->ns);
	done(&p);
}

static void test_rule_and_precedence(void **state)
{
	struct parsed p = parse("rule r {\n on connect any\n mode monitor\n"
				" when a.b == 1 or not c.d in [x] and e.f not in l\n"
				" deny \"why\"\n audit\n redact pii.ssn with \"X\"\n}\n");
	struct decl *r = p.pol->decls;
	struct expr *e = r->when;

	assert_int_equal(diags_errors(p.d), 0);
	assert_int_equal(r->kind, DECL_RULE);
	assert_int_equal(r->on, ON_CONNECT_ANY);
	assert_span(&p, r->on_span, "on connect any");
	assert_int_equal(r->mode, MODE_MONITOR);
	/* or < and < not: a or ((not c) and e) */
	assert_int_equal(e->kind, EXPR_OR);
	assert_int_equal(e->lhs->kind, EXPR_CMP);
	assert_int_equal(e->lhs->op, OP_EQ);
	assert_string_equal(e->lhs->field_name, "a.b");
	assert_span(&p, e->lhs->field_span, "a.b");
	assert_span(&p, e->lhs->span, "a.b == 1");
	assert_int_equal(e->rhs->kind, EXPR_AND);
	assert_int_equal(e->rhs->lhs->kind, EXPR_NOT);
	assert_int_equal(e->rhs->lhs->lhs->op, OP_IN);
	assert_int_equal(e->rhs->rhs->op, OP_NOT_IN);
	assert_int_equal(e->rhs->rhs->rhs_val->kind, VAL_IDENT);
	assert_span(&p, e->span, "a.b == 1 or not c.d in [x] and e.f not in l");
	assert_int_equal(r->nactions, 3);
	assert_int_equal(r->actions[0].kind, ACT_DENY);
	assert_string_equal(r->actions[0].reason, "why");
	assert_span(&p, r->actions[0].span, "deny \"why\"");
	assert_int_equal(r->actions[1].kind, ACT_AUDIT);
	assert_int_equal(r->actions[2].kind, ACT_REDACT);
	assert_string_equal(r->actions[2].target->str, "pii.ssn");
	assert_string_equal(r->actions[2].mask, "X");
	done(&p);
}

static void test_parens_and_provider_field(void **state)
{
	struct parsed p = parse("rule r { on connect when (provider == openai) deny }");
	struct expr *e = p.pol->decls->when;

	assert_int_equal(diags_errors(p.d), 0);
	assert_int_equal(e->kind, EXPR_CMP);
	assert_string_equal(e->field_name, "provider");
	assert_span(&p, e->span, "(provider == openai)");
	done(&p);
}

static void test_recovery_reports_every_error(void **state)
{
	struct parsed p = parse("list a \"x\"\n"
				"rule r { on connect when dst.port = 1 deny }\n"
				"rule { deny }\n"
				"list ok = [\"y\"]\n");
	char *out = diag_text(p.d);
	int n = 0;

	assert_int_equal(diags_errors(p.d), 3);
	assert_non_null(strstr(out, "t.asp:1:8: error: unexpected string '\"x\"'\n"));
	assert_non_null(strstr(out, "hint: expected '='\n"));
	assert_non_null(strstr(out, "t.asp:2:35: error: unexpected '='\n"));
	assert_non_null(strstr(out, "t.asp:3:6: error: unexpected '{'\n"));
	/* the good declarations around the errors are kept */
	for (struct decl *d = p.pol->decls; d; d = d->next)
		n++;
	assert_int_equal(n, 2);
	free(out);
	done(&p);
}

static void test_duplicates_in_one_file(void **state)
{
	struct parsed p = parse("policy \"a\"\npolicy \"b\"\nlist x = [1]\npattern x = /y/\n"
				"rule on_x { on connect on request deny }\n");
	char *out = diag_text(p.d);

	assert_int_equal(diags_errors(p.d), 3);
	assert_non_null(strstr(out, "t.asp:2:1: error: duplicate 'policy' line\n"));
	assert_non_null(strstr(out, "t.asp:4:9: error: duplicate pattern 'x'\n"));
	assert_non_null(strstr(out, "t.asp:3:6: note: 'x' was first defined here as a list\n"));
	assert_non_null(strstr(out, "t.asp:5:24: error: second 'on' in this rule\n"));
	free(out);
	done(&p);
}

static void test_bad_words(void **state)
{
	struct parsed p = parse("mode enforcing\nrule r { on conect deny }\n"
				"provider p { host = [\"x\"] }\n");
	char *out = diag_text(p.d);

	assert_int_equal(diags_errors(p.d), 3);
	assert_non_null(strstr(out, "error: unknown mode 'enforcing'"));
	assert_non_null(strstr(out, "error: unknown rule kind 'conect'\n"));
	assert_non_null(strstr(out, "hint: did you mean 'connect'?\n"));
	assert_non_null(strstr(out, "error: unknown provider key 'host'\n"));
	assert_non_null(strstr(out, "hint: did you mean 'hosts'?\n"));
	free(out);
	done(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_lines),
	    cmocka_unit_test(test_decls),
	    cmocka_unit_test(test_rule_and_precedence),
	    cmocka_unit_test(test_parens_and_provider_field),
	    cmocka_unit_test(test_recovery_reports_every_error),
	    cmocka_unit_test(test_duplicates_in_one_file),
	    cmocka_unit_test(test_bad_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
