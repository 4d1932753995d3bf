/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Regex front end for dfa.c: parser -> AST -> Thompson NFA with
 * assertion edges -> product NFA (tracking the previous byte's word-ness and
 * a pending condition on the next byte) -> nfa_to_dfa().
 */
#include "regex_dfa.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- AST ----------------------------------------------------------------- */

enum nkind { N_SET, N_CAT, N_ALT, N_REP, N_EMPTY, N_WB, N_NWB };

struct node {
	enum nkind kind;
	struct aspen_byteset set; /* N_SET */
	struct node **kids;	  /* N_CAT, N_ALT; N_REP: kids[0] */
	size_t nkids;
	int min, max; /* N_REP; max -1: unbounded */
};

struct parser {
	const char *s;
	size_t pos, len;
	int flags;
	struct rx_error *err;
	bool failed;
	int depth;
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n);
}

static struct node *mk(enum nkind k)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		abort();
	n->kind = k;
	return n;
}

static void add_kid(struct node *n, struct node *k)
{
	n->kids = realloc(n->kids, (n->nkids + 1) * sizeof(*n->kids));
	if (!n->kids)
		abort();
	n->kids[n->nkids++] = k;
}

static void fail_at(struct parser *p, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail_at(struct parser *p, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	p->err->offset = (int)at;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
}

static void set_range(struct aspen_byteset *s, int lo, int hi)
{
	for (int c = lo; c <= hi; c++)
		aspen_byteset_add(s, (unsigned char)c);
}

static void set_negate(struct aspen_byteset *s)
{
	for (int i = 0; i < 4; i++)
		s->w[i] = ~s->w[i];
}

static void set_or(struct aspen_byteset *a, const struct aspen_byteset *b)
{
	for (int i = 0; i < 4; i++)
		a->w[i] |= b->w[i];
}

static void set_fold(struct aspen_byteset *s)
{
	for (int c = 'a'; c <= 'z'; c++) {
		if (aspen_byteset_has(s, (unsigned char)c) ||
		    aspen_byteset_has(s, (unsigned char)(c - 32))) {
			aspen_byteset_add(s, (unsigned char)c);
			aspen_byteset_add(s, (unsigned char)(c - 32));
		}
	}
}

/* \d \w \s and their negations */
static bool class_escape(char c, struct aspen_byteset *s)
{
	struct aspen_byteset t = {{0}};

	switch (c | 0x20) {
	case 'd': set_range(&t, '0', '9'); break;
	case 'w':
		set_range(&t, '0', '9');
		set_range(&t, 'a', 'z');
		set_range(&t, 'A', 'Z');
		aspen_byteset_add(&t, '_');
		break;
	case 's': set_range(&t, '\t', '\r'); aspen_byteset_add(&t, ' '); break;
	default: return false;
	}
	if (c >= 'A' && c <= 'Z')
		set_negate(&t);
	set_or(s, &t);
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* After a backslash at p->pos - 1 (p->pos at the escaped char). Returns a
 * byte (0..255), or -2 when the escape was a class (added to *cls), or -3
 * for \b/\B outside classes (*assert set), -1 on error. */
static int parse_escape(struct parser *p, bool in_class, struct aspen_byteset *cls, int *assert)
{
	size_t at = p->pos - 1;
	char c;

	if (p->pos >= p->len) {
		fail_at(p, at, "a pattern cannot end with '\\'");
		return -1;
	}
	c = p->s[p->pos++];
	if (class_escape(c, cls))
		return -2;
	switch (c) {
	case 't': return '\t';
	case 'n': return '\n';
	case 'r': return '\r';
	case 'f': return '\f';
	case 'v': return '\v';
	case 'e': return 0x1b;
	case 'a': return 0x07;
	case '0': return 0;
	case 'b':
		if (in_class)
			return '\b';
		*assert = N_WB;
		return -3;
	case 'B':
		if (in_class) {
			fail_at(p, at, "\\B is not allowed in a class");
			return -1;
		}
		*assert = N_NWB;
		return -3;
	case 'x': {
		int v = 0, nd = 0;

		if (p->pos < p->len && p->s[p->pos] == '{') {
			p->pos++;
			while (p->pos < p->len && hexval(p->s[p->pos]) >= 0 && nd < 3) {
				v = v * 16 + hexval(p->s[p->pos++]);
				nd++;
			}
			if (p->pos >= p->len || p->s[p->pos] != '}' || nd == 0 || v > 255) {
				fail_at(p, at, "\\x{...} must be a byte value, 0 to ff");
				return -1;
			}
			p->pos++;
			return v;
		}
		while (nd < 2 && p->pos < p->len && hexval(p->s[p->pos]) >= 0) {
			v = v * 16 + hexval(p->s[p->pos++]);
			nd++;
		}
		return v;
	}
	}
	if (c >= '1' && c <= '9') {
		fail_at(p, at, "backreference: a DFA cannot match backreferences");
		return -1;
	}
	if (c == 'k' || c == 'g') {
		fail_at(p, at, "backreference: a DFA cannot match backreferences");
		return -1;
	}
	if (c == 'A' || c == 'z' || c == 'Z' || c == 'G') {
		fail_at(p, at, "anchor \\%c is not supported: a pattern matches anywhere in the body",
			c);
		return -1;
	}
	if (c == 'p' || c == 'P' || c == 'X' || c == 'R' || c == 'h' || c == 'H' || c == 'N' ||
	    c == 'K' || c == 'Q' || c == 'E' || c == 'c' || c == 'C' || c == 'o' || c == 'u' ||
	    c == 'U' || c == 'V' || c == 'l' || c == 'L') {
		fail_at(p, at, "escape \\%c is not supported", c);
		return -1;
	}
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
		fail_at(p, at, "unknown escape \\%c", c);
		return -1;
	}
	return (unsigned char)c; /* \. \\ \/ \- \[ ... : the character itself */
}

static const struct {
	const char *name;
	const char *ranges; /* pairs lo,hi */
} posix[] = {
    {"alpha", "azAZ"}, {"digit", "09"},	     {"alnum", "azAZ09"}, {"upper", "AZ"},
    {"lower", "az"},   {"space", "\t\r  "}, {"xdigit", "09afAF"}, {"word", "azAZ09__"},
    {"punct", "!/:@[`{~"}, {"blank", "  \t\t"},
};

static struct node *parse_class(struct parser *p)
{
	size_t open = p->pos - 1;
	struct aspen_byteset s = {{0}};
	bool neg = false, first = true;
	struct node *n;

	if (p->pos < p->len && p->s[p->pos] == '^') {
		neg = true;
		p->pos++;
	}
	for (;;) {
		int lo, hi, a = 0;
		size_t at = p->pos;

		if (p->pos >= p->len) {
			fail_at(p, open, "unterminated class: close it with ']'");
			return NULL;
		}
		if (p->s[p->pos] == ']' && !first) {
			p->pos++;
			break;
		}
		first = false;
		if (p->s[p->pos] == '[' && p->pos + 1 < p->len && p->s[p->pos + 1] == ':') {
			const char *end = strstr(p->s + p->pos + 2, ":]");
			size_t i;

			for (i = 0; end && i < sizeof(posix) / sizeof(posix[0]); i++) {
				size_t l = strlen(posix[i].name);

				if ((size_t)(end - (p->s + p->pos + 2)) == l &&
				    !strncmp(p->s + p->pos + 2, posix[i].name, l)) {
					for (const char *r = posix[i].ranges; *r; r += 2)
						set_range(&s, (unsigned char)r[0], (unsigned char)r[1]);
					p->pos = (size_t)(end - p->s) + 2;
					break;
				}
			}
			if (end && i < sizeof(posix) / sizeof(posix[0]))
				continue;
			fail_at(p, at, "unknown POSIX class");
			return NULL;
		}
		lo = (unsigned char)p->s[p->pos++];
		if (lo == '\\') {
			lo = parse_escape(p, true, &s, &a);
			if (lo == -1)
				return NULL;
			if (lo == -2)
				continue;
		}
		if (p->pos + 1 < p->len && p->s[p->pos] == '-' && p->s[p->pos + 1] != ']') {
			p->pos++;
			hi = (unsigned char)p->s[p->pos++];
			if (hi == '\\') {
				struct aspen_byteset t = {{0}};

				hi = parse_escape(p, true, &t, &a);
				if (hi == -1)
					return NULL;
				if (hi == -2) {
					fail_at(p, at, "a range cannot end with a class escape");
					return NULL;
				}
			}
			if (hi < lo) {
				fail_at(p, at, "bad range %c-%c: the end is below the start", lo, hi);
				return NULL;
			}
			set_range(&s, lo, hi);
		} else {
			aspen_byteset_add(&s, (unsigned char)lo);
		}
	}
	if (p->flags & RX_FLAG_ICASE)
		set_fold(&s);
	if (neg)
		set_negate(&s);
	n = mk(N_SET);
	n->set = s;
	return n;
}

static struct node *parse_alt(struct parser *p);

/* {m}, {m,}, {m,n} at p->pos ('{'): true and the bounds, or false (a literal '{') */
static bool parse_braces(struct parser *p, int *min, int *max)
{
	size_t i = p->pos + 1;
	long m = 0, n = -1;
	bool digits = false;

	while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') {
		m = m * 10 + (p->s[i++] - '0');
		digits = true;
		if (m > 100000)
			m = 100000;
	}
	if (!digits)
		return false;
	if (i < p->len && p->s[i] == ',') {
		i++;
		if (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') {
			n = 0;
			while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') {
				n = n * 10 + (p->s[i++] - '0');
				if (n > 100000)
					n = 100000;
			}
		}
	} else {
		n = m;
	}
	if (i >= p->len || p->s[i] != '}')
		return false;
	p->pos = i + 1;
	*min = (int)m;
	*max = (int)n;
	return true;
}

static bool at_quantifier(struct parser *p)
{
	int a, b;
	size_t save = p->pos;
	char c;

	if (p->pos >= p->len)
		return false;
	c = p->s[p->pos];
	if (c == '*' || c == '+' || c == '?')
		return true;
	if (c == '{' && parse_braces(p, &a, &b)) {
		p->pos = save;
		return true;
	}
	return false;
}

static struct node *parse_atom(struct parser *p)
{
	size_t at = p->pos;
	char c = p->s[p->pos++];
	struct node *n;

	switch (c) {
	case '(': {
		if (p->pos < p->len && p->s[p->pos] == '?') {
			const char *q = p->s + p->pos + 1;

			if (!strncmp(q, ":", 1)) {
				p->pos += 2;
			} else if (!strncmp(q, "=", 1) || !strncmp(q, "!", 1) ||
				   !strncmp(q, "<=", 2) || !strncmp(q, "<!", 2)) {
				fail_at(p, at, "look-around is not supported: a DFA cannot look "
					       "ahead or behind");
				return NULL;
			} else if (*q == '>') {
				fail_at(p, at, "atomic groups are not supported");
				return NULL;
			} else if (*q == '<' || (*q == 'P' && q[1] == '<')) {
				const char *e = strchr(q, '>');

				if (!e) {
					fail_at(p, at, "unterminated group name");
					return NULL;
				}
				p->pos = (size_t)(e - p->s) + 1; /* named group: a plain group */
			} else {
				fail_at(p, at,
					"'(?' constructs other than (?:...) are not supported; put "
					"flags after the closing '/'");
				return NULL;
			}
		}
		if (++p->depth > 100) {
			fail_at(p, at, "groups nested too deep");
			return NULL;
		}
		n = parse_alt(p);
		p->depth--;
		if (!n)
			return NULL;
		if (p->pos >= p->len || p->s[p->pos] != ')') {
			node_free(n);
			fail_at(p, at, "unbalanced '(': close it with ')'");
			return NULL;
		}
		p->pos++;
		return n;
	}
	case '[': return parse_class(p);
	case '.':
		n = mk(N_SET);
		memset(&n->set, 0xff, sizeof(n->set));
		n->set.w[0] &= ~(1ULL << '\n');
		return n;
	case '^':
	case '$':
		fail_at(p, at,
			"anchor '%c' is not supported: a pattern matches anywhere in the body "
			"(use \\b for word boundaries)",
			c);
		return NULL;
	case '*':
	case '+':
	case '?': fail_at(p, at, "nothing to repeat before '%c'", c); return NULL;
	case '{': {
		int a, b;

		p->pos--;
		if (parse_braces(p, &a, &b)) {
			fail_at(p, at, "nothing to repeat before '{'");
			return NULL;
		}
		p->pos++;
		break;
	}
	case '\\': {
		struct aspen_byteset s = {{0}};
		int a = 0, v = parse_escape(p, false, &s, &a);

		if (v == -1)
			return NULL;
		if (v == -3)
			return mk((enum nkind)a);
		n = mk(N_SET);
		if (v >= 0)
			aspen_byteset_add(&s, (unsigned char)v);
		if (p->flags & RX_FLAG_ICASE)
			set_fold(&s);
		n->set = s;
		return n;
	}
	default: break;
	}
	n = mk(N_SET);
	aspen_byteset_add(&n->set, (unsigned char)c);
	if (p->flags & RX_FLAG_ICASE)
		set_fold(&n->set);
	return n;
}

static struct node *parse_repeat(struct parser *p)
{
	struct node *a = parse_atom(p);

	while (a && at_quantifier(p)) {
		size_t at = p->pos;
		char c = p->s[p->pos];
		int min, max;
		struct node *r;

		if (c == '{') {
			parse_braces(p, &min, &max);
			if (max >= 0 && max < min) {
				fail_at(p, at, "bad repetition {%d,%d}: the maximum is below the minimum",
					min, max);
				break;
			}
			if (min > RX_MAX_REPEAT || max > RX_MAX_REPEAT) {
				fail_at(p, at, "repetition over %d", RX_MAX_REPEAT);
				break;
			}
		} else {
			p->pos++;
			min = c == '+';
			max = c == '?' ? 1 : -1;
		}
		if (p->pos < p->len && p->s[p->pos] == '+') {
			fail_at(p, p->pos, "possessive quantifiers are not supported");
			break;
		}
		if (p->pos < p->len && p->s[p->pos] == '?')
			p->pos++; /* lazy: a DFA matches the same set of strings */
		if (a->kind == N_WB || a->kind == N_NWB) {
			fail_at(p, at, "nothing to repeat: \\b and \\B match no byte");
			break;
		}
		if (a->kind == N_REP) {
			fail_at(p, at, "a quantifier cannot follow another: use a group");
			break;
		}
		r = mk(N_REP);
		add_kid(r, a);
		r->min = min;
		r->max = max;
		a = r;
	}
	if (p->failed) {
		node_free(a);
		return NULL;
	}
	return a;
}

static struct node *parse_concat(struct parser *p)
{
	struct node *c = mk(N_CAT);

	while (p->pos < p->len && p->s[p->pos] != '|' && p->s[p->pos] != ')') {
		struct node *a = parse_repeat(p);

		if (!a) {
			node_free(c);
			return NULL;
		}
		add_kid(c, a);
	}
	return c;
}

static struct node *parse_alt(struct parser *p)
{
	struct node *alt = mk(N_ALT);

	for (;;) {
		struct node *c = parse_concat(p);

		if (!c) {
			node_free(alt);
			return NULL;
		}
		add_kid(alt, c);
		if (p->pos < p->len && p->s[p->pos] == '|') {
			p->pos++;
			continue;
		}
		return alt;
	}
}

static struct node *parse(const char *src, int flags, struct rx_error *err)
{
	struct parser p = {.s = src, .len = strlen(src), .flags = flags, .err = err};
	struct node *n;

	err->offset = -1;
	err->msg[0] = 0;
	if (!p.len) {
		fail_at(&p, 0, "empty pattern");
		return NULL;
	}
	n = parse_alt(&p);
	if (n && p.pos < p.len) { /* only a ')' stops parse_alt early */
		fail_at(&p, p.pos, "unbalanced ')'");
		node_free(n);
		return NULL;
	}
	return n;
}

int rx_parse_flags(const char *text, int *flags, struct rx_error *err)
{
	*flags = 0;
	for (const char *f = text; *f; f++) {
		if (*f == 'i') {
			*flags |= RX_FLAG_ICASE;
			continue;
		}
		err->offset = (int)(f - text);
		snprintf(err->msg, sizeof(err->msg), "unknown flag '%c' (the only flag is i)", *f);
		return -1;
	}
	return 0;
}

/* ---- Thompson NFA with assertion edges ------------------------------------ */

enum tkind { T_EPS, T_SET, T_WB, T_NWB };

struct tedge {
	int to;
	enum tkind kind;
	struct aspen_byteset set;
};

struct tstate {
	struct tedge *e;
	size_t n, cap;
};

struct tnfa {
	struct tstate *st;
	size_t n, cap;
	bool over;
};

static int tnew(struct tnfa *t)
{
	if (t->n >= RX_MAX_NFA) {
		t->over = true;
		return 0;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->st = realloc(t->st, t->cap * sizeof(*t->st));
		if (!t->st)
			abort();
	}
	memset(&t->st[t->n], 0, sizeof(t->st[0]));
	return (int)t->n++;
}

static void tedge(struct tnfa *t, int from, int to, enum tkind k, const struct aspen_byteset *s)
{
	struct tstate *st = &t->st[from];

	if (t->over)
		return;
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 2;
		st->e = realloc(st->e, st->cap * sizeof(*st->e));
		if (!st->e)
			abort();
	}
	st->e[st->n].to = to;
	st->e[st->n].kind = k;
	if (s)
		st->e[st->n].set = *s;
	st->n++;
}

static void tfree(struct tnfa *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->st[i].e);
	free(t->st);
}

/* Fragment from `in` to a new end state, returned. */
static int thompson(struct tnfa *t, const struct node *n, int in)
{
	int out;

	if (t->over)
		return in;
	switch (n->kind) {
	case N_EMPTY: return in;
	case N_SET:
		out = tnew(t);
		tedge(t, in, out, T_SET, &n->set);
		return out;
	case N_WB:
	case N_NWB:
		out = tnew(t);
		tedge(t, in, out, n->kind == N_WB ? T_WB : T_NWB, NULL);
		return out;
	case N_CAT:
		for (size_t i = 0; i < n->nkids; i++)
			in = thompson(t, n->kids[i], in);
		return in;
	case N_ALT:
		out = tnew(t);
		for (size_t i = 0; i < n->nkids; i++) {
			int s = tnew(t);

			tedge(t, in, s, T_EPS, NULL);
			tedge(t, thompson(t, n->kids[i], s), out, T_EPS, NULL);
		}
		return out;
	case N_REP: {
		const struct node *k = n->kids[0];

		for (int i = 0; i < n->min && !t->over; i++)
			in = thompson(t, k, in);
		if (n->max < 0) { /* k*: a loop through a fresh state */
			int loop = tnew(t);

			tedge(t, in, loop, T_EPS, NULL);
			tedge(t, thompson(t, k, loop), loop, T_EPS, NULL);
			return loop;
		}
		out = tnew(t);
		tedge(t, in, out, T_EPS, NULL);
		for (int i = n->min; i < n->max && !t->over; i++) {
			in = thompson(t, k, in);
			tedge(t, in, out, T_EPS, NULL);
		}
		return out;
	}
	}
	return in;
}

/* Build the pattern's Thompson NFA: start 0, returns the accepting state. */
static int build_tnfa(const char *src, int flags, struct tnfa *t, struct rx_error *err)
{
	struct node *n = parse(src, flags, err);
	int acc;

	if (!n)
		return -1;
	tnew(t);
	acc = thompson(t, n, 0);
	node_free(n);
	if (t->over) {
		err->offset = 0;
		snprintf(err->msg, sizeof(err->msg),
			 "pattern too large: more than %d NFA states after expanding repetitions",
			 RX_MAX_NFA);
		return -1;
	}
	return acc;
}

/* ---- product: (state, previous byte is a word byte, pending next-byte
 * condition) -------------------------------------------------------------- */

enum pend { P_NONE = 0, P_WORD = 1, P_NONWORD = 2 };

struct prod {
	const struct tnfa *t;
	int acc;
	struct nfa *out;
	int *id; /* [t->n][2][3]: NFA state, -1 not made yet */
	int *queue, qn, qh;
	struct aspen_byteset word, nonword;
	enum rx_mode mode;
	uint64_t mask;
	int late; /* RX_UNANCHORED_LATE: the state reached one byte after a match */
	bool failed;
};

static int pidx(int q, int prev, int pend)
{
	return q * 6 + prev * 3 + pend;
}

static int pget(struct prod *p, int q, int prev, int pend)
{
	int k = pidx(q, prev, pend);

	if (p->id[k] < 0) {
		p->id[k] = nfa_add_state(p->out);
		if (p->id[k] < 0) {
			p->failed = true;
			return 0;
		}
		p->queue[p->qn++] = k;
	}
	return p->id[k];
}

static void padd(struct prod *p, int from, int to, const struct aspen_byteset *s)
{
	if (nfa_add_edge(p->out, from, to, s) < 0)
		p->failed = true;
}

static void pexpand(struct prod *p, int k)
{
	int q = k / 6, prev = (k % 6) / 3, pend = k % 3, me = p->id[k];
	const struct tstate *st = &p->t->st[q];

	if (q == p->acc) {
		if (pend == P_NONE) {
			nfa_set_accept_mask(p->out, me, p->mode == RX_UNANCHORED_LATE ? p->mask
										       : RX_ACC_NOW);
		} else if (p->mode != RX_UNANCHORED_LATE) {
			nfa_set_accept_mask(p->out, me,
					    pend == P_WORD ? RX_ACC_NEXT_WORD : RX_ACC_NEXT_NONWORD);
		} else {
			if (p->late < 0) {
				p->late = nfa_add_state(p->out);
				if (p->late < 0) {
					p->failed = true;
					return;
				}
				nfa_set_accept_mask(p->out, p->late, p->mask);
			}
			padd(p, me, p->late, pend == P_WORD ? &p->word : &p->nonword);
		}
	}
	for (size_t i = 0; i < st->n && !p->failed; i++) {
		const struct tedge *e = &st->e[i];

		switch (e->kind) {
		case T_EPS: padd(p, me, pget(p, e->to, prev, pend), NULL); break;
		case T_WB:
		case T_NWB: {
			/* \b: the next byte's word-ness differs from prev; \B: equals */
			int need = (e->kind == T_WB) == (prev == 1) ? P_NONWORD : P_WORD;

			if (pend != P_NONE && pend != need)
				break; /* contradictory: no byte satisfies both */
			padd(p, me, pget(p, e->to, prev, need), NULL);
			break;
		}
		case T_SET: {
			struct aspen_byteset s = e->set;

			if (pend == P_WORD)
				for (int w = 0; w < 4; w++)
					s.w[w] &= p->word.w[w];
			else if (pend == P_NONWORD)
				for (int w = 0; w < 4; w++)
					s.w[w] &= p->nonword.w[w];
			/* split by the word-ness of the byte consumed */
			for (int w = 0; w < 2; w++) {
				struct aspen_byteset x = s;
				bool any = false;

				for (int j = 0; j < 4; j++) {
					x.w[j] &= w ? p->word.w[j] : p->nonword.w[j];
					any |= x.w[j] != 0;
				}
				if (any)
					padd(p, me, pget(p, e->to, w, P_NONE), &x);
			}
			break;
		}
		}
	}
}

static void word_sets(struct aspen_byteset *word, struct aspen_byteset *nonword)
{
	memset(word, 0, sizeof(*word));
	for (int c = 0; c < 256; c++)
		if (rx_is_word((unsigned char)c))
			aspen_byteset_add(word, (unsigned char)c);
	*nonword = *word;
	set_negate(nonword);
}

/* Add pattern t (accepting state acc) to out; entry[prev] are its start
 * states for a previous byte that is not / is a word byte. */
static int add_product(struct nfa *out, const struct tnfa *t, int acc, enum rx_mode mode,
		       uint64_t mask, int entry[2])
{
	struct prod p = {.t = t, .acc = acc, .out = out, .mode = mode, .mask = mask, .late = -1};
	int rc = 0;

	p.id = malloc(t->n * 6 * sizeof(int));
	p.queue = malloc(t->n * 6 * sizeof(int));
	if (!p.id || !p.queue) {
		free(p.id);
		free(p.queue);
		return -1;
	}
	memset(p.id, 0xff, t->n * 6 * sizeof(int));
	word_sets(&p.word, &p.nonword);
	entry[0] = pget(&p, 0, 0, P_NONE);
	entry[1] = pget(&p, 0, 1, P_NONE);
	while (p.qh < p.qn && !p.failed)
		pexpand(&p, p.queue[p.qh++]);
	rc = p.failed ? -1 : 0;
	free(p.id);
	free(p.queue);
	return rc;
}

/* Can the pattern match without consuming a byte (assertions passable)? */
static bool matches_empty(const struct tnfa *t, int acc)
{
	bool *seen = calloc(t->n, 1);
	int *stack = malloc(t->n * sizeof(int)), sp = 0;
	bool r = false;

	if (!seen || !stack) {
		free(seen);
		free(stack);
		return false;
	}
	stack[sp++] = 0;
	seen[0] = true;
	while (sp && !r) {
		int q = stack[--sp];

		r = q == acc;
		for (size_t i = 0; i < t->st[q].n; i++) {
			const struct tedge *e = &t->st[q].e[i];

			if (e->kind != T_SET && !seen[e->to]) {
				seen[e->to] = true;
				stack[sp++] = e->to;
			}
		}
	}
	free(seen);
	free(stack);
	return r;
}

int rx_check(const char *src, int flags, struct rx_error *err)
{
	struct tnfa t = {0};
	int acc = build_tnfa(src, flags, &t, err);
	int rc = 0;

	if (acc < 0) {
		rc = -1;
	} else if (matches_empty(&t, acc)) {
		err->offset = 0;
		snprintf(err->msg, sizeof(err->msg),
			 "the pattern matches the empty string (it would match everywhere)");
		rc = -1;
	}
	tfree(&t);
	return rc;
}

static bool masks_disjoint(const uint64_t *masks, size_t n)
{
	uint64_t seen = 0;

	for (size_t i = 0; i < n; i++) {
		if (!masks || !masks[i] || (seen & masks[i]))
			return false;
		seen |= masks[i];
	}
	return true;
}

/* Several patterns: each one's minimal DFA, then their product. The same
 * machine as one subset construction over all the patterns' NFAs (hence
 * the same minimal DFA, state for state), but a subset construction over
 * several unanchored patterns builds every combination of their partial
 * matches before minimisation merges them (five stdlib patterns: 32768
 * states and more for a minimal DFA of a few thousand). */
static struct dfa *build_parts(const char *const *srcs, const int *flags, const uint64_t *masks,
			       size_t n, enum rx_mode mode, int max_states, struct rx_error *err,
			       size_t *bad)
{
	struct dfa **parts = calloc(n, sizeof(*parts)), *d = NULL;
	bool distinct = masks_disjoint(masks, n);
	char msg[160];

	if (!parts) {
		snprintf(err->msg, sizeof(err->msg), "out of memory building a DFA");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		/* when the parts are distinct, the product has at least as many
		 * states as each part */
		parts[i] = rx_build_dfa(&srcs[i], &flags[i], masks ? &masks[i] : NULL, 1, mode,
					distinct ? max_states : DFA_MAX_STATES16, err, NULL);
		if (!parts[i]) {
			if (bad)
				*bad = i;
			goto out;
		}
	}
	d = dfa_product(parts, n, max_states, distinct, msg, sizeof(msg));
	if (!d)
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
out:
	for (size_t i = 0; i < n; i++)
		dfa_free(parts[i]);
	free(parts);
	return d;
}

struct dfa *rx_build_dfa(const char *const *srcs, const int *flags, const uint64_t *masks,
			 size_t n, enum rx_mode mode, int max_states, struct rx_error *err,
			 size_t *bad)
{
	struct nfa *out;
	struct dfa *d = NULL;
	int loop[2] = {-1, -1};
	struct aspen_byteset word, nonword;
	char msg[160];

	err->offset = -1;
	err->msg[0] = 0;
	if (bad)
		*bad = 0;
	if (n > 1 && mode == RX_UNANCHORED_LATE)
		return build_parts(srcs, flags, masks, n, mode, max_states, err, bad);
	out = nfa_new();
	if (!out || nfa_add_state(out) != 0)
		goto oom;
	word_sets(&word, &nonword);
	if (mode == RX_ANCHORED_CTX) {
		if (n != 1)
			goto oom;
	} else {
		/* state 0: begin of input (previous byte: none = not a word byte) */
		loop[0] = 0;
		loop[1] = nfa_add_state(out);
		if (loop[1] < 0 || nfa_add_edge(out, 0, 0, &nonword) < 0 ||
		    nfa_add_edge(out, 0, loop[1], &word) < 0 ||
		    nfa_add_edge(out, loop[1], loop[1], &word) < 0 ||
		    nfa_add_edge(out, loop[1], 0, &nonword) < 0)
			goto oom;
	}
	for (size_t i = 0; i < n; i++) {
		struct tnfa t = {0};
		int acc = build_tnfa(srcs[i], flags[i], &t, err), entry[2];

		if (acc < 0 || (acc >= 0 && matches_empty(&t, acc))) {
			if (acc >= 0) {
				err->offset = 0;
				snprintf(err->msg, sizeof(err->msg),
					 "the pattern matches the empty string");
			}
			if (bad)
				*bad = i;
			tfree(&t);
			nfa_free(out);
			return NULL;
		}
		if (add_product(out, &t, acc, mode, masks ? masks[i] : 1, entry) < 0) {
			tfree(&t);
			goto oom;
		}
		tfree(&t);
		if (mode == RX_ANCHORED_CTX) {
			if (nfa_add_edge(out, 0, entry[0], &nonword) < 0 ||
			    nfa_add_edge(out, 0, entry[1], &word) < 0)
				goto oom;
		} else if (nfa_add_edge(out, loop[0], entry[0], NULL) < 0 ||
			   nfa_add_edge(out, loop[1], entry[1], NULL) < 0) {
			goto oom;
		}
	}
	d = nfa_to_dfa(out, max_states, msg, sizeof(msg));
	if (!d)
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
	nfa_free(out);
	return d;
oom:
	snprintf(err->msg, sizeof(err->msg), "out of memory building a DFA");
	nfa_free(out);
	return NULL;
}
