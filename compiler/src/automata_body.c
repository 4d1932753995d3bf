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

static struct dfa *body_group(const struct ir *ir, size_t from, size_t n, struct rx_error *err,
			      size_t *bad)
{
	const char *srcs[IR_MAX_PATTERNS];
	int flags[IR_MAX_PATTERNS];
	uint64_t masks[IR_MAX_PATTERNS];

	for (size_t i = 0; i < n; i++) {
		const struct ir_pattern *p = &ir->patterns[from + i];

		srcs[i] = p->decl->regex;
		flags[i] = p->flags;
		masks[i] = 1ULL << p->index;
	}
	return rx_build_dfa(srcs, flags, masks, n, RX_UNANCHORED_LATE, IR_BODY_MAX_STATES, err,
			    bad);
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
 * the set until each half fits). 0, or -1 when reported. */
static int body_groups(struct ir *ir, struct diags *diags, size_t from, size_t n, struct dfa ***out,
		       size_t *nout)
{
	struct rx_error err;
	size_t bad = 0;
	struct dfa *d = body_group(ir, from, n, &err, &bad);

	if (d) {
		*out = realloc(*out, (*nout + 1) * sizeof(**out));
		if (!*out)
			abort();
		(*out)[(*nout)++] = d;
		return 0;
	}
	if (err.offset >= 0) {
		diag_error(diags, ir->patterns[from + bad].decl->span, NULL, "pattern '%s': %s",
			   ir->patterns[from + bad].name, err.msg);
		return -1;
	}
	if (n == 1) {
		diag_error(diags, ir->patterns[from].decl->span,
			   "simplify it: bounded repetitions ({m,n}) after a wide class multiply "
			   "states",
			   "pattern '%s' is too large for the kernel: %s (budget %d per DFA)",
			   ir->patterns[from].name, err.msg, IR_BODY_MAX_STATES);
		return -1;
	}
	if (body_groups(ir, diags, from, n / 2, out, nout) < 0)
		return -1;
	return body_groups(ir, diags, from + n / 2, n - n / 2, out, nout);
}

void automata_body(struct ir *ir, struct diags *diags)
{
	struct dfa **g = NULL;
	size_t ng = 0;

	if (!ir->npatterns)
		return;
	if (body_groups(ir, diags, 0, ir->npatterns, &g, &ng) == 0 && ng > IR_BODY_MAX_DFAS) {
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
