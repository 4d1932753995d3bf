/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Metadata (common/meta.c): the compiler's text (ir_meta.c) parsed back by
 * the reader aspend uses and written again unchanged, with the escaping of
 * string fields and of the C string literal it travels in, and the ELF
 * section reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lower.h"
#include "meta.h"

/* This test binary is itself an ELF object with the section aspend reads. */
static const char self_meta[] __attribute__((section(".aspen.meta"), used)) =
    "aspen-meta\t1\nabi\t1\npolicy\tself\nfuture-record\tignored\t42\n"
    "rule\t0\tr\tconnect\tdeny\tmonitor\t7\twhy\n";

struct fixture {
	struct decl rule, prov;
	struct value *hosts, *ports, *cidrs, items[4], *hitems[2], *pitems[2], *citems[1];
	struct ir ir;
};

static void build_ir(struct fixture *f)
{
	struct ir *ir = &f->ir;

	f->rule.name = "odd\tname";
	f->rule.span.line = 12;
	f->prov.name = "openai";
	f->items[0] = (struct value){.kind = VAL_STRING, .str = "api.openai.com"};
	f->items[1] = (struct value){.kind = VAL_STRING, .str = "*.openai.com"};
	f->items[2] = (struct value){.kind = VAL_INT, .num = 443};
	f->items[3] = (struct value){.kind = VAL_STRING, .str = "fd00::/8"};
	f->hitems[0] = &f->items[0];
	f->hitems[1] = &f->items[1];
	f->pitems[0] = f->pitems[1] = &f->items[2];
	f->citems[0] = &f->items[3];
	f->prov.hosts = calloc(1, sizeof(struct value));
	*f->prov.hosts = (struct value){.kind = VAL_LIST, .items = f->hitems, .nitems = 2};
	f->prov.ports = calloc(1, sizeof(struct value));
	*f->prov.ports = (struct value){.kind = VAL_LIST, .items = f->pitems, .nitems = 2};
	f->prov.cidrs = calloc(1, sizeof(struct value));
	*f->prov.cidrs = (struct value){.kind = VAL_LIST, .items = f->citems, .nitems = 1};

	ir->name = "acme \"ai\"?";
	ir->source = "dir\\policy.asp";
	strcpy(ir->sha256, "00ff");
	ir->default_deny = true;
	ir->monitor = true;
	ir->need_sendmsg = true;
	ir->uninspectable_deny = true;
	ir->rules = calloc(1, sizeof(struct ir_rule));
	ir->rules[0] = (struct ir_rule){.decl = &f->rule,
					.index = 0,
					.on = ON_CONNECT_ANY,
					.terminal = ACT_DENY,
					.monitor = true,
					.reason = "tab\there\nnewline \\ backslash"};
	ir->nrules = 1;
	ir->providers = calloc(1, sizeof(struct ir_provider));
	ir->providers[0] = (struct ir_provider){.decl = &f->prov, .index = 0};
	ir->nproviders = 1;
	ir->preds[PC_EXE].preds[0] = (struct ir_pred){.glob = "/usr/bin/\\*x", .bit = 0};
	ir->preds[PC_EXE].n = 1;
	ir->preds[PC_CONTAINER].preds[0] = (struct ir_pred){.glob = "abc*", .bit = 3};
	ir->preds[PC_CONTAINER].n = 1;
}

static void free_ir(struct fixture *f)
{
	free(f->prov.hosts);
	free(f->prov.ports);
	free(f->prov.cidrs);
	free(f->ir.rules);
	free(f->ir.providers);
}

static void check_parsed(const struct aspen_meta *m)
{
	assert_int_equal(m->version, 1);
	assert_int_equal(m->abi, ASPEN_ABI_VERSION);
	assert_string_equal(m->policy, "acme \"ai\"?");
	assert_string_equal(m->source, "dir\\policy.asp");
	assert_string_equal(m->sha256, "00ff");
	assert_true(m->monitor);
	assert_true(m->default_deny);
	assert_true(aspen_meta_has_hook(m, "connect4"));
	assert_true(aspen_meta_has_hook(m, "sendmsg6"));
	assert_false(aspen_meta_has_hook(m, "dns"));
	assert_false(aspen_meta_has_hook(m, "connect"));
	assert_int_equal(m->nrules, 1);
	assert_string_equal(m->rules[0].name, "odd\tname");
	assert_int_equal(m->rules[0].on, ON_CONNECT_ANY);
	assert_int_equal(m->rules[0].terminal, ACT_DENY);
	assert_true(m->rules[0].monitor);
	assert_int_equal(m->rules[0].line, 12);
	assert_string_equal(m->rules[0].reason, "tab\there\nnewline \\ backslash");
	assert_int_equal(m->nproviders, 1);
	assert_string_equal(m->providers[0].name, "openai");
	assert_int_equal(m->providers[0].nports, 2);
	assert_int_equal(m->providers[0].ports[1], 443);
	assert_int_equal(m->nhosts, 2);
	assert_string_equal(m->hosts[1].name, "*.openai.com");
	assert_int_equal(m->ncidrs, 1);
	assert_string_equal(m->cidrs[0].cidr, "fd00::/8");
	assert_int_equal(m->npreds, 2);
	assert_int_equal(m->preds[0].cls, PC_EXE);
	assert_string_equal(m->preds[0].glob, "/usr/bin/\\*x");
	assert_int_equal(m->preds[1].cls, PC_CONTAINER);
	assert_int_equal(m->preds[1].bit, 3);
	assert_true(m->uninspectable_deny);
}

/* `setting uninspectable`, both ways; absent means deny; request rules put
 * the tls hooks in; request-field predicate classes are read too (aspend
 * evaluates only the others). */
static void test_setting_uninspectable(void **state)
{
	struct fixture f = {0};
	struct aspen_meta m;
	char err[200];
	char *text;

	(void)state;
	build_ir(&f);
	f.ir.uninspectable_deny = false;
	f.ir.has_request = true;
	f.ir.rules[0].on = ON_REQUEST;
	f.ir.preds[PC_MODEL].preds[0] = (struct ir_pred){.glob = "gpt-4o*", .bit = 0};
	f.ir.preds[PC_MODEL].n = 1;
	text = meta_text(&f.ir);
	assert_non_null(strstr(text, "\nsetting\tuninspectable\tallow\n"));
	assert_non_null(strstr(text, "\npred\tmodel\t0\tgpt-4o*\n"));
	if (aspen_meta_parse(text, strlen(text) + 1, &m, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_false(m.uninspectable_deny);
	assert_true(aspen_meta_has_hook(&m, "tls"));
	/* the read probes follow HTTP/2 flow control for request rules too */
	assert_true(aspen_meta_has_hook(&m, "tls_read"));
	assert_int_equal(m.rules[0].on, ON_REQUEST);
	assert_int_equal(m.npreds, 3);
	assert_int_equal(m.preds[2].cls, PC_MODEL);
	aspen_meta_free(&m);
	free(text);

	f.ir.uninspectable_deny = true;
	text = meta_text(&f.ir);
	assert_int_equal(aspen_meta_parse(text, strlen(text) + 1, &m, err, sizeof(err)), 0);
	assert_true(m.uninspectable_deny);
	aspen_meta_free(&m);
	free(text);
	free_ir(&f);

	assert_int_equal(aspen_meta_parse("aspen-meta\t1\nsetting\tuninspectable\tmaybe\n", 41, &m,
					  err, sizeof(err)),
			 -1);
	assert_int_equal(
	    aspen_meta_parse("aspen-meta\t1\nsetting\tfuture\tx\n", 30, &m, err, sizeof(err)), 0);
	assert_true(m.uninspectable_deny);
	aspen_meta_free(&m);
}

static void test_roundtrip(void **state)
{
	struct fixture f = {0};
	struct aspen_meta m;
	char err[200];
	char *text;

	(void)state;
	build_ir(&f);
	text = meta_text(&f.ir);
	assert_non_null(text);
	assert_memory_equal(text, "aspen-meta\t1\n", 13);
	if (aspen_meta_parse(text, strlen(text) + 1, &m, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	check_parsed(&m);
	aspen_meta_free(&m);
	free(text);
	free_ir(&f);
}

/* Parsing then writing gives back the very text aspenc wrote. */
static void check_rewrite(const char *text)
{
	struct aspen_meta m;
	char err[200], *again;

	if (aspen_meta_parse(text, strlen(text), &m, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	again = aspen_meta_text(&m);
	assert_non_null(again);
	assert_string_equal(again, text);
	free(again);
	aspen_meta_free(&m);
}

static void test_write_parse_write(void **state)
{
	struct fixture f = {0};
	struct ir_pattern pat[2] = {0};
	struct decl pdecl[2] = {0};
	char *text;

	(void)state;
	build_ir(&f);
	check_rewrite(text = meta_text(&f.ir));
	free(text);

	/* request rules, a kill, request-field predicates, patterns */
	f.ir.has_request = f.ir.has_response = f.ir.need_dns = true;
	f.ir.rules[0].on = ON_RESPONSE;
	f.ir.rules[0].terminal = ACT_KILL;
	f.ir.rules[0].reason = NULL;
	f.ir.preds[PC_MODEL].preds[0] = (struct ir_pred){.glob = "gpt-4o*", .bit = 0};
	f.ir.preds[PC_MODEL].n = 1;
	pdecl[0] = (struct decl){.regex = "\\d{3}-\\d{2}", .validator = "luhn"};
	pdecl[1] = (struct decl){.regex = "sk-[a-z]+"};
	pat[0] = (struct ir_pattern){
	    .index = 0, .name = "pii.ssn", .decl = &pdecl[0], .redact = true, .mask = "X\tX"};
	pat[1] = (struct ir_pattern){.index = 1,
				     .name = "secrets.key",
				     .decl = &pdecl[1],
				     .redact = true,
				     .flags = RX_FLAG_ICASE};
	f.ir.patterns = pat;
	f.ir.npatterns = 2;
	text = meta_text(&f.ir);
	assert_non_null(strstr(text, "\npattern\t1\tsecrets.key\t*\t-\tsk-[a-z]+\ti\n"));
	assert_non_null(strstr(text, "\tresponse\tkill\tmonitor\t12\t\n"));
	check_rewrite(text);
	free(text);
	f.ir.patterns = NULL;
	free_ir(&f);
}

/* Undo C string-literal escaping as a compiler would (test oracle). */
static char *unquote_c(const char *lit)
{
	char *out = malloc(strlen(lit) + 1), *w = out;
	int in = 0;

	for (const char *p = lit; *p; p++) {
		if (*p == '"') {
			in = !in;
		} else if (in && *p == '\\') {
			p++;
			if (*p >= '0' && *p <= '7') {
				*w++ = (char)((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
				p += 2;
			} else {
				*w++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
			}
		} else if (in) {
			*w++ = *p;
		}
	}
	*w = 0;
	return out;
}

static void test_c_literal(void **state)
{
	const char *text = "a\tb\\t\"q\"?\?=\n\x01\xff"
			   "7\nlast\n";
	char *lit, *back;
	size_t len;
	FILE *f = open_memstream(&lit, &len);

	(void)state;
	meta_emit_c_string(text, f);
	fclose(f);
	assert_null(strstr(lit, "??")); /* no trigraph can form */
	back = unquote_c(lit);
	assert_string_equal(back, text);
	free(back);
	free(lit);
}

static void test_malformed(void **state)
{
	struct aspen_meta m;
	char err[200];

	(void)state;
	assert_int_equal(aspen_meta_parse("hello\n", 6, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "aspen-meta"));
	assert_int_equal(aspen_meta_parse("aspen-meta\t1\nrule\tx\n", 20, &m, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "line 2"));
	assert_int_equal(aspen_meta_read_elf("/nonexistent.bpf.o", &m, err, sizeof(err)), -1);
}

static void test_elf(void **state)
{
	struct aspen_meta m;
	char err[200];

	(void)state;
	(void)self_meta;
	if (aspen_meta_read_elf("/proc/self/exe", &m, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(m.policy, "self");
	assert_int_equal(m.nrules, 1);
	assert_string_equal(m.rules[0].reason, "why");
	aspen_meta_free(&m);
	/* an ELF without the section */
	assert_int_equal(aspen_meta_read_elf("/bin/sh", &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ".aspen.meta"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_write_parse_write),
	    cmocka_unit_test(test_setting_uninspectable),
	    cmocka_unit_test(test_c_literal),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_elf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
