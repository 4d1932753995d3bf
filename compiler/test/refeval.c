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
	/* requests: what `unparsed` leaves unknown (docs/language.md, "Requests
	 * Aspen could not read"), and request.model, from the path or the body */
	unsigned unparsed;
	int unseen;
	bool body_known, model_known;
	const char *model;
	char path_model[ASPEN_MODEL_LEN];
	bool stream; /* the body's "stream": true, or a stream path */
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

/* ---- request.model from the path ---------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* The captured bytes [s, s + n), percent-decoded into out (cut at
 * ASPEN_MODEL_LEN - 1). cut: the path ended there because it was cut, a
 * half escape at its end is dropped. */
static bool decode_model(const char *s, size_t n, bool cut, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			if (i + 2 >= n) { /* the escape runs past the capture */
				if (cut && (i + 1 >= n || hexval(s[i + 1]) >= 0))
					break;
				return false;
			}
			if (hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return false;
			c = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		}
		if (o < ASPEN_MODEL_LEN - 1)
			out[o++] = c;
	}
	out[o] = 0;
	return n > 0;
}

/* One template ("/v1beta/models/{model}:*") against a path, read as
 * docs/language.md says, written apart from the kernel's matcher. */
bool refeval_template_model(const char *t, const char *p, char *out)
{
	const bool cut_path = strlen(p) >= ASPEN_PATH_LEN - 1;

	while (*t) {
		if (!strncmp(t, "{model}", 7)) {
			const char *s = p;
			char stop;

			t += 7;
			stop = *t;
			while (*p && *p != stop && *p != '/' && *p != '?')
				p++;
			if (!*p && cut_path && stop)
				return decode_model(s, (size_t)(p - s), true, out) && out[0];
			if (*p != stop && !(stop == 0 && *p == '?'))
				return false;
			if (!decode_model(s, (size_t)(p - s), cut_path && !*p, out) || !out[0])
				return false;
		} else if (*t == '*') {
			t++;
			if (!*t)
				return true;
			while (*p && *p != *t && *p != '/')
				p++;
			if (*p != *t)
				return false;
		} else {
			if (*p != *t)
				return false;
			p++;
			t++;
		}
	}
	return *p == 0 || *p == '?';
}

/* request.stream of a request event: the body's, or true when one of its
 * providers' stream_paths matches the path */
static void request_stream(struct env *e)
{
	const struct trace_event *ev = e->ev;
	char path[ASPEN_PATH_LEN], ignored[ASPEN_MODEL_LEN];
	const char *pth = cut(ev->path ? ev->path : "", ASPEN_PATH_LEN - 1, path);

	e->stream = ev->stream;
	if (e->unseen == ASPEN_UNSEEN_ALL || e->unparsed == ASPEN_UNPARSED_MODEL_CONFLICT)
		return;
	for (size_t i = 0; !e->stream && i < e->p->nproviders && i < 64; i++) {
		const struct value *l = e->p->providers[i]->stream_paths;

		for (size_t j = 0; ((e->providers >> i) & 1) && l && j < l->nitems; j++)
			e->stream |= l->items[j]->str &&
				     refeval_template_model(l->items[j]->str, pth, ignored);
	}
}

/* request.model of a request event: its providers' model_paths, in order,
 * the first that matches; else the body's. Both, and different: the model
 * is unknown (model_conflict), unless the body could not be read. */
static void request_model(struct env *e)
{
	const struct trace_event *ev = e->ev;
	char path[ASPEN_PATH_LEN], model[ASPEN_MODEL_LEN];
	const char *pth = cut(ev->path ? ev->path : "", ASPEN_PATH_LEN - 1, path);
	bool found = false;

	e->model = ev->model;
	for (size_t i = 0; !found && i < e->p->nproviders && i < 64; i++) {
		const struct value *l = e->p->providers[i]->model_paths;

		if (!((e->providers >> i) & 1) || !l)
			continue;
		for (size_t j = 0; !found && j < l->nitems; j++)
			found = l->items[j]->str && refeval_template_model(l->items[j]->str, pth, e->path_model);
	}
	if (!found || e->unseen == ASPEN_UNSEEN_ALL || e->unparsed == ASPEN_UNPARSED_MODEL_CONFLICT)
		return;
	if (!e->unparsed && ev->model &&
	    strcmp(cut(ev->model, ASPEN_MODEL_LEN - 1, model), e->path_model)) {
		e->unparsed = ASPEN_UNPARSED_MODEL_CONFLICT;
		e->unseen = ASPEN_UNSEEN_MODEL;
		e->model_known = false;
		return;
	}
	e->model = e->path_model;
	e->model_known = true;
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
		r = glob_any(&vs, cut(e->model ? e->model : "", ASPEN_MODEL_LEN - 1, buf), false);
		break;
	case F_REQ_USER:
		r = glob_any(&vs,
			     cut(ev->request_user ? ev->request_user : "", ASPEN_USER_LEN - 1, buf),
			     false);
		break;
	case F_REQ_STREAM:
		r = vs.n == 1 && vs.v[0]->kind == VAL_IDENT &&
		    e->stream == !strcmp(vs.v[0]->str, "true");
		break;
	case F_RESP_STATUS: r = int_cmp(x->op, &vs, ev->status < 0 ? 0 : ev->status); break;
	case F_RESP_TOKENS: r = int_cmp(x->op, &vs, ev->tokens_in + ev->tokens_out); break;
	default: r = false; break;
	}
	return x->op == OP_NE || x->op == OP_NOT_IN ? !r : r;
}

/* Kleene's three values: a request field its `unparsed` left unknown
 * makes a comparison unknown; and/or/not as in SQL. */
enum tv { TV_FALSE = 0, TV_TRUE = 1, TV_UNKNOWN = 2 };

static bool field_known(const struct env *e, const struct expr *x)
{
	if (x->op == OP_MATCHES)
		return e->body_known;
	switch (x->field) {
	case F_REQ_MODEL: return e->model_known;
	case F_REQ_USER:
	case F_REQ_STREAM: return e->body_known;
	default: return true;
	}
}

static enum tv eval3(const struct env *e, const struct expr *x)
{
	enum tv a, b;

	if (!x)
		return TV_TRUE;
	switch (x->kind) {
	case EXPR_TRUE: return TV_TRUE;
	case EXPR_AND:
	case EXPR_OR: {
		enum tv stop = x->kind == EXPR_AND ? TV_FALSE : TV_TRUE;

		a = eval3(e, x->lhs);
		if (a == stop)
			return stop;
		b = eval3(e, x->rhs);
		if (b == stop)
			return stop;
		return a == TV_UNKNOWN || b == TV_UNKNOWN ? TV_UNKNOWN : a;
	}
	case EXPR_NOT:
		a = eval3(e, x->lhs);
		return a == TV_UNKNOWN ? TV_UNKNOWN : a == TV_TRUE ? TV_FALSE : TV_TRUE;
	case EXPR_CMP:
		if (!field_known(e, x))
			return TV_UNKNOWN;
		return cmp(e, x) ? TV_TRUE : TV_FALSE;
	}
	return TV_FALSE;
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
	e->unparsed = ev->unparsed ? aspen_unparsed_code(ev->unparsed) : 0;
	e->unseen = aspen_unparsed_unseen(e->unparsed);
	e->body_known = e->unseen == ASPEN_UNSEEN_NONE || e->unseen == ASPEN_UNSEEN_MODEL;
	e->model_known = e->unseen == ASPEN_UNSEEN_NONE;
	e->model = ev->model;
	e->stream = ev->stream;
	if (ev->kind == TRACE_REQUEST && ev->ws) {
		/* a WebSocket upgrade head: the model (unless the path names it) and
		 * the body fields come in its messages; a message: its model, when
		 * the event has one (docs/language.md, "WebSocket connections") */
		if (!strcmp(ev->ws, "upgrade"))
			e->body_known = false;
		if (!strcmp(ev->ws, "upgrade") || !ev->model)
			e->model_known = false;
	}
	if (ev->kind == TRACE_REQUEST && e->providers) {
		request_stream(e);
		request_model(e);
	}
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

static void uninspectable(const struct program *p, bool force_monitor, struct ref_result *out)
{
	bool monitor = p->root->mode == MODE_MONITOR || force_monitor;

	out->rule = ASPEN_RULE_UNINSPECTABLE;
	out->decision = p->root->uninspectable_deny != 0 ? deny_decision(monitor, false) : ASPEN_ALLOW;
	out->audit = 1;
}

/* WebSocket (docs/language.md, "WebSocket connections"): an upgrade head
 * whose decision needs its messages' fields passes (rule `messages`); an
 * allowed message that names no model itself is not audited. */
static void ws_verdict(const struct trace_event *ev, const struct env *e, struct ref_result *out)
{
	if (!ev->ws || ev->kind != TRACE_REQUEST)
		return;
	if (!strcmp(ev->ws, "upgrade")) {
		if (out->rule == ASPEN_RULE_UNINSPECTABLE && !e->unparsed) {
			out->rule = ASPEN_RULE_MESSAGES;
			out->decision = ASPEN_ALLOW;
			out->audit = 1;
		}
		return;
	}
	if (!ev->model && out->decision == ASPEN_ALLOW && out->rule != ASPEN_RULE_UNINSPECTABLE)
		out->audit = 0;
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
		if (e.unseen == ASPEN_UNSEEN_ALL) { /* nothing read: `uninspectable` decides */
			uninspectable(p, force_monitor, out);
			return;
		}
	}
	if (ev->kind == TRACE_RESPONSE && !has_rules(p, ON_RESPONSE))
		return;
	if (!conn && !ai)
		return; /* not AI traffic */
	if (ev->kind == TRACE_REQUEST && !e.unparsed)
		out->redact = redactions(&e);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct decl *r = p->rules[i];
		bool audit, monitor;
		int t;

		if (conn ? !(r->on == ON_CONNECT_ANY || (r->on == ON_CONNECT && ai))
			 : r->on != (ev->kind == TRACE_REQUEST ? ON_REQUEST : ON_RESPONSE))
			continue;
		t = terminal(r, &audit);
		if (t < 0 && !audit)
			continue;
		if (ev->kind == TRACE_REQUEST) {
			enum tv v = eval3(&e, r->when);

			if (v == TV_UNKNOWN && t >= 0) { /* depends on what was not read */
				uninspectable(p, force_monitor, out);
				out->redact = 0;
				ws_verdict(ev, &e, out);
				return;
			}
			if (v != TV_TRUE)
				continue;
		} else if (!eval(&e, r->when)) {
			continue;
		}
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
		ws_verdict(ev, &e, out);
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
		ws_verdict(ev, &e, out);
		return;
	}
	if (ev->kind == TRACE_RESPONSE)
		out->audit = 1;
	out->rule = audit_rule;
}
