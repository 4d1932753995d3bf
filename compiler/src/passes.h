/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiler's passes, in the order main.c runs them. Each returns 0 when
 * it reported no error (warnings allowed), -1 otherwise; all report into the
 * same struct diags so that one run shows every mistake.
 */
#ifndef ASPEN_PASSES_H
#define ASPEN_PASSES_H

#include "ast.h"
#include "diag.h"

/* Everything the later passes need, flattened over the root policy and the
 * files it imports (transitively). */
struct program {
	struct policy *root;
	/* every provider visible from the root (imports first, in import order,
	 * then the root's own), each once: they define what "AI traffic" is */
	struct decl **providers;
	size_t nproviders;
	struct decl **lists;
	size_t nlists;
	struct decl **patterns;
	size_t npatterns;
	/* the root's rules in evaluation order; rules[i]->index == i */
	struct decl **rules;
	size_t nrules;
	/* every loaded file, root first (owned) */
	struct source **sources;
	size_t nsources;
	/* the parsed tree of each source, same order (owned; policies[0] == root) */
	struct policy **policies;
	size_t npolicies;
};

struct compile_opts {
	const char *const *import_dirs; /* searched in order for `import "x"` -> x.asp */
	size_t nimport_dirs;
	/* An empty string "" in import_dirs stands for the directory of the
	 * importing file; without one, that directory is searched first.
	 * `import "./x.asp"` (any name with a '/') is relative to the importing file. */
};

/* parse.c: parse one loaded source. Returns NULL only on allocation failure;
 * syntax errors are reported and a partial tree is returned. */
struct policy *parse_source(const struct source *src, struct diags *d);

/* resolve.c: load the root file and its imports, bind names (value->ref),
 * detect duplicates, unknown names (with suggestions), import cycles,
 * and fill struct program. */
int resolve_program(const char *path, const struct compile_opts *opts,
		    struct program *out, struct diags *d);

/* typecheck.c: field names (expr->field), operators vs field types,
 * literal validity (CIDR, port range, glob syntax, uid), rule shape
 * (exactly one `on`, at most one terminal action, actions valid for `on`). */
int typecheck_program(struct program *p, struct diags *d);

/* analyse.c: rules that can never fire (warnings), shadowed rules, budgets. */
int analyse_program(struct program *p, struct diags *d);
/* subsume.c (analyse.c's search): warn of the rules the rules before them
 * decide every time, and of conditions nothing satisfies; warned[i]: rule
 * i was already warned of as never firing. */
void subsume_program(const struct program *p, const bool *warned, struct diags *d);

void program_free(struct program *p);

/* program.c: --dump-ast, and names for printing */
void program_dump(const struct program *p, FILE *out);
const char *cmp_op_name(enum cmp_op op);

#endif
