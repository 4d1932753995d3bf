/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names of Aspen's enums as the policy language, the metadata, the audit
 * trail, traces and `aspenc test` spell them: one table for aspenc and
 * aspend. The enums of the policy (rule kinds, actions, predicate classes)
 * are defined here; those the kernel shares (decisions, pseudo-rule
 * indices, unparsed reasons) stay in bpf-templates/aspen_shared.h and are
 * named here.
 */
#ifndef ASPEN_NAMES_H
#define ASPEN_NAMES_H

/* `on connect | connect any | request | response` */
enum rule_on { ON_CONNECT, ON_CONNECT_ANY, ON_REQUEST, ON_RESPONSE };
#define ON__COUNT 4

/* Terminal actions first (allow, deny, kill), then the others. */
enum action_kind {
	ACT_ALLOW,
	ACT_DENY,
	ACT_KILL,
	ACT_AUDIT,
	ACT_ALERT,
	ACT_REDACT,
};
#define ACT__COUNT 6

/* Predicate classes: the string fields a glob can test. Each has a 64-bit
 * word of predicate bits; the metadata's `pred` records say which glob each
 * bit stands for. */
enum pred_class {
	PC_HOST,
	PC_EXE,
	PC_COMM,
	PC_USER,
	PC_CGROUP,
	PC_CONTAINER,
	/* request fields: matched in the kernel by combined DFAs (req_dfa) */
	PC_METHOD,
	PC_PATH,
	PC_HTTP_HOST,
	PC_MODEL,
	PC_REQ_USER,
	PC__COUNT
};
#define PC_FIRST_REQ PC_METHOD

/* "host", "exe", ..., "request_user": the metadata's class names, also the
 * names of the generated aspen_<class>_bits() functions. */
const char *pred_class_name(enum pred_class pc);
/* The class of a name, or -1. */
int pred_class_from_name(const char *name);

/* "connect", "connect any", "request", "response": as a policy writes it. */
const char *rule_on_name(enum rule_on on);
/* "connect", "connect_any", ...: one word, as the metadata writes it. */
const char *rule_on_token(enum rule_on on);
/* The rule kind of a token, or -1. */
int rule_on_from_token(const char *token);

/* "allow", "deny", "kill", "audit", "alert", "redact" */
const char *action_name(enum action_kind kind);
/* The action of a name, or -1. */
int action_from_name(const char *name);

/* enum aspen_decision: "allow", "deny", "would_deny", "kill", "would_kill";
 * "unknown" for any other value. */
const char *decision_name(int decision);
/* The decision of a name, or -1. */
int decision_from_name(const char *name);

/* enum aspen_hook (the connect-level hook that decided): "connect4",
 * "connect6", "sendmsg4", "sendmsg6", as the metadata's hooks record
 * names those programs; "unknown" for any other value. */
const char *hook_name(int hook);

/* A rule index that names no rule: ASPEN_RULE_DEFAULT "default",
 * ASPEN_RULE_UNINSPECTABLE "uninspectable", ASPEN_RULE_NONE "none" (the
 * audit trail and traces write no rule for it); NULL for a rule index. */
const char *pseudo_rule_name(unsigned rule);

/* Why a request could not be inspected (enum aspen_unparsed), as the audit
 * trail and traces spell it; NULL for ASPEN_UNPARSED_NONE, "malformed"
 * for an unknown code. */
const char *aspen_unparsed_name(unsigned code);
/* The code of a name; unknown names: ASPEN_UNPARSED_MALFORMED. */
unsigned aspen_unparsed_code(const char *name);

#endif
