/* SPDX-License-Identifier: Apache-2.0 */
/* AST constructors/destructors, struct program ownership, and --dump-ast. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "passes.h"

void *ast_alloc(size_t size)
{
	void *p = calloc(1, size ? size : 1);

	if (!p)
		abort(); /* a compiler run has no sensible way to go on */
	return p;
}

char *ast_strndup(const char *s, size_t n)
{
	char *p = ast_alloc(n + 1);

	memcpy(p, s, n);
	return p;
}

char *ast_strdup(const char *s)
{
	return ast_strndup(s, strlen(s));
}

struct value *value_new(enum value_kind kind, struct span at)
{
	struct value *v = ast_alloc(sizeof(*v));

	v->kind = kind;
	v->span = at;
	return v;
}

void value_push(struct value *list, struct value *item)
{
	list->items = realloc(list->items, (list->nitems + 1) * sizeof(*list->items));
	if (!list->items)
		abort();
	list->items[list->nitems++] = item;
}

void value_free(struct value *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nitems; i++)
		value_free(v->items[i]);
	free(v->items);
	free(v->str);
	free(v);
}

struct expr *expr_new(enum expr_kind kind, struct span at)
{
	struct expr *e = ast_alloc(sizeof(*e));

	e->kind = kind;
	e->span = at;
	return e;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	expr_free(e->lhs);
	expr_free(e->rhs);
	free(e->field_name);
	value_free(e->rhs_val);
	free(e);
}

struct decl *decl_new(enum decl_kind kind, struct span at)
{
	struct decl *d = ast_alloc(sizeof(*d));

	d->kind = kind;
	d->span = at;
	d->index = -1;
	return d;
}

void decl_add_action(struct decl *rule, const struct action *a)
{
	rule->actions = realloc(rule->actions, (rule->nactions + 1) * sizeof(*rule->actions));
	if (!rule->actions)
		abort();
	rule->actions[rule->nactions++] = *a;
}

void decl_free(struct decl *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->ns);
	value_free(d->hosts);
	value_free(d->ports);
	value_free(d->cidrs);
	value_free(d->model_paths);
	value_free(d->stream_paths);
	value_free(d->items);
	free(d->regex);
	free(d->validator);
	free(d->flags);
	expr_free(d->when);
	for (size_t i = 0; i < d->nactions; i++) {
		free(d->actions[i].reason);
		free(d->actions[i].mask);
		value_free(d->actions[i].target);
	}
	free(d->actions);
	free(d);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	while (p->imports) {
		struct import *next = p->imports->next;

		free(p->imports->name);
		free(p->imports);
		p->imports = next;
	}
	while (p->decls) {
		struct decl *next = p->decls->next;

		decl_free(p->decls);
		p->decls = next;
	}
	free(p->name);
	free(p);
}

void program_free(struct program *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->npolicies; i++)
		policy_free(p->policies[i]);
	for (size_t i = 0; i < p->nsources; i++)
		source_free(p->sources[i]);
	free(p->policies);
	free(p->sources);
	free(p->providers);
	free(p->lists);
	free(p->patterns);
	free(p->rules);
	memset(p, 0, sizeof(*p));
}

/* ---- --dump-ast ------------------------------------------------------ */

static const char *const op_names[] = {
    [OP_EQ] = "==", [OP_NE] = "!=", [OP_LT] = "<",	    [OP_LE] = "<=",	      [OP_GT] = ">",
    [OP_GE] = ">=", [OP_IN] = "in", [OP_NOT_IN] = "not in", [OP_MATCHES] = "matches",
};

const char *cmp_op_name(enum cmp_op op)
{
	return op_names[op];
}

static void dump_value(FILE *out, const struct value *v)
{
	switch (v->kind) {
	case VAL_STRING: fprintf(out, "\"%s\"", v->str); break;
	case VAL_INT: fprintf(out, "%" PRId64, v->num); break;
	case VAL_IDENT:
		fprintf(out, "%s", v->str);
		if (v->ref)
			fprintf(out, "{%s%s%s}", v->ref->ns ? v->ref->ns : "",
				v->ref->ns ? "." : "", v->ref->name);
		break;
	case VAL_LIST:
		fputc('[', out);
		for (size_t i = 0; i < v->nitems; i++) {
			fputs(i ? ", " : "", out);
			dump_value(out, v->items[i]);
		}
		fputc(']', out);
		break;
	}
}

static void dump_expr(FILE *out, const struct expr *e)
{
	switch (e->kind) {
	case EXPR_TRUE: fputs("true", out); break;
	case EXPR_NOT:
		fputs("(not ", out);
		dump_expr(out, e->lhs);
		fputc(')', out);
		break;
	case EXPR_AND:
	case EXPR_OR:
		fputc('(', out);
		dump_expr(out, e->lhs);
		fputs(e->kind == EXPR_AND ? " and " : " or ", out);
		dump_expr(out, e->rhs);
		fputc(')', out);
		break;
	case EXPR_CMP:
		fprintf(out, "%s#%d %s ", e->field_name, (int)e->field, op_names[e->op]);
		dump_value(out, e->rhs_val);
		break;
	}
}

static void dump_rule(FILE *out, const struct decl *r)
{
	fprintf(out, "rule %d %s (line %u) on %s mode %s\n", r->index, r->name, r->name_span.line,
		rule_on_name(r->on),
		r->mode == MODE_UNSET	  ? "policy"
		: r->mode == MODE_MONITOR ? "monitor"
					  : "enforce");
	if (r->when) {
		fputs("  when ", out);
		dump_expr(out, r->when);
		fputc('\n', out);
	}
	for (size_t i = 0; i < r->nactions; i++) {
		const struct action *a = &r->actions[i];

		fprintf(out, "  %s", action_name(a->kind));
		if (a->reason)
			fprintf(out, " \"%s\"", a->reason);
		if (a->target) {
			fputc(' ', out);
			dump_value(out, a->target);
		}
		if (a->mask)
			fprintf(out, " with \"%s\"", a->mask);
		fputc('\n', out);
	}
}

static void dump_named(FILE *out, const char *what, const struct decl *d)
{
	fprintf(out, "%s %s%s%s", what, d->ns ? d->ns : "", d->ns ? "." : "", d->name);
}

void program_dump(const struct program *p, FILE *out)
{
	const struct policy *root = p->root;

	fprintf(out, "policy \"%s\" default %s mode %s\n", root->name ? root->name : "",
		root->default_deny > 0 ? "deny" : "allow",
		root->mode == MODE_MONITOR ? "monitor" : "enforce");
	for (size_t i = 0; i < p->nsources; i++)
		fprintf(out, "source %s\n", p->sources[i]->path);
	for (size_t i = 0; i < p->nproviders; i++) {
		const struct decl *d = p->providers[i];

		dump_named(out, "provider", d);
		fputs(" hosts=", out);
		d->hosts ? dump_value(out, d->hosts) : (void)fputs("-", out);
		fputs(" ports=", out);
		d->ports ? dump_value(out, d->ports) : (void)fputs("-", out);
		fputs(" cidrs=", out);
		d->cidrs ? dump_value(out, d->cidrs) : (void)fputs("-", out);
		if (d->model_paths) {
			fputs(" model_paths=", out);
			dump_value(out, d->model_paths);
		}
		if (d->stream_paths) {
			fputs(" stream_paths=", out);
			dump_value(out, d->stream_paths);
		}
		fputc('\n', out);
	}
	for (size_t i = 0; i < p->nlists; i++) {
		dump_named(out, "list", p->lists[i]);
		fputs(" = ", out);
		dump_value(out, p->lists[i]->items);
		fputc('\n', out);
	}
	for (size_t i = 0; i < p->npatterns; i++) {
		dump_named(out, "pattern", p->patterns[i]);
		fprintf(out, " = /%s/%s\n", p->patterns[i]->regex, p->patterns[i]->flags);
	}
	for (size_t i = 0; i < p->nrules; i++)
		dump_rule(out, p->rules[i]);
}
