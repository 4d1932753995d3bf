/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy grammar. Pure and reentrant; every semantic value that owns
 * memory has a %destructor so error recovery does not leak. Recovery is at
 * two levels: a broken top-level item resumes at the next keyword that
 * starts an item (policy, list, rule, ...), a broken rule or provider body
 * item resumes at the next body item, so one run reports every mistake.
 * Shape checks that need the whole rule (a missing `on`, two terminal
 * actions) are left to typecheck.c; this file rejects only what it sees.
 */
%define api.pure full
%define parse.error verbose
%define api.location.type {struct span}
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {struct parse_ctx *ctx}

%code requires {
#include <stdint.h>

#include "ast.h"
#include "diag.h"

#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* Shared by the lexer (as yyextra) and the parser actions. */
struct parse_ctx {
	const struct source *src;
	struct diags *d;
	struct policy *pol;
	struct decl **decl_tail;
	struct import **import_tail;
	uint32_t off, line, col; /* where the lexer is */
};

/* A nonterminal spans from its first to its last token; an empty one is an
 * empty span where the next token starts. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                                    \
	do {                                                                           \
		if (N) {                                                               \
			(Cur) = YYRHSLOC(Rhs, 1);                                      \
			(Cur).len = YYRHSLOC(Rhs, N).off + YYRHSLOC(Rhs, N).len -      \
				    YYRHSLOC(Rhs, 1).off;                              \
		} else {                                                               \
			(Cur) = YYRHSLOC(Rhs, 0);                                      \
			(Cur).off += (Cur).len;                                        \
			(Cur).col += (Cur).len;                                        \
			(Cur).len = 0;                                                 \
		}                                                                      \
	} while (0)
}

%code provides {
int yylex(YYSTYPE *yylval, YYLTYPE *yylloc, yyscan_t scanner);
}

%code {
#include <stdlib.h>
#include <string.h>

#include "passes.h"

static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct parse_ctx *ctx, const char *msg);
static struct span span_join(struct span a, struct span b);
static void add_decl(struct parse_ctx *ctx, struct decl *d, struct span at, char *name,
		     struct span name_at);
static void set_once(struct parse_ctx *ctx, struct span *slot, struct span at, const char *what);
static enum mode parse_mode(struct parse_ctx *ctx, const char *word, struct span at);
static void set_on(struct parse_ctx *ctx, struct decl *rule, struct span at, const char *kind,
		   const char *any, struct span kind_at);
static void set_provider_key(struct parse_ctx *ctx, struct decl *p, char *key, struct span key_at,
			     struct value *v);
static struct expr *cmp_new(struct span at, char *field, struct span field_at, enum cmp_op op,
			    struct value *v);
static struct action *action_new(enum action_kind kind, struct span at);
static void action_free(struct action *a);
}

%union {
	char *str;
	int64_t num;
	int op;
	struct value *val;
	struct expr *expr;
	struct decl *decl;
	struct action *act;
}

%token <str> IDENT "identifier" STRING "string" REGEX "regular expression"
%token <num> INT "integer"
%token POLICY "'policy'" DEFAULT "'default'" MODE "'mode'" IMPORT "'import'"
%token UNINSPECTABLE "'uninspectable'"
%token FRONTING "'fronting'"
%token LIST "'list'" PROVIDER "'provider'" PATTERN "'pattern'" RULE "'rule'"
%token ON "'on'" WHEN "'when'" AND "'and'" OR "'or'" NOT "'not'" IN "'in'"
%token MATCHES "'matches'" WITH "'with'"
%token ALLOW "'allow'" DENY "'deny'" KILL "'kill'" AUDIT "'audit'" ALERT "'alert'"
%token REDACT "'redact'"
%token EQ "'=='" NE "'!='" LE "'<='" GE "'>='" LT "'<'" GT "'>'"

%type <val> value list_items
%type <expr> expr cmp
%type <decl> rule_body prov_body
%type <act> action
%type <str> field
%type <op> cmp_op

%destructor { free($$); } <str>
%destructor { value_free($$); } <val>
%destructor { expr_free($$); } <expr>
%destructor { decl_free($$); } <decl>
%destructor { action_free($$); } <act>

%left OR
%left AND
%precedence NOT

%%

file: items ;

items:	%empty
	| items item
	| items error
	;

item:	POLICY STRING {
		set_once(ctx, &ctx->pol->name_span, @$, "policy");
		free(ctx->pol->name);
		ctx->pol->name = $2;
	}
	| DEFAULT ALLOW { set_once(ctx, &ctx->pol->default_span, @$, "default"); ctx->pol->default_deny = 0; }
	| DEFAULT DENY { set_once(ctx, &ctx->pol->default_span, @$, "default"); ctx->pol->default_deny = 1; }
	| UNINSPECTABLE ALLOW {
		set_once(ctx, &ctx->pol->uninspectable_span, @$, "uninspectable");
		ctx->pol->uninspectable_deny = 0;
	}
	| UNINSPECTABLE DENY {
		set_once(ctx, &ctx->pol->uninspectable_span, @$, "uninspectable");
		ctx->pol->uninspectable_deny = 1;
	}
	| FRONTING ALLOW {
		set_once(ctx, &ctx->pol->fronting_span, @$, "fronting");
		ctx->pol->fronting_deny = 0;
	}
	| FRONTING DENY {
		set_once(ctx, &ctx->pol->fronting_span, @$, "fronting");
		ctx->pol->fronting_deny = 1;
	}
	| MODE IDENT {
		set_once(ctx, &ctx->pol->mode_span, @$, "mode");
		ctx->pol->mode = parse_mode(ctx, $2, @2);
		free($2);
	}
	| IMPORT STRING {
		struct import *im = ast_alloc(sizeof(*im));

		im->name = $2;
		im->span = @2;
		*ctx->import_tail = im;
		ctx->import_tail = &im->next;
	}
	| LIST IDENT '=' value {
		struct decl *d = decl_new(DECL_LIST, @$);

		if ($4->kind != VAL_LIST) {
			struct value *l = value_new(VAL_LIST, @4);

			diag_error(ctx->d, @4, "write it as [ ... ]", "a list needs brackets");
			value_push(l, $4);
			$4 = l;
		}
		d->items = $4;
		add_decl(ctx, d, @$, $2, @2);
	}
	| PROVIDER IDENT '{' prov_body '}' { add_decl(ctx, $4, @$, $2, @2); }
	| PATTERN IDENT '=' REGEX {
		struct decl *d = decl_new(DECL_PATTERN, @$);
		char *end = strrchr($4, '/');

		/* the lexer guarantees a leading '/'; an unterminated one has no second */
		if (end == $4)
			end = $4 + strlen($4);
		d->regex = ast_strndup($4 + 1, end - $4 - 1);
		d->flags = ast_strdup(*end ? end + 1 : "");
		d->regex_span = @4;
		free($4);
		add_decl(ctx, d, @$, $2, @2);
	}
	| PATTERN IDENT '=' REGEX IDENT IDENT {
		struct decl *d = decl_new(DECL_PATTERN, @$);
		char *end = strrchr($4, '/');

		if (end == $4)
			end = $4 + strlen($4);
		d->regex = ast_strndup($4 + 1, end - $4 - 1);
		d->flags = ast_strdup(*end ? end + 1 : "");
		d->regex_span = @4;
		if (strcmp($5, "validate"))
			diag_error(ctx->d, @5, "write: pattern NAME = /regex/ validate luhn",
				   "unexpected '%s' after a pattern", $5);
		d->validator = $6;
		d->validator_span = @6;
		free($4);
		free($5);
		add_decl(ctx, d, @$, $2, @2);
	}
	| RULE IDENT '{' rule_body '}' { add_decl(ctx, $4, @$, $2, @2); }
	;

prov_body: %empty { $$ = decl_new(DECL_PROVIDER, @$); }
	| prov_body IDENT '=' value { set_provider_key(ctx, $1, $2, @2, $4); $$ = $1; }
	| prov_body error { $$ = $1; }
	;

rule_body: %empty { $$ = decl_new(DECL_RULE, @$); }
	| rule_body ON IDENT {
		set_on(ctx, $1, span_join(@2, @3), $3, NULL, @3);
		free($3);
		$$ = $1;
	}
	| rule_body ON IDENT IDENT {
		set_on(ctx, $1, span_join(@2, @4), $3, $4, @3);
		free($3);
		free($4);
		$$ = $1;
	}
	| rule_body MODE IDENT {
		$1->mode = parse_mode(ctx, $3, @3);
		free($3);
		$$ = $1;
	}
	| rule_body WHEN expr {
		if ($1->when) {
			diag_error(ctx->d, @2, "combine the conditions with 'and'",
				   "a rule has only one 'when'");
			expr_free($3);
		} else {
			$1->when = $3;
		}
		$$ = $1;
	}
	| rule_body action { decl_add_action($1, $2); free($2); $$ = $1; }
	| rule_body error { $$ = $1; }
	;

action:	ALLOW { $$ = action_new(ACT_ALLOW, @$); }
	| DENY { $$ = action_new(ACT_DENY, @$); }
	| DENY STRING { $$ = action_new(ACT_DENY, @$); $$->reason = $2; }
	| KILL { $$ = action_new(ACT_KILL, @$); }
	| AUDIT { $$ = action_new(ACT_AUDIT, @$); }
	| ALERT { $$ = action_new(ACT_ALERT, @$); }
	| REDACT IDENT {
		$$ = action_new(ACT_REDACT, @$);
		$$->target = value_new(VAL_IDENT, @2);
		$$->target->str = $2;
	}
	| REDACT IDENT WITH STRING {
		$$ = action_new(ACT_REDACT, @$);
		$$->target = value_new(VAL_IDENT, @2);
		$$->target->str = $2;
		$$->mask = $4;
	}
	;

expr:	expr OR expr {
		$$ = expr_new(EXPR_OR, @$);
		$$->lhs = $1;
		$$->rhs = $3;
	}
	| expr AND expr {
		$$ = expr_new(EXPR_AND, @$);
		$$->lhs = $1;
		$$->rhs = $3;
	}
	| NOT expr { $$ = expr_new(EXPR_NOT, @$); $$->lhs = $2; }
	| '(' expr ')' { $$ = $2; $$->span = @$; }
	| cmp
	;

cmp:	field cmp_op value { $$ = cmp_new(@$, $1, @1, $2, $3); }
	| field IN value { $$ = cmp_new(@$, $1, @1, OP_IN, $3); }
	| field NOT IN value { $$ = cmp_new(@$, $1, @1, OP_NOT_IN, $4); }
	| field MATCHES value { $$ = cmp_new(@$, $1, @1, OP_MATCHES, $3); }
	| field NOT MATCHES value {
		$$ = expr_new(EXPR_NOT, @$);
		$$->lhs = cmp_new(@$, $1, @1, OP_MATCHES, $4);
	}
	;

field:	IDENT
	| PROVIDER { $$ = ast_strdup("provider"); }
	;

cmp_op:	EQ { $$ = OP_EQ; }
	| NE { $$ = OP_NE; }
	| LT { $$ = OP_LT; }
	| LE { $$ = OP_LE; }
	| GT { $$ = OP_GT; }
	| GE { $$ = OP_GE; }
	;

value:	STRING { $$ = value_new(VAL_STRING, @$); $$->str = $1; }
	| INT { $$ = value_new(VAL_INT, @$); $$->num = $1; }
	| IDENT { $$ = value_new(VAL_IDENT, @$); $$->str = $1; }
	| '[' list_items ']' { $$ = $2; $$->span = @$; }
	| '[' list_items ',' ']' { $$ = $2; $$->span = @$; }
	| '[' ']' { $$ = value_new(VAL_LIST, @$); }
	;

list_items: value { $$ = value_new(VAL_LIST, @$); value_push($$, $1); }
	| list_items ',' value { value_push($1, $3); $$ = $1; }
	;

%%

/* Bison's verbose message is "syntax error, unexpected X, expecting A or B".
 * Turn it into "unexpected X 'text'" with "expected A or B" as the hint, and
 * drop the double quotes bison keeps around the 'keyword' token names. */
static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct parse_ctx *ctx, const char *msg)
{
	const char *pre = "syntax error, unexpected ";
	char *buf = ast_strdup(msg), *w = buf, *exp;

	(void)scanner;
	for (const char *r = msg; *r; r++)
		if (*r != '"')
			*w++ = *r;
	*w = '\0';
	if (strncmp(buf, pre, strlen(pre))) {
		diag_error(ctx->d, *loc, NULL, "%s", buf);
		free(buf);
		return;
	}
	w = buf + strlen(pre);
	exp = strstr(w, ", expecting ");
	if (exp) {
		*exp = '\0';
		exp += strlen(", expecting ") - strlen("expected "); /* room for the new word */
		memcpy(exp, "expected ", strlen("expected "));
	}
	if (!exp && !strcmp(w, "'='"))
		exp = "compare with '==', or use 'in' for a list";
	if (!strcmp(w, "identifier") || !strcmp(w, "integer") || !strcmp(w, "string"))
		diag_error(ctx->d, *loc, exp, "unexpected %s '%.*s'", w, (int)loc->len,
			   ctx->src->text + loc->off);
	else
		diag_error(ctx->d, *loc, exp, "unexpected %s", w);
	free(buf);
}

static struct span span_join(struct span a, struct span b)
{
	a.len = b.off + b.len - a.off;
	return a;
}

static const char *const decl_kind_names[] = { "provider", "list", "pattern", "rule" };

/* Duplicates inside one file are found here, where both spans are at hand;
 * clashes between files (providers are global) are resolve.c's job. */
static void add_decl(struct parse_ctx *ctx, struct decl *d, struct span at, char *name,
		     struct span name_at)
{
	d->span = at;
	d->name = name;
	d->name_span = name_at;
	for (struct decl *o = ctx->pol->decls; o; o = o->next) {
		int same_space = (o->kind == DECL_RULE) == (d->kind == DECL_RULE);

		if (!same_space || strcmp(o->name, name))
			continue;
		diag_error(ctx->d, name_at, NULL, "duplicate %s '%s'", decl_kind_names[d->kind],
			   name);
		diag_report(ctx->d, DIAG_NOTE, o->name_span, NULL, "'%s' was first defined here as a %s",
			    name, decl_kind_names[o->kind]);
		break;
	}
	*ctx->decl_tail = d;
	ctx->decl_tail = &d->next;
}

static void set_once(struct parse_ctx *ctx, struct span *slot, struct span at, const char *what)
{
	if (slot->src) {
		diag_error(ctx->d, at, NULL, "duplicate '%s' line", what);
		diag_report(ctx->d, DIAG_NOTE, *slot, NULL, "the first '%s' line is here", what);
	}
	*slot = at;
}

static enum mode parse_mode(struct parse_ctx *ctx, const char *word, struct span at)
{
	if (!strcmp(word, "enforce"))
		return MODE_ENFORCE;
	if (!strcmp(word, "monitor"))
		return MODE_MONITOR;
	diag_error(ctx->d, at, "the mode is 'enforce' or 'monitor'", "unknown mode '%s'", word);
	return MODE_UNSET;
}

static void set_on(struct parse_ctx *ctx, struct decl *rule, struct span at, const char *kind,
		   const char *any, struct span kind_at)
{
	static const char *const kinds[] = { "connect", "request", "response" };
	const char *hint = "write 'on connect', 'on connect any', 'on request' or 'on response'";
	enum rule_on on;

	if (rule->on_span.src) {
		diag_error(ctx->d, at, "a rule has exactly one 'on'", "second 'on' in this rule");
		diag_report(ctx->d, DIAG_NOTE, rule->on_span, NULL, "the first 'on' is here");
		return;
	}
	if (!strcmp(kind, "connect"))
		on = ON_CONNECT;
	else if (!strcmp(kind, "request"))
		on = ON_REQUEST;
	else if (!strcmp(kind, "response"))
		on = ON_RESPONSE;
	else {
		const char *s = diag_suggest(kind, kinds, 3);
		char buf[64];

		if (s)
			snprintf(buf, sizeof(buf), "did you mean '%s'?", s);
		diag_error(ctx->d, kind_at, s ? buf : hint, "unknown rule kind '%s'", kind);
		/* keep a kind so typecheck does not also say "no 'on'": request
		 * rules may read the most fields, so the fewest follow-up errors */
		rule->on = ON_REQUEST;
		rule->on_span = at;
		return;
	}
	if (any && (on != ON_CONNECT || strcmp(any, "any"))) {
		diag_error(ctx->d, at, hint, "unexpected '%s' after 'on %s'", any, kind);
		return;
	}
	rule->on = any ? ON_CONNECT_ANY : on;
	rule->on_span = at;
}

static void set_provider_key(struct parse_ctx *ctx, struct decl *p, char *key, struct span key_at,
			     struct value *v)
{
	static const char *const keys[] = { "hosts", "ports", "cidrs", "model_paths",
					    "stream_paths" };
	struct value **slot = NULL;

	if (!strcmp(key, "hosts"))
		slot = &p->hosts;
	else if (!strcmp(key, "ports"))
		slot = &p->ports;
	else if (!strcmp(key, "cidrs"))
		slot = &p->cidrs;
	else if (!strcmp(key, "model_paths"))
		slot = &p->model_paths;
	else if (!strcmp(key, "stream_paths"))
		slot = &p->stream_paths;
	if (!slot) {
		const char *s = diag_suggest(key, keys, 5);
		char buf[64];

		if (s)
			snprintf(buf, sizeof(buf), "did you mean '%s'?", s);
		diag_error(ctx->d, key_at, s ? buf : "a provider has hosts, ports, cidrs, model_paths and stream_paths",
			   "unknown provider key '%s'", key);
	} else if (*slot) {
		diag_error(ctx->d, key_at, NULL, "duplicate '%s' in provider", key);
		diag_report(ctx->d, DIAG_NOTE, (*slot)->span, NULL, "the first '%s' is here", key);
	} else if (v->kind != VAL_LIST) {
		struct value *l = value_new(VAL_LIST, v->span);

		value_push(l, v);
		*slot = l;
		v = NULL;
	} else {
		*slot = v;
		v = NULL;
	}
	value_free(v);
	free(key);
}

static struct expr *cmp_new(struct span at, char *field, struct span field_at, enum cmp_op op,
			    struct value *v)
{
	struct expr *e = expr_new(EXPR_CMP, at);

	e->op = op;
	e->field_name = field;
	e->field_span = field_at;
	e->rhs_val = v;
	return e;
}

static struct action *action_new(enum action_kind kind, struct span at)
{
	struct action *a = ast_alloc(sizeof(*a));

	a->kind = kind;
	a->span = at;
	return a;
}

static void action_free(struct action *a)
{
	if (!a)
		return;
	free(a->reason);
	free(a->mask);
	value_free(a->target);
	free(a);
}
