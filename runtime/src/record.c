/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aspend --record FILE: every decision also goes to a trace (JSON Lines,
 * docs/testing-policies.md) with the fields rules read and what was
 * decided, so that `aspenc test` can replay it through a changed policy.
 * Bodies are not recorded (the kernel keeps them); the patterns the body
 * matched are (body_match), which is what rules read of a body. The
 * request values come masked, as in the audit trail (scrub.c).
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <bpf/libbpf.h>

#include "daemon.h"
#include "hosts.h"
#include "log.h"
#include "policy_obj.h"
#include "record.h"
#include "scrub.h"
#include "view.h"
#include "rt_hosts.h"
#include "trace.h"

int record_open(struct daemon *d, struct policy_obj *p)
{
	char err[256];

	if (!d->opts.record)
		return 0;
	d->record = trace_writer_open(d->opts.record, p->meta.policy, p->meta.sha256, err,
				      sizeof(err));
	if (!d->record) {
		log_err("--record: %s", err);
		return -1;
	}
	return 0;
}

void record_close(struct daemon *d)
{
	if (d->record)
		trace_writer_close(d->record);
	d->record = NULL;
}

static char *dup_or_null(const char *s)
{
	return s && s[0] ? strdup(s) : NULL;
}

static char *dupn(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	return n ? strndup(s, n) : NULL;
}

static void add_name(char ***list, size_t *n, const char *name)
{
	char **l = realloc(*list, (*n + 1) * sizeof(*l));

	if (!l)
		return;
	*list = l;
	l[(*n)++] = strdup(name);
}

static void set_process(struct trace_event *t, const struct proc_view *v)
{
	t->pid = v->tgid;
	t->tid = v->pid;
	t->uid = v->uid;
	t->gid = v->gid;
	t->comm = dup_or_null(v->comm);
	t->exe = dup_or_null(v->exe);
	t->user = v->has_user ? strdup(v->user) : NULL;
	t->cgroup = v->has_cgroup ? strdup(v->cgroup) : NULL;
	t->container_id = v->has_cid ? strdup(v->cid) : NULL;
}

static void set_providers(struct trace_event *t, const struct aspen_meta *m, __u64 mask)
{
	t->has_provider = true;
	for (size_t i = 0; i < m->nproviders && mask != ~0ULL; i++) {
		int idx = m->providers[i].idx;

		if (idx >= 0 && idx < 64 && (mask & (1ULL << idx)))
			add_name(&t->provider, &t->nprovider, m->providers[i].name);
	}
}

static void set_verdict(struct trace_event *t, const struct aspen_meta *m,
			const struct aspen_verdict *v)
{
	const struct aspen_meta_rule *r;

	t->decision = strdup(decision_name(v->decision));
	if (v->rule != ASPEN_RULE_NONE && pseudo_rule_name(v->rule))
		t->rule = strdup(pseudo_rule_name(v->rule));
	else if ((r = rule_at(m, v->rule)))
		t->rule = strdup(r->name);
}

static void write_event(struct daemon *d, struct trace_event *t)
{
	if (trace_write_event(d->record, t) < 0)
		log_warn("--record: cannot write the trace");
	trace_event_free(t);
}

void record_connect(struct daemon *d, struct policy_obj *p, const struct aspen_connect_event *e,
		    const struct proc_view *v)
{
	const struct aspen_conn *c = &e->conn;
	struct trace_event t;
	char ip[INET6_ADDRSTRLEN], name[256];
	const char *host = scrub_name(d, p, hosts_name(d, c->host_idx), name, sizeof(name));

	if (!d->record)
		return;
	trace_event_init(&t);
	t.kind = TRACE_CONNECT;
	set_process(&t, v);
	t.dst_ip = strdup(rt_ip_to_str((const struct in6_addr *)c->addr, ip, sizeof(ip)));
	t.dst_port = c->port;
	t.proto = strdup(c->proto == 17 ? "udp" : "tcp");
	if (host)
		add_name(&t.dst_host, &t.ndst_host, host);
	set_providers(&t, &p->meta, c->providers);
	set_verdict(&t, &p->meta, &e->verdict);
	write_event(d, &t);
}

void record_request(struct daemon *d, struct policy_obj *p, const struct aspen_request_event *e,
		    const struct proc_view *v)
{
	const struct aspen_req *r = &e->req;
	struct trace_event t;

	if (!d->record)
		return;
	trace_event_init(&t);
	t.kind = TRACE_REQUEST;
	set_process(&t, v);
	set_providers(&t, &p->meta, r->conn.providers);
	t.method = dupn(r->method, sizeof(r->method));
	t.path = dupn(r->path, sizeof(r->path));
	t.host = dupn(r->host, sizeof(r->host));
	t.model = dupn(r->model, sizeof(r->model));
	t.request_user = dupn(r->user, sizeof(r->user));
	t.stream = !!(r->flags & ASPEN_REQ_STREAM);
	t.unparsed = aspen_unparsed_name(r->unparsed) ? strdup(aspen_unparsed_name(r->unparsed)) : NULL;
	if (r->flags & (ASPEN_REQ_WS_HEAD | ASPEN_REQ_WS_MSG))
		t.ws = strdup((r->flags & ASPEN_REQ_WS_HEAD) ? "upgrade" : "message");
	if (r->flags & ASPEN_REQ_UNSEEN_MODEL) { /* no model known: none recorded */
		free(t.model);
		t.model = NULL;
	}
	t.has_body_match = true;
	for (size_t i = 0; i < p->meta.npatterns; i++) {
		const struct aspen_meta_pattern *mp = &p->meta.patterns[i];

		if (mp->idx >= 0 && mp->idx < 64 && (r->body_match & (1ULL << mp->idx)))
			add_name(&t.body_match, &t.nbody_match, mp->name);
	}
	t.has_redactions = true;
	for (size_t i = 0; i < p->meta.npatterns; i++) {
		const struct aspen_meta_pattern *mp = &p->meta.patterns[i];

		if (mp->idx >= 0 && mp->idx < 32 && (e->verdict.redact & (1u << mp->idx)))
			add_name(&t.redactions, &t.nredactions, mp->name);
	}
	set_verdict(&t, &p->meta, &e->verdict);
	write_event(d, &t);
}

void record_response(struct daemon *d, struct policy_obj *p,
		     const struct aspen_response_event *e, const struct proc_view *v)
{
	const struct aspen_resp *r = &e->resp;
	struct trace_event t;

	if (!d->record)
		return;
	trace_event_init(&t);
	t.kind = TRACE_RESPONSE;
	set_process(&t, v);
	set_providers(&t, &p->meta, r->conn.providers);
	t.model = dupn(e->model, sizeof(e->model));
	t.status = r->status;
	t.tokens_in = (int64_t)r->tokens_in;
	t.tokens_out = (int64_t)r->tokens_out;
	set_verdict(&t, &p->meta, &e->verdict);
	write_event(d, &t);
}
