/* SPDX-License-Identifier: Apache-2.0 */
/* Reference glob matcher; see glob.h for the syntax. */
#include "glob.h"

#include <string.h>

static void set_all_but_nul(struct aspen_byteset *set)
{
	/* NUL ends a C string, so no element may ever match it: the kernel
	 * DFA stops at NUL and the two matchers must agree. */
	memset(set, 0xff, sizeof(*set));
	set->w[0] &= ~1ULL;
}

static void set_close_case(struct aspen_byteset *set)
{
	for (int c = 'a'; c <= 'z'; c++) {
		if (aspen_byteset_has(set, (unsigned char)c) ||
		    aspen_byteset_has(set, (unsigned char)(c - 'a' + 'A'))) {
			aspen_byteset_add(set, (unsigned char)c);
			aspen_byteset_add(set, (unsigned char)(c - 'a' + 'A'));
		}
	}
}

/* One byte inside [...]: a plain byte or \x. Returns -1 at end of glob. */
static int class_byte(const char **p)
{
	unsigned char c = (unsigned char)**p;

	if (c == '\\') {
		(*p)++;
		c = (unsigned char)**p;
	}
	if (c == 0)
		return -1;
	(*p)++;
	return c;
}

/* *p points after '['. */
static enum aspen_glob_elem parse_class(const char **p, bool icase, struct aspen_byteset *set,
					const char **err)
{
	bool negate = false, first = true;

	memset(set, 0, sizeof(*set));
	if (**p == '!') {
		negate = true;
		(*p)++;
	}
	while (first || **p != ']') {
		int lo = class_byte(p), hi;

		if (lo < 0) {
			*err = "unterminated '[' class";
			return ASPEN_GLOB_ERR;
		}
		hi = lo;
		if (**p == '-' && (*p)[1] != ']' && (*p)[1] != 0) {
			(*p)++;
			hi = class_byte(p);
			if (hi < 0) {
				*err = "unterminated '[' class";
				return ASPEN_GLOB_ERR;
			}
			if (hi < lo) {
				*err = "range in '[' class is reversed";
				return ASPEN_GLOB_ERR;
			}
		}
		for (int b = lo; b <= hi; b++)
			aspen_byteset_add(set, (unsigned char)b);
		first = false;
	}
	(*p)++; /* ']' */
	/* fold case before negating: [!a-c] must exclude 'B' too */
	if (icase)
		set_close_case(set);
	if (negate) {
		for (int i = 0; i < 4; i++)
			set->w[i] = ~set->w[i];
		set->w[0] &= ~1ULL;
	}
	return ASPEN_GLOB_SET;
}

enum aspen_glob_elem aspen_glob_next(const char **p, bool icase, struct aspen_byteset *set,
				     const char **err)
{
	unsigned char c = (unsigned char)**p;
	enum aspen_glob_elem e = ASPEN_GLOB_SET;

	switch (c) {
	case 0: return ASPEN_GLOB_END;
	case '*': (*p)++; return ASPEN_GLOB_STAR;
	case '?':
		(*p)++;
		set_all_but_nul(set);
		return ASPEN_GLOB_SET;
	case '[': (*p)++; return parse_class(p, icase, set, err);
	case '\\':
		c = (unsigned char)(*p)[1];
		if (c == 0) {
			*err = "trailing '\\' escapes nothing";
			return ASPEN_GLOB_ERR;
		}
		(*p) += 2;
		memset(set, 0, sizeof(*set));
		aspen_byteset_add(set, c);
		break;
	default:
		(*p)++;
		memset(set, 0, sizeof(*set));
		aspen_byteset_add(set, c);
		break;
	}
	if (e == ASPEN_GLOB_SET && icase)
		set_close_case(set);
	return e;
}

int aspen_glob_valid(const char *glob, const char **err)
{
	struct aspen_byteset set;
	const char *p = glob, *e = NULL;

	for (;;) {
		switch (aspen_glob_next(&p, false, &set, &e)) {
		case ASPEN_GLOB_END: return 0;
		case ASPEN_GLOB_ERR:
			if (err)
				*err = e;
			return -1;
		default: break;
		}
	}
}

/*
 * Iterative match with one backtrack point: the last '*' seen. Because '*'
 * matches any byte, retrying only from the latest star is complete, and the
 * cost is O(len(glob) * len(s)) with no exponential blow-up.
 */
static bool match(const char *glob, const char *s, bool icase)
{
	const char *p = glob, *star_p = NULL, *err;
	size_t i = 0, star_i = 0;
	struct aspen_byteset set;

	if (aspen_glob_valid(glob, &err) != 0)
		return false;
	for (;;) {
		const char *q = p;
		enum aspen_glob_elem e = aspen_glob_next(&q, icase, &set, &err);

		if (e == ASPEN_GLOB_STAR) {
			star_p = p = q;
			star_i = i;
			continue;
		}
		if (e == ASPEN_GLOB_SET && s[i] && aspen_byteset_has(&set, (unsigned char)s[i])) {
			p = q;
			i++;
			continue;
		}
		if (e == ASPEN_GLOB_END && !s[i])
			return true;
		if (!star_p || !s[star_i])
			return false;
		i = ++star_i;
		p = star_p;
	}
}

bool aspen_glob_match(const char *glob, const char *s)
{
	return match(glob, s, false);
}

bool aspen_glob_match_ci(const char *glob, const char *s)
{
	return match(glob, s, true);
}
