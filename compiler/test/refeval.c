/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reference evaluator: docs/language.md read literally, over the AST.
 * Deliberately naive (lists are walked, globs matched one by one, nothing
 * is lowered to bits) and independent of lower.c/emit_c.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "aspen_shared.h"
#include "glob.h"
#include "preds.h"
#include "refeval.h"
#include "container.h"

struct env {
	const struct program *p;
	const struct trace_event *ev;
	uint64_t providers;
	uint8_t addr[16];
	bool has_addr;
	const char *container; /* NULL: none */
	bool force_monitor;
	char cid[80];
};

/* ---- values ----------------------------------------------------------------- */

struct vals {
	const struct value *v[256];
	size_t n;
};

static void collect(const struct value *v, struct vals *out, int depth)
{
	if (!v || depth > 8)
		return;
	if (v->kind == VAL_LIST) {
		for (size_t i = 0; i < v->nitems; i++)
			collect(v->items[i], out, depth + 1);
	} else if (v->kind == VAL_IDENT && v->ref && v->ref->kind == DECL_LIST) {
		collect(v->ref->items, out, depth + 1);
	} else if (out->n < sizeof(out->v) / sizeof(out->v[0])) {
		out->v[out->n++] = v;
	}
}

/* The documented length limits: longer values are cut. */
static const char *cut(const char *s, size_t max, char *buf)
{
	size_t n = strlen(s);

	if (!max || n <= max)
		return s;
	memcpy(buf, s, max);
	buf[max] = 0;
	return buf;
}

/* ---- providers -------------------------------------------------------------- */

static bool in_net(const uint8_t a[16], const char *text)
{
	uint8_t net[16];
	int bits;

	if (aspen_cidr_parse(text, net, &bits) < 0) /* common/preds.c: IPv4 v4-mapped */
		return false;
	for (int i = 0; i < 128 && i < bits; i++) {
		int sh = 7 - (i % 8);

		if (((a[i / 8] >> sh) & 1) != ((net[i / 8] >> sh) & 1))
			return false;
	}
	return true;
}

static bool serves_port(const struct decl *d, int64_t port)
{
	if (!d->ports || !d->ports->nitems)
		return port == 443;
	for (size_t i = 0; i < d->ports->nitems; i++)
		if (d->ports->items[i]->num == port)
			return true;
	return false;
}

static bool host_of(const struct decl *d, const char *name)
{
	for (size_t i = 0; d->hosts && i < d->hosts->nitems; i++)
		if (d->hosts->items[i]->str && aspen_glob_match_ci(d->hosts->items[i]->str, name))
			return true;
	return false;
}

static bool addr_of(const char *ip, uint8_t a[16])
{
	memset(a, 0, 16);
	if (!ip)
		return false;
	if (inet_pton(AF_INET, ip, a + 12) == 1) {
		a[10] = a[11] = 0xff;
		return true;
	}
	return inet_pton(AF_INET6, ip, a) == 1;
}

uint64_t refeval_providers(const struct program *p, const struct trace_event *ev)
{
	uint64_t m = 0;
	uint8_t a[16];
	bool has_addr = addr_of(ev->dst_ip, a);

	for (size_t i = 0; i < p->nproviders && i < 64; i++) {
		const struct decl *d = p->providers[i];
		bool hit = false;

		if (ev->has_provider) {
			for (size_t k = 0; k < ev->nprovider; k++)
				hit |= !strcmp(ev->provider[k], d->name);
		} else if (ev->kind == TRACE_CONNECT) {
			/* the addresses of its hosts or inside its CIDRs, on its ports */
			for (size_t k = 0; k < ev->ndst_host; k++)
				hit |= host_of(d, ev->dst_host[k]);
			for (size_t k = 0; has_addr && d->cidrs && k < d->cidrs->nitems; k++)
				hit |= in_net(a, d->cidrs->items[k]->str);
			hit &= serves_port(d, ev->dst_port < 0 ? 0 : ev->dst_port);
		} else {
			/* requests and responses: the Host header, cut as the kernel keeps it */
			char buf[ASPEN_HOST_LEN];

			hit = host_of(d, cut(ev->host ? ev->host : "", ASPEN_HOST_LEN - 1, buf));
		}
		if (hit)
			m |= 1ULL << i;
	}
	return m;
}

/* ---- conditions --------------------------------------------------------------- */

/* A glob field: NULL value = not known, no glob holds. */
static bool glob_any(const struct vals *vs, const char *s, bool icase)
{
	if (!s)
		return false;
	for (size_t i = 0; i < vs->n; i++)
		if (vs->v[i]->kind == VAL_STRING &&
		    (icase ? aspen_glob_match_ci(vs->v[i]->str, s) : aspen_glob_match(vs->v[i]->str, s)))
			return true;
	return false;
}

static bool int_cmp(enum cmp_op op, const struct vals *vs, int64_t x)
{
	if (op >= OP_LT && op <= OP_GE) {
		int64_t y = vs->n == 1 ? vs->v[0]->num : 0;

		return op == OP_LT ? x < y : op == OP_LE ? x <= y : op == OP_GT ? x > y : x >= y;
	}
	for (size_t i = 0; i < vs->n; i++)
		if (vs->v[i]->kind == VAL_INT && vs->v[i]->num == x)
			return true;
	return false;
}

static int provider_pos(const struct program *p, const struct decl *d)
{
	for (size_t i = 0; i < p->nproviders; i++)
		if (p->providers[i] == d)
			return (int)i;
	return -1;
}

static bool provider_cmp(const struct env *e, const struct vals *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		const struct value *v = vs->v[i];
		int pos;

		if (v->kind != VAL_IDENT)
			continue;
		if (!v->ref && !strcmp(v->str, "any") && e->providers)
			return true;
		if (!v->ref && !strcmp(v->str, "unknown") && !e->providers)
			return true;
		pos = v->ref ? provider_pos(e->p, v->ref) : -1;
		if (pos >= 0 && pos < 64 && (e->providers >> pos) & 1)
			return true;
	}
	return false;
}

static bool pattern_matches(const struct env *e, const struct decl *pat)
{
	const struct trace_event *ev = e->ev;
	regex_t re;
	bool hit;

	if (ev->has_body_match) {
		for (size_t i = 0; i < ev->nbody_match; i++) {
			const char *n = ev->body_match[i];
			size_t nl = strlen(n), dl = strlen(pat->name);

			/* "pii.ssn" or "ssn" */
			if (!strcmp(n, pat->name) ||
			    (nl > dl && n[nl - dl - 1] == '.' && !strcmp(n + nl - dl, pat->name)))
				return true;
		}
		return false;
	}
	if (!ev->body || !pat->regex)
		return false;
	if (regcomp(&re, pat->regex,
		    REG_EXTENDED | REG_NOSUB | (pat->flags && strchr(pat->flags, 'i') ? REG_ICASE : 0)))
		return false;
	hit = regexec(&re, ev->body, 0, NULL, 0) == 0;
	regfree(&re);
	return hit;
}

static bool cmp(const struct env *e, const struct expr *x)
{
	const struct trace_event *ev = e->ev;
	struct vals vs = {.n = 0};
	char buf[ASPEN_EXE_LEN];
	bool r = false;

	if (x->op == OP_MATCHES) {
		const struct value *v = x->rhs_val;

		return v && v->ref && v->ref->kind == DECL_PATTERN && pattern_matches(e, v->ref);
	}
	collect(x->rhs_val, &vs, 0);
	switch (x->field) {
	case F_PROVIDER: r = provider_cmp(e, &vs); break;
	case F_DST_IP:
		for (size_t i = 0; e->has_addr && i < vs.n; i++)
			r |= vs.v[i]->kind == VAL_STRING && in_net(e->addr, vs.v[i]->str);
		break;
	case F_DST_PORT: r = int_cmp(x->op, &vs, ev->dst_port < 0 ? 0 : ev->dst_port); break;
	case F_PROC_PID: r = int_cmp(x->op, &vs, ev->pid < 0 ? 0 : ev->pid); break;
	case F_PROC_UID: r = int_cmp(x->op, &vs, ev->uid < 0 ? 0 : ev->uid); break;
	case F_PROC_GID: r = int_cmp(x->op, &vs, ev->gid < 0 ? 0 : ev->gid); break;
	case F_DST_HOST:
		for (size_t i = 0; i < ev->ndst_host; i++)
			r |= glob_any(&vs, ev->dst_host[i], true);
		break;
	case F_PROC_EXE:
		r = glob_any(&vs, ev->exe ? cut(ev->exe, ASPEN_EXE_LEN - 1, buf) : NULL, false);
		break;
	case F_PROC_COMM:
		r = glob_any(&vs, ev->comm ? cut(ev->comm, ASPEN_COMM_LEN - 1, buf) : NULL, false);
		break;
	case F_PROC_USER: r = glob_any(&vs, ev->user, false); break;
	case F_PROC_CGROUP: r = glob_any(&vs, ev->cgroup, false); break;
	case F_CONTAINER_ID: r = glob_any(&vs, e->container, false); break;
	/* request fields: absent means the empty string */
	case F_HTTP_METHOD:
		r = glob_any(&vs, cut(ev->method ? ev->method : "", ASPEN_METHOD_LEN - 1, buf), true);
		break;
	case F_HTTP_PATH:
		r = glob_any(&vs, cut(ev->path ? ev->path : "", ASPEN_PATH_LEN - 1, buf), false);
		break;
	case F_HTTP_HOST:
		r = glob_any(&vs, cut(ev->host ? ev->host : "", ASPEN_HOST_LEN - 1, buf), true);
		break;
	case F_REQ_MODEL:
		r = glob_any(&vs, cut(ev->model ? ev->model : "", ASPEN_MODEL_LEN - 1, buf), false);
		break;
	case F_REQ_USER:
		r = glob_any(&vs,
			     cut(ev->request_user ? ev->request_user : "", ASPEN_USER_LEN - 1, buf),
			     false);
		break;
	case F_REQ_STREAM:
		r = vs.n == 1 && vs.v[0]->kind == VAL_IDENT &&
		    ev->stream == !strcmp(vs.v[0]->str, "true");
		break;
	case F_RESP_STATUS: r = int_cmp(x->op, &vs, ev->status < 0 ? 0 : ev->status); break;
	case F_RESP_TOKENS: r = int_cmp(x->op, &vs, ev->tokens_in + ev->tokens_out); break;
	default: r = false; break;
	}
	return x->op == OP_NE || x->op == OP_NOT_IN ? !r : r;
}

static bool eval(const struct env *e, const struct expr *x)
{
	if (!x)
		return true;
	switch (x->kind) {
	case EXPR_TRUE: return true;
	case EXPR_AND: return eval(e, x->lhs) && eval(e, x->rhs);
	case EXPR_OR: return eval(e, x->lhs) || eval(e, x->rhs);
	case EXPR_NOT: return !eval(e, x->lhs);
	case EXPR_CMP: return cmp(e, x);
	}
	return false;
}

/* ---- decisions ------------------------------------------------------------------ */

static void env_init(struct env *e, const struct program *p, const struct trace_event *ev)
{
	memset(e, 0, sizeof(*e));
	e->p = p;
	e->ev = ev;
	e->providers = refeval_providers(p, ev);
	e->has_addr = addr_of(ev->dst_ip, e->addr);
	e->container = ev->container_id;
	if (!e->container && ev->cgroup)
		e->container = aspen_container_id(ev->cgroup, e->cid, sizeof(e->cid));
}

uint64_t refeval_body_matches(const struct program *p, const struct trace_event *ev)
{
	struct env e;
	uint64_t m = 0;

	env_init(&e, p, ev);
	for (size_t j = 0; j < p->npatterns && j < 64; j++)
		if (pattern_matches(&e, p->patterns[j]))
			m |= 1ULL << j;
	return m;
}

bool refeval_rule_matches(const struct program *p, const struct decl *rule,
			  const struct trace_event *ev)
{
	struct env e;

	env_init(&e, p, ev);
	return eval(&e, rule->when);
}

static int terminal(const struct decl *r, bool *audit)
{
	int t = -1;

	*audit = false;
	for (size_t i = 0; i < r->nactions; i++) {
		enum action_kind k = r->actions[i].kind;

		if (k == ACT_ALLOW || k == ACT_DENY || k == ACT_KILL)
			t = (int)k;
		else if (k == ACT_AUDIT)
			*audit = true;
	}
	return t;
}

static uint8_t deny_decision(bool monitor, bool kill)
{
	if (kill)
		return monitor ? ASPEN_WOULD_KILL : ASPEN_KILL;
	return monitor ? ASPEN_WOULD_DENY : ASPEN_DENY;
}

static bool has_rules(const struct program *p, enum rule_on on)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i]->on == on)
			return true;
	return false;
}

static uint64_t redactions(const struct env *e)
{
	uint64_t m = 0;

	for (size_t i = 0; i < e->p->nrules; i++) {
		const struct decl *r = e->p->rules[i];

		bool monitor = r->mode != MODE_UNSET ? r->mode == MODE_MONITOR
						     : e->p->root->mode == MODE_MONITOR;

		/* rules in monitor mode (and aspend --monitor) mask nothing */
		if (r->on != ON_REQUEST || monitor || e->force_monitor || !eval(e, r->when))
			continue;
		for (size_t k = 0; k < r->nactions; k++) {
			const struct value *t = r->actions[k].target;

			if (r->actions[k].kind != ACT_REDACT || !t || !t->ref)
				continue;
			for (size_t j = 0; j < e->p->npatterns && j < 64; j++)
				if (e->p->patterns[j] == t->ref)
					m |= 1ULL << j;
		}
	}
	return m;
}

void refeval_event(const struct program *p, const struct trace_event *ev, bool force_monitor,
		   struct ref_result *out)
{
	const bool pol_monitor = p->root->mode == MODE_MONITOR;
	const bool dflt_deny = p->root->default_deny == 1;
	const bool conn = ev->kind == TRACE_CONNECT;
	const bool has_req = has_rules(p, ON_REQUEST);
	uint16_t audit_rule = ASPEN_RULE_NONE;
	struct env e;
	bool ai;

	env_init(&e, p, ev);
	e.force_monitor = force_monitor;
	ai = e.providers != 0;
	memset(out, 0, sizeof(*out));
	out->providers = e.providers;
	out->rule = ASPEN_RULE_NONE;
	out->decision = ASPEN_ALLOW;
	if (ev->kind == TRACE_REQUEST) {
		if (!has_req)
			return;
		if (ev->unparsed) { /* decided by `uninspectable` before any rule */
			bool deny = p->root->uninspectable_deny != 0;

			out->rule = ASPEN_RULE_UNINSPECTABLE;
			out->decision =
			    deny ? deny_decision(pol_monitor || force_monitor, false) : ASPEN_ALLOW;
			out->audit = 1;
			return;
		}
	}
	if (ev->kind == TRACE_RESPONSE && !has_rules(p, ON_RESPONSE))
		return;
	if (!conn && !ai)
		return; /* not AI traffic */
	if (ev->kind == TRACE_REQUEST)
		out->redact = redactions(&e);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct decl *r = p->rules[i];
		bool audit, monitor;
		int t;

		if (conn ? !(r->on == ON_CONNECT_ANY || (r->on == ON_CONNECT && ai))
			 : r->on != (ev->kind == TRACE_REQUEST ? ON_REQUEST : ON_RESPONSE))
			continue;
		t = terminal(r, &audit);
		if ((t < 0 && !audit) || !eval(&e, r->when))
			continue;
		if (t < 0) { /* audit only: mark, go on */
			out->audit = 1;
			if (audit_rule == ASPEN_RULE_NONE)
				audit_rule = (uint16_t)r->index;
			continue;
		}
		monitor = (r->mode != MODE_UNSET ? r->mode == MODE_MONITOR : pol_monitor) ||
			  force_monitor;
		out->rule = (uint16_t)r->index;
		out->decision = t == ACT_ALLOW ? ASPEN_ALLOW : deny_decision(monitor, t == ACT_KILL);
		/* every decision on AI traffic is audited, and what a rule stops */
		out->audit = ai || audit || t != ACT_ALLOW;
		return;
	}
	if (conn && ai && has_req) { /* `default` applies to each request */
		out->rule = audit_rule;
		out->audit = 1;
		return;
	}
	if ((conn && ai) || ev->kind == TRACE_REQUEST) {
		out->rule = ASPEN_RULE_DEFAULT;
		out->decision = dflt_deny ? deny_decision(pol_monitor || force_monitor, false)
					  : ASPEN_ALLOW;
		out->audit = 1;
		return;
	}
	if (ev->kind == TRACE_RESPONSE)
		out->audit = 1;
	out->rule = audit_rule;
}
