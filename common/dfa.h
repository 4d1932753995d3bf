/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pattern -> minimal DFA over bytes, for matching in the kernel and in
 * userspace.
 *
 * Front ends (globs: compiler/src/glob_dfa.h; regular expressions:
 * common/regex_dfa.h) build a small NFA with byte-set and epsilon edges;
 * nfa_to_dfa() runs the subset construction, minimises the result (Moore
 * partition refinement) and compresses its alphabet into byte classes.
 * The tables are what the compiler's emit_c.c prints:
 *
 *   state = 0
 *   for each byte b of s until NUL: state = next[state * nclasses + cls[b]]
 *   matched = accept[state]
 */
#ifndef ASPEN_DFA_H
#define ASPEN_DFA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "glob.h"

#define DFA_MAX_STATES16 65535 /* any DFA: next[] holds uint16_t */

struct dfa {
	uint8_t cls[256]; /* byte -> class                          */
	int nclasses;
	int nstates;	 /* start state is 0                       */
	uint16_t *next;	 /* [nstates][nclasses]                    */
	uint8_t *accept; /* [nstates]: 1 if accepting              */
	uint64_t *mask;	 /* [nstates]: patterns accepted (multi)   */
	int dead;	 /* the state no input leaves, or -1       */
};

/* ---- NFA builder (shared by every front end) ------------------------- */

struct nfa;

struct nfa *nfa_new(void);
void nfa_free(struct nfa *n);
/* A new state; returns its number (the first state made is the start). */
int nfa_add_state(struct nfa *n);
/* An edge on any byte of set, or an epsilon edge when set is NULL. */
int nfa_add_edge(struct nfa *n, int from, int to, const struct aspen_byteset *set);
void nfa_set_accept(struct nfa *n, int state); /* pattern bit 0 */
/* Multi-pattern: the state accepts the patterns of mask (DFA states carry
 * the union of the masks of their NFA states). */
void nfa_set_accept_mask(struct nfa *n, int state, uint64_t mask);

/* Subset construction + minimisation. Returns NULL with a message in err
 * when the minimal DFA would exceed max_states (or on allocation failure). */
struct dfa *nfa_to_dfa(const struct nfa *n, int max_states, char *err, size_t errlen);
/* The product of DFAs parts[0..n) that share a start context (each a
 * dfa_match_mask() machine): one DFA whose mask after each byte is the OR of
 * the parts' masks, minimised. When distinct (no two parts' masks share a
 * bit, and the parts are minimal), the product of the parts is already
 * minimal, so its construction stops as soon as it has more than
 * max_states states. NULL with a message in err as nfa_to_dfa(). */
struct dfa *dfa_product(struct dfa *const *parts, size_t n, int max_states, bool distinct,
			char *err, size_t errlen);
/* Number of NFA states (front ends check their own budgets). */
size_t nfa_size(const struct nfa *n);

void dfa_free(struct dfa *d);

/* The body scan's prefilter (docs/internals.md, "Patterns, body scanning").
 * Finds a set of idle states (the start state and those it comes back to
 * between matches: after a word byte, after a blank, ...) and the bytes
 * that cannot start nor continue a match from any of them: from every idle
 * state such a byte c leads to one same idle state skipto[c], where no
 * pattern matches. A scan in an idle state may so pass such bytes without
 * stepping: the state after a run of them is skipto[its last byte].
 * Fills idle[nstates] (1: idle) and skipto[256] (-1: the byte needs a
 * step). Returns the number of bytes that can be passed (0: none). */
int dfa_idle_skip(const struct dfa *d, uint8_t *idle, int16_t skipto[256]);

/* Run the DFA exactly as the generated kernel code does (tests). */
bool dfa_match(const struct dfa *d, const char *s);
uint64_t dfa_match_mask(const struct dfa *d, const char *s);

#endif
