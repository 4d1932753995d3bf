/* SPDX-License-Identifier: Apache-2.0 */
/* Masking request values for the audit trail and traces. See rt_scrub.h. */
#define _GNU_SOURCE
#include "rt_scrub.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex_dfa.h"

#define MASK_MAX 32 /* bytes of a pattern's mask kept */

struct scrub_pat {
	struct rx *rx;
	bool own;
	char mask[MASK_MAX + 1];
	size_t masklen;
	aspen_validator_fn valid;
};

struct rt_scrub {
	struct scrub_pat *pat;
	size_t n, cap;
	uint64_t gen; /* new at every change: the clean-value cache's key */
};

static _Atomic uint64_t scrub_gens;

struct rt_scrub *rt_scrub_new(void)
{
	struct rt_scrub *s = calloc(1, sizeof(struct rt_scrub));

	if (s)
		s->gen = ++scrub_gens;
	return s;
}

void rt_scrub_free(struct rt_scrub *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->pat[i].own)
			rx_free(s->pat[i].rx);
	free(s->pat);
	free(s);
}

size_t rt_scrub_count(const struct rt_scrub *s)
{
	return s ? s->n : 0;
}

const struct rx *rt_scrub_pattern(const struct rt_scrub *s, size_t i, aspen_validator_fn *valid)
{
	if (!s || i >= s->n)
		return NULL;
	if (valid)
		*valid = s->pat[i].valid;
	return s->pat[i].rx;
}

/* A mask written into a JSON string as itself: printable ASCII, no '"' or '\'. */
static bool plain_mask(const char *m)
{
	if (!m || !m[0] || strlen(m) > MASK_MAX)
		return false;
	for (; *m; m++)
		if (*m < 0x20 || *m > 0x7e || *m == '"' || *m == '\\')
			return false;
	return true;
}

int rt_scrub_add(struct rt_scrub *s, struct rx *rx, bool own, const char *mask,
		 aspen_validator_fn valid)
{
	struct scrub_pat *p;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		p = realloc(s->pat, cap * sizeof(*p));
		if (!p) {
			if (own)
				rx_free(rx);
			return -1;
		}
		s->pat = p;
		s->cap = cap;
	}
	p = &s->pat[s->n++];
	s->gen = ++scrub_gens;
	memset(p, 0, sizeof(*p));
	p->rx = rx;
	p->own = own;
	snprintf(p->mask, sizeof(p->mask), "%s", plain_mask(mask) ? mask : RT_SCRUB_MASK);
	p->masklen = strlen(p->mask);
	p->valid = valid;
	return 0;
}

/* ---- reading `pattern` declarations ----------------------------------- */

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *skip_ident(const char *p)
{
	if (!isalpha((unsigned char)*p) && *p != '_')
		return NULL;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	return p;
}

struct asp_pattern {
	char *regex; /* malloc'd: the source between the slashes */
	int flags;
	char validator[32];
};

/* One line: 1 and *out filled for a pattern declaration, 0 for any other
 * line, -1 for a `pattern` line this reader cannot take. */
static int parse_pattern_line(const char *line, struct asp_pattern *out)
{
	const char *p = skip_space(line), *r, *v;

	if (strncmp(p, "pattern", 7) || (p[7] != ' ' && p[7] != '\t'))
		return 0;
	p = skip_ident(skip_space(p + 7));
	if (!p || *(p = skip_space(p)) != '=' || *(p = skip_space(p + 1)) != '/')
		return -1;
	r = ++p;
	while (*p && *p != '/' && *p != '\n')
		p += (*p == '\\' && p[1] && p[1] != '\n') ? 2 : 1;
	if (*p != '/')
		return -1;
	out->regex = strndup(r, (size_t)(p - r));
	out->flags = 0;
	out->validator[0] = 0;
	for (p++; isalpha((unsigned char)*p); p++)
		out->flags |= *p == 'i' ? RX_FLAG_ICASE : 0;
	p = skip_space(p);
	if (!strncmp(p, "validate", 8) && (p[8] == ' ' || p[8] == '\t')) {
		v = skip_space(p + 8);
		p = skip_ident(v);
		if (!p || (size_t)(p - v) >= sizeof(out->validator)) {
			free(out->regex);
			return -1;
		}
		snprintf(out->validator, sizeof(out->validator), "%.*s", (int)(p - v), v);
	}
	return out->regex ? 1 : -1;
}

static int add_parsed(struct rt_scrub *s, struct asp_pattern *ap, char *err, size_t errlen)
{
	aspen_validator_fn valid = NULL;
	struct rx_error rerr;
	struct rx *rx;

	if (ap->validator[0] && !(valid = aspen_validator(ap->validator))) {
		snprintf(err, errlen, "unknown validator %s", ap->validator);
		return -1;
	}
	rx = rx_new_short(ap->regex, ap->flags, &rerr);
	if (!rx) {
		snprintf(err, errlen, "/%s/: %s", ap->regex, rerr.msg);
		return -1;
	}
	if (rt_scrub_add(s, rx, true, NULL, valid) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int rt_scrub_add_asp(struct rt_scrub *s, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int added = 0, lineno = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		struct asp_pattern ap;
		char why[256];
		int rc = parse_pattern_line(line, &ap);

		lineno++;
		if (rc == 0)
			continue;
		if (rc < 0) {
			snprintf(err, errlen, "%s:%d: not a one-line pattern declaration", path,
				 lineno);
			added = -1;
			break;
		}
		rc = add_parsed(s, &ap, why, sizeof(why));
		free(ap.regex);
		if (rc < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			added = -1;
			break;
		}
		added++;
	}
	free(line);
	fclose(f);
	return added;
}

/* ---- masking ----------------------------------------------------------- */

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The percent-decoded form of in ('+' as a space) into dec, and for each
 * of its bytes the offset in in it came from (map[nd] = n). Returns nd, or
 * 0 when decoding changes nothing. */
static size_t percent_decode(const uint8_t *in, size_t n, uint8_t *dec, size_t *map)
{
	size_t nd = 0;
	bool changed = false;

	for (size_t i = 0; i < n; nd++) {
		int hi = i + 2 < n ? hexval(in[i + 1]) : -1,
		    lo = i + 2 < n ? hexval(in[i + 2]) : -1;

		map[nd] = i;
		if (in[i] == '%' && hi >= 0 && lo >= 0) {
			dec[nd] = (uint8_t)(hi << 4 | lo);
			i += 3;
			changed = true;
		} else {
			dec[nd] = in[i] == '+' ? ' ' : in[i];
			changed |= in[i] == '+';
			i++;
		}
	}
	map[nd] = n;
	return changed ? nd : 0;
}

struct span_ctx {
	const struct scrub_pat *pat;
	const uint8_t *text; /* what the pattern scans: in, or its decoded form */
	const size_t *map;   /* text offset -> offset in out (NULL: the same) */
	uint8_t *out;
	unsigned count;
};

static void mask_range(struct span_ctx *c, size_t start, size_t end)
{
	size_t from = c->map ? c->map[start] : start, to = c->map ? c->map[end] : end;

	for (size_t i = from; i < to; i++)
		c->out[i] = (uint8_t)c->pat->mask[(i - from) % c->pat->masklen];
	c->count++;
}

static int on_match(size_t start, size_t end, void *arg)
{
	struct span_ctx *c = arg;

	if (!c->pat->valid || c->pat->valid(c->text + start, end - start))
		mask_range(c, start, end);
	return 0;
}

/* One pattern over text[0..n) (in, or in decoded). */
static unsigned scan(const struct scrub_pat *pat, const uint8_t *text, const size_t *map, size_t n,
		     uint8_t *out, bool cut)
{
	struct span_ctx c = {.pat = pat, .text = text, .map = map, .out = out};

	rx_find(pat->rx, text, n, on_match, &c);
	if (cut) {
		size_t t = rx_tail(pat->rx, text, n);

		if (t < n)
			mask_range(&c, t, n);
	}
	return c.count;
}

unsigned rt_scrub_apply(const struct rt_scrub *s, const uint8_t *in, uint8_t *out, size_t n,
			bool cut)
{
	uint8_t *dec = NULL;
	size_t *map = NULL, nd = 0;
	unsigned count = 0;

	if (!s || !s->n || !n)
		return 0;
	if (memchr(in, '%', n) || memchr(in, '+', n)) {
		dec = malloc(n);
		map = malloc((n + 1) * sizeof(*map));
		if (!dec || !map) { /* never write what could not be scanned */
			free(dec);
			free(map);
			memset(out, 'X', n);
			return 1;
		}
		nd = percent_decode(in, n, dec, map);
	}
	for (size_t i = 0; i < s->n; i++) {
		count += scan(&s->pat[i], in, NULL, n, out, cut);
		if (nd)
			count += scan(&s->pat[i], dec, map, nd, out, cut);
	}
	free(dec);
	free(map);
	return count;
}

/* Values found clean lately, per thread: an audit line's path, host and
 * model repeat from one request to the next, and scanning them with every
 * pattern was the larger part of aspend's work per request line. Keyed by
 * both pattern sets' generations, so a reload never reuses a verdict. */
#define CLEAN_SLOTS 64
#define CLEAN_MAX 128
struct clean_slot {
	uint64_t ga, gb;
	size_t n;
	bool cut;
	char v[CLEAN_MAX];
};
static _Thread_local struct clean_slot clean_cache[CLEAN_SLOTS];

static struct clean_slot *clean_slot(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return &clean_cache[h % CLEAN_SLOTS];
}

unsigned rt_scrub_field(const struct rt_scrub *a, const struct rt_scrub *b, char *s, size_t size)
{
	size_t n = strnlen(s, size);
	bool cut = n + 1 >= size;
	uint64_t ga = a ? a->gen : 0, gb = b ? b->gen : 0;
	struct clean_slot *c = NULL;
	uint8_t *in;
	unsigned count;

	if (!n || (!rt_scrub_count(a) && !rt_scrub_count(b)))
		return 0;
	if (n < CLEAN_MAX) {
		c = clean_slot(s, n);
		if (c->n == n && c->cut == cut && c->ga == ga && c->gb == gb && !memcmp(c->v, s, n))
			return 0;
	}
	in = malloc(n);
	if (!in) { /* never write what could not be scanned */
		memset(s, 'X', n);
		return 1;
	}
	memcpy(in, s, n);
	count = rt_scrub_apply(a, in, (uint8_t *)s, n, cut);
	count += rt_scrub_apply(b, in, (uint8_t *)s, n, cut);
	free(in);
	if (c && !count) {
		c->ga = ga;
		c->gb = gb;
		c->n = n;
		c->cut = cut;
		memcpy(c->v, s, n);
	}
	return count;
}
