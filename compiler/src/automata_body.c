/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The body automaton (docs/internals.md, "Patterns, body scanning and
 * redaction"): one unanchored DFA over every pattern the rules use, whose
 * states carry the mask of the patterns a match of which ends there. When
 * it exceeds IR_BODY_MAX_STATES the patterns are split in halves until each
 * group fits; the kernel steps at most IR_BODY_MAX_DFAS groups together.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lower.h"

/* ---- groups ------------------------------------------------------------ */

/* Each pattern's own minimal DFA, built once: a group is their product
 * (dfa_product(), the same DFA as one construction over the group's
 * patterns, far cheaper), and the halving below reuses them. NULL when
 * reported. */
static struct dfa *body_part(const struct ir *ir, struct diags *diags, size_t i)
{
	const struct ir_pattern *p = &ir->patterns[i];
	const char *src = p->decl->regex;
	uint64_t mask = 1ULL << p->index;
	struct rx_error err;
	struct dfa *d = rx_build_dfa(&src, &p->flags, &mask, 1, RX_UNANCHORED_LATE,
				     IR_BODY_MAX_STATES, &err, NULL);

	if (d)
		return d;
	if (err.offset >= 0)
		diag_error(diags, p->decl->span, NULL, "pattern '%s': %s", p->name, err.msg);
	else
		diag_error(diags, p->decl->span,
			   "simplify it: bounded repetitions ({m,n}) after a wide class multiply "
			   "states",
			   "pattern '%s' is too large for the kernel: %s (budget %d per DFA)",
			   p->name, err.msg, IR_BODY_MAX_STATES);
	return NULL;
}

static void pattern_names(const struct ir *ir, size_t from, size_t n, char *buf, size_t len)
{
	size_t k = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && k + 1 < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "",
				      ir->patterns[from + i].name);
}

/* Patterns [from, from + n) into as few DFAs as fit the budget (halving
 * the set until each half fits). A single part always fits. */
static void body_groups(struct dfa *const *parts, size_t from, size_t n, struct dfa ***out,
			size_t *nout)
{
	char err[160];
	/* the masks are distinct bits (one per pattern): the product stops
	 * as soon as it is over the budget */
	struct dfa *d = dfa_product(parts + from, n, IR_BODY_MAX_STATES, true, err, sizeof(err));

	if (d || n == 1) {
		if (!d)
			abort(); /* out of memory: a part alone fits */
		*out = realloc(*out, (*nout + 1) * sizeof(**out));
		if (!*out)
			abort();
		(*out)[(*nout)++] = d;
		return;
	}
	body_groups(parts, from, n / 2, out, nout);
	body_groups(parts, from + n / 2, n - n / 2, out, nout);
}

void automata_body(struct ir *ir, struct diags *diags)
{
	struct dfa **g = NULL;
	size_t ng = 0;

	struct dfa **parts;
	bool ok = true;

	if (!ir->npatterns)
		return;
	parts = calloc(ir->npatterns, sizeof(*parts));
	if (!parts)
		abort();
	for (size_t i = 0; i < ir->npatterns && ok; i++)
		ok = (parts[i] = body_part(ir, diags, i)) != NULL;
	if (ok)
		body_groups(parts, 0, ir->npatterns, &g, &ng);
	for (size_t i = 0; i < ir->npatterns; i++)
		dfa_free(parts[i]);
	free(parts);
	if (ok && ng > IR_BODY_MAX_DFAS) {
		char names[512], sizes[128];
		size_t k = 0;

		pattern_names(ir, 0, ir->npatterns, names, sizeof(names));
		sizes[0] = 0;
		for (size_t i = 0; i < ng && k + 1 < sizeof(sizes); i++)
			k += (size_t)snprintf(sizes + k, sizeof(sizes) - k, "%s%d", i ? " + " : "",
					      g[i]->nstates);
		diag_error(diags, ir->patterns[0].decl->span, "use fewer or simpler patterns",
			   "the patterns of this policy need %zu body DFAs (%s states), at most "
			   "%d of %d states fit: %s",
			   ng, sizes, IR_BODY_MAX_DFAS, IR_BODY_MAX_STATES, names);
	} else {
		for (size_t i = 0; i < ng; i++)
			ir->body_dfa[ir->nbody_dfa++] = g[i];
		ng = 0;
	}
	for (size_t i = 0; i < ng; i++)
		dfa_free(g[i]);
	free(g);
}

uint64_t ir_body_scan(const struct ir *ir, const uint8_t *buf, size_t n)
{
	uint64_t m = 0;

	for (size_t g = 0; g < ir->nbody_dfa; g++) {
		const struct dfa *d = ir->body_dfa[g];
		int st = 0;

		for (size_t i = 0; i < n; i++) {
			st = d->next[st * d->nclasses + d->cls[buf[i]]];
			m |= d->mask[st];
		}
	}
	return m;
}
