/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The back end's intermediate form (struct ir): what emit_c.c and meta.c
 * print, with every name resolved to a bit or an index.
 *
 *   providers  index i = bit i of aspen_conn.providers (program order)
 *   preds      per class, bit i of the class's __u64 word = glob i holds
 *              (process.cgroup and container.id share cgroup_bits, so their
 *              bits come from one numbering; see lower.c)
 *   rules      connect rules, each with a condition tree over aspen_conn
 */
#ifndef ASPEN_LOWER_H
#define ASPEN_LOWER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>

#include "aspen_shared.h"
#include "codegen.h"
#include "glob_dfa.h"

enum pred_class { PC_HOST, PC_EXE, PC_COMM, PC_USER, PC_CGROUP, PC_CONTAINER, PC__COUNT };

struct ir_pred {
	char *glob;
	struct span span; /* first place the glob was written */
	int bit;
	struct dfa *dfa; /* exe and comm only: matched in the kernel */
};

struct ir_pred_table {
	struct ir_pred preds[64];
	int n;
};

enum ir_kind {
	IR_TRUE,
	IR_FALSE,
	IR_AND,	 /* a && b */
	IR_OR,	 /* a || b */
	IR_NOT,	 /* !a */
	IR_BITS, /* (c->FIELD & mask) != 0 */
	IR_INT,	 /* c->FIELD op num */
	IR_CIDR, /* aspen_ip_in(c->addr, addr, bits) */
};

struct ir_expr {
	enum ir_kind kind;
	struct ir_expr *a, *b;
	const char *field; /* BITS, INT: member of struct aspen_conn */
	uint64_t mask;	   /* BITS */
	enum cmp_op op;	   /* INT: OP_EQ .. OP_GE */
	int64_t num;	   /* INT */
	uint8_t addr[16];  /* CIDR: v4-mapped for IPv4 */
	int bits;	   /* CIDR: prefix length over 128 bits */
	char *text;	   /* CIDR/BITS: what the user wrote, for comments */
};

struct ir_rule {
	const struct decl *decl;
	int index;
	enum rule_on on;
	int terminal; /* enum action_kind of allow/deny/kill, -1 none */
	bool audit;
	bool monitor;	    /* the rule's effective mode */
	const char *reason; /* deny "reason", may be NULL */
	struct ir_expr *cond;
};

struct ir_provider {
	const struct decl *decl;
	int index;
};

struct ir {
	const struct program *prog;
	const char *name;   /* policy "name" */
	const char *source; /* main file path as given */
	char sha256[65];    /* of the main file's bytes */
	bool monitor;	    /* policy mode */
	bool default_deny;
	struct ir_provider *providers;
	size_t nproviders;
	struct ir_rule *rules;
	size_t nrules;
	struct ir_pred_table preds[PC__COUNT];
	bool need_exec, need_dns, need_sendmsg;
};

/* lower.c */
int lower_program(const struct program *p, struct ir *ir, struct diags *d);
void ir_free(struct ir *ir);
const char *pred_class_name(enum pred_class pc); /* metadata class name */

/* emit_c.c: the generated C; c_name is the file name used in #line
 * directives that return to generated code. */
int emit_c(const struct ir *ir, FILE *out, const char *c_name);

/* meta.c */
void meta_sha256(const void *data, size_t len, char hex[65]);
char *meta_text(const struct ir *ir);		      /* malloc'd */
void meta_emit_c_string(const char *text, FILE *out); /* as a C string literal */

#endif
