/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AST -> IR (lower.h). Names become bits: a provider is bit i of
 * aspen_conn.providers, a glob on a string field is bit i of its class's
 * predicate word (computed in the kernel for exe/comm and the request
 * fields, by aspend for the others), a pattern is bit i of
 * aspen_req.body_match, so every condition is a handful of mask and
 * integer tests.
 *
 * lower_program(), at the end of this file, in order: providers get their
 * bits; the patterns the rules use get theirs (redacted ones first); each
 * rule's actions and condition are lowered (numbering globs in source
 * order); then the automata the kernel runs are built from the globs and
 * patterns collected (automata_glob.c, automata_body.c).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "preds.h"
#include "sha256.h"

#define MAX_LIST_DEPTH 8 /* lists naming lists: cycles are resolve's job */

struct lower {
	struct ir *ir;
	struct diags *d;
	const struct program *p;
	bool full[PC__COUNT]; /* the class ran out of bits: said once */
};

/* ---- IR nodes ----------------------------------------------------------- */

static struct ir_expr *node(enum ir_kind kind)
{
	struct ir_expr *e = calloc(1, sizeof(*e));

	if (!e)
		abort(); /* as ast_alloc: the compiler cannot go on without memory */
	e->kind = kind;
	return e;
}

static struct ir_expr *binary(enum ir_kind kind, struct ir_expr *a, struct ir_expr *b)
{
	struct ir_expr *e;

	if (!a)
		return b;
	if (!b)
		return a;
	e = node(kind);
	e->a = a;
	e->b = b;
	return e;
}

static struct ir_expr *negate(struct ir_expr *a)
{
	struct ir_expr *e = node(IR_NOT);

	e->a = a;
	return e;
}

static struct ir_expr *bits(const char *field, uint64_t mask, const char *text)
{
	struct ir_expr *e = node(IR_BITS);

	e->field = field;
	e->mask = mask;
	e->text = text ? strdup(text) : NULL;
	return e;
}

static void ir_expr_free(struct ir_expr *e)
{
	if (!e)
		return;
	ir_expr_free(e->a);
	ir_expr_free(e->b);
	free(e->text);
	free(e);
}

/* ---- values: flatten lists and named lists into leaves ------------------ */

struct leaves {
	const struct value **v;
	size_t n;
};

static void flatten(const struct value *v, struct leaves *out, int depth)
{
	if (depth > MAX_LIST_DEPTH)
		return;
	if (v->kind == VAL_LIST) {
		for (size_t i = 0; i < v->nitems; i++)
			flatten(v->items[i], out, depth + 1);
		return;
	}
	if (v->kind == VAL_IDENT && v->ref && v->ref->kind == DECL_LIST && v->ref->items) {
		flatten(v->ref->items, out, depth + 1);
		return;
	}
	out->v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
	if (!out->v)
		abort();
	out->v[out->n++] = v;
}

static bool negated(enum cmp_op op)
{
	return op == OP_NE || op == OP_NOT_IN;
}

static struct ir_expr *unsupported(struct lower *l, const struct expr *e, const char *what)
{
	diag_error(l->d, e->span, NULL,
		   "%s: this version of aspenc does not compile this condition yet", what);
	return NULL;
}

/* ---- provider ----------------------------------------------------------- */

static int provider_index(const struct lower *l, const struct decl *d)
{
	for (size_t i = 0; i < l->ir->nproviders; i++)
		if (l->ir->providers[i].decl == d)
			return (int)i;
	return -1;
}

/* `provider in [a, b, any, unknown]`: a mask test, plus "providers == 0"
 * for unknown (only `on connect any` rules ever see that). */
static struct ir_expr *lower_provider(struct lower *l, const struct expr *e,
				      const struct leaves *lv)
{
	uint64_t mask = 0;
	bool unknown = false;
	struct ir_expr *r = NULL;

	for (size_t i = 0; i < lv->n; i++) {
		const struct value *v = lv->v[i];
		int idx = v->kind == VAL_IDENT && v->ref ? provider_index(l, v->ref) : -1;

		if (v->kind == VAL_IDENT && !v->ref && !strcmp(v->str, "any"))
			mask = ~0ULL;
		else if (v->kind == VAL_IDENT && !v->ref && !strcmp(v->str, "unknown"))
			unknown = true;
		else if (idx >= 0)
			mask |= 1ULL << idx;
		else
			diag_error(l->d, v->span, NULL, "'%s' is not a provider",
				   v->str ? v->str : "value");
	}
	if (mask)
		r = bits("providers", mask, NULL);
	if (unknown)
		r = binary(IR_OR, r, negate(bits("providers", ~0ULL, "unknown")));
	return r ? r : node(IR_FALSE);
}

/* ---- dst.ip ------------------------------------------------------------- */


static struct ir_expr *lower_ip(struct lower *l, const struct leaves *lv)
{
	struct ir_expr *r = NULL;

	for (size_t i = 0; i < lv->n; i++) {
		const struct value *v = lv->v[i];
		struct ir_expr *c = node(IR_CIDR);

		if (v->kind != VAL_STRING || aspen_cidr_parse(v->str, c->addr, &c->bits) < 0) {
			diag_error(l->d, v->span, NULL, "not an IP address or CIDR");
			ir_expr_free(c);
			continue;
		}
		c->text = strdup(v->str);
		r = binary(IR_OR, r, c);
	}
	return r ? r : node(IR_FALSE);
}

/* ---- integer fields ------------------------------------------------------ */

static struct ir_expr *int_cmp(const char *field, enum cmp_op op, int64_t num)
{
	struct ir_expr *e = node(IR_INT);

	/* request/response members are named "r->..." by their callers */
	if (!strncmp(field, "r->", 3)) {
		e->base = IRB_REQ;
		field += 3;
	}
	e->field = field;
	e->op = op;
	e->num = num;
	return e;
}

static struct ir_expr *lower_int(struct lower *l, const struct expr *e, const char *field,
				 const struct leaves *lv)
{
	struct ir_expr *r = NULL;

	if (e->op >= OP_LT && e->op <= OP_GE) {
		if (lv->n == 1 && lv->v[0]->kind == VAL_INT)
			return int_cmp(field, e->op, lv->v[0]->num);
		return unsupported(l, e, "comparison with a non-number");
	}
	for (size_t i = 0; i < lv->n; i++) {
		if (lv->v[i]->kind != VAL_INT) {
			diag_error(l->d, lv->v[i]->span, NULL, "expected a number");
			continue;
		}
		r = binary(IR_OR, r, int_cmp(field, OP_EQ, lv->v[i]->num));
	}
	return r ? r : node(IR_FALSE);
}

/* ---- string fields: glob predicates ------------------------------------- */

static int pred_bit(struct lower *l, enum pred_class pc, const struct value *v)
{
	struct ir_pred_table *t = &l->ir->preds[pc];
	/* cgroup and container bits share aspen_conn.cgroup_bits */
	bool shared = pc == PC_CGROUP || pc == PC_CONTAINER;
	int used = shared ? l->ir->preds[PC_CGROUP].n + l->ir->preds[PC_CONTAINER].n : t->n;
	const char *msg = NULL;
	struct ir_pred *pr;

	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->preds[i].glob, v->str))
			return t->preds[i].bit;
	if (used >= ASPEN_MAX_PREDS) {
		/* once per class: every later glob would repeat the same error */
		if (!l->full[pc])
			diag_error(l->d, v->span,
				   "merge values into fewer globs: one glob such as \"gpt-4o*\" "
				   "takes one bit for every value it matches",
				   "more than %d distinct %s globs in one policy: this is the "
				   "first one past the limit", ASPEN_MAX_PREDS, pred_class_name(pc));
		l->full[pc] = true;
		return -1;
	}
	/* the DFAs that match exe, comm and request field globs in the kernel
	 * are built once all rules are lowered (automata_glob.c) */
	if (aspen_glob_valid(v->str, &msg) != 0) {
		diag_error(l->d, v->span, NULL, "malformed glob '%s': %s", v->str, msg);
		return -1;
	}
	pr = &t->preds[t->n];
	pr->dfa = NULL;
	pr->glob = strdup(v->str);
	pr->span = v->span;
	pr->bit = used;
	t->n++;
	return pr->bit;
}

static struct ir_expr *lower_string(struct lower *l, enum pred_class pc, const char *field,
				    const struct leaves *lv)
{
	struct ir_expr *r;
	uint64_t mask = 0;

	for (size_t i = 0; i < lv->n; i++) {
		const struct value *v = lv->v[i];
		int bit;

		if (v->kind != VAL_STRING) {
			diag_error(l->d, v->span, NULL, "expected a string or glob");
			continue;
		}
		bit = pred_bit(l, pc, v);
		if (bit >= 0)
			mask |= 1ULL << bit;
	}
	if (!mask)
		return node(IR_FALSE);
	r = bits(field, mask, NULL);
	if (pc >= PC_FIRST_REQ)
		r->base = IRB_LOCAL;
	return r;
}

/* request.stream == true|false (`!=` is negated by the caller) */
static struct ir_expr *lower_stream(struct lower *l, const struct leaves *lv)
{
	struct ir_expr *r;

	if (lv->n != 1 || lv->v[0]->kind != VAL_IDENT ||
	    (strcmp(lv->v[0]->str, "true") && strcmp(lv->v[0]->str, "false"))) {
		diag_error(l->d, lv->n ? lv->v[0]->span : (struct span){0}, NULL,
			   "request.stream is true or false");
		return NULL;
	}
	r = bits("flags", ASPEN_REQ_STREAM, "stream");
	r->base = IRB_REQ;
	return strcmp(lv->v[0]->str, "true") ? negate(r) : r;
}

/* ---- patterns ---------------------------------------------------------------- */

static int pattern_index(const struct lower *l, const struct decl *d)
{
	for (size_t i = 0; i < l->ir->npatterns; i++)
		if (l->ir->patterns[i].decl == d)
			return l->ir->patterns[i].index;
	return -1;
}

static struct ir_pattern *add_pattern(struct lower *l, const struct decl *d, struct span at)
{
	struct ir *ir = l->ir;
	struct ir_pattern *p;
	size_t len;

	for (size_t i = 0; i < ir->npatterns; i++)
		if (ir->patterns[i].decl == d)
			return &ir->patterns[i];
	if (ir->npatterns >= IR_MAX_PATTERNS) {
		diag_error(l->d, at, "use fewer patterns in one policy",
			   "more than %d patterns are used by this policy's rules",
			   IR_MAX_PATTERNS);
		return NULL;
	}
	ir->patterns = realloc(ir->patterns, (ir->npatterns + 1) * sizeof(*ir->patterns));
	if (!ir->patterns)
		abort();
	p = &ir->patterns[ir->npatterns];
	memset(p, 0, sizeof(*p));
	p->decl = d;
	p->index = (int)ir->npatterns++;
	len = strlen(d->name) + (d->ns ? strlen(d->ns) + 1 : 0) + 1;
	p->name = malloc(len);
	if (!p->name)
		abort();
	snprintf(p->name, len, "%s%s%s", d->ns ? d->ns : "", d->ns ? "." : "", d->name);
	for (const char *f = d->flags; f && *f; f++)
		p->flags |= *f == 'i' ? RX_FLAG_ICASE : 0;
	return p;
}

static void collect_matches(struct lower *l, const struct expr *e)
{
	if (!e)
		return;
	if (e->kind == EXPR_CMP) {
		if (e->op == OP_MATCHES && e->rhs_val && e->rhs_val->ref &&
		    e->rhs_val->ref->kind == DECL_PATTERN)
			add_pattern(l, e->rhs_val->ref, e->rhs_val->span);
		return;
	}
	collect_matches(l, e->lhs);
	collect_matches(l, e->rhs);
}

/* Redacted patterns first (aspen_verdict.redact has 32 bits), then those
 * only `matches` reads. */
static void collect_patterns(struct lower *l)
{
	const struct program *p = l->p;

	for (size_t i = 0; i < p->nrules; i++) {
		const struct decl *r = p->rules[i];

		for (size_t j = 0; j < r->nactions; j++) {
			const struct action *a = &r->actions[j];
			struct ir_pattern *pat;

			if (a->kind != ACT_REDACT || !a->target || !a->target->ref ||
			    a->target->ref->kind != DECL_PATTERN)
				continue;
			pat = add_pattern(l, a->target->ref, a->target->span);
			if (!pat)
				continue;
			if (pat->index >= IR_MAX_REDACT) {
				diag_error(l->d, a->target->span, NULL,
					   "more than %d patterns are redacted by this policy",
					   IR_MAX_REDACT);
				continue;
			}
			if (pat->redact && strcmp(pat->mask ? pat->mask : "*", a->mask ? a->mask : "*")) {
				diag_error(l->d, a->span, "use one mask per pattern",
					   "pattern '%s' is redacted with two different masks",
					   pat->name);
				diag_report(l->d, DIAG_NOTE, pat->mask_span, NULL,
					    "the other mask is here");
			}
			if (!pat->redact) {
				pat->mask = a->mask;
				pat->mask_span = a->span;
			}
			pat->redact = true;
		}
	}
	for (size_t i = 0; i < p->nrules; i++)
		collect_matches(l, p->rules[i]->when);
}

/* ---- comparisons ---------------------------------------------------------- */

static struct ir_expr *lower_cmp(struct lower *l, const struct expr *e)
{
	struct leaves lv = {0};
	struct ir_expr *r;

	if (!e->rhs_val)
		return unsupported(l, e, "comparison without a value");
	if (e->op == OP_MATCHES) {
		int idx = e->rhs_val->ref ? pattern_index(l, e->rhs_val->ref) : -1;

		if (idx < 0)
			return unsupported(l, e, "'matches' without a pattern");
		r = bits("body_match", 1ULL << idx, e->rhs_val->str);
		r->base = IRB_REQ;
		return r;
	}
	flatten(e->rhs_val, &lv, 0);
	switch (e->field) {
	case F_PROVIDER: r = lower_provider(l, e, &lv); break;
	case F_DST_IP: r = lower_ip(l, &lv); break;
	case F_DST_PORT: r = lower_int(l, e, "port", &lv); break;
	case F_PROC_PID: r = lower_int(l, e, "tgid", &lv); break;
	case F_PROC_UID: r = lower_int(l, e, "uid", &lv); break;
	case F_PROC_GID: r = lower_int(l, e, "gid", &lv); break;
	case F_DST_HOST: r = lower_string(l, PC_HOST, "host_bits", &lv); break;
	case F_PROC_EXE: r = lower_string(l, PC_EXE, "exe_bits", &lv); break;
	case F_PROC_COMM: r = lower_string(l, PC_COMM, "comm_bits", &lv); break;
	case F_PROC_USER: r = lower_string(l, PC_USER, "user_bits", &lv); break;
	case F_PROC_CGROUP: r = lower_string(l, PC_CGROUP, "cgroup_bits", &lv); break;
	case F_CONTAINER_ID: r = lower_string(l, PC_CONTAINER, "cgroup_bits", &lv); break;
	case F_HTTP_METHOD: r = lower_string(l, PC_METHOD, "method_bits", &lv); break;
	case F_HTTP_PATH: r = lower_string(l, PC_PATH, "path_bits", &lv); break;
	case F_HTTP_HOST: r = lower_string(l, PC_HTTP_HOST, "http_host_bits", &lv); break;
	case F_REQ_MODEL: r = lower_string(l, PC_MODEL, "model_bits", &lv); break;
	case F_REQ_USER: r = lower_string(l, PC_REQ_USER, "request_user_bits", &lv); break;
	case F_REQ_STREAM: r = lower_stream(l, &lv); break;
	case F_RESP_STATUS: r = lower_int(l, e, "r->status", &lv); break;
	case F_RESP_TOKENS: r = lower_int(l, e, "r->tokens_in + r->tokens_out", &lv); break;
	default: r = unsupported(l, e, e->field_name ? e->field_name : "field"); break;
	}
	free(lv.v);
	/* `!=` and `not in` were lowered as `==` / `in` */
	return r && negated(e->op) ? negate(r) : r;
}

static struct ir_expr *lower_expr(struct lower *l, const struct expr *e)
{
	if (!e)
		return node(IR_TRUE);
	switch (e->kind) {
	case EXPR_TRUE: return node(IR_TRUE);
	case EXPR_AND:
	case EXPR_OR: {
		/* left first, in sequence: predicate bits follow source order */
		struct ir_expr *a = lower_expr(l, e->lhs);
		struct ir_expr *b = lower_expr(l, e->rhs);

		return binary(e->kind == EXPR_AND ? IR_AND : IR_OR, a, b);
	}
	case EXPR_NOT: {
		struct ir_expr *a = lower_expr(l, e->lhs);

		return a ? negate(a) : NULL;
	}
	case EXPR_CMP: return lower_cmp(l, e);
	}
	return NULL;
}

/* ---- rules ------------------------------------------------------------------ */

static void lower_actions(struct lower *l, const struct decl *r, struct ir_rule *ir)
{
	ir->terminal = -1;
	for (size_t i = 0; i < r->nactions; i++) {
		const struct action *a = &r->actions[i];

		switch (a->kind) {
		case ACT_ALLOW:
		case ACT_DENY:
			ir->terminal = (int)a->kind;
			if (a->kind == ACT_DENY)
				ir->reason = a->reason;
			break;
		case ACT_AUDIT: ir->audit = true; break;
		case ACT_KILL:
			/* the TLS templates send SIGKILL; connect hooks only refuse */
			if (r->on == ON_REQUEST || r->on == ON_RESPONSE) {
				ir->terminal = ACT_KILL;
				break;
			}
			diag_error(l->d, a->span, "use 'deny', or 'kill' in an 'on request' rule",
				   "action 'kill' in 'on %s' rules is not compiled by this "
				   "version of aspenc yet",
				   r->on == ON_CONNECT ? "connect" : "connect any");
			break;
		case ACT_REDACT: {
			int idx = a->target && a->target->ref ? pattern_index(l, a->target->ref) : -1;

			if (idx >= 0 && idx < IR_MAX_REDACT)
				ir->redact |= 1u << idx;
			break;
		}
		case ACT_ALERT:
			diag_error(l->d, a->span, NULL,
				   "action 'alert' is not compiled by this version of aspenc yet");
			break;
		}
	}
}

static void lower_rule(struct lower *l, const struct decl *r, struct ir_rule *ir)
{
	enum mode mode = r->mode != MODE_UNSET ? r->mode : l->p->root->mode;

	ir->decl = r;
	ir->index = r->index;
	ir->on = r->on;
	ir->monitor = mode == MODE_MONITOR;
	l->ir->has_request |= r->on == ON_REQUEST;
	l->ir->has_response |= r->on == ON_RESPONSE;
	lower_actions(l, r, ir);
	ir->cond = lower_expr(l, r->when);
}

static int lower_providers(struct lower *l)
{
	const struct program *p = l->p;

	l->ir->providers = calloc(p->nproviders ? p->nproviders : 1, sizeof(struct ir_provider));
	if (!l->ir->providers)
		abort();
	for (size_t i = 0; i < p->nproviders; i++) {
		if (i >= ASPEN_MAX_PROVIDERS) {
			diag_error(l->d, p->providers[i]->name_span, NULL,
				   "more than %d providers are visible from this policy",
				   ASPEN_MAX_PROVIDERS);
			return -1;
		}
		l->ir->providers[i].decl = p->providers[i];
		l->ir->providers[i].index = (int)i;
		l->ir->nproviders++;
	}
	return 0;
}

/* Wildcard provider hosts cannot be resolved ahead of time: aspend must
 * learn their addresses from DNS answers. */
static bool wants_dns(const struct program *p)
{
	for (size_t i = 0; i < p->nproviders; i++) {
		const struct value *h = p->providers[i]->hosts;

		for (size_t j = 0; h && j < h->nitems; j++)
			if (h->items[j]->str && strpbrk(h->items[j]->str, "*?["))
				return true;
	}
	return false;
}

int lower_program(const struct program *p, struct ir *ir, struct diags *d)
{
	struct lower l = {.ir = ir, .d = d, .p = p};
	const struct policy *root = p->root;
	int errors = diags_errors(d);

	memset(ir, 0, sizeof(*ir));
	ir->prog = p;
	ir->source = root->src ? root->src->path : "policy.asp";
	ir->name = root->name ? root->name : ir->source;
	if (root->src)
		aspen_sha256_hex(root->src->text, root->src->len, ir->sha256);
	else
		aspen_sha256_hex("", 0, ir->sha256);
	ir->monitor = root->mode == MODE_MONITOR;
	ir->default_deny = root->default_deny == 1;
	lower_providers(&l);
	ir->rules = calloc(p->nrules ? p->nrules : 1, sizeof(struct ir_rule));
	if (!ir->rules)
		abort();
	collect_patterns(&l);
	for (size_t i = 0; i < p->nrules; i++)
		lower_rule(&l, p->rules[i], &ir->rules[ir->nrules++]);
	ir->uninspectable_deny = root->uninspectable_deny != 0; /* unset (-1): deny */
	ir->fronting_deny = root->fronting_deny != 0;           /* unset (-1): deny */
	ir->need_dns = wants_dns(p);
	ir->need_sendmsg = true; /* QUIC (UDP 443) to a provider is decided too */
	ir->need_body_scan = ir->npatterns > 0;
	/* the automata the kernel runs over strings and bodies */
	automata_process_globs(ir, d);
	if (diags_errors(d) == errors)
		automata_body(ir, d);
	automata_request_fields(ir, d);
	automata_hosts(ir, d); /* Host headers, and every policy's ClientHello SNI */
	return diags_errors(d) > errors ? -1 : 0;
}

void ir_free(struct ir *ir)
{
	for (size_t i = 0; i < ir->nrules; i++)
		ir_expr_free(ir->rules[i].cond);
	for (int c = 0; c < PC__COUNT; c++) {
		for (int i = 0; i < ir->preds[c].n; i++) {
			free(ir->preds[c].preds[i].glob);
			dfa_free(ir->preds[c].preds[i].dfa);
		}
	}
	for (int c = 0; c < PC__COUNT; c++)
		mdfa_free(&ir->req_dfa[c]);
	mdfa_free(&ir->host_dfa);
	for (size_t i = 0; i < ir->npatterns; i++)
		free(ir->patterns[i].name);
	free(ir->patterns);
	for (size_t i = 0; i < ir->nbody_dfa; i++)
		dfa_free(ir->body_dfa[i]);
	free(ir->rules);
	free(ir->providers);
	memset(ir, 0, sizeof(*ir));
}
