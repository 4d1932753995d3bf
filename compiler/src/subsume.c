/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rules covered by the rules before them: the analyse pass's search
 * (analyse.c calls subsume_program()).
 *
 * Rules run in order and the first terminal action decides, so a rule is
 * dead when every connection (request, response) its `when` holds for is
 * decided first by earlier terminal rules: by one (`model == "gpt-4o"`
 * after `model in ["gpt-4o*"]`) or by several together (`uid == 0` after
 * `uid < 1000` and `uid >= 1000`). A `redact` is dead when every request
 * it would mask is denied first; an earlier `allow` does not stop it
 * (redactions are not ordered: docs/language.md). A `when` no value can
 * satisfy is reported too.
 *
 * How: each field the rules read is cut into the few values that tell its
 * comparisons apart (representatives), and a search assigns them one field
 * at a time, evaluating every condition in Kleene's three values (a field
 * not assigned yet is unknown). A branch where the rule holds and no earlier
 * rule can is a witness: the rule can fire. No witness anywhere: it cannot.
 * The representatives are exact, every combination of truth values the
 * comparisons of a field can take is taken by one of them:
 *   integers   the field's minimum, each literal v and v + 1 (every interval
 *              the comparisons cut starts at one of them)
 *   strings    the states of one DFA over the field's globs (glob_dfa.h),
 *              each standing for the set of globs it accepts; plus "no
 *              value" for fields that can be unknown (process.exe of a
 *              process gone); when the rule requires one of a few literals,
 *              just those
 *   dst.host   a connection has several names: every union of the above
 *   provider   a set: every subset of the providers named, with and without
 *              one not named
 *   dst.ip     0, and the first address of each CIDR and the one after it
 *   matches    each pattern true or false
 * Fields are taken as independent of each other (a provider and the host it
 * is named by; two patterns that match the same text). That adds worlds that
 * do not exist, which can only hide a warning, never make a wrong one; so
 * does giving up on a rule whose search is too big (SUB_BUDGET).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fields.h"
#include "glob.h"
#include "glob_dfa.h"
#include "passes.h"
#include "preds.h"

#define SUB_MAX_DIMS 256    /* fields + patterns one check reads   */
#define SUB_MAX_GLOBS 64    /* strings of one field in one check   */
#define SUB_MAX_REPS 256    /* representatives of one field        */
#define SUB_MAX_CONJ 16	    /* top-level comparisons kept per rule */
#define SUB_MAX_NAMED 8	    /* providers named in one check        */
#define SUB_DFA_STATES 4096 /* the DFA of one field's globs        */
#define SUB_BUDGET 200000   /* condition evaluations for one rule  */
#define SUB_TOTAL 20000000  /* and for the whole policy            */

enum tv { TV_FALSE = 0, TV_TRUE = 1, TV_UNKNOWN = 2 };

/* One comparison, its list literals expanded. */
struct atom {
	int dim; /* field id, or F__COUNT + pattern index */
	enum field_type type;
	enum cmp_op op;
	bool neg;	   /* != and not in */
	bool icase, multi; /* glob fields: ASCII case; several values (dst.host) */
	const struct value **v;
	size_t n;
	bool literal;	/* every value exact (no glob characters) */
	uint64_t pbits; /* provider: those named */
	bool any, unknown;
	uint64_t bits;			  /* glob fields: bits in the current check's table */
	uint64_t wide[SUB_MAX_REPS / 64]; /* or, by index: the strings it holds for */
};

struct cnode {
	enum expr_kind kind;
	struct cnode *l, *r;
	struct atom *a;
};

/* A rule as the search sees it. */
struct cond {
	const struct decl *rule;
	struct cnode *when; /* NULL: always */
	bool ok;	    /* every comparison understood */
	bool need_ai;	    /* sees AI traffic only */
	bool terminal, deny, observe, redact;
	uint64_t dims[SUB_MAX_DIMS / 64];
	struct atom *conj[SUB_MAX_CONJ]; /* positive top-level comparisons */
	size_t nconj;
	struct atom **atoms; /* all, for the tables */
	size_t natoms;
};

struct dimrep {
	int dim;
	enum field_type type;
	size_t n;
	uint64_t rep[SUB_MAX_REPS];
	const char *glob[SUB_MAX_GLOBS]; /* glob fields: bit i of a value */
	size_t nglob;
	/* a field of more exact strings than a mask holds: a value is the
	 * index of one of them (nlit: none of them) */
	bool by_index;
	size_t nlit;
	uint8_t addr[SUB_MAX_REPS][16]; /* dst.ip: rep[] indexes these */
	const char *lit[SUB_MAX_REPS - 1];
};

struct check {
	const struct program *p;
	const struct cond *r;
	const struct cond **cands;
	size_t ncands;
	struct dimrep *dims;
	size_t ndims;
	int slot[SUB_MAX_DIMS];
	bool set[SUB_MAX_DIMS];
	uint64_t val[SUB_MAX_DIMS];
	long budget;
	bool blame; /* the search: find which rule decides first, exactly */
	/* r only masks: the cands are every terminal rule of requests, a
	 * deny covers, an allow lets the masking apply, and so does the
	 * default unless it denies */
	bool redact, default_denies;
	bool *hit, hit_default;
	/* the provider sets a Host header can name (reps_provider_hosts());
	 * nhost_sets 0: not known yet, -1: too many */
	uint64_t host_sets[SUB_MAX_REPS];
	long nhost_sets;
	int *live; /* (ndims + 2) rows of ncands */
};

/* ---- comparisons -------------------------------------------------------- */

static void collect(const struct value *v, struct atom *a, int depth)
{
	if (!v || depth > 8)
		return;
	if (v->kind == VAL_LIST) {
		for (size_t i = 0; i < v->nitems; i++)
			collect(v->items[i], a, depth + 1);
		return;
	}
	if (v->kind == VAL_IDENT && v->ref && v->ref->kind == DECL_LIST) {
		collect(v->ref->items, a, depth + 1);
		return;
	}
	a->v = realloc(a->v, (a->n + 1) * sizeof(*a->v));
	if (!a->v)
		abort();
	a->v[a->n++] = v;
}

static int pattern_dim(const struct program *p, const struct decl *pat)
{
	for (size_t i = 0; i < p->npatterns; i++)
		if (p->patterns[i] == pat && F__COUNT + i < SUB_MAX_DIMS)
			return (int)(F__COUNT + i);
	return -1;
}

static int provider_bit(const struct program *p, const struct decl *d)
{
	for (size_t i = 0; i < p->nproviders && i < 64; i++)
		if (p->providers[i] == d)
			return (int)i;
	return -1;
}

/* Fill a from x; false when the search cannot read it. */
static bool atom_init(const struct program *p, const struct expr *x, struct atom *a)
{
	a->op = x->op;
	a->neg = x->op == OP_NE || x->op == OP_NOT_IN;
	if (x->op == OP_MATCHES) {
		const struct value *v = x->rhs_val;

		a->type = FT_BODY;
		a->dim = v && v->ref && v->ref->kind == DECL_PATTERN ? pattern_dim(p, v->ref) : -1;
		return x->field == F_REQ_BODY && a->dim >= 0;
	}
	if (x->field <= F_NONE || x->field >= F__COUNT)
		return false;
	a->dim = x->field;
	a->type = field_get(x->field)->type;
	a->icase = x->field == F_HTTP_METHOD || x->field == F_HTTP_HOST || x->field == F_DST_HOST;
	a->multi = x->field == F_DST_HOST;
	collect(x->rhs_val, a, 0);
	a->literal = a->n > 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct value *v = a->v[i];

		switch (a->type) {
		case FT_GLOB:
		case FT_IP:
			if (v->kind != VAL_STRING)
				return false;
			a->literal &= !strpbrk(v->str, "*?[\\");
			break;
		case FT_INT:
			if (v->kind != VAL_INT)
				return false;
			break;
		case FT_PROVIDER: {
			int b = v->ref ? provider_bit(p, v->ref) : -1;

			if (v->kind != VAL_IDENT)
				return false;
			if (!v->ref && !strcmp(v->str, "any"))
				a->any = true;
			else if (!v->ref && !strcmp(v->str, "unknown"))
				a->unknown = true;
			else if (b >= 0)
				a->pbits |= 1ULL << b;
			else
				return false;
			break;
		}
		case FT_BOOL:
			if (v->kind != VAL_IDENT || a->n != 1)
				return false;
			break;
		default: return false;
		}
	}
	return a->type != FT_INT || a->op < OP_LT || a->op > OP_GE || a->n == 1;
}

static bool glob_hit(const struct atom *a, const char *s)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->icase ? aspen_glob_match_ci(a->v[i]->str, s)
			     : aspen_glob_match(a->v[i]->str, s))
			return true;
	return false;
}

static bool int_hit(const struct atom *a, int64_t x)
{
	int64_t y = a->n ? a->v[0]->num : 0;

	switch (a->op) {
	case OP_LT: return x < y;
	case OP_LE: return x <= y;
	case OP_GT: return x > y;
	case OP_GE: return x >= y;
	default: break;
	}
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i]->num == x)
			return true;
	return false;
}

static bool ip_hit(const struct atom *a, const uint8_t addr[16])
{
	for (size_t i = 0; i < a->n; i++) {
		uint8_t net[16];
		int bits, k;

		if (aspen_cidr_parse(a->v[i]->str, net, &bits) < 0)
			continue;
		for (k = 0; k < bits; k++)
			if (((addr[k / 8] ^ net[k / 8]) >> (7 - k % 8)) & 1)
				break;
		if (k == bits)
			return true;
	}
	return false;
}

static enum tv atom_eval(const struct check *c, const struct atom *a)
{
	uint64_t v = c->val[a->dim];
	bool r = false;

	if (!c->set[a->dim])
		return TV_UNKNOWN;
	switch (a->type) {
	case FT_PROVIDER: r = (v & a->pbits) || (a->any && v) || (a->unknown && !v); break;
	case FT_INT: r = int_hit(a, (int64_t)v); break;
	case FT_GLOB: {
		const struct dimrep *d = &c->dims[c->slot[a->dim]];

		r = d->by_index ? v < d->nlit && ((a->wide[v / 64] >> (v % 64)) & 1)
				: (v & a->bits) != 0;
		break;
	}
	case FT_IP: r = ip_hit(a, c->dims[c->slot[a->dim]].addr[v]); break;
	case FT_BOOL: r = v == (uint64_t)!strcmp(a->v[0]->str, "true"); break;
	case FT_BODY: r = v != 0; break;
	}
	return (r != a->neg) ? TV_TRUE : TV_FALSE;
}

static enum tv node_eval(const struct check *c, const struct cnode *x)
{
	enum tv a, b;

	if (!x)
		return TV_TRUE;
	switch (x->kind) {
	case EXPR_TRUE: return TV_TRUE;
	case EXPR_CMP: return atom_eval(c, x->a);
	case EXPR_NOT:
		a = node_eval(c, x->l);
		return a == TV_UNKNOWN ? TV_UNKNOWN : a == TV_TRUE ? TV_FALSE : TV_TRUE;
	case EXPR_AND:
	case EXPR_OR: {
		enum tv stop = x->kind == EXPR_AND ? TV_FALSE : TV_TRUE;

		a = node_eval(c, x->l);
		if (a == stop)
			return stop;
		b = node_eval(c, x->r);
		if (b == stop)
			return stop;
		return a == TV_UNKNOWN || b == TV_UNKNOWN ? TV_UNKNOWN : a;
	}
	}
	return TV_UNKNOWN;
}

static enum tv cond_eval(const struct check *c, const struct cond *k)
{
	enum tv ai = TV_TRUE;

	if (k->need_ai)
		ai = !c->set[F_PROVIDER] ? TV_UNKNOWN : c->val[F_PROVIDER] ? TV_TRUE : TV_FALSE;
	if (ai == TV_FALSE)
		return TV_FALSE;
	enum tv w = node_eval(c, k->when);

	return w == TV_FALSE			       ? TV_FALSE
	       : (ai == TV_UNKNOWN || w == TV_UNKNOWN) ? TV_UNKNOWN
						       : TV_TRUE;
}

/* ---- rules -------------------------------------------------------------- */

static void cond_add_dim(struct cond *k, int dim)
{
	k->dims[dim / 64] |= 1ULL << (dim % 64);
}

static struct cnode *cnode_build(const struct program *p, struct cond *k, const struct expr *x,
				 bool top)
{
	struct cnode *n = calloc(1, sizeof(*n));

	if (!n)
		abort();
	n->kind = x->kind;
	if (x->kind == EXPR_AND || x->kind == EXPR_OR) {
		n->l = cnode_build(p, k, x->lhs, top && x->kind == EXPR_AND);
		n->r = cnode_build(p, k, x->rhs, top && x->kind == EXPR_AND);
	} else if (x->kind == EXPR_NOT) {
		n->l = cnode_build(p, k, x->lhs, false);
	} else if (x->kind == EXPR_CMP) {
		n->a = calloc(1, sizeof(*n->a));
		if (!n->a)
			abort();
		if (!atom_init(p, x, n->a) || n->a->dim < 0 || n->a->dim >= SUB_MAX_DIMS) {
			k->ok = false;
			return n;
		}
		cond_add_dim(k, n->a->dim);
		k->atoms = realloc(k->atoms, (k->natoms + 1) * sizeof(*k->atoms));
		if (!k->atoms)
			abort();
		k->atoms[k->natoms++] = n->a;
		if (top && !n->a->neg && !n->a->multi && k->nconj < SUB_MAX_CONJ &&
		    (n->a->type == FT_GLOB || n->a->type == FT_INT))
			k->conj[k->nconj++] = n->a;
	}
	return n;
}

static void cnode_free(struct cnode *n)
{
	if (!n)
		return;
	cnode_free(n->l);
	cnode_free(n->r);
	if (n->a)
		free(n->a->v);
	free(n->a);
	free(n);
}

static void cond_init(const struct program *p, const struct decl *r, struct cond *k)
{
	bool monitor =
	    r->mode != MODE_UNSET ? r->mode == MODE_MONITOR : p->root->mode == MODE_MONITOR;

	memset(k, 0, sizeof(*k));
	k->rule = r;
	k->ok = true;
	k->need_ai = r->on != ON_CONNECT_ANY;
	if (k->need_ai)
		cond_add_dim(k, F_PROVIDER);
	for (size_t i = 0; i < r->nactions; i++) {
		enum action_kind a = r->actions[i].kind;

		k->terminal |= a == ACT_ALLOW || a == ACT_DENY || a == ACT_KILL;
		k->deny |= (a == ACT_DENY || a == ACT_KILL) && !monitor;
		k->observe |= a == ACT_AUDIT || a == ACT_ALERT;
		k->redact |= a == ACT_REDACT && !monitor;
	}
	if (r->when)
		k->when = cnode_build(p, k, r->when, true);
}

/* Does a rule of kind `on` see traffic of kind `of`? (`on connect any`
 * rules and `on connect` rules both see AI connections.) */
static bool same_traffic(enum rule_on on, enum rule_on of)
{
	bool conn_on = on == ON_CONNECT || on == ON_CONNECT_ANY;
	bool conn_of = of == ON_CONNECT || of == ON_CONNECT_ANY;

	return on == of || (conn_on && conn_of);
}

/* Can the exact values r requires of some field hold for s's requirement
 * on it? false: r and s never hold together (a cheap test that keeps most
 * earlier rules of a big policy out of the search). */
static bool may_overlap(const struct cond *r, const struct cond *s)
{
	for (size_t i = 0; i < r->nconj; i++) {
		const struct atom *a = r->conj[i];

		if (!a->literal || (a->type == FT_INT && a->op != OP_EQ && a->op != OP_IN))
			continue;
		for (size_t j = 0; j < s->nconj; j++) {
			const struct atom *b = s->conj[j];
			bool any = false;

			if (b->dim != a->dim)
				continue;
			for (size_t k = 0; k < a->n && !any; k++)
				any = a->type == FT_INT ? int_hit(b, a->v[k]->num)
							: glob_hit(b, a->v[k]->str);
			if (!any)
				return false;
		}
	}
	return true;
}

/* ---- representatives ---------------------------------------------------- */

static bool rep_add(struct dimrep *d, uint64_t v)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->rep[i] == v)
			return true;
	if (d->n == SUB_MAX_REPS)
		return false;
	d->rep[d->n++] = v;
	return true;
}

/* the rule checked and the earlier ones, i <= c->ncands */
static const struct cond *check_cond(const struct check *c, size_t i)
{
	return i < c->ncands ? c->cands[i] : c->r;
}

/* every comparison of the check on dimension `want`, in a */
#define FOR_ATOMS(c, want, a)                                                                      \
	for (size_t ci_ = 0; ci_ <= (c)->ncands; ci_++)                                            \
		for (size_t ai_ = 0; ai_ < check_cond(c, ci_)->natoms; ai_++)                      \
			if (((a) = check_cond(c, ci_)->atoms[ai_])->dim == (want))

static bool reps_int(struct check *c, struct dimrep *d, const struct atom *req)
{
	const struct field_info *f = field_get((enum field_id)d->dim);
	struct atom *a;

	if (req) {
		for (size_t i = 0; i < req->n; i++)
			if (!rep_add(d, (uint64_t)req->v[i]->num))
				return false;
		return true;
	}
	if (!rep_add(d, (uint64_t)f->min))
		return false;
	FOR_ATOMS(c, d->dim, a)
	{
		for (size_t i = 0; i < a->n; i++) {
			int64_t v = a->v[i]->num;

			if (v >= f->min && v <= f->max && !rep_add(d, (uint64_t)v))
				return false;
			if (v >= f->min - 1 && v < f->max && !rep_add(d, (uint64_t)(v + 1)))
				return false;
		}
	}
	return true;
}

static bool glob_index(struct dimrep *d, const char *s, size_t *at)
{
	for (size_t i = 0; i < d->nglob; i++)
		if (!strcmp(d->glob[i], s)) {
			*at = i;
			return true;
		}
	if (d->nglob == SUB_MAX_GLOBS)
		return false;
	d->glob[d->nglob] = s;
	*at = d->nglob++;
	return true;
}

/* Every mask some string gets: the OR of bits[i] over the globs[i] that
 * accept it (a state of the globs' DFA reached by a C string). */
static bool glob_masks(const char *const *globs, const uint64_t *bits, size_t nglobs, bool icase,
		       uint64_t *masks, size_t *n)
{
	char err[160];
	struct dfa *m;
	int *queue;
	bool *seen, ok = true;
	size_t head = 0, tail = 0;

	m = glob_dfa_build_multi(globs, bits, nglobs, icase ? GLOB_DFA_ICASE : 0, SUB_DFA_STATES,
				 err, sizeof(err));
	if (!m)
		return false;
	queue = calloc((size_t)m->nstates, sizeof(*queue));
	seen = calloc((size_t)m->nstates, sizeof(*seen));
	if (!queue || !seen)
		abort();
	seen[0] = true;
	queue[tail++] = 0;
	*n = 0;
	while (head < tail && ok) {
		int s = queue[head++];
		size_t i;

		for (i = 0; i < *n && masks[i] != m->mask[s]; i++)
			;
		if (i == *n) {
			ok = *n < SUB_MAX_REPS;
			if (ok)
				masks[(*n)++] = m->mask[s];
		}
		/* strings are C strings: no step on byte 0 */
		for (int b = 1; b < 256; b++) {
			int t = m->next[s * m->nclasses + m->cls[b]];

			if (!seen[t]) {
				seen[t] = true;
				queue[tail++] = t;
			}
		}
	}
	free(queue);
	free(seen);
	dfa_free(m);
	return ok;
}

static bool same_string(const char *a, const char *b, bool icase)
{
	return icase ? !strcasecmp(a, b) : !strcmp(a, b);
}

/* glob_masks() when every string of the table is exact (no glob
 * character), without a DFA: each string's own mask (the strings it
 * equals, ignoring case with icase), and 0 (any other string). */
static void literal_masks(const struct dimrep *d, bool icase, uint64_t *masks, size_t *n)
{
	*n = 0;
	masks[(*n)++] = 0;
	for (size_t i = 0; i < d->nglob; i++) {
		uint64_t m = 0;

		for (size_t j = 0; j < d->nglob; j++)
			if (same_string(d->glob[i], d->glob[j], icase))
				m |= 1ULL << j;
		masks[(*n)++] = m;
	}
}

/* A field's exact strings by index (d->lit), when there are more than a
 * mask holds: each comparison's set of them (wide), and as values each of
 * them and one none of them is (or only those req requires). false: more
 * than SUB_MAX_REPS - 1. */
static bool reps_by_index(struct check *c, struct dimrep *d, const struct atom *req, bool icase)
{
	struct atom *a;

	d->by_index = true;
	d->nlit = 0;
	FOR_ATOMS(c, d->dim, a)
	{
		for (size_t i = 0; i < a->n; i++) {
			size_t j;

			for (j = 0; j < d->nlit && strcmp(d->lit[j], a->v[i]->str); j++)
				;
			if (j == d->nlit && d->nlit == SUB_MAX_REPS - 1)
				return false;
			if (j == d->nlit)
				d->lit[d->nlit++] = a->v[i]->str;
		}
	}
	FOR_ATOMS(c, d->dim, a)
	{
		memset(a->wide, 0, sizeof(a->wide));
		for (size_t j = 0; j < d->nlit; j++)
			for (size_t i = 0; i < a->n; i++)
				if (same_string(a->v[i]->str, d->lit[j], icase)) {
					a->wide[j / 64] |= 1ULL << (j % 64);
					break;
				}
	}
	for (size_t j = 0; j <= d->nlit; j++) {
		bool want = !req;

		for (size_t i = 0; req && i < req->n && j < d->nlit; i++)
			want |= !strcmp(req->v[i]->str, d->lit[j]);
		if (want && !rep_add(d, j))
			return false;
	}
	return true;
}

static bool reps_glob(struct check *c, struct dimrep *d, const struct atom *req)
{
	uint64_t masks[SUB_MAX_REPS], bit[SUB_MAX_GLOBS];
	size_t n = 0, at;
	bool icase = false, multi = false, fits = true, exact = true;
	struct atom *a;

	FOR_ATOMS(c, d->dim, a)
	{
		a->bits = 0;
		for (size_t i = 0; i < a->n; i++) {
			fits = fits && glob_index(d, a->v[i]->str, &at);
			if (fits)
				a->bits |= 1ULL << at;
		}
		exact &= a->literal || !a->n;
		icase = a->icase;
		multi = a->multi;
	}
	if (!fits) /* more strings than a mask holds: by index, if all exact */
		return exact && !multi && reps_by_index(c, d, req, icase);
	if (req) { /* the rule holds for these values only */
		for (size_t i = 0; i < req->n; i++) {
			uint64_t m = 0;

			for (size_t g = 0; g < d->nglob; g++)
				if (icase ? aspen_glob_match_ci(d->glob[g], req->v[i]->str)
					  : aspen_glob_match(d->glob[g], req->v[i]->str))
					m |= 1ULL << g;
			if (!rep_add(d, m))
				return false;
		}
		return true;
	}
	for (size_t i = 0; i < d->nglob; i++)
		bit[i] = 1ULL << i;
	if (exact)
		literal_masks(d, icase, masks, &n);
	else if (!glob_masks(d->glob, bit, d->nglob, icase, masks, &n))
		return false;
	if (multi) { /* several names: any union (none: no name known) */
		if (!rep_add(d, 0))
			return false;
		for (size_t i = 0; i < n; i++)
			for (size_t k = d->n; k-- > 0;)
				if (!rep_add(d, d->rep[k] | masks[i]))
					return false;
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (!rep_add(d, masks[i]))
			return false;
	/* a process's exe, comm, user, cgroup or container may be unknown */
	if (d->dim == F_PROC_EXE || d->dim == F_PROC_COMM || d->dim == F_PROC_USER ||
	    d->dim == F_PROC_CGROUP || d->dim == F_CONTAINER_ID)
		return rep_add(d, 0);
	return true;
}

/* The provider sets a Host header can name, once per policy (the same for
 * every rule): c->nhost_sets of them, -1 when too many to tell. */
static void host_sets_build(struct check *c)
{
	const struct program *p = c->p;
	const char **globs = NULL;
	uint64_t *bits = NULL;
	size_t n = 0, nm = 0;
	bool ok = p->nproviders <= 64;

	for (size_t i = 0; ok && i < p->nproviders; i++) {
		const struct value *h = p->providers[i]->hosts;

		for (size_t j = 0; h && j < h->nitems; j++) {
			if (!h->items[j]->str)
				continue;
			globs = realloc(globs, (n + 1) * sizeof(*globs));
			bits = realloc(bits, (n + 1) * sizeof(*bits));
			if (!globs || !bits)
				abort();
			globs[n] = h->items[j]->str;
			bits[n++] = 1ULL << i;
		}
	}
	ok = ok && n && glob_masks(globs, bits, n, true, c->host_sets, &nm);
	c->nhost_sets = ok ? (long)nm : -1;
	free(globs);
	free(bits);
}

/* A request's providers are those whose host globs accept its Host header:
 * the sets some name gets, two the comparisons (on `named`) cannot tell
 * apart as one value. false: too many to tell. */
static bool reps_provider_hosts(struct check *c, struct dimrep *d, uint64_t named)
{
	if (!c->nhost_sets)
		host_sets_build(c);
	if (c->nhost_sets <= 0)
		return false;
	for (long i = 0; i < c->nhost_sets; i++) {
		uint64_t v = c->host_sets[i];
		size_t k;

		for (k = 0; k < d->n; k++)
			if ((d->rep[k] & named) == (v & named) && !d->rep[k] == !v)
				break;
		if (k == d->n && !rep_add(d, v))
			return false;
	}
	return true;
}

static bool reps_provider(struct check *c, struct dimrep *d)
{
	uint64_t named = 0, other = 0;
	int bits[SUB_MAX_NAMED], nb = 0;
	struct atom *a;

	FOR_ATOMS(c, d->dim, a)
	{
		named |= a->pbits;
	}
	if (c->r->rule->on == ON_REQUEST || c->r->rule->on == ON_RESPONSE) {
		if (reps_provider_hosts(c, d, named))
			return true;
		d->n = 0;
	}
	/* a connection's: an address may serve several (a CDN) */
	for (int i = 0; i < 64; i++) {
		if (!((named >> i) & 1))
			continue;
		if (nb == SUB_MAX_NAMED)
			return false;
		bits[nb++] = i;
	}
	for (size_t i = 0; i < c->p->nproviders && i < 64 && !other; i++)
		if (!((named >> i) & 1))
			other = 1ULL << i;
	for (uint64_t s = 0; s < (1ULL << nb); s++) {
		uint64_t v = 0;

		for (int i = 0; i < nb; i++)
			if ((s >> i) & 1)
				v |= 1ULL << bits[i];
		if (!rep_add(d, v) || (other && !rep_add(d, v | other)))
			return false;
	}
	return true;
}

/* v + 1 over 16 bytes, big-endian; false when it wraps */
static bool addr_next(uint8_t v[16])
{
	for (int i = 15; i >= 0; i--)
		if (++v[i])
			return true;
	return false;
}

static bool reps_ip(struct check *c, struct dimrep *d)
{
	struct atom *a;

	memset(d->addr[0], 0, 16);
	d->rep[d->n++] = 0;
	FOR_ATOMS(c, d->dim, a)
	{
		for (size_t i = 0; i < a->n; i++) {
			uint8_t net[16], end[16];
			int bits;

			if (aspen_cidr_parse(a->v[i]->str, net, &bits) < 0)
				continue;
			/* the first address, and the last one (host bits all set) */
			for (int k = bits; k < 128; k++)
				net[k / 8] &= (uint8_t) ~(0x80 >> (k % 8));
			memcpy(end, net, 16);
			for (int k = bits; k < 128; k++)
				end[k / 8] |= (uint8_t)(0x80 >> (k % 8));
			if (d->n + 2 > SUB_MAX_REPS)
				return false;
			memcpy(d->addr[d->n], net, 16);
			d->rep[d->n] = d->n;
			d->n++;
			if (addr_next(end)) {
				memcpy(d->addr[d->n], end, 16);
				d->rep[d->n] = d->n;
				d->n++;
			}
		}
	}
	return true;
}

/* The exact values r requires of dim, if it does */
static const struct atom *required(const struct cond *r, int dim)
{
	for (size_t i = 0; i < r->nconj; i++) {
		const struct atom *a = r->conj[i];

		if (a->dim == dim && a->literal &&
		    (a->type != FT_INT || a->op == OP_EQ || a->op == OP_IN))
			return a;
	}
	return NULL;
}

static bool dim_reps(struct check *c, struct dimrep *d)
{
	const struct atom *req = required(c->r, d->dim);

	switch (d->type) {
	case FT_INT: return reps_int(c, d, req);
	case FT_GLOB: return reps_glob(c, d, req);
	case FT_PROVIDER: return reps_provider(c, d);
	case FT_IP: return reps_ip(c, d);
	case FT_BOOL:
	case FT_BODY: return rep_add(d, 0) && rep_add(d, 1);
	}
	return false;
}

static bool dim_add(struct check *c, int dim)
{
	struct dimrep *d;

	if (c->slot[dim] >= 0)
		return true;
	d = &c->dims[c->ndims];
	memset(d, 0, offsetof(struct dimrep, addr));
	d->dim = dim;
	d->type = dim >= F__COUNT ? FT_BODY : field_get((enum field_id)dim)->type;
	c->slot[dim] = (int)c->ndims++;
	/* a field with no value would make every rule look dead */
	return dim_reps(c, d) && d->n > 0;
}

static bool has_dim(const struct cond *k, int dim)
{
	return (k->dims[dim / 64] >> (dim % 64)) & 1;
}

/* The dimensions of the check, in the order the search splits them: those
 * r requires exact values of, the rest of r's, then the earlier rules'
 * in rule order (so that the rule that decides first is found early). */
static bool check_dims(struct check *c)
{
	c->ndims = 0;
	for (int pass = 0; pass < 2; pass++)
		for (int dim = 0; dim < SUB_MAX_DIMS; dim++)
			if (has_dim(c->r, dim) && (pass || required(c->r, dim)) && !dim_add(c, dim))
				return false;
	for (size_t i = 0; i < c->ncands; i++)
		for (int dim = 0; dim < SUB_MAX_DIMS; dim++)
			if (has_dim(c->cands[i], dim) && !dim_add(c, dim))
				return false;
	return true;
}

/* ---- the search --------------------------------------------------------- */

enum { S_NONE, S_WITNESS, S_GIVEUP };

static int search(struct check *c, size_t level, const int *live, size_t nlive)
{
	int *next = c->live + (level + 1) * c->ncands;
	const struct dimrep *d;
	bool unknown = false; /* a rule before may hold */
	size_t nn = 0;
	enum tv rv;

	c->budget -= (long)nlive + 1;
	if (c->budget < 0)
		return S_GIVEUP;
	rv = cond_eval(c, c->r);
	if (rv == TV_FALSE)
		return S_NONE;
	for (size_t i = 0; i < nlive; i++) {
		const struct cond *k = c->cands[live[i]];
		enum tv v = cond_eval(c, k);
		bool covers = !c->redact || k->deny;

		if (v == TV_FALSE)
			continue;
		next[nn++] = live[i];
		/* the first that holds decides; one that holds after one that
		 * may hold decides when the earlier ones all cover too (not
		 * c->blame: it is enough to know that some rule covers) */
		if (v == TV_TRUE && (!unknown || (!c->blame && !c->redact))) {
			if (covers) {
				c->hit[live[i]] = true;
				return S_NONE;
			}
			if (rv == TV_TRUE)
				return S_WITNESS; /* an allow: r's masking applies */
			break;
		}
		unknown = true;
	}
	if (!nn) { /* no rule decides: the default does */
		if (c->redact && c->default_denies) {
			c->hit_default = true;
			return S_NONE;
		}
		if (rv == TV_TRUE)
			return S_WITNESS;
	}
	if (level == c->ndims)
		return S_GIVEUP; /* not reached: every field is set */
	d = &c->dims[level];
	c->set[d->dim] = true;
	for (size_t k = 0; k < d->n; k++) {
		int s;

		c->val[d->dim] = d->rep[k];
		s = search(c, level + 1, next, nn);
		if (s != S_NONE) {
			c->set[d->dim] = false;
			return s;
		}
	}
	c->set[d->dim] = false;
	return S_NONE;
}

/* The check of c->r against cands[0..n): its fields' representatives.
 * false: too big to tell. */
static bool check_prepare(struct check *c, const struct cond **cands, size_t n)
{
	c->cands = cands;
	c->ncands = n;
	memset(c->slot, 0xff, sizeof(c->slot));
	return check_dims(c);
}

/* S_WITNESS: r can hold with none of the cands holding first; S_NONE: it
 * cannot (hit[] says which cands decided); S_GIVEUP: too big to tell. */
static int check_search(struct check *c, bool blame, long *total)
{
	size_t n = c->ncands;
	long budget = *total < SUB_BUDGET ? *total : SUB_BUDGET;
	int s;

	memset(c->set, 0, sizeof(c->set));
	memset(c->hit, 0, (n ? n : 1) * sizeof(*c->hit));
	c->hit_default = false;
	c->live = calloc((c->ndims + 2) * (n ? n : 1), sizeof(*c->live));
	if (!c->live)
		abort();
	for (size_t i = 0; i < n; i++)
		c->live[i] = (int)i;
	c->blame = blame;
	c->budget = budget;
	s = search(c, 0, c->live, n);
	*total -= budget - c->budget;
	free(c->live);
	c->live = NULL;
	return s;
}

/* ---- reports ------------------------------------------------------------ */

static const char *traffic(enum rule_on on)
{
	return on == ON_REQUEST ? "request" : on == ON_RESPONSE ? "response" : "connection";
}

/* "rule 'a' (line 3)", "rules 'a' (line 3) and 'b' (line 5)", ... */
static void name_rules(const struct cond **cands, const bool *hit, size_t n, char *out, size_t len)
{
	size_t total = 0, shown = 0, o = 0;

	for (size_t i = 0; i < n; i++)
		total += hit[i];
	o += (size_t)snprintf(out, len, "rule%s ", total > 1 ? "s" : "");
	for (size_t i = 0; i < n && o < len; i++) {
		if (!hit[i])
			continue;
		if (shown == 3 && total > 4) {
			snprintf(out + o, len - o, " and %zu more", total - shown);
			return;
		}
		o += (size_t)snprintf(out + o, len - o, "%s'%s' (line %u)",
				      !shown		   ? ""
				      : shown + 1 == total ? " and "
							   : ", ",
				      cands[i]->rule->name, cands[i]->rule->name_span.line);
		shown++;
	}
}

static const struct decl *first_hit(const struct cond **cands, const bool *hit, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hit[i])
			return cands[i]->rule;
	return NULL;
}

static void report_dead(const struct check *c, struct diags *d)
{
	const struct decl *r = c->r->rule, *first = first_hit(c->cands, c->hit, c->ncands);
	char who[512] = "", hint[256];

	if (first)
		name_rules(c->cands, c->hit, c->ncands, who, sizeof(who));
	if (c->redact) {
		snprintf(who + strlen(who), sizeof(who) - strlen(who), "%s%s",
			 first && c->hit_default ? " and by " : "",
			 c->hit_default ? "`default deny`" : "");
		diag_warn(
		    d, r->name_span,
		    "a redaction applies to the requests allowed; allow those it should "
		    "mask, or remove it",
		    "rule '%s' never masks anything: every request it matches is denied, by %s",
		    r->name, who);
		return;
	}
	if (!first)
		return;
	snprintf(hint, sizeof(hint), "remove it, or move it before '%s'", first->name);
	diag_warn(d, r->name_span, hint,
		  "rule '%s' can never fire: every %s it matches is decided first by %s", r->name,
		  traffic(r->on), who);
}

/* ---- the pass ----------------------------------------------------------- */

static bool analysable(const struct cond *k)
{
	return k->ok && (k->terminal || k->observe || k->redact);
}

/* The rules that could decide r's traffic: the earlier terminal ones that
 * may overlap r; for a rule that only masks, every terminal request rule
 * (redactions are not ordered). -1: one of those cannot be read (an
 * allow the search cannot see could let the masking apply). */
static long gather(const struct cond *conds, size_t n, size_t i, bool redact,
		   const struct cond **out)
{
	const struct cond *r = &conds[i];
	size_t k = 0;

	for (size_t j = 0; j < (redact ? n : i); j++) {
		const struct cond *s = &conds[j];

		if (!s->terminal || !same_traffic(s->rule->on, r->rule->on) || !may_overlap(r, s))
			continue;
		if (!s->ok) {
			if (redact)
				return -1;
			continue;
		}
		out[k++] = s;
	}
	return (long)k;
}

static void check_rule(struct check *c, const struct cond *conds, size_t i, const bool *warned,
		       long *total, struct diags *d)
{
	const struct cond *r = &conds[i];
	long n;
	int s;

	c->r = r;
	c->redact = false;
	/* can the rule hold at all? */
	s = check_prepare(c, c->cands, 0) ? check_search(c, false, total) : S_GIVEUP;
	if (s == S_NONE && !warned[i] && !diags_within(d, r->rule->span)) {
		if (r->need_ai && !c->p->nproviders)
			diag_warn(
			    d, r->rule->name_span,
			    "import \"providers\" (or declare one), or use 'on connect any'",
			    "rule '%s' can never fire: it sees AI traffic only, and the policy "
			    "declares no provider",
			    r->rule->name);
		else
			diag_warn(d, r->rule->name_span, "its conditions cannot all hold at once",
				  "rule '%s' can never fire: no %s satisfies its 'when' condition",
				  r->rule->name, traffic(r->rule->on));
	}
	if (s != S_WITNESS || warned[i])
		return;
	/* a rule that masks is alive while a request it masks can pass; one
	 * that decides or audits, while one it matches reaches it */
	c->redact = r->redact;
	n = gather(conds, c->p->nrules, i, r->redact, c->cands);
	if (n <= 0 || !check_prepare(c, c->cands, (size_t)n) ||
	    check_search(c, false, total) != S_NONE)
		return;
	/* dead: again, to name the rules that decide first (the first search
	 * stops at any rule that holds, an earlier one may too) */
	if (check_search(c, true, total) != S_NONE)
		check_search(c, false, total);
	report_dead(c, d);
}

void subsume_program(const struct program *p, const bool *warned, struct diags *d)
{
	size_t n = p->nrules ? p->nrules : 1;
	struct cond *conds = calloc(n, sizeof(*conds));
	struct check *c = calloc(1, sizeof(*c));
	long total = SUB_TOTAL;

	if (!conds || !c)
		abort();
	c->p = p;
	c->default_denies = p->root->default_deny == 1 && p->root->mode != MODE_MONITOR;
	c->dims = calloc(SUB_MAX_DIMS, sizeof(*c->dims));
	c->cands = calloc(n, sizeof(*c->cands));
	c->hit = calloc(n, sizeof(*c->hit));
	if (!c->dims || !c->cands || !c->hit)
		abort();
	for (size_t i = 0; i < p->nrules; i++)
		cond_init(p, p->rules[i], &conds[i]);
	for (size_t i = 0; i < p->nrules && total > 0; i++)
		if (analysable(&conds[i]))
			check_rule(c, conds, i, warned, &total, d);
	for (size_t i = 0; i < p->nrules; i++) {
		cnode_free(conds[i].when);
		free(conds[i].atoms);
	}
	free(c->dims);
	free(c->cands);
	free(c->hit);
	free(c);
	free(conds);
}
