/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collected diagnostics. A DIAG_NOTE belongs to the error or warning reported
 * just before it (e.g. "first defined here" after "duplicate list"): sorting
 * keeps each group together, ordered by the position of its first entry, so
 * that a note never drifts away from the message it explains.
 */
#define _GNU_SOURCE /* vasprintf */
#include "diag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct diag {
	enum diag_level lvl;
	struct span at;
	char *msg, *hint;
	size_t group; /* index of the group's first entry */
	size_t seq;
};

struct diags {
	struct diag *v;
	size_t n, cap;
	int errors, warnings;
};

static struct source *source_new(const char *path, char *text, size_t len)
{
	struct source *s = ast_alloc(sizeof(*s));

	s->path = ast_strdup(path);
	s->text = text;
	s->len = len;
	return s;
}

struct source *source_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			text = realloc(text, cap + 1);
			if (!text)
				abort();
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	if (ferror(f)) {
		int err = errno;

		fclose(f);
		free(text);
		errno = err ? err : EIO;
		return NULL;
	}
	fclose(f);
	text[len] = '\0';
	return source_new(path, text, len);
}

struct source *source_from_string(const char *path, const char *text)
{
	return source_new(path, ast_strdup(text), strlen(text));
}

void source_free(struct source *src)
{
	if (!src)
		return;
	free(src->path);
	free(src->text);
	free(src);
}

struct diags *diags_new(void)
{
	return ast_alloc(sizeof(struct diags));
}

void diags_free(struct diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].msg);
		free(d->v[i].hint);
	}
	free(d->v);
	free(d);
}

void diag_report(struct diags *d, enum diag_level lvl, struct span at, const char *hint,
		 const char *fmt, ...)
{
	va_list ap;
	struct diag *e;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = realloc(d->v, d->cap * sizeof(*d->v));
		if (!d->v)
			abort();
	}
	e = &d->v[d->n];
	e->lvl = lvl;
	e->at = at;
	e->msg = msg;
	e->hint = hint ? ast_strdup(hint) : NULL;
	e->seq = d->n;
	e->group = (lvl == DIAG_NOTE && d->n > 0) ? d->v[d->n - 1].group : d->n;
	d->n++;
	if (lvl == DIAG_ERROR)
		d->errors++;
	else if (lvl == DIAG_WARNING)
		d->warnings++;
}

int diags_errors(const struct diags *d)
{
	return d->errors;
}

int diags_warnings(const struct diags *d)
{
	return d->warnings;
}

int diags_within(const struct diags *d, struct span s)
{
	int n = 0;

	for (size_t i = 0; i < d->n; i++)
		n += d->v[i].at.src == s.src && d->v[i].at.off >= s.off &&
		     d->v[i].at.off < s.off + s.len;
	return n;
}

static int span_cmp(const struct span *a, const struct span *b)
{
	int c;

	if (!a->src || !b->src)
		return (a->src != NULL) - (b->src != NULL); /* locationless first */
	c = strcmp(a->src->path, b->src->path);
	if (c)
		return c;
	return (a->off > b->off) - (a->off < b->off);
}

/* qsort context: the array being sorted, to reach each group's head. */
static const struct diag *sort_base;

static int diag_cmp(const void *pa, const void *pb)
{
	const struct diag *a = pa, *b = pb;
	int c;

	if (a->group != b->group) {
		c = span_cmp(&sort_base[a->group].at, &sort_base[b->group].at);
		if (c)
			return c;
		return (a->group > b->group) - (a->group < b->group);
	}
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static const char *level_name(enum diag_level lvl)
{
	switch (lvl) {
	case DIAG_ERROR: return "error";
	case DIAG_WARNING: return "warning";
	default: return "note";
	}
}

/* Print "  12 | text" and the caret line under the span (clipped to the
 * line). Tabs in the source are repeated in the caret line so the caret
 * lines up whatever the terminal's tab width. */
static void print_excerpt(FILE *out, const struct span *at)
{
	const char *text = at->src->text;
	size_t start = at->off, end, len;

	if (at->off > at->src->len)
		return;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	end = at->off;
	while (end < at->src->len && text[end] != '\n')
		end++;
	fprintf(out, "%4u | %.*s\n", at->line, (int)(end - start), text + start);
	fprintf(out, "%4s | ", "");
	for (size_t i = start; i < at->off; i++)
		fputc(text[i] == '\t' ? '\t' : ' ', out);
	len = at->len;
	if (at->off + len > end)
		len = end - at->off;
	fputc('^', out);
	for (size_t i = 1; i < len; i++)
		fputc('~', out);
	fputc('\n', out);
}

void diags_print(const struct diags *d, FILE *out)
{
	struct diag *v;
	int color = isatty(fileno(out));

	if (d->n == 0)
		return;
	v = malloc(d->n * sizeof(*v));
	if (!v)
		abort();
	memcpy(v, d->v, d->n * sizeof(*v));
	sort_base = d->v;
	qsort(v, d->n, sizeof(*v), diag_cmp);
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *e = &v[i];
		const char *on = "", *off = "";

		if (color) {
			on = e->lvl == DIAG_ERROR     ? "\033[1;31m"
			     : e->lvl == DIAG_WARNING ? "\033[1;35m"
						      : "\033[1;36m";
			off = "\033[0m";
		}
		if (e->at.src)
			fprintf(out, "%s:%u:%u: ", e->at.src->path, e->at.line, e->at.col);
		else
			fprintf(out, "aspenc: ");
		fprintf(out, "%s%s:%s %s\n", on, level_name(e->lvl), off, e->msg);
		if (e->at.src)
			print_excerpt(out, &e->at);
		if (e->hint)
			fprintf(out, "hint: %s\n", e->hint);
	}
	free(v);
}

/* Optimal string alignment distance: a swapped pair of letters ("opneai")
 * is one typo, as people make them. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), res;
	size_t *m = calloc((la + 1) * (lb + 1), sizeof(*m));

	if (!m)
		abort();
#define M(i, j) m[(i) * (lb + 1) + (j)]
	for (size_t i = 0; i <= la; i++)
		M(i, 0) = i;
	for (size_t j = 0; j <= lb; j++)
		M(0, j) = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = M(i - 1, j - 1) + cost;

			if (M(i - 1, j) + 1 < best)
				best = M(i - 1, j) + 1;
			if (M(i, j - 1) + 1 < best)
				best = M(i, j - 1) + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    M(i - 2, j - 2) + 1 < best)
				best = M(i - 2, j - 2) + 1;
			M(i, j) = best;
		}
	}
	res = M(la, lb);
#undef M
	free(m);
	return res;
}

const char *diag_suggest(const char *word, const char *const *candidates, size_t n)
{
	size_t len = strlen(word), limit = len >= 6 ? 2 : 1, best = (size_t)-1;
	const char *pick = NULL;

	if (len > 9)
		limit = len / 3;
	for (size_t i = 0; i < n; i++) {
		size_t dist;

		if (!candidates[i] || !strcmp(candidates[i], word))
			continue;
		dist = edit_distance(word, candidates[i]);
		if (dist <= limit && dist < best) {
			best = dist;
			pick = candidates[i];
		}
	}
	return pick;
}
