/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The back end's intermediate form (struct ir): what emit_c.c and ir_meta.c
 * print, with every name resolved to a bit or an index.
 *
 *   providers  index i = bit i of aspen_conn.providers (program order)
 *   preds      per class, bit i of the class's __u64 word = glob i holds
 *              (process.cgroup and container.id share cgroup_bits, so their
 *              bits come from one numbering; see lower.c); exe and comm
 *              globs each have a DFA (automata_glob.c)
 *   rules      each with a condition tree over aspen_conn (connect rules)
 *              or aspen_req / aspen_resp (request / response rules)
 *   request string fields (http.method, http.path, http.host, request.model,
 *              request.user): bit i of a local word computed in the kernel
 *              by one combined DFA per field (req_dfa), whose accepting
 *              states carry the mask of the globs that match there
 *   host_dfa   provider host globs -> provider mask (aspen_host_providers)
 *   patterns   the patterns rules use (`matches`, `redact`): index i = bit i
 *              of aspen_req.body_match (and of aspen_verdict.redact: redacted
 *              patterns are numbered first, so they are below 32); one
 *              unanchored DFA over all of them (body_dfa, split in groups
 *              when over IR_BODY_MAX_STATES) runs over every body byte
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
#include "regex_dfa.h"

/* enum pred_class (PC_*): common/names.h */

struct ir_pred {
	char *glob;
	struct span span; /* first place the glob was written */
	int bit;
	struct dfa *dfa; /* exe and comm only: matched in the kernel */
};

/* Globs matched together: the OR of each group's mask (groups exist only
 * when one combined DFA would exceed DFA_MAX_STATES). */
struct ir_mdfa {
	struct dfa **g;
	size_t n;
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

/* Where a BITS/INT field lives. */
enum ir_base {
	IRB_CONN,  /* struct aspen_conn: c-> in connect rules, r->conn. otherwise */
	IRB_REQ,   /* struct aspen_req / aspen_resp: r->                       */
	IRB_LOCAL, /* a local of the decision function (request field bits)    */
};

struct ir_expr {
	enum ir_kind kind;
	enum ir_base base; /* BITS, INT */
	struct ir_expr *a, *b;
	const char *field; /* BITS, INT: member of struct aspen_conn */
	uint64_t mask;	   /* BITS */
	enum cmp_op op;	   /* INT: OP_EQ .. OP_GE */
	int64_t num;	   /* INT */
	uint8_t addr[16];  /* CIDR: v4-mapped for IPv4 */
	int bits;	   /* CIDR: prefix length over 128 bits */
	char *text;	   /* CIDR/BITS: what the user wrote, for comments */
};

#define IR_BODY_MAX_STATES 4096 /* per body DFA: __u16 transition tables */
#define IR_BODY_MAX_DFAS 4	/* 16 bits of the __u64 body state each    */
#define IR_MAX_PATTERNS 64	/* bits of aspen_req.body_match            */
#define IR_MAX_REDACT 32	/* bits of aspen_verdict.redact            */

struct ir_pattern {
	const struct decl *decl;
	char *name;	  /* qualified: "pii.ssn" */
	int index;
	int flags;	  /* RX_FLAG_* */
	bool redact;	  /* some rule redacts it */
	const char *mask; /* `with "..."`, NULL: "*" */
	struct span mask_span;
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
	uint32_t redact; /* patterns this rule redacts (bit = pattern index) */
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
	bool need_dns, need_sendmsg;
	bool has_request, has_response; /* on request / on response rules */
	bool uninspectable_deny;
	bool fronting_deny; /* `fronting deny` (the default) */
	struct ir_mdfa req_dfa[PC__COUNT]; /* PC_FIRST_REQ.. only */
	struct ir_mdfa host_dfa;	   /* provider host globs -> provider bits */
	struct ir_pattern *patterns;
	size_t npatterns;
	struct dfa *body_dfa[IR_BODY_MAX_DFAS];
	size_t nbody_dfa;
	bool need_body_scan;
};

/* lower.c: AST -> IR, then the automata below. */
int lower_program(const struct program *p, struct ir *ir, struct diags *d);
void ir_free(struct ir *ir);

/* automata_glob.c: the DFAs of exe and comm globs (ir_pred.dfa), of the
 * request fields (req_dfa) and of provider hosts (host_dfa). Report into d. */
void automata_process_globs(struct ir *ir, struct diags *d);
void automata_request_fields(struct ir *ir, struct diags *d);
void automata_hosts(struct ir *ir, struct diags *d);
/* Combined DFAs for globs[i] -> masks[i], split in halves until each fits
 * DFA_MAX_STATES. 0, or -1 with err set (a single glob that does not fit). */
int mdfa_build(struct ir_mdfa *m, const char *const *globs, const uint64_t *masks, size_t n,
	       int flags, char *err, size_t errlen);
uint64_t mdfa_match(const struct ir_mdfa *m, const char *s); /* as the kernel does */
void mdfa_free(struct ir_mdfa *m);

/* automata_body.c: the body DFA groups over all patterns (body_dfa). */
void automata_body(struct ir *ir, struct diags *d);
/* Body DFAs as the kernel steps them: the OR of the masks reported over
 * buf (aspen_body_step on every byte). */
uint64_t ir_body_scan(const struct ir *ir, const uint8_t *buf, size_t n);

/* programs.c: the programs an object contains, in groups. flag: the macro
 * the templates test with #if (NULL: every object has the group); what: its
 * comment; hooks: the group's names in the metadata `hooks` record. */
struct program_group {
	const char *flag;
	const char *what;
	const char *hooks;
	bool (*present)(const struct ir *ir);
};
extern const struct program_group program_groups[];
extern const size_t nprogram_groups;
/* The `hooks` value: the hooks of the groups present, comma-separated
 * (malloc'd). */
char *programs_hooks(const struct ir *ir);

/* emit_c.c: the generated C; c_name is the file name used in #line
 * directives that return to generated code. */
int emit_c(const struct ir *ir, FILE *out, const char *c_name);
/* The C of the templates' part of the object (aspen_templates.bpf.h) for
 * this policy's macros; linked with emit_c()'s, built -DASPEN_PART_GENERATED. */
int emit_template_c(const struct ir *ir, FILE *out);
/* Functions of request rules the generated C has (over 100 rules, 0
 * otherwise; emit_c.c, RULES_PER_FUNCTION): aspenc builds its generated
 * part in that many slices at most (-DASPEN_SLICES=n -DASPEN_SLICE=k,
 * aspen_generated.h), at once. */
size_t emit_c_slices(const struct ir *ir);

/* ir_meta.c: the metadata text (common/meta.h) of an IR */
char *meta_text(const struct ir *ir);		      /* malloc'd */
void meta_emit_c_string(const char *text, FILE *out); /* as a C string literal */

#endif
