/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IR -> eBPF C (docs/internals.md, "Generated eBPF C"). The output is meant
 * to be read by people: each table names its glob and .asp position, each
 * rule block names its rule, and a #line directive before each condition
 * makes clang and verifier messages point at the policy line.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "model_path.h"
#include "aspen_path_model.h"

#ifndef ASPEN_VERSION
#define ASPEN_VERSION "0.1"
#endif

struct emitter {
	FILE *out;
	int lines;	    /* newlines written so far */
	const char *c_name; /* this file, for #line back to generated code */
	const struct ir *ir;
	const char *conn; /* how conditions reach struct aspen_conn: "c->", "r->conn." */
	/* long rule chains: a fence between rules (emit_rule_fence) naming the
	 * function's local bit masks; empty: no fence */
	char fence[256];
	int nfenced;	 /* rules emitted since the function began */
	const char *ret; /* how a decided rule leaves: "return;" (NULL) or "return 1;" */
	/* a function of the request rule chain: a decided rule sets the locals
	 * rule and decision and jumps to its one exit, `decided`, which writes
	 * the verdict (less C per rule: clang's time, issue 16); ndecided
	 * counts the jumps */
	bool to_exit;
	int ndecided;
	const char *kpre; /* where k_body/k_model are read: "" (locals) or "x->" */
	bool walk_struct; /* struct aspen_dfa_walk is emitted (emit_walk_loop) */
};

/* Request rules per function: a longer chain is split into functions of this
 * many rules (aspen_request_rules_N), called in order. A BPF jump reaches
 * 32767 instructions at most (clang 14 has no long jump), and a rule that
 * decides jumps to the end of its function; three-valued rules (T and F
 * conditions) take about twice the code of two-valued ones. aspenc
 * compiles the functions in slices, one clang per CPU (build.c): the
 * 1000-rule policy's 10 functions split 5 and 5 on two CPUs, its 5 of 200
 * split 3 and 2 (clang's time, issue 16: about 2 ms per rule). */
#define RULES_PER_FUNCTION 100

/* Past this many rules in one function, each rule is fenced from the ones
 * before it: otherwise clang threads the conditions that repeat a mask bit
 * across the whole chain and spills past the 512-byte BPF stack (seen at
 * about 80 request rules). */
#define FENCE_AFTER_RULES 32

static void put(struct emitter *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct emitter *e, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) { /* long line: format again, unbuffered */
		va_start(ap, fmt);
		vfprintf(e->out, fmt, ap);
		va_end(ap);
	} else {
		fputs(buf, e->out);
	}
	for (const char *p = fmt; *p; p++) /* only fmt holds newlines we emit */
		e->lines += *p == '\n';
}

/* Text inside a C comment: no "*" "/" pair may close it early (nor "/" "*"
 * open one, which -Wcomment rejects), no newline
 * may break the line count, no "??" may look like a trigraph. */
static void put_comment_text(struct emitter *e, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c == '*' && s[1] == '/') || (c == '/' && s[1] == '*'))
			fprintf(e->out, "%c\\", c); /* -Wcomment: no "/" "*" either */
		else if (c == '?' && s[1] == '?')
			fputs("?\\", e->out);
		else if (c == '\n' || c == '\t' || c < 0x20 || c == 0x7f)
			fputc(' ', e->out);
		else
			fputc(c, e->out);
	}
}

/* A C string literal body: quotes, backslashes, '?' (trigraphs) and
 * non-printables escaped; octal escapes cannot swallow following digits
 * because they always take three. */
static void put_cstr(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\' || c == '?')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\%03o", c);
		else
			fputc(c, out);
	}
}

static void put_line_back(struct emitter *e)
{
	put(e, "#line %d \"", e->lines + 2);
	put_cstr(e->out, e->c_name);
	put(e, "\"\n");
}

/* ---- header ------------------------------------------------------------- */

/* Request rules read request.model from the path too: the templates of
 * every provider that declares model_paths or stream_paths (none without
 * request rules). */
static size_t model_paths_count(const struct ir *ir)
{
	size_t n = 0;

	for (size_t i = 0; ir->has_request && i < ir->nproviders; i++) {
		if (ir->providers[i].decl->model_paths)
			n += ir->providers[i].decl->model_paths->nitems;
		if (ir->providers[i].decl->stream_paths)
			n += ir->providers[i].decl->stream_paths->nitems;
	}
	return n;
}

/* Rows of aspen_model_tmpl: the policy's, rounded up to a multiple of 16 so
 * that policies over the same providers share the templates' part. */
static size_t model_paths_rows(const struct ir *ir)
{
	return (model_paths_count(ir) + 15) / 16 * 16;
}

/* The macros aspen_generated.h checks. The templates' part of the object
 * depends on those emit_template_c() writes (templates: its cache key);
 * the policy's settings are the generated part's only, in struct
 * aspen_settings (emit_settings), which the templates read. */
static void emit_flags(struct emitter *e, bool templates)
{
	const struct ir *ir = e->ir;

	for (size_t i = 0; i < nprogram_groups; i++) {
		const struct program_group *g = &program_groups[i];

		if (g->flag)
			put(e, "#define %s %d%*s/* %s */\n", g->flag, g->present(ir),
			    (int)(20 - strlen(g->flag)), "", g->what);
	}
	put(e, "#define ASPEN_NEED_RESPONSE %d  /* policy has on response rules (SSL_read) */\n",
	    ir->has_response);
	put(e, "#define ASPEN_NEED_BODY_SCAN %d /* some rule reads request.body or redacts */\n",
	    ir->need_body_scan);
	put(e, "#define ASPEN_BODY_START 0     /* the body DFA's start state           */\n");
	put(e, "#define ASPEN_MODEL_PATHS %zu    /* rows of provider model_paths templates */\n",
	    model_paths_rows(ir));
	if (templates)
		return;
	put(e, "#define ASPEN_UNINSPECTABLE_DENY %d /* `uninspectable %s` */\n",
	    ir->uninspectable_deny, ir->uninspectable_deny ? "deny" : "allow");
	put(e, "#define ASPEN_FRONTING_DENY %d /* `fronting %s` */\n", ir->fronting_deny,
	    ir->fronting_deny ? "deny" : "allow");
	put(e,
	    "#define ASPEN_EXE_PREDS %d /* process.exe predicates (unrecorded: uninspectable) */\n",
	    ir->preds[PC_EXE].n);
	put(e,
	    "#define ASPEN_CGROUP_PREDS %d /* process.cgroup, container.id (unseen: uninspectable) "
	    "*/\n",
	    ir->preds[PC_CGROUP].n + ir->preds[PC_CONTAINER].n);
	put(e, "#define ASPEN_MODEL_PATHS_USED %zu /* of them in use */\n", model_paths_count(ir));
}

/* The settings as data, for the templates' part (aspen_generated.h). */
static void emit_settings(struct emitter *e)
{
	put(e, "/* the policy's settings, which the templates' part reads (one object:\n"
	       " * the macros above) */\n"
	       "ASPEN_GEN_DATA const struct aspen_settings aspen_settings ASPEN_TABLE = {\n"
	       "\t.uninspectable_deny = ASPEN_UNINSPECTABLE_DENY,\n"
	       "\t.fronting_deny = ASPEN_FRONTING_DENY,\n"
	       "\t.exe_preds = ASPEN_EXE_PREDS,\n"
	       "\t.cgroup_preds = ASPEN_CGROUP_PREDS,\n"
	       "\t.model_paths = ASPEN_MODEL_PATHS_USED,\n"
	       "};\n\n");
}

static void emit_header(struct emitter *e)
{
	const struct ir *ir = e->ir;

	put(e, "/* Generated by aspenc %s from ", ASPEN_VERSION);
	put_comment_text(e, ir->source);
	put(e, " (sha256 %s). Do not edit.\n * policy \"", ir->sha256);
	put_comment_text(e, ir->name);
	put(e, "\", mode %s, default %s */\n", ir->monitor ? "monitor" : "enforce",
	    ir->default_deny ? "deny" : "allow");
	emit_flags(e, false);
	put(e, "#include \"aspen_prelude.bpf.h\"\n");
	put(e, "#include \"aspen_generated.h\" /* the contract: the macros above, the "
	       "functions below */\n\n");
}

/* bytes of one aspen_body_scan() (ASPEN_BODY_RUN) */
#define ASPEN_BODY_RUN_BYTES 64

/* ---- DFAs ---------------------------------------------------------------- */

/* A table row of numbers, 16 to a line; v holds n numbers of size bytes
 * each (1, 2 or 4). Transition rows: glob DFAs fit __u8 (DFA_MAX_STATES),
 * body DFAs __u16; a column-major body DFA's class table is __u32. */
static void emit_nums(struct emitter *e, const void *v, int size, int n, const char *indent)
{
	for (int i = 0; i < n; i++) {
		if (i % 16 == 0)
			put(e, "%s", indent);
		put(e, "%3u,",
		    size == 4	? ((const uint32_t *)v)[i]
		    : size == 2 ? ((const uint16_t *)v)[i]
				: ((const uint8_t *)v)[i]);
		if (i % 16 == 15 || i == n - 1)
			put(e, "\n");
		else
			put(e, " ");
	}
}

static void emit_bytes(struct emitter *e, const uint8_t *v, int n, const char *indent)
{
	emit_nums(e, v, 1, n, indent);
}

static void emit_u16s(struct emitter *e, const uint16_t *v, int n, const char *indent)
{
	emit_nums(e, v, 2, n, indent);
}

static void emit_dfa_tables(struct emitter *e, const char *cls, const char *field,
			    const struct ir_pred *p)
{
	const struct dfa *d = p->dfa;

	put(e, "/* %s predicate %d: \"", field, p->bit);
	put_comment_text(e, p->glob);
	put(e, "\" (");
	put_comment_text(e, p->span.src ? p->span.src->path : e->ir->source);
	put(e, ":%u:%u), %d states, %d byte classes, dead state %d */\n", p->span.line, p->span.col,
	    d->nstates, d->nclasses, d->dead);
	put(e, "static const __u8 aspen_%s%d_class[256] ASPEN_TABLE = {\n", cls, p->bit);
	emit_bytes(e, d->cls, 256, "\t");
	put(e, "};\n");
	put(e, "static const __u8 aspen_%s%d_next[%d][%d] ASPEN_TABLE = {\n", cls, p->bit,
	    d->nstates, d->nclasses);
	for (int s = 0; s < d->nstates; s++) {
		put(e, "\t{ /* %d%s */\n", s, d->accept[s] ? ", accepting" : "");
		emit_u16s(e, &d->next[s * d->nclasses], d->nclasses, "\t\t");
		put(e, "\t},\n");
	}
	put(e, "};\n");
	put(e, "static const __u8 aspen_%s%d_accept[%d] ASPEN_TABLE = {\n", cls, p->bit,
	    d->nstates);
	emit_bytes(e, d->accept, d->nstates, "\t");
	put(e, "};\n\n");
}

/* What a DFA walk emits: fn(s), walking tables aspen_<tbl>_class and
 * aspen_<tbl>_next over s (len bytes at most, NUL-terminated), returning
 * aspen_<tbl>_<result>[state] ("accept": 0/1, or "mask": a glob mask).
 * Every table index is checked (barrier_var from bpf_helpers.h keeps clang
 * from folding the checks); a state at or past nstates, or the dead state,
 * matches nothing. */
struct walk {
	const char *fn, *tbl, *len, *result;
	const struct dfa *d;
};

/* A loop bounded by the buffer length and never unrolled: the verifier
 * walks it once per byte. */
static void emit_walk_plain(struct emitter *e, const struct walk *w)
{
	const struct dfa *d = w->d;

	put(e, "static __always_inline __u64 %s(const char *s)\n{\n", w->fn);
	put(e, "\t__u64 st = 0; /* 64-bit: no zero-extension between check and use */\n\n");
	put(e, "#pragma clang loop unroll(disable)\n");
	put(e, "\tfor (__u32 i = 0; i < %s; i++) {\n", w->len);
	put(e, "\t\tif (i >= %s)\n\t\t\tbreak;\n", w->len);
	put(e, "\t\t__u8 ch = (__u8)s[i];\n\n");
	put(e, "\t\tif (ch == 0)\n\t\t\tbreak;\n");
	put(e, "\t\t__u64 k = aspen_%s_class[ch];\n\n", w->tbl);
	put(e, "\t\tbarrier_var(k);\n\t\tbarrier_var(st);\n");
	put(e, "\t\tif (st >= %d || k >= %d)\n\t\t\treturn 0;\n", d->nstates, d->nclasses);
	put(e, "\t\tst = aspen_%s_next[st][k];\n", w->tbl);
	if (d->dead >= 0)
		put(e, "\t\tif (st == %d)\n\t\t\treturn 0; /* dead: no suffix can match */\n",
		    d->dead);
	put(e, "\t}\n");
	put(e, "\tbarrier_var(st);\n");
	put(e, "\tif (st >= %d)\n\t\treturn 0;\n", d->nstates);
	put(e, "\treturn aspen_%s_%s[st];\n}\n\n", w->tbl, w->result);
}

/* The same walk as a bpf_loop step: the verifier checks the step once
 * instead of the loop once per byte. process.exe (256 bytes): a two-glob
 * policy's exec tracepoint ~12,000 -> 745 instructions verified; the
 * providers' host DFA (128 bytes, an SNI or a Host header): 128 x 57 of
 * sk_msg's 16,142 (session 28). len must be a power of two (the index is
 * masked). */
static void emit_walk_loop(struct emitter *e, const struct walk *w)
{
	const struct dfa *d = w->d;

	if (!e->walk_struct) {
		put(e, "struct aspen_dfa_walk {\n\tconst char *s;\n\t__u64 st;\n};\n\n");
		e->walk_struct = true;
	}
	put(e, "static long %s_step(__u32 i, void *arg)\n{\n", w->fn);
	put(e, "\tstruct aspen_dfa_walk *w = arg;\n");
	put(e, "\t__u64 st = w->st, k;\n\t__u8 ch;\n\n");
	put(e, "\tif (i >= %s)\n\t\treturn 1;\n", w->len);
	put(e, "\tch = (__u8)w->s[i & (%s - 1)];\n", w->len);
	put(e, "\tif (ch == 0)\n\t\treturn 1;\n");
	put(e, "\tk = aspen_%s_class[ch];\n", w->tbl);
	put(e, "\tbarrier_var(k);\n\tbarrier_var(st);\n");
	put(e, "\tif (st >= %d || k >= %d) {\n\t\tw->st = %d;\n\t\treturn 1;\n\t}\n", d->nstates,
	    d->nclasses, d->nstates);
	put(e, "\tst = aspen_%s_next[st][k];\n", w->tbl);
	put(e, "\tw->st = st;\n");
	if (d->dead >= 0)
		put(e, "\treturn st == %d; /* dead: no suffix can match */\n}\n\n", d->dead);
	else
		put(e, "\treturn 0;\n}\n\n");
	put(e, "static __always_inline __u64 %s(const char *s)\n{\n", w->fn);
	put(e, "\tstruct aspen_dfa_walk w = { .s = s, .st = 0 };\n\t__u64 st;\n\n");
	put(e, "\tbpf_loop(%s, %s_step, &w, 0);\n", w->len, w->fn);
	put(e, "\tst = w.st;\n\tbarrier_var(st);\n");
	put(e, "\tif (st >= %d)\n\t\treturn 0;\n", d->nstates);
	put(e, "\treturn aspen_%s_%s[st];\n}\n\n", w->tbl, w->result);
}

static void emit_walk(struct emitter *e, const struct walk *w, bool loop)
{
	(loop ? emit_walk_loop : emit_walk_plain)(e, w);
}

static void emit_class_fn(struct emitter *e, enum pred_class pc, const char *cls, const char *field,
			  const char *len)
{
	const struct ir_pred_table *t = &e->ir->preds[pc];
	for (int i = 0; i < t->n; i++) {
		char fn[64], tbl[48];

		snprintf(fn, sizeof(fn), "aspen_%s%d_match", cls, t->preds[i].bit);
		snprintf(tbl, sizeof(tbl), "%s%d", cls, t->preds[i].bit);
		emit_dfa_tables(e, cls, field, &t->preds[i]);
		emit_walk(e, &(struct walk){fn, tbl, len, "accept", t->preds[i].dfa}, pc == PC_EXE);
	}
	put(e, "/* %s predicate bits; s: %s bytes, NUL-terminated */\n", field, len);
	put(e, "ASPEN_GEN_FN __u64 aspen_%s_bits(const char *s)\n{\n", cls);
	put(e, "\t__u64 bits = 0;\n\n");
	for (int i = 0; i < t->n; i++)
		put(e, "\tbits |= aspen_%s%d_match(s) << %d;\n", cls, t->preds[i].bit,
		    t->preds[i].bit);
	if (!t->n)
		put(e, "\t(void)s; /* the policy tests no %s */\n", field);
	put(e, "\treturn bits;\n}\n\n");
}

/* ---- combined DFAs: many globs, one loop, a mask per state ---------------- */

/* Tables of a DFA whose states carry a mask (of globs, or of body
 * patterns a match of which ends there): class map, transitions (row type
 * next_type: __u8 for glob DFAs, __u16 for body DFAs), masks. */
static void emit_mask_tables(struct emitter *e, const char *name, const struct dfa *d,
			     const char *next_type, const char *mask_words)
{
	put(e, "static const __u8 aspen_%s_class[256] ASPEN_TABLE = {\n", name);
	emit_bytes(e, d->cls, 256, "\t");
	put(e, "};\n");
	put(e, "static const %s aspen_%s_next[%d][%d] ASPEN_TABLE = {\n", next_type, name,
	    d->nstates, d->nclasses);
	for (int s = 0; s < d->nstates; s++) {
		put(e, "\t{ /* %d", s);
		if (d->mask[s])
			put(e, ", %s 0x%" PRIx64, mask_words, d->mask[s]);
		put(e, " */\n");
		emit_u16s(e, &d->next[s * d->nclasses], d->nclasses, "\t\t");
		put(e, "\t},\n");
	}
	put(e, "};\n");
	put(e, "static const __u64 aspen_%s_mask[%d] ASPEN_TABLE = {\n", name, d->nstates);
	for (int s = 0; s < d->nstates; s++)
		put(e, "\t0x%" PRIx64 "ULL,\n", d->mask[s]);
	put(e, "};\n\n");
}

/* fn(s): the OR of the groups' masks. what: a comment line. loop: each
 * group's walk a bpf_loop step (emit_walk_loop; len a power of two). */
static void emit_mdfa(struct emitter *e, const char *fn, const char *len, const struct ir_mdfa *m,
		      const char *what, bool loop)
{
	char name[96], fname[112];

	for (size_t g = 0; g < m->n; g++) {
		snprintf(name, sizeof(name), "%s_g%zu", fn, g);
		put(e,
		    "/* %s: combined DFA %zu of %zu, %d states, %d byte classes, dead state "
		    "%d */\n",
		    what, g + 1, m->n, m->g[g]->nstates, m->g[g]->nclasses, m->g[g]->dead);
		emit_mask_tables(e, name, m->g[g], "__u8", "accepts");
		snprintf(fname, sizeof(fname), "aspen_%s", name);
		emit_walk(e, &(struct walk){fname, name, len, "mask", m->g[g]}, loop);
	}
	put(e, "/* %s; s: %s bytes, NUL-terminated */\n", what, len);
	/* unused until the TLS templates are included; the contract's
	 * aspen_host_providers() is the templates' (aspen_generated.h) */
	put(e, "%s __attribute__((unused)) __u64 aspen_%s(const char *s)\n{\n",
	    strcmp(fn, "host_providers") ? "static __always_inline" : "ASPEN_GEN_FN", fn);
	if (!m->n)
		put(e, "\t(void)s;\n\treturn 0;\n}\n\n");
	else
		put(e, "\t__u64 bits = 0;\n\n");
	for (size_t g = 0; g < m->n; g++)
		put(e, "\tbits |= aspen_%s_g%zu(s);\n", fn, g);
	if (m->n)
		put(e, "\treturn bits;\n}\n\n");
}

struct req_field {
	enum pred_class pc;
	const char *member; /* of struct aspen_req */
	const char *len;
	const char *what;
};

static const struct req_field req_fields[] = {
    {PC_METHOD, "method", "ASPEN_METHOD_LEN", "http.method (case-insensitive)"},
    {PC_PATH, "path", "ASPEN_PATH_LEN", "http.path"},
    {PC_HTTP_HOST, "host", "ASPEN_HOST_LEN", "http.host (case-insensitive)"},
    {PC_MODEL, "model", "ASPEN_MODEL_LEN", "request.model"},
    {PC_REQ_USER, "user", "ASPEN_USER_LEN", "request.user"},
};

static void emit_req_fns(struct emitter *e)
{
	const struct ir *ir = e->ir;

	for (size_t i = 0; i < sizeof(req_fields) / sizeof(req_fields[0]); i++) {
		const struct req_field *f = &req_fields[i];
		const struct ir_pred_table *t = &ir->preds[f->pc];
		char fn[64], what[512];
		int n;

		if (!t->n)
			continue;
		n = snprintf(what, sizeof(what), "%s predicate bits:", f->what);
		for (int j = 0; j < t->n && n < (int)sizeof(what) - 80; j++)
			n += snprintf(what + n, sizeof(what) - (size_t)n, " %d \"%s\"",
				      t->preds[j].bit, t->preds[j].glob);
		/* the globs are user text: keep the comment closed */
		for (char *p = what; *p; p++)
			if ((p[0] == '*' && p[1] == '/') || (p[0] == '/' && p[1] == '*') ||
			    (p[0] == '?' && p[1] == '?') || (unsigned char)*p < 0x20)
				p[p[0] == '/' || (unsigned char)*p < 0x20 ? 0 : 1] = ' ';
		snprintf(fn, sizeof(fn), "%s_bits", pred_class_name(f->pc));
		emit_mdfa(e, fn, f->len, &ir->req_dfa[f->pc], what, false);
	}
	/* a bpf_loop step: in sk_msg (the SNI) and the TLS probes it was half
	 * of what the verifier walked at start-up (128 bytes x 57) */
	emit_mdfa(e, "host_providers", "ASPEN_HOST_LEN", &ir->host_dfa,
		  "providers whose host globs match a Host header or an SNI (lower-case, no port)",
		  true);
}

/* One row of aspen_model_tmpl: the encoded template, then its provider's
 * index (| ASPEN_TMPL_STREAM_ROW for a stream path). */
static void emit_tmpl_row(struct emitter *e, const struct ir_provider *pv, const char *src,
			  bool stream)
{
	char enc[ASPEN_TMPL_LEN], err[128];

	if ((stream ? stream_path_encode : model_path_encode)(src, enc, err, sizeof(err)))
		enc[0] = 0; /* typecheck reported it */
	put(e, "\t{ ");
	for (int k = 0; k < ASPEN_TMPL_LEN - 1 && enc[k]; k++)
		put(e, "%d, ", enc[k]);
	for (int k = (int)strlen(enc); k < ASPEN_TMPL_LEN - 1; k++)
		put(e, "0, ");
	put(e, "%d }, /* ", pv->index | (stream ? ASPEN_TMPL_STREAM_ROW : 0));
	put_comment_text(e, pv->decl->name);
	put(e, stream ? " stream: " : ": ");
	put_comment_text(e, src);
	put(e, " */\n");
}

/* The stream_paths and model_paths templates, encoded for
 * aspen_path_model.h: the stream paths first (every one is tried), then
 * the model paths (the first that matches gives the model). */
static void emit_model_paths(struct emitter *e)
{
	const struct ir *ir = e->ir;
	size_t n = model_paths_count(ir);

	if (!n)
		return;
	put(e, "/* request.stream and request.model from the path: the providers'\n"
	       " * stream_paths, then their model_paths, in order; the last byte of a\n"
	       " * row is its provider's index, + 64 for a stream path (one table: a\n"
	       " * small second one would go to .rodata.cst8, which BTF cannot describe);\n"
	       " * rows past ASPEN_MODEL_PATHS_USED are zero, never read */\n");
	put(e,
	    "ASPEN_GEN_DATA const char aspen_model_tmpl[%zu][%d] ASPEN_TABLE "
	    "__attribute__((unused)) = {\n",
	    model_paths_rows(ir), ASPEN_TMPL_LEN);
	for (int stream = 1; stream >= 0; stream--)
		for (size_t i = 0; i < ir->nproviders; i++) {
			const struct value *l = stream ? ir->providers[i].decl->stream_paths
						       : ir->providers[i].decl->model_paths;

			for (size_t j = 0; l && j < l->nitems; j++)
				emit_tmpl_row(e, &ir->providers[i], l->items[j]->str, stream);
		}
	put(e, "};\n\n");
}

/* ---- body patterns (docs/internals.md, "Patterns, body scanning") ---------- */

/* How a body DFA is laid out for the scan. Its states are renumbered: the
 * start state 0, then the idle states the prefilter may pass over (common/dfa.h,
 * dfa_idle_skip(); never accepting), then the others, the accepting ones
 * last, so that "idle?" and "a match ends here?" are a comparison of the
 * state, not a table load. A state is kept (in its 16 bits of the __u64 body
 * state) as its row's offset in the flat next table, state x nclasses, when
 * that fits 16 bits (scale = nclasses): a step is then one add and one load,
 * the loop-carried chain the scan's speed hangs on. */
struct body_layout {
	int *to;   /* old state -> new */
	int *from; /* new state -> old */
	int idle;  /* new states [0, idle): idle, not accepting (0: none) */
	int acc;   /* new states [acc, nstates): every state with a mask */
	int scale; /* packed value = new state x scale */
};

/* the least power of two >= n */
static int body_pow2(int n)
{
	int p = 1;

	while (p < n)
		p *= 2;
	return p;
}

static int body_key(const struct dfa *d, const uint8_t *idle, int s)
{
	return d->mask[s] ? 2 : idle[s] ? 0 : 1;
}

/* idle: per old state, from dfa_idle_skip() (all 0: no prefilter) */
static bool body_layout(const struct dfa *d, const uint8_t *idle, struct body_layout *l)
{
	int n = 0;

	l->to = malloc(sizeof(int) * (size_t)d->nstates);
	l->from = malloc(sizeof(int) * (size_t)d->nstates);
	if (!l->to || !l->from)
		return false;
	l->to[0] = 0;
	l->from[n++] = 0;
	for (int key = 0; key < 3; key++)
		for (int s = 1; s < d->nstates; s++)
			if (body_key(d, idle, s) == key) {
				l->to[s] = n;
				l->from[n++] = s;
			}
	l->idle = 0;
	if (body_key(d, idle, 0) == 0)
		while (l->idle < n && body_key(d, idle, l->from[l->idle]) == 0)
			l->idle++;
	l->acc = n;
	while (l->acc > 0 && d->mask[l->from[l->acc - 1]])
		l->acc--;
	if (d->mask[0])
		l->acc = 0; /* state 0 accepts: every state is checked */
	l->scale = (long)d->nstates * d->nclasses <= 65536 ? d->nclasses : 1;
	return true;
}

static void body_layout_free(struct body_layout *l)
{
	free(l->to);
	free(l->from);
}

/* The next table of a DFA whose packed values are its states x nclasses
 * (they fit in 16 bits): row-major, one row of nc entries per state,
 * padded to a power of two. */
static void emit_body_rows(struct emitter *e, size_t g, const struct dfa *d,
			   const struct body_layout *l, uint16_t *row)
{
	int nc = d->nclasses;

	put(e, "static const __u8 aspen_body%zu_class[256] ASPEN_TABLE = {\n", g);
	emit_bytes(e, d->cls, 256, "\t");
	put(e, "};\n");
	put(e, "static const __u16 aspen_body%zu_next[%d] ASPEN_TABLE = {\n", g,
	    body_pow2(d->nstates * nc));
	for (int s = 0; s < d->nstates; s++) {
		int o = l->from[s];

		put(e, "\t/* %d (%d)%s", s, o, s < l->idle ? ", idle" : "");
		if (d->mask[o])
			put(e, ", match ends: 0x%" PRIx64, d->mask[o]);
		put(e, " */\n");
		for (int k = 0; k < nc; k++)
			row[k] = (uint16_t)(l->to[d->next[o * nc + k]] * l->scale);
		emit_u16s(e, row, nc, "\t");
	}
	put(e, "};\n");
}

/* The next table of a DFA whose packed values are its states (too many
 * to scale): column-major, one column of nstates entries per byte class,
 * so that the multiply by the class is in the class table (u32: class x
 * nstates), off the step's dependency chain (state -> entry -> state). */
static void emit_body_columns(struct emitter *e, size_t g, const struct dfa *d,
			      const struct body_layout *l, uint16_t *col)
{
	int nc = d->nclasses, ns = d->nstates;
	uint32_t off[256];

	for (int c = 0; c < 256; c++)
		off[c] = (uint32_t)d->cls[c] * (uint32_t)ns;
	put(e, "static const __u32 aspen_body%zu_class[256] ASPEN_TABLE = { /* class x %d */\n", g,
	    ns);
	emit_nums(e, off, 4, 256, "\t");
	put(e, "};\n");
	put(e, "static const __u16 aspen_body%zu_next[%d] ASPEN_TABLE = {\n", g,
	    body_pow2(ns * nc));
	for (int k = 0; k < nc; k++) {
		put(e, "\t/* class %d: the next state of states 0..%d */\n", k, ns - 1);
		for (int s = 0; s < ns; s++)
			col[s] = (uint16_t)l->to[d->next[l->from[s] * nc + k]];
		emit_u16s(e, col, ns, "\t");
	}
	put(e, "};\n");
}

/* The tables of body DFA g: byte classes, the flat next table (packed
 * values), the masks of the accepting states (index: state - acc). */
static bool emit_body_tables(struct emitter *e, size_t g, const struct dfa *d,
			     const struct body_layout *l)
{
	int nc = d->nclasses, ns = d->nstates;
	uint16_t *tmp = malloc(sizeof(uint16_t) * (size_t)(nc > ns ? nc : ns));

	if (!tmp)
		return false;
	if (l->scale > 1)
		emit_body_rows(e, g, d, l, tmp);
	else
		emit_body_columns(e, g, d, l, tmp);
	free(tmp);
	put(e, "static const __u64 aspen_body%zu_mask[%d] ASPEN_TABLE = {\n", g,
	    d->nstates > l->acc ? d->nstates - l->acc : 1);
	for (int s = l->acc; s < d->nstates; s++)
		put(e, "\t0x%" PRIx64 "ULL,\n", d->mask[l->from[s]]);
	if (d->nstates == l->acc)
		put(e, "\t0,\n");
	put(e, "};\n");
	/* one DFA's step from packed value st over byte c */
	put(e,
	    "static __always_inline __attribute__((unused)) __u64\n"
	    "aspen_body%zu_go(__u64 st, __u64 c, __u64 *matched)\n{\n",
	    g);
	put(e, "\t__u64 i = aspen_body%zu_class[c & 0xff];\n\n", g);
	/* clang knows the tables and would drop the checks; the verifier
	 * does not: hide the values from clang */
	put(e, "\tbarrier_var(st);\n\tbarrier_var(i);\n");
	put(e, "\ti += st;\n");
	/* a mask, not a test: the verifier decides no branch on st (a range
	 * of st it could decide on makes st precise, and the paths of the
	 * scan loop then never meet) */
	put(e, "\ti &= %d; /* the table is padded: never changes i */\n", body_pow2(ns * nc) - 1);
	put(e, "\tst = aspen_body%zu_next[i];\n", g);
	if (d->nstates > l->acc) {
		/* the same entry loaded again: the verifier learns nothing of st
		 * from the test (were st's range narrowed here, the next byte's
		 * idle test would be decided and each path checked apart) */
		put(e,
		    "\tif (*(const volatile __u16 *)&aspen_body%zu_next[i] >= %d) {"
		    " /* an accepting state */\n",
		    g, l->acc * l->scale);
		if (l->scale == 1)
			put(e, "\t\t__u64 a = st - %d;\n\n", l->acc);
		else
			put(e, "\t\t__u64 a = st / %d - %d;\n\n", l->scale, l->acc);
		put(e, "\t\tbarrier_var(a);\n");
		put(e, "\t\tif (a < %d)\n\t\t\t*matched |= aspen_body%zu_mask[a];\n\t}\n",
		    d->nstates - l->acc, g);
	}
	put(e, "\treturn st;\n}\n\n");
	return true;
}

/* The prefilter: for all DFAs together, each byte's packed next state
 * when every DFA is idle and the byte needs no step in any, else
 * ASPEN_BODY_STEP; the idle states of each (dfa_idle_skip()). Returns the
 * bytes passed (0: no prefilter). */
static int body_idle(const struct ir *ir, uint8_t *idle[], uint64_t skip[256])
{
	int16_t to[256];
	int n = ir->nbody_dfa ? 256 : 0;

	for (int c = 0; c < 256; c++)
		skip[c] = 0;
	for (size_t g = 0; g < ir->nbody_dfa; g++) {
		const struct dfa *d = ir->body_dfa[g];

		idle[g] = calloc((size_t)d->nstates, 1);
		if (!idle[g] || !n)
			continue;
		if (!dfa_idle_skip(d, idle[g], to)) {
			n = 0;
			continue;
		}
		for (int c = 0; c < 256; c++)
			if (to[c] < 0 || skip[c] == ~0ULL)
				skip[c] = ~0ULL;
			else
				skip[c] |= (uint64_t)to[c] << (g * 16); /* old numbers: see below */
	}
	for (int c = 0; c < 256 && n; c++)
		n -= skip[c] == ~0ULL;
	return n;
}

static void emit_body_patterns_comment(struct emitter *e)
{
	const struct ir *ir = e->ir;

	put(e, "/* Body patterns (bit = pattern index):");
	for (size_t i = 0; i < ir->npatterns; i++) {
		const char *src = ir->patterns[i].decl->regex;
		size_t len = strlen(src);

		put(e, "\n *   %d %s /", ir->patterns[i].index,
		    ir->patterns[i].redact ? "redact " : "");
		put_comment_text(e, ir->patterns[i].name);
		put(e, " = /");
		put_comment_text(e, src);
		/* /x[a-z]*\/: the closing '/' after a '*' must not end this comment */
		put(e, "%s/%s", len && src[len - 1] == '*' ? "\\" : "",
		    ir->patterns[i].flags & RX_FLAG_ICASE ? "i" : "");
	}
	if (!ir->npatterns)
		put(e, " none");
	put(e, "\n */\n");
}

/* aspen_body_scan(): ASPEN_BODY_RUN bytes at most, the DFA states in
 * registers (one variable each), the prefilter while every DFA is idle. */
static void emit_body_scan(struct emitter *e, const struct body_layout *l, int prefilter)
{
	const struct ir *ir = e->ir;
	size_t n = ir->nbody_dfa;

	put(e, "/* Body bytes buf[(pos & bmask) + j], j < n (at most ASPEN_BODY_RUN; buf holds\n"
	       " * bmask + ASPEN_BODY_RUN bytes at least), through\n"
	       " * the body DFAs from *state, which it updates; ORs the matches into\n"
	       " * *matched. While every DFA is idle a byte the prefilter passes\n"
	       " * (aspen_body_skip[]) moves them without a step. With stop, returns after\n"
	       " * the first byte on which a pattern matched. Returns the bytes scanned. */\n");
	put(e, "#define ASPEN_BODY_RUN %d /* verifier cost: one loop iteration per byte */\n",
	    ASPEN_BODY_RUN_BYTES);
	put(e, "static __always_inline __attribute__((unused)) __u32\n"
	       "aspen_body_scan(__u64 *state, const __u8 *buf, __u64 bmask, __u32 pos, __u32 n,\n"
	       "\t\t__u64 *matched, int stop)\n{\n");
	if (!n) {
		put(e,
		    "\t(void)state;\n\t(void)buf;\n\t(void)bmask;\n\t(void)pos;\n\t(void)matched;\n"
		    "\t(void)stop;\n\treturn n;\n}\n\n");
		return;
	}
	for (size_t g = 0; g < n; g++)
		put(e, "\t__u64 s%zu = (*state >> %zu) & 0xffff;\n", g, g * 16);
	put(e, "\tconst __u8 *p = buf + (pos & bmask);\n");
	put(e, "\t__u64 m = 0;\n\t__u32 j;\n\n");
	put(e, "#pragma clang loop unroll(disable)\n");
	put(e, "\tfor (j = 0; j < ASPEN_BODY_RUN; j++) {\n\t\t__u64 c;\n\n");
	put(e, "\t\tif (j >= n)\n\t\t\tbreak;\n");
	put(e, "\t\tc = p[j];\n");
	if (prefilter) {
		put(e, "\t\tif (");
		for (size_t g = 0; g < n; g++)
			put(e, "%ss%zu < %d", g ? " && " : "", g, l[g].idle * l[g].scale);
		put(e, ") {\n\t\t\t__u64 t = aspen_body_skip[c];\n\n");
		put(e, "\t\t\tif (t != ASPEN_BODY_STEP) {\n");
		for (size_t g = 0; g < n; g++)
			put(e, "\t\t\t\ts%zu = (t >> %zu) & 0xffff;\n", g, g * 16);
		put(e, "\t\t\t\tcontinue;\n\t\t\t}\n\t\t}\n");
	}
	for (size_t g = 0; g < n; g++)
		put(e, "\t\ts%zu = aspen_body%zu_go(s%zu, c, &m);\n", g, g, g);
	put(e, "\t\tif (stop && m) {\n\t\t\tj++;\n\t\t\tbreak;\n\t\t}\n\t}\n");
	put(e, "\t*state = ");
	for (size_t g = 0; g < n; g++)
		put(e, "%s(s%zu << %zu)", g ? " | " : "", g, g * 16);
	put(e, ";\n\t*matched |= m;\n\treturn j;\n}\n\n");
}

static void emit_body_step(struct emitter *e)
{
	const struct ir *ir = e->ir;
	struct body_layout l[IR_BODY_MAX_DFAS] = {{0}};
	uint8_t *idle[IR_BODY_MAX_DFAS] = {0};
	uint64_t skip[256];
	int prefilter = body_idle(ir, idle, skip);
	size_t ok = 0;
	bool tables = true;

	emit_body_patterns_comment(e);
	for (size_t g = 0; g < ir->nbody_dfa; g++) {
		const struct dfa *d = ir->body_dfa[g];

		if (!prefilter && idle[g])
			memset(idle[g], 0, (size_t)d->nstates);
		if (!idle[g] || !body_layout(d, idle[g], &l[g]))
			break;
		ok++;
		if (!l[g].idle)
			prefilter = 0;
		put(e,
		    "/* body DFA %zu of %zu: %d states (%d idle, %d accepting), %d byte classes;\n"
		    " * state bits %zu..%zu: the state x %d */\n",
		    g + 1, ir->nbody_dfa, d->nstates, l[g].idle, d->nstates - l[g].acc, d->nclasses,
		    g * 16, g * 16 + 15, l[g].scale);
		if (!emit_body_tables(e, g, d, &l[g]))
			tables = false;
	}
	if (ok < ir->nbody_dfa || !tables) /* out of memory: a C file that does not build */
		put(e, "#error \"aspenc: out of memory laying out the body DFAs\"\n");
	put(e, "#define ASPEN_BODY_STEP (~0ULL)\n");
	put(e, "#define ASPEN_BODY_PREFILTER %d /* bytes passed without a step when idle */\n",
	    prefilter);
	if (prefilter) {
		put(e, "static const __u64 aspen_body_skip[256] ASPEN_TABLE "
		       "__attribute__((unused)) = {\n");
		for (int c = 0; c < 256; c++) {
			uint64_t v = skip[c];

			if (v != ~0ULL) { /* old state numbers to packed values */
				v = 0;
				for (size_t g = 0; g < ok; g++)
					v |= (uint64_t)(l[g].to[(skip[c] >> (g * 16)) & 0xffff] *
							l[g].scale)
					     << (g * 16);
			}
			put(e, "\t0x%" PRIx64 "ULL,%s", v, c % 4 == 3 ? "\n" : "");
		}
		put(e, "};\n");
	}
	put(e, "/* One step of the body DFAs over byte c: ORs into *matched the patterns a\n"
	       " * match of which ends at c (a match whose last \\b needs the next byte is\n"
	       " * reported on that byte); returns the next state. Start: ASPEN_BODY_START. */\n");
	put(e, "static __always_inline __attribute__((unused)) __u64\n"
	       "aspen_body_step(__u64 state, __u8 c, __u64 *matched)\n{\n");
	if (!ir->nbody_dfa)
		put(e, "\t(void)state;\n\t(void)c;\n\t(void)matched;\n\treturn 0;\n}\n\n");
	else {
		put(e, "\t__u64 next = 0;\n\n");
		for (size_t g = 0; g < ok; g++)
			put(e,
			    "\tnext |= aspen_body%zu_go((state >> %zu) & 0xffff, c, matched) << "
			    "%zu;\n",
			    g, g * 16, g * 16);
		put(e, "\treturn next;\n}\n\n");
	}
	emit_body_scan(e, l, prefilter);
	for (size_t g = 0; g < ir->nbody_dfa; g++) {
		body_layout_free(&l[g]);
		free(idle[g]);
	}
}

/* ---- conditions ------------------------------------------------------------ */

static const char *c_op(enum cmp_op op)
{
	switch (op) {
	case OP_EQ: return "==";
	case OP_NE: return "!=";
	case OP_LT: return "<";
	case OP_LE: return "<=";
	case OP_GT: return ">";
	case OP_GE: return ">=";
	default: return "==";
	}
}

static const char *base(const struct emitter *e, const struct ir_expr *x)
{
	return x->base == IRB_CONN ? e->conn : x->base == IRB_REQ ? "r->" : "";
}

static void emit_cidr(struct emitter *e, const struct ir_expr *x)
{
	put(e, "aspen_ip_in(%saddr, (const __u8[16]){ ", e->conn);
	for (int i = 0; i < 16; i++)
		put(e, "%u%s", x->addr[i], i < 15 ? ", " : "");
	put(e, " }, %d) /* ", x->bits);
	put_comment_text(e, x->text);
	put(e, " */");
}

static void emit_expr(struct emitter *e, const struct ir_expr *x)
{
	switch (x->kind) {
	case IR_TRUE: put(e, "1"); break;
	case IR_FALSE: put(e, "0"); break;
	case IR_AND:
	case IR_OR:
		put(e, "(");
		emit_expr(e, x->a);
		put(e, x->kind == IR_AND ? " && " : " || ");
		emit_expr(e, x->b);
		put(e, ")");
		break;
	case IR_NOT:
		put(e, "!");
		emit_expr(e, x->a);
		break;
	case IR_BITS:
		if (x->mask == ~0ULL)
			put(e, "(%s%s != 0)", base(e, x), x->field);
		else
			put(e, "((%s%s & 0x%" PRIx64 "ULL) != 0)", base(e, x), x->field, x->mask);
		break;
	case IR_INT:
		put(e, "(%s%s %s %" PRId64 ")", base(e, x), x->field, c_op(x->op), x->num);
		break;
	case IR_CIDR: emit_cidr(e, x); break;
	}
}

/* ---- three-valued conditions (request rules) ------------------------------ */
/*
 * A request Aspen could not read whole (r->unparsed) leaves some fields
 * unknown (aspen_unparsed_unseen(): its body, or its model). A condition
 * over them is true, false, or unknown (Kleene's logic); a rule whose
 * condition is unknown depends on what was not seen, and `uninspectable`
 * decides there. T(x) and F(x) below are "x is surely true / false".
 */

/* The local that says whether a leaf's field is known; NULL: always. */
static const char *leaf_known(const struct ir_expr *x)
{
	if (x->kind != IR_BITS)
		return NULL;
	if (x->base == IRB_LOCAL && !strcmp(x->field, "model_bits"))
		return "k_model";
	if (x->base == IRB_LOCAL && !strcmp(x->field, "request_user_bits"))
		return "k_body";
	if (x->base == IRB_REQ) /* flags (request.stream), body_match (request.body) */
		return "k_body";
	return NULL;
}

static bool may_be_unknown(const struct ir_expr *x)
{
	if (!x)
		return false;
	if (x->kind == IR_AND || x->kind == IR_OR || x->kind == IR_NOT)
		return may_be_unknown(x->a) || may_be_unknown(x->b);
	return leaf_known(x) != NULL;
}

static void emit_expr(struct emitter *e, const struct ir_expr *x);
static void put_deny(struct emitter *e, bool monitor, bool kill);

/* want: 1 for T(x), 0 for F(x) */
static void emit_expr3(struct emitter *e, const struct ir_expr *x, int want)
{
	const char *k;

	switch (x->kind) {
	case IR_TRUE: put(e, want ? "1" : "0"); return;
	case IR_FALSE: put(e, want ? "0" : "1"); return;
	case IR_NOT: emit_expr3(e, x->a, !want); return;
	case IR_AND:
	case IR_OR:
		put(e, "(");
		emit_expr3(e, x->a, want);
		/* T(a and b) = T(a) && T(b), F(a and b) = F(a) || F(b); dually for or */
		put(e, (x->kind == IR_AND) == (want != 0) ? " & " : " | ");
		emit_expr3(e, x->b, want);
		put(e, ")");
		return;
	default: break;
	}
	k = leaf_known(x);
	if (k) {
		/* k is a mask, all ones when the field is known: T is "a bit of
		 * the mask is set in the known field", F "none is, and the field
		 * is known". No branch on k itself: the verifier would keep one
		 * state per value of each k through the rest of the chain. */
		const char *kp = e->kpre ? e->kpre : "";

		if (want)
			put(e, "(((%s%s) & %s%s & 0x%" PRIx64 "ULL) != 0)", base(e, x), x->field,
			    kp, k, x->mask);
		else
			put(e, "((((%s%s) | ~%s%s) & 0x%" PRIx64 "ULL) == 0)", base(e, x), x->field,
			    kp, k, x->mask);
		return;
	}
	put(e, "(");
	if (!want)
		put(e, "!");
	emit_expr(e, x);
	put(e, ")");
}

static void put_uninspectable(struct emitter *e, const char *indent)
{
	const char *to = e->to_exit ? "" : "v->";

	put(e, "%s%srule = ASPEN_RULE_UNINSPECTABLE;\n%s%sdecision = ", indent, to, indent, to);
	if (e->ir->uninspectable_deny)
		put_deny(e, e->ir->monitor, false);
	else
		put(e, "ASPEN_ALLOW");
	if (e->to_exit) {
		put(e, ";\n%sgoto decided;\n", indent);
		e->ndecided++;
		return;
	}
	put(e, ";\n%sv->audit = 1;\n%s%s\n", indent, indent, e->ret ? e->ret : "return;");
}

/* ---- aspen_decide_connect ---------------------------------------------------- */

static bool rule_denies(const struct ir_rule *r)
{
	return r->terminal == ACT_DENY || r->terminal == ACT_KILL;
}

/* The decision a deny (or kill) takes: monitor turns it into would_*. */
static void put_deny(struct emitter *e, bool monitor, bool kill)
{
	const char *act = kill ? "KILL" : "DENY";

	if (monitor)
		put(e, "ASPEN_WOULD_%s", act);
	else
		put(e, "(monitor ? ASPEN_WOULD_%s : ASPEN_%s)", act, act);
}

/* a rule with no terminal action only audits */
static const char *terminal_name(int t)
{
	return action_name(t >= 0 ? (enum action_kind)t : ACT_AUDIT);
}

static void emit_rule_comment(struct emitter *e, const struct ir_rule *r)
{
	const struct decl *d = r->decl;

	put(e, "\t/* rule ");
	put_comment_text(e, d->name);
	put(e, " (");
	put_comment_text(e, d->span.src ? d->span.src->path : e->ir->source);
	put(e, ":%u): %s", d->span.line, terminal_name(r->terminal));
	if (r->reason) {
		put(e, " \"");
		put_comment_text(e, r->reason);
		put(e, "\"");
	}
	if (r->terminal >= 0 && r->audit)
		put(e, ", audit");
	put(e, "%s%s */\n", r->on == ON_CONNECT_ANY ? ", every connection" : "",
	    r->monitor ? ", monitor" : "");
	(void)d;
}

static void emit_rule_action(struct emitter *e, const struct ir_rule *r)
{
	if (r->terminal < 0) {
		put(e, "\t\tv->audit = 1;\n");
		put(e, "\t\tif (audit_rule == ASPEN_RULE_NONE)\n");
		put(e, "\t\t\taudit_rule = %d;\n", r->index);
		return;
	}
	put(e, "\t\t%srule = %d;\n", e->to_exit ? "" : "v->", r->index);
	put(e, "\t\t%sdecision = ", e->to_exit ? "" : "v->");
	if (rule_denies(r))
		put_deny(e, r->monitor, r->terminal == ACT_KILL);
	else
		put(e, "ASPEN_ALLOW");
	put(e, ";\n");
	if (e->to_exit) { /* request rules: every decision is audited */
		put(e, "\t\tgoto decided;\n");
		e->ndecided++;
		return;
	}
	/* every decision on AI traffic is audited; elsewhere what a rule stops
	 * (request and response rules see AI traffic only) */
	if (r->on != ON_CONNECT_ANY || r->audit || rule_denies(r))
		put(e, "\t\tv->audit = 1;\n");
	else
		put(e, "\t\tv->audit = ai;\n");
	put(e, "\t\t%s\n", e->ret ? e->ret : "return;");
}

/* An empty asm that may change the function's local masks and memory: clang
 * cannot carry what one rule's condition learnt into the next. */
static void emit_rule_fence(struct emitter *e)
{
	if (e->nfenced++ == 0)
		return;
	put(e, "	asm volatile(\"\"%s : \"memory\"); /* rule fence (emit_c.c) */\n",
	    e->fence[0] ? e->fence : " :");
}

/* Starts a function of n rules whose conditions read the local masks in
 * vars (", "-separated C names, "" for none). */
static void fence_begin(struct emitter *e, size_t n, const char *vars)
{
	e->nfenced = 0;
	e->fence[0] = 0;
	if (n <= FENCE_AFTER_RULES) {
		e->nfenced = -1; /* never fenced */
		return;
	}
	if (vars[0])
		snprintf(e->fence, sizeof(e->fence), " : %s :", vars);
}

static void emit_rule(struct emitter *e, const struct ir_rule *r)
{
	const struct decl *d = r->decl;
	unsigned line = d->when ? d->when->span.line : d->span.line;

	if (!r->cond || (r->terminal < 0 && !r->audit))
		return;
	if (e->nfenced >= 0)
		emit_rule_fence(e);
	emit_rule_comment(e, r);
	put(e, "#line %u \"", line);
	put_cstr(e->out, d->span.src ? d->span.src->path : e->ir->source);
	put(e, "\"\n");
	if (r->on == ON_REQUEST && may_be_unknown(r->cond)) {
		/* surely true: the rule acts; unknown: `uninspectable` decides */
		put(e, "\tif (");
		emit_expr3(e, r->cond, 1);
		put(e, ") {\n");
		put_line_back(e);
		emit_rule_action(e, r);
		put(e, "\t}\n");
		if (r->terminal >= 0) {
			put(e, "#line %u \"", line);
			put_cstr(e->out, d->span.src ? d->span.src->path : e->ir->source);
			put(e, "\"\n");
			put(e, "\tif (!");
			emit_expr3(e, r->cond, 0);
			put(e, ") { /* depends on what was not read */\n");
			put_line_back(e);
			put_uninspectable(e, "\t\t");
			put(e, "\t}\n");
		}
		return;
	}
	put(e, "\tif (%s", r->on == ON_CONNECT ? "ai && " : "");
	emit_expr(e, r->cond);
	put(e, ") {\n");
	put_line_back(e);
	emit_rule_action(e, r);
	put(e, "\t}\n");
}

/* The rules each decision function evaluates. */
static bool in_fn(const struct ir_rule *r, enum rule_on fn)
{
	return fn == ON_CONNECT ? r->on == ON_CONNECT || r->on == ON_CONNECT_ANY : r->on == fn;
}

static size_t count_rules(const struct ir *ir, enum rule_on fn)
{
	size_t n = 0;

	for (size_t i = 0; i < ir->nrules; i++)
		n += in_fn(&ir->rules[i], fn);
	return n;
}

/* Does the function need `monitor` (some enforced deny besides default)? */
static bool needs_monitor_switch(const struct ir *ir, enum rule_on fn)
{
	for (size_t i = 0; i < ir->nrules; i++)
		if (in_fn(&ir->rules[i], fn) && ir->rules[i].cond && rule_denies(&ir->rules[i]) &&
		    !ir->rules[i].monitor)
			return true;
	return false;
}

static bool has_audit_rules(const struct ir *ir, enum rule_on fn)
{
	for (size_t i = 0; i < ir->nrules; i++)
		if (in_fn(&ir->rules[i], fn) && ir->rules[i].cond && ir->rules[i].terminal < 0 &&
		    ir->rules[i].audit)
			return true;
	return false;
}

/* The default decides at connect unless requests are decided one by one. */
static bool default_at_connect(const struct ir *ir)
{
	return !ir->has_request;
}

/* The head of aspen_decide_NAME(ARG, v), the function the templates call:
 * it returns a scalar, and the rules go into an inline body whose head
 * this leaves open. The verifier refuses a subprogram that returns with a
 * pointer to the stack in r0, even a void one ("cannot return stack
 * pointer to the caller"), and clang may leave v there when the function
 * is void: a policy that compiled would not load (1 random policy in
 * 1,200 of `aspenc test --random`, session 42). */
static void decide_head(struct emitter *e, const char *name, const char *arg, const char *argname)
{
	put(e, "static __always_inline void aspen_decide_%s_rules(%s, struct aspen_verdict *v);\n",
	    name, arg);
	put(e,
	    "ASPEN_GEN_FN __attribute__((unused)) __u32\n"
	    "aspen_decide_%s(%s, struct aspen_verdict *v)\n{\n"
	    "\taspen_decide_%s_rules(%s, v);\n"
	    "\treturn 0; /* a scalar in r0, never v */\n}\n\n",
	    name, arg, name, argname);
	put(e, "static __always_inline void\naspen_decide_%s_rules(%s, struct aspen_verdict *v)\n{\n",
	    name, arg);
}

static void emit_decide(struct emitter *e)
{
	const struct ir *ir = e->ir;
	bool audits = has_audit_rules(ir, ON_CONNECT);

	e->conn = "c->";
	put(e, "/* Rules in order; the first terminal action decides (docs/internals.md). */\n");
	decide_head(e, "connect", "const struct aspen_conn *c", "c");
	put(e, "\tconst int ai = c->providers != 0; /* a known provider: AI traffic */\n");
	if (needs_monitor_switch(ir, ON_CONNECT) ||
	    (default_at_connect(ir) && ir->default_deny && !ir->monitor))
		put(e, "\tconst int monitor = aspen_force_monitor(); /* aspend --monitor */\n");
	if (audits)
		put(e, "\t__u16 audit_rule = ASPEN_RULE_NONE;\n");
	put(e, "\n\tv->rule = ASPEN_RULE_NONE;\n\tv->decision = ASPEN_ALLOW;\n\tv->audit = 0;\n\n");
	fence_begin(e, count_rules(ir, ON_CONNECT), ""); /* conditions read c->: memory */
	for (size_t i = 0; i < ir->nrules; i++)
		if (in_fn(&ir->rules[i], ON_CONNECT))
			emit_rule(e, &ir->rules[i]);
	if (!default_at_connect(ir)) {
		/* the policy decides requests: the default applies to each request */
		put(e,
		    "\t/* undecided AI connections are allowed: `default %s` applies to "
		    "each request */\n",
		    ir->default_deny ? "deny" : "allow");
		put(e, "\tif (ai) {\n\t\tv->rule = %s;\n",
		    audits ? "audit_rule" : "ASPEN_RULE_NONE");
		put(e, "\t\tv->decision = ASPEN_ALLOW;\n\t\tv->audit = 1;\n\t\treturn;\n\t}\n");
	} else {
		put(e, "\t/* default %s (AI traffic only) */\n",
		    ir->default_deny ? "deny" : "allow");
		put(e, "\tif (ai) {\n\t\tv->rule = ASPEN_RULE_DEFAULT;\n\t\tv->decision = ");
		if (ir->default_deny)
			put_deny(e, ir->monitor, false);
		else
			put(e, "ASPEN_ALLOW");
		put(e, ";\n\t\tv->audit = 1;\n\t\treturn;\n\t}\n");
	}
	if (audits)
		put(e, "\tif (audit_rule != ASPEN_RULE_NONE)\n\t\tv->rule = audit_rule;\n");
	put(e, "}\n\n");
}

/* aspen_decide_request / aspen_decide_response (docs/internals.md, "TLS
 * plaintext and request decisions"): only AI traffic reaches the rules;
 * every decision on it is audited. */
/* A long request rule chain: its functions, before aspen_decide_request.
 * Each gets the request's masks and known-flags in struct aspen_rq_x and
 * returns 1 when one of its rules decided (v set). */
static void emit_request_chunks(struct emitter *e)
{
	const struct ir *ir = e->ir;
	size_t nrules = count_rules(ir, ON_REQUEST), k = 0, c = 0;
	char vars[256] = "";

	if (nrules <= RULES_PER_FUNCTION)
		return;
	e->conn = "r->conn.";
	put(e, "struct aspen_rq_x {\n\t__u64 k_body, k_model;\n");
	/* the known masks are read from x in every rule (the fence's memory
	 * clobber reloads them): as locals clang kept each mask's bits ANDed
	 * once for the whole chain, spilled past the 512-byte stack */
	e->kpre = "x->";
	for (size_t i = 0; i < sizeof(req_fields) / sizeof(req_fields[0]); i++) {
		const char *pc = pred_class_name(req_fields[i].pc);
		size_t len = strlen(vars);

		if (!ir->preds[req_fields[i].pc].n)
			continue;
		put(e, "\t__u64 %s_bits;\n", pc);
		snprintf(vars + len, sizeof(vars) - len, "%s\"+r\"(%s_bits)", len ? ", " : "", pc);
	}
	put(e, "};\n\n");
	e->ret = "return 1;";
	e->to_exit = true;
	for (size_t i = 0; i < ir->nrules; i++) {
		if (ir->rules[i].on != ON_REQUEST)
			continue;
		if (k % RULES_PER_FUNCTION == 0) {
			/* global: the verifier checks each function once, with
			 * nothing known of r and x, not once per caller state.
			 * aspenc builds them in slices, at once (ASPEN_IN_SLICE,
			 * aspen_generated.h) */
			put(e,
			    "__noinline int\n"
			    "aspen_request_rules_%zu(const struct aspen_req *r, struct "
			    "aspen_verdict *v,\n"
			    "\t\t\tconst struct aspen_rq_x *x);\n",
			    c);
			put(e, "#if ASPEN_IN_SLICE(%zu)\n", c);
			put(e,
			    "__noinline int\n"
			    "aspen_request_rules_%zu(const struct aspen_req *r, struct "
			    "aspen_verdict *v,\n"
			    "\t\t\tconst struct aspen_rq_x *x)\n{\n",
			    c++);
			put(e, "\tif (!r || !v || !x)\n\t\treturn 0;\n");
			put(e, "\tconst int ai __attribute__((unused)) = 1;\n");
			/* aspend --monitor: aspen_decide_request turns the deny
			 * these return into would_deny. Linked, aspen_force_monitor()
			 * here would be a call into the templates' part, a frame past
			 * the verifier's 8 on the write probes' deepest chain
			 * (docs/internals.md, "Two objects, linked") */
			put(e, "\tconst int monitor __attribute__((unused)) = 0;\n");
			put(e, "\t__u16 audit_rule __attribute__((unused)) = ASPEN_RULE_NONE;\n");
			put(e, "\t__u16 rule __attribute__((unused)) = ASPEN_RULE_NONE;\n");
			put(e, "\t__u8 decision __attribute__((unused)) = ASPEN_ALLOW;\n");
			e->ndecided = 0;
			for (size_t f = 0; f < sizeof(req_fields) / sizeof(req_fields[0]); f++)
				if (ir->preds[req_fields[f].pc].n)
					put(e, "\t__u64 %s_bits = x->%s_bits;\n",
					    pred_class_name(req_fields[f].pc),
					    pred_class_name(req_fields[f].pc));
			fence_begin(e, RULES_PER_FUNCTION + 1, vars);
			put(e, "\n");
		}
		emit_rule(e, &ir->rules[i]);
		if (++k % RULES_PER_FUNCTION == 0 || k == nrules) {
			put(e, "\treturn 0;\n");
			if (e->ndecided)
				put(e, "decided:\n\tv->rule = rule;\n\tv->decision = decision;\n"
				       "\tv->audit = 1;\n\treturn 1;\n");
			put(e, "}\n#endif\n\n");
		}
	}
	e->to_exit = false;
	e->ret = NULL;
	e->kpre = NULL;
}

static void emit_decide_tls(struct emitter *e, enum rule_on fn)
{
	const struct ir *ir = e->ir;
	bool req = fn == ON_REQUEST;
	bool audits = has_audit_rules(ir, fn);
	bool any = req ? ir->has_request : ir->has_response;
	bool unins_deny = req && ir->uninspectable_deny && !ir->monitor;
	bool dflt_deny = req && ir->has_request && ir->default_deny && !ir->monitor;

	e->conn = "r->conn.";
	if (req)
		put(e,
		    "/* Request rules in order; the first terminal action decides; a request "
		    "Aspen\n * cannot parse is decided by `uninspectable %s`. */\n",
		    ir->uninspectable_deny ? "deny" : "allow");
	else
		put(e, "/* Response rules in order; the first terminal action decides; otherwise "
		       "allow. */\n");
	decide_head(e, req ? "request" : "response",
		    req ? "const struct aspen_req *r" : "const struct aspen_resp *r", "r");
	if (!any) {
		put(e, "\t/* the policy has no %s rules: allow */\n", req ? "request" : "response");
		put(e, "\t(void)r;\n\tv->rule = ASPEN_RULE_NONE;\n\tv->decision = ASPEN_ALLOW;\n"
		       "\tv->audit = 0;\n}\n\n");
		return;
	}
	put(e, "\tconst int ai = r->conn.providers != 0; /* to a known provider */\n");
	/* the chain's functions leave aspend --monitor to this one */
	if (needs_monitor_switch(ir, fn) || unins_deny || dflt_deny ||
	    (req && count_rules(ir, fn) > RULES_PER_FUNCTION))
		put(e, "\tconst int monitor = aspen_force_monitor(); /* aspend --monitor */\n");
	if (audits)
		put(e, "\t__u16 audit_rule = ASPEN_RULE_NONE;\n");
	put(e, "\n\tv->rule = ASPEN_RULE_NONE;\n\tv->decision = ASPEN_ALLOW;\n\tv->audit = 0;\n");
	if (req) {
		put(e,
		    "\tif (aspen_unparsed_unseen(r->unparsed) == ASPEN_UNSEEN_ALL) {"
		    " /* nothing of it read: uninspectable %s */\n",
		    ir->uninspectable_deny ? "deny" : "allow");
		put_uninspectable(e, "\t\t");
		put(e, "\t}\n");
	}
	put(e, "\tif (!ai)\n\t\treturn; /* not AI traffic: nothing to decide */\n");
	char vars[256] = "";
	size_t nrules = count_rules(ir, fn);

	if (req) {
		for (size_t i = 0; i < sizeof(req_fields) / sizeof(req_fields[0]); i++) {
			const struct req_field *f = &req_fields[i];
			const char *pc = pred_class_name(f->pc);
			size_t len = strlen(vars);

			if (!ir->preds[f->pc].n)
				continue;
			/* not const when fenced: the fence names it as an output */
			put(e, "\t%s__u64 %s_bits = aspen_%s_bits(r->%s);\n",
			    nrules > FENCE_AFTER_RULES ? "" : "const ", pc, pc, f->member);
			snprintf(vars + len, sizeof(vars) - len, "%s\"+r\"(%s_bits)",
				 len ? ", " : "", pc);
		}
		/* what r->unparsed left unknown (docs/language.md) */
		/* a WebSocket head, or a message no model is known for: the
		 * fields only messages carry are unknown (flags UNSEEN_*).
		 * Masks: all ones when known (emit_expr3). */
		const char *kc = nrules > FENCE_AFTER_RULES ? "" : "const ";

		put(e,
		    "\t%s__u64 k_body __attribute__((unused)) =\n"
		    "\t\t(!(r->flags & ASPEN_REQ_UNSEEN_BODY) && (r->unparsed == 0 ||\n"
		    "\t\tr->unparsed == ASPEN_UNPARSED_MODEL_CONFLICT)) ? ~0ULL : 0;\n",
		    kc);
		put(e,
		    "\t%s__u64 k_model __attribute__((unused)) =\n"
		    "\t\t(!(r->flags & ASPEN_REQ_UNSEEN_MODEL) && (r->unparsed == 0 ||\n"
		    "\t\t((r->flags & ASPEN_REQ_PATH_MODEL) &&\n"
		    "\t\t r->unparsed != ASPEN_UNPARSED_MODEL_CONFLICT))) ? ~0ULL : 0;\n",
		    kc);
		if (nrules > FENCE_AFTER_RULES && nrules <= RULES_PER_FUNCTION) {
			size_t len = strlen(vars);

			snprintf(vars + len, sizeof(vars) - len,
				 "%s\"+r\"(k_body), \"+r\"(k_model)", len ? ", " : "");
		}
	}
	if (req && nrules > RULES_PER_FUNCTION) {
		/* the chain in functions of RULES_PER_FUNCTION rules (emitted above) */
		put(e, "\tstruct aspen_rq_x x = { .k_body = k_body, .k_model = k_model");
		for (size_t i = 0; i < sizeof(req_fields) / sizeof(req_fields[0]); i++)
			if (ir->preds[req_fields[i].pc].n)
				put(e, ", .%s_bits = %s_bits", pred_class_name(req_fields[i].pc),
				    pred_class_name(req_fields[i].pc));
		put(e, " };\n\n");
		for (size_t c = 0; c * RULES_PER_FUNCTION < nrules; c++)
			put(e, "\tif (aspen_request_rules_%zu(r, v, &x))\n\t\tgoto decided;\n", c);
	} else {
		fence_begin(e, nrules, vars);
		put(e, "\n");
		for (size_t i = 0; i < ir->nrules; i++)
			if (ir->rules[i].on == fn)
				emit_rule(e, &ir->rules[i]);
	}
	if (req) {
		put(e, "\t/* default %s */\n\tv->rule = ASPEN_RULE_DEFAULT;\n\tv->decision = ",
		    ir->default_deny ? "deny" : "allow");
		if (ir->default_deny)
			put_deny(e, ir->monitor, false);
		else
			put(e, "ASPEN_ALLOW");
		put(e, ";\n\tv->audit = 1;\n");
		if (audits) /* the default decided: it names the rule, not the audit */
			put(e, "\t(void)audit_rule;\n");
		if (nrules > RULES_PER_FUNCTION)
			put(e, "\treturn;\n"
			       "decided: /* by a rule function: aspend --monitor applies here */\n"
			       "\tif (monitor && v->decision == ASPEN_DENY)\n"
			       "\t\tv->decision = ASPEN_WOULD_DENY;\n"
			       "\telse if (monitor && v->decision == ASPEN_KILL)\n"
			       "\t\tv->decision = ASPEN_WOULD_KILL;\n");
	} else {
		put(e, "\t/* no rule decided: allow, audited */\n");
		put(e, "\tv->rule = %s;\n", audits ? "audit_rule" : "ASPEN_RULE_NONE");
		put(e, "\tv->audit = 1;\n");
	}
	put(e, "}\n\n");
}

/* aspen_decide_redact: the patterns to mask, from the rules that redact and
 * whose `when` holds (typecheck.c: head fields only). Rules in monitor mode
 * (and aspend --monitor) mask nothing. */
static void emit_decide_redact(struct emitter *e)
{
	const struct ir *ir = e->ir;
	bool any = false, enforced = false;

	e->conn = "r->conn.";
	for (size_t i = 0; i < ir->nrules; i++) {
		any |= ir->rules[i].redact && ir->rules[i].cond;
		enforced |= ir->rules[i].redact && ir->rules[i].cond && !ir->rules[i].monitor;
	}
	put(e, "/* Patterns to mask in this request (bit = pattern index), decided when the\n"
	       " * head is complete: the redact rules whose `when` holds. */\n");
	put(e, "ASPEN_GEN_FN __attribute__((unused)) __u32\n"
	       "aspen_decide_redact(const struct aspen_req *r)\n{\n");
	if (!enforced) {
		put(e, "\t(void)r;\n\treturn 0; /* %s */\n}\n\n",
		    any ? "redact rules are in monitor mode" : "the policy redacts nothing");
		return;
	}
	put(e, "\t__u32 redact = 0;\n\n");
	put(e, "\tif (r->conn.providers == 0 || r->unparsed != 0 || aspen_force_monitor())\n"
	       "\t\treturn 0;\n");
	for (size_t i = 0; i < sizeof(req_fields) / sizeof(req_fields[0]); i++) {
		const struct req_field *f = &req_fields[i];

		if (ir->preds[f->pc].n)
			put(e, "\tconst __u64 %s_bits = aspen_%s_bits(r->%s);\n\t(void)%s_bits;\n",
			    pred_class_name(f->pc), pred_class_name(f->pc), f->member,
			    pred_class_name(f->pc));
	}
	for (size_t i = 0; i < ir->nrules; i++) {
		const struct ir_rule *r = &ir->rules[i];
		const struct decl *d = r->decl;

		if (!r->redact || !r->cond || r->monitor)
			continue;
		put(e, "\t/* rule ");
		put_comment_text(e, d->name);
		put(e, " (");
		put_comment_text(e, d->span.src ? d->span.src->path : ir->source);
		put(e, ":%u): redact 0x%x */\n", d->span.line, r->redact);
		put(e, "#line %u \"", d->when ? d->when->span.line : d->span.line);
		put_cstr(e->out, d->span.src ? d->span.src->path : ir->source);
		put(e, "\"\n");
		put(e, "\tif (");
		emit_expr(e, r->cond);
		put(e, ")\n");
		put_line_back(e);
		put(e, "\t\tredact |= 0x%xu;\n", r->redact);
	}
	put(e, "\treturn redact;\n}\n\n");
}

int emit_c(const struct ir *ir, FILE *out, const char *c_name)
{
	struct emitter e = {.out = out, .c_name = c_name, .ir = ir};
	char *meta = meta_text(ir);

	if (!meta)
		return -1;
	emit_header(&e);
	emit_class_fn(&e, PC_EXE, "exe", "process.exe", "ASPEN_EXE_LEN");
	emit_class_fn(&e, PC_COMM, "comm", "process.comm", "ASPEN_COMM_LEN");
	emit_req_fns(&e);
	emit_model_paths(&e);
	emit_decide(&e);
	emit_body_step(&e);
	emit_request_chunks(&e);
	emit_decide_tls(&e, ON_REQUEST);
	emit_decide_redact(&e);
	emit_decide_tls(&e, ON_RESPONSE);
	/* aspenc links this, compiled with -DASPEN_PART_GENERATED, with the
	 * templates compiled once (aspen_templates.bpf.h, template_cache.c);
	 * as it stands the file is the whole object */
	put(&e, "#ifdef ASPEN_PART_GENERATED /* linked with the templates' part */\n");
	put(&e, "#if ASPEN_SLICE == 0\n");
	emit_settings(&e);
	put(&e, "#include \"aspen_split.bpf.h\"\n");
	put(&e, "#endif\n");
	put(&e, "#else\n");
	put(&e, "#include \"aspen_connect.bpf.h\"\n");
	/* SEC("syscall") programs run by BPF_PROG_TEST_RUN only: the decision
	 * code for aspenc test, the body scanner for tests/e2e/test_scanner_kernel.sh
	 * and bench/scan.sh; only in the objects built with --test-programs */
	put(&e, "#ifdef ASPEN_TEST_PROGRAMS /* clang -D: aspenc test, aspenc --test-programs */\n");
	put(&e, "#include \"aspen_test.bpf.h\"\n");
	put(&e, "#include \"aspen_scan_test.bpf.h\"\n");
	put(&e, "#endif\n\n");
	put(&e, "char LICENSE[] SEC(\"license\") = \"GPL\";\n");
	put(&e, "#endif\n\n");
	put(&e, "#if ASPEN_SLICE == 0\n");
	put(&e, "/* What aspend needs to know about this object (docs/internals.md) */\n");
	put(&e, "static const char aspen_meta[]\n"
		"\t__attribute__((section(\".aspen.meta\"), used)) =\n");
	meta_emit_c_string(meta, out);
	put(&e, ";\n#endif\n");
	free(meta);
	return ferror(out) ? -1 : 0;
}

int emit_template_c(const struct ir *ir, FILE *out)
{
	struct emitter e = {.out = out, .c_name = "templates.bpf.c", .ir = ir};

	put(&e, "/* The templates' part of policy objects built with these macros\n"
		" * (aspenc, compiler/src/template_cache.c). Do not edit. */\n");
	emit_flags(&e, true);
	put(&e, "#define ASPEN_BODY_RUN %d /* emit_body_scan() */\n", ASPEN_BODY_RUN_BYTES);
	put(&e, "#include \"aspen_templates.bpf.h\"\n");
	return ferror(out) ? -1 : 0;
}

size_t emit_c_slices(const struct ir *ir)
{
	size_t n = count_rules(ir, ON_REQUEST);

	return n > RULES_PER_FUNCTION ? (n + RULES_PER_FUNCTION - 1) / RULES_PER_FUNCTION : 0;
}
