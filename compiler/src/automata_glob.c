/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The glob automata the kernel runs (docs/internals.md, "Generated eBPF
 * C"), built from the lowered IR once every rule is lowered:
 *   - one DFA per process.exe / process.comm glob (aspen_exe<i>_match);
 *   - per request field (http.method, http.path, http.host, request.model,
 *     request.user), one combined DFA whose states carry the mask of the
 *     globs that match there, split in groups when it would not fit
 *     DFA_MAX_STATES;
 *   - the same for provider host globs -> provider mask (the Host header).
 */
#include <stdlib.h>

#include "lower.h"

/* ---- one DFA per exe / comm glob ------------------------------------------- */

void automata_process_globs(struct ir *ir, struct diags *d)
{
	static const enum pred_class classes[] = {PC_EXE, PC_COMM};
	char err[160];

	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		struct ir_pred_table *t = &ir->preds[classes[c]];

		for (int i = 0; i < t->n; i++) {
			struct ir_pred *pr = &t->preds[i];

			pr->dfa = glob_dfa_build(pr->glob, 0, err, sizeof(err));
			if (!pr->dfa)
				diag_error(d, pr->span, NULL,
					   "glob '%s' cannot be matched in the kernel: %s",
					   pr->glob, err);
		}
	}
}

/* ---- combined DFAs: many globs, a mask per state
 * -------------------------------------------------------- */

int mdfa_build(struct ir_mdfa *m, const char *const *globs, const uint64_t *masks, size_t n,
	       int flags, char *err, size_t errlen)
{
	struct dfa *d;

	if (!n)
		return 0;
	d = glob_dfa_build_multi(globs, masks, n, flags, DFA_MAX_STATES, err, errlen);
	if (d) {
		m->g = realloc(m->g, (m->n + 1) * sizeof(*m->g));
		if (!m->g)
			abort();
		m->g[m->n++] = d;
		return 0;
	}
	if (n == 1)
		return -1;
	/* too many states together: each half is matched by its own loop */
	if (mdfa_build(m, globs, masks, n / 2, flags, err, errlen) < 0)
		return -1;
	return mdfa_build(m, globs + n / 2, masks + n / 2, n - n / 2, flags, err, errlen);
}

uint64_t mdfa_match(const struct ir_mdfa *m, const char *s)
{
	uint64_t bits = 0;

	for (size_t i = 0; i < m->n; i++)
		bits |= dfa_match_mask(m->g[i], s);
	return bits;
}

void mdfa_free(struct ir_mdfa *m)
{
	for (size_t i = 0; i < m->n; i++)
		dfa_free(m->g[i]);
	free(m->g);
	m->g = NULL;
	m->n = 0;
}

/* When mdfa_build() failed: the index of the glob that does not fit
 * alone (for the position of the error), its error in err; n if none. */
static size_t too_large(const char *const *globs, size_t n, int flags, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		struct dfa *dfa = glob_dfa_build(globs[i], flags, err, errlen);

		if (!dfa)
			return i;
		dfa_free(dfa);
	}
	return n;
}

/* method and host compare case-insensitively; path, model and user exactly */
static int req_flags(enum pred_class pc)
{
	return pc == PC_METHOD || pc == PC_HTTP_HOST ? GLOB_DFA_ICASE : 0;
}

void automata_request_fields(struct ir *ir, struct diags *d)
{
	char err[160];

	for (int pc = PC_FIRST_REQ; pc < PC__COUNT; pc++) {
		const struct ir_pred_table *t = &ir->preds[pc];
		const char *globs[ASPEN_MAX_PREDS];
		uint64_t masks[ASPEN_MAX_PREDS];

		for (int i = 0; i < t->n; i++) {
			globs[i] = t->preds[i].glob;
			masks[i] = 1ULL << t->preds[i].bit;
		}
		if (mdfa_build(&ir->req_dfa[pc], globs, masks, (size_t)t->n, req_flags(pc), err,
			       sizeof(err)) < 0) {
			size_t i = too_large(globs, (size_t)t->n, req_flags(pc), err, sizeof(err));

			if (i < (size_t)t->n)
				diag_error(d, t->preds[i].span, NULL,
					   "glob '%s' cannot be matched in the kernel: %s",
					   globs[i], err);
		}
	}
}

/* Provider host globs -> provider bit, for the Host header of a request. */
void automata_hosts(struct ir *ir, struct diags *d)
{
	const struct program *p = ir->prog;
	const char **globs = NULL;
	uint64_t *masks = NULL;
	size_t n = 0;
	char err[160];

	for (size_t i = 0; i < ir->nproviders; i++) {
		const struct value *h = p->providers[i]->hosts;

		for (size_t j = 0; h && j < h->nitems; j++) {
			if (h->items[j]->kind != VAL_STRING)
				continue;
			globs = realloc(globs, (n + 1) * sizeof(*globs));
			masks = realloc(masks, (n + 1) * sizeof(*masks));
			if (!globs || !masks)
				abort();
			globs[n] = h->items[j]->str;
			masks[n++] = 1ULL << i;
		}
	}
	if (mdfa_build(&ir->host_dfa, globs, masks, n, GLOB_DFA_ICASE, err, sizeof(err)) < 0) {
		size_t i = too_large(globs, n, GLOB_DFA_ICASE, err, sizeof(err));

		if (i < n)
			diag_error(d, p->providers[__builtin_ctzll(masks[i])]->name_span, NULL,
				   "host '%s' cannot be matched in the kernel: %s", globs[i], err);
	}
	free(globs);
	free(masks);
}
