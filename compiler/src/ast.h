/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy AST. Every node carries a source span (byte offsets into the
 * file it came from, plus the 1-based line/column of its first byte) so that
 * every pass can report a diagnostic at the exact place a user wrote.
 *
 * Passes (one per file, in this order):
 *   parse.c      flex/bison -> struct policy (grammar/lexer.l, grammar/parser.y)
 *   resolve.c    imports, name binding, duplicates, "did you mean"
 *   typecheck.c  field/operator/value types, CIDR/port/glob validity
 *   analyse.c    rules that never fire, shadowed rules, budgets
 *   lower.c      AST -> struct ir (predicate tables, bit assignments)
 *   emit_c.c     struct ir -> eBPF C from bpf-templates/
 *   build.c      clang -> .bpf.o, metadata section, error mapping
 */
#ifndef ASPEN_AST_H
#define ASPEN_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "names.h"

struct source; /* diag.h: one loaded file (path, text, line index) */

struct span {
	const struct source *src;
	uint32_t off, len;  /* byte offset and length in src->text */
	uint32_t line, col; /* 1-based, of the first byte */
};

/* ---- values ---------------------------------------------------------- */

enum value_kind {
	VAL_STRING, /* "..." (escapes already decoded)            */
	VAL_INT,    /* 443                                        */
	VAL_IDENT,  /* openai, approved_models, pii.ssn, unknown  */
	VAL_LIST,   /* [ v, v, ... ]                              */
};

struct value {
	enum value_kind kind;
	struct span span;
	char *str;          /* STRING text, IDENT name (dotted, as written) */
	int64_t num;        /* INT */
	struct value **items; /* LIST */
	size_t nitems;
	/* set by resolve.c for VAL_IDENT: what the name denotes */
	struct decl *ref;   /* NULL for the keywords any/unknown */
};

/* ---- expressions ----------------------------------------------------- */

enum expr_kind { EXPR_AND, EXPR_OR, EXPR_NOT, EXPR_CMP, EXPR_TRUE };

enum cmp_op {
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_IN, OP_NOT_IN, OP_MATCHES,
};

/* Fields a rule may read. The table in fields.c gives each its name, type,
 * and which rule kinds (on connect / request / response) may read it. */
enum field_id {
	F_NONE = 0,
	F_PROVIDER,          /* provider                               */
	F_DST_IP,            /* dst.ip                                 */
	F_DST_PORT,          /* dst.port                               */
	F_DST_HOST,          /* dst.host                               */
	F_PROC_PID,          /* process.pid                            */
	F_PROC_COMM,         /* process.comm                           */
	F_PROC_EXE,          /* process.exe                            */
	F_PROC_UID,          /* process.uid                            */
	F_PROC_USER,         /* process.user                           */
	F_PROC_GID,          /* process.gid                            */
	F_PROC_CGROUP,       /* process.cgroup                         */
	F_CONTAINER_ID,      /* container.id                           */
	/* request/response fields: read by on request / on response rules */
	F_HTTP_METHOD, F_HTTP_PATH, F_HTTP_HOST,
	F_REQ_MODEL, F_REQ_USER, F_REQ_STREAM, F_REQ_BODY,
	F_RESP_STATUS, F_RESP_TOKENS,
	F__COUNT
};

struct expr {
	enum expr_kind kind;
	struct span span;
	struct expr *lhs, *rhs; /* AND/OR: both; NOT: lhs */
	/* CMP */
	enum cmp_op op;
	char *field_name;       /* as written, e.g. "process.exe" */
	struct span field_span;
	enum field_id field;    /* set by typecheck.c */
	struct value *rhs_val;  /* literal, list literal or name of a list/pattern */
};

/* ---- declarations ---------------------------------------------------- */

enum decl_kind { DECL_PROVIDER, DECL_LIST, DECL_PATTERN, DECL_RULE };

/* enum rule_on (ON_*) and enum action_kind (ACT_*): common/names.h */

struct action {
	enum action_kind kind;
	struct span span;
	char *reason;        /* deny "reason" (may be NULL) */
	struct value *target;/* redact PATTERN */
	char *mask;          /* redact ... with "MASK" */
};

enum mode { MODE_UNSET = 0, MODE_ENFORCE, MODE_MONITOR };

struct decl {
	enum decl_kind kind;
	struct span span;      /* whole declaration            */
	struct span name_span; /* the name                     */
	char *name;            /* as declared (unqualified)    */
	char *ns;              /* import namespace, NULL for the root file */
	struct decl *next;     /* in the policy's declaration order */

	/* DECL_PROVIDER: each a VAL_LIST (or NULL when absent) */
	struct value *hosts, *ports, *cidrs;
	struct value *model_paths; /* URL path templates naming the model */
	struct value *stream_paths; /* URL path templates of streaming calls */

	/* DECL_LIST */
	struct value *items;   /* VAL_LIST */

	/* DECL_PATTERN */
	char *regex, *flags;
	struct span regex_span; /* the /.../flags token                  */
	char *validator;       /* `validate NAME`, NULL when none        */
	struct span validator_span;

	/* DECL_RULE */
	enum rule_on on;
	struct span on_span;
	enum mode mode;        /* MODE_UNSET: the policy's mode */
	struct expr *when;     /* NULL: always */
	struct action *actions;
	size_t nactions;
	int index;             /* rule number in evaluation order (set by resolve) */
};

struct import {
	char *name;            /* as written: "providers", "./local.asp" */
	struct span span;
	struct policy *policy; /* loaded by resolve.c */
	struct import *next;
};

struct policy {
	const struct source *src;
	char *name;            /* policy "name"; NULL in stdlib files */
	struct span name_span;
	int default_deny;      /* -1 unset, 0 allow, 1 deny */
	struct span default_span;
	enum mode mode;
	struct span mode_span;
	int uninspectable_deny; /* -1 unset, 0 allow, 1 deny (requests Aspen cannot parse) */
	struct span uninspectable_span;
	int fronting_deny; /* -1 unset, 0 allow, 1 deny (SNI/Host naming another provider) */
	struct span fronting_span;
	struct import *imports;
	struct decl *decls;    /* in source order */
};

/* ---- constructors and destructors (program.c) ------------------------ */

void *ast_alloc(size_t size);            /* zeroed; aborts on out-of-memory */
char *ast_strdup(const char *s);         /* aborts on out-of-memory */
char *ast_strndup(const char *s, size_t n);
struct value *value_new(enum value_kind kind, struct span at);
void value_free(struct value *v);
void value_push(struct value *list, struct value *item);
struct expr *expr_new(enum expr_kind kind, struct span at);
void expr_free(struct expr *e);
struct decl *decl_new(enum decl_kind kind, struct span at);
void decl_free(struct decl *d);
void decl_add_action(struct decl *rule, const struct action *a); /* copies *a */
void policy_free(struct policy *p); /* not the imported policies */

#endif
