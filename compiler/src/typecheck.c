/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Types: every comparison's field exists and is visible to the rule's kind,
 * the operator suits the field's type, and every literal is valid for the
 * field (ports in range, CIDRs that parse, globs the DFA builder accepts).
 * Also the shape of each rule: one `on`, at least one action, at most one
 * terminal action. Names that resolve.c could not bind were reported there
 * and are skipped here, so one mistake gives one message.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "glob.h"
#include "passes.h"
#include "regex_dfa.h"
#include "luhn.h"
#include "model_path.h"

#include <linux/types.h>
#include "aspen_path_model.h"

static const char *const type_names[] = {
    [FT_PROVIDER] = "a provider", [FT_IP] = "an IP address", [FT_INT] = "an integer",
    [FT_GLOB] = "a string",	  [FT_BOOL] = "a boolean",   [FT_BODY] = "a request body",
};

static int is_name(const struct value *v, const char *name)
{
	return v->kind == VAL_IDENT && !strcmp(v->str, name);
}

/* An identifier resolve.c could not bind was reported there: skip it. */
static int unbound(const struct value *v)
{
	return v->kind == VAL_IDENT && !v->ref && !is_name(v, "any") && !is_name(v, "unknown") &&
	       !is_name(v, "true") && !is_name(v, "false");
}

static void check_glob(struct diags *d, const struct value *v, const struct field_info *f)
{
	const char *err = NULL;

	if (aspen_glob_valid(v->str, &err)) {
		diag_error(d, v->span, "globs use * ? [a-z] [!a-z] and \\ to escape",
			   "bad glob \"%s\": %s", v->str, err);
		return;
	}
	/* the kernel keeps only TASK_COMM_LEN - 1 bytes of a command name */
	if (f && f->id == F_PROC_COMM && !strpbrk(v->str, "*?[\\") && strlen(v->str) > 15) {
		char hint[64];

		snprintf(hint, sizeof(hint), "the kernel truncates it: write \"%.15s\"", v->str);
		diag_warn(d, v->span, hint,
			  "process.comm is at most 15 characters; \"%s\" never matches", v->str);
	}
}

/* 0: a valid address or CIDR; 1: valid but with host bits set; -1: invalid. */
static int parse_ip(const char *s, const char **why)
{
	unsigned char addr[16];
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	int v6, bits;
	long prefix;

	if (strlen(s) >= sizeof(buf)) {
		*why = "too long";
		return -1;
	}
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	v6 = strchr(buf, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, addr) != 1) {
		*why = v6 ? "not an IPv6 address" : "not an IPv4 address";
		return -1;
	}
	bits = v6 ? 128 : 32;
	if (!slash)
		return 0;
	prefix = strtol(slash + 1, &end, 10);
	if (!slash[1] || *end || prefix < 0 || prefix > bits) {
		*why = v6 ? "the prefix length must be 0..128" : "the prefix length must be 0..32";
		return -1;
	}
	for (int i = (int)prefix; i < bits; i++) {
		if (addr[i / 8] & (0x80 >> (i % 8))) {
			*why = "it has bits set after the prefix";
			return 1;
		}
	}
	return 0;
}

static void check_ip(struct diags *d, const struct value *v)
{
	const char *why = NULL;
	int rc;

	if (v->kind != VAL_STRING) {
		diag_error(d, v->span, "write it as a string: \"10.0.0.0/8\" or \"fd00::/8\"",
			   "expected an IP address or CIDR");
		return;
	}
	rc = parse_ip(v->str, &why);
	if (rc < 0)
		diag_error(d, v->span, why, "bad IP address or CIDR \"%s\"", v->str);
	else if (rc > 0)
		diag_warn(d, v->span, why, "CIDR \"%s\" is not a network address", v->str);
}

static void check_int(struct diags *d, const struct value *v, const char *what, int64_t min,
		      int64_t max)
{
	if (v->kind == VAL_STRING) {
		char hint[128];
		int digits = v->str[0] && strspn(v->str, "0123456789") == strlen(v->str);

		snprintf(hint, sizeof(hint), "drop the quotes: %s", v->str);
		diag_error(d, v->span, digits ? hint : NULL, "%s is an integer, not a string",
			   what);
	} else if (v->kind != VAL_INT) {
		diag_error(d, v->span, NULL, "%s is an integer", what);
	} else if (v->num < min || v->num > max) {
		diag_error(d, v->span, NULL,
			   "%s %" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")", what,
			   v->num, min, max);
	}
}

/* One scalar (not a list) against the field's type. */
static void check_scalar(struct diags *d, const struct field_info *f, const struct value *v)
{
	if (unbound(v))
		return;
	if (v->kind == VAL_LIST) {
		diag_error(d, v->span, NULL, "lists cannot be nested");
		return;
	}
	switch (f->type) {
	case FT_PROVIDER:
		if (v->kind == VAL_STRING) {
			char hint[160];

			snprintf(hint, sizeof(hint), "drop the quotes: %s", v->str);
			diag_error(d, v->span, hint, "a provider is a name, not a string");
		} else if (v->kind != VAL_IDENT || (v->ref && v->ref->kind != DECL_PROVIDER)) {
			diag_error(d, v->span, "e.g. openai, anthropic, any or unknown",
				   "expected a provider name");
		}
		break;
	case FT_IP: check_ip(d, v); break;
	case FT_INT: check_int(d, v, f->name, f->min, f->max); break;
	case FT_GLOB:
		if (v->kind == VAL_STRING)
			check_glob(d, v, f);
		else
			diag_error(d, v->span, "quote it", "%s is a string", f->name);
		break;
	case FT_BOOL:
		if (!is_name(v, "true") && !is_name(v, "false"))
			diag_error(d, v->span, NULL, "%s is true or false", f->name);
		break;
	case FT_BODY: break;
	}
}

static void check_list_items(struct diags *d, const struct field_info *f, const struct value *l)
{
	for (size_t i = 0; i < l->nitems; i++)
		check_scalar(d, f, l->items[i]);
}

/* The right-hand side of `f in X`: a list literal or a list name. */
static void check_in_rhs(struct diags *d, const struct field_info *f, const struct expr *e)
{
	const struct value *v = e->rhs_val;

	if (v->kind == VAL_LIST) {
		check_list_items(d, f, v);
	} else if (v->kind == VAL_IDENT && v->ref && v->ref->kind == DECL_LIST) {
		/* a named list's items are checked against this field at each use */
		for (size_t i = 0; i < v->ref->items->nitems; i++) {
			const struct value *it = v->ref->items->items[i];
			int ok = f->type == FT_PROVIDER ? it->kind == VAL_IDENT
				 : f->type == FT_INT	? it->kind == VAL_INT
				 : f->type == FT_BOOL	? 0
							: it->kind == VAL_STRING;

			if (!ok) {
				diag_error(d, v->span, NULL,
					   "list '%s' does not hold %s values (%s)", v->str,
					   type_names[f->type], f->name);
				return;
			}
		}
		if (f->type == FT_IP || f->type == FT_INT)
			check_list_items(d, f, v->ref->items);
	} else if (f->type == FT_PROVIDER && v->kind == VAL_IDENT) {
		check_scalar(d, f, v); /* provider in openai: one provider */
	} else if (!unbound(v)) {
		diag_error(d, v->span, "use '==' to compare with one value", "'%s' needs a list",
			   cmp_op_name(e->op));
	}
}

static int op_allowed(enum field_type t, enum cmp_op op)
{
	switch (op) {
	case OP_EQ:
	case OP_NE: return t != FT_BODY;
	case OP_IN:
	case OP_NOT_IN: return t != FT_BODY && t != FT_BOOL;
	case OP_MATCHES: return t == FT_BODY;
	default: return t == FT_INT;
	}
}

static void check_op(struct diags *d, const struct field_info *f, const struct expr *e)
{
	const struct value *v = e->rhs_val;

	if (!op_allowed(f->type, e->op)) {
		const char *hint = f->type == FT_BODY	 ? "write: request.body matches PATTERN"
				   : e->op == OP_MATCHES ? "'matches' applies to request.body"
							 : "use ==, !=, in or not in";

		diag_error(d, e->field_span, hint, "'%s' does not apply to %s (%s)",
			   cmp_op_name(e->op), f->name, type_names[f->type]);
		return;
	}
	if (e->op == OP_MATCHES) {
		if (!unbound(v) &&
		    (v->kind != VAL_IDENT || !v->ref || v->ref->kind != DECL_PATTERN))
			diag_error(d, v->span, "declare one with: pattern NAME = /regex/",
				   "'matches' needs a pattern name");
	} else if (e->op == OP_IN || e->op == OP_NOT_IN) {
		check_in_rhs(d, f, e);
	} else if (v->kind == VAL_LIST ||
		   (v->kind == VAL_IDENT && v->ref && v->ref->kind == DECL_LIST)) {
		diag_error(d, v->span, "use 'in' or 'not in' to compare with a list",
			   "'%s' compares with one value, not a list", cmp_op_name(e->op));
	} else {
		check_scalar(d, f, v);
	}
}

static int mentions_unknown(const struct value *v)
{
	if (is_name(v, "unknown"))
		return 1;
	for (size_t i = 0; i < v->nitems; i++)
		if (mentions_unknown(v->items[i]))
			return 1;
	return 0;
}

static void check_cmp(struct diags *d, const struct decl *rule, struct expr *e)
{
	size_t n;
	const struct field_info *f = field_lookup(e->field_name);

	if (!f) {
		const char *const *names = field_names(&n);
		const char *s = diag_suggest(e->field_name, names, n);
		char hint[96];

		if (s)
			snprintf(hint, sizeof(hint), "did you mean '%s'?", s);
		diag_error(d, e->field_span,
			   s ? hint : "see the field list in the language reference",
			   "unknown field '%s'", e->field_name);
		return;
	}
	e->field = f->id;
	if (rule->on_span.src && !(f->on_mask & ON_BIT(rule->on))) {
		const char *hint =
		    !(f->on_mask & (ON_BIT(ON_REQUEST) | ON_BIT(ON_RESPONSE)))
			? "destination fields are known at connect: use an 'on connect' rule, or "
			  "provider / http.host in this one"
		    : !(f->on_mask & ON_BIT(ON_REQUEST)) ? "response fields need 'on response'"
		    : rule->on == ON_RESPONSE
			? "a response rule sees the connection, the process and response.status/"
			  "response.tokens; request fields need 'on request'"
			: "a connect rule sees only the connection and the process; "
			  "request fields need 'on request'";

		diag_error(d, e->field_span, hint, "field '%s' is not available in 'on %s' rules",
			   f->name, rule_on_name(rule->on));
	}
	check_op(d, f, e);
	if (f->type == FT_PROVIDER && rule->on == ON_CONNECT && rule->on_span.src &&
	    mentions_unknown(e->rhs_val))
		diag_warn(d, e->span,
			  "'on connect' rules see AI traffic only; use 'on connect any'",
			  "'unknown' never matches in an 'on connect' rule");
}

static void check_expr(struct diags *d, const struct decl *rule, struct expr *e)
{
	if (!e)
		return;
	if (e->kind == EXPR_CMP) {
		check_cmp(d, rule, e);
		return;
	}
	check_expr(d, rule, e->lhs);
	check_expr(d, rule, e->rhs);
}

/* A redact rule's `when` is evaluated once the head is complete, before
 * any body byte is written: it may read the connection, the process and
 * http.*, not what the body says (request.model/user/stream/body). */
static void check_redact_when(struct diags *d, const struct expr *e, const struct action *a)
{
	if (!e)
		return;
	if (e->kind != EXPR_CMP) {
		check_redact_when(d, e->lhs, a);
		check_redact_when(d, e->rhs, a);
		return;
	}
	if (e->field == F_REQ_MODEL || e->field == F_REQ_USER || e->field == F_REQ_STREAM ||
	    e->field == F_REQ_BODY) {
		diag_error(d, e->field_span,
			   "redaction is decided when the head is complete, before the body is "
			   "read: use the connection, process and http.* fields, or split the rule",
			   "a rule that redacts cannot test '%s'", e->field_name);
		diag_report(d, DIAG_NOTE, a->span, NULL, "the redaction is here");
	}
}

/* The mask is written into a JSON string: printable ASCII, no '"' or '\\'. */
static void check_mask(struct diags *d, const struct action *a)
{
	if (!a->mask[0]) {
		diag_error(d, a->span, "write e.g. with \"*\"", "empty redaction mask");
		return;
	}
	if (!strcmp(a->mask, "-")) { /* the metadata's "not redacted" */
		diag_error(d, a->span, "write \"--\": the mask is repeated over the match",
			   "the redaction mask \"-\" is reserved");
		return;
	}
	for (const char *m = a->mask; *m; m++) {
		unsigned char c = (unsigned char)*m;

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			diag_error(d, a->span,
				   "the mask is written into the JSON body: use printable ASCII "
				   "other than '\"' and '\\'",
				   "redaction mask \"%s\" has a byte that cannot be written as is",
				   a->mask);
			return;
		}
	}
}

static int is_terminal(enum action_kind k)
{
	return k == ACT_ALLOW || k == ACT_DENY || k == ACT_KILL;
}

static void check_rule(struct diags *d, struct decl *r)
{
	const struct action *first = NULL;

	if (!r->on_span.src)
		diag_error(d, r->name_span,
			   "add 'on connect', 'on connect any', 'on request' or 'on response'",
			   "rule '%s' has no 'on'", r->name);
	if (r->nactions == 0)
		diag_error(d, r->name_span, "add allow, deny, kill, audit, alert or redact",
			   "rule '%s' has no action", r->name);
	for (size_t i = 0; i < r->nactions; i++) {
		const struct action *a = &r->actions[i];

		if (is_terminal(a->kind) && first) {
			diag_error(d, a->span, "only one of allow, deny and kill can decide",
				   "rule '%s' has two terminal actions", r->name);
			diag_report(d, DIAG_NOTE, first->span, NULL, "the first is here");
		} else if (is_terminal(a->kind)) {
			first = a;
		}
		if (a->kind == ACT_DENY && r->on_span.src && r->on == ON_RESPONSE)
			diag_error(d, a->span,
				   "the client has the response already: use 'kill' to stop the "
				   "program, or 'audit'",
				   "'deny' cannot stop a response");
		if (a->kind == ACT_REDACT && r->on_span.src && r->on != ON_REQUEST)
			diag_error(d, a->span, "use it in an 'on request' rule",
				   "'redact' rewrites request bodies");
		if (a->target && a->target->ref && a->target->ref->kind != DECL_PATTERN)
			diag_error(d, a->target->span, NULL, "'redact' needs a pattern name");
		if (a->kind == ACT_REDACT && a->mask)
			check_mask(d, a);
	}
	check_expr(d, r, r->when);
	if (r->on == ON_REQUEST && r->when)
		for (size_t i = 0; i < r->nactions; i++)
			if (r->actions[i].kind == ACT_REDACT) {
				check_redact_when(d, r->when, &r->actions[i]);
				break;
			}
}

/* List items are globs, integers or provider names, one kind per list. */
static void check_list_decl(struct diags *d, const struct decl *l)
{
	const struct value *first = NULL;

	for (size_t i = 0; i < l->items->nitems; i++) {
		const struct value *v = l->items->items[i];

		if (v->kind == VAL_LIST) {
			diag_error(d, v->span, NULL, "lists cannot be nested");
			continue;
		}
		if (v->kind == VAL_STRING)
			check_glob(d, v, NULL);
		if (!first) {
			first = v;
		} else if (first->kind != v->kind) {
			diag_error(d, v->span, "a list holds strings, integers or provider names",
				   "list '%s' mixes kinds of items", l->name);
			return;
		}
	}
}

/* A provider's model_paths (stream: stream_paths) templates. */
static void check_path_templates(struct diags *d, const struct value *l, bool stream)
{
	const char *quote = stream ? "quote it: \"/v1/models/*:streamGenerateContent*\""
				   : "quote it: \"/v1/models/{model}:*\"";
	const char *example = stream ? "e.g. \"/v1beta/models/*:streamGenerateContent*\""
				     : "e.g. \"/v1beta/models/{model}:*\"";

	for (size_t i = 0; l && i < l->nitems; i++) {
		const struct value *v = l->items[i];
		char enc[ASPEN_TMPL_LEN], err[128];

		if (v->kind != VAL_STRING)
			diag_error(d, v->span, quote, "a %s path is a string", stream ? "stream" : "model");
		else if ((stream ? stream_path_encode : model_path_encode)(v->str, enc, err,
									  sizeof(err)))
			diag_error(d, v->span, example, "%s", err);
	}
}

static void check_provider_decl(struct diags *d, const struct decl *p)
{
	if (!p->hosts && !p->cidrs)
		diag_error(d, p->name_span, "add hosts = [\"api.example.com\"] or cidrs = [...]",
			   "provider '%s' has no hosts and no cidrs", p->name);
	for (size_t i = 0; p->hosts && i < p->hosts->nitems; i++) {
		const struct value *v = p->hosts->items[i];

		if (v->kind != VAL_STRING)
			diag_error(d, v->span, "quote it", "a host is a string");
		else if (!v->str[0])
			diag_error(d, v->span, NULL, "empty host name");
		else
			check_glob(d, v, NULL);
	}
	for (size_t i = 0; p->ports && i < p->ports->nitems; i++)
		check_int(d, p->ports->items[i], "port", 1, 65535);
	for (size_t i = 0; p->cidrs && i < p->cidrs->nitems; i++)
		check_ip(d, p->cidrs->items[i]);
	check_path_templates(d, p->model_paths, false);
	check_path_templates(d, p->stream_paths, true);
}

/* The span of byte `off` of the regex source (after the opening '/'). */
static struct span regex_at(const struct decl *p, int off, size_t len)
{
	struct span s = p->regex_span.src ? p->regex_span : p->span;

	if (!p->regex_span.src || off < 0)
		return s;
	s.off += 1 + (uint32_t)off;
	s.col += 1 + (uint32_t)off;
	s.len = (uint32_t)len;
	return s;
}

static void check_pattern_decl(struct diags *d, const struct decl *p)
{
	struct rx_error err;
	int flags;

	if (!p->regex[0]) {
		diag_error(d, p->span, NULL, "pattern '%s' is empty", p->name);
		return;
	}
	if (rx_parse_flags(p->flags, &flags, &err) < 0) {
		diag_error(d, regex_at(p, (int)strlen(p->regex) + 1 + err.offset, 1),
			   "the only flag is i (ignore case)", "pattern '%s': %s", p->name,
			   err.msg);
		return;
	}
	if (rx_check(p->regex, flags, &err) < 0)
		diag_error(d, regex_at(p, err.offset, 1), NULL, "pattern '%s': %s", p->name,
			   err.msg);
	if (p->validator && !aspen_validator(p->validator))
		diag_error(d, p->validator_span, "the validators are: luhn",
			   "unknown validator '%s'", p->validator);
}

int typecheck_program(struct program *p, struct diags *d)
{
	int errors = diags_errors(d);

	for (size_t i = 0; i < p->nproviders; i++)
		check_provider_decl(d, p->providers[i]);
	for (size_t i = 0; i < p->nlists; i++)
		check_list_decl(d, p->lists[i]);
	for (size_t i = 0; i < p->npatterns; i++)
		check_pattern_decl(d, p->patterns[i]);
	for (size_t i = 0; i < p->nrules; i++)
		check_rule(d, p->rules[i]);
	return diags_errors(d) > errors ? -1 : 0;
}
