/* SPDX-License-Identifier: Apache-2.0 */
/* Glob front end of the DFA builder (common/dfa.h): globs -> NFA -> DFA. */
#include "glob_dfa.h"

#include <stdio.h>
#include <string.h>

/* One state per consumed element; '*' is a self-loop on the current state
 * (it matches any byte but NUL), so no epsilon edges are needed. */
static int glob_nfa(struct nfa *n, int start, const char *glob, bool icase, uint64_t mask,
		    char *err, size_t errlen)
{
	struct aspen_byteset set, any;
	const char *p = glob, *msg = NULL;
	int cur = start;

	memset(&any, 0xff, sizeof(any));
	any.w[0] &= ~1ULL;
	for (;;) {
		switch (aspen_glob_next(&p, icase, &set, &msg)) {
		case ASPEN_GLOB_END: nfa_set_accept_mask(n, cur, mask); return 0;
		case ASPEN_GLOB_ERR: snprintf(err, errlen, "%s", msg); return -1;
		case ASPEN_GLOB_STAR:
			if (nfa_add_edge(n, cur, cur, &any) < 0)
				return -1;
			break;
		case ASPEN_GLOB_SET: {
			int to = nfa_add_state(n);

			if (to < 0 || nfa_add_edge(n, cur, to, &set) < 0)
				return -1;
			cur = to;
			break;
		}
		}
	}
}

struct dfa *glob_dfa_build(const char *glob, int flags, char *err, size_t errlen)
{
	struct nfa *n = nfa_new();
	struct dfa *d = NULL;

	err[0] = 0;
	if (n && nfa_add_state(n) == 0 &&
	    glob_nfa(n, 0, glob, flags & GLOB_DFA_ICASE, 1, err, errlen) == 0)
		d = nfa_to_dfa(n, DFA_MAX_STATES, err, errlen);
	else if (!err[0])
		snprintf(err, errlen, "out of memory building a DFA");
	nfa_free(n);
	return d;
}

/* A start state with an epsilon edge to each glob's own start: the subset
 * construction runs all globs at once, and each DFA state's mask is the
 * union of the masks of the globs that accept there. */
struct dfa *glob_dfa_build_multi(const char *const *globs, const uint64_t *masks, size_t n,
				 int flags, int max_states, char *err, size_t errlen)
{
	struct nfa *nfa = nfa_new();
	struct dfa *d = NULL;
	size_t i;

	err[0] = 0;
	if (!nfa || nfa_add_state(nfa) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		int start = nfa_add_state(nfa);

		if (start < 0 || nfa_add_edge(nfa, 0, start, NULL) < 0)
			goto out;
		if (glob_nfa(nfa, start, globs[i], flags & GLOB_DFA_ICASE, masks[i], err, errlen) <
		    0)
			goto out;
	}
	d = nfa_to_dfa(nfa, max_states, err, errlen);
out:
	if (!d && !err[0])
		snprintf(err, errlen, "out of memory building a DFA");
	nfa_free(nfa);
	return d;
}
