/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rules that can never fire. Rules run in order and the first terminal
 * action wins, so a rule that always matches and decides hides every later
 * rule of the traffic it sees; and a condition that contradicts itself
 * (`dst.port == 443 and dst.port == 80`) never matches. Both are warnings:
 * the policy is valid, but almost certainly not what its author meant.
 * The literal cases are named here with their own words; subsume.c then
 * searches every rule's conditions against the rules before it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "passes.h"

static int always_true(const struct expr *e)
{
	if (!e || e->kind == EXPR_TRUE)
		return 1;
	if (e->kind == EXPR_AND)
		return always_true(e->lhs) && always_true(e->rhs);
	if (e->kind == EXPR_OR)
		return always_true(e->lhs) || always_true(e->rhs);
	return 0;
}

static int has_terminal(const struct decl *r)
{
	for (size_t i = 0; i < r->nactions; i++)
		if (r->actions[i].kind <= ACT_KILL)
			return 1;
	return 0;
}

static int has_action(const struct decl *r, enum action_kind k)
{
	for (size_t i = 0; i < r->nactions; i++)
		if (r->actions[i].kind == k)
			return 1;
	return 0;
}

/* A redaction is not ordered: an earlier `allow` does not stop it, only a
 * deny (in enforce mode: a monitor rule's deny lets the request pass). */
static int stops(const struct program *p, const struct decl *s, const struct decl *r)
{
	enum mode m = s->mode != MODE_UNSET ? s->mode : p->root->mode;

	if (!has_action(r, ACT_REDACT))
		return has_terminal(s);
	return m != MODE_MONITOR && (has_action(s, ACT_DENY) || has_action(s, ACT_KILL));
}

/* Does an always-deciding rule of kind `by` see all traffic of kind `on`?
 * `on connect any` sees every connection, AI traffic included. */
static int covers(enum rule_on by, enum rule_on on)
{
	return by == on || (by == ON_CONNECT_ANY && on == ON_CONNECT);
}

static void check_shadowed(const struct program *p, bool *warned, struct diags *d)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct decl *r = p->rules[i];

		for (size_t j = 0; j < i; j++) {
			const struct decl *s = p->rules[j];
			char hint[160];

			if (!covers(s->on, r->on) || !stops(p, s, r) || !always_true(s->when))
				continue;
			snprintf(hint, sizeof(hint),
				 "move it before '%s', or give '%s' a 'when' condition", s->name,
				 s->name);
			diag_warn(
			    d, r->name_span, hint,
			    "rule '%s' can never fire: rule '%s' (line %u) always decides first",
			    r->name, s->name, s->name_span.line);
			warned[i] = true;
			break;
		}
	}
}

/* A literal that stands for exactly one value: `==` with it is an equality,
 * so two different ones on the same field under `and` cannot both hold. */
static int exact_literal(const struct expr *e)
{
	const struct value *v = e->rhs_val;

	if (e->op != OP_EQ || e->field == F_NONE)
		return 0;
	if (v->kind == VAL_INT)
		return 1;
	if (v->kind == VAL_STRING)
		return e->field != F_DST_IP && !strpbrk(v->str, "*?[\\");
	return v->kind == VAL_IDENT && v->ref && v->ref->kind == DECL_PROVIDER;
}

static int same_literal(const struct value *a, const struct value *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == VAL_INT)
		return a->num == b->num;
	if (a->kind == VAL_IDENT)
		return a->ref == b->ref;
	if (a->kind == VAL_STRING)
		return !strcmp(a->str, b->str);
	return 0;
}

/* Collect the comparisons joined by `and` at the top of e. */
static size_t conjuncts(const struct expr *e, const struct expr **out, size_t n, size_t max)
{
	if (e->kind == EXPR_AND) {
		n = conjuncts(e->lhs, out, n, max);
		return conjuncts(e->rhs, out, n, max);
	}
	if (e->kind == EXPR_CMP && n < max)
		out[n++] = e;
	return n;
}

static bool check_contradiction(const struct decl *r, struct diags *d)
{
	const struct expr *c[64];
	size_t n;

	if (!r->when)
		return false;
	n = conjuncts(r->when, c, 0, 64);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			int eq_ne = c[i]->op == OP_EQ && c[j]->op == OP_NE &&
				    same_literal(c[i]->rhs_val, c[j]->rhs_val);

			/* provider and dst.host are sets (an address shared by several
			 * providers or names): two different equalities can both hold */
			int set_field = c[i]->field == F_PROVIDER || c[i]->field == F_DST_HOST;

			if (c[i]->field != c[j]->field || !exact_literal(c[i]))
				continue;
			if (!eq_ne && (set_field || !(exact_literal(c[j]) &&
						      !same_literal(c[i]->rhs_val, c[j]->rhs_val))))
				continue;
			diag_warn(d, r->name_span, "its 'when' condition contradicts itself",
				  "rule '%s' can never fire: its conditions on %s contradict each "
				  "other (line %u)",
				  r->name, c[i]->field_name, c[j]->span.line);
			return true;
		}
	}
	return false;
}

int analyse_program(struct program *p, struct diags *d)
{
	bool *warned = calloc(p->nrules ? p->nrules : 1, sizeof(*warned));

	if (!warned)
		abort();
	check_shadowed(p, warned, d);
	for (size_t i = 0; i < p->nrules; i++)
		warned[i] |= check_contradiction(p->rules[i], d);
	subsume_program(p, warned, d);
	free(warned);
	return 0;
}
