/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request and response rules through the whole back end: parsed policies
 * (stdlib providers imported), their IR, the generated decision functions
 * run on the host against expected verdicts, the combined provider-host DFA
 * against the reference matcher, and a clang -target bpf build.
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

static const char *const stdlib_dirs[] = {"", ASPEN_SRC_DIR "/stdlib-policies"};

struct loaded {
	char dir[64];
	struct program prog;
	struct diags *d;
	struct ir ir;
};

static void load(struct loaded *l, const char *text)
{
	struct compile_opts co = {.import_dirs = stdlib_dirs, .nimport_dirs = 2};
	char path[128];
	FILE *f;

	memset(l, 0, sizeof(*l));
	strcpy(l->dir, "/tmp/aspen-req-XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	snprintf(path, sizeof(path), "%s/p.asp", l->dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	l->d = diags_new();
	assert_int_equal(resolve_program(path, &co, &l->prog, l->d), 0);
	assert_int_equal(typecheck_program(&l->prog, l->d), 0);
	analyse_program(&l->prog, l->d);
	if (lower_program(&l->prog, &l->ir, l->d) != 0) {
		diags_print(l->d, stderr);
		fail_msg("lowering failed");
	}
}

static void unload(struct loaded *l)
{
	char cmd[128];

	ir_free(&l->ir);
	program_free(&l->prog);
	diags_free(l->d);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", l->dir);
	assert_int_equal(system(cmd), 0);
}

/* noinline: GCC 12 at -O2 mistakes the memstream buffer for a dangling local */
static __attribute__((noinline)) char *emit_string(const struct ir *ir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_int_equal(emit_c(ir, out, "gen.bpf.c"), 0);
	fclose(out);
	return buf;
}

#define POLICY                                                                                     \
	"policy \"m\"\n"                                                                           \
	"default deny\n"                                                                           \
	"uninspectable allow\n"                                                                    \
	"import \"providers\"\n"                                                                   \
	"list pay = [\"/srv/pay/*\"]\n"                                                            \
	"rule conn { on connect when provider not in [openai, anthropic] deny }\n"                 \
	"rule pay_models { on request when process.exe in pay and request.model not in "           \
	"[\"gpt-4o-mini\"] deny \"payments\" }\n"                                                  \
	"rule no_stream { on request when http.path == \"/v1/batch*\" and "                        \
	"request.stream == true deny }\n"                                                          \
	"rule methods { on request when http.method != \"post\" kill }\n"                          \
	"rule watch { on request when request.user == \"bob*\" audit }\n"                          \
	"rule host { on request when http.host in [\"API.openai.com\"] and "                       \
	"request.model == \"o1*\" allow }\n"                                                       \
	"rule ok { on request when request.model in [\"gpt-4o*\", \"claude-*\"] allow }\n"         \
	"rule big { on response when response.tokens > 1000 or response.status >= 500 "            \
	"kill }\n"

static void test_ir(void **state)
{
	struct loaded l;
	char *c;

	(void)state;
	load(&l, POLICY);
	assert_true(l.ir.has_request);
	assert_true(l.ir.has_response);
	assert_false(l.ir.uninspectable_deny);
	/* request.model: gpt-4o-mini, o1*, gpt-4o*, claude-* in one DFA */
	assert_int_equal(l.ir.preds[PC_MODEL].n, 4);
	assert_int_equal(l.ir.req_dfa[PC_MODEL].n, 1);
	assert_int_equal(l.ir.req_dfa[PC_MODEL].g[0]->mask[0], 0);
	assert_int_equal(mdfa_match(&l.ir.req_dfa[PC_MODEL], "gpt-4o-mini"), 0x5);
	assert_int_equal(mdfa_match(&l.ir.req_dfa[PC_MODEL], "claude-3"), 0x8);
	assert_int_equal(mdfa_match(&l.ir.req_dfa[PC_MODEL], "GPT-4o"), 0); /* exact case */
	assert_int_equal(mdfa_match(&l.ir.req_dfa[PC_METHOD], "POST"), 1);  /* any case */
	assert_int_equal(mdfa_match(&l.ir.req_dfa[PC_HTTP_HOST], "api.openai.com"), 1);
	assert_int_equal(l.ir.rules[3].terminal, ACT_KILL);
	assert_int_equal(l.ir.rules[4].terminal, -1);
	assert_true(l.ir.rules[4].audit);
	assert_int_equal(l.ir.rules[7].on, ON_RESPONSE);
	assert_int_equal(l.ir.rules[7].terminal, ACT_KILL);

	c = emit_string(&l.ir);
	assert_non_null(strstr(c, "#define ASPEN_NEED_TLS 1 "));
	assert_non_null(strstr(c, "#define ASPEN_NEED_RESPONSE 1 "));
	assert_non_null(strstr(c, "#define ASPEN_UNINSPECTABLE_DENY 0 "));
	assert_non_null(strstr(c, "aspen_host_providers(const char *s)"));
	assert_non_null(strstr(c, "aspen_decide_request(const struct aspen_req *r, "
				  "struct aspen_verdict *v)"));
	assert_non_null(strstr(c, "aspen_decide_response(const struct aspen_resp *r, "
				  "struct aspen_verdict *v)"));
	assert_non_null(strstr(c, "v->rule = ASPEN_RULE_UNINSPECTABLE;"));
	assert_non_null(strstr(c, "(r->conn.exe_bits & 0x1ULL)"));
	assert_non_null(strstr(c, "(r->tokens_in + r->tokens_out > 1000)"));
	assert_non_null(strstr(c, "#line 7 \""));
	/* connect: with request rules the default is applied per request */
	assert_non_null(strstr(c, "`default deny` applies to each request"));
	free(c);
	unload(&l);
}

static void test_connect_only_policy(void **state)
{
	struct loaded l;
	char *c;

	(void)state;
	load(&l, "policy \"c\"\ndefault deny\nimport \"providers\"\n"
		 "rule a { on connect when provider == openai allow }\n");
	assert_false(l.ir.has_request);
	assert_true(l.ir.uninspectable_deny);	  /* the default */
	assert_int_equal(diags_warnings(l.d), 0); /* no request rules: no warning */
	c = emit_string(&l.ir);
	assert_non_null(strstr(c, "#define ASPEN_NEED_TLS 0 "));
	assert_non_null(strstr(c, "aspen_decide_request("));
	assert_non_null(strstr(c, "aspen_decide_response("));
	assert_non_null(strstr(c, "v->rule = ASPEN_RULE_DEFAULT;"));
	free(c);
	unload(&l);
}

/* ---- the combined provider-host DFA vs the reference matcher ------------- */

static void random_host(char *buf, size_t max, unsigned *seed, const struct ir *ir)
{
	static const char *const parts[] = {
	    "api.",	  "openai", ".com", ".azure",	 ".",	   "bedrock-runtime",	"us-east-1",
	    ".amazonaws", "x",	    "-",    "API.",	 "OpenAI", "huggingface",	".cloud",
	    "endpoints",  "eu",	    ".ai",  "anthropic", "*",	   "generativelanguage"};
	const struct program *p = ir->prog;

	buf[0] = 0;
	if (rand_r(seed) % 3 == 0) { /* a real provider host, maybe with a twist */
		const struct decl *d = p->providers[(size_t)rand_r(seed) % p->nproviders];

		if (d->hosts && d->hosts->nitems)
			snprintf(buf, max, "%s",
				 d->hosts->items[(size_t)rand_r(seed) % d->hosts->nitems]->str);
		for (char *s = buf; *s; s++)
			if (*s == '*' && rand_r(seed) % 4)
				*s = rand_r(seed) % 2 ? 'q' : '.';
		if (rand_r(seed) % 4 == 0 && strlen(buf) + 2 < max)
			strcat(buf, rand_r(seed) % 2 ? "." : "x");
		return;
	}
	for (int n = rand_r(seed) % 7; n >= 0; n--) {
		const char *s = parts[(size_t)rand_r(seed) % (sizeof(parts) / sizeof(parts[0]))];

		if (strlen(buf) + strlen(s) < max)
			strcat(buf, s);
	}
}

static uint64_t reference_providers(const struct ir *ir, const char *host)
{
	uint64_t m = 0;

	for (size_t i = 0; i < ir->nproviders; i++) {
		const struct value *h = ir->providers[i].decl->hosts;

		for (size_t j = 0; h && j < h->nitems; j++)
			if (aspen_glob_match_ci(h->items[j]->str, host))
				m |= 1ULL << i;
	}
	return m;
}

static void test_host_dfa_vs_reference(void **state)
{
	struct loaded l;
	unsigned seed = 11;
	int hits = 0;

	(void)state;
	load(&l, "policy \"h\"\ndefault allow\nuninspectable deny\nimport \"providers\"\n"
		 "rule r { on request when request.model == \"x\" deny }\n");
	assert_true(l.ir.nproviders > 10);
	assert_true(l.ir.host_dfa.n >= 1);
	for (int i = 0; i < 20000; i++) {
		char host[ASPEN_HOST_LEN];
		uint64_t got, want;

		random_host(host, sizeof(host), &seed, &l.ir);
		got = mdfa_match(&l.ir.host_dfa, host);
		want = reference_providers(&l.ir, host);
		if (got != want)
			fail_msg("'%s': DFA 0x%llx, reference 0x%llx", host,
				 (unsigned long long)got, (unsigned long long)want);
		hits += want != 0;
	}
	assert_true(hits > 1000); /* the test does reach providers */
	unload(&l);
}

/* ---- the generated decision functions, run on the host -------------------- */

static const char host_shim[] =
    "#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\n"
    "#include <linux/types.h>\n#include \"aspen_shared.h\"\n"
    "#undef __always_inline\n#define __always_inline inline\n#define barrier_var(x) (void)0\n"
    "#define ASPEN_TABLE\n"
    /* the kernel's bpf_loop, for the host DFA's walk (emit_walk_loop) */
    "static long bpf_loop(__u32 n, long (*cb)(__u32, void *), void *ctx, __u64 flags)\n"
    "{ (void)flags; for (__u32 i = 0; i < n; i++) if (cb(i, ctx)) return i + 1; return n; }\n"
    "#define ASPEN_GEN_FN static inline\n#define ASPEN_GEN_DATA static\n"
    "static int aspen_force_monitor(void) { return getenv(\"MONITOR\") != NULL; }\n"
    "static int aspen_ip_in(const __u8 *a, const __u8 *n, int b) { (void)a; (void)n; "
    "(void)b; return 0; }\n";

/* stdin: providers exe_bits unparsed stream method path host model user
 * ("-" for empty); stdout: rule decision audit */
static const char host_main[] =
    "static void cp(char *d, size_t n, const char *s) { memset(d, 0, n);\n"
    "\tif (strcmp(s, \"-\")) strncpy(d, s, n - 1); }\n"
    "int main(void) {\n\tchar l[1024];\n"
    "\twhile (fgets(l, sizeof(l), stdin)) {\n"
    "\t\tstruct aspen_req r; struct aspen_verdict v;\n"
    "\t\tchar f[9][200]; unsigned long long prov, exe; unsigned unp, st;\n"
    "\t\tmemset(&r, 0, sizeof(r));\n"
    "\t\tif (sscanf(l, \"%llx %llx %u %u %199s %199s %199s %199s %199s\", &prov, &exe, &unp,"
    " &st, f[0], f[1], f[2], f[3], f[4]) != 9) return 2;\n"
    "\t\tr.conn.providers = prov; r.conn.exe_bits = exe; r.unparsed = unp;\n"
    "\t\tr.flags = st ? ASPEN_REQ_STREAM : 0;\n"
    "\t\tcp(r.method, sizeof(r.method), f[0]); cp(r.path, sizeof(r.path), f[1]);\n"
    "\t\tcp(r.host, sizeof(r.host), f[2]); cp(r.model, sizeof(r.model), f[3]);\n"
    "\t\tcp(r.user, sizeof(r.user), f[4]);\n"
    "\t\taspen_decide_request(&r, &v);\n"
    "\t\tprintf(\"%u %u %u %llx\\n\", v.rule, v.decision, v.audit,\n"
    "\t\t       (unsigned long long)aspen_host_providers(r.host));\n"
    "\t}\n\treturn 0;\n}\n";

struct req_case {
	const char *in;
	const char *out; /* rule decision audit host_providers */
};

static void run_cases(const char *c, const struct req_case *cases, size_t n, const char *env)
{
	/* host C: the generated code after the prelude and contract includes */
	static const char inc[] = "#include \"aspen_generated.h\"";
	const char *from = strstr(c, inc), *to = strstr(c, "#ifdef ASPEN_PART_GENERATED");
	char dir[] = "/tmp/aspen-reqrun-XXXXXX", path[300], cmd[1024], line[256];
	FILE *out, *in;

	assert_non_null(from);
	assert_non_null(to);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/req.c", dir);
	out = fopen(path, "w");
	from = strchr(from, '\n') + 1;
	fprintf(out, "%s%.*s%s", host_shim, (int)(to - from), from, host_main);
	fclose(out);
	snprintf(cmd, sizeof(cmd), "cc -O1 -Wall -I%s/bpf-templates -o %s/req %s/req.c",
		 ASPEN_SRC_DIR, dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/in.txt", dir);
	out = fopen(path, "w");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s\n", cases[i].in);
	fclose(out);
	snprintf(cmd, sizeof(cmd), "%s %s/req < %s", env, dir, path);
	in = popen(cmd, "r");
	for (size_t i = 0; i < n; i++) {
		assert_non_null(fgets(line, sizeof(line), in));
		line[strcspn(line, "\n")] = 0;
		if (strcmp(line, cases[i].out))
			fail_msg("case %zu '%s': got '%s', want '%s'", i, cases[i].in, line,
				 cases[i].out);
	}
	pclose(in);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static int provider_bit(const struct ir *ir, const char *name)
{
	for (size_t i = 0; i < ir->nproviders; i++)
		if (!strcmp(ir->providers[i].decl->name, name))
			return (int)i;
	return -1;
}

static void test_decide_request_on_host(void **state)
{
	struct loaded l;
	char *c;
	char oa[32], in[40][200], out[40][64];
	struct req_case cases[40];
	size_t n = 0;

	(void)state;
	if (system("cc --version >/dev/null 2>&1") != 0)
		skip();
	load(&l, POLICY);
	c = emit_string(&l.ir);
	snprintf(oa, sizeof(oa), "%llx", 1ULL << provider_bit(&l.ir, "openai"));
#define CASE(prov, exe, unp, st, m, p, h, mo, u, rule, dec, aud, hp)                               \
	do {                                                                                       \
		snprintf(in[n], sizeof(in[n]), "%s %x %d %d %s %s %s %s %s", prov, exe, unp, st,   \
			 m, p, h, mo, u);                                                          \
		snprintf(out[n], sizeof(out[n]), "%u %d %d %s", rule, dec, aud, hp);               \
		cases[n].in = in[n];                                                               \
		cases[n].out = out[n];                                                             \
		n++;                                                                               \
	} while (0)
	/* not AI traffic: nothing decided, no audit */
	CASE("0", 0, 0, 0, "POST", "/v1/chat", "example.com", "gpt-4o", "-", 0xfffe, 0, 0, "0");
	/* uninspectable allow: decided before any rule, audited */
	CASE(oa, 1, 1, 0, "-", "-", "-", "-", "-", 0xfffd, 0, 1, "0");
	/* payments exe with another model: denied by rule 1 */
	CASE(oa, 1, 0, 0, "POST", "/v1/chat", "api.openai.com", "gpt-4o", "-", 1, 1, 1, oa);
	CASE(oa, 1, 0, 0, "POST", "/v1/chat", "api.openai.com", "gpt-4o-mini", "-", 6, 0, 1, oa);
	/* streaming on batch paths */
	CASE(oa, 0, 0, 1, "POST", "/v1/batches", "api.openai.com", "gpt-4o", "-", 2, 1, 1, oa);
	CASE(oa, 0, 0, 0, "POST", "/v1/batches", "api.openai.com", "gpt-4o", "-", 6, 0, 1, oa);
	/* method is case-insensitive: GET is killed, post is not */
	CASE(oa, 0, 0, 0, "GET", "/v1/models", "api.openai.com", "gpt-4o", "-", 3, 3, 1, oa);
	CASE(oa, 0, 0, 0, "post", "/v1/chat", "api.openai.com", "claude-3", "-", 6, 0, 1, oa);
	/* audit rule then default deny; the audit sets v->audit, the default names itself */
	CASE(oa, 0, 0, 0, "POST", "/v1/chat", "api.openai.com", "llama", "bob1", 0xffff, 1, 1, oa);
	/* http.host case-insensitive glob, model case-sensitive */
	CASE(oa, 0, 0, 0, "POST", "/v1/chat", "api.openai.com", "o1-mini", "-", 5, 0, 1, oa);
	CASE(oa, 0, 0, 0, "POST", "/v1/chat", "api.openai.com", "O1-mini", "-", 0xffff, 1, 1, oa);
	run_cases(c, cases, n, "");
	/* aspend --monitor: deny becomes would_deny, kill would_kill */
	n = 0;
	CASE(oa, 1, 0, 0, "POST", "/v1/chat", "api.openai.com", "gpt-4o", "-", 1, 2, 1, oa);
	CASE(oa, 0, 0, 0, "GET", "/v1/models", "api.openai.com", "gpt-4o", "-", 3, 4, 1, oa);
	CASE(oa, 0, 0, 0, "POST", "/v1/chat", "api.openai.com", "llama", "-", 0xffff, 2, 1, oa);
	run_cases(c, cases, n, "MONITOR=1");
#undef CASE
	free(c);
	unload(&l);
}

/* ---- the generated C builds for BPF ------------------------------------------ */

static const char bpf_main[] =
    "struct {\n\t__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);\n\t__uint(max_entries, 1);\n"
    "\t__type(key, __u32);\n\t__type(value, struct aspen_req);\n} t_req SEC(\".maps\");\n"
    "struct {\n\t__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);\n\t__uint(max_entries, 1);\n"
    "\t__type(key, __u32);\n\t__type(value, struct aspen_resp);\n} t_resp SEC(\".maps\");\n"
    "SEC(\"uprobe\") int t_request(void *ctx)\n{\n\t__u32 k = 0;\n"
    "\tstruct aspen_req *r = bpf_map_lookup_elem(&t_req, &k);\n"
    "\tstruct aspen_verdict v = {};\n\n\tif (!r)\n\t\treturn 0;\n"
    "\tr->conn.providers |= aspen_host_providers(r->host);\n"
    "\taspen_decide_request(r, &v);\n\treturn v.decision;\n}\n"
    "SEC(\"uretprobe\") int t_response(void *ctx)\n{\n\t__u32 k = 0;\n"
    "\tstruct aspen_resp *r = bpf_map_lookup_elem(&t_resp, &k);\n"
    "\tstruct aspen_verdict v = {};\n\n\tif (!r)\n\t\treturn 0;\n"
    "\taspen_decide_response(r, &v);\n\treturn v.decision;\n}\n"
    "char LICENSE[] SEC(\"license\") = \"GPL\";\n";

static void test_builds_for_bpf(void **state)
{
	static const char inc[] = "#include \"aspen_prelude.bpf.h\"\n";
	struct loaded l;
	char *c, *to, dir[] = "/tmp/aspen-reqbpf-XXXXXX", path[300], cmd[1024];
	FILE *out;

	(void)state;
	if (system("clang --version >/dev/null 2>&1") != 0)
		skip();
	load(&l, POLICY);
	c = emit_string(&l.ir);
	/* up to the templates (the end of the generated part): not needed here */
	to = strstr(c, "#ifdef ASPEN_PART_GENERATED");
	assert_non_null(to);
	assert_non_null(strstr(c, inc));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.bpf.c", dir);
	out = fopen(path, "w");
	fprintf(out, "%.*s%s", (int)(to - c), c, bpf_main);
	fclose(out);
	snprintf(cmd, sizeof(cmd),
		 "clang -target bpf -O2 -g -Wall -Werror -Wno-unused-function "
		 "-D__TARGET_ARCH_" ASPEN_BPF_ARCH " -I%s/bpf-templates -I%s -c %s/t.bpf.c -o %s/t.bpf.o",
		 ASPEN_SRC_DIR, ASPEN_BPF_SYS_INCLUDE[0] ? ASPEN_BPF_SYS_INCLUDE : ".", dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(c);
	unload(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ir),
	    cmocka_unit_test(test_connect_only_policy),
	    cmocka_unit_test(test_host_dfa_vs_reference),
	    cmocka_unit_test(test_decide_request_on_host),
	    cmocka_unit_test(test_builds_for_bpf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
