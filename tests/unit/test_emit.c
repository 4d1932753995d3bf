/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Back end on a hand-built program: lowering (bits, masks, errors), the
 * shape of the generated C, and, when clang is installed, a real build of
 * it with bpf-templates/ whose .aspen.meta section is read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "glob.h"
#include "lower.h"
#include "meta.h"

/* The policy the hand-built tree stands for; spans point into it. */
static const char policy_text[] =
    "policy \"t\"\n"						      /* 1 */
    "default deny\n"						      /* 2 */
    "list tools = [\"/usr/bin/curl\", \"/usr/bin/python3*\"]\n"	      /* 3 */
    "rule shadow_ai {\n"					      /* 4 */
    "  on connect\n"						      /* 5 */
    "  when provider not in [openai, anthropic]\n"		      /* 6 */
    "  deny \"provider not approved\"\n"			      /* 7 */
    "}\n"							      /* 8 */
    "rule tools_ok {\n"						      /* 9 */
    "  on connect\n"						      /* 10 */
    "  when process.exe in tools and dst.port == 443\n"		      /* 11 */
    "  allow\n"							      /* 12 */
    "}\n"							      /* 13 */
    "rule lan_nc {\n"						      /* 14 */
    "  on connect any\n"					      /* 15 */
    "  mode monitor\n"						      /* 16 */
    "  when dst.ip in [\"10.0.0.0/8\"] and process.comm == \"nc*\"\n" /* 17 */
    "  deny\n"							      /* 18 */
    "}\n"							      /* 19 */
    "rule users {\n"						      /* 20 */
    "  on connect\n"						      /* 21 */
    "  when process.uid >= 1000\n"				      /* 22 */
    "  audit\n"							      /* 23 */
    "}\n";							      /* 24 */

struct fixture {
	struct source *src;
	struct program prog;
	struct policy root;
	struct decl openai, anthropic, tools, rules[4];
	struct action acts[4];
	struct expr cmp[6], and[2];
	struct value *vals[32];
	size_t nvals;
	struct decl *provs[2], *lists[1], *rulev[4];
	struct diags *d;
};

static struct span at(struct fixture *f, unsigned line, unsigned col)
{
	struct span s = {.src = f->src, .line = line, .col = col, .len = 1};

	return s;
}

static struct value *val(struct fixture *f, enum value_kind k, const char *str, int64_t num)
{
	struct value *v = calloc(1, sizeof(*v));

	v->kind = k;
	v->str = str ? strdup(str) : NULL;
	v->num = num;
	v->span = at(f, 1, 1);
	f->vals[f->nvals++] = v;
	return v;
}

static void push(struct value *list, struct value *item)
{
	list->items = realloc(list->items, (list->nitems + 1) * sizeof(*list->items));
	list->items[list->nitems++] = item;
}

static void cmp(struct fixture *f, int i, unsigned line, enum field_id field, enum cmp_op op,
		struct value *v)
{
	f->cmp[i].kind = EXPR_CMP;
	f->cmp[i].span = at(f, line, 8);
	f->cmp[i].field = field;
	f->cmp[i].op = op;
	f->cmp[i].rhs_val = v;
}

static void rule(struct fixture *f, int i, const char *name, unsigned line, enum rule_on on,
		 struct expr *when, enum action_kind act, const char *reason)
{
	struct decl *r = &f->rules[i];

	r->kind = DECL_RULE;
	r->name = (char *)name;
	r->span = at(f, line, 1);
	r->on = on;
	r->on_span = at(f, line + 1, 3);
	r->when = when;
	r->index = i;
	f->acts[i].kind = act;
	f->acts[i].reason = (char *)reason;
	f->acts[i].span = at(f, line + 3, 3);
	r->actions = &f->acts[i];
	r->nactions = 1;
	f->rulev[i] = r;
}

static void provider(struct fixture *f, struct decl *p, const char *name, const char *host)
{
	p->kind = DECL_PROVIDER;
	p->name = (char *)name;
	p->hosts = val(f, VAL_LIST, NULL, 0);
	push(p->hosts, val(f, VAL_STRING, host, 0));
	p->ports = val(f, VAL_LIST, NULL, 0);
	push(p->ports, val(f, VAL_INT, NULL, 443));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct value *v;

	f->src = source_from_string("policy.asp", policy_text);
	f->d = diags_new();
	f->root =
	    (struct policy){.src = f->src, .name = "t", .default_deny = 1, .mode = MODE_ENFORCE};
	provider(f, &f->openai, "openai", "api.openai.com");
	provider(f, &f->anthropic, "anthropic", "*.anthropic.com");
	f->tools.kind = DECL_LIST;
	f->tools.name = "tools";
	f->tools.items = val(f, VAL_LIST, NULL, 0);
	push(f->tools.items, val(f, VAL_STRING, "/usr/bin/curl", 0));
	push(f->tools.items, val(f, VAL_STRING, "/usr/bin/python3*", 0));

	v = val(f, VAL_LIST, NULL, 0);
	push(v, val(f, VAL_IDENT, "openai", 0));
	v->items[0]->ref = &f->openai;
	push(v, val(f, VAL_IDENT, "anthropic", 0));
	v->items[1]->ref = &f->anthropic;
	cmp(f, 0, 6, F_PROVIDER, OP_NOT_IN, v);
	v = val(f, VAL_IDENT, "tools", 0);
	v->ref = &f->tools;
	cmp(f, 1, 11, F_PROC_EXE, OP_IN, v);
	cmp(f, 2, 11, F_DST_PORT, OP_EQ, val(f, VAL_INT, NULL, 443));
	v = val(f, VAL_LIST, NULL, 0);
	push(v, val(f, VAL_STRING, "10.0.0.0/8", 0));
	cmp(f, 3, 17, F_DST_IP, OP_IN, v);
	cmp(f, 4, 17, F_PROC_COMM, OP_EQ, val(f, VAL_STRING, "nc*", 0));
	cmp(f, 5, 22, F_PROC_UID, OP_GE, val(f, VAL_INT, NULL, 1000));
	f->and[0] = (struct expr){
	    .kind = EXPR_AND, .lhs = &f->cmp[1], .rhs = &f->cmp[2], .span = at(f, 11, 8)};
	f->and[1] = (struct expr){
	    .kind = EXPR_AND, .lhs = &f->cmp[3], .rhs = &f->cmp[4], .span = at(f, 17, 8)};
	rule(f, 0, "shadow_ai", 4, ON_CONNECT, &f->cmp[0], ACT_DENY, "provider not approved");
	rule(f, 1, "tools_ok", 9, ON_CONNECT, &f->and[0], ACT_ALLOW, NULL);
	rule(f, 2, "lan_nc", 14, ON_CONNECT_ANY, &f->and[1], ACT_DENY, NULL);
	f->rules[2].mode = MODE_MONITOR;
	rule(f, 3, "users", 20, ON_CONNECT, &f->cmp[5], ACT_AUDIT, NULL);

	f->provs[0] = &f->openai;
	f->provs[1] = &f->anthropic;
	f->lists[0] = &f->tools;
	f->prog = (struct program){.root = &f->root,
				   .providers = f->provs,
				   .nproviders = 2,
				   .lists = f->lists,
				   .nlists = 1,
				   .rules = f->rulev,
				   .nrules = 4};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < f->nvals; i++) {
		free(f->vals[i]->str);
		free(f->vals[i]->items);
		free(f->vals[i]);
	}
	diags_free(f->d);
	source_free(f->src);
	free(f);
	return 0;
}

static void test_lower(void **state)
{
	struct fixture *f = *state;
	struct ir ir;

	assert_int_equal(lower_program(&f->prog, &ir, f->d), 0);
	assert_int_equal(ir.nproviders, 2);
	assert_int_equal(ir.nrules, 4);
	/* provider not in [openai, anthropic] -> !(providers & 0x3) */
	assert_int_equal(ir.rules[0].cond->kind, IR_NOT);
	assert_int_equal(ir.rules[0].cond->a->kind, IR_BITS);
	assert_int_equal(ir.rules[0].cond->a->mask, 0x3);
	assert_int_equal(ir.rules[0].terminal, ACT_DENY);
	assert_false(ir.rules[0].monitor);
	/* the named list expanded to two exe predicates, bits 0 and 1 */
	assert_int_equal(ir.preds[PC_EXE].n, 2);
	assert_string_equal(ir.preds[PC_EXE].preds[1].glob, "/usr/bin/python3*");
	assert_int_equal(ir.rules[1].cond->a->mask, 0x3);
	assert_true(ir.need_dns); /* *.anthropic.com */
	assert_true(ir.rules[2].monitor);
	assert_int_equal(ir.rules[2].cond->a->kind, IR_CIDR);
	assert_int_equal(ir.rules[2].cond->a->bits, 104);
	assert_int_equal(ir.rules[2].cond->a->addr[10], 0xff);
	assert_int_equal(ir.rules[2].cond->a->addr[12], 10);
	assert_int_equal(ir.preds[PC_COMM].n, 1);
	assert_true(ir.rules[3].audit);
	assert_int_equal(ir.rules[3].terminal, -1);
	ir_free(&ir);
}

static void test_dedupe_and_errors(void **state)
{
	struct fixture *f = *state;
	struct ir ir;

	/* the same glob twice is one predicate bit */
	f->cmp[4].rhs_val = f->tools.items->items[0];
	f->cmp[4].field = F_PROC_EXE;
	assert_int_equal(lower_program(&f->prog, &ir, f->d), 0);
	assert_int_equal(ir.preds[PC_EXE].n, 2);
	ir_free(&ir);
	/* request rules compile; kill in a connect rule and alert are refused, honestly */
	f->rules[1].on = ON_REQUEST;
	assert_int_equal(lower_program(&f->prog, &ir, f->d), 0);
	assert_true(ir.has_request);
	ir_free(&ir);
	f->acts[0].kind = ACT_KILL;
	f->acts[3].kind = ACT_ALERT;
	assert_int_equal(lower_program(&f->prog, &ir, f->d), -1);
	assert_int_equal(diags_errors(f->d), 2);
	ir_free(&ir);
}

/* noinline: GCC 12 at -O2 mistakes the memstream buffer for a dangling local */
static __attribute__((noinline)) char *emit_to_string(struct fixture *f)
{
	struct ir ir;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_int_equal(lower_program(&f->prog, &ir, f->d), 0);
	assert_int_equal(emit_c(&ir, out, "gen.bpf.c"), 0);
	fclose(out);
	ir_free(&ir);
	return buf;
}

static void test_emit_shape(void **state)
{
	struct fixture *f = *state;
	char *c = emit_to_string(f);

	assert_non_null(strstr(c, "#define ASPEN_NEED_DNS 1"));
	assert_non_null(strstr(c, "#include \"aspen_prelude.bpf.h\""));
	assert_non_null(strstr(c, "#include \"aspen_generated.h\""));
	assert_non_null(
	    strstr(c, "/* process.exe predicate 1: \"/usr/bin/python3*\" (policy.asp:"));
	assert_non_null(strstr(c, "ASPEN_GEN_FN __u64 aspen_exe_bits(const char *s)"));
	assert_non_null(strstr(c, "ASPEN_GEN_FN __u64 aspen_comm_bits(const char *s)"));
	/* it returns a scalar: a void one could leave v, a stack pointer, in r0
	 * (the verifier refuses that; emit_c.c decide_head()) */
	assert_non_null(strstr(c, "ASPEN_GEN_FN __attribute__((unused)) __u32\n"
				  "aspen_decide_connect(const struct aspen_conn *c, struct "
				  "aspen_verdict *v)\n{\n\taspen_decide_connect_rules(c, v);\n"
				  "\treturn 0;"));
	assert_null(strstr(c, "void aspen_decide_connect("));
	assert_non_null(strstr(c, "/* rule shadow_ai (policy.asp:4): deny \"provider not "
				  "approved\" */\n#line 6 \"policy.asp\"\n"));
	assert_non_null(strstr(c, "if (ai && !((c->providers & 0x3ULL) != 0)) {"));
	assert_non_null(strstr(c, "(monitor ? ASPEN_WOULD_DENY : ASPEN_DENY)"));
	assert_non_null(strstr(c, "v->decision = ASPEN_WOULD_DENY;")); /* rule in monitor */
	assert_non_null(strstr(c, "(c->uid >= 1000)"));
	assert_non_null(strstr(c, "#include \"aspen_connect.bpf.h\""));
	/* linked (template_cache.c): the generated part ends with the policy's
	 * settings as data (the templates' part reads them: not in its cache
	 * key) and aspen_split.bpf.h */
	assert_non_null(strstr(c,
			       "#ifdef ASPEN_PART_GENERATED /* linked with the templates' part */\n"
			       "#if ASPEN_SLICE == 0\n"));
	assert_non_null(strstr(c, "\t.uninspectable_deny = ASPEN_UNINSPECTABLE_DENY,\n"));
	assert_non_null(strstr(c, "};\n\n#include \"aspen_split.bpf.h\"\n#endif\n"
				  "#else\n#include \"aspen_connect.bpf.h\"\n"));
	assert_non_null(strstr(c, "#define ASPEN_MODEL_PATHS_USED 0 "));
	assert_non_null(strstr(c, "__attribute__((section(\".aspen.meta\"), used))"));
	assert_non_null(strstr(c, "\"rule\\t0\\tshadow_ai\\tconnect\\tdeny\\tenforce\\t4\\t"));
	free(c);
}

/* The #line back to generated code must name the right physical line. */
static void test_line_back(void **state)
{
	struct fixture *f = *state;
	char *c = emit_to_string(f), *p = strstr(c, "#line "), *q;
	int physical = 1, want;

	(void)state;
	while ((p = strstr(p + 1, "#line ")) && !strstr(p, "\"gen.bpf.c\""))
		;
	p = strstr(c, "\"gen.bpf.c\"");
	for (q = c; q < p; q++)
		physical += *q == '\n';
	while (p > c && p[-1] != '\n')
		p--;
	assert_int_equal(sscanf(p, "#line %d", &want), 1);
	assert_int_equal(want, physical + 1);
	free(c);
}

/* Host shims so the generated DFA code runs in userspace, byte for byte
 * the code the kernel runs (minus the verifier). */
static const char host_shim[] =
    "#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n"
    "typedef uint8_t __u8; typedef uint32_t __u32; typedef uint64_t __u64;\n"
    "#undef __always_inline\n#define __always_inline inline\n#define barrier_var(x) (void)0\n"
    "#define ASPEN_EXE_LEN 256\n#define ASPEN_COMM_LEN 16\n#define ASPEN_HOST_LEN 128\n#define ASPEN_TABLE\n"
    /* the kernel's bpf_loop, for the process.exe walk */
    "static long bpf_loop(__u32 n, long (*cb)(__u32, void *), void *ctx, __u64 flags)\n"
    "{ (void)flags; for (__u32 i = 0; i < n; i++) if (cb(i, ctx)) return i + 1; return n; }\n"
    "#define ASPEN_GEN_FN static inline\n#define ASPEN_GEN_DATA static\n";

static const char host_main[] =
    "int main(void) {\n\tchar line[512];\n"
    "\twhile (fgets(line, sizeof(line), stdin)) {\n"
    "\t\tchar exe[256] = { 0 }, comm[16] = { 0 };\n"
    "\t\tline[strcspn(line, \"\\n\")] = 0;\n"
    "\t\tstrncpy(exe, line, 255);\n\t\tstrncpy(comm, line, 15);\n"
    "\t\tprintf(\"%llu %llu\\n\", (unsigned long long)aspen_exe_bits(exe),\n"
    "\t\t       (unsigned long long)aspen_comm_bits(comm));\n\t}\n\treturn 0;\n}\n";

static void random_path(char *buf, size_t max, unsigned *seed)
{
	static const char *const parts[] = {"/usr/bin/", "curl", "python3", ".11", "nc",
					    "x",	 "/",	 "*",	    "?",   "3"};
	buf[0] = 0;
	for (int n = rand_r(seed) % 5; n >= 0; n--) {
		const char *p = parts[(size_t)rand_r(seed) % (sizeof(parts) / sizeof(parts[0]))];

		if (strlen(buf) + strlen(p) < max)
			strcat(buf, p);
	}
}

/* The generated C and the reference matcher agree on random strings. */
static void test_generated_dfa_agrees(void **state)
{
	struct fixture *f = *state;
	/* host C: the generated code after the prelude and contract includes */
	static const char inc[] = "#include \"aspen_generated.h\"";
	char *c = emit_to_string(f), dir[] = "/tmp/aspen-dfa-XXXXXX", path[300], cmd[1024];
	char *from = strstr(c, inc), *to = strstr(c, "/* Rules in order");
	const char *exe_globs[] = {"/usr/bin/curl", "/usr/bin/python3*"};
	unsigned seed = 7;
	FILE *out, *in;

	if (system("cc --version >/dev/null 2>&1") != 0)
		skip();
	assert_non_null(from);
	assert_non_null(to);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dfa.c", dir);
	out = fopen(path, "w");
	from = strchr(from, '\n') + 1;
	fprintf(out, "%s%.*s%s", host_shim, (int)(to - from), from, host_main);
	fclose(out);
	snprintf(cmd, sizeof(cmd), "cc -O1 -o %s/dfa %s/dfa.c", dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/in.txt", dir);
	out = fopen(path, "w");
	char strs[2000][64];

	for (int i = 0; i < 2000; i++) {
		random_path(strs[i], sizeof(strs[i]), &seed);
		fprintf(out, "%s\n", strs[i]);
	}
	fclose(out);
	snprintf(cmd, sizeof(cmd), "%s/dfa < %s", dir, path);
	in = popen(cmd, "r");
	for (int i = 0; i < 2000; i++) {
		unsigned long long exe = 0, comm = 0, want_exe = 0, want_comm;
		char comm_s[16] = {0};

		assert_int_equal(fscanf(in, "%llu %llu", &exe, &comm), 2);
		for (int g = 0; g < 2; g++)
			want_exe |= (unsigned long long)aspen_glob_match(exe_globs[g], strs[i])
				    << g;
		snprintf(comm_s, sizeof(comm_s), "%.15s", strs[i]); /* the kernel sees 15 bytes of comm */
		want_comm = aspen_glob_match("nc*", comm_s);
		if (exe != want_exe || comm != want_comm)
			fail_msg("'%s': generated %llu/%llu, reference %llu/%llu", strs[i], exe,
				 comm, want_exe, want_comm);
	}
	pclose(in);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(c);
}

static void test_build_with_clang(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/aspen-test-XXXXXX", obj[256], err[256];
	struct codegen_opts o = {.template_dir = ASPEN_SRC_DIR "/bpf-templates"};
	struct aspen_meta m;

	if (system("clang --version >/dev/null 2>&1") != 0 ||
	    access(ASPEN_SRC_DIR "/bpf-templates/aspen_connect.bpf.h", R_OK) != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(obj, sizeof(obj), "%s/t.bpf.o", dir);
	o.out_path = obj;
	if (codegen_run(&f->prog, &o, f->d) != 0) {
		diags_print(f->d, stderr);
		fail_msg("the generated C did not build");
	}
	assert_int_equal(aspen_meta_read_elf(obj, &m, err, sizeof(err)), 0);
	assert_string_equal(m.policy, "t");
	assert_int_equal(m.nrules, 4);
	assert_string_equal(m.rules[2].name, "lan_nc");
	assert_true(m.rules[2].monitor);
	assert_int_equal(m.nproviders, 2);
	assert_int_equal(m.providers[0].ports[0], 443);
	assert_int_equal(m.npreds, 3);
	assert_true(m.default_deny);
	aspen_meta_free(&m);
	unlink(obj);
	rmdir(dir);
}

static char *template_c(const struct ir *ir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_int_equal(emit_template_c(ir, out), 0);
	fclose(out);
	return buf;
}

/* The templates' part (its cache key, template_cache.c) does not change
 * with the policy's settings, which it reads as data: `uninspectable`,
 * `fronting`, how many process.exe / cgroup predicates, how many
 * model_paths (rounded up to 16 rows). */
static void test_template_key_settings(void **state)
{
	struct fixture *f = *state;
	struct ir ir;
	char *a, *b;

	assert_int_equal(lower_program(&f->prog, &ir, f->d), 0);
	a = template_c(&ir);
	assert_null(strstr(a, "ASPEN_UNINSPECTABLE_DENY"));
	assert_null(strstr(a, "ASPEN_EXE_PREDS"));
	assert_non_null(strstr(a, "#define ASPEN_MODEL_PATHS 0 "));
	ir.uninspectable_deny = !ir.uninspectable_deny;
	ir.fronting_deny = !ir.fronting_deny;
	ir.preds[PC_EXE].n += 3;
	ir.preds[PC_CGROUP].n += 1;
	b = template_c(&ir);
	assert_string_equal(a, b);
	ir.preds[PC_EXE].n -= 3; /* as lowered, for ir_free() */
	ir.preds[PC_CGROUP].n -= 1;
	free(a);
	free(b);
	ir_free(&ir);
}

/* The contract header requires every flag of the programs table, and the
 * generated C defines each one. */
static void test_contract_flags(void **state)
{
	struct fixture *f = *state;
	FILE *h = fopen(ASPEN_SRC_DIR "/bpf-templates/aspen_generated.h", "r");
	static char text[16384];
	char *c = emit_to_string(f), want[128];
	size_t n;

	assert_non_null(h);
	n = fread(text, 1, sizeof(text) - 1, h);
	text[n] = 0;
	fclose(h);
	for (size_t i = 0; i < nprogram_groups; i++) {
		if (!program_groups[i].flag)
			continue;
		snprintf(want, sizeof(want), "#ifndef %s ", program_groups[i].flag);
		assert_non_null(strstr(text, want));
		snprintf(want, sizeof(want), "#define %s ", program_groups[i].flag);
		assert_non_null(strstr(c, want));
	}
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lower, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dedupe_and_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_emit_shape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_line_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generated_dfa_agrees, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_build_with_clang, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_contract_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_template_key_settings, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
