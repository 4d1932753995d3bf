/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference glob matcher (docs/internals.md, "Glob semantics"):
 *   *      any run of bytes, '/' included
 *   ?      exactly one byte
 *   [abc] [a-z] [!a-z]   one byte in / not in the set; ']' first is literal
 *   \x     the byte x, literally
 * Matching is anchored at both ends. NUL never matches (strings are C
 * strings). The compiler's DFA builder parses globs with aspen_glob_next()
 * so that the kernel DFAs and this matcher cannot disagree on syntax.
 */
#ifndef ASPEN_GLOB_H
#define ASPEN_GLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A set of bytes: bit b of w[b / 64]. */
struct aspen_byteset {
	uint64_t w[4];
};

static inline bool aspen_byteset_has(const struct aspen_byteset *s, unsigned char b)
{
	return (s->w[b >> 6] >> (b & 63)) & 1;
}

static inline void aspen_byteset_add(struct aspen_byteset *s, unsigned char b)
{
	s->w[b >> 6] |= 1ULL << (b & 63);
}

enum aspen_glob_elem {
	ASPEN_GLOB_END = 0, /* end of the glob                         */
	ASPEN_GLOB_SET,	    /* one byte out of a set (literal, ?, [])  */
	ASPEN_GLOB_STAR,    /* any run of bytes                        */
	ASPEN_GLOB_ERR,	    /* syntax error; *err says which           */
};

/* Parse the element at *p: on ASPEN_GLOB_SET fills *set; advances *p past
 * the element. With icase, sets are closed under ASCII case. */
enum aspen_glob_elem aspen_glob_next(const char **p, bool icase, struct aspen_byteset *set,
				     const char **err);

/* 0 if glob is well formed, else -1 with *err (static string) set. */
int aspen_glob_valid(const char *glob, const char **err);

/* Whole-string match; a malformed glob matches nothing. */
bool aspen_glob_match(const char *glob, const char *s);

/* Same, ASCII case-insensitive (host names). */
bool aspen_glob_match_ci(const char *glob, const char *s);

#endif
