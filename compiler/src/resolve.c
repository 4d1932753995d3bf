/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loads the root policy and every file it imports (depth first, each file
 * once), then binds names. Providers are global: they define what "AI
 * traffic" is, whichever file declares them. Lists and patterns of an
 * imported file are named "<import>.<name>" from the root (pii.ssn), the
 * root's own ones are unqualified. Only the root file may hold rules.
 */
#define _GNU_SOURCE /* asprintf */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "passes.h"

struct loader {
	const struct compile_opts *opts;
	struct program *p;
	struct diags *d;
	char **real;   /* realpath of each loaded source, parallel to p->sources */
	int *done;     /* 0 while its imports are being loaded: a cycle if met again */
	size_t *stack; /* the import chain being loaded, for the cycle message */
	size_t depth;
};

static void *grow(void *arr, size_t n, size_t elem)
{
	void *p = realloc(arr, (n + 1) * elem);

	if (!p)
		abort();
	return p;
}

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static char *dir_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? ast_strndup(path, s - path + (s == path)) : ast_strdup(".");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* "./x.asp" in a file of directory "." prints as "x.asp", like the user wrote it */
static char *join(const char *dir, const char *file)
{
	char *out;

	if (file[0] == '/')
		return ast_strdup(file);
	while (file[0] == '.' && file[1] == '/')
		file += 2;
	if (!strcmp(dir, "."))
		return ast_strdup(file);
	if (asprintf(&out, "%s/%s", dir, file) < 0)
		abort();
	return out;
}

/* The namespace of an import: its file name without directory and ".asp". */
static char *import_ns(const char *name)
{
	const char *b = base_name(name);
	size_t n = strlen(b);

	if (ends_with(b, ".asp"))
		n -= 4;
	return ast_strndup(b, n);
}

static char *find_import(const struct loader *ld, const char *importer, const char *name)
{
	char *dir = dir_name(importer), *file, *path = NULL;
	int marker = 0;

	if (asprintf(&file, "%s%s", name, ends_with(name, ".asp") ? "" : ".asp") < 0)
		abort();
	if (strchr(name, '/')) {
		path = join(dir, file);
		if (!file_exists(path)) {
			free(path);
			path = NULL;
		}
		goto out;
	}
	for (size_t i = 0; ld->opts && i < ld->opts->nimport_dirs; i++)
		marker |= !ld->opts->import_dirs[i][0];
	for (size_t i = 0; !path && i <= (ld->opts ? ld->opts->nimport_dirs : 0); i++) {
		const char *sd;

		if (i == 0)
			sd = marker ? NULL : dir; /* no marker: the importer's dir first */
		else
			sd = ld->opts->import_dirs[i - 1][0] ? ld->opts->import_dirs[i - 1] : dir;
		if (!sd)
			continue;
		path = join(sd, file);
		if (!file_exists(path)) {
			free(path);
			path = NULL;
		}
	}
out:
	free(dir);
	free(file);
	return path;
}

/* Every importable name in the search path, for "did you mean". */
static void import_candidates(const struct loader *ld, const char *importer, char ***names,
			      size_t *n)
{
	char *dir = dir_name(importer);

	for (size_t i = 0; i <= (ld->opts ? ld->opts->nimport_dirs : 0); i++) {
		const char *sd = i == 0 ? dir : ld->opts->import_dirs[i - 1];
		DIR *dh = opendir(sd[0] ? sd : dir);
		struct dirent *e;

		while (dh && (e = readdir(dh))) {
			if (!ends_with(e->d_name, ".asp"))
				continue;
			*names = grow(*names, *n, sizeof(char *));
			(*names)[(*n)++] = import_ns(e->d_name);
		}
		if (dh)
			closedir(dh);
	}
	free(dir);
}

static void report_unknown_import(struct loader *ld, const struct policy *from,
				  const struct import *im)
{
	char **names = NULL, hint[PATH_MAX + 64];
	size_t n = 0;
	const char *s;

	import_candidates(ld, from->src->path, &names, &n);
	s = diag_suggest(im->name, (const char *const *)names, n);
	if (s)
		snprintf(hint, sizeof(hint), "did you mean '%s'?", s);
	else
		snprintf(hint, sizeof(hint),
			 "imports are searched in -I directories, next to the importing file "
			 "and in the standard library");
	diag_error(ld->d, im->span, hint, "cannot find import '%s'", im->name);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void report_cycle(struct loader *ld, const struct import *im, size_t target)
{
	char *chain = NULL, *next;
	size_t i = 0;

	while (i < ld->depth && ld->stack[i] != target)
		i++;
	for (; i < ld->depth; i++) {
		if (asprintf(&next, "%s%s -> ", chain ? chain : "",
			     base_name(ld->p->sources[ld->stack[i]]->path)) < 0)
			abort();
		free(chain);
		chain = next;
	}
	diag_error(ld->d, im->span, "a file may not import itself, directly or through others",
		   "import cycle: %s%s", chain ? chain : "",
		   base_name(ld->p->sources[target]->path));
	free(chain);
}

static long load_file(struct loader *ld, const char *path, const char *ns);

static void load_imports(struct loader *ld, size_t idx)
{
	struct policy *pol = ld->p->policies[idx];

	for (struct import *im = pol->imports; im; im = im->next) {
		char *path = find_import(ld, pol->src->path, im->name);
		char *ns;
		long got;

		if (!path) {
			report_unknown_import(ld, pol, im);
			continue;
		}
		ns = import_ns(im->name);
		got = load_file(ld, path, ns);
		if (got == -1)
			diag_error(ld->d, im->span, NULL, "cannot read '%s': %s", path,
				   strerror(errno));
		else if (got >= 0 && !ld->done[got])
			report_cycle(ld, im, got);
		else if (got >= 0)
			im->policy = ld->p->policies[got];
		free(ns);
		free(path);
	}
}

/* Returns the file's index in p->sources, or -1 (errno) if unreadable. */
static long load_file(struct loader *ld, const char *path, const char *ns)
{
	struct program *p = ld->p;
	char *real = realpath(path, NULL);
	struct source *src;
	size_t idx;

	for (size_t i = 0; real && i < p->nsources; i++) {
		if (!strcmp(ld->real[i], real)) {
			free(real);
			return (long)i;
		}
	}
	src = source_load(path);
	if (!src) {
		free(real);
		return -1;
	}
	idx = p->nsources;
	p->sources = grow(p->sources, idx, sizeof(*p->sources));
	p->policies = grow(p->policies, idx, sizeof(*p->policies));
	ld->real = grow(ld->real, idx, sizeof(*ld->real));
	ld->done = grow(ld->done, idx, sizeof(*ld->done));
	ld->stack = grow(ld->stack, ld->depth, sizeof(*ld->stack));
	p->sources[idx] = src;
	p->policies[idx] = parse_source(src, ld->d);
	ld->real[idx] = real ? real : ast_strdup(path);
	ld->done[idx] = 0;
	p->nsources = p->npolicies = idx + 1;
	for (struct decl *d = p->policies[idx]->decls; ns && d; d = d->next)
		d->ns = ast_strdup(ns);
	ld->stack[ld->depth++] = idx;
	load_imports(ld, idx);
	ld->depth--;
	ld->done[idx] = 1;
	return (long)idx;
}

/* The root's policy/default/mode lines, and what imported files may not hold. */
static void check_file_roles(struct program *p, struct diags *d)
{
	struct policy *root = p->root;

	if (!root->name)
		diag_error(d, (struct span){root->src, 0, 0, 1, 1},
			   "start the file with: policy \"NAME\"", "the policy has no name");
	if (root->default_deny < 0) {
		diag_warn(d, (struct span){root->src, 0, 0, 1, 1},
			  "add 'default deny' or 'default allow'",
			  "no 'default' line: AI traffic that no rule decides is allowed");
		root->default_deny = 0;
	}
	if (root->mode == MODE_UNSET)
		root->mode = MODE_ENFORCE;
	if (root->uninspectable_deny < 0) {
		bool requests = false;

		for (const struct decl *r = root->decls; r; r = r->next)
			requests |= r->kind == DECL_RULE && r->on == ON_REQUEST && r->on_span.src;
		if (requests)
			diag_warn(
			    d, (struct span){root->src, 0, 0, 1, 1},
			    "add 'uninspectable deny' or 'uninspectable allow'",
			    "no `uninspectable` setting: requests Aspen cannot parse (HTTP/2, "
			    "compressed bodies, bodies past the scan bound) are denied");
		root->uninspectable_deny = 1;
	}
	for (size_t i = 1; i < p->npolicies; i++) {
		const struct policy *pol = p->policies[i];
		const char *hint = "an imported file holds providers, lists and patterns only";

		if (pol->name)
			diag_error(d, pol->name_span, hint,
				   "an imported file has no 'policy' line");
		if (pol->default_span.src)
			diag_error(d, pol->default_span, hint,
				   "'default' belongs in the root policy");
		if (pol->mode_span.src)
			diag_error(d, pol->mode_span, hint, "'mode' belongs in the root policy");
		if (pol->uninspectable_span.src)
			diag_error(d, pol->uninspectable_span, hint,
				   "'uninspectable' belongs in the root policy");
		if (pol->fronting_span.src)
			diag_error(d, pol->fronting_span, hint,
				   "'fronting' belongs in the root policy");
		for (const struct decl *r = pol->decls; r; r = r->next)
			if (r->kind == DECL_RULE)
				diag_error(d, r->name_span, hint,
					   "rule '%s': rules are only allowed in the root policy",
					   r->name);
	}
}

static void push_decl(struct decl ***arr, size_t *n, struct decl *d)
{
	*arr = grow(*arr, *n, sizeof(**arr));
	(*arr)[(*n)++] = d;
}

/* Imports before the importer, each file once: providers keep import order. */
static void collect(struct program *p, struct policy *pol, int *seen, struct diags *d)
{
	size_t idx = 0;

	while (p->policies[idx] != pol)
		idx++;
	if (seen[idx])
		return;
	seen[idx] = 1;
	for (struct import *im = pol->imports; im; im = im->next)
		if (im->policy)
			collect(p, im->policy, seen, d);
	for (struct decl *x = pol->decls; x; x = x->next) {
		if (x->kind == DECL_PROVIDER) {
			for (size_t i = 0; i < p->nproviders; i++) {
				const struct decl *o = p->providers[i];

				if (strcmp(o->name, x->name) || o->span.src == x->span.src)
					continue; /* same file: the parser reported it */
				diag_error(d, x->name_span,
					   "provider names are global, even when imported",
					   "duplicate provider '%s'", x->name);
				diag_report(d, DIAG_NOTE, o->name_span, NULL,
					    "'%s' was first defined here", o->name);
				break;
			}
			push_decl(&p->providers, &p->nproviders, x);
		} else if (x->kind == DECL_LIST) {
			push_decl(&p->lists, &p->nlists, x);
		} else if (x->kind == DECL_PATTERN) {
			push_decl(&p->patterns, &p->npatterns, x);
		} else if (pol == p->root) {
			x->index = (int)p->nrules;
			push_decl(&p->rules, &p->nrules, x);
		}
	}
}

/* ---- name binding ---------------------------------------------------- */

/* What a name in a given place may denote. */
enum want { WANT_PROVIDER, WANT_LIST, WANT_PATTERN, WANT_PROVIDER_OR_LIST, WANT_SCALAR };

static int is_keyword_value(const char *name, enum want w)
{
	if (w == WANT_PROVIDER || w == WANT_PROVIDER_OR_LIST)
		return !strcmp(name, "any") || !strcmp(name, "unknown");
	if (w == WANT_SCALAR)
		return !strcmp(name, "true") || !strcmp(name, "false");
	return 0;
}

static char *qualified(const struct decl *x)
{
	char *s;

	if (!x->ns)
		return ast_strdup(x->name);
	if (asprintf(&s, "%s.%s", x->ns, x->name) < 0)
		abort();
	return s;
}

static struct decl *find_in(struct decl **arr, size_t n, const char *name, int global)
{
	for (size_t i = 0; i < n; i++) {
		char *q = global ? NULL : qualified(arr[i]);
		int hit = !strcmp(global ? arr[i]->name : q, name);

		free(q);
		if (hit)
			return arr[i];
	}
	return NULL;
}

static void add_names(char ***names, size_t *n, struct decl **arr, size_t count, int global)
{
	for (size_t i = 0; i < count; i++) {
		*names = grow(*names, *n, sizeof(char *));
		(*names)[(*n)++] = global ? ast_strdup(arr[i]->name) : qualified(arr[i]);
	}
}

static void report_unknown(const struct program *p, struct diags *d, const struct value *v,
			   enum want w)
{
	static const char *const what[] = {"provider", "list", "pattern", "provider", "name"};
	char **names = NULL, hint[256];
	size_t n = 0;
	const char *s, *h = NULL;

	if (w == WANT_PROVIDER || w == WANT_PROVIDER_OR_LIST) {
		add_names(&names, &n, p->providers, p->nproviders, 1);
		names = grow(names, n + 1, sizeof(char *));
		names[n++] = ast_strdup("any");
		names[n++] = ast_strdup("unknown");
	}
	if (w == WANT_LIST || w == WANT_PROVIDER_OR_LIST || w == WANT_SCALAR)
		add_names(&names, &n, p->lists, p->nlists, 0);
	if (w == WANT_PATTERN)
		add_names(&names, &n, p->patterns, p->npatterns, 0);
	s = diag_suggest(v->str, (const char *const *)names, n);
	if (s) {
		snprintf(hint, sizeof(hint), "did you mean '%s'?", s);
		h = hint;
	} else if (w == WANT_SCALAR) {
		snprintf(hint, sizeof(hint), "to compare with a string, quote it: \"%s\"", v->str);
		h = hint;
	} else if ((w == WANT_PROVIDER || w == WANT_PROVIDER_OR_LIST) && p->nproviders == 0) {
		h = "no providers are defined; did you forget import \"providers\"?";
	}
	diag_error(d, v->span, h, "unknown %s '%s'", what[w], v->str);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void bind_value(const struct program *p, struct diags *d, struct value *v, enum want w)
{
	if (v->kind == VAL_LIST) {
		enum want item = w == WANT_PROVIDER_OR_LIST ? WANT_PROVIDER : w;

		if (w == WANT_LIST)
			item = WANT_SCALAR; /* a literal list in place of a list name */
		for (size_t i = 0; i < v->nitems; i++)
			bind_value(p, d, v->items[i], item);
		return;
	}
	if (v->kind != VAL_IDENT || is_keyword_value(v->str, w))
		return;
	if (w == WANT_PROVIDER || w == WANT_PROVIDER_OR_LIST)
		v->ref = find_in(p->providers, p->nproviders, v->str, 1);
	if (!v->ref && (w == WANT_LIST || w == WANT_PROVIDER_OR_LIST || w == WANT_SCALAR))
		v->ref = find_in(p->lists, p->nlists, v->str, 0);
	if (!v->ref && w == WANT_PATTERN)
		v->ref = find_in(p->patterns, p->npatterns, v->str, 0);
	if (!v->ref)
		report_unknown(p, d, v, w);
}

static void bind_expr(const struct program *p, struct diags *d, struct expr *e)
{
	enum want w;

	if (!e)
		return;
	if (e->kind != EXPR_CMP) {
		bind_expr(p, d, e->lhs);
		bind_expr(p, d, e->rhs);
		return;
	}
	if (e->op == OP_MATCHES)
		w = WANT_PATTERN;
	else if (!strcmp(e->field_name, "provider"))
		w = (e->op == OP_IN || e->op == OP_NOT_IN) ? WANT_PROVIDER_OR_LIST : WANT_PROVIDER;
	else if (e->op == OP_IN || e->op == OP_NOT_IN)
		w = WANT_LIST;
	else
		w = WANT_SCALAR;
	bind_value(p, d, e->rhs_val, w);
}

/* Identifiers in list declarations are provider names: list ai = [openai, gemini] */
static void bind_names(struct program *p, struct diags *d)
{
	for (size_t i = 0; i < p->nlists; i++)
		for (size_t j = 0; j < p->lists[i]->items->nitems; j++)
			bind_value(p, d, p->lists[i]->items->items[j], WANT_PROVIDER);
	for (size_t i = 0; i < p->nrules; i++) {
		struct decl *r = p->rules[i];

		bind_expr(p, d, r->when);
		for (size_t j = 0; j < r->nactions; j++)
			if (r->actions[j].target)
				bind_value(p, d, r->actions[j].target, WANT_PATTERN);
	}
}

int resolve_program(const char *path, const struct compile_opts *opts, struct program *out,
		    struct diags *d)
{
	struct loader ld = {.opts = opts, .p = out, .d = d};
	int errors = diags_errors(d), *seen;

	memset(out, 0, sizeof(*out));
	if (load_file(&ld, path, NULL) < 0) {
		diag_error(d, (struct span){0}, NULL, "cannot read '%s': %s", path,
			   strerror(errno));
		return -1;
	}
	out->root = out->policies[0];
	check_file_roles(out, d);
	seen = ast_alloc(out->npolicies * sizeof(*seen));
	collect(out, out->root, seen, d);
	free(seen);
	bind_names(out, d);
	for (size_t i = 0; i < out->nsources; i++)
		free(ld.real[i]);
	free(ld.real);
	free(ld.done);
	free(ld.stack);
	return diags_errors(d) > errors ? -1 : 0;
}
